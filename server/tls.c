/*
 * server/tls.c - TLS contexts and connections over OpenSSL (see tls.h)
 *
 * DESCRIPTION
 *	The verify callback accepts every certificate chain and lets
 *	OpenSSL keep the first error in the connection; the result is read
 *	once the handshake is over (SSL_get_verify_result) and turned into
 *	sendmail's ${verify} words. Writes may be partial and may be retried
 *	from a buffer that moved (SSL_MODE_ENABLE_PARTIAL_WRITE,
 *	SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER), as the SMTP server's output
 *	buffer shifts after every partial write.
 *
 * CONFIGURATION
 *	See tls.h.
 *
 * DIAGNOSTICS
 *	Nothing is logged; errors are returned as text (see tls.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/mem.h"
#include "server/tls.h"

#ifdef HAVE_OPENSSL
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#endif

/* sm_tls_verify_name - sendmail's word for v */
const char *sm_tls_verify_name(enum sm_tls_verify v)
{
	switch (v) {
	case SM_TLS_NONE:
		return "NONE";
	case SM_TLS_OK:
		return "OK";
	case SM_TLS_NO:
		return "NO";
	case SM_TLS_NOT:
		return "NOT";
	case SM_TLS_FAIL:
		return "FAIL";
	case SM_TLS_TEMP:
		return "TEMP";
	case SM_TLS_PROTOCOL:
		return "PROTOCOL";
	case SM_TLS_SOFTWARE:
		return "SOFTWARE";
	}
	return "SOFTWARE";
}

/* sm_tls_info_none - info of a session without TLS */
void sm_tls_info_none(struct sm_tls_info *info)
{
	memset(info, 0, sizeof(*info));
	info->verify = SM_TLS_NONE;
}

/* printable - copy src into dst (size n) with control and 8-bit octets as '?' */
static void printable(char *dst, size_t n, const char *src)
{
	size_t i;

	if (n == 0)
		return;
	for (i = 0; src && src[i] && i + 1 < n; i++) {
		unsigned char ch = (unsigned char)src[i];

		dst[i] = (ch < 0x20 || ch >= 0x7f) ? '?' : (char)ch;
	}
	dst[i] = '\0';
}

#ifdef HAVE_OPENSSL

struct sm_tls {
	SSL_CTX *ctx;
	int server;
	int ask_cert; /* the server asks for a client certificate */
};

struct sm_tls_conn {
	SSL *ssl;
	struct sm_tls *t;
	char err[256];
};

/* sm_tls_available - built with OpenSSL */
int sm_tls_available(void)
{
	return 1;
}

/* ssl_reason - OpenSSL's last queued error as text (the queue is emptied) */
static void ssl_reason(char *buf, size_t n)
{
	unsigned long e = ERR_get_error(), last = e;

	while (e != 0) {
		last = e;
		e = ERR_get_error();
	}
	if (last == 0)
		snprintf(buf, n, "unknown error");
	else
		ERR_error_string_n(last, buf, n);
}

/* ctx_fail - "setting path: reason" into err */
static void ctx_fail(struct sm_buf *err, const char *setting, const char *path)
{
	char why[256];

	ssl_reason(why, sizeof(why));
	sm_buf_printf(err, "%s%s %s: %s", err->len ? "; " : "", setting, path, why);
}

/* accept_any - verify callback: record and go on; the policy looks at the result later */
static int accept_any(int ok, X509_STORE_CTX *x)
{
	(void)ok;
	(void)x;
	return 1;
}

/* min_version - TLSMinVersion as an OpenSSL protocol version; 0 when unknown */
static int min_version(const char *v)
{
	if (v == NULL || *v == '\0' || strcasecmp(v, "TLSv1.2") == 0)
		return TLS1_2_VERSION;
	if (strcasecmp(v, "TLSv1.3") == 0)
		return TLS1_3_VERSION;
	if (strcasecmp(v, "TLSv1.1") == 0)
		return TLS1_1_VERSION;
	if (strcasecmp(v, "TLSv1") == 0 || strcasecmp(v, "TLSv1.0") == 0)
		return TLS1_VERSION;
	return 0;
}

