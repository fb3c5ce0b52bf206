/*
 * server/smtpc.c - the SMTP client: one connection to a remote server, messages over it
 *
 * SYNOPSIS
 *	See server/smtpc.h.
 *
 * DESCRIPTION
 *	A blocking client built on poll(): the socket is non-blocking from
 *	the start and every wait has a deadline, so no call blocks longer
 *	than the timeout it was given. Connecting waits at most
 *	connect_timeout; the greeting must be complete within
 *	greeting_timeout and every other reply within reply_timeout (the
 *	whole reply, so a server trickling bytes cannot stretch it). A write
 *	must make progress at least once per reply_timeout; while writing,
 *	whatever the server sends is read ahead into the input buffer (up to
 *	1 MiB), so a long pipelined group cannot deadlock against a server
 *	that answers while we still write. A timeout of 0 or less means 300
 *	seconds. Writes use MSG_NOSIGNAL: a closed peer is an error, never
 *	SIGPIPE.
 *
 *	Replies. A reply is one or more lines "ddd-text" ending with one
 *	"ddd text" or "ddd", each ended by CRLF, all with the same code,
 *	whose first digit is 2 to 5. Anything else (bare CR or LF, NUL, a
 *	code that changes, a reply over 64 KiB) is a protocol error: the
 *	connection becomes unusable and the pending results get 451 4.4.2.
 *	A reply class that cannot answer the command (a 3xx to MAIL, a 2xx
 *	to DATA) is a protocol error too. In reply texts, control and 8-bit
 *	octets become "?", so a text can go into a queue file or a DSN as it
 *	is.
 *
 *	The body on the wire (sm_smtpc_stuff): CRLF, a lone CR and a lone LF
 *	each end a line and are sent as CRLF; NUL octets are dropped (RFC
 *	5322 forbids them, and a server that drops them itself could see a
 *	line start with "." that was not doubled); a line starting with "."
 *	gets a second "."; a last line without an end gets CRLF; then ".\r\n".
 *	So the only CRLF "." CRLF in what is sent is the final one. SIZE= is
 *	the length of that stuffed body without the final ".\r\n" (RFC 1870
 *	does not count the doubled dots; counting them only overestimates).
 *
 *	When every recipient was refused and DATA was not sent (no
 *	PIPELINING), msg gets a copy of the last RCPT reply. A sender or
 *	recipient holding a control octet is not sent: it gets 501 5.1.7
 *	(sender; then every recipient) or 501 5.1.3 (that recipient). An
 *	unusable connection gives every recipient 451 4.4.2 at once.
 *
 *	STARTTLS. With a client context (o->tls) and STARTTLS in the EHLO
 *	reply, open() sends STARTTLS; after 220 everything already received
 *	is thrown away (a server, or a man in the middle, could have put
 *	replies there that would be read as if they came inside TLS: Exim's
 *	CVE-2021-38371), the handshake runs within o->tls_timeout, and EHLO
 *	is said again over TLS; from then on every read and write goes through
 *	c->tls. A refused STARTTLS leaves the session in plaintext unless
 *	o->tls_required.
 *
 * CONFIGURATION
 *	None: the caller passes struct sm_smtpc_opts.
 *
 * DIAGNOSTICS
 *	Nothing is logged; every failure is a reply in the results, with
 *	host[addr] and the cause in its text. Allocation failure aborts
 *	(lib/mem.h).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/mem.h"
#include "server/queue.h"
#include "server/smtpc.h"
#include "server/tls.h"

#define REPLY_MAX 65536        /* one reply, every line with its CRLF */
#define READ_AHEAD_MAX 1048576 /* input buffered while we write */
#define READ_CHUNK 16384       /* one recv() */
#define DEFAULT_TIMEOUT 300    /* seconds, for a timeout of 0 or less */
#define SMTP_PORT_MAX 65535
#define B(s) s, sizeof(s) - 1 /* a string literal and its length */

/* what an I/O step came to */
enum io { IO_OK, IO_TIMEOUT, IO_LOST, IO_PROTO };

struct sm_smtpc {
	int fd;
	char *host;
	char *addr;
	char *helo;
	long reply_ms;
	unsigned ext;
	int usable;
	int eof;          /* the server closed its side */
	int err;          /* errno of the last failed call, 0 if none */
	struct sm_buf in; /* received, not yet parsed from inpos on */
	size_t inpos;
	struct sm_tls_conn *tls;     /* after a handshake; NULL in plaintext */
	struct sm_tls_info tls_info; /* verify NONE without TLS */
};

/* timeout_ms - seconds as given in the options, as milliseconds */
static long timeout_ms(long seconds)
{
	if (seconds <= 0)
		seconds = DEFAULT_TIMEOUT;
	if (seconds > 86400)
		seconds = 86400;
	return seconds * 1000;
}

