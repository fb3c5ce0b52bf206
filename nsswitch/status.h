/*
 * nsswitch/status.h - the status of one source's answer, and criteria actions
 *
 * SYNOPSIS
 *	enum sm_status { SM_SUCCESS, SM_NOTFOUND, SM_UNAVAIL, SM_TRYAGAIN };
 *	enum sm_action { SM_RETURN, SM_CONTINUE };
 *	const char *sm_status_name(enum sm_status st);
 *	int sm_status_parse(const char *word, size_t len, enum sm_status *st);
 *	const char *sm_action_name(enum sm_action act);
 *
 * DESCRIPTION
 *	SUCCESS: found. NOTFOUND: the source answered "no such entry".
 *	UNAVAIL: permanent trouble (not configured, map missing, not built in).
 *	TRYAGAIN: temporary trouble (server down, timeout, busy); never a bounce.
 *	Names are upper case as in nsswitch.conf(5); parsing ignores case.
 *
 * DIAGNOSTICS
 *	sm_status_parse() returns -1 for an unknown word.
 */
#ifndef SM_STATUS_H
#define SM_STATUS_H

#include <stddef.h>

enum sm_status {
	SM_SUCCESS,
	SM_NOTFOUND,
	SM_UNAVAIL,
	SM_TRYAGAIN,
};

#define SM_NSTATUS 4

enum sm_action {
	SM_RETURN,
	SM_CONTINUE,
};

const char *sm_status_name(enum sm_status st);
int sm_status_parse(const char *word, size_t len, enum sm_status *st);
const char *sm_action_name(enum sm_action act);

#endif
