/*
 * server/queue.h - the durable mail queue: one self-validating file per message
 *
 * SYNOPSIS
 *	#include "server/queue.h"
 *
 *	enum sm_qstatus sm_queue_open(const char *dir, struct sm_queue **qp, struct sm_buf *err);
 *	void sm_queue_close(struct sm_queue *q);
 *	void sm_queue_newid(char id[SM_QID_SIZE]);
 *	int sm_queue_id_valid(const char *name);
 *
 *	struct sm_qmsg *sm_qmsg_new(void);
 *	struct sm_qrcpt *sm_qmsg_add_rcpt(struct sm_qmsg *m, const char *addr, size_t len);
 *	void sm_qmsg_free(struct sm_qmsg *m);
 *
 *	enum sm_qstatus sm_queue_commit(struct sm_queue *q, struct sm_qmsg *m, struct sm_buf *err);
 *	enum sm_qstatus sm_queue_commit_group(struct sm_queue *q, struct sm_qmsg **m, size_t n,
 *	                                      enum sm_qstatus *st, struct sm_buf *err);
 *	enum sm_qstatus sm_queue_update(struct sm_queue *q, const char *id, size_t rcpt,
 *	                                enum sm_rstate state, const char *reply, unsigned attempts,
 *	                                time_t next_try, struct sm_buf *err);
 *	enum sm_qstatus sm_queue_update_many(struct sm_queue *q, const char *id,
 *	                                     const struct sm_qupdate *u, size_t n, struct sm_buf *err);
 *	enum sm_qstatus sm_queue_mark(struct sm_queue *q, const char *id, enum sm_qmark mark,
 *	                              const char *text, struct sm_buf *err);
 *	enum sm_qstatus sm_queue_load(struct sm_queue *q, const char *id, struct sm_qmsg **mp,
 *	                              struct sm_buf *err);
 *	enum sm_qstatus sm_queue_remove(struct sm_queue *q, const char *id, struct sm_buf *err);
 *	enum sm_qstatus sm_queue_retire(struct sm_queue *q, const char *id, struct sm_buf *err);
 *	enum sm_qstatus sm_queue_list(struct sm_queue *q, char ***ids, size_t *n, struct sm_buf *err);
 *	void sm_queue_ids_free(char **ids, size_t n);
 *	enum sm_qstatus sm_queue_recover(struct sm_queue *q, struct sm_qpending **list, size_t *n,
 *	                                 struct sm_buf *err);
 *	void sm_queue_pending_free(struct sm_qpending *list, size_t n);
 *	const char *sm_qstatus_name(enum sm_qstatus st);
 *
 * DESCRIPTION
 *	The storage layer of the queue; the daemon decides when to call it.
 *	A queue is a directory named by the caller. Each message is the file
 *	<dir>/<id>; it is written as <dir>/.tmp-<id> first. Files whose name
 *	is neither are not ours and are left alone. Damaged messages are moved
 *	to <dir>/corrupt/.
 *
 *	Queue ids are 19 characters of Crockford base-32 (0-9, A-Z without
 *	I L O U): seconds (7), microseconds (4), a process-wide counter (3) and
 *	the pid (5). They sort by creation time, are unique across processes
 *	on one host, and are safe as file names. sm_queue_newid() is
 *	thread-safe.
 *
 *	File format (all integers big-endian). The file starts with the 8
 *	magic bytes "SMQUEUE1", followed by records: a type byte, a 4-byte
 *	length, that many bytes. Values are never interpreted as text, so CR,
 *	LF and NUL in them cannot forge a record. Record types, in this order:
 *	'I' id, 'F' sender, 'V' ENVID, 'R' RET (1 byte, enum sm_ret), 'T'
 *	arrival (8 bytes, seconds), then per recipient 'P' address, 'O'
 *	ORCPT, 'N' NOTIFY (4 bytes, SM_NOTIFY_* bits), and 'D' target (only
 *	when not empty: where acceptance routed it, opaque here), then 'B' body, then
 *	'E' (4 bytes): the CRC-32 of every byte before the 'E' record. That
 *	is the commit unit. After it come zero or more appended status
 *	records 'S': type, length, payload (4 recipient index, 1 state, 4
 *	attempts, 8 next try, the reply text), then the CRC-32 of type,
 *	length and payload. The last valid 'S' for a recipient is its status;
 *	a recipient with none is pending. A status record with the index
 *	0xffffffff is a message mark instead: state 1 (SM_QMARK_QUARANTINE)
 *	sets the quarantine reason to its text (empty text releases the
 *	message), state 2 (SM_QMARK_WARNED) records that a delay warning was
 *	sent. sm_queue_mark() appends one, like sm_queue_update().
 *
 *	A file without a valid 'E' record (torn, truncated, flipped bit,
 *	unknown record, missing field, id not matching its name) is corrupt
 *	and is never returned by sm_queue_load(). A torn or damaged 'S'
 *	record at the end is ignored, and so is everything after it; the
 *	next sm_queue_update() truncates it away before appending.
 *
 * DURABILITY
 *	sm_queue_commit() writes .tmp-<id>, fsync()s it, renames it to <id>
 *	and fsync()s the directory. When (and only when) it returns SM_QOK,
 *	the message survives a crash or power loss: the caller may then send
 *	250. sm_queue_commit_group() does the same for n messages with all
 *	writes first, then all file fsyncs, all renames and a single
 *	directory fsync; message i is durable when st[i] is SM_QOK after the
 *	call returned. A daemon batches concurrent sessions' messages into
 *	one group to share the fsync cost. On any failure the temporary file
 *	(and, if the directory fsync failed, the renamed file) is removed:
 *	the caller answers 4xx and the client retries.
 *
 *	Commit records every recipient as pending (the state, reply,
 *	attempts and next_try given in m are not stored) and keeps one file
 *	descriptor open per message of a group until its fsync.
 *
 *	sm_queue_update() validates the whole file (it reads it, body
 *	included), appends one 'S' record and fsync()s the file; the
 *	update is durable when it returns SM_QOK. A crash during it loses at
 *	most that update, so the recipient is still pending (or deferred)
 *	and is delivered again: never lost, at worst delivered twice. The
 *	caller must not update one message from two threads at once.
 *
 *	sm_queue_update_many() does the same for n recipients with one read,
 *	one append and one fsync; all or none of them are recorded.
 *
 *	sm_queue_remove() unlinks the file and fsync()s the directory.
 *	sm_queue_retire() only unlinks it: for a message whose every
 *	recipient is done, where a crash that brings the file back means a
 *	second delivery, never a loss (Postfix removes delivered queue files
 *	the same way). The next directory fsync (any commit) makes it final.
 *
 *	sm_queue_recover() is for start-up, before any other use: it removes
 *	.tmp-* files, validates every message, moves corrupt ones to
 *	corrupt/, removes messages with no pending or deferred recipient,
 *	and returns the others sorted by id with the indexes of their
 *	undone recipients.
 *
 * WHO FREES WHAT
 *	sm_queue_open() allocates the queue, freed by sm_queue_close().
 *	sm_qmsg_new() and sm_queue_load() return a message freed by
 *	sm_qmsg_free(); sm_qmsg_add_rcpt() returns a pointer into the message,
 *	valid until the next sm_qmsg_add_rcpt() or sm_qmsg_free(). The id
 *	list of sm_queue_list() is freed by sm_queue_ids_free(), the list of
 *	sm_queue_recover() by sm_queue_pending_free().
 *
 * CONFIGURATION
 *	None read here: the caller passes the queue directory.
 *
 * DIAGNOSTICS
 *	Every function that can fail returns an enum sm_qstatus and, unless
 *	it is SM_QOK, appends one line of explanation (queue id, path,
 *	strerror text) to err (which may be NULL) and logs it once at
 *	LOG_ERR. SM_QTEMPFAIL: an operating-system error that may go away
 *	(ENOSPC, EIO, EDQUOT, EMFILE, ...); defer. SM_QPERMFAIL: retrying
 *	cannot help (bad id or argument, a value longer than 4 GiB, EFBIG,
 *	ENAMETOOLONG). SM_QNOTFOUND: no message with that id. SM_QCORRUPT:
 *	the file fails validation (load and update only; recovery moves it
 *	aside and logs it at LOG_CRIT). Recovery logs each removed temporary
 *	file and each finished message at LOG_INFO, with the queue id.
 */
