/*
 * tests/t_queue.c - TAP tests of the durable queue (server/queue.c)
 *
 * SYNOPSIS
 *	tests/t_queue
 *
 * DESCRIPTION
 *	Round trips of envelopes and bodies with odd bytes, queue ids, group
 *	commit, per-recipient status updates across a reopen, truncated and
 *	damaged files, start-up recovery, removal, error statuses; delivery
 *	targets ('D' records: round trip with any bytes, none written for an
 *	empty target) and message marks (quarantine reason set, replaced and
 *	cleared, the warned flag, marks mixed with status updates, a mark on
 *	a missing or invalid id). Prints (as
 *	a diag line, not a test) the time to commit 1,000 messages of 1 KiB one
 *	by one and in groups of 50. Works in a temporary directory under /tmp
 *	(or $TMPDIR); reads no configuration.
 *
 * DIAGNOSTICS
 *	TAP on stdout; exit status non-zero if a test failed.
 */
#include "config.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "server/queue.h"
#include "tests/testutil.h"

#define NIDS 10000
#define NGROUP 50
#define BIG_BODY (10u * 1024 * 1024)
#define NCUTS 30
#define NBENCH 1000
#define BENCH_SIZE 1024

/* one round-trip case; lengths are explicit so values may hold NUL */
struct rt_case {
	const char *name;
	const char *sender;
	size_t sender_len;
	const char *envid;
	size_t envid_len;
	const char *addr;
	size_t addr_len;
	const char *orcpt;
	size_t orcpt_len;
	unsigned notify;
	enum sm_ret ret;
	const char *body;
	size_t body_len;
};

#define S(x) x, sizeof(x) - 1

static const struct rt_case rt_cases[] = {
	{ .name = "plain",
	  .sender = S("alice@example.com"),
	  .envid = S("abc123"),
	  .addr = S("bob@example.org"),
	  .orcpt = S("rfc822;bob@example.org"),
	  .notify = SM_NOTIFY_SUCCESS | SM_NOTIFY_FAILURE,
	  .ret = SM_RET_HDRS,
	  .body = S("Subject: hi\r\n\r\nhello\r\n") },
	{ .name = "CR LF in values (record forgery attempt)",
	  .sender = S("a@b\r\nP\x00\x00\x00\x05evil@x"),
	  .envid = S("id\nE\x00\x00\x00\x04XXXX"),
	  .addr = S("c@d\rB"),
	  .orcpt = S("rfc822;x\r\n.\r\n"),
	  .notify = SM_NOTIFY_NEVER,
	  .ret = SM_RET_FULL,
	  .body = S("line\n.\nline\r.\r\n") },
	{ .name = "NUL in values and body",
	  .sender = S("a\0b@c"),
	  .envid = S("\0\0\0"),
	  .addr = S("x\0y@z"),
	  .orcpt = S("rfc822;\0"),
	  .notify = SM_NOTIFY_DELAY,
	  .ret = SM_RET_UNSET,
	  .body = S("\0body\0with\0nuls\0") },
	{ .name = "8-bit bytes",
	  .sender = S("j\xc3\xb6rg@m\xc3\xbcller.de"),
	  .envid = S("\xff\xfe\x80"),
	  .addr = S("\xe6\x97\xa5\xe6\x9c\xac@example.jp"),
	  .orcpt = S("utf-8;\xe6\x97\xa5"),
	  .notify = 0,
	  .ret = SM_RET_FULL,
	  .body = S("\x80\x81\xfe\xff\r\n\x1b$B\x1b(B") },
	{ .name = "empty body, null sender, no DSN",
	  .sender = S(""),
	  .envid = S(""),
	  .addr = S("postmaster"),
	  .orcpt = S(""),
	  .notify = 0,
	  .ret = SM_RET_UNSET,
	  .body = S("") },
	{ .name = "body that looks like a queue file",
	  .sender = S("s@x"),
	  .envid = S("e"),
	  .addr = S("r@x"),
	  .orcpt = S("o"),
	  .notify = SM_NOTIFY_FAILURE,
	  .ret = SM_RET_HDRS,
	  .body = S("SMQUEUE1I\x00\x00\x00\x13"
	            "0000000000000000000E\x00\x00\x00\x04\x00\x00\x00\x00") },
};

/* pathf - format a path into out (PATH_MAX bytes), complaining if it does not fit */
static void __attribute__((format(printf, 2, 3))) pathf(char *out, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, PATH_MAX, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= PATH_MAX)
		diag("path too long: %s", out);
}

/* buf_is - b holds exactly the n bytes of p */
static int buf_is(const struct sm_buf *b, const char *p, size_t n)
{
	return b->len == n && (n == 0 || memcmp(b->data, p, n) == 0);
}

/* make_msg - a one-recipient message from a case; freed by sm_qmsg_free */
static struct sm_qmsg *make_msg(const struct rt_case *c)
{
	struct sm_qmsg *m = sm_qmsg_new();
	struct sm_qrcpt *r;

