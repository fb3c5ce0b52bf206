/*
 * nsswitch/source.c - source objects and the stand-in that answers UNAVAIL
 *
 * See source.h. Reads no configuration.
 *
 * DIAGNOSTICS
 *	The stand-in answers SM_UNAVAIL with the reason it was made with.
 */
#include "config.h"

#include <stdlib.h>

#include "lib/mem.h"
#include "nsswitch/source.h"

/* sm_source_alloc - a source object around priv; free with sm_source_free */
struct sm_source *sm_source_alloc(const struct sm_source_ops *ops, const char *name, void *priv)
{
	struct sm_source *src = sm_calloc(1, sizeof(*src));

	src->ops = ops;
	src->name = sm_strdup(name);
	src->priv = priv;
	return src;
}

/* unavail_lookup - every lookup fails with the stored reason */
static enum sm_status unavail_lookup(struct sm_source *src, const char *db, const char *key, char **value,
                                     struct sm_buf *reason)
{
	(void)db;
	(void)key;
	(void)value;
	sm_buf_adds(reason, src->priv);
	return SM_UNAVAIL;
}

static const struct sm_source_ops unavail_ops = { unavail_lookup, free };

/* sm_source_unavail - a stand-in that answers UNAVAIL with reason; caller frees */
struct sm_source *sm_source_unavail(const char *name, const char *reason)
{
	return sm_source_alloc(&unavail_ops, name, sm_strdup(reason));
}

/* sm_source_free - release a source and its private state */
void sm_source_free(struct sm_source *src)
{
	if (src == NULL)
		return;
	if (src->ops->free)
		src->ops->free(src->priv);
	free(src->name);
	free(src);
}
