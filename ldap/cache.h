/*
 * ldap/cache.h - the process-wide cache of LDAP answers
 *
 * SYNOPSIS
 *	void sm_ldap_cache_limit(size_t max_entries);
 *	int sm_ldap_cache_get(const char *key, size_t klen, double now, enum sm_status *st,
 *	                      char **value, double *left);
 *	void sm_ldap_cache_put(const char *key, size_t klen, double now, long ttl,
 *	                       enum sm_status st, const char *value);
 *	void sm_ldap_cache_stats(struct sm_ldap_cache_stats *out);
 *
 * DESCRIPTION
 *	One cache per process, shared by every ldap source instance and so by
 *	every lookup thread of the daemon. It is cut by hash into 16 shards,
 *	each with its own mutex, table and LRU list, so that threads rarely
 *	wait for one another (no lock is held during any I/O). It maps an
 *	opaque key (the ldap source builds it from the database, the
 *	connection settings, the search base, the filter and attributes in
 *	force, and the lookup key, so two configurations never share an
 *	answer) to a status and a value.
 *
 *	Only SM_SUCCESS (with its value) and SM_NOTFOUND are kept;
 *	sm_ldap_cache_put() ignores any other status, and a ttl of 0 or less.
 *	Each entry expires ttl seconds after it was stored (now is a
 *	monotonic clock in seconds, given by the caller so the cache never
 *	reads the clock itself). An expired entry is never returned.
 *
 *	The cache is bounded: at most max_entries entries (the largest value
 *	any caller gave to sm_ldap_cache_limit(), SM_LDAP_CACHE_DEFAULT_ENTRIES
 *	until one does; the bound is never lowered), and at
 *	most max_entries * 1 KiB of keys, values and bookkeeping; each shard
 *	holds a sixteenth of both. When a shard would pass either bound, its
 *	least recently used entries are dropped. A single entry larger than
 *	64 KiB is not stored at all.
 *
 *	sm_ldap_cache_get() returns 1 on a hit, filling *st, *value (a new
 *	string the caller frees; NULL for NOTFOUND) and *left (seconds until
 *	expiry, may be NULL); 0 on a miss, leaving them untouched.
 *	sm_ldap_cache_stats() adds up the counters of every shard into out
 *	(entries and bytes held, the bound, hits, misses, stores, evictions,
 *	expired entries met).
 *
 * WHO FREES WHAT
 *	The cache owns copies of every key and value it stores. Values handed
 *	out by sm_ldap_cache_get() belong to the caller.
 *
 * DIAGNOSTICS
 *	None: a cache cannot fail (allocation failure aborts, see lib/mem.h).
 */
#ifndef SM_LDAP_CACHE_H
#define SM_LDAP_CACHE_H

#include <stddef.h>

#include "nsswitch/status.h"

#define SM_LDAP_CACHE_ENTRY_MAX 65536
#define SM_LDAP_CACHE_BYTES_PER_ENTRY 1024
#define SM_LDAP_CACHE_DEFAULT_ENTRIES 1000

struct sm_ldap_cache_stats {
	size_t entries;
	size_t bytes;
	size_t max_entries;
	unsigned long hits, misses, stores, evictions, expired;
};

void sm_ldap_cache_limit(size_t max_entries);
int sm_ldap_cache_get(const char *key, size_t klen, double now, enum sm_status *st, char **value,
                      double *left);
void sm_ldap_cache_put(const char *key, size_t klen, double now, long ttl, enum sm_status st,
                       const char *value);
void sm_ldap_cache_stats(struct sm_ldap_cache_stats *out);

#endif