	sm_buf_add(&m->sender, c->sender, c->sender_len);
	sm_buf_add(&m->envid, c->envid, c->envid_len);
	m->ret = c->ret;
	r = sm_qmsg_add_rcpt(m, c->addr, c->addr_len);
	sm_buf_add(&r->orcpt, c->orcpt, c->orcpt_len);
	r->notify = c->notify;
	sm_buf_add(&m->body, c->body, c->body_len);
	return m;
}

/* simple_msg - a message with nrcpt recipients and a body of size bytes; freed by sm_qmsg_free */
static struct sm_qmsg *simple_msg(size_t nrcpt, size_t size, int seed)
{
	struct sm_qmsg *m = sm_qmsg_new();
	char addr[64];
	size_t i;

	sm_buf_adds(&m->sender, "sender@example.com");
	for (i = 0; i < nrcpt; i++) {
		snprintf(addr, sizeof(addr), "rcpt%zu@example.org", i);
		sm_qmsg_add_rcpt(m, addr, strlen(addr));
	}
	for (i = 0; i < size; i++)
		sm_buf_addc(&m->body, (int)((i * 31 + (size_t)seed) & 0xFF));
	return m;
}

/* now_sec - a monotonic clock in seconds */
static double now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* file_exists - path names an existing file */
static int file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* cmp_str - qsort comparison of strings */
static int cmp_str(const void *a, const void *b)
{
	return strcmp((const char *)a, (const char *)b);
}

/* test_round_trip - every case commits and loads back byte for byte */
static void test_round_trip(struct sm_queue *q)
{
	size_t i;

	for (i = 0; i < sizeof(rt_cases) / sizeof(rt_cases[0]); i++) {
		const struct rt_case *c = &rt_cases[i];
		struct sm_qmsg *m = make_msg(c), *back = NULL;
		struct sm_buf err = SM_BUF_INIT;
		enum sm_qstatus st;

		st = sm_queue_commit(q, m, &err);
		is_int(st, SM_QOK, c->name);
		ok(sm_queue_id_valid(m->id) && m->arrival != 0, "%s: id %s and arrival assigned", c->name,
		   m->id);
		st = sm_queue_load(q, m->id, &back, &err);
		is_int(st, SM_QOK, "  load");
		ok(back && strcmp(back->id, m->id) == 0 && buf_is(&back->sender, c->sender, c->sender_len) &&
		       buf_is(&back->envid, c->envid, c->envid_len) && back->ret == c->ret &&
		       back->arrival == m->arrival && back->nrcpt == 1 &&
		       buf_is(&back->rcpt[0].addr, c->addr, c->addr_len) &&
		       buf_is(&back->rcpt[0].orcpt, c->orcpt, c->orcpt_len) &&
		       back->rcpt[0].notify == c->notify && back->rcpt[0].state == SM_RCPT_PENDING,
		   "  envelope identical");
		ok(back && buf_is(&back->body, c->body, c->body_len), "  body identical");
		if (err.len)
			diag("%s", err.data);
		sm_buf_free(&err);
		sm_qmsg_free(back);
		sm_qmsg_free(m);
	}
}

/* test_big_body - a 10 MB body with every byte value */
static void test_big_body(struct sm_queue *q)
{
	struct sm_qmsg *m = simple_msg(2, BIG_BODY, 7), *back = NULL;

	is_int(sm_queue_commit(q, m, NULL), SM_QOK, "10 MB body: commit");
	is_int(sm_queue_load(q, m->id, &back, NULL), SM_QOK, "10 MB body: load");
	ok(back && buf_is(&back->body, m->body.data, m->body.len) && back->nrcpt == 2,
	   "10 MB body: identical, 2 recipients");
	is_int(sm_queue_remove(q, m->id, NULL), SM_QOK, "10 MB body: remove");
	sm_qmsg_free(back);
	sm_qmsg_free(m);
}

/* test_ids - 10,000 ids: valid, unique, in generation order */
static void test_ids(void)
{
	char(*ids)[SM_QID_SIZE] = sm_calloc(NIDS, SM_QID_SIZE);
	int valid = 1, ordered = 1, unique = 1;
	size_t i;

	for (i = 0; i < NIDS; i++) {
		sm_queue_newid(ids[i]);
		valid &= sm_queue_id_valid(ids[i]);
		if (i > 0 && strcmp(ids[i - 1], ids[i]) >= 0)
			ordered = 0;
	}
	qsort(ids, NIDS, SM_QID_SIZE, cmp_str);
	for (i = 1; i < NIDS; i++)
		if (strcmp(ids[i - 1], ids[i]) == 0)
			unique = 0;
	ok(valid, "10,000 ids are valid queue ids");
	ok(unique, "10,000 ids are unique");
	ok(ordered, "ids sort in generation order");
	is_int((long)strlen(ids[0]), SM_QID_LEN, "id length");
	ok(strspn(ids[0], "0123456789ABCDEFGHJKMNPQRSTVWXYZ") == SM_QID_LEN, "id is file-name safe base-32");
	free(ids);
	{
		static const struct {
			const char *name;
			int valid;
		} names[] = {
			{ "0123456789ABCDEFGHJ", 1 },  { "0123456789ABCDEFGHI", 0 },
			{ "0123456789abcdefghj", 0 },  { "0123456789ABCDEFGH", 0 },
			{ "0123456789ABCDEFGHJK", 0 }, { "../../etc/passwd00", 0 },
			{ ".tmp-0123456789ABCDE", 0 }, { "", 0 },
		};

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			is_int(sm_queue_id_valid(names[i].name), names[i].valid,
			       names[i].name[0] ? names[i].name : "(empty)");
	}
}

