/*
 * server/queue.c - the durable mail queue: one self-validating file per message
 *
 * See queue.h for the interface, the file format and the durability
 * guarantees. Reads no configuration.
 *
 * DIAGNOSTICS
 *	As in queue.h: every failure is logged once here at LOG_ERR with the
 *	queue id and the native reason, and the same text goes to err.
 *	Recovery logs corrupt files at LOG_CRIT, removed temporary files and
 *	finished messages at LOG_INFO.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "server/queue.h"

#define QMAGIC "SMQUEUE1"
#define QMAGIC_LEN 8
#define QTMP_PREFIX ".tmp-"
#define QTMP_PREFIX_LEN 5
#define QCORRUPT "corrupt"
#define QHDR_LEN 5                      /* type byte + 4-byte length */
#define QCRC_LEN 4                      /* CRC-32 */
#define QSTATUS_FIXED 17                /* index 4, state 1, attempts 4, next try 8 */
#define QMARK_INDEX 0xffffffffu         /* status record index of a message mark */
#define QREC_MAX ((uint64_t)UINT32_MAX) /* longest record value */
#define QFILE_MODE 0600
#define QDIR_MODE 0700

/* record types */
enum {
	REC_ID = 'I',
	REC_SENDER = 'F',
	REC_ENVID = 'V',
	REC_RET = 'R',
	REC_TIME = 'T',
	REC_RCPT = 'P',
	REC_ORCPT = 'O',
	REC_NOTIFY = 'N',
	REC_TARGET = 'D',
	REC_BODY = 'B',
	REC_END = 'E',
	REC_STATUS = 'S'
};

/* an open queue directory */
struct sm_queue {
	char *dir;
	int dirfd;
};

