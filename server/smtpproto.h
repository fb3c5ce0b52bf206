/*
 * server/smtpproto.h - the SMTP server's protocol layer over byte buffers
 *
 * SYNOPSIS
 *	#include "server/smtpproto.h"
 *
 *	void sm_smtp_reader_init(struct sm_smtp_reader *r, size_t max);
 *	enum sm_smtp_read sm_smtp_read_line(struct sm_smtp_reader *r, const char *buf,
 *	                                    size_t len, size_t *used, struct sm_smtp_line *line);
 *
 *	int sm_smtp_parse(const char *line, size_t len, struct sm_smtp_cmd *cmd);
 *	void sm_smtp_cmd_free(struct sm_smtp_cmd *cmd);
 *	const char *sm_smtp_verb_name(enum sm_smtp_verb v);
 *
 *	const char *sm_smtp_allowed(enum sm_smtp_state st, enum sm_smtp_verb v);
 *	enum sm_smtp_state sm_smtp_next(enum sm_smtp_state st, enum sm_smtp_verb v);
 *	int sm_smtp_ends_group(enum sm_smtp_verb v);
 *	const char *sm_smtp_pipelining(enum sm_smtp_verb v, size_t pending);
 *
 *	void sm_smtp_data_init(struct sm_smtp_data *d, struct sm_buf *out, size_t max_size);
 *	int sm_smtp_data_feed(struct sm_smtp_data *d, const char *p, size_t n, size_t *used);
 *	const char *sm_smtp_data_reply(const struct sm_smtp_data *d);
 *
 *	void sm_smtp_reply(struct sm_buf *out, int code, const char *enh,
 *	                   const char *const *lines, size_t n);
 *
 * DESCRIPTION
 *	Pure functions a server loop calls; no sockets, no I/O, no clock.
 *
 *	Command lines. sm_smtp_read_line() takes the receive buffer buf (len
 *	bytes) and returns SM_SMTP_READ_MORE (no complete line yet; keep the
 *	bytes from *used on and read more), SM_SMTP_READ_LINE (line->ptr and
 *	line->len are the command without its CRLF, pointing into buf) or
 *	SM_SMTP_READ_ERROR (line->reply is the reply to send). In every case
 *	the caller drops the first *used bytes of buf. A line ends only with
 *	CRLF. A bare CR or LF does not end a line: the whole line up to the
 *	next CRLF is refused with "500 5.5.2 Syntax error: bare CR or LF in
 *	command" (Postfix's smtpd_forbid_bare_newline=reject, but answered with
 *	500 because it is a command syntax error, not a content policy); NUL
 *	gives "500 5.5.2 Syntax error: NUL in command". A line longer than max
 *	octets including its CRLF (0 means 512, RFC 5321 4.5.3.1.4) gives "500
 *	5.5.2 Line too long" once, and everything up to and including the
 *	next CRLF is discarded, across calls (the reader remembers it).
 *
 *	Commands. sm_smtp_parse() parses one line (without CRLF) into cmd and
 *	returns 0, or -1 with cmd->reply set (cmd->verb is still set when the
 *	verb was recognised). Verbs are case-insensitive and followed by one
 *	SP; trailing blanks are ignored. HELO/EHLO need a domain or address
 *	literal (sm_addr_domain(), canonical form in cmd->arg). MAIL FROM:<path>
 *	and RCPT TO:<path> (blanks allowed after the colon, angle brackets
 *	required) go through sm_addr_parse(): the result must be a plain
 *	mailbox (no |program, /file, :include: or backslash escape) with a
 *	domain; <> only in MAIL, <postmaster> (any case) without domain only
 *	in RCPT. Parameters: MAIL takes SIZE=digits, BODY=7BIT|8BITMIME,
 *	RET=FULL|HDRS, ENVID=xtext (at most 100 octets decoded), AUTH=xtext
 *	(RFC 4954: checked and not used); RCPT takes
 *	NOTIFY=NEVER or a comma list of SUCCESS, FAILURE, DELAY, and
 *	ORCPT=rfc822;xtext (at most 500 octets). Keywords and values are
 *	case-insensitive but xtext. xtext (RFC 3461) is decoded; "+" must be
 *	followed by two upper-case hex digits and may not encode a control
 *	character, DEL, or 8-bit octet, so CR, LF and NUL never reach the queue
 *	through a parameter. VRFY, EXPN and AUTH need an argument (kept raw in
 *	arg); NOOP and HELP may have one; DATA, RSET, QUIT, STARTTLS take none.
 *	BDAT is recognised and refused: CHUNKING is not offered.
 *
 *	Session rules. sm_smtp_allowed() returns NULL when verb v may be
 *	given in state st, else a "503 5.5.1 Bad sequence of commands: ..."
 *	reply. sm_smtp_next() is the state after v succeeded (after DATA: the
 *	state once the message has been read, whatever its fate). EHLO/HELO
 *	and RSET end a transaction; STARTTLS goes back to SM_SMTP_INIT (RFC
 *	3207 4.2: a new EHLO is required). sm_smtp_ends_group() is 1 for the
 *	verbs that must end a pipelined group (RFC 2920 3.1: EHLO, DATA,
 *	VRFY, EXPN, TURN, QUIT, NOOP; also HELO, STARTTLS (RFC 3207, CVE-2011-0411),
 *	AUTH and BDAT). sm_smtp_pipelining() returns "554 5.5.0 Error: SMTP
 *	protocol synchronization" when such a verb arrives with pending more
 *	bytes behind it in the receive buffer (but QUIT), else NULL; the
 *	server then answers and disconnects (Postfix
 *	smtpd_forbid_unauth_pipelining).
 *
 *	Message content. sm_smtp_data_feed() takes chunks of any size after
 *	the 354 reply and returns 0 when all n bytes were consumed without the
 *	end, or 1 when the end of data was seen, with *used the bytes up to
 *	and including it (what follows belongs to the command reader). Only
 *	<CRLF>.<CRLF> ends the data (the data starts at a line start, so
 *	".<CRLF>" first ends it too). A line that starts, after a real CRLF,
 *	with "." loses that dot (RFC 5321 4.5.2). Everything else is content:
 *	<LF>.<LF>, <CR>.<CR>, <LF>.<CRLF>, <CR>.<LF>, <CRLF>.<LF>, <CRLF>.<CR>,
 *	<CRLF>.<CR><CRLF> or a NUL before the dot never end the data. Stored
 *	lines always end in CRLF: a bare LF and a bare CR are each stored as
 *	CRLF (so the store never holds a bare CR or LF) but they never start
 *	a line that can end the data or be dot-unstuffed. Bare CR, bare LF
 *	and NUL are counted, and when strict (the default, set by
 *	sm_smtp_data_init()) the message is refused at the end with "550
 *	5.6.0 Message contains bare CR or LF" or "550 5.6.0 Message contains
 *	NUL" (Postfix's smtpd_forbid_bare_newline=reject, RFC 5321 4.1.1.4);
 *	with strict 0 the message is accepted normalised (=normalize).
 *	Lines longer than 1000 octets with CRLF (RFC 5321 4.5.3.1.6) are
 *	stored unchanged and counted in long_lines, as Postfix does: folding
 *	would break signatures; the relay client must deal with them. Size is
 *	the stored size; past max_size (0: no limit) nothing more is stored,
 *	reading goes on to the end and the reply is "552 5.3.4 Message size
 *	exceeds fixed limit". Output goes to the caller's sm_buf out.
 *	sm_smtp_data_reply() is NULL when the message may be accepted.
 *
 *	Replies. sm_smtp_reply() appends a reply of n lines (n 0 is one line
 *	with no text): "code-enh text" CRLF for all but the last, "code enh
 *	text" CRLF for the last (enh may be NULL). CR, LF and other control
 *	characters in the text become "?", and a line is cut to fit 512
 *	octets with its CRLF.
 *
 * CONFIGURATION
 *	None read here: the caller passes the limits (command line length,
 *	message size) and the strict flag.
 *
 * DIAGNOSTICS
 *	Every reply string is a constant or lives in cmd->reply; none is
 *	freed by the caller. sm_smtp_parse() errors:
 *	"500 5.5.2 Syntax error: command unrecognized",
 *	"500 5.5.2 Syntax error: bare CR or LF in command", "500 5.5.2 Syntax
 *	error: NUL in command", "502 5.5.1 BDAT not offered (no CHUNKING)",
 *	"501 5.5.4 Syntax: <VERB> ..." (missing or extra arguments),
 *	"501 5.5.4 Invalid EHLO/HELO domain: <reason>",
 *	"501 5.1.7 Bad sender address syntax: <reason>" (MAIL path),
 *	"501 5.1.3 Bad recipient address syntax: <reason>" (RCPT path),
 *	"501 5.5.4 Bad <KEYWORD> parameter syntax" (a bad value),
 *	"555 5.5.4 Unsupported parameter <KEYWORD>" (unknown, or for the other
 *	verb) and "555 5.5.4 Duplicate parameter <KEYWORD>". Nothing is logged.
 */