/* test_group - 50 messages in one group commit, each readable */
static void test_group(const char *dir)
{
	struct sm_qmsg *m[NGROUP];
	enum sm_qstatus st[NGROUP];
	struct sm_queue *q = NULL;
	char **ids = NULL;
	size_t i, n = 0;
	int all_ok = 1, readable = 1;

	is_int(sm_queue_open(dir, &q, NULL), SM_QOK, "group: open queue");
	for (i = 0; i < NGROUP; i++)
		m[i] = simple_msg(1 + i % 3, 100 + i, (int)i);
	is_int(sm_queue_commit_group(q, m, NGROUP, st, NULL), SM_QOK, "group: commit of 50");
	for (i = 0; i < NGROUP; i++) {
		struct sm_qmsg *back = NULL;

		all_ok &= st[i] == SM_QOK;
		if (sm_queue_load(q, m[i]->id, &back, NULL) != SM_QOK ||
		    !buf_is(&back->body, m[i]->body.data, m[i]->body.len) || back->nrcpt != m[i]->nrcpt)
			readable = 0;
		sm_qmsg_free(back);
	}
	ok(all_ok, "group: every message SM_QOK");
	ok(readable, "group: every message reads back identical");
	is_int(sm_queue_list(q, &ids, &n, NULL), SM_QOK, "group: list");
	is_int((long)n, NGROUP, "group: 50 ids listed");
	ok(n == NGROUP && strcmp(ids[0], ids[n - 1]) < 0, "group: list is sorted");
	sm_queue_ids_free(ids, n);
	for (i = 0; i < NGROUP; i++)
		sm_qmsg_free(m[i]);
	{
		/* a bad member fails alone */
		struct sm_qmsg *two[2] = { simple_msg(1, 10, 1), sm_qmsg_new() };
		enum sm_qstatus st2[2];

		is_int(sm_queue_commit_group(q, two, 2, st2, NULL), SM_QPERMFAIL,
		       "group: worst status returned");
		ok(st2[0] == SM_QOK && st2[1] == SM_QPERMFAIL,
		   "group: good one committed, empty one refused");
		sm_qmsg_free(two[0]);
		sm_qmsg_free(two[1]);
	}
	sm_queue_close(q);
}