static const char b32[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
static uint32_t crc_table[256];
static int crc_ready;

/* crc_init - fill the CRC-32 (IEEE 802.3, reflected) table once */
static void crc_init(void)
{
	uint32_t c, i, k;

	if (__atomic_load_n(&crc_ready, __ATOMIC_ACQUIRE))
		return;
	for (i = 0; i < 256; i++) {
		c = i;
		for (k = 0; k < 8; k++)
			c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
		crc_table[i] = c;
	}
	__atomic_store_n(&crc_ready, 1, __ATOMIC_RELEASE);
}

/* crc32_of - CRC-32 of n bytes */
static uint32_t crc32_of(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint32_t c = 0xFFFFFFFFu;

	crc_init();
	while (n--)
		c = crc_table[(c ^ *s++) & 0xFF] ^ (c >> 8);
	return c ^ 0xFFFFFFFFu;
}

/* fail - log and record one failure; returns st */
static enum sm_qstatus __attribute__((format(printf, 3, 4)))
fail(struct sm_buf *err, enum sm_qstatus st, const char *fmt, ...)
{
	struct sm_buf line = SM_BUF_INIT;
	char tmp[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	sm_buf_adds(&line, tmp);
	sm_log(st == SM_QCORRUPT ? LOG_CRIT : LOG_ERR, "%s", tmp);
	if (err) {
		if (err->len)
			sm_buf_addc(err, '\n');
		sm_buf_add(err, line.data, line.len);
	}
	sm_buf_free(&line);
	return st;
}

/* errno_status - the queue status for an errno from a system call */
static enum sm_qstatus errno_status(int e)
{
	switch (e) {
	case ENOENT:
		return SM_QNOTFOUND;
	case EFBIG:
	case ENAMETOOLONG:
	case EINVAL:
		return SM_QPERMFAIL;
	default:
		return SM_QTEMPFAIL;
	}
}

/* sm_qstatus_name - a constant name for a status */
const char *sm_qstatus_name(enum sm_qstatus st)
{
	switch (st) {
	case SM_QOK:
		return "ok";
	case SM_QTEMPFAIL:
		return "temporary failure";
	case SM_QPERMFAIL:
		return "permanent failure";
	case SM_QNOTFOUND:
		return "not found";
	case SM_QCORRUPT:
		return "corrupt";
	}
	return "unknown";
}

/* sm_queue_id_valid - is name exactly a queue id */
int sm_queue_id_valid(const char *name)
{
	size_t i;

	for (i = 0; i < SM_QID_LEN; i++)
		if (name[i] == '\0' || strchr(b32, name[i]) == NULL)
			return 0;
	return name[SM_QID_LEN] == '\0';
}

/* put_b32 - value as width base-32 digits, most significant first */
static void put_b32(char *out, uint64_t v, int width)
{
	int i;

	for (i = width - 1; i >= 0; i--) {
		out[i] = b32[v & 31];
		v >>= 5;
	}
}

/* sm_queue_newid - a new unique, sortable queue id */
void sm_queue_newid(char id[SM_QID_SIZE])
{
	static unsigned counter;
	struct timeval tv;
	unsigned c = __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);

	gettimeofday(&tv, NULL);
	put_b32(id, (uint64_t)tv.tv_sec, 7);
	put_b32(id + 7, (uint64_t)tv.tv_usec, 4);
	put_b32(id + 11, c, 3);
	put_b32(id + 14, (uint64_t)getpid(), 5);
	id[SM_QID_LEN] = '\0';
}

/* sm_queue_open - open (creating corrupt/ if needed) the queue in dir; *qp freed by sm_queue_close */
enum sm_qstatus sm_queue_open(const char *dir, struct sm_queue **qp, struct sm_buf *err)
{
	struct sm_queue *q;
	int fd;

	*qp = NULL;
	crc_init();
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return fail(err, errno == ENOENT ? SM_QTEMPFAIL : errno_status(errno), "queue %s: open: %s",
		            dir, strerror(errno));
	if (mkdirat(fd, QCORRUPT, QDIR_MODE) < 0 && errno != EEXIST) {
		int e = errno;

		close(fd);
		return fail(err, errno_status(e), "queue %s: mkdir %s: %s", dir, QCORRUPT, strerror(e));
	}
	q = sm_calloc(1, sizeof(*q));
	q->dir = sm_strdup(dir);
	q->dirfd = fd;
	*qp = q;
	return SM_QOK;
}

/* sm_queue_close - release the queue */
void sm_queue_close(struct sm_queue *q)
{
	if (q == NULL)
		return;
	close(q->dirfd);
	free(q->dir);
	free(q);
}

/* sm_qmsg_new - an empty message; freed by sm_qmsg_free */
struct sm_qmsg *sm_qmsg_new(void)
{
	return sm_calloc(1, sizeof(struct sm_qmsg));
}

/* sm_qmsg_add_rcpt - append a pending recipient; the pointer is into m (see queue.h) */
struct sm_qrcpt *sm_qmsg_add_rcpt(struct sm_qmsg *m, const char *addr, size_t len)
{
	struct sm_qrcpt *r;

	m->rcpt = sm_realloc(m->rcpt, (m->nrcpt + 1) * sizeof(*m->rcpt));
	r = &m->rcpt[m->nrcpt++];
	memset(r, 0, sizeof(*r));
	sm_buf_add(&r->addr, addr, len);
	return r;
}

/* sm_qmsg_free - release a message */
void sm_qmsg_free(struct sm_qmsg *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nrcpt; i++) {
		sm_buf_free(&m->rcpt[i].addr);
		sm_buf_free(&m->rcpt[i].orcpt);
		sm_buf_free(&m->rcpt[i].reply);
		sm_buf_free(&m->rcpt[i].target);
	}
	free(m->rcpt);
	sm_buf_free(&m->sender);
	sm_buf_free(&m->envid);
	sm_buf_free(&m->body);
	sm_buf_free(&m->quarantine);
	free(m);
}

/* put_u32 - append a big-endian 32-bit integer */
static void put_u32(struct sm_buf *b, uint32_t v)
{
	unsigned char x[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8),
		               (unsigned char)v };

	sm_buf_add(b, x, sizeof(x));
}

/* put_u64 - append a big-endian 64-bit integer */
static void put_u64(struct sm_buf *b, uint64_t v)
{
	put_u32(b, (uint32_t)(v >> 32));
	put_u32(b, (uint32_t)v);
}

/* get_u32 - read a big-endian 32-bit integer */
static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* get_u64 - read a big-endian 64-bit integer */
static uint64_t get_u64(const unsigned char *p)
{
	return (uint64_t)get_u32(p) << 32 | get_u32(p + 4);
}

/* put_rec - append one record; -1 if the value is too long for the format */
static int put_rec(struct sm_buf *b, int type, const void *p, size_t n)
{
	if ((uint64_t)n > QREC_MAX)
		return -1;
	sm_buf_addc(b, type);
	put_u32(b, (uint32_t)n);
	sm_buf_add(b, p, n);
	return 0;
}