/* wait_fd - poll fd for events until deadline; revents, 0 on timeout, -1 on error (errno) */
static int wait_fd(int fd, short events, long long deadline)
{
	struct pollfd p;
	long long left;
	int n;

	for (;;) {
		left = deadline - sm_clock_ms();
		if (left < 0)
			left = 0;
		p.fd = fd;
		p.events = events;
		p.revents = 0;
		n = poll(&p, 1, (int)left);
		if (n > 0)
			return p.revents;
		if (n == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

/* set_reply - r becomes code and a new copy of text */
static void set_reply(struct sm_smtpc_reply *r, int code, const char *text)
{
	free(r->text);
	r->code = code;
	r->text = sm_strdup(text);
	r->loop = 0;
}

/* copy_reply - dst becomes a copy of src */
static void copy_reply(struct sm_smtpc_reply *dst, const struct sm_smtpc_reply *src)
{
	set_reply(dst, src->code, src->text ? src->text : "");
	dst->loop = src->loop;
}

/* sm_smtpc_reply_free - free the text of r and zero it; a zeroed reply may be freed again */
void sm_smtpc_reply_free(struct sm_smtpc_reply *r)
{
	if (r == NULL)
		return;
	free(r->text);
	r->text = NULL;
	r->code = 0;
	r->loop = 0;
}

/* io_fail - r becomes the 451 4.4.2 reply for an I/O failure during stage; c is unusable after it */
static void io_fail(struct sm_smtpc *c, enum io st, const char *stage, struct sm_smtpc_reply *r)
{
	char *text = NULL;

	c->usable = 0;
	switch (st) {
	case IO_TIMEOUT:
		text = sm_asprintf("451 4.4.2 %s[%s]: timed out %s", c->host, c->addr, stage);
		break;
	case IO_LOST:
		if (c->err != 0)
			text = sm_asprintf("451 4.4.2 %s[%s]: lost connection %s: %s", c->host, c->addr,
			                   stage, strerror(c->err));
		else
			text = sm_asprintf("451 4.4.2 %s[%s]: lost connection %s", c->host, c->addr, stage);
		break;
	case IO_PROTO:
		text = sm_asprintf("451 4.4.2 %s[%s]: protocol error: malformed or unexpected reply %s",
		                   c->host, c->addr, stage);
		break;
	case IO_OK:
		text = sm_asprintf("451 4.4.2 %s[%s]: internal error %s", c->host, c->addr, stage);
		break;
	}
	free(r->text);
	r->code = 451;
	r->text = text;
	r->loop = 0;
}

/* read_some - one recv() into c->in; IO_OK, IO_LOST (eof or error); never blocks */
static enum io read_some(struct sm_smtpc *c)
{
	char chunk[READ_CHUNK];
	ssize_t n;

	if (c->inpos > 0 && c->inpos == c->in.len) {
		c->in.len = 0;
		c->inpos = 0;
	} else if (c->inpos > REPLY_MAX) {
		memmove(c->in.data, c->in.data + c->inpos, c->in.len - c->inpos);
		c->in.len -= c->inpos;
		c->inpos = 0;
	}
	if (c->tls) {
		size_t got = 0;
		enum sm_tls_io st = sm_tls_read(c->tls, chunk, sizeof(chunk), &got);

		if (got > 0)
			sm_buf_add(&c->in, chunk, got);
		if (st == SM_TLS_IO_OK || st == SM_TLS_IO_WANT_READ || st == SM_TLS_IO_WANT_WRITE)
			return IO_OK;
		c->eof = 1;
		return IO_LOST;
	}
	for (;;) {
		n = recv(c->fd, chunk, sizeof(chunk), MSG_DONTWAIT);
		if (n > 0) {
			sm_buf_add(&c->in, chunk, (size_t)n);
			return IO_OK;
		}
		if (n == 0) {
			c->eof = 1;
			return IO_LOST;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return IO_OK;
		c->err = errno;
		c->eof = 1;
		return IO_LOST;
	}
}

/* add_clean - append p[0..n) to b with control and 8-bit octets shown as '?' */
static void add_clean(struct sm_buf *b, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];

		sm_buf_addc(b, (ch < 0x20 || ch >= 0x7f) ? '?' : ch);
	}
}

/*
 * parse_reply - take one complete reply from the input: 1 (r filled, lines
 * gets each line's text after the code and separator, NUL-ended, when not
 * NULL), 0 when incomplete, -1 when malformed
 */
static int parse_reply(struct sm_smtpc *c, struct sm_smtpc_reply *r, struct sm_buf *lines)
{
	const char *p;
	size_t n = c->in.len - c->inpos, off = 0, ll, i;
	struct sm_buf text = SM_BUF_INIT;
	int code = 0, this_code;

	if (n == 0)
		return 0;
	p = c->in.data + c->inpos;
	for (;;) {
		const char *line = p + off;
		const char *nl = memchr(line, '\n', n - off);

		if (nl == NULL) {
			sm_buf_free(&text);
			return n > REPLY_MAX ? -1 : 0;
		}
		ll = (size_t)(nl - line); /* up to the LF */
		if (off + ll + 1 > REPLY_MAX || ll < 4 || line[ll - 1] != '\r')
			goto bad;
		ll--; /* without the CR */
		for (i = 0; i < ll; i++)
			if (line[i] == '\r' || line[i] == '\0')
				goto bad;
		if (line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '9' || line[2] < '0' ||
		    line[2] > '9' || (ll > 3 && line[3] != ' ' && line[3] != '-'))
			goto bad;
		this_code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
		if (code != 0 && this_code != code)
			goto bad;
		code = this_code;
		if (text.len > 0)
			sm_buf_adds(&text, " / ");
		add_clean(&text, line, ll);
		if (lines) {
			if (ll > 4)
				add_clean(lines, line + 4, ll - 4);
			sm_buf_addc(lines, '\0');
		}
		off += (size_t)(nl - line) + 1;
		if (ll == 3 || line[3] == ' ')
			break;
	}
	c->inpos += off;
	free(r->text);
	r->code = code;
	r->text = sm_buf_steal(&text);
	r->loop = 0;
	return 1;
bad:
	sm_buf_free(&text);
	return -1;
}

/* read_reply - the next reply within ms milliseconds; IO_OK with r filled, or why not */
static enum io read_reply(struct sm_smtpc *c, long ms, struct sm_smtpc_reply *r, struct sm_buf *lines)
{
	long long deadline = sm_clock_ms() + ms;
	int ev;

	for (;;) {
		if (lines)
			lines->len = 0;
		switch (parse_reply(c, r, lines)) {
		case 1:
			return IO_OK;
		case -1:
			return IO_PROTO;
		default:
			break;
		}
		if (c->eof)
			return IO_LOST;
		if (c->tls && sm_tls_pending(c->tls)) {
			(void)read_some(c); /* decrypted already: the socket would not signal it */
			continue;
		}
		ev = wait_fd(c->fd, POLLIN, deadline);
		if (ev == 0)
			return IO_TIMEOUT;
		if (ev < 0) {
			c->err = errno;
			return IO_LOST;
		}
		(void)read_some(c); /* an eof shows on the next turn */
	}
}

/* send_all - write p[0..n), reading ahead meanwhile; each step must progress within reply_ms */
static enum io send_all(struct sm_smtpc *c, const char *p, size_t n)
{
	long long deadline = sm_clock_ms() + c->reply_ms;
	short events;
	ssize_t w;
	int ev;

	while (n > 0) {
		events = POLLOUT;
		if (!c->eof && c->in.len - c->inpos < READ_AHEAD_MAX)
			events |= POLLIN;
		ev = wait_fd(c->fd, events, deadline);
		if (ev == 0)
			return IO_TIMEOUT;
		if (ev < 0) {
			c->err = errno;
			return IO_LOST;
		}
		if ((ev & POLLIN) && (events & POLLIN))
			(void)read_some(c); /* an eof shows on the next send */
		if (!(ev & (POLLOUT | POLLERR | POLLHUP)))
			continue;
		if (c->tls) {
			size_t put = 0;
			enum sm_tls_io st = sm_tls_write(c->tls, p, n, &put);

			if (st == SM_TLS_IO_EOF || st == SM_TLS_IO_ERROR) {
				c->err = 0;
				return IO_LOST;
			}
			if (put > 0) {
				p += put;
				n -= put;
				deadline = sm_clock_ms() + c->reply_ms;
			}
			continue;
		}
		w = send(c->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
				continue;
			c->err = errno;
			return IO_LOST;
		}
		p += w;
		n -= (size_t)w;
		deadline = sm_clock_ms() + c->reply_ms;
	}
	return IO_OK;
}

/* send_str - send_all of a C string */
static enum io send_str(struct sm_smtpc *c, const char *s)
{
	return send_all(c, s, strlen(s));
}

/* has_ctl - s holds an octet below 0x20 or DEL */
static int has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* parse_addr - an IPv4 or IPv6 literal (brackets and "IPv6:" allowed) into ss; its length or 0 */
static socklen_t parse_addr(const char *addr, int port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	char tmp[INET6_ADDRSTRLEN + 8];
	size_t n = strlen(addr);

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((unsigned short)port);
		return sizeof(*s4);
	}
	if (n >= 2 && addr[0] == '[' && addr[n - 1] == ']') {
		addr++;
		n -= 2;
	}
	if (n >= 5 && strncasecmp(addr, "IPv6:", 5) == 0) {
		addr += 5;
		n -= 5;
	}
	if (n >= sizeof(tmp))
		return 0;
	memcpy(tmp, addr, n);
	tmp[n] = '\0';
	if (inet_pton(AF_INET6, tmp, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((unsigned short)port);
		return sizeof(*s6);
	}
	return 0;
}

/* connect_to - a connected non-blocking socket in c->fd; 0, or -1 with fail set (4.4.1) */
static int connect_to(struct sm_smtpc *c, int port, long ms, struct sm_smtpc_reply *fail)
{
	struct sockaddr_storage ss;
	socklen_t sl = parse_addr(c->addr, port, &ss), el;
	int ev, soerr = 0;
	const char *why = NULL;

	if (port <= 0 || port > SMTP_PORT_MAX)
		why = "bad port number";
	else if (sl == 0)
		why = "not an IP address";
	if (why) {
		fail->text = sm_asprintf("451 4.4.1 %s[%s]: %s", c->host, c->addr, why);
		fail->code = 451;
		return -1;
	}
	c->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		soerr = errno;
		goto failed;
	}
	if (connect(c->fd, (struct sockaddr *)&ss, sl) == 0)
		return 0;
	if (errno != EINPROGRESS && errno != EINTR) {
		soerr = errno;
		goto failed;
	}
	ev = wait_fd(c->fd, POLLOUT, sm_clock_ms() + ms);
	if (ev == 0) {
		soerr = ETIMEDOUT;
		goto failed;
	}
	if (ev < 0) {
		soerr = errno;
		goto failed;
	}
	el = sizeof(soerr);
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &el) != 0)
		soerr = errno;
	if (soerr == 0)
		return 0;
