/*
 * nsswitch/source.h - the interface every source (files, nis, nisplus, ldap, dns, test) implements
 *
 * SYNOPSIS
 *	struct sm_source_type {
 *		const char *name; int prefix;
 *		struct sm_source *(*create)(const char *name, const struct sm_config *cf,
 *		                            struct sm_buf *err);
 *	};
 *	struct sm_source *sm_source_unavail(const char *name, const char *reason);
 *	struct sm_source *sm_source_alloc(const struct sm_source_ops *ops, const char *name, void *priv);
 *	void sm_source_free(struct sm_source *src);
 *
 * DESCRIPTION
 *	A source answers lookups for one or more databases. lookup() puts the
 *	value in *value (a new string the caller frees) on SM_SUCCESS, and may
 *	append a native reason (a short human text, e.g. "connection refused")
 *	to reason on any status. It must never block indefinitely and must map
 *	every native error to UNAVAIL (permanent) or TRYAGAIN (temporary).
 *	A source never validates keys: the switch (switch.c) has done it.
 *
 *	create() builds an instance from the configuration; on failure it
 *	returns NULL with a reason, and the switch puts a stand-in from
 *	sm_source_unavail() in its place, which answers UNAVAIL with that reason
 *	to every lookup, so a daemon keeps running. A type with prefix set also
 *	matches names that extend its name with digits ("test1", "test2").
 *
 *	sm_source_alloc() returns a source owned by the caller (normally the
 *	switch), released with sm_source_free(), which calls ops->free for priv.
 *
 * DIAGNOSTICS
 *	None here; each source documents its own mapping of native errors.
 */
#ifndef SM_SOURCE_H
#define SM_SOURCE_H

#include "lib/buf.h"
#include "lib/cfg.h"
#include "nsswitch/status.h"

struct sm_source;

struct sm_source_ops {
	enum sm_status (*lookup)(struct sm_source *src, const char *db, const char *key, char **value,
	                         struct sm_buf *reason);
	void (*free)(void *priv);
};

struct sm_source {
	const struct sm_source_ops *ops;
	char *name;
	void *priv;
	int unavail_logged;
};

struct sm_source_type {
	const char *name;
	int prefix;
	struct sm_source *(*create)(const char *name, const struct sm_config *cf, struct sm_buf *err);
};

struct sm_source *sm_source_alloc(const struct sm_source_ops *ops, const char *name, void *priv);
struct sm_source *sm_source_unavail(const char *name, const char *reason);
void sm_source_free(struct sm_source *src);

#endif