/* test_updates - per-recipient status survives a reopen; errors */
static void test_updates(const char *dir)
{
	struct sm_queue *q = NULL;
	struct sm_qmsg *m = simple_msg(4, 50, 3), *back = NULL;
	struct sm_buf err = SM_BUF_INIT;
	char id[SM_QID_SIZE];
	char path[PATH_MAX];
	int fd;

	sm_queue_open(dir, &q, NULL);
	is_int(sm_queue_commit(q, m, NULL), SM_QOK, "update: commit 4 recipients");
	memcpy(id, m->id, SM_QID_SIZE);
	is_int(sm_queue_update(q, id, 0, SM_RCPT_DELIVERED, "250 ok", 1, 0, NULL), SM_QOK,
	       "update: #0 delivered");
	is_int(sm_queue_update(q, id, 1, SM_RCPT_DEFERRED, "451 4.4.3 try\r\nlater", 1, 1000, NULL), SM_QOK,
	       "update: #1 deferred");
	is_int(sm_queue_update(q, id, 1, SM_RCPT_DEFERRED, "451 again", 2, 2000, NULL), SM_QOK,
	       "update: #1 deferred again");
	is_int(sm_queue_update(q, id, 2, SM_RCPT_FAILED, "550 5.1.1 no such user", 1, 0, NULL), SM_QOK,
	       "update: #2 failed");
	sm_queue_close(q);
	q = NULL;
	sm_queue_open(dir, &q, NULL);
	is_int(sm_queue_load(q, id, &back, NULL), SM_QOK, "update: load after reopen");
	ok(back && back->rcpt[0].state == SM_RCPT_DELIVERED && buf_is(&back->rcpt[0].reply, S("250 ok")),
	   "update: #0 delivered after reopen");
	ok(back && back->rcpt[1].state == SM_RCPT_DEFERRED && back->rcpt[1].attempts == 2 &&
	       back->rcpt[1].next_try == 2000 && buf_is(&back->rcpt[1].reply, S("451 again")),
	   "update: #1 has the latest deferral");
	ok(back && back->rcpt[2].state == SM_RCPT_FAILED &&
	       buf_is(&back->rcpt[2].reply, S("550 5.1.1 no such user")),
	   "update: #2 failed with its reply");
	ok(back && back->rcpt[3].state == SM_RCPT_PENDING, "update: #3 still pending");
	ok(back && buf_is(&back->body, m->body.data, m->body.len), "update: body intact");
	sm_qmsg_free(back);
	back = NULL;

	/* a torn status record (crash during append) is ignored, then cut off by the next update */
	pathf(path, "%s/%s", dir, id);
	fd = open(path, O_WRONLY | O_APPEND);
	ok(fd >= 0 && write(fd, "S\x00\x00\x00\x11\x00\x00\x00\x03\x01", 10) == 10,
	   "update: append a torn record");
	if (fd >= 0)
		close(fd);
	is_int(sm_queue_load(q, id, &back, NULL), SM_QOK, "update: torn record tolerated");
	ok(back && back->rcpt[3].state == SM_RCPT_PENDING && back->rcpt[1].attempts == 2,
	   "update: torn record changed nothing");
	sm_qmsg_free(back);
	back = NULL;
	is_int(sm_queue_update(q, id, 3, SM_RCPT_DELIVERED, "250", 1, 0, NULL), SM_QOK,
	       "update: after torn record");
	is_int(sm_queue_load(q, id, &back, NULL), SM_QOK, "update: load after repair");
	ok(back && back->rcpt[3].state == SM_RCPT_DELIVERED, "update: #3 delivered after repair");
	sm_qmsg_free(back);

	is_int(sm_queue_update(q, id, 4, SM_RCPT_DELIVERED, "", 1, 0, &err), SM_QPERMFAIL,
	       "update: recipient out of range");
	ok(strstr(sm_buf_str(&err), id) != NULL, "update: error names the queue id");
	is_int(sm_queue_update(q, "0000000000000000000", 0, SM_RCPT_DELIVERED, "", 1, 0, NULL), SM_QNOTFOUND,
	       "update: unknown id");
	is_int(sm_queue_update(q, "../etc/passwd", 0, SM_RCPT_DELIVERED, "", 1, 0, NULL), SM_QPERMFAIL,
	       "update: invalid id refused");
	is_int(sm_queue_load(q, "0000000000000000000", &back, NULL), SM_QNOTFOUND, "load: unknown id");
	is_int(sm_queue_remove(q, id, NULL), SM_QOK, "remove");
	is_int(sm_queue_load(q, id, &back, NULL), SM_QNOTFOUND, "load after remove: not found");
	is_int(sm_queue_remove(q, id, NULL), SM_QNOTFOUND, "remove twice: not found");
	m->id[0] = '\0';
	is_int(sm_queue_commit(q, m, NULL), SM_QOK, "retire: commit another");
	is_int(sm_queue_retire(q, m->id, NULL), SM_QOK, "retire");
	is_int(sm_queue_load(q, m->id, &back, NULL), SM_QNOTFOUND, "load after retire: not found");
	is_int(sm_queue_retire(q, m->id, NULL), SM_QNOTFOUND, "retire twice: not found");
	is_int(sm_queue_retire(q, "../etc/passwd", NULL), SM_QPERMFAIL, "retire: invalid id refused");
	{
		struct sm_qupdate u[2] = { { 0, SM_RCPT_DEFERRED, "451 4.4.0 later", 2, 4242 },
			                   { m->nrcpt, SM_RCPT_DELIVERED, "", 1, 0 } };

		m->id[0] = '\0';
		is_int(sm_queue_commit(q, m, NULL), SM_QOK, "update_many: commit");
		is_int(sm_queue_update_many(q, m->id, u, 2, NULL), SM_QPERMFAIL,
		       "update_many: a recipient out of range refuses the batch");
		is_int(sm_queue_load(q, m->id, &back, NULL), SM_QOK, "update_many: load");
		is_int(back->rcpt[0].state, SM_RCPT_PENDING,
		       "update_many: nothing of a refused batch recorded");
		sm_qmsg_free(back);
		is_int(sm_queue_update_many(q, m->id, u, 1, NULL), SM_QOK, "update_many: one record");
		is_int(sm_queue_load(q, m->id, &back, NULL), SM_QOK, "update_many: load again");
		is_int(back->rcpt[0].state, SM_RCPT_DEFERRED, "update_many: state recorded");
		is_int((int)back->rcpt[0].next_try, 4242, "update_many: next try recorded");
		sm_qmsg_free(back);
		is_int(sm_queue_remove(q, m->id, NULL), SM_QOK, "update_many: remove");
	}
	sm_buf_free(&err);
	sm_qmsg_free(m);
	sm_queue_close(q);
}