failed:
	fail->code = 451;
	fail->text = sm_asprintf("451 4.4.1 %s[%s]: connect to port %d: %s", c->host, c->addr, port,
	                         soerr == ETIMEDOUT ? "timed out" : strerror(soerr));
	return -1;
}

/* parse_ehlo - the extension bits of an EHLO reply's lines (NUL-separated, the first is the greeting) */
static unsigned parse_ehlo(const struct sm_buf *lines)
{
	static const struct {
		const char *word;
		unsigned bit;
	} known[] = {
		{ "PIPELINING", SM_SMTPC_EXT_PIPELINING }, { "SIZE", SM_SMTPC_EXT_SIZE },
		{ "8BITMIME", SM_SMTPC_EXT_8BITMIME },     { "DSN", SM_SMTPC_EXT_DSN },
		{ "STARTTLS", SM_SMTPC_EXT_STARTTLS },
	};
	unsigned ext = SM_SMTPC_EXT_ESMTP;
	size_t off = 0, k, wl;
	int first = 1;

	while (off < lines->len) {
		const char *l = lines->data + off;
		size_t ll = strlen(l);

		off += ll + 1;
		if (first) {
			first = 0;
			continue;
		}
		wl = strcspn(l, " ");
		for (k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			if (strlen(known[k].word) == wl && strncasecmp(l, known[k].word, wl) == 0)
				ext |= known[k].bit;
	}
	return ext;
}

/* drop - close the socket and free c */
static void drop(struct sm_smtpc *c)
{
	sm_tls_conn_free(c->tls);
	if (c->fd >= 0)
		close(c->fd);
	free(c->host);
	free(c->addr);
	free(c->helo);
	sm_buf_free(&c->in);
	free(c);
}

/* say_quit - send QUIT and wait at most reply_ms for its answer, which is ignored */
static void say_quit(struct sm_smtpc *c)
{
	struct sm_smtpc_reply r = { 0, NULL, 0 };

	if (send_str(c, "QUIT\r\n") == IO_OK)
		(void)read_reply(c, c->reply_ms, &r, NULL);
	sm_smtpc_reply_free(&r);
}

/* first_word_is - the first word of a greeting (after "ddd " or "ddd-") equals name, ignoring case */
static int first_word_is(const char *text, const char *name)
{
	size_t wl;

	if (strlen(text) <= 4)
		return 0;
	text += 4;
	wl = strcspn(text, " ");
	return wl > 0 && wl == strlen(name) && strncasecmp(text, name, wl) == 0;
}

/* what starttls() came to */
enum tls_step {
	TLS_STEP_OK, /* in TLS with a fresh EHLO, or left in plaintext; fail set if the caller must give up */
	TLS_STEP_QUIT, /* fail set; QUIT can still be said */
	TLS_STEP_DROP, /* fail set; the connection cannot carry anything more */
};

/* handshake - drive the client handshake until ms pass; 0, or -1 with why set */
static int handshake(struct sm_smtpc *c, long ms, const char **why)
{
	long long deadline = sm_clock_ms() + ms;
	int ev;

	for (;;) {
		switch (sm_tls_handshake(c->tls)) {
		case SM_TLS_IO_OK:
			return 0;
		case SM_TLS_IO_WANT_READ:
			ev = wait_fd(c->fd, POLLIN, deadline);
			break;
		case SM_TLS_IO_WANT_WRITE:
			ev = wait_fd(c->fd, POLLOUT, deadline);
			break;
		case SM_TLS_IO_EOF:
		case SM_TLS_IO_ERROR:
			*why = sm_tls_conn_error(c->tls);
			return -1;
		}
		if (ev == 0) {
			*why = "timed out";
			return -1;
		}
		if (ev < 0) {
			*why = strerror(errno);
			return -1;
		}
	}
}

/* starttls - STARTTLS, the handshake and EHLO again (see the top of this file) */
static enum tls_step starttls(struct sm_smtpc *c, const struct sm_smtpc_opts *o, struct sm_smtpc_reply *fail)
{
	struct sm_smtpc_reply r = { 0, NULL, 0 };
	struct sm_buf lines = SM_BUF_INIT;
	const char *why = NULL;
	enum tls_step ret = TLS_STEP_OK;
	enum io st;
	char *cmd;
	int one = 1;

	st = send_str(c, "STARTTLS\r\n");
	if (st == IO_OK)
		st = read_reply(c, c->reply_ms, &r, NULL);
	if (st != IO_OK) {
		io_fail(c, st, "after STARTTLS", fail);
		return TLS_STEP_DROP;
	}
	if (r.code != 220) {
		if (r.code == 421) {
			*fail = r;
			c->usable = 0;
			return TLS_STEP_DROP;
		}
		if (o->tls_required) {
			fail->code = 403;
			fail->text =
			    sm_asprintf("403 4.7.0 %s[%s]: STARTTLS refused: %s", c->host, c->addr, r.text);
			ret = TLS_STEP_QUIT;
		}
		sm_smtpc_reply_free(&r);
		return ret;
	}
	sm_smtpc_reply_free(&r);
	/* nothing received before the handshake may count as coming from inside TLS */
	c->in.len = 0;
	c->inpos = 0;
	/* a handshake flight is several small writes: Nagle would hold them for the peer's delayed ACK */
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->tls = sm_tls_conn_new(o->tls, c->fd);
	if (c->tls == NULL) {
		c->tls_info.verify = SM_TLS_SOFTWARE;
		why = "cannot set up a TLS connection";
	} else if (handshake(c, timeout_ms(o->tls_timeout > 0 ? o->tls_timeout : o->reply_timeout), &why) <
	           0) {
		c->tls_info.verify = SM_TLS_PROTOCOL;
	} else {
		sm_tls_conn_info(c->tls, &c->tls_info);
	}
	if (why != NULL) {
		c->usable = 0;
		fail->code = 403;
		fail->text = sm_asprintf("403 4.7.0 %s[%s]: TLS handshake failed: %s", c->host, c->addr, why);
		return TLS_STEP_DROP;
	}
	if (c->tls_info.bits < o->min_bits) {
		fail->code = 454;
		fail->text = sm_asprintf("454 4.7.0 %s[%s]: encryption too weak: %d bits, %d wanted", c->host,
		                         c->addr, c->tls_info.bits, o->min_bits);
		return TLS_STEP_QUIT;
	}
	cmd = sm_asprintf("EHLO %s\r\n", c->helo);
	st = send_str(c, cmd);
	free(cmd);
	if (st == IO_OK)
		st = read_reply(c, c->reply_ms, &r, &lines);
	if (st != IO_OK) {
		io_fail(c, st, "after EHLO in TLS", fail);
		ret = TLS_STEP_DROP;
	} else if (r.code / 100 != 2) {
		*fail = r;
		r.text = NULL;
		ret = fail->code == 421 ? TLS_STEP_DROP : TLS_STEP_QUIT;
	} else {
		c->ext = parse_ehlo(&lines);
	}
	sm_smtpc_reply_free(&r);
	sm_buf_free(&lines);
	return ret;
}

/* sm_smtpc_open - connect, greeting, EHLO or HELO; a connection (sm_smtpc_close frees it) or NULL */
struct sm_smtpc *sm_smtpc_open(const char *host, const char *addr, const struct sm_smtpc_opts *o,
                               struct sm_smtpc_reply *fail)
{
	struct sm_smtpc *c = sm_calloc(1, sizeof(*c));
	struct sm_smtpc_reply r = { 0, NULL, 0 };
	struct sm_buf lines = SM_BUF_INIT;
	char *cmd;
	enum io st;

	fail->code = 0;
	fail->text = NULL;
	fail->loop = 0;
	c->fd = -1;
	c->host = sm_strdup(host ? host : addr);
	c->addr = sm_strdup(addr);
	c->helo = sm_strdup(o->helo ? o->helo : "");
	c->reply_ms = timeout_ms(o->reply_timeout);
	if (c->helo[0] == '\0' || strchr(c->helo, ' ') || has_ctl(c->helo)) {
		fail->code = 451;
		fail->text = sm_asprintf("451 4.3.5 %s[%s]: bad host name for HELO", c->host, c->addr);
		goto out;
	}
	if (connect_to(c, o->port, timeout_ms(o->connect_timeout), fail) != 0)
		goto out;
	c->usable = 1;

	st = read_reply(c, timeout_ms(o->greeting_timeout), &r, NULL);
	if (st != IO_OK) {
		io_fail(c, st, "while reading the greeting", fail);
		goto out;
	}
	if (r.code / 100 != 2) {
		*fail = r;
		r.text = NULL;
		goto quit;
	}
	if (first_word_is(r.text, c->helo)) {
		fail->code = 553;
		fail->text = sm_asprintf("553 5.3.5 %s[%s] config error: mail loops back to me (MX problem?)",
		                         c->host, c->addr);
		fail->loop = 1;
		goto quit;
	}

	cmd = sm_asprintf("EHLO %s\r\n", c->helo);
	st = send_str(c, cmd);
	free(cmd);
	if (st == IO_OK)
		st = read_reply(c, c->reply_ms, &r, &lines);
	if (st != IO_OK) {
		io_fail(c, st, "after EHLO", fail);
		goto out;
	}
	if (r.code / 100 == 2) {
		c->ext = parse_ehlo(&lines);
		if (o->tls && (c->ext & SM_SMTPC_EXT_STARTTLS)) {
			switch (starttls(c, o, fail)) {
			case TLS_STEP_OK:
				break;
			case TLS_STEP_QUIT:
				goto quit;
			case TLS_STEP_DROP:
				goto out;
			}
		}
		if (o->tls_required && c->tls == NULL && fail->code == 0) {
			fail->code = 403;
			fail->text = sm_asprintf("403 4.7.0 %s[%s]: STARTTLS not offered", c->host, c->addr);
			goto quit;
		}
		if (fail->code != 0)
			goto quit;
		goto ready;
	}
	if (r.code / 100 != 5) {
		*fail = r;
		r.text = NULL;
		goto quit;
	}
	cmd = sm_asprintf("HELO %s\r\n", c->helo);
	st = send_str(c, cmd);
	free(cmd);
	if (st == IO_OK)
		st = read_reply(c, c->reply_ms, &r, NULL);
	if (st != IO_OK) {
		io_fail(c, st, "after HELO", fail);
		goto out;
	}
	if (r.code / 100 != 2) {
		*fail = r;
		r.text = NULL;
		goto quit;
	}
	c->ext = 0;
	if (o->tls_required) {
		fail->code = 403;
		fail->text =
		    sm_asprintf("403 4.7.0 %s[%s]: STARTTLS not offered (no EHLO)", c->host, c->addr);
		goto quit;
	}
ready:
	sm_smtpc_reply_free(&r);
	sm_buf_free(&lines);
	return c;
quit:
	if (fail->code != 421)
		say_quit(c);
out:
	sm_smtpc_reply_free(&r);
	sm_buf_free(&lines);
	drop(c);
	return NULL;
}

/* sm_smtpc_stuff - append body to out as it goes after DATA: CRLF line ends, dots doubled, ".\r\n" */
void sm_smtpc_stuff(const char *body, size_t len, struct sm_buf *out)
{
	size_t i = 0, j;
	int bol = 1; /* at the start of a line */

	while (i < len) {
		char ch = body[i];

		if (ch == '\0') {
			i++;
			continue;
		}
		if (ch == '\r' || ch == '\n') {
			sm_buf_add(out, "\r\n", 2);
			i += (ch == '\r' && i + 1 < len && body[i + 1] == '\n') ? 2 : 1;
			bol = 1;
			continue;
		}
		if (bol && ch == '.')
			sm_buf_addc(out, '.');
		for (j = i; j < len && body[j] != '\r' && body[j] != '\n' && body[j] != '\0'; j++)
			;
		sm_buf_add(out, body + i, j - i);
		i = j;
		bol = 0;
	}
	if (!bol)
		sm_buf_add(out, "\r\n", 2);
	sm_buf_add(out, ".\r\n", 3);
}

/* add_xtext - append s to b as RFC 3461 xtext */
static void add_xtext(struct sm_buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch >= 33 && ch <= 126 && ch != '+' && ch != '=')
			sm_buf_addc(b, ch);
		else
			sm_buf_printf(b, "+%02X", ch);
	}
}