/* encode - the committed part of m's queue file into b; -1 if a value is too long */
static int encode(const struct sm_qmsg *m, struct sm_buf *b)
{
	unsigned char x[8];
	unsigned char ret = (unsigned char)m->ret;
	uint32_t crc;
	size_t i;
	int bad = 0;

	sm_buf_add(b, QMAGIC, QMAGIC_LEN);
	bad |= put_rec(b, REC_ID, m->id, SM_QID_LEN);
	bad |= put_rec(b, REC_SENDER, m->sender.data, m->sender.len);
	bad |= put_rec(b, REC_ENVID, m->envid.data, m->envid.len);
	bad |= put_rec(b, REC_RET, &ret, 1);
	for (i = 0; i < 8; i++)
		x[i] = (unsigned char)((uint64_t)m->arrival >> (56 - 8 * i));
	bad |= put_rec(b, REC_TIME, x, 8);
	for (i = 0; i < m->nrcpt; i++) {
		const struct sm_qrcpt *r = &m->rcpt[i];
		unsigned char nb[4] = { (unsigned char)(r->notify >> 24), (unsigned char)(r->notify >> 16),
			                (unsigned char)(r->notify >> 8), (unsigned char)r->notify };

		bad |= put_rec(b, REC_RCPT, r->addr.data, r->addr.len);
		bad |= put_rec(b, REC_ORCPT, r->orcpt.data, r->orcpt.len);
		bad |= put_rec(b, REC_NOTIFY, nb, 4);
		if (r->target.len > 0)
			bad |= put_rec(b, REC_TARGET, r->target.data, r->target.len);
	}
	bad |= put_rec(b, REC_BODY, m->body.data, m->body.len);
	crc = crc32_of(b->data, b->len);
	sm_buf_addc(b, REC_END);
	put_u32(b, QCRC_LEN);
	put_u32(b, crc);
	return bad ? -1 : 0;
}

/* encode_status - one appended status record with its CRC into b */
static void encode_status(struct sm_buf *b, size_t rcpt, enum sm_rstate state, const char *reply,
                          unsigned attempts, time_t next_try)
{
	size_t start = b->len, rlen = reply ? strlen(reply) : 0;

	if (rlen > QREC_MAX - QSTATUS_FIXED)
		rlen = QREC_MAX - QSTATUS_FIXED;
	sm_buf_addc(b, REC_STATUS);
	put_u32(b, (uint32_t)(QSTATUS_FIXED + rlen));
	put_u32(b, (uint32_t)rcpt);
	sm_buf_addc(b, (int)state);
	put_u32(b, attempts);
	put_u64(b, (uint64_t)next_try);
	sm_buf_add(b, reply, rlen);
	put_u32(b, crc32_of(b->data + start, b->len - start));
}

/* set_buf - replace b's contents with n bytes */
static void set_buf(struct sm_buf *b, const unsigned char *p, size_t n)
{
	sm_buf_reset(b);
	sm_buf_add(b, p, n);
}

/*
 * decode - parse a whole queue file; *mp (freed by sm_qmsg_free) and *end (offset past the last
 * valid record) on success, 0; -1 with the reason in why
 */