/* test_damage - truncated and flipped files are corrupt; recovery moves them aside */
static void test_damage(const char *dir)
{
	struct sm_queue *q = NULL;
	struct sm_qmsg *m = simple_msg(2, 300, 9), *back = NULL;
	struct sm_buf file = SM_BUF_INIT;
	struct sm_qpending *list = NULL;
	char path[PATH_MAX], aside[PATH_MAX];
	size_t i, n, cut;
	static const size_t flips[] = { 3, 12, 40, 200, 0 };

	sm_queue_open(dir, &q, NULL);
	sm_queue_commit(q, m, NULL);
	pathf(path, "%s/%s", dir, m->id);
	pathf(aside, "%s/corrupt/%s", dir, m->id);
	read_file(path, &file);
	ok(file.len > NCUTS, "damage: queue file is %zu bytes", file.len);
	for (i = 0; i < NCUTS; i++) {
		enum sm_qstatus st;
		int moved;

		cut = i * (file.len - 1) / (NCUTS - 1); /* 0 .. len-1 */
		write_bytes(path, file.data, file.len, 0600);
		if (truncate(path, (off_t)cut) < 0)
			diag("truncate: %s", strerror(errno));
		st = sm_queue_load(q, m->id, &back, NULL);
		sm_qmsg_free(back);
		back = NULL;
		sm_queue_recover(q, &list, &n, NULL);
		moved = file_exists(aside) && !file_exists(path) && n == 0;
		sm_queue_pending_free(list, n);
		unlink(aside);
		ok(st == SM_QCORRUPT && moved, "truncated at %zu of %zu: corrupt, moved aside", cut,
		   file.len);
	}
	log_reset();
	for (i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
		size_t at = flips[i] ? flips[i] : file.len - 1;

		file.data[at] ^= 0x20;
		write_bytes(path, file.data, file.len, 0600);
		file.data[at] ^= 0x20;
		is_int(sm_queue_load(q, m->id, &back, NULL), SM_QCORRUPT, "flipped byte: corrupt");
		sm_qmsg_free(back);
		back = NULL;
	}
	sm_queue_recover(q, &list, &n, NULL);
	sm_queue_pending_free(list, n);
	ok(file_exists(aside) && !file_exists(path), "flipped byte: moved aside by recovery");
	ok(log_has(m->id) >= 0 && log_has("corrupt") >= 0, "corrupt file logged with its queue id");
	log_reset();
	/* the pristine copy is still fine: damage detection is not a false alarm */
	write_bytes(path, file.data, file.len, 0600);
	is_int(sm_queue_load(q, m->id, &back, NULL), SM_QOK, "undamaged copy loads");
	sm_qmsg_free(back);
	/* a file whose id record does not match its name */
	pathf(aside, "%s/%s", dir, "0000000000000000000");
	write_bytes(aside, file.data, file.len, 0600);
	is_int(sm_queue_load(q, "0000000000000000000", &back, NULL), SM_QCORRUPT, "renamed file: corrupt");
	unlink(aside);
	unlink(path);
	sm_buf_free(&file);
	sm_qmsg_free(m);
	sm_queue_close(q);
}

/* test_recovery - temp files removed, done messages removed, strangers ignored, pending listed */
static void test_recovery(const char *dir)
{
	struct sm_queue *q = NULL;
	struct sm_qmsg *done = simple_msg(2, 10, 1), *half = simple_msg(3, 10, 2),
	               *fresh = simple_msg(1, 10, 3);
	struct sm_qpending *list = NULL;
	char tmpname[PATH_MAX], p[PATH_MAX];
	char tid[SM_QID_SIZE];
	size_t n = 0;
	static const char *const strangers[] = { "README", "notes.txt", ".tmp-foo", "0123456789ABCDEFGHJK",
		                                 "0123456789abcdefghj" };
	size_t i;
	int kept = 1;

	sm_queue_open(dir, &q, NULL);
	sm_queue_commit(q, done, NULL);
	sm_queue_commit(q, half, NULL);
	sm_queue_commit(q, fresh, NULL);
	sm_queue_update(q, done->id, 0, SM_RCPT_DELIVERED, "250", 1, 0, NULL);
	sm_queue_update(q, done->id, 1, SM_RCPT_FAILED, "550", 1, 0, NULL);
	sm_queue_update(q, half->id, 1, SM_RCPT_DELIVERED, "250", 1, 0, NULL);
	sm_queue_update(q, half->id, 2, SM_RCPT_DEFERRED, "451", 1, 99, NULL);
	sm_queue_newid(tid);
	pathf(tmpname, "%s/.tmp-%s", dir, tid);
	write_file(tmpname, "SMQUEUE1 half written", 0600);
	for (i = 0; i < sizeof(strangers) / sizeof(strangers[0]); i++) {
		pathf(p, "%s/%s", dir, strangers[i]);
		write_file(p, "not a queue file", 0600);
	}
	is_int(sm_queue_recover(q, &list, &n, NULL), SM_QOK, "recover: status");
	ok(!file_exists(tmpname), "recover: leftover temp file removed");
	pathf(p, "%s/%s", dir, done->id);
	ok(!file_exists(p), "recover: fully done message removed");
	is_int((long)n, 2, "recover: two messages with work left");
	ok(n == 2 && strcmp(list[0].id, half->id) == 0 && list[0].nrcpt == 2 && list[0].rcpt[0] == 0 &&
	       list[0].rcpt[1] == 2,
	   "recover: half-done message lists recipients 0 and 2");
	ok(n == 2 && strcmp(list[1].id, fresh->id) == 0 && list[1].nrcpt == 1 && list[1].rcpt[0] == 0,
	   "recover: fresh message lists its recipient");
	for (i = 0; i < sizeof(strangers) / sizeof(strangers[0]); i++) {
		pathf(p, "%s/%s", dir, strangers[i]);
		kept &= file_exists(p);
	}
	ok(kept, "recover: files that are not ours are left alone");
	sm_queue_pending_free(list, n);
	sm_qmsg_free(done);
	sm_qmsg_free(half);
	sm_qmsg_free(fresh);
	sm_queue_close(q);
}