/* add_notify - append " NOTIFY=..." for the SM_NOTIFY_* bits (nothing for 0) */
static void add_notify(struct sm_buf *b, unsigned bits)
{
	const char *sep = " NOTIFY=";

	if (bits & SM_NOTIFY_NEVER) {
		sm_buf_adds(b, " NOTIFY=NEVER");
		return;
	}
	if (bits & SM_NOTIFY_SUCCESS) {
		sm_buf_printf(b, "%sSUCCESS", sep);
		sep = ",";
	}
	if (bits & SM_NOTIFY_FAILURE) {
		sm_buf_printf(b, "%sFAILURE", sep);
		sep = ",";
	}
	if (bits & SM_NOTIFY_DELAY)
		sm_buf_printf(b, "%sDELAY", sep);
}

/* has_8bit - p[0..n) holds an octet with the high bit set */
static int has_8bit(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] & 0x80)
			return 1;
	return 0;
}

/* one transaction in progress */
struct txn {
	struct sm_smtpc *c;
	const struct sm_smtpc_msg *m;
	struct sm_smtpc_reply *rcpt; /* code 0: undecided */
	struct sm_smtpc_reply *msg;
	struct sm_buf cmds;         /* MAIL, the RCPTs to send, DATA, each with CRLF */
	size_t mail_end;            /* where MAIL ends in cmds */
	size_t *rcpt_end;           /* where RCPT i ends in cmds; 0: not sent */
	struct sm_buf wire;         /* the body as sent */
	struct sm_smtpc_reply last; /* a copy of the last RCPT refusal */
	size_t naccepted;           /* RCPT answered 2xx */
	int mail_ok;                /* MAIL answered 2xx */
};

