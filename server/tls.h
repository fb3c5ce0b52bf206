/*
 * server/tls.h - TLS for STARTTLS: contexts built from the settings, one connection's state and result
 *
 * SYNOPSIS
 *	#include "server/tls.h"
 *
 *	struct sm_tls *sm_tls_server_new(const struct sm_config *cf, struct sm_buf *err);
 *	struct sm_tls *sm_tls_client_new(const struct sm_config *cf, struct sm_buf *err);
 *	void sm_tls_free(struct sm_tls *t);
 *
 *	struct sm_tls_conn *sm_tls_conn_new(struct sm_tls *t, int fd);
 *	enum sm_tls_io sm_tls_handshake(struct sm_tls_conn *c);
 *	enum sm_tls_io sm_tls_read(struct sm_tls_conn *c, char *buf, size_t len, size_t *got);
 *	enum sm_tls_io sm_tls_write(struct sm_tls_conn *c, const char *buf, size_t len, size_t *put);
 *	int sm_tls_pending(const struct sm_tls_conn *c);
 *	void sm_tls_conn_info(const struct sm_tls_conn *c, struct sm_tls_info *info);
 *	const char *sm_tls_conn_error(const struct sm_tls_conn *c);
 *	void sm_tls_conn_free(struct sm_tls_conn *c);
 *
 *	const char *sm_tls_verify_name(enum sm_tls_verify v);
 *	void sm_tls_info_none(struct sm_tls_info *info);
 *	int sm_tls_available(void);
 *
 * DESCRIPTION
 *	A context (struct sm_tls) is built once per daemon (server) or
 *	delivery agent (client) and shared by its connections; it is not
 *	changed after it was built, so threads may share it.
 *	sm_tls_server_new() returns NULL when ServerCertFile or ServerKeyFile
 *	is empty (STARTTLS is then not offered: err stays empty) or when
 *	something cannot be loaded (err says what). sm_tls_client_new() always
 *	builds a context when the program has TLS; ClientCertFile and
 *	ClientKeyFile are optional (a certificate presented when a server asks).
 *	Both: TLS 1.2 or newer (TLSMinVersion), CAs from CACertFile and
 *	CACertPath, CRLs from CRLFile (then every leaf certificate is checked
 *	against its issuer's CRL, X509_V_FLAG_CRL_CHECK), renegotiation off.
 *	The server uses DHParameters (a PEM file; empty: OpenSSL's built-in
 *	groups; "none": no finite-field DH) and asks for a client certificate
 *	unless TLSSrvOptions holds "V". Verification never stops a handshake:
 *	its outcome is recorded, and policy decides later.
 *
 *	A connection (struct sm_tls_conn) wraps one socket fd, which must be
 *	non-blocking and stays the caller's. Every call returns at once:
 *	SM_TLS_IO_OK, SM_TLS_IO_WANT_READ or SM_TLS_IO_WANT_WRITE (wait for
 *	that on fd, then call again with the same arguments or a buffer that
 *	starts with the same bytes), SM_TLS_IO_EOF (the peer closed) or
 *	SM_TLS_IO_ERROR (sm_tls_conn_error() says why). sm_tls_read() and
 *	sm_tls_write() may move fewer bytes than asked (*got, *put).
 *	sm_tls_pending() is 1 when decrypted bytes wait inside the library:
 *	the socket will not signal them, so read before waiting again.
 *
 *	sm_tls_conn_info() fills info after the handshake: verify is OK (the
 *	peer's certificate verified), NO (none presented), NOT (none asked
 *	for), FAIL (it did not verify, verify_reason says why: untrusted,
 *	expired, revoked through the CRL, ...), TEMP (a temporary error while
 *	verifying, such as out of memory), PROTOCOL (the handshake failed) or
 *	SOFTWARE (the connection could not be set up); NONE is a session
 *	without STARTTLS (sm_tls_info_none()). subject and issuer are the
 *	certificate's names in OpenSSL's one-line form with control and 8-bit
 *	octets shown as '?', cut to fit. bits is the cipher's secret bits,
 *	alg_bits its algorithm's.
 *
 *	Without OpenSSL (HAVE_OPENSSL undefined), sm_tls_available() is 0,
 *	both constructors return NULL with "not built with OpenSSL support"
 *	in err (the server's only when a certificate is configured), and
 *	nothing else may be called but the info helpers.
 *
 * CONFIGURATION
 *	CACertFile, CACertPath, ServerCertFile, ServerKeyFile, ClientCertFile,
 *	ClientKeyFile, CRLFile, DHParameters, TLSSrvOptions, TLSMinVersion.
 *
 * WHO FREES WHAT
 *	sm_tls_server_new() and sm_tls_client_new() return a context freed by
 *	sm_tls_free() after the last connection made from it was freed.
 *	sm_tls_conn_new() returns a connection freed by sm_tls_conn_free(),
 *	which sends a close_notify when it can without waiting and never
 *	closes fd. struct sm_tls_info holds no pointers: it is copied freely.
 *	The strings of sm_tls_verify_name() and sm_tls_conn_error() are
 *	constant or owned by c (valid until the next call on c).
 *
 * DIAGNOSTICS
 *	Nothing is logged here. Constructors put "setting: file: reason"
 *	(OpenSSL's reason) in err. sm_tls_conn_new() returns NULL only when
 *	the library cannot make the connection (then the caller's verify
 *	result is SOFTWARE).
 */