/* test_errors - failure statuses carry errno text */
static void test_errors(void)
{
	struct sm_buf err = SM_BUF_INIT;
	struct sm_queue *q = NULL;

	log_reset();
	is_int(sm_queue_open(in_dir("no/such/dir"), &q, &err), SM_QTEMPFAIL, "open missing dir: temporary");
	ok(q == NULL && strstr(sm_buf_str(&err), strerror(ENOENT)) != NULL, "open missing dir: errno text");
	is_int(log_count("no/such/dir"), 1, "open missing dir: logged once");
	sm_buf_free(&err);
	is_str(sm_qstatus_name(SM_QCORRUPT), "corrupt", "status name");
}

/* bench - 1,000 commits of 1 KiB one by one and in groups of 50 (diag only) */
static void bench(const char *dir1, const char *dir2)
{
	struct sm_qmsg *m[NBENCH];
	enum sm_qstatus st[NGROUP];
	struct sm_queue *q1 = NULL, *q2 = NULL;
	double t0, t1, t2;
	size_t i;
	int good = 1;

	sm_queue_open(dir1, &q1, NULL);
	sm_queue_open(dir2, &q2, NULL);
	for (i = 0; i < NBENCH; i++)
		m[i] = simple_msg(1, BENCH_SIZE, (int)i);
	t0 = now_sec();
	for (i = 0; i < NBENCH; i++)
		good &= sm_queue_commit(q1, m[i], NULL) == SM_QOK;
	t1 = now_sec();
	for (i = 0; i < NBENCH; i++)
		m[i]->id[0] = '\0';
	for (i = 0; i < NBENCH; i += NGROUP)
		good &= sm_queue_commit_group(q2, m + i, NGROUP, st, NULL) == SM_QOK;
	t2 = now_sec();
	ok(good, "benchmark commits succeeded");
	diag("commit %d x %d B: one by one %.3f s (%.0f msg/s); groups of %d %.3f s (%.0f msg/s)", NBENCH,
	     BENCH_SIZE, t1 - t0, NBENCH / (t1 - t0), NGROUP, t2 - t1, NBENCH / (t2 - t1));
	for (i = 0; i < NBENCH; i++)
		sm_qmsg_free(m[i]);
	sm_queue_close(q1);
	sm_queue_close(q2);
}

/* record_types - the record type letters of a queue file up to its 'E' record, into out (size bytes) */
static void record_types(const struct sm_buf *file, char *out, size_t size)
{
	const unsigned char *d = (const unsigned char *)file->data;
	size_t off = 8, k = 0, n;

	while (off + 5 <= file->len && k + 1 < size) {
		out[k++] = (char)d[off];
		if (d[off] == 'E')
			break;
		n = (size_t)d[off + 1] << 24 | (size_t)d[off + 2] << 16 | (size_t)d[off + 3] << 8 |
		    d[off + 4];
		off += 5 + n;
	}
	out[k] = '\0';
}

/* one delivery target case; lengths are explicit so values may hold NUL */
struct target_case {
	const char *name;
	const char *target;
	size_t len;
};

static const struct target_case target_cases[] = {
	{ "plain target", S("smtp:[mx.example.org]:25") },
	{ "empty target", S("") },
	{ "target with NUL, CR, LF and a forged record", S("local\0user\r\nD\x00\x00\x00\x01X\nE") },
	{ "8-bit target", S("|/usr/bin/proc\xff\xfe") },
};