/* move_reply - dst gets src's reply; src is zeroed */
static void move_reply(struct sm_smtpc_reply *dst, struct sm_smtpc_reply *src)
{
	free(dst->text);
	*dst = *src;
	src->code = 0;
	src->text = NULL;
	src->loop = 0;
}

/*
 * settle - every undecided recipient gets a copy of r, and msg gets r when
 * it is still empty. With r NULL, or when MAIL already failed (msg set)
 * and r is no 421, the recipients get a copy of msg instead. r is freed.
 */
static void settle(struct txn *t, struct sm_smtpc_reply *r)
{
	const struct sm_smtpc_reply *use = r;
	size_t i;

	if (r == NULL || (t->msg->code != 0 && r->code != 421))
		use = t->msg;
	for (i = 0; i < t->m->nrcpt; i++)
		if (t->rcpt[i].code == 0)
			copy_reply(&t->rcpt[i], use);
	if (r == NULL)
		return;
	if (t->msg->code == 0)
		move_reply(t->msg, r);
	sm_smtpc_reply_free(r);
}

/* abort_io - an I/O or protocol failure during stage ends the transaction and the connection */
static void abort_io(struct txn *t, enum io st, const char *stage)
{
	struct sm_smtpc_reply r = { 0, NULL, 0 };

	io_fail(t->c, st, stage, &r);
	settle(t, &r);
}

