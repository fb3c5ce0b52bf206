/*
 * server/submit.c - build a queue message from what "sendmail [-t] [-i] [-f from] [addr...]" reads
 *
 * SYNOPSIS
 *	#include "server/submit.h"
 *
 *	int sm_submit_read(FILE *in, const struct sm_submit_opts *o, struct sm_qmsg **mp,
 *	                   struct sm_buf *err);
 *
 * DESCRIPTION
 *	Three steps: check_options() validates the options, qualifies the
 *	sender and parses the address arguments; read_message() splits the
 *	input into lines (line ends, dots, NUL, size) and sorts them into
 *	header fields and body; pick_recipients() and build_message() make
 *	the envelope and the stored text. The rules are in server/submit.h.
 *
 * WHO FREES WHAT
 *	The message returned through *mp is the caller's (sm_qmsg_free());
 *	everything else allocated here is freed before returning.
 *
 * CONFIGURATION
 *	None read here (see server/submit.h).
 *
 * DIAGNOSTICS
 *	See server/submit.h: a sysexits code and one line in err; only a
 *	read error is logged (LOG_ERR).
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <time.h>

#include "lib/buf.h"
#include "lib/log.h"
#include "lib/mem.h"
#include "router/address.h"
#include "router/router.h"
#include "server/queue.h"
#include "server/submit.h"

#define ADDR_SHOWN 256 /* bytes of a bad address shown in a message */
#define DISCARD_KEEP 3 /* bytes of a line kept while discarding: enough to see "." */

/* one header field as read: its physical lines, each ending in CRLF */
struct field {
	size_t name_len; /* the name is raw.data[0 .. name_len) */
	struct sm_buf raw;
};

/* a list of canonical addresses without duplicates */
struct addrs {
	char **a;
	size_t n;
	size_t cap;
};

/* where the reader is in the message */
enum read_state { R_UFROM, R_HEADER, R_BODY };

/* the reader's state and what it kept */
struct reader {
	const struct sm_submit_opts *o;
	enum read_state state;
	struct field *f;
	size_t nf;
	size_t capf;
	struct sm_buf body; /* after the separator, CRLF line ends */
	size_t size;        /* bytes as stored so far */
	int too_big;        /* past max_size: nothing more is kept */
	int has_nul;        /* a NUL byte was seen: nothing more is kept */
	int done;           /* the "." line was seen */
};

/* everything one submission works with */
struct submit {
	const struct sm_submit_opts *o;
	char *hostname; /* canonical */
	char *domain;   /* canonical */
	char *user;     /* canonical local part of the invoking user */
	char *self;     /* user@domain */
	char *sender;   /* envelope sender, "" for <> */
	int warn;       /* add X-Authentication-Warning */
	time_t now;
	struct addrs args;  /* the address arguments */
	struct addrs rcpts; /* the recipients */
	struct reader r;
};

/* addrs_has - is s in the list? */
static int addrs_has(const struct addrs *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->a[i], s) == 0)
			return 1;
	return 0;
}

/* addrs_add - append a copy of s unless it is there already */
static void addrs_add(struct addrs *l, const char *s)
{
	if (addrs_has(l, s))
		return;
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 8;
		l->a = sm_realloc(l->a, l->cap * sizeof(*l->a));
	}
	l->a[l->n++] = sm_strdup(s);
}

/* addrs_free - release the list */
static void addrs_free(struct addrs *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->a[i]);
	free(l->a);
	memset(l, 0, sizeof(*l));
}

/* addr_error - "ADDR... why" into err, ADDR made printable and cut */
static void addr_error(struct sm_buf *err, const char *s, size_t len, const char *why)
{
	char *p;

	if (err == NULL)
		return;
	p = sm_printable(s, len, ADDR_SHOWN);
	sm_buf_printf(err, "%s... %s", p, why);
	free(p);
}

/* say - one line into err, which may be NULL */
static void __attribute__((format(printf, 2, 3))) say(struct sm_buf *err, const char *fmt, ...)
{
	char *p;
	va_list ap;
	int n;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	p = sm_malloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sm_buf_adds(err, p);
	free(p);
}