/* load_trust - CAs and CRLs into the context's store; 0 or -1 with err set */
static int load_trust(SSL_CTX *ctx, const struct sm_config *cf, struct sm_buf *err)
{
	const char *cafile = sm_config_str(cf, "CACertFile");
	const char *capath = sm_config_str(cf, "CACertPath");
	const char *crl = sm_config_str(cf, "CRLFile");

	if ((*cafile || *capath) &&
	    SSL_CTX_load_verify_locations(ctx, *cafile ? cafile : NULL, *capath ? capath : NULL) != 1) {
		ctx_fail(err, *cafile ? "CACertFile" : "CACertPath", *cafile ? cafile : capath);
		return -1;
	}
	if (*crl) {
		X509_STORE *st = SSL_CTX_get_cert_store(ctx);
		X509_LOOKUP *lk = X509_STORE_add_lookup(st, X509_LOOKUP_file());

		if (lk == NULL || X509_load_crl_file(lk, crl, X509_FILETYPE_PEM) <= 0) {
			ctx_fail(err, "CRLFile", crl);
			return -1;
		}
		X509_STORE_set_flags(st, X509_V_FLAG_CRL_CHECK);
	}
	return 0;
}

/* load_pair - a certificate (chain) and its key; 0 or -1 with err set */
static int load_pair(SSL_CTX *ctx, const char *certset, const char *cert, const char *keyset, const char *key,
                     struct sm_buf *err)
{
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		ctx_fail(err, certset, cert);
		return -1;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		ctx_fail(err, keyset, key);
		return -1;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		ctx_fail(err, keyset, key);
		return -1;
	}
	return 0;
}

/* load_dh - DHParameters: "" built-in groups, "none" no DH, else a PEM file; 0 or -1 */
static int load_dh(SSL_CTX *ctx, const char *dh, struct sm_buf *err)
{
	EVP_PKEY *pk;
	BIO *bio;

	if (*dh == '\0') {
		SSL_CTX_set_dh_auto(ctx, 1);
		return 0;
	}
	if (strcasecmp(dh, "none") == 0)
		return 0;
	if ((bio = BIO_new_file(dh, "r")) == NULL) {
		ctx_fail(err, "DHParameters", dh);
		return -1;
	}
	pk = PEM_read_bio_Parameters(bio, NULL);
	BIO_free(bio);
	if (pk == NULL || SSL_CTX_set0_tmp_dh_pkey(ctx, pk) != 1) {
		EVP_PKEY_free(pk);
		ctx_fail(err, "DHParameters", dh);
		return -1;
	}
	return 0;
}

/* ctx_new - the parts both sides share; NULL with err set */
static struct sm_tls *ctx_new(const struct sm_config *cf, int server, struct sm_buf *err)
{
	struct sm_tls *t;
	SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
	const char *mv = sm_config_str(cf, "TLSMinVersion");
	int v = min_version(mv);

	if (ctx == NULL) {
		ctx_fail(err, "OpenSSL", "SSL_CTX_new");
		return NULL;
	}
	if (v == 0) {
		sm_buf_printf(err, "%sTLSMinVersion %s: not TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3",
		              err->len ? "; " : "", mv);
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, v);
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (load_trust(ctx, cf, err) < 0) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	t = sm_calloc(1, sizeof(*t));
	t->ctx = ctx;
	t->server = server;
	return t;
}

/* sm_tls_server_new - the server's context, NULL when not configured or broken (see tls.h) */
struct sm_tls *sm_tls_server_new(const struct sm_config *cf, struct sm_buf *err)
{
	const char *cert = sm_config_str(cf, "ServerCertFile");
	const char *key = sm_config_str(cf, "ServerKeyFile");
	static const unsigned char sid[] = "switchmail";
	struct sm_tls *t;

	if (*cert == '\0' || *key == '\0')
		return NULL;
	if ((t = ctx_new(cf, 1, err)) == NULL)
		return NULL;
	if (load_pair(t->ctx, "ServerCertFile", cert, "ServerKeyFile", key, err) < 0 ||
	    load_dh(t->ctx, sm_config_str(cf, "DHParameters"), err) < 0) {
		sm_tls_free(t);
		return NULL;
	}
	t->ask_cert = !sm_config_has_word(cf, "TLSSrvOptions", "V");
	SSL_CTX_set_verify(t->ctx, t->ask_cert ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, accept_any);
	SSL_CTX_set_session_id_context(t->ctx, sid, sizeof(sid) - 1);
	{
		const char *cafile = sm_config_str(cf, "CACertFile");

		/* the CAs whose certificates we would accept, named in the request */
		if (t->ask_cert && *cafile) {
			STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(cafile);

			if (names)
				SSL_CTX_set_client_CA_list(t->ctx, names);
		}
	}
	ERR_clear_error();
	return t;
}

/* sm_tls_client_new - the delivery agent's context (see tls.h) */
struct sm_tls *sm_tls_client_new(const struct sm_config *cf, struct sm_buf *err)
{
	const char *cert = sm_config_str(cf, "ClientCertFile");
	const char *key = sm_config_str(cf, "ClientKeyFile");
	struct sm_tls *t;