/*
 * send_part - write cmds[from..to) or the body; 0, or -1 after the
 * transaction was settled. When the write fails because the server
 * answered 4xx/5xx (say 421 or 554) and closed, that reply decides.
 */
static int send_part(struct txn *t, const char *p, size_t n, const char *stage)
{
	struct sm_smtpc_reply r = { 0, NULL, 0 };
	enum io st = send_all(t->c, p, n);

	if (st == IO_OK)
		return 0;
	if (st == IO_LOST && read_reply(t->c, 0, &r, NULL) == IO_OK &&
	    (r.code / 100 == 4 || r.code / 100 == 5)) {
		t->c->usable = 0;
		settle(t, &r);
		return -1;
	}
	sm_smtpc_reply_free(&r);
	abort_io(t, st, stage);
	return -1;
}

/*
 * get_reply - the reply to a command that wants class want (2 or 3) on
 * success; 0 with r set (class want, 4 or 5), or -1 after the transaction
 * was settled: I/O failure, 421, or a success of the wrong class.
 */
static int get_reply(struct txn *t, const char *cmd, int want, struct sm_smtpc_reply *r)
{
	char stage[80];
	enum io st = read_reply(t->c, t->c->reply_ms, r, NULL);
	int class = r->code / 100;

	if (st == IO_OK && r->code == 421) {
		t->c->usable = 0;
		settle(t, r);
		return -1;
	}
	if (st == IO_OK && class != want && class != 4 && class != 5)
		st = IO_PROTO;
	if (st == IO_OK)
		return 0;
	sm_smtpc_reply_free(r);
	snprintf(stage, sizeof(stage), "while reading the reply to %s", cmd);
	abort_io(t, st, stage);
	return -1;
}

