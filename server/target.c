/*
 * server/target.c - encode and decode a recipient's delivery target (see target.h)
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/mem.h"
#include "server/target.h"

#define TARGET_FIELDS 7
#define TARGET_NULL 0xffffffffu

/* put_field - append one length-prefixed field, or the NULL marker */
static void put_field(struct sm_buf *out, const char *s)
{
	uint32_t n = s ? (uint32_t)strlen(s) : TARGET_NULL;
	unsigned char x[4] = { (unsigned char)(n >> 24), (unsigned char)(n >> 16), (unsigned char)(n >> 8),
		               (unsigned char)n };

	sm_buf_add(out, x, 4);
	if (s)
		sm_buf_add(out, s, strlen(s));
}

/* sm_target_encode - append r's target record to out */
void sm_target_encode(const struct sm_rcpt *r, const char *envrcpt, struct sm_buf *out)
{
	put_field(out, r->mailer ? r->mailer : "error");
	put_field(out, r->host);
	put_field(out, r->user);
	put_field(out, r->ctl);
	put_field(out, r->sender);
	put_field(out, r->reply);
	put_field(out, envrcpt);
}

/* sm_target_decode - parse len bytes at p into t; 0 or -1 */
int sm_target_decode(const char *p, size_t len, struct sm_target *t)
{
	char **f[TARGET_FIELDS] = { &t->mailer, &t->host,  &t->user,   &t->ctl,
		                    &t->sender, &t->reply, &t->envrcpt };
	const unsigned char *u = (const unsigned char *)p;
	size_t off = 0, i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < TARGET_FIELDS; i++) {
		uint32_t n;

		if (len - off < 4)
			goto bad;
		n = (uint32_t)u[off] << 24 | (uint32_t)u[off + 1] << 16 | (uint32_t)u[off + 2] << 8 |
		    u[off + 3];
		off += 4;
		if (n == TARGET_NULL)
			continue;
		if (len - off < n || memchr(p + off, '\0', n) != NULL)
			goto bad;
		*f[i] = sm_strndup(p + off, n);
		off += n;
	}
	if (off != len || t->mailer == NULL)
		goto bad;
	return 0;
bad:
	sm_target_free(t);
	return -1;
}

/* dup_or_null - a copy of s, or NULL */
static char *dup_or_null(const char *s)
{
	return s ? sm_strdup(s) : NULL;
}

/* sm_target_from_rcpt - t from a router result, as its decoded record would be */
void sm_target_from_rcpt(const struct sm_rcpt *r, const char *envrcpt, struct sm_target *t)
{
	t->mailer = sm_strdup(r->mailer ? r->mailer : "error");
	t->host = dup_or_null(r->host);
	t->user = dup_or_null(r->user);
	t->ctl = dup_or_null(r->ctl);
	t->sender = dup_or_null(r->sender);
	t->reply = dup_or_null(r->reply);
	t->envrcpt = dup_or_null(envrcpt);
}

/* sm_route_tally - deliverable results, first temporary and first other failure of r */
void sm_route_tally(const struct sm_route *r, struct sm_route_tally *t)
{
	size_t i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < r->count; i++) {
		const struct sm_rcpt *x = &r->r[i];

		if (x->mailer != NULL)
			t->good++;
		else if (x->reply && x->reply[0] == '4') {
			if (t->temp == NULL)
				t->temp = x;
		} else if (t->perm == NULL)
			t->perm = x;
	}
}

/* sm_target_free - release t's strings */
void sm_target_free(struct sm_target *t)
{
	free(t->mailer);
	free(t->host);
	free(t->user);
	free(t->ctl);
	free(t->sender);
	free(t->reply);
	free(t->envrcpt);
	memset(t, 0, sizeof(*t));
}

/* same_str - both NULL or equal */
static int same_str(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

/* already_there - does m hold a recipient with the same destination as r? */
static int already_there(const struct sm_qmsg *m, const struct sm_rcpt *r)
{
	size_t i;

	for (i = 0; i < m->nrcpt; i++) {
		struct sm_target t;
		int same;

		if (sm_target_decode(m->rcpt[i].target.data, m->rcpt[i].target.len, &t) < 0)
			continue;
		same = same_str(t.mailer, r->mailer ? r->mailer : "error") && same_str(t.host, r->host) &&
		       same_str(t.user, r->user) && same_str(t.ctl, r->ctl) &&
		       (r->mailer != NULL || same_str(t.envrcpt, r->addr));
		sm_target_free(&t);
		if (same)
			return 1;
	}
	return 0;
}

/* sm_qmsg_add_route - one queue recipient per result of r (see target.h) */
void sm_qmsg_add_route(struct sm_qmsg *m, const char *envrcpt, const char *orcpt, unsigned notify,
                       const struct sm_route *r)
{
	size_t i;

	for (i = 0; i < r->count; i++) {
		const struct sm_rcpt *x = &r->r[i];
		struct sm_qrcpt *q;
		const char *o = orcpt ? orcpt : envrcpt;

		if (x->mailer == NULL && x->reply && x->reply[0] == '4')
			continue;
		if (already_there(m, x))
			continue;
		q = sm_qmsg_add_rcpt(m, x->addr, strlen(x->addr));
		sm_buf_add(&q->orcpt, o, strlen(o));
		q->notify = notify;
		sm_target_encode(x, envrcpt, &q->target);
	}
}
