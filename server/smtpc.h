/*
 * server/smtpc.h - the SMTP client: one connection to a remote server, messages over it
 *
 * SYNOPSIS
 *	#include "server/smtpc.h"
 *
 *	struct sm_smtpc *sm_smtpc_open(const char *host, const char *addr,
 *	                               const struct sm_smtpc_opts *o, struct sm_smtpc_reply *fail);
 *	int sm_smtpc_send(struct sm_smtpc *c, const struct sm_smtpc_msg *m,
 *	                  struct sm_smtpc_reply *rcpt, struct sm_smtpc_reply *msg);
 *	int sm_smtpc_usable(const struct sm_smtpc *c);
 *	unsigned sm_smtpc_ext(const struct sm_smtpc *c);
 *	const char *sm_smtpc_host(const struct sm_smtpc *c);
 *	const char *sm_smtpc_addr(const struct sm_smtpc *c);
 *	const struct sm_tls_info *sm_smtpc_tls(const struct sm_smtpc *c);
 *	void sm_smtpc_close(struct sm_smtpc *c, int quit);
 *	void sm_smtpc_reply_free(struct sm_smtpc_reply *r);
 *	void sm_smtpc_stuff(const char *body, size_t len, struct sm_buf *out);
 *
 * DESCRIPTION
 *	sm_smtpc_open() connects to addr (an IPv4 or IPv6 literal) on o->port
 *	within o->connect_timeout, reads the greeting within
 *	o->greeting_timeout, and says EHLO o->helo, falling back to HELO when
 *	EHLO is refused with 5xx. host is the name the address belongs to (the
 *	MX host), kept for messages. It returns a connection ready for a
 *	transaction, or NULL with fail filled:
 *	  - connect refused, unreachable or timed out, greeting or EHLO/HELO
 *	    timed out, connection lost: code 451 (4.4.1 connect, 4.4.2 lost
 *	    or timed out) and a text naming host[addr] and the cause;
 *	  - a greeting or HELO answered 4xx/5xx: that reply (text as sent);
 *	  - a greeting whose first word (the server's name) equals o->helo:
 *	    553 5.3.5 "host[addr] config error: mail loops back to me (MX
 *	    problem?)", with loop set;
 *	  - STARTTLS (below): a failed handshake gives 403 4.7.0
 *	    "host[addr]: TLS handshake failed: reason"; with o->tls_required,
 *	    no STARTTLS offered or STARTTLS refused gives 403 4.7.0 too; a
 *	    cipher with fewer than o->min_bits secret bits gives 454 4.7.0
 *	    "encryption too weak". All are temporary.
 *
 *	STARTTLS. When o->tls (a client context from sm_tls_client_new(),
 *	server/tls.h) is set and the EHLO reply offers STARTTLS, open() sends
 *	STARTTLS; on 220 it discards whatever the server sent beyond that
 *	reply (response injection, security.md 2.2), does the handshake within
 *	o->tls_timeout (0: reply_timeout), and says EHLO again, whose reply
 *	gives the extensions. Any other answer to STARTTLS leaves the session
 *	in plaintext (unless o->tls_required). sm_smtpc_tls() returns the
 *	TLS result of the connection (verify, version, cipher, bits, subject,
 *	issuer of the server's certificate) for a TLS_Srv-like policy, or
 *	NULL when the connection is in plaintext.
 *
 *	sm_smtpc_send() runs one transaction: MAIL FROM:<m->sender> (with
 *	SIZE= when the server offers SIZE, BODY=8BITMIME when the body has
 *	8-bit bytes and the server offers 8BITMIME, RET= and ENVID= when the
 *	server offers DSN and they are set), one RCPT TO per recipient (with
 *	NOTIFY= and ORCPT=rfc822; when the server offers DSN and they are set;
 *	ORCPT and ENVID values are xtext-encoded here, RFC 3461), DATA
 *	and the body. With PIPELINING offered, MAIL, every RCPT and DATA go
 *	in one write (RFC 2920); otherwise each waits for its reply. Each
 *	reply is awaited at most o->reply_timeout. The body is sent with
 *	every line ended by CRLF (a lone LF or lone CR becomes CRLF), NUL
 *	octets dropped, lines starting with "." doubled, and a final CRLF
 *	added when missing, so the body can never end the DATA early or
 *	smuggle a second message. SIZE= is the length of that stuffed body
 *	without the final ".\r\n".
 *	When the server refuses DATA or every recipient, RSET keeps the
 *	connection usable.
 *	Results: rcpt[i] (m->nrcpt entries) gets the reply that decides
 *	recipient i: its RCPT reply when that was not 2xx, else the reply to
 *	the end of data (or to MAIL or DATA when those failed). msg gets the
 *	message-level reply (MAIL, DATA or end of data). A lost connection
 *	or a timeout gives every undecided recipient a 451 4.4.2 reply
 *	naming the stage; so does a malformed reply (bad syntax, bare CR or
 *	LF, NUL, over 64 KiB) or one of a class that cannot answer the
 *	command (3xx to MAIL, 2xx to DATA): a protocol error. A 421 at any
 *	point goes to every undecided recipient. After any of these the
 *	connection is unusable. When every recipient was refused and DATA
 *	was not sent (no PIPELINING), msg gets a copy of the last RCPT
 *	reply. Not sent at all: a recipient holding a control octet (501
 *	5.1.3 for it), a sender holding one (501 5.1.7 for every
 *	recipient), anything on an unusable connection (451 4.4.2 for
 *	every recipient). With m->nrcpt 0 nothing is sent and msg stays
 *	zeroed. Reply texts have control and 8-bit octets shown as "?".
 *	Returns the number of recipients accepted (2xx at the end of data),
 *	0 when none.
 *
 *	sm_smtpc_usable() is 1 while the connection can carry another
 *	transaction (no loss, no timeout, no 421). sm_smtpc_ext() returns the
 *	SM_SMTPC_EXT_* bits of the extensions the server offered.
 *	sm_smtpc_host() and sm_smtpc_addr() return host and addr as given to
 *	open (owned by c). sm_smtpc_close() sends QUIT when quit is set and
 *	the connection is usable (waiting at most o->reply_timeout for its
 *	answer), closes the socket and frees c.
 *	sm_smtpc_stuff() appends to out the body as it goes on the wire
 *	after DATA (line ends, dot-stuffing, final CRLF, then ".\r\n").
 *
 * WHO FREES WHAT
 *	sm_smtpc_open() returns a connection freed by sm_smtpc_close(). The
 *	TLS info of sm_smtpc_tls() belongs to c. o->tls stays the caller's and
 *	must outlive every connection opened with it. The
 *	reply texts in fail, rcpt[] and msg are allocated; the caller frees
 *	each with sm_smtpc_reply_free() (which also zeroes it; a zeroed reply
 *	may be freed again). m and everything it points to stay the caller's.
 *
 * CONFIGURATION
 *	None read here: the caller fills sm_smtpc_opts (HostName, SmtpPort,
 *	ConnectTimeout, GreetingTimeout, ReplyTimeout, StartTLSTimeout and the
 *	client TLS context).
 *
 * DIAGNOSTICS
 *	None logged here: every failure is a reply in the results.
 */