/* rset - end a failed transaction; the connection is unusable when that does not work */
static void rset(struct sm_smtpc *c)
{
	struct sm_smtpc_reply r = { 0, NULL, 0 };

	if (!c->usable || send_str(c, "RSET\r\n") != IO_OK || read_reply(c, c->reply_ms, &r, NULL) != IO_OK ||
	    r.code / 100 != 2)
		c->usable = 0;
	sm_smtpc_reply_free(&r);
}

/* end_empty - the server said 354 though we have nothing to send: end the data at once */
static void end_empty(struct sm_smtpc *c)
{
	struct sm_smtpc_reply r = { 0, NULL, 0 };

	if (send_str(c, ".\r\n") != IO_OK || read_reply(c, c->reply_ms, &r, NULL) != IO_OK || r.code == 421)
		c->usable = 0;
	sm_smtpc_reply_free(&r);
}

/* local_refusal - every undecided recipient and msg get text; nothing was sent */
static void local_refusal(struct txn *t, int code, const char *text)
{
	size_t i;

	for (i = 0; i < t->m->nrcpt; i++)
		if (t->rcpt[i].code == 0)
			set_reply(&t->rcpt[i], code, text);
	set_reply(t->msg, code, text);
}

/* check_addrs - refuse what cannot be sent; the number of recipients left to send */
static size_t check_addrs(struct txn *t)
{
	const struct sm_smtpc_msg *m = t->m;
	size_t i, n = 0;
	char *text;

	if (!t->c->usable) {
		text = sm_asprintf("451 4.4.2 %s[%s]: connection no longer usable", t->c->host, t->c->addr);
		local_refusal(t, 451, text);
		free(text);
		return 0;
	}
	if (m->sender == NULL || has_ctl(m->sender)) {
		local_refusal(t, 501, "501 5.1.7 bad sender address syntax (not sent)");
		return 0;
	}
	for (i = 0; i < m->nrcpt; i++) {
		if (m->rcpt[i] == NULL || m->rcpt[i][0] == '\0' || has_ctl(m->rcpt[i]))
			set_reply(&t->rcpt[i], 501, "501 5.1.3 bad recipient address syntax (not sent)");
		else
			n++;
	}
	if (n == 0)
		set_reply(t->msg, 501, "501 5.1.3 no recipient address can be sent");
	return n;
}

/* build - the body as sent, and the commands MAIL, RCPT (each undecided recipient), DATA */
static void build(struct txn *t)
{
	const struct sm_smtpc_msg *m = t->m;
	unsigned ext = t->c->ext;
	int dsn = (ext & SM_SMTPC_EXT_DSN) != 0;
	struct sm_buf *b = &t->cmds;
	size_t i;

	sm_smtpc_stuff(m->body ? m->body : "", m->body ? m->len : 0, &t->wire);
	sm_buf_printf(b, "MAIL FROM:<%s>", m->sender);
	if (ext & SM_SMTPC_EXT_SIZE)
		sm_buf_printf(b, " SIZE=%zu", t->wire.len - 3);
	if ((ext & SM_SMTPC_EXT_8BITMIME) && m->body && has_8bit(m->body, m->len))
		sm_buf_adds(b, " BODY=8BITMIME");
	if (dsn && m->ret == SM_RET_FULL)
		sm_buf_adds(b, " RET=FULL");
	else if (dsn && m->ret == SM_RET_HDRS)
		sm_buf_adds(b, " RET=HDRS");
	if (dsn && m->envid && m->envid[0]) {
		sm_buf_adds(b, " ENVID=");
		add_xtext(b, m->envid);
	}
	sm_buf_adds(b, "\r\n");
	t->mail_end = b->len;
	for (i = 0; i < m->nrcpt; i++) {
		if (t->rcpt[i].code != 0)
			continue;
		sm_buf_printf(b, "RCPT TO:<%s>", m->rcpt[i]);
		if (dsn && m->notify)
			add_notify(b, m->notify[i]);
		if (dsn && m->orcpt && m->orcpt[i] && m->orcpt[i][0]) {
			sm_buf_adds(b, " ORCPT=rfc822;");
			add_xtext(b, m->orcpt[i]);
		}
		sm_buf_adds(b, "\r\n");
		t->rcpt_end[i] = b->len;
	}
	sm_buf_adds(b, "DATA\r\n");
}

/* do_mail - send MAIL (with PIPELINING: MAIL, RCPTs and DATA) and read its reply; 0 or -1 (settled) */
static int do_mail(struct txn *t, int pipelined)
{
	struct sm_smtpc_reply r = { 0, NULL, 0 };

	if (send_part(t, t->cmds.data, pipelined ? t->cmds.len : t->mail_end,
	              pipelined ? "while sending MAIL FROM, RCPT TO and DATA" : "while sending MAIL FROM") !=
	    0)
		return -1;
	if (get_reply(t, "MAIL FROM", 2, &r) != 0)
		return -1;
	t->mail_ok = r.code / 100 == 2;
	if (t->mail_ok)
		sm_smtpc_reply_free(&r);
	else
		move_reply(t->msg, &r);
	return 0;
}

