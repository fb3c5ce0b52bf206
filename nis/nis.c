/*
 * nis/nis.c - the nis and nisplus sources
 *
 * See nis.h. Reads no configuration yet.
 *
 * DIAGNOSTICS
 *	See nis.h.
 */
#include "config.h"

#include "nis/nis.h"

/* sm_nis_create - the nis source (see nis.h) */
struct sm_source *sm_nis_create(const char *name, const struct sm_config *cf, struct sm_buf *err)
{
	(void)name;
	(void)cf;
#ifdef HAVE_NIS
	sm_buf_adds(err, "the nis source is not implemented yet");
#else
	sm_buf_adds(err, "not built with NIS support");
#endif
	return NULL;
}

/* sm_nisplus_create - the nisplus source (see nis.h) */
struct sm_source *sm_nisplus_create(const char *name, const struct sm_config *cf, struct sm_buf *err)
{
	(void)name;
	(void)cf;
	sm_buf_adds(err, "the nisplus source is not implemented yet");
	return NULL;
}