	if ((t = ctx_new(cf, 0, err)) == NULL)
		return NULL;
	if (*cert && *key && load_pair(t->ctx, "ClientCertFile", cert, "ClientKeyFile", key, err) < 0) {
		sm_tls_free(t);
		return NULL;
	}
	SSL_CTX_set_verify(t->ctx, SSL_VERIFY_PEER, accept_any);
	ERR_clear_error();
	return t;
}

/* sm_tls_free - release a context (NULL is ignored) */
void sm_tls_free(struct sm_tls *t)
{
	if (t == NULL)
		return;
	SSL_CTX_free(t->ctx);
	free(t);
}

/* sm_tls_conn_new - a connection over fd (see tls.h); NULL when OpenSSL cannot make one */
struct sm_tls_conn *sm_tls_conn_new(struct sm_tls *t, int fd)
{
	struct sm_tls_conn *c;
	SSL *ssl = SSL_new(t->ctx);

	if (ssl == NULL || SSL_set_fd(ssl, fd) != 1) {
		SSL_free(ssl);
		ERR_clear_error();
		return NULL;
	}
	if (t->server)
		SSL_set_accept_state(ssl);
	else
		SSL_set_connect_state(ssl);
	c = sm_calloc(1, sizeof(*c));
	c->ssl = ssl;
	c->t = t;
	return c;
}

/* io_result - an OpenSSL result r of a call as an sm_tls_io, the reason kept on error */
static enum sm_tls_io io_result(struct sm_tls_conn *c, int r)
{
	int e = SSL_get_error(c->ssl, r);

	switch (e) {
	case SSL_ERROR_WANT_READ:
		return SM_TLS_IO_WANT_READ;
	case SSL_ERROR_WANT_WRITE:
		return SM_TLS_IO_WANT_WRITE;
	case SSL_ERROR_ZERO_RETURN:
		snprintf(c->err, sizeof(c->err), "connection closed by the peer");
		return SM_TLS_IO_EOF;
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() == 0) {
			snprintf(c->err, sizeof(c->err), "connection lost");
			ERR_clear_error();
			return SM_TLS_IO_EOF;
		}
		ssl_reason(c->err, sizeof(c->err));
		return SM_TLS_IO_ERROR;
	default:
		ssl_reason(c->err, sizeof(c->err));
		return SM_TLS_IO_ERROR;
	}
}

/* sm_tls_handshake - one step of the handshake (see tls.h) */
enum sm_tls_io sm_tls_handshake(struct sm_tls_conn *c)
{
	int r;

	ERR_clear_error();
	r = SSL_do_handshake(c->ssl);
	if (r == 1)
		return SM_TLS_IO_OK;
	return io_result(c, r);
}

/* sm_tls_read - up to len decrypted bytes (see tls.h) */
enum sm_tls_io sm_tls_read(struct sm_tls_conn *c, char *buf, size_t len, size_t *got)
{
	int r;

	*got = 0;
	ERR_clear_error();
	r = SSL_read_ex(c->ssl, buf, len, got);
	if (r == 1)
		return SM_TLS_IO_OK;
	return io_result(c, r);
}

/* sm_tls_write - up to len bytes encrypted and sent (see tls.h) */
enum sm_tls_io sm_tls_write(struct sm_tls_conn *c, const char *buf, size_t len, size_t *put)
{
	int r;

	*put = 0;
	if (len == 0)
		return SM_TLS_IO_OK;
	ERR_clear_error();
	r = SSL_write_ex(c->ssl, buf, len, put);
	if (r == 1)
		return SM_TLS_IO_OK;
	return io_result(c, r);
}

/* sm_tls_pending - decrypted bytes wait inside OpenSSL */
int sm_tls_pending(const struct sm_tls_conn *c)
{
	return SSL_pending(c->ssl) > 0;
}

/* name_of - a certificate name in one-line form, printable, into dst */
static void name_of(char *dst, size_t n, const X509_NAME *name)
{
	char tmp[SM_TLS_NAME_MAX * 2];

	dst[0] = '\0';
	if (name == NULL || X509_NAME_oneline(name, tmp, (int)sizeof(tmp)) == NULL)
		return;
	printable(dst, n, tmp);
}

/* verify_of - the verify word for an X509_V_ result */
static enum sm_tls_verify verify_of(long r)
{
	switch (r) {
	case X509_V_OK:
		return SM_TLS_OK;
	case X509_V_ERR_OUT_OF_MEM:
		return SM_TLS_TEMP;
	default:
		return SM_TLS_FAIL;
	}
}