/* test_targets - the 'D' record: round trip, none for an empty target, survives updates and reopen */
static void test_targets(const char *dir)
{
	const size_t nt = sizeof(target_cases) / sizeof(target_cases[0]);
	struct sm_queue *q = NULL;
	struct sm_qmsg *m = simple_msg(nt, 40, 5), *back = NULL;
	struct sm_buf file = SM_BUF_INIT;
	char path[PATH_MAX], types[64];
	size_t i;

	for (i = 0; i < nt; i++)
		sm_buf_add(&m->rcpt[i].target, target_cases[i].target, target_cases[i].len);
	mkdir(dir, 0700);
	is_int(sm_queue_open(dir, &q, NULL), SM_QOK, "target: open queue");
	is_int(sm_queue_commit(q, m, NULL), SM_QOK, "target: commit with 4 targets");
	is_int(sm_queue_load(q, m->id, &back, NULL), SM_QOK, "target: load");
	for (i = 0; i < nt; i++)
		ok(back && back->nrcpt == nt &&
		       buf_is(&back->rcpt[i].target, target_cases[i].target, target_cases[i].len),
		   "target: %s round-trips", target_cases[i].name);
	sm_qmsg_free(back);
	back = NULL;

	/* a 'D' record follows its recipient's 'N', and only when the target is not empty */
	pathf(path, "%s/%s", dir, m->id);
	read_file(path, &file);
	record_types(&file, types, sizeof(types));
	is_str(types, "IFVRTPONDPONPONDPONDBE", "target: no 'D' record for the empty target");

	/* targets survive status records and a reopen */
	is_int(sm_queue_update(q, m->id, 0, SM_RCPT_DEFERRED, "451 later", 1, 77, NULL), SM_QOK,
	       "target: update after commit");
	sm_queue_close(q);
	q = NULL;
	sm_queue_open(dir, &q, NULL);
	is_int(sm_queue_load(q, m->id, &back, NULL), SM_QOK, "target: load after update and reopen");
	ok(back && back->rcpt[0].state == SM_RCPT_DEFERRED &&
	       buf_is(&back->rcpt[0].target, target_cases[0].target, target_cases[0].len) &&
	       buf_is(&back->rcpt[2].target, target_cases[2].target, target_cases[2].len) &&
	       back->rcpt[1].target.len == 0,
	   "target: targets unchanged by the update");
	sm_qmsg_free(back);
	back = NULL;

	/* a message without any target has no 'D' record at all */
	sm_qmsg_free(m);
	m = simple_msg(2, 10, 6);
	is_int(sm_queue_commit(q, m, NULL), SM_QOK, "target: commit without targets");
	pathf(path, "%s/%s", dir, m->id);
	sm_buf_reset(&file);
	read_file(path, &file);
	record_types(&file, types, sizeof(types));
	is_str(types, "IFVRTPONPONBE", "target: no 'D' record without targets");
	is_int(sm_queue_load(q, m->id, &back, NULL), SM_QOK, "target: load without targets");
	ok(back && back->rcpt[0].target.len == 0 && back->rcpt[1].target.len == 0, "target: empty targets");
	sm_qmsg_free(back);
	sm_buf_free(&file);
	sm_qmsg_free(m);
	sm_queue_close(q);
}