/* do_rcpts - send each RCPT (unless pipelined) and read the replies in order; 0 or -1 (settled) */
static int do_rcpts(struct txn *t, int pipelined)
{
	struct sm_smtpc_reply r = { 0, NULL, 0 };
	size_t i, prev = t->mail_end;

	for (i = 0; i < t->m->nrcpt; i++) {
		if (t->rcpt_end[i] == 0)
			continue;
		if (!pipelined) {
			if (!t->mail_ok)
				return 0;
			if (send_part(t, t->cmds.data + prev, t->rcpt_end[i] - prev,
			              "while sending RCPT TO") != 0)
				return -1;
		}
		prev = t->rcpt_end[i];
		if (get_reply(t, "RCPT TO", 2, &r) != 0)
			return -1;
		if (!t->mail_ok || r.code / 100 == 2) {
			if (t->mail_ok)
				t->naccepted++;
			sm_smtpc_reply_free(&r);
			continue;
		}
		copy_reply(&t->last, &r);
		move_reply(&t->rcpt[i], &r);
	}
	return 0;
}

/* transact - the protocol part of sm_smtpc_send; the number of recipients accepted */
static size_t transact(struct txn *t)
{
	struct sm_smtpc *c = t->c;
	struct sm_smtpc_reply r = { 0, NULL, 0 };
	int pipelined = (c->ext & SM_SMTPC_EXT_PIPELINING) != 0, go;

	if (do_mail(t, pipelined) != 0 || do_rcpts(t, pipelined) != 0)
		return 0;
	if (!pipelined && t->mail_ok && t->naccepted > 0 &&
	    send_part(t, B("DATA\r\n"), "while sending DATA") != 0)
		return 0;
	if (pipelined || (t->mail_ok && t->naccepted > 0)) {
		if (get_reply(t, "DATA", 3, &r) != 0)
			return 0;
	}
	go = r.code / 100 == 3;
	if (!t->mail_ok || t->naccepted == 0) {
		/* nothing to send: every recipient has its reply already, or gets MAIL's */
		if (go)
			end_empty(c);
		if (!t->mail_ok)
			settle(t, NULL);
		else if (!go && r.code != 0)
			move_reply(t->msg, &r);
		else
			copy_reply(t->msg, &t->last);
		sm_smtpc_reply_free(&r);
		rset(c);
		return 0;
	}
	if (!go) {
		settle(t, &r);
		rset(c);
		return 0;
	}
	sm_smtpc_reply_free(&r);
	if (send_part(t, t->wire.data, t->wire.len, "while sending the message body") != 0 ||
	    get_reply(t, "the end of data", 2, &r) != 0)
		return 0;
	go = r.code / 100 == 2;
	settle(t, &r);
	return go ? t->naccepted : 0;
}

/* sm_smtpc_send - one transaction for m; the number of recipients accepted. See smtpc.h */
int sm_smtpc_send(struct sm_smtpc *c, const struct sm_smtpc_msg *m, struct sm_smtpc_reply *rcpt,
                  struct sm_smtpc_reply *msg)
{
	struct txn t;
	size_t i, n = 0;

	memset(&t, 0, sizeof(t));
	t.c = c;
	t.m = m;
	t.rcpt = rcpt;
	t.msg = msg;
	for (i = 0; i < m->nrcpt; i++) {
		rcpt[i].code = 0;
		rcpt[i].text = NULL;
		rcpt[i].loop = 0;
	}
	msg->code = 0;
	msg->text = NULL;
	msg->loop = 0;
	if (m->nrcpt == 0 || check_addrs(&t) == 0)
		return 0;
	t.rcpt_end = sm_calloc(m->nrcpt, sizeof(*t.rcpt_end));
	build(&t);
	n = transact(&t);
	sm_smtpc_reply_free(&t.last);
	sm_buf_free(&t.wire);
	sm_buf_free(&t.cmds);
	free(t.rcpt_end);
	return n > INT_MAX ? INT_MAX : (int)n;
}

/* sm_smtpc_usable - 1 while c can carry another transaction */
int sm_smtpc_usable(const struct sm_smtpc *c)
{
	return c->usable;
}

/* sm_smtpc_ext - the SM_SMTPC_EXT_* bits the server offered */
unsigned sm_smtpc_ext(const struct sm_smtpc *c)
{
	return c->ext;
}

/* sm_smtpc_host - the host name given to open; owned by c */
const char *sm_smtpc_host(const struct sm_smtpc *c)
{
	return c->host;
}

/* sm_smtpc_addr - the address given to open; owned by c */
const char *sm_smtpc_addr(const struct sm_smtpc *c)
{
	return c->addr;
}

/* sm_smtpc_tls - the TLS result of the connection, NULL in plaintext (owned by c) */
const struct sm_tls_info *sm_smtpc_tls(const struct sm_smtpc *c)
{
	return c->tls ? &c->tls_info : NULL;
}

/* sm_smtpc_close - QUIT when asked and usable, close, free c (NULL is ignored) */
void sm_smtpc_close(struct sm_smtpc *c, int quit)
{
	if (c == NULL)
		return;
	if (quit && c->usable)
		say_quit(c);
	drop(c);
}
