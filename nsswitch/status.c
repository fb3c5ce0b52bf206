/*
 * nsswitch/status.c - names of statuses and actions
 *
 * See status.h. Reads no configuration.
 *
 * DIAGNOSTICS
 *	None.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "nsswitch/status.h"

/* sm_status_name - upper-case name of a status */
const char *sm_status_name(enum sm_status st)
{
	switch (st) {
	case SM_SUCCESS:
		return "SUCCESS";
	case SM_NOTFOUND:
		return "NOTFOUND";
	case SM_UNAVAIL:
		return "UNAVAIL";
	case SM_TRYAGAIN:
		return "TRYAGAIN";
	}
	return "?";
}

/* sm_status_parse - word (len bytes, any case) to a status; -1 if unknown */
int sm_status_parse(const char *word, size_t len, enum sm_status *st)
{
	static const enum sm_status all[] = { SM_SUCCESS, SM_NOTFOUND, SM_UNAVAIL, SM_TRYAGAIN };
	size_t i;

	for (i = 0; i < SM_NSTATUS; i++) {
		const char *name = sm_status_name(all[i]);

		if (strlen(name) == len && strncasecmp(name, word, len) == 0) {
			*st = all[i];
			return 0;
		}
	}
	return -1;
}

/* sm_action_name - lower-case name of an action */
const char *sm_action_name(enum sm_action act)
{
	switch (act) {
	case SM_RETURN:
		return "return";
	case SM_CONTINUE:
		return "continue";
	}
	return "?";
}
