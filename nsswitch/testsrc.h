/*
 * nsswitch/testsrc.h - the test source: answers from a fixture file
 *
 * SYNOPSIS
 *	struct sm_source *sm_test_create(const char *name, const struct sm_config *cf,
 *	                                 struct sm_buf *err);
 *
 * DESCRIPTION
 *	Lets chain semantics be tested without servers, as glibc's nss_test1
 *	does. TestSourceFile holds lines
 *	    SOURCE DATABASE KEY STATUS[@MS] [TEXT]
 *	where SOURCE is this instance's name ("test", "test1", ...), KEY may be
 *	"*" for any key, STATUS is SUCCESS, NOTFOUND, UNAVAIL or TRYAGAIN, @MS
 *	makes the answer wait MS milliseconds, and TEXT is the value (SUCCESS)
 *	or the native reason (other statuses). An exact key wins over "*"; a key
 *	with no line is NOTFOUND. "#" starts a comment line. The source belongs
 *	to the switch (sm_source_free).
 *
 * DIAGNOSTICS
 *	create() fails (the switch then answers UNAVAIL with the reason) when
 *	TestSourceFile is empty or unreadable, or a line is malformed
 *	("FILE: line N: ...").
 */
#ifndef SM_TESTSRC_H
#define SM_TESTSRC_H

#include "nsswitch/source.h"

struct sm_source *sm_test_create(const char *name, const struct sm_config *cf, struct sm_buf *err);

#endif