static int decode(const unsigned char *d, size_t len, const char *id, struct sm_qmsg **mp, size_t *end,
                  const char **why)
{
	struct sm_qmsg *m = sm_qmsg_new();
	size_t off = QMAGIC_LEN, n;
	unsigned seen = 0;
	int type, have_body = 0, done = 0;
	enum { S_ID = 1, S_SENDER = 2, S_ENVID = 4, S_RET = 8, S_TIME = 16 };

	*mp = NULL;
	if (len < QMAGIC_LEN || memcmp(d, QMAGIC, QMAGIC_LEN) != 0) {
		*why = "bad magic";
		goto bad;
	}
	while (!done) {
		const unsigned char *v;

		if (len - off < QHDR_LEN) {
			*why = "truncated (no end record)";
			goto bad;
		}
		type = d[off];
		n = get_u32(d + off + 1);
		if (len - off - QHDR_LEN < n) {
			*why = "truncated record";
			goto bad;
		}
		v = d + off + QHDR_LEN;
		if (have_body && type != REC_END) {
			*why = "record after body";
			goto bad;
		}
		switch (type) {
		case REC_ID:
			if (n != SM_QID_LEN || (seen & S_ID) || memcmp(v, id, SM_QID_LEN) != 0) {
				*why = "id record does not match the file name";
				goto bad;
			}
			memcpy(m->id, v, SM_QID_LEN);
			seen |= S_ID;
			break;
		case REC_SENDER:
			set_buf(&m->sender, v, n);
			seen |= S_SENDER;
			break;
		case REC_ENVID:
			set_buf(&m->envid, v, n);
			seen |= S_ENVID;
			break;
		case REC_RET:
			if (n != 1 || v[0] > SM_RET_HDRS) {
				*why = "bad RET record";
				goto bad;
			}
			m->ret = (enum sm_ret)v[0];
			seen |= S_RET;
			break;
		case REC_TIME:
			if (n != 8) {
				*why = "bad time record";
				goto bad;
			}
			m->arrival = (time_t)get_u64(v);
			seen |= S_TIME;
			break;
		case REC_RCPT:
			sm_qmsg_add_rcpt(m, (const char *)v, n);
			break;
		case REC_ORCPT:
			if (m->nrcpt == 0) {
				*why = "ORCPT before recipient";
				goto bad;
			}
			set_buf(&m->rcpt[m->nrcpt - 1].orcpt, v, n);
			break;
		case REC_NOTIFY:
			if (m->nrcpt == 0 || n != 4) {
				*why = "bad NOTIFY record";
				goto bad;
			}
			m->rcpt[m->nrcpt - 1].notify = get_u32(v);
			break;
		case REC_TARGET:
			if (m->nrcpt == 0) {
				*why = "target before recipient";
				goto bad;
			}
			set_buf(&m->rcpt[m->nrcpt - 1].target, v, n);
			break;
		case REC_BODY:
			set_buf(&m->body, v, n);
			have_body = 1;
			break;
		case REC_END:
			if (n != QCRC_LEN || get_u32(v) != crc32_of(d, off)) {
				*why = "checksum mismatch";
				goto bad;
			}
			done = 1;
			break;
		default:
			*why = "unknown record type";
			goto bad;
		}
		off += QHDR_LEN + n;
	}
	if (seen != (S_ID | S_SENDER | S_ENVID | S_RET | S_TIME) || !have_body || m->nrcpt == 0) {
		*why = "missing envelope record";
		goto bad;
	}
	/* appended status records: stop quietly at the first that is torn or damaged */
	while (len - off >= QHDR_LEN + QSTATUS_FIXED + QCRC_LEN && d[off] == REC_STATUS) {
		const unsigned char *v = d + off + QHDR_LEN;
		struct sm_qrcpt *r;
		size_t idx;

		n = get_u32(d + off + 1);
		if (n < QSTATUS_FIXED || len - off - QHDR_LEN - QCRC_LEN < n ||
		    get_u32(v + n) != crc32_of(d + off, QHDR_LEN + n))
			break;
		idx = get_u32(v);
		if (idx == QMARK_INDEX && v[4] == SM_QMARK_QUARANTINE) {
			set_buf(&m->quarantine, v + QSTATUS_FIXED, n - QSTATUS_FIXED);
			off += QHDR_LEN + n + QCRC_LEN;
			continue;
		}
		if (idx == QMARK_INDEX && v[4] == SM_QMARK_WARNED) {
			m->warned = 1;
			off += QHDR_LEN + n + QCRC_LEN;
			continue;
		}
		if (idx >= m->nrcpt || v[4] > SM_RCPT_DEFERRED)
			break;
		r = &m->rcpt[idx];
		r->state = (enum sm_rstate)v[4];
		r->attempts = get_u32(v + 5);
		r->next_try = (time_t)get_u64(v + 9);
		set_buf(&r->reply, v + QSTATUS_FIXED, n - QSTATUS_FIXED);
		off += QHDR_LEN + n + QCRC_LEN;
	}
	*end = off;
	*mp = m;
	return 0;
bad:
	sm_qmsg_free(m);
	return -1;
}

