/*
 * server/cmdline.h - what every switchmail command shares: configuration and the switch
 *
 * SYNOPSIS
 *	int sm_cmd_config(struct sm_config **cfp, const char *path, int explicit_path,
 *	                  char **overrides, size_t noverrides);
 *	char *sm_cmd_hostname(const struct sm_config *cf);
 *
 * DESCRIPTION
 *	Builds the effective configuration: built-in defaults, then the file
 *	(path; the default /etc/mail/switchmail.conf may be missing, a file named
 *	with -C may not), then each -O Name=value in order. On success *cfp is a
 *	configuration the caller frees with sm_config_free().
 *
 *	sm_cmd_hostname() returns our host name ($j): HostName, else the
 *	system's (gethostname), else "localhost"; the caller frees it.
 *
 * DIAGNOSTICS
 *	Prints the reason on stderr ("FILE: line N: ...") and returns EX_CONFIG;
 *	returns EX_OK on success.
 */
#ifndef SM_CMDLINE_H
#define SM_CMDLINE_H

#include <stddef.h>

#include "lib/cfg.h"

#define SM_DEFAULT_CONF "/etc/mail/switchmail.conf"

int sm_cmd_config(struct sm_config **cfp, const char *path, int explicit_path, char **overrides,
                  size_t noverrides);
char *sm_cmd_hostname(const struct sm_config *cf);

#endif
