/*
 * ldap/cache.c - the process-wide cache of LDAP answers
 *
 * See cache.h. Reads no configuration: the ldap source passes LdapCacheTTL
 * and LdapCacheSize in.
 *
 * DIAGNOSTICS
 *	None.
 */
#include "config.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ldap/cache.h"
#include "lib/mem.h"

/* one answer: key and value live in the same allocation, after the header */
struct entry {
	struct entry *chain;       /* next in the bucket */
	struct entry *prev, *next; /* LRU list: most recent at the head */
	uint64_t hash;
	double expires;
	enum sm_status status;
	size_t klen;
	size_t size; /* bytes charged to the cache */
	char *value; /* inside this allocation; NULL for NOTFOUND */
	char key[];
};

/*
 * The cache is cut into shards by hash, each with its own lock, table and LRU list, so that lookup
 * threads rarely wait for each other; each shard holds a share of the bounds.
 */
#define NSHARDS 16

struct shard {
	pthread_mutex_t mu;
	struct entry **buckets;
	size_t nbuckets; /* a power of two, or 0 */
	struct entry *head, *tail;
	size_t entries, bytes;
	unsigned long hits, misses, stores, evictions, expired;
};

static struct shard shards[NSHARDS];
static pthread_once_t shards_once = PTHREAD_ONCE_INIT;
static size_t max_entries; /* the whole cache's bound (0: not set yet), accessed atomically */

/* shards_init - the locks */
static void shards_init(void)
{
	size_t i;

	for (i = 0; i < NSHARDS; i++)
		pthread_mutex_init(&shards[i].mu, NULL);
}

/* hash_key - FNV-1a over the key's bytes */
static uint64_t hash_key(const char *key, size_t klen)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < klen; i++)
		h = (h ^ (unsigned char)key[i]) * 1099511628211ULL;
	/* FNV's high bits hardly depend on the last bytes, and keys differ only there: mix them in */
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/* shard_of - the shard that holds hash (the top bits choose it; the low bits the bucket) */
static struct shard *shard_of(uint64_t hash)
{
	pthread_once(&shards_once, shards_init);
	return &shards[hash >> 60];
}

/* lru_unlink - take e out of sh's LRU list */
static void lru_unlink(struct shard *sh, struct entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		sh->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		sh->tail = e->prev;
	e->prev = e->next = NULL;
}

/* lru_push - put e at the head of sh's LRU list */
static void lru_push(struct shard *sh, struct entry *e)
{
	e->prev = NULL;
	e->next = sh->head;
	if (sh->head)
		sh->head->prev = e;
	sh->head = e;
	if (sh->tail == NULL)
		sh->tail = e;
}

/* bucket_of - the chain slot for hash in sh */
static struct entry **bucket_of(struct shard *sh, uint64_t hash)
{
	return &sh->buckets[hash & (sh->nbuckets - 1)];
}

/* drop - remove e from sh's table and list, and free it */
static void drop(struct shard *sh, struct entry *e)
{
	struct entry **pp = bucket_of(sh, e->hash);

	while (*pp != e)
		pp = &(*pp)->chain;
	*pp = e->chain;
	lru_unlink(sh, e);
	sh->entries--;
	sh->bytes -= e->size;
	free(e);
}

/* find - the entry for key in sh, or NULL */
static struct entry *find(struct shard *sh, const char *key, size_t klen, uint64_t hash)
{
	struct entry *e;

	if (sh->nbuckets == 0)
		return NULL;
	for (e = *bucket_of(sh, hash); e; e = e->chain)
		if (e->hash == hash && e->klen == klen && memcmp(e->key, key, klen) == 0)
			return e;
	return NULL;
}

/* grow - double sh's bucket array (or make the first one) */
static void grow(struct shard *sh)
{
	size_t oldn = sh->nbuckets, i;
	struct entry **old = sh->buckets;

	sh->nbuckets = oldn ? oldn * 2 : 64;
	sh->buckets = sm_calloc(sh->nbuckets, sizeof(*sh->buckets));
	for (i = 0; i < oldn; i++) {
		struct entry *e = old[i], *next;

		for (; e; e = next) {
			struct entry **pp = bucket_of(sh, e->hash);

			next = e->chain;
			e->chain = *pp;
			*pp = e;
		}
	}
	free(old);
}