/* test_marks - quarantine reason set, replaced, cleared; warned flag; marks and updates together */
static void test_marks(const char *dir)
{
	struct sm_queue *q = NULL;
	struct sm_qmsg *m = simple_msg(2, 30, 8), *back = NULL;
	struct sm_qpending *list = NULL;
	struct sm_buf err = SM_BUF_INIT;
	size_t n = 0;
	char id[SM_QID_SIZE], *shown;
	static const struct {
		const char *name;
		enum sm_qmark mark;
		const char *text;
		const char *quarantine; /* expected afterwards */
		int warned;
	} steps[] = {
		{ "quarantine reason set", SM_QMARK_QUARANTINE, "spam score 12.5", "spam score 12.5", 0 },
		{ "quarantine reason replaced", SM_QMARK_QUARANTINE, "held by\r\nadmin", "held by\r\nadmin",
		  0 },
		{ "warned flag set", SM_QMARK_WARNED, "", "held by\r\nadmin", 1 },
		{ "warned twice", SM_QMARK_WARNED, NULL, "held by\r\nadmin", 1 },
		{ "quarantine cleared with empty text", SM_QMARK_QUARANTINE, "", "", 1 },
		{ "quarantined again", SM_QMARK_QUARANTINE, "again", "again", 1 },
		{ "cleared with NULL text", SM_QMARK_QUARANTINE, NULL, "", 1 },
	};
	size_t i;

	mkdir(dir, 0700);
	sm_queue_open(dir, &q, NULL);
	is_int(sm_queue_commit(q, m, NULL), SM_QOK, "mark: commit");
	memcpy(id, m->id, SM_QID_SIZE);
	is_int(sm_queue_load(q, id, &back, NULL), SM_QOK, "mark: load fresh message");
	ok(back && back->quarantine.len == 0 && back->warned == 0,
	   "mark: fresh message neither quarantined nor warned");
	sm_qmsg_free(back);
	back = NULL;
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		is_int(sm_queue_mark(q, id, steps[i].mark, steps[i].text, NULL), SM_QOK, steps[i].name);
		is_int(sm_queue_load(q, id, &back, NULL), SM_QOK, "  load");
		shown = sm_printable(steps[i].quarantine, strlen(steps[i].quarantine), 40);
		ok(back && buf_is(&back->quarantine, steps[i].quarantine, strlen(steps[i].quarantine)) &&
		       back->warned == steps[i].warned,
		   "  quarantine \"%s\", warned %d", shown, steps[i].warned);
		free(shown);
		ok(back && back->rcpt[0].state == SM_RCPT_PENDING && back->rcpt[1].state == SM_RCPT_PENDING,
		   "  recipients untouched by the mark");
		sm_qmsg_free(back);
		back = NULL;
	}

	/* marks survive later status updates and a reopen */
	is_int(sm_queue_mark(q, id, SM_QMARK_QUARANTINE, "final reason", NULL), SM_QOK,
	       "mark: quarantine again");
	is_int(sm_queue_update(q, id, 0, SM_RCPT_DEFERRED, "451 later", 1, 500, NULL), SM_QOK,
	       "mark: update #0 after marks");
	is_int(sm_queue_update(q, id, 1, SM_RCPT_DELIVERED, "250 ok", 1, 0, NULL), SM_QOK,
	       "mark: update #1 after marks");
	sm_queue_close(q);
	q = NULL;
	sm_queue_open(dir, &q, NULL);
	is_int(sm_queue_load(q, id, &back, NULL), SM_QOK, "mark: load after updates and reopen");
	ok(back && buf_is(&back->quarantine, S("final reason")) && back->warned == 1,
	   "mark: quarantine reason and warned flag survive updates");
	ok(back && back->rcpt[0].state == SM_RCPT_DEFERRED && back->rcpt[0].next_try == 500 &&
	       back->rcpt[1].state == SM_RCPT_DELIVERED,
	   "mark: updates after marks recorded");
	ok(back && buf_is(&back->body, m->body.data, m->body.len), "mark: body intact");
	sm_qmsg_free(back);
	back = NULL;

	/* recovery treats marks as no recipient status */
	is_int(sm_queue_recover(q, &list, &n, NULL), SM_QOK, "mark: recover");
	ok(n == 1 && strcmp(list[0].id, id) == 0 && list[0].nrcpt == 1 && list[0].rcpt[0] == 0,
	   "mark: recovery lists the marked message with its deferred recipient");
	sm_queue_pending_free(list, n);

	/* errors */
	log_reset();
	is_int(sm_queue_mark(q, "0000000000000000000", SM_QMARK_QUARANTINE, "x", &err), SM_QNOTFOUND,
	       "mark: missing id is SM_QNOTFOUND");
	ok(strstr(sm_buf_str(&err), "0000000000000000000") != NULL, "mark: error names the id");
	is_int(log_count("0000000000000000000"), 1, "mark: missing id logged once");
	is_int(sm_queue_mark(q, "../../etc/passwd", SM_QMARK_WARNED, "", NULL), SM_QPERMFAIL,
	       "mark: invalid id is SM_QPERMFAIL");
	is_int(sm_queue_remove(q, id, NULL), SM_QOK, "mark: remove");
	is_int(sm_queue_mark(q, id, SM_QMARK_WARNED, "", NULL), SM_QNOTFOUND,
	       "mark: removed message is SM_QNOTFOUND");
	log_reset();
	sm_buf_free(&err);
	sm_qmsg_free(m);
	sm_queue_close(q);
}

/* main - run every test in a fresh temporary directory */
int main(void)
{
	struct sm_queue *q = NULL;
	const char *tmp = getenv("TMPDIR");
	char tmpl[PATH_MAX];
	char d[6][PATH_MAX];
	static const char *const sub[] = { "rt", "group", "upd", "damage", "rec", "bench1" };
	size_t i;

	pathf(tmpl, "%s/t_queue.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (test_dir_make(tmpl) < 0) {
		ok(0, "test_dir_make: %s", strerror(errno));
		return done_testing();
	}
	for (i = 0; i < 6; i++) {
		pathf(d[i], "%s/%s", test_dir, sub[i]);
		mkdir(d[i], 0700);
	}
	mkdir(in_dir("bench2"), 0700);

	sm_log_sink(log_capture, NULL); /* failures are expected: keep stderr quiet */
	is_int(sm_queue_open(d[0], &q, NULL), SM_QOK, "open queue");
	test_round_trip(q);
	test_big_body(q);
	sm_queue_close(q);
	test_ids();
	test_group(d[1]);
	test_updates(d[2]);
	test_damage(d[3]);
	test_recovery(d[4]);
	test_errors();
	test_targets(in_dir("target"));
	test_marks(in_dir("mark"));
	bench(d[5], in_dir("bench2"));
	test_dir_remove();
	sm_log_sink(NULL, NULL);
	log_reset();
	return done_testing();
}