#ifndef SM_QUEUE_H
#define SM_QUEUE_H

#include <stddef.h>
#include <time.h>

#include "lib/buf.h"

#define SM_QID_LEN 19                /* characters in a queue id */
#define SM_QID_SIZE (SM_QID_LEN + 1) /* with the NUL */

/* the outcome of a queue operation */
enum sm_qstatus {
	SM_QOK,       /* done; for commit and update: on stable storage */
	SM_QTEMPFAIL, /* operating-system trouble; try later */
	SM_QPERMFAIL, /* cannot ever succeed */
	SM_QNOTFOUND, /* no such message */
	SM_QCORRUPT   /* the file fails validation */
};

/* RET= of MAIL FROM (RFC 3461) */
enum sm_ret { SM_RET_UNSET, SM_RET_FULL, SM_RET_HDRS };

/* NOTIFY= of RCPT TO (RFC 3461), a bit set; 0 means not given */
#define SM_NOTIFY_NEVER 1u
#define SM_NOTIFY_SUCCESS 2u
#define SM_NOTIFY_FAILURE 4u
#define SM_NOTIFY_DELAY 8u

/* the delivery state of one recipient */
enum sm_rstate {
	SM_RCPT_PENDING,   /* not tried yet */
	SM_RCPT_DELIVERED, /* done */
	SM_RCPT_FAILED,    /* done: bounced, reply says why */
	SM_RCPT_DEFERRED   /* try again at next_try; reply says why */
};

