/*
 * nis/nis.h - the nis and nisplus sources
 *
 * SYNOPSIS
 *	struct sm_source *sm_nis_create(const char *name, const struct sm_config *cf,
 *	                                struct sm_buf *err);
 *	struct sm_source *sm_nisplus_create(const char *name, const struct sm_config *cf,
 *	                                    struct sm_buf *err);
 *
 * DESCRIPTION
 *	The sources keep their names in every build so that an nsswitch.conf
 *	naming them parses and answers.
 *
 * DIAGNOSTICS
 *	Both return NULL with "not built with NIS support" when libnsl was not
 *	found at build time, and with "the nis source is not implemented yet"
 *	(likewise nisplus) until the YP client lands: the switch then answers
 *	UNAVAIL, so a chain skips them with the default criteria.
 */
#ifndef SM_NIS_H
#define SM_NIS_H

#include "nsswitch/source.h"

struct sm_source *sm_nis_create(const char *name, const struct sm_config *cf, struct sm_buf *err);
struct sm_source *sm_nisplus_create(const char *name, const struct sm_config *cf, struct sm_buf *err);

#endif