#ifndef SM_TLS_H
#define SM_TLS_H

#include <stddef.h>

#include "lib/buf.h"
#include "lib/cfg.h"

#define SM_TLS_NAME_MAX 256

/* the outcome of verifying the peer, named as sendmail's ${verify} */
enum sm_tls_verify {
	SM_TLS_NONE,     /* no STARTTLS */
	SM_TLS_OK,       /* certificate presented and verified */
	SM_TLS_NO,       /* no certificate presented */
	SM_TLS_NOT,      /* no certificate asked for */
	SM_TLS_FAIL,     /* certificate did not verify */
	SM_TLS_TEMP,     /* temporary error while verifying */
	SM_TLS_PROTOCOL, /* the handshake failed */
	SM_TLS_SOFTWARE, /* the connection could not be set up */
};

/* what one TLS session came to */
struct sm_tls_info {
	enum sm_tls_verify verify;
	char verify_reason[128];       /* FAIL: OpenSSL's reason; else "" */
	char version[16];              /* "TLSv1.3" */
	char cipher[64];               /* "TLS_AES_256_GCM_SHA384" */
	int bits;                      /* secret bits of the cipher */
	int alg_bits;                  /* bits of its algorithm */
	char subject[SM_TLS_NAME_MAX]; /* peer certificate's subject, "" if none */
	char issuer[SM_TLS_NAME_MAX];  /* its issuer */
};

enum sm_tls_io {
	SM_TLS_IO_OK,
	SM_TLS_IO_WANT_READ,
	SM_TLS_IO_WANT_WRITE,
	SM_TLS_IO_EOF,
	SM_TLS_IO_ERROR,
};

struct sm_tls;
struct sm_tls_conn;

struct sm_tls *sm_tls_server_new(const struct sm_config *cf, struct sm_buf *err);
struct sm_tls *sm_tls_client_new(const struct sm_config *cf, struct sm_buf *err);
void sm_tls_free(struct sm_tls *t);

struct sm_tls_conn *sm_tls_conn_new(struct sm_tls *t, int fd);
enum sm_tls_io sm_tls_handshake(struct sm_tls_conn *c);
enum sm_tls_io sm_tls_read(struct sm_tls_conn *c, char *buf, size_t len, size_t *got);
enum sm_tls_io sm_tls_write(struct sm_tls_conn *c, const char *buf, size_t len, size_t *put);
int sm_tls_pending(const struct sm_tls_conn *c);
void sm_tls_conn_info(const struct sm_tls_conn *c, struct sm_tls_info *info);
const char *sm_tls_conn_error(const struct sm_tls_conn *c);
void sm_tls_conn_free(struct sm_tls_conn *c);

const char *sm_tls_verify_name(enum sm_tls_verify v);
void sm_tls_info_none(struct sm_tls_info *info);
int sm_tls_available(void);

#endif