/* qualify - parse in, append "@domain" when unqualified; 0 with a (caller frees), or -1 with why */
static int qualify(const char *in, size_t len, const char *domain, struct sm_addr *a, const char **why,
                   char **shown)
{
	struct sm_addr_error e;
	char *q;

	*shown = NULL;
	if (sm_addr_parse(in, len, a, &e) < 0) {
		*why = e.text;
		return -1;
	}
	if (a->kind != SM_ADDR_MAILBOX || a->domain != NULL)
		return 0;
	q = sm_asprintf("%s@%s", a->text, domain);
	sm_addr_free(a);
	if (sm_addr_parse(q, strlen(q), a, &e) < 0) {
		*why = e.text;
		*shown = q;
		return -1;
	}
	free(q);
	return 0;
}

/* parse_rcpt - one recipient: its canonical qualified text (caller frees), or NULL with bad or EX_NOPERM */
static char *parse_rcpt(const char *in, size_t len, const char *domain, int bad, int *st, struct sm_buf *err)
{
	struct sm_addr a;
	const char *why = NULL;
	char *shown, *text = NULL;

	if (qualify(in, len, domain, &a, &why, &shown) < 0) {
		if (shown)
			addr_error(err, shown, strlen(shown), why);
		else
			addr_error(err, in, len, why);
		free(shown);
		*st = bad;
		return NULL;
	}
	switch (a.kind) {
	case SM_ADDR_MAILBOX:
		text = sm_strdup(a.text);
		break;
	case SM_ADDR_NULL:
		why = "Invalid recipient";
		*st = bad;
		break;
	case SM_ADDR_PROGRAM:
		why = "Cannot mail directly to programs";
		*st = EX_NOPERM;
		break;
	case SM_ADDR_FILE:
		why = "Cannot mail directly to files";
		*st = EX_NOPERM;
		break;
	case SM_ADDR_INCLUDE:
		why = "Cannot mail directly to :include:s";
		*st = EX_NOPERM;
		break;
	}
	if (text == NULL)
		addr_error(err, in, len, why);
	sm_addr_free(&a);
	return text;
}

/* context of add_arg, the sm_split_list callback for address arguments */
struct arg_ctx {
	struct submit *s;
	struct sm_buf *err;
	int st;
};

/* add_arg - sm_split_list callback: parse one address argument into s->args */
static void add_arg(void *ctx, const char *elem)
{
	struct arg_ctx *c = ctx;
	char *text;

	if (c->st != EX_OK)
		return;
	text = parse_rcpt(elem, strlen(elem), c->s->domain, EX_USAGE, &c->st, c->err);
	if (text != NULL)
		addrs_add(&c->s->args, text);
	free(text);
}

/* has_control - does s hold a control character (C0 or DEL)? */
static int has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* envid_ok - printable (graphic) US-ASCII, 1 to SM_SUBMIT_ENVID_MAX characters (RFC 3461) */
static int envid_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > SM_SUBMIT_ENVID_MAX)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* check_user - the invoking user's canonical local part and user@domain */
static int check_user(struct submit *s, struct sm_buf *err)
{
	struct sm_addr a;
	struct sm_addr_error e;
	const char *why = NULL;
	char *shown = NULL, *self;

	if (sm_addr_parse(s->o->user, strlen(s->o->user), &a, &e) < 0)
		why = e.text;
	else if (a.kind != SM_ADDR_MAILBOX || a.domain != NULL || a.escaped)
		why = "not a plain local part";
	if (why != NULL) {
		char *p = sm_printable(s->o->user, strlen(s->o->user), ADDR_SHOWN);

		say(err, "Invalid user name %s: %s", p, why);
		free(p);
		sm_addr_free(&a);
		return EX_SOFTWARE;
	}
	s->user = sm_strdup(a.text);
	sm_addr_free(&a);
	self = sm_asprintf("%s@%s", s->user, s->domain);
	if (qualify(self, strlen(self), s->domain, &a, &why, &shown) < 0) {
		say(err, "Invalid user name %s: %s", self, why);
		free(shown);
		free(self);
		return EX_SOFTWARE;
	}
	free(self);
	s->self = sm_strdup(a.text);
	sm_addr_free(&a);
	return EX_OK;
}