#ifndef SM_SMTPPROTO_H
#define SM_SMTPPROTO_H

#include <stddef.h>

#include "lib/buf.h"
#include "router/address.h"

#define SM_SMTP_LINE_MAX 512  /* RFC 5321 4.5.3.1.4, with CRLF */
#define SM_SMTP_TEXT_MAX 1000 /* RFC 5321 4.5.3.1.6, with CRLF */
#define SM_SMTP_REPLY_MAX 512 /* RFC 5321 4.5.3.1.5, with CRLF */
#define SM_SMTP_ENVID_MAX 100 /* RFC 3461 4.4 */
#define SM_SMTP_ORCPT_MAX 500 /* RFC 3461 4.2 */

/* the command reader */
struct sm_smtp_reader {
	size_t max;     /* longest line with CRLF */
	int discarding; /* inside a line too long: drop up to CRLF */
};

enum sm_smtp_read {
	SM_SMTP_READ_MORE,  /* need more input */
	SM_SMTP_READ_LINE,  /* line->ptr, line->len */
	SM_SMTP_READ_ERROR, /* line->reply */
};

struct sm_smtp_line {
	const char *ptr; /* the command, without CRLF, inside the buffer */
	size_t len;
	const char *reply; /* READ_ERROR: constant reply */
};