/* write_all - write n bytes at the current offset; 0 or -1 with errno */
static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		if (w == 0) {
			errno = EIO;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* read_fd - the whole of fd into b; 0 or -1 with errno */
static int read_fd(int fd, struct sm_buf *b)
{
	char chunk[65536];
	struct stat st;
	ssize_t r;

	if (fstat(fd, &st) == 0 && st.st_size > 0) {
		/* one read for the expected size, then chunks until EOF */
		sm_buf_add(b, "", 0);
		b->data = sm_realloc(b->data, (size_t)st.st_size + 1);
		b->cap = (size_t)st.st_size + 1;
	}
	for (;;) {
		r = read(fd, chunk, sizeof(chunk));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
		sm_buf_add(b, chunk, (size_t)r);
	}
}

/* sync_dir - fsync the queue directory */
static enum sm_qstatus sync_dir(struct sm_queue *q, struct sm_buf *err)
{
	if (fsync(q->dirfd) < 0)
		return fail(err, errno_status(errno) == SM_QNOTFOUND ? SM_QTEMPFAIL : errno_status(errno),
		            "queue %s: fsync directory: %s", q->dir, strerror(errno));
	return SM_QOK;
}

/* one message of a group commit on its way to disk */
struct pending_write {
	char tmp[QTMP_PREFIX_LEN + SM_QID_SIZE];
	int fd;
	int created; /* the temporary file is ours */
	int renamed;
};

/* begin_write - assign id and time, encode and write m to its temporary file */
static enum sm_qstatus begin_write(struct sm_queue *q, struct sm_qmsg *m, struct pending_write *pw,
                                   struct sm_buf *err)
{
	struct sm_buf b = SM_BUF_INIT;
	int e;

	pw->fd = -1;
	pw->created = 0;
	pw->renamed = 0;
	if (m->id[0] == '\0')
		sm_queue_newid(m->id);
	if (!sm_queue_id_valid(m->id))
		return fail(err, SM_QPERMFAIL, "queue: invalid queue id");
	if (m->nrcpt == 0)
		return fail(err, SM_QPERMFAIL, "queue %s: message without recipients", m->id);
	if (m->arrival == 0)
		m->arrival = time(NULL);
	if (encode(m, &b) < 0) {
		sm_buf_free(&b);
		return fail(err, SM_QPERMFAIL, "queue %s: value too long for the queue file", m->id);
	}
	snprintf(pw->tmp, sizeof(pw->tmp), "%s%s", QTMP_PREFIX, m->id);
	pw->fd = openat(q->dirfd, pw->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, QFILE_MODE);
	if (pw->fd < 0) {
		e = errno;
		sm_buf_free(&b);
		return fail(err, errno_status(e) == SM_QNOTFOUND ? SM_QTEMPFAIL : errno_status(e),
		            "queue %s: create %s/%s: %s", m->id, q->dir, pw->tmp, strerror(e));
	}
	pw->created = 1;
	if (write_all(pw->fd, b.data, b.len) < 0) {
		e = errno;
		sm_buf_free(&b);
		return fail(err, errno_status(e) == SM_QNOTFOUND ? SM_QTEMPFAIL : errno_status(e),
		            "queue %s: write %s/%s: %s", m->id, q->dir, pw->tmp, strerror(e));
	}
	sm_buf_free(&b);
	return SM_QOK;
}

/* abandon - remove what a failed commit left behind */
static void abandon(struct sm_queue *q, const struct sm_qmsg *m, struct pending_write *pw)
{
	if (pw->fd >= 0)
		close(pw->fd);
	pw->fd = -1;
	if (pw->created)
		unlinkat(q->dirfd, pw->renamed ? m->id : pw->tmp, 0);
}

/* sm_queue_commit_group - make n messages durable with one directory fsync; st[i] for each */
enum sm_qstatus sm_queue_commit_group(struct sm_queue *q, struct sm_qmsg **m, size_t n, enum sm_qstatus *st,
                                      struct sm_buf *err)
{
	struct pending_write *pw = sm_calloc(n ? n : 1, sizeof(*pw));
	enum sm_qstatus all = SM_QOK, ds;
	size_t i, live = 0;
	int e;

	for (i = 0; i < n; i++)
		st[i] = begin_write(q, m[i], &pw[i], err);
	for (i = 0; i < n; i++) {
		if (st[i] == SM_QOK && fsync(pw[i].fd) < 0) {
			e = errno;
			st[i] = fail(err, SM_QTEMPFAIL, "queue %s: fsync %s/%s: %s", m[i]->id, q->dir,
			             pw[i].tmp, strerror(e));
		}
		if (st[i] == SM_QOK && close(pw[i].fd) < 0) {
			e = errno;
			st[i] = fail(err, SM_QTEMPFAIL, "queue %s: close %s/%s: %s", m[i]->id, q->dir,
			             pw[i].tmp, strerror(e));
		} else if (st[i] == SM_QOK) {
			pw[i].fd = -1;
		}
	}
	for (i = 0; i < n; i++) {
		if (st[i] != SM_QOK)
			continue;
		if (renameat(q->dirfd, pw[i].tmp, q->dirfd, m[i]->id) < 0) {
			e = errno;
			st[i] = fail(err, SM_QTEMPFAIL, "queue %s: rename %s/%s: %s", m[i]->id, q->dir,
			             pw[i].tmp, strerror(e));
		} else {
			pw[i].renamed = 1;
			live++;
		}
	}
	if (live > 0 && (ds = sync_dir(q, err)) != SM_QOK)
		for (i = 0; i < n; i++)
			if (st[i] == SM_QOK)
				st[i] = ds;
	for (i = 0; i < n; i++) {
		if (st[i] != SM_QOK) {
			abandon(q, m[i], &pw[i]);
			if (all == SM_QOK || all == SM_QPERMFAIL)
				all = st[i];
		}
	}
	free(pw);
	return all;
}

/* sm_queue_commit - make one message durable (see DURABILITY in queue.h) */
enum sm_qstatus sm_queue_commit(struct sm_queue *q, struct sm_qmsg *m, struct sm_buf *err)
{
	enum sm_qstatus st;

	sm_queue_commit_group(q, &m, 1, &st, err);
	return st;
}

/* check_id - SM_QOK if id is a valid queue id, else a logged SM_QPERMFAIL */
static enum sm_qstatus check_id(const char *id, struct sm_buf *err)
{
	char *shown;

	if (id != NULL && sm_queue_id_valid(id))
		return SM_QOK;
	shown = sm_printable(id ? id : "(null)", id ? strlen(id) : 6, 40);
	fail(err, SM_QPERMFAIL, "queue: invalid queue id \"%s\"", shown);
	free(shown);
	return SM_QPERMFAIL;
}

/* load_fd - read and decode the message in the open file fd; *mp freed by sm_qmsg_free */
static enum sm_qstatus load_fd(struct sm_queue *q, int fd, const char *id, struct sm_qmsg **mp, size_t *end,
                               struct sm_buf *err)
{
	struct sm_buf b = SM_BUF_INIT;
	const char *why = NULL;
	int e;

	if (read_fd(fd, &b) < 0) {
		e = errno;
		sm_buf_free(&b);
		return fail(err, SM_QTEMPFAIL, "queue %s: read %s/%s: %s", id, q->dir, id, strerror(e));
	}
	if (decode((const unsigned char *)b.data, b.len, id, mp, end, &why) < 0) {
		sm_buf_free(&b);
		return fail(err, SM_QCORRUPT, "queue %s: %s/%s is corrupt: %s", id, q->dir, id, why);
	}
	sm_buf_free(&b);
	return SM_QOK;
}

/* open_msg - open the file of message id; fd or -1 with a logged status in *st */
static int open_msg(struct sm_queue *q, const char *id, int flags, enum sm_qstatus *st, struct sm_buf *err)
{
	int fd;

	if ((*st = check_id(id, err)) != SM_QOK)
		return -1;
	fd = openat(q->dirfd, id, flags | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		*st = fail(err, errno_status(errno), "queue %s: open %s/%s: %s", id, q->dir, id,
		           strerror(errno));
	return fd;
}

/* sm_queue_load - read message id; *mp freed by sm_qmsg_free */
enum sm_qstatus sm_queue_load(struct sm_queue *q, const char *id, struct sm_qmsg **mp, struct sm_buf *err)
{
	enum sm_qstatus st;
	size_t end;
	int fd;

	*mp = NULL;
	if ((fd = open_msg(q, id, O_RDONLY, &st, err)) < 0)
		return st;
	st = load_fd(q, fd, id, mp, &end, err);
	close(fd);
	return st;
}

/* sm_queue_update - record the new state of one recipient, durably (appended status record) */
/* append_status - validate message id, then append the n status records u and fsync once */
static enum sm_qstatus append_status(struct sm_queue *q, const char *id, const struct sm_qupdate *u, size_t n,
                                     struct sm_buf *err)
{
	struct sm_buf rec = SM_BUF_INIT;
	struct sm_qmsg *m = NULL;
	enum sm_qstatus st;
	size_t end = 0, i;
	int fd, e;

	if ((fd = open_msg(q, id, O_RDWR, &st, err)) < 0)
		return st;
	st = load_fd(q, fd, id, &m, &end, err);
	for (i = 0; st == SM_QOK && i < n; i++) {
		if (u[i].rcpt != QMARK_INDEX && u[i].rcpt >= m->nrcpt)
			st = fail(err, SM_QPERMFAIL, "queue %s: no recipient #%zu", id, u[i].rcpt);
		else
			encode_status(&rec, u[i].rcpt, u[i].state, u[i].reply, u[i].attempts, u[i].next_try);
	}
	if (st == SM_QOK) {
		/* drop a torn record left by a crash, then append */
		if (ftruncate(fd, (off_t)end) < 0 || lseek(fd, (off_t)end, SEEK_SET) < 0 ||
		    write_all(fd, rec.data, rec.len) < 0 || fsync(fd) < 0) {
			e = errno;
			st = fail(err, errno_status(e) == SM_QNOTFOUND ? SM_QTEMPFAIL : errno_status(e),
			          "queue %s: update %s/%s: %s", id, q->dir, id, strerror(e));
		}
	}
	sm_buf_free(&rec);
	sm_qmsg_free(m);
	if (close(fd) < 0 && st == SM_QOK)
		st = fail(err, SM_QTEMPFAIL, "queue %s: close %s/%s: %s", id, q->dir, id, strerror(errno));
	return st;
}

/* sm_queue_update - append recipient rcpt's new status durably */
enum sm_qstatus sm_queue_update(struct sm_queue *q, const char *id, size_t rcpt, enum sm_rstate state,
                                const char *reply, unsigned attempts, time_t next_try, struct sm_buf *err)
{
	struct sm_qupdate u = { rcpt, state, reply, attempts, next_try };

	return sm_queue_update_many(q, id, &u, 1, err);
}

/* sm_queue_update_many - append n recipients' new statuses with one read and one fsync */
enum sm_qstatus sm_queue_update_many(struct sm_queue *q, const char *id, const struct sm_qupdate *u, size_t n,
                                     struct sm_buf *err)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (u[i].rcpt >= QMARK_INDEX)
			return fail(err, SM_QPERMFAIL, "queue %s: no recipient #%zu", id, u[i].rcpt);
	return append_status(q, id, u, n, err);
}

/* sm_queue_mark - append a message mark (quarantine reason, warning sent) durably */
enum sm_qstatus sm_queue_mark(struct sm_queue *q, const char *id, enum sm_qmark mark, const char *text,
                              struct sm_buf *err)
{
	struct sm_qupdate u = { QMARK_INDEX, (enum sm_rstate)mark, text, 0, 0 };

	return append_status(q, id, &u, 1, err);
}

/* sm_queue_remove - delete message id durably */
enum sm_qstatus sm_queue_remove(struct sm_queue *q, const char *id, struct sm_buf *err)
{
	enum sm_qstatus st;

	if ((st = sm_queue_retire(q, id, err)) != SM_QOK)
		return st;
	return sync_dir(q, err);
}

/* sm_queue_retire - delete message id without waiting for the directory to reach the disk */
enum sm_qstatus sm_queue_retire(struct sm_queue *q, const char *id, struct sm_buf *err)
{
	enum sm_qstatus st;

	if ((st = check_id(id, err)) != SM_QOK)
		return st;
	if (unlinkat(q->dirfd, id, 0) < 0)
		return fail(err, errno_status(errno), "queue %s: remove %s/%s: %s", id, q->dir, id,
		            strerror(errno));
	return SM_QOK;
}

/* cmp_ids - qsort comparison of id strings */
static int cmp_ids(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* scan - the sorted names in the queue directory that are ids, or (tmp) temporary files; freed by caller */
static enum sm_qstatus scan(struct sm_queue *q, int tmp, char ***ids, size_t *n, struct sm_buf *err)
{
	struct dirent *de;
	char **v = NULL;
	size_t cnt = 0;
	DIR *d;
	int fd = openat(q->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	*ids = NULL;
	*n = 0;
	if (fd < 0 || (d = fdopendir(fd)) == NULL) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return fail(err, SM_QTEMPFAIL, "queue %s: opendir: %s", q->dir, strerror(e));
	}
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		const char *name = de->d_name;

		if (tmp) {
			if (strncmp(name, QTMP_PREFIX, QTMP_PREFIX_LEN) != 0 ||
			    !sm_queue_id_valid(name + QTMP_PREFIX_LEN))
				continue;
		} else if (!sm_queue_id_valid(name)) {
			continue;
		}
		v = sm_realloc(v, (cnt + 1) * sizeof(*v));
		v[cnt++] = sm_strdup(name);
		errno = 0;
	}
	if (errno != 0) {
		int e = errno;

		closedir(d);
		sm_queue_ids_free(v, cnt);
		return fail(err, SM_QTEMPFAIL, "queue %s: readdir: %s", q->dir, strerror(e));
	}
	closedir(d);
	if (cnt > 1)
		qsort(v, cnt, sizeof(*v), cmp_ids);
	*ids = v;
	*n = cnt;
	return SM_QOK;
}

/* sm_queue_list - the ids of the queued messages, sorted; freed by sm_queue_ids_free */
enum sm_qstatus sm_queue_list(struct sm_queue *q, char ***ids, size_t *n, struct sm_buf *err)
{
	return scan(q, 0, ids, n, err);
}

/* sm_queue_ids_free - release an id list */
void sm_queue_ids_free(char **ids, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

/* sm_queue_pending_free - release a recovery list */
void sm_queue_pending_free(struct sm_qpending *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(list[i].rcpt);
	free(list);
}

/* move_aside - rename a corrupt message into corrupt/ */
static enum sm_qstatus move_aside(struct sm_queue *q, const char *id, struct sm_buf *err)
{
	char to[sizeof(QCORRUPT) + SM_QID_SIZE];

	snprintf(to, sizeof(to), "%s/%s", QCORRUPT, id);
	if (renameat(q->dirfd, id, q->dirfd, to) < 0)
		return fail(err, SM_QTEMPFAIL, "queue %s: move %s/%s to %s/%s: %s", id, q->dir, id, q->dir,
		            to, strerror(errno));
	sm_log(LOG_CRIT, "queue %s: moved corrupt file to %s/%s", id, q->dir, to);
	return SM_QOK;
}

/* sm_queue_recover - start-up recovery (see queue.h); *list freed by sm_queue_pending_free */
enum sm_qstatus sm_queue_recover(struct sm_queue *q, struct sm_qpending **list, size_t *n, struct sm_buf *err)
{
	struct sm_qpending *out = NULL;
	enum sm_qstatus st, worst = SM_QOK;
	size_t i, k, cnt = 0, nn;
	char **names;
	int changed = 0;

	*list = NULL;
	*n = 0;
	if ((st = scan(q, 1, &names, &nn, err)) != SM_QOK)
		return st;
	for (i = 0; i < nn; i++) {
		if (unlinkat(q->dirfd, names[i], 0) < 0 && errno != ENOENT) {
			worst = fail(err, SM_QTEMPFAIL, "queue %s: remove %s/%s: %s",
			             names[i] + QTMP_PREFIX_LEN, q->dir, names[i], strerror(errno));
			continue;
		}
		changed = 1;
		sm_log(LOG_INFO, "queue %s: removed unfinished %s/%s", names[i] + QTMP_PREFIX_LEN, q->dir,
		       names[i]);
	}
	sm_queue_ids_free(names, nn);
	if ((st = scan(q, 0, &names, &nn, err)) != SM_QOK)
		return st;
	for (i = 0; i < nn; i++) {
		struct sm_qmsg *m = NULL;
		size_t undone = 0;

		st = sm_queue_load(q, names[i], &m, err);
		switch (st) {
		case SM_QOK:
			break;
		case SM_QCORRUPT:
			if ((st = move_aside(q, names[i], err)) != SM_QOK)
				worst = st;
			changed = 1;
			continue;
		case SM_QNOTFOUND:
			continue;
		case SM_QTEMPFAIL:
		case SM_QPERMFAIL:
			worst = st;
			continue;
		}
		for (k = 0; k < m->nrcpt; k++)
			if (m->rcpt[k].state == SM_RCPT_PENDING || m->rcpt[k].state == SM_RCPT_DEFERRED)
				undone++;
		if (undone == 0) {
			if (unlinkat(q->dirfd, names[i], 0) < 0) {
				worst = fail(err, SM_QTEMPFAIL, "queue %s: remove %s/%s: %s", names[i],
				             q->dir, names[i], strerror(errno));
			} else {
				changed = 1;
				sm_log(LOG_INFO, "queue %s: all recipients done, removed", names[i]);
			}
			sm_qmsg_free(m);
			continue;
		}
		out = sm_realloc(out, (cnt + 1) * sizeof(*out));
		memcpy(out[cnt].id, names[i], SM_QID_SIZE);
		out[cnt].rcpt = sm_calloc(undone, sizeof(size_t));
		out[cnt].nrcpt = 0;
		for (k = 0; k < m->nrcpt; k++)
			if (m->rcpt[k].state == SM_RCPT_PENDING || m->rcpt[k].state == SM_RCPT_DEFERRED)
				out[cnt].rcpt[out[cnt].nrcpt++] = k;
		cnt++;
		sm_qmsg_free(m);
	}
	sm_queue_ids_free(names, nn);
	if (changed && (st = sync_dir(q, err)) != SM_QOK)
		worst = st;
	*list = out;
	*n = cnt;
	return worst;
}