/* check_sender - the envelope sender from -f, or user@domain; whether to warn */
static int check_sender(struct submit *s, struct sm_buf *err)
{
	const struct sm_submit_opts *o = s->o;
	struct sm_addr a;
	const char *why = NULL;
	char *shown = NULL;

	if (o->from == NULL) {
		s->sender = sm_strdup(s->self);
		return EX_OK;
	}
	if (*o->from == '\0') { /* -f "": the null sender, like -f "<>" */
		s->sender = sm_strdup("");
		s->warn = !o->trusted;
		return EX_OK;
	}
	if (qualify(o->from, strlen(o->from), s->domain, &a, &why, &shown) < 0) {
		if (shown)
			addr_error(err, shown, strlen(shown), why);
		else
			addr_error(err, o->from, strlen(o->from), why);
		free(shown);
		return EX_USAGE;
	}
	switch (a.kind) {
	case SM_ADDR_MAILBOX:
	case SM_ADDR_NULL:
		s->sender = sm_strdup(a.text);
		break;
	case SM_ADDR_PROGRAM:
	case SM_ADDR_FILE:
	case SM_ADDR_INCLUDE:
		addr_error(err, o->from, strlen(o->from), "Invalid sender address");
		sm_addr_free(&a);
		return EX_USAGE;
	}
	sm_addr_free(&a);
	s->warn = !o->trusted && strcmp(s->sender, s->self) != 0;
	return EX_OK;
}

/* check_options - everything that can be decided before reading */
static int check_options(struct submit *s, struct sm_buf *err)
{
	const struct sm_submit_opts *o = s->o;
	struct sm_addr_error e;
	struct arg_ctx c = { .s = s, .err = err, .st = EX_OK };
	size_t i;
	int st;

	if (o->hostname == NULL ||
	    (s->hostname = sm_addr_domain(o->hostname, strlen(o->hostname), &e)) == NULL) {
		char *p = o->hostname ? sm_printable(o->hostname, strlen(o->hostname), ADDR_SHOWN) : NULL;

		say(err, "Invalid host name %s: %s", p ? p : "(none)", p ? e.text : "not set");
		free(p);
		return EX_CONFIG;
	}
	if (o->domain == NULL) {
		s->domain = sm_strdup(s->hostname);
	} else if ((s->domain = sm_addr_domain(o->domain, strlen(o->domain), &e)) == NULL) {
		char *p = sm_printable(o->domain, strlen(o->domain), ADDR_SHOWN);

		say(err, "Invalid mail domain %s: %s", p, e.text);
		free(p);
		return EX_CONFIG;
	}
	if ((st = check_user(s, err)) != EX_OK)
		return st;
	if (o->fullname != NULL && has_control(o->fullname)) {
		say(err, "Invalid -F argument (control character)");
		return EX_USAGE;
	}
	if (o->envid != NULL && !envid_ok(o->envid)) {
		say(err, "Invalid syntax in -V flag");
		return EX_USAGE;
	}
	if ((st = check_sender(s, err)) != EX_OK)
		return st;
	for (i = 0; i < o->nrcpts && c.st == EX_OK; i++)
		if (o->rcpts[i] != NULL)
			sm_split_list(o->rcpts[i], add_arg, &c);
	if (c.st != EX_OK)
		return c.st;
	if (!o->from_headers && s->args.n == 0) {
		say(err, "Recipient names must be specified");
		return EX_USAGE;
	}
	return EX_OK;
}

/* header_name - length of the field name when p[0..n) starts a header field (sendmail's isheader), else 0 */
static size_t header_name(const char *p, size_t n)
{
	size_t i = 0, name;

	if (n >= 2 && p[0] == '-' && p[1] == '-')
		return 0;
	while (i < n && (unsigned char)p[i] > ' ' && (unsigned char)p[i] < 0x7f && p[i] != ':')
		i++;
	name = i;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return name > 0 && i < n && p[i] == ':' ? name : 0;
}