/* sm_tls_conn_info - what the handshake came to (see tls.h) */
void sm_tls_conn_info(const struct sm_tls_conn *c, struct sm_tls_info *info)
{
	const SSL_CIPHER *ci = SSL_get_current_cipher(c->ssl);
	X509 *peer = SSL_get1_peer_certificate(c->ssl);

	memset(info, 0, sizeof(*info));
	printable(info->version, sizeof(info->version), SSL_get_version(c->ssl));
	if (ci) {
		printable(info->cipher, sizeof(info->cipher), SSL_CIPHER_get_name(ci));
		info->bits = SSL_CIPHER_get_bits(ci, &info->alg_bits);
	}
	if (peer == NULL) {
		info->verify = c->t->server && !c->t->ask_cert ? SM_TLS_NOT : SM_TLS_NO;
		return;
	}
	name_of(info->subject, sizeof(info->subject), X509_get_subject_name(peer));
	name_of(info->issuer, sizeof(info->issuer), X509_get_issuer_name(peer));
	X509_free(peer);
	{
		long r = SSL_get_verify_result(c->ssl);

		info->verify = verify_of(r);
		if (r != X509_V_OK)
			printable(info->verify_reason, sizeof(info->verify_reason),
			          X509_verify_cert_error_string(r));
	}
}

/* sm_tls_conn_error - why the last call failed */
const char *sm_tls_conn_error(const struct sm_tls_conn *c)
{
	return c->err[0] ? c->err : "unknown error";
}

/* sm_tls_conn_free - close_notify without waiting, then free (NULL is ignored) */
void sm_tls_conn_free(struct sm_tls_conn *c)
{
	if (c == NULL)
		return;
	if (SSL_is_init_finished(c->ssl))
		(void)SSL_shutdown(c->ssl);
	SSL_free(c->ssl);
	ERR_clear_error();
	free(c);
}

#else /* !HAVE_OPENSSL */

/* sm_tls_available - not built with OpenSSL */
int sm_tls_available(void)
{
	return 0;
}

/* sm_tls_server_new - NULL: no OpenSSL (err set when a certificate was configured) */
struct sm_tls *sm_tls_server_new(const struct sm_config *cf, struct sm_buf *err)
{
	if (*sm_config_str(cf, "ServerCertFile"))
		sm_buf_adds(err, "not built with OpenSSL support");
	return NULL;
}

/* sm_tls_client_new - NULL: no OpenSSL */
struct sm_tls *sm_tls_client_new(const struct sm_config *cf, struct sm_buf *err)
{
	(void)cf;
	sm_buf_adds(err, "not built with OpenSSL support");
	return NULL;
}

/* sm_tls_free - nothing to free */
void sm_tls_free(struct sm_tls *t)
{
	(void)t;
}

/* sm_tls_conn_new - never: no context can exist */
struct sm_tls_conn *sm_tls_conn_new(struct sm_tls *t, int fd)
{
	(void)t;
	(void)fd;
	return NULL;
}

/* sm_tls_handshake - unreachable without a connection */
enum sm_tls_io sm_tls_handshake(struct sm_tls_conn *c)
{
	(void)c;
	return SM_TLS_IO_ERROR;
}

/* sm_tls_read - unreachable without a connection */
enum sm_tls_io sm_tls_read(struct sm_tls_conn *c, char *buf, size_t len, size_t *got)
{
	(void)c;
	(void)buf;
	(void)len;
	*got = 0;
	return SM_TLS_IO_ERROR;
}

/* sm_tls_write - unreachable without a connection */
enum sm_tls_io sm_tls_write(struct sm_tls_conn *c, const char *buf, size_t len, size_t *put)
{
	(void)c;
	(void)buf;
	(void)len;
	*put = 0;
	return SM_TLS_IO_ERROR;
}

/* sm_tls_pending - nothing pending */
int sm_tls_pending(const struct sm_tls_conn *c)
{
	(void)c;
	return 0;
}

/* sm_tls_conn_info - a session without TLS */
void sm_tls_conn_info(const struct sm_tls_conn *c, struct sm_tls_info *info)
{
	(void)c;
	sm_tls_info_none(info);
	printable(info->verify_reason, sizeof(info->verify_reason), "not built with OpenSSL support");
}

/* sm_tls_conn_error - the only reason there is */
const char *sm_tls_conn_error(const struct sm_tls_conn *c)
{
	(void)c;
	return "not built with OpenSSL support";
}

/* sm_tls_conn_free - nothing to free */
void sm_tls_conn_free(struct sm_tls_conn *c)
{
	(void)c;
}

#endif /* HAVE_OPENSSL */