/* sm_ldap_cache_limit - set the entry bound, or raise it (it is never lowered once set) */
void sm_ldap_cache_limit(size_t max)
{
	size_t cur = __atomic_load_n(&max_entries, __ATOMIC_RELAXED);

	while (max > cur &&
	       !__atomic_compare_exchange_n(&max_entries, &cur, max, 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

/* bound - the entry bound in force */
static size_t bound(void)
{
	size_t m = __atomic_load_n(&max_entries, __ATOMIC_RELAXED);

	return m ? m : SM_LDAP_CACHE_DEFAULT_ENTRIES;
}

/* sm_ldap_cache_get - a live answer for key; 1 on a hit (the caller frees *value) */
int sm_ldap_cache_get(const char *key, size_t klen, double now, enum sm_status *st, char **value,
                      double *left)
{
	uint64_t h = hash_key(key, klen);
	struct shard *sh = shard_of(h);
	struct entry *e;
	int hit = 0;

	pthread_mutex_lock(&sh->mu);
	e = find(sh, key, klen, h);
	if (e && e->expires <= now) {
		sh->expired++;
		drop(sh, e);
		e = NULL;
	}
	if (e) {
		hit = 1;
		sh->hits++;
		*st = e->status;
		*value = e->value ? sm_strdup(e->value) : NULL;
		if (left)
			*left = e->expires - now;
		if (sh->head != e) {
			lru_unlink(sh, e);
			lru_push(sh, e);
		}
	} else {
		sh->misses++;
	}
	pthread_mutex_unlock(&sh->mu);
	return hit;
}

/* sm_ldap_cache_put - keep a SUCCESS or NOTFOUND answer for ttl seconds */
void sm_ldap_cache_put(const char *key, size_t klen, double now, long ttl, enum sm_status st,
                       const char *value)
{
	size_t vlen = 0, size, max, max_bytes;
	struct shard *sh;
	struct entry *e, *old;
	uint64_t h;

	switch (st) {
	case SM_SUCCESS:
		vlen = value ? strlen(value) + 1 : 1;
		break;
	case SM_NOTFOUND:
		break;
	case SM_UNAVAIL:
	case SM_TRYAGAIN:
		return; /* failures are never remembered */
	}
	if (ttl <= 0 || klen > SM_LDAP_CACHE_ENTRY_MAX || vlen > SM_LDAP_CACHE_ENTRY_MAX)
		return;
	size = sizeof(*e) + klen + vlen;
	e = sm_malloc(size);
	memset(e, 0, sizeof(*e));
	memcpy(e->key, key, klen);
	e->klen = klen;
	e->hash = h = hash_key(key, klen);
	e->status = st;
	e->expires = now + (double)ttl;
	e->size = size;
	if (st == SM_SUCCESS) {
		e->value = e->key + klen;
		memcpy(e->value, value ? value : "", vlen);
	}
	/* this shard's share of the bounds, at least one entry */
	max = (bound() + NSHARDS - 1) / NSHARDS;
	max_bytes = max * SM_LDAP_CACHE_BYTES_PER_ENTRY;
	sh = shard_of(h);

	pthread_mutex_lock(&sh->mu);
	if ((old = find(sh, key, klen, h)) != NULL)
		drop(sh, old);
	while (sh->tail && (sh->entries + 1 > max || sh->bytes + size > max_bytes)) {
		sh->evictions++;
		drop(sh, sh->tail);
	}
	if (sh->entries + 1 > sh->nbuckets)
		grow(sh);
	{
		struct entry **pp = bucket_of(sh, h);

		e->chain = *pp;
		*pp = e;
	}
	lru_push(sh, e);
	sh->entries++;
	sh->bytes += size;
	sh->stores++;
	pthread_mutex_unlock(&sh->mu);
}

/* sm_ldap_cache_stats - add up the shards' counters */
void sm_ldap_cache_stats(struct sm_ldap_cache_stats *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < NSHARDS; i++) {
		struct shard *sh = &shards[i];

		pthread_once(&shards_once, shards_init);
		pthread_mutex_lock(&sh->mu);
		out->entries += sh->entries;
		out->bytes += sh->bytes;
		out->hits += sh->hits;
		out->misses += sh->misses;
		out->stores += sh->stores;
		out->evictions += sh->evictions;
		out->expired += sh->expired;
		pthread_mutex_unlock(&sh->mu);
	}
	out->max_entries = bound();
}