/* header_line - file one line of the header section; 0 when it is not part of it */
static int header_line(struct reader *r, const char *p, size_t n)
{
	size_t name;
	struct field *f;

	if (n > 0 && (p[0] == ' ' || p[0] == '\t') && r->nf > 0) {
		f = &r->f[r->nf - 1];
	} else if ((name = header_name(p, n)) > 0) {
		if (r->nf == r->capf) {
			r->capf = r->capf ? 2 * r->capf : 16;
			r->f = sm_realloc(r->f, r->capf * sizeof(*r->f));
		}
		f = &r->f[r->nf++];
		memset(f, 0, sizeof(*f));
		f->name_len = name;
	} else {
		return 0;
	}
	sm_buf_add(&f->raw, p, n);
	sm_buf_add(&f->raw, "\r\n", 2);
	return 1;
}

/* take_line - one input line: dots, limits, then header or body; dot_ok: it follows LF, CRLF or nothing */
static void take_line(struct reader *r, const char *p, size_t n, int dot_ok, int real_end)
{
	const struct sm_submit_opts *o = r->o;

	if (!o->ignore_dots && dot_ok) {
		if (real_end && n == 1 && p[0] == '.') {
			r->done = 1;
			return;
		}
		if (n >= 2 && p[0] == '.' && p[1] == '.') {
			p++;
			n--;
		}
	}
	if (r->too_big || r->has_nul)
		return;
	if (memchr(p, '\0', n) != NULL) {
		r->has_nul = 1;
		return;
	}
	if (r->state == R_UFROM) {
		r->state = R_HEADER;
		if (n >= 5 && memcmp(p, "From ", 5) == 0)
			return;
	}
	if (n > SIZE_MAX - 2 - r->size || (o->max_size && r->size + n + 2 > o->max_size)) {
		r->too_big = 1;
		return;
	}
	r->size += n + 2;
	if (r->state == R_HEADER) {
		if (header_line(r, p, n))
			return;
		r->state = R_BODY;
		if (n == 0)
			return; /* the separator */
	}
	sm_buf_add(&r->body, p, n);
	sm_buf_add(&r->body, "\r\n", 2);
}

/* line_addc - add a byte to the line being read; while discarding keep only what "." needs */
static void line_addc(struct reader *r, struct sm_buf *line, char c)
{
	if (!r->too_big && !r->has_nul && r->o->max_size && line->len + r->size >= r->o->max_size)
		r->too_big = 1; /* one endless line must not fill memory either */
	if ((r->too_big || r->has_nul) && line->len >= DISCARD_KEEP)
		return;
	sm_buf_addc(line, c);
}

/* read_message - read in to its end or the "." line */
static int read_message(FILE *in, struct reader *r, struct sm_buf *err)
{
	struct sm_buf line = SM_BUF_INIT;
	int c, dot_ok = 1, cr = 0, saved, failed;

	if (in == NULL) {
		say(err, "Cannot read the message: %s", strerror(EBADF));
		return EX_NOINPUT;
	}
	sm_buf_str(&line); /* line.data is never NULL from here on */
	/* byte by byte, not fread(): on a terminal the "." line must end the input at once */
	flockfile(in);
	while (!r->done && (c = getc_unlocked(in)) != EOF) {
		if (cr) {
			/* CRLF ends the line; a lone CR ends it too, but what follows is no line start */
			cr = 0;
			take_line(r, line.data, line.len, dot_ok, c == '\n');
			sm_buf_reset(&line);
			dot_ok = c == '\n';
			if (c == '\n')
				continue;
		}
		if (c == '\r') {
			cr = 1;
		} else if (c == '\n') {
			take_line(r, line.data, line.len, dot_ok, 1);
			sm_buf_reset(&line);
			dot_ok = 1;
		} else {
			line_addc(r, &line, (char)c);
		}
	}
	saved = errno;
	failed = !r->done && ferror(in);
	funlockfile(in);
	if (failed) {
		sm_buf_free(&line);
		if (saved == EBADF) {
			say(err, "Cannot read the message: %s", strerror(saved));
			return EX_NOINPUT;
		}
		say(err, "Error reading the message: %s", strerror(saved));
		sm_log(LOG_ERR, "submission: error reading the message: %s", strerror(saved));
		return EX_IOERR;
	}
	if (!r->done && (cr || line.len > 0))
		take_line(r, line.data, line.len, dot_ok, 1); /* a last line without its end */
	sm_buf_free(&line);
	if (r->has_nul) {
		say(err, "Message contains NUL");
		return EX_DATAERR;
	}
	if (r->too_big) {
		say(err, "Message exceeds maximum fixed size (%zu)", r->o->max_size);
		return EX_DATAERR;
	}
	return EX_OK;
}

