/*
 * server/cmdline.c - what every switchmail command shares: configuration
 *
 * See cmdline.h. Reads the configuration file it is given.
 *
 * DIAGNOSTICS
 *	See cmdline.h.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "server/cmdline.h"

/* sm_cmd_config - defaults, file, then -O overrides (see cmdline.h) */
int sm_cmd_config(struct sm_config **cfp, const char *path, int explicit_path, char **overrides,
                  size_t noverrides)
{
	struct sm_config *cf = sm_config_new();
	struct sm_buf err = SM_BUF_INIT;
	struct stat st;
	size_t i;

	if (explicit_path || stat(path, &st) == 0 || errno != ENOENT) {
		if (sm_config_load(cf, path, &err) < 0)
			goto fail;
	}
	for (i = 0; i < noverrides; i++)
		if (sm_config_override(cf, overrides[i], &err) < 0)
			goto fail;
	*cfp = cf;
	return EX_OK;
fail:
	sm_log(LOG_ERR, "%s", sm_buf_str(&err));
	sm_buf_free(&err);
	sm_config_free(cf);
	*cfp = NULL;
	return EX_CONFIG;
}

/* sm_cmd_hostname - HostName, else the system's name; caller frees */
char *sm_cmd_hostname(const struct sm_config *cf)
{
	char hn[256];

	if (*sm_config_str(cf, "HostName"))
		return sm_strdup(sm_config_str(cf, "HostName"));
	if (gethostname(hn, sizeof(hn)) == 0 && hn[0])
		return sm_strndup(hn, strnlen(hn, sizeof(hn)));
	return sm_strdup("localhost");
}