#ifndef SM_SMTPC_H
#define SM_SMTPC_H

#include <stddef.h>

#include "lib/buf.h"
#include "server/tls.h"

#define SM_SMTPC_EXT_PIPELINING 1u
#define SM_SMTPC_EXT_SIZE 2u
#define SM_SMTPC_EXT_8BITMIME 4u
#define SM_SMTPC_EXT_DSN 8u
#define SM_SMTPC_EXT_STARTTLS 16u
#define SM_SMTPC_EXT_ESMTP 32u /* EHLO was accepted (0 after a HELO fallback) */

struct sm_smtpc_opts {
	const char *helo; /* our host name, for EHLO and the loop check */
	int port;
	long connect_timeout; /* seconds; 0 or less means 300 */
	long greeting_timeout;
	long reply_timeout;
	struct sm_tls *tls; /* client context: STARTTLS when offered; NULL: never */
	long tls_timeout;   /* the handshake, seconds; 0 or less: reply_timeout */
	int tls_required;   /* no TLS: 403 4.7.0, the connection is not used */
	int min_bits;       /* fewer secret bits in TLS: 454 4.7.0 encryption too weak */
};

/* one reply: code 0 and text NULL when none */
struct sm_smtpc_reply {
	int code;   /* 250, 451, 550, ... */
	char *text; /* the whole reply, lines joined by " / ", without CRLF */
	int loop;   /* the greeting named us: mail loops back */
};

/* one message for one transaction */
struct sm_smtpc_msg {
	const char *sender; /* reverse path without <>; "" for the null sender */
	size_t nrcpt;
	const char *const *rcpt;  /* addresses without <> */
	const char *const *orcpt; /* ORCPT addresses as queued (decoded), or NULL / NULL entries */
	const unsigned *notify;   /* SM_NOTIFY_* bits per recipient (server/queue.h), or NULL */
	const char *envid;        /* ENVID as queued (decoded), or NULL */
	int ret;                  /* enum sm_ret (server/queue.h) */
	const char *body;         /* headers and body as queued */
	size_t len;
};

struct sm_smtpc;

struct sm_smtpc *sm_smtpc_open(const char *host, const char *addr, const struct sm_smtpc_opts *o,
                               struct sm_smtpc_reply *fail);
int sm_smtpc_send(struct sm_smtpc *c, const struct sm_smtpc_msg *m, struct sm_smtpc_reply *rcpt,
                  struct sm_smtpc_reply *msg);
int sm_smtpc_usable(const struct sm_smtpc *c);
unsigned sm_smtpc_ext(const struct sm_smtpc *c);
const char *sm_smtpc_host(const struct sm_smtpc *c);
const char *sm_smtpc_addr(const struct sm_smtpc *c);
const struct sm_tls_info *sm_smtpc_tls(const struct sm_smtpc *c);
void sm_smtpc_close(struct sm_smtpc *c, int quit);
void sm_smtpc_reply_free(struct sm_smtpc_reply *r);
void sm_smtpc_stuff(const char *body, size_t len, struct sm_buf *out);

#endif