/* field_is - is f named name (without regard to case)? */
static int field_is(const struct field *f, const char *name)
{
	return f->name_len == strlen(name) && strncasecmp(f->raw.data, name, f->name_len) == 0;
}

/* has_field - does the message have a field named name? */
static int has_field(const struct reader *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nf; i++)
		if (field_is(&r->f[i], name))
			return 1;
	return 0;
}

/* is_resent - does the message have a Resent- field? */
static int is_resent(const struct reader *r)
{
	size_t i;

	for (i = 0; i < r->nf; i++)
		if (r->f[i].name_len > 7 && strncasecmp(r->f[i].raw.data, "Resent-", 7) == 0)
			return 1;
	return 0;
}

/* unfold - the value of f (after the ':') with every CRLF removed, into b */
static void unfold(const struct field *f, struct sm_buf *b)
{
	const char *p = (const char *)memchr(f->raw.data, ':', f->raw.len) + 1;
	const char *end = f->raw.data + f->raw.len;

	sm_buf_reset(b);
	while (p < end) {
		const char *crlf = memchr(p, '\r', (size_t)(end - p));

		if (crlf == NULL)
			crlf = end;
		sm_buf_add(b, p, (size_t)(crlf - p));
		p = crlf + 2;
	}
	sm_buf_str(b);
}

/* header_rcpt - one element of a -t header field: parse, leave out arguments, keep */
static int header_rcpt(struct submit *s, const char *p, size_t n, struct sm_buf *err)
{
	int st = EX_OK;
	char *text;

	while (n > 0 && (*p == ' ' || *p == '\t'))
		p++, n--;
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	text = parse_rcpt(p, n, s->domain, EX_DATAERR, &st, err);
	if (text == NULL)
		return st;
	if (!addrs_has(&s->args, text))
		addrs_add(&s->rcpts, text);
	free(text);
	return EX_OK;
}

/* header_list - the addresses of an RFC 5322 address list, group names dropped, each to header_rcpt */
static int header_list(struct submit *s, const char *v, size_t len, struct sm_buf *err)
{
	size_t i, start = 0;
	int quoted = 0, angle = 0, bracket = 0, depth = 0, used = 0, st;

	for (i = 0; i <= len; i++) {
		char c = i < len ? v[i] : ',';

		if (quoted) {
			if (c == '\\' && i + 1 < len)
				i++;
			else if (c == '"')
				quoted = 0;
			continue;
		}
		if (depth) {
			if (c == '\\' && i + 1 < len)
				i++;
			else if (c == '(')
				depth++;
			else if (c == ')')
				depth--;
			continue;
		}
		if (bracket) {
			if (c == '\\' && i + 1 < len)
				i++;
			else if (c == ']')
				bracket = 0;
			continue;
		}
		switch (c) {
		case '(':
			depth = 1;
			break;
		case '"':
			quoted = used = 1;
			break;
		case '[':
			bracket = used = 1;
			break;
		case '<':
			angle++;
			used = 1;
			break;
		case '>':
			if (angle)
				angle--;
			used = 1;
			break;
		case '\\':
			if (i + 1 < len)
				i++;
			used = 1;
			break;
		case ':':
			if (angle) {
				used = 1;
				break;
			}
			start = i + 1; /* a group: drop its name */
			used = 0;
			break;
		case ',':
		case ';':
			if (angle && i < len) {
				used = 1;
				break;
			}
			if (used && (st = header_rcpt(s, v + start, i - start, err)) != EX_OK)
				return st;
			start = i + 1;
			used = 0;
			break;
		case ' ':
		case '\t':
			break;
		default:
			used = 1;
			break;
		}
	}
	if (used && start < len && (st = header_rcpt(s, v + start, len - start, err)) != EX_OK)
		return st;
	return EX_OK;
}