enum sm_smtp_verb {
	SM_SMTP_UNKNOWN,
	SM_SMTP_HELO,
	SM_SMTP_EHLO,
	SM_SMTP_MAIL,
	SM_SMTP_RCPT,
	SM_SMTP_DATA,
	SM_SMTP_BDAT,
	SM_SMTP_RSET,
	SM_SMTP_NOOP,
	SM_SMTP_QUIT,
	SM_SMTP_VRFY,
	SM_SMTP_EXPN,
	SM_SMTP_HELP,
	SM_SMTP_STARTTLS,
	SM_SMTP_AUTH,
};

enum sm_smtp_body { SM_SMTP_BODY_NONE, SM_SMTP_BODY_7BIT, SM_SMTP_BODY_8BITMIME };
enum sm_smtp_ret { SM_SMTP_RET_NONE, SM_SMTP_RET_FULL, SM_SMTP_RET_HDRS };

#define SM_SMTP_NOTIFY_NEVER 1u
#define SM_SMTP_NOTIFY_SUCCESS 2u
#define SM_SMTP_NOTIFY_FAILURE 4u
#define SM_SMTP_NOTIFY_DELAY 8u

struct sm_smtp_params {
	int has_size;
	unsigned long long size; /* SIZE= */
	enum sm_smtp_body body;  /* BODY= */
	enum sm_smtp_ret ret;    /* RET= */
	char *envid;             /* ENVID=, decoded; NULL if absent */
	unsigned notify;         /* NOTIFY= bits; 0 if absent */
	char *orcpt;             /* ORCPT=rfc822;, decoded address; NULL if absent */
};

struct sm_smtp_cmd {
	enum sm_smtp_verb verb;
	char *arg;           /* HELO/EHLO: canonical domain; VRFY, EXPN, AUTH, NOOP, HELP: raw text or NULL */
	int has_path;        /* MAIL, RCPT: path holds the address */
	struct sm_addr path; /* MAIL: kind SM_ADDR_NULL for <> */
	struct sm_smtp_params params;
	char reply[SM_SMTP_REPLY_MAX]; /* after -1: the reply, without CRLF */
};

/* session states, for the sequence rules */
enum sm_smtp_state {
	SM_SMTP_INIT,    /* greeting sent, no HELO/EHLO yet (or after STARTTLS) */
	SM_SMTP_GREETED, /* HELO/EHLO done, no transaction */
	SM_SMTP_MAILED,  /* MAIL accepted */
	SM_SMTP_RCPTED,  /* at least one RCPT accepted */
};

/* the DATA reader */
struct sm_smtp_data {
	struct sm_buf *out; /* where the content goes (the caller's) */
	size_t max_size;    /* 0: no limit */
	int strict;         /* refuse bare CR/LF and NUL at the end (default 1) */
	/* results */
	size_t size; /* stored bytes (may stop growing past max_size) */
	int too_big;
	int done; /* the end was seen */
	unsigned long bare_cr, bare_lf, nul, long_lines;
	/* state */
	int bol;        /* at a line start after a real CRLF */
	int dot;        /* the line so far is a removed "." */
	int cr;         /* a CR is pending */
	size_t linelen; /* octets in the current line, without CRLF */
};

void sm_smtp_reader_init(struct sm_smtp_reader *r, size_t max);
enum sm_smtp_read sm_smtp_read_line(struct sm_smtp_reader *r, const char *buf, size_t len, size_t *used,
                                    struct sm_smtp_line *line);

int sm_smtp_parse(const char *line, size_t len, struct sm_smtp_cmd *cmd);
void sm_smtp_cmd_free(struct sm_smtp_cmd *cmd);
const char *sm_smtp_verb_name(enum sm_smtp_verb v);

const char *sm_smtp_allowed(enum sm_smtp_state st, enum sm_smtp_verb v);
enum sm_smtp_state sm_smtp_next(enum sm_smtp_state st, enum sm_smtp_verb v);
int sm_smtp_ends_group(enum sm_smtp_verb v);
const char *sm_smtp_pipelining(enum sm_smtp_verb v, size_t pending);

void sm_smtp_data_init(struct sm_smtp_data *d, struct sm_buf *out, size_t max_size);
int sm_smtp_data_feed(struct sm_smtp_data *d, const char *p, size_t n, size_t *used);
const char *sm_smtp_data_reply(const struct sm_smtp_data *d);

void sm_smtp_reply(struct sm_buf *out, int code, const char *enh, const char *const *lines, size_t n);

#endif