/* message marks, appended like status records */
enum sm_qmark { SM_QMARK_QUARANTINE = 1, SM_QMARK_WARNED = 2 };

/* one recipient; every sm_buf may hold any bytes */
struct sm_qrcpt {
	struct sm_buf addr;
	struct sm_buf orcpt; /* ORCPT=, empty if not given */
	unsigned notify;     /* SM_NOTIFY_* */
	enum sm_rstate state;
	struct sm_buf reply; /* last reply for FAILED and DEFERRED */
	unsigned attempts;
	time_t next_try;
	struct sm_buf target; /* where acceptance routed it (opaque to the queue); may be empty */
};

/* one message: envelope and body */
struct sm_qmsg {
	char id[SM_QID_SIZE]; /* set by commit when empty */
	struct sm_buf sender; /* reverse path, empty for <> */
	struct sm_buf envid;  /* ENVID=, empty if not given */
	enum sm_ret ret;
	time_t arrival; /* set to now by commit when 0 */
	struct sm_qrcpt *rcpt;
	size_t nrcpt;
	struct sm_buf body;
	struct sm_buf quarantine; /* reason; empty when not quarantined */
	int warned;               /* a delay warning was sent */
};

/* one recipient's new status, for sm_queue_update_many() */
struct sm_qupdate {
	size_t rcpt;
	enum sm_rstate state;
	const char *reply;
	unsigned attempts;
	time_t next_try;
};

/* a message found by recovery, with the indexes of its undone recipients */
struct sm_qpending {
	char id[SM_QID_SIZE];
	size_t *rcpt;
	size_t nrcpt;
};

struct sm_queue;

enum sm_qstatus sm_queue_open(const char *dir, struct sm_queue **qp, struct sm_buf *err);
void sm_queue_close(struct sm_queue *q);
void sm_queue_newid(char id[SM_QID_SIZE]);
int sm_queue_id_valid(const char *name);

struct sm_qmsg *sm_qmsg_new(void);
struct sm_qrcpt *sm_qmsg_add_rcpt(struct sm_qmsg *m, const char *addr, size_t len);
void sm_qmsg_free(struct sm_qmsg *m);

enum sm_qstatus sm_queue_commit(struct sm_queue *q, struct sm_qmsg *m, struct sm_buf *err);
enum sm_qstatus sm_queue_commit_group(struct sm_queue *q, struct sm_qmsg **m, size_t n, enum sm_qstatus *st,
                                      struct sm_buf *err);
enum sm_qstatus sm_queue_update(struct sm_queue *q, const char *id, size_t rcpt, enum sm_rstate state,
                                const char *reply, unsigned attempts, time_t next_try, struct sm_buf *err);
enum sm_qstatus sm_queue_update_many(struct sm_queue *q, const char *id, const struct sm_qupdate *u, size_t n,
                                     struct sm_buf *err);
enum sm_qstatus sm_queue_mark(struct sm_queue *q, const char *id, enum sm_qmark mark, const char *text,
                              struct sm_buf *err);
enum sm_qstatus sm_queue_load(struct sm_queue *q, const char *id, struct sm_qmsg **mp, struct sm_buf *err);
enum sm_qstatus sm_queue_remove(struct sm_queue *q, const char *id, struct sm_buf *err);
enum sm_qstatus sm_queue_retire(struct sm_queue *q, const char *id, struct sm_buf *err);
enum sm_qstatus sm_queue_list(struct sm_queue *q, char ***ids, size_t *n, struct sm_buf *err);
void sm_queue_ids_free(char **ids, size_t n);
enum sm_qstatus sm_queue_recover(struct sm_queue *q, struct sm_qpending **list, size_t *n,
                                 struct sm_buf *err);
void sm_queue_pending_free(struct sm_qpending *list, size_t n);
const char *sm_qstatus_name(enum sm_qstatus st);

#endif