/* pick_recipients - the arguments, or with -t the header addresses less the arguments */
static int pick_recipients(struct submit *s, struct sm_buf *err)
{
	static const char *const plain[] = { "To", "Cc", "Bcc" };
	static const char *const resent[] = { "Resent-To", "Resent-Cc", "Resent-Bcc" };
	const char *const *names = is_resent(&s->r) ? resent : plain;
	struct sm_buf v = SM_BUF_INIT;
	size_t i, j;
	int st = EX_OK;

	if (!s->o->from_headers) {
		for (i = 0; i < s->args.n; i++)
			addrs_add(&s->rcpts, s->args.a[i]);
		return EX_OK;
	}
	for (i = 0; i < s->r.nf && st == EX_OK; i++)
		for (j = 0; j < 3; j++)
			if (field_is(&s->r.f[i], names[j])) {
				unfold(&s->r.f[i], &v);
				st = header_list(s, v.data, v.len, err);
				break;
			}
	sm_buf_free(&v);
	if (st == EX_OK && s->rcpts.n == 0) {
		say(err, "No recipient addresses found in header");
		st = EX_USAGE;
	}
	return st;
}

static const char *const wday_names[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static const char *const month_names[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* put_date - RFC 5322 date-time of tm (local time, numeric zone) */
static void put_date(struct sm_buf *b, const struct tm *tm)
{
	long off = tm->tm_gmtoff / 60;
	long a = off < 0 ? -off : off;

	sm_buf_printf(b, "%s, %d %s %d %02d:%02d:%02d %c%02ld%02ld", wday_names[tm->tm_wday % 7], tm->tm_mday,
	              month_names[tm->tm_mon % 12], tm->tm_year + 1900, tm->tm_hour, tm->tm_min, tm->tm_sec,
	              off < 0 ? '-' : '+', a / 60, a % 60);
}

/* put_msgid - a new unique <YYYYMMDDhhmmss.QID@host> */
static void put_msgid(struct sm_buf *b, const struct tm *tm, const char *host)
{
	char qid[SM_QID_SIZE];

	sm_queue_newid(qid);
	sm_buf_printf(b, "<%04d%02d%02d%02d%02d%02d.%s@%s>", tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday,
	              tm->tm_hour, tm->tm_min, tm->tm_sec, qid, host);
}

/* put_from - "FULLNAME" <addr>, or addr */
static void put_from(struct sm_buf *b, const char *fullname, const char *addr)
{
	const char *p;

	if (fullname == NULL || *fullname == '\0') {
		sm_buf_adds(b, addr);
		return;
	}
	sm_buf_addc(b, '"');
	for (p = fullname; *p; p++) {
		if (*p == '"' || *p == '\\')
			sm_buf_addc(b, '\\');
		sm_buf_addc(b, *p);
	}
	sm_buf_printf(b, "\" <%s>", addr);
}

/* build_message - the envelope and the stored text */
static struct sm_qmsg *build_message(struct submit *s)
{
	const struct sm_submit_opts *o = s->o;
	struct sm_qmsg *m = sm_qmsg_new();
	struct sm_buf *b = &m->body;
	struct sm_buf date = SM_BUF_INIT;
	const char *from = *s->sender ? s->sender : s->self;
	struct tm tm;
	size_t i;

	sm_buf_adds(&m->sender, s->sender);
	if (o->envid != NULL)
		sm_buf_adds(&m->envid, o->envid);
	m->ret = o->ret;
	m->arrival = s->now;
	for (i = 0; i < s->rcpts.n; i++)
		sm_qmsg_add_rcpt(m, s->rcpts.a[i], strlen(s->rcpts.a[i]))->notify = o->notify;

	if (localtime_r(&s->now, &tm) == NULL) {
		memset(&tm, 0, sizeof(tm));
		tm.tm_mday = 1;
		tm.tm_year = 70;
		tm.tm_wday = 4;
	}
	put_date(&date, &tm);
	sm_buf_printf(b, "Received: (from %s@localhost)\r\n\tby %s (switchmail);\r\n\t%s\r\n", s->user,
	              s->hostname, date.data);
	if (s->warn)
		sm_buf_printf(b, "X-Authentication-Warning: %s: %s set sender to %s using -f\r\n",
		              s->hostname, s->user, *s->sender ? s->sender : "<>");
	if (is_resent(&s->r)) {
		if (!has_field(&s->r, "Resent-From")) {
			sm_buf_adds(b, "Resent-From: ");
			put_from(b, o->fullname, from);
			sm_buf_adds(b, "\r\n");
		}
		if (!has_field(&s->r, "Resent-Date"))
			sm_buf_printf(b, "Resent-Date: %s\r\n", date.data);
		if (!has_field(&s->r, "Resent-Message-ID")) {
			sm_buf_adds(b, "Resent-Message-ID: ");
			put_msgid(b, &tm, s->hostname);
			sm_buf_adds(b, "\r\n");
		}
	}
	for (i = 0; i < s->r.nf; i++)
		if (!field_is(&s->r.f[i], "Bcc") && !field_is(&s->r.f[i], "Resent-Bcc"))
			sm_buf_add(b, s->r.f[i].raw.data, s->r.f[i].raw.len);
	if (!has_field(&s->r, "From")) {
		sm_buf_adds(b, "From: ");
		put_from(b, o->fullname, from);
		sm_buf_adds(b, "\r\n");
	}
	if (!has_field(&s->r, "Date"))
		sm_buf_printf(b, "Date: %s\r\n", date.data);
	if (!has_field(&s->r, "Message-ID")) {
		sm_buf_adds(b, "Message-ID: ");
		put_msgid(b, &tm, s->hostname);
		sm_buf_adds(b, "\r\n");
	}
	sm_buf_add(b, "\r\n", 2);
	sm_buf_add(b, s->r.body.data ? s->r.body.data : "", s->r.body.len);
	sm_buf_free(&date);
	return m;
}

/* submit_free - release the working state */
static void submit_free(struct submit *s)
{
	size_t i;

	free(s->hostname);
	free(s->domain);
	free(s->user);
	free(s->self);
	free(s->sender);
	addrs_free(&s->args);
	addrs_free(&s->rcpts);
	for (i = 0; i < s->r.nf; i++)
		sm_buf_free(&s->r.f[i].raw);
	free(s->r.f);
	sm_buf_free(&s->r.body);
}

/* sm_submit_read - check the options, read the message, build the queue message (see submit.h) */
int sm_submit_read(FILE *in, const struct sm_submit_opts *o, struct sm_qmsg **mp, struct sm_buf *err)
{
	struct submit s;
	int st;

	if (mp != NULL)
		*mp = NULL;
	if (o == NULL || mp == NULL || o->user == NULL) {
		say(err, "internal error: sm_submit_read needs options, a result and a user name");
		return EX_SOFTWARE;
	}
	memset(&s, 0, sizeof(s));
	s.o = o;
	s.r.o = o;
	s.r.state = R_UFROM;
	s.now = o->now ? o->now : time(NULL);
	st = check_options(&s, err);
	if (st == EX_OK)
		st = read_message(in, &s.r, err);
	if (st == EX_OK)
		st = pick_recipients(&s, err);
	if (st == EX_OK)
		*mp = build_message(&s);
	submit_free(&s);
	return st;
}
