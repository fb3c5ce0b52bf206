/*
 * nis/nis.h - the nis source: YP lookups in mail.aliases, mail.byaddr and hosts.byname
 *
 * SYNOPSIS
 *	struct sm_source *sm_nis_create(const char *name, const struct sm_config *cf,
 *	                                struct sm_buf *err);
 *
 *	(sm_nisplus_create(), the nisplus source, is declared in nis/nisplus.h,
 *	which this header includes.)
 *
 * DESCRIPTION
 *	sm_nis_create() returns a source that asks NIS (YP) servers through the
 *	YP protocol (RPC program 100004 version 2, YPPROC_MATCH) over UDP. It
 *	answers three databases; any other is SM_UNAVAIL:
 *
 *	aliases: the map NisAliasMap (default mail.aliases). The value is the
 *	right-hand side as stored in the map (a trailing NUL removed, blanks
 *	around it trimmed), e.g. "jun,kim@example.org": members separated by
 *	commas, as in an aliases file.
 *
 *	hosts: the map hosts.byname, whose values are /etc/hosts lines
 *	("ADDR NAME ALIAS..."). The value is given in the files source's
 *	format, "CANONICAL ADDR": the line's first name, then its address.
 *
 *	mail.byaddr: the map mail.byaddr (built by mkalias: a qualified
 *	address to the alias that expands to it). The value is the alias.
 *	The router does not ask this database; `switchmail -bt` can
 *	("/map mail.byaddr jun@example.com").
 *
 *	Keys. Maps built by sendmail (Solaris) store keys with a trailing
 *	NUL; maps built by Linux makedbm store them without. As sendmail does,
 *	each key is first sent without the NUL and, if the server says "no
 *	such key", once more with it. Each map remembers which form last
 *	found something and tries that form first next time (sendmail stops
 *	trying the other form for good; we keep trying it on a miss, so a map
 *	rebuilt the other way still works): a key found costs one call, a
 *	key not found two. Keys arrive already folded to lower case by the
 *	switch, as makedbm -l and sendmail store them.
 *
 *	Servers. With NisServers set (host names or IPv4 addresses, in order
 *	of preference), the source talks to those ypserv processes directly:
 *	no ypbind is needed. A server's port is asked from its portmapper
 *	(rpcbind, PMAPPROC_GETPORT) and the client handle kept across
 *	lookups. A server that fails (timeout, RPC error, not registered,
 *	"domain not served") is dropped and the next one tried within the
 *	same lookup; the last server that answered is asked first afterwards.
 *	With NisServers empty, the source asks the local ypbind
 *	(YPBINDPROC_DOMAIN, version 2, on 127.0.0.1) for the server it is
 *	bound to and keeps that binding until it fails. In both modes a
 *	handle kept from an earlier lookup that fails is renewed once within
 *	the lookup (portmapper or ypbind asked again), so a ypserv that
 *	restarted on another port is found again at once.
 *
 *	libnsl's yp_match() is not used: it keeps its bindings in process-wide
 *	state shared by all threads and its RPC timeouts (25 s, with retries)
 *	cannot be changed; nor is libtirpc's clnt_create(), whose rpcbind
 *	query has timeouts of its own. The source uses UDP client handles
 *	of its own (clntudp_create) and libnsl's XDR routines, so instances
 *	share nothing: each daemon lookup thread (each with its own switch)
 *	has its own handles, and no lock is taken. A handle created before a
 *	fork() is not used in the child: the child creates its own on its
 *	first lookup.
 *
 *	Time. NisTimeout (at least 1s) bounds a lookup as a whole (asking the
 *	portmapper or ypbind, both key forms, every server tried): a lookup
 *	never takes much longer; UDP requests are sent again every second
 *	within that time.
 *
 * WHO FREES WHAT
 *	sm_nis_create() returns a source owned by the caller (the switch),
 *	released with sm_source_free(), which destroys its client handles. A
 *	SUCCESS value is a new string the caller frees with free(3).
 *
 * CONFIGURATION
 *	NisDomain (empty: NameServiceDomain, else the system's domain name as
 *	domainname(1) shows it), NisServers, NisTimeout, NisAliasMap.
 *
 * DIAGNOSTICS
 *	YP errors map to statuses as follows (the reason names the map, the
 *	domain, the server and the YP or RPC error text):
 *	    SM_SUCCESS   the key was found (YP_TRUE)
 *	    SM_NOTFOUND  YPERR_KEY (YP_NOKEY) with both key forms, YPERR_NOMORE
 *	    SM_UNAVAIL   YPERR_MAP (YP_NOMAP: no such map; with the default
 *	                 criteria the chain goes on to the next source),
 *	                 YPERR_BADARGS, YPERR_VERS, YPERR_ACCESS, YPERR_NODOM
 *	                 (no domain: sm_nis_create() then fails with "no NIS
 *	                 domain (set NisDomain or the system's domainname)"),
 *	                 a value holding a NUL, CR or LF, a hosts value that
 *	                 is not "ADDR NAME..." (these two are logged)
 *	    SM_TRYAGAIN  RPC failures and timeouts (YPERR_RPC), no server for
 *	                 the domain (YPERR_DOMAIN: YP_NODOM from every server,
 *	                 or ypbind not bound), ypbind or the portmapper not
 *	                 answering or a server name that does not resolve
 *	                 (YPERR_YPBIND, YPERR_PMAP), ypserv not registered
 *	                 (YPERR_YPSERV), YPERR_RESRC, YPERR_BUSY,
 *	                 YPERR_YPERR and YPERR_BADDB (trouble on the server:
 *	                 the mail waits for it rather than falling through to
 *	                 another source that might bounce it)
 *	This follows spec 7.4 except that libnss_nis calls RPC, binding and
 *	server errors UNAVAIL: for mail they are temporary (security.md 5.3),
 *	so they defer. A database other than the three is SM_UNAVAIL "the nis
 *	source has no DB database". When a server (or ypbind) fails, a
 *	warning with the domain, the server and the reason is logged, once
 *	per source instance until the server answers again (which is logged
 *	at LOG_INFO).
 *	sm_nis_create() returns NULL with "not built with NIS support" when
 *	libnsl/libtirpc were missing at build time, or with the reason the
 *	configuration is unusable ("no NIS domain ...", "NisAliasMap: \"X\"
 *	is not a map name"); the switch then answers
 *	SM_UNAVAIL with that reason.
 */
#ifndef SM_NIS_H
#define SM_NIS_H

#include "nis/nisplus.h"
#include "nsswitch/source.h"

struct sm_source *sm_nis_create(const char *name, const struct sm_config *cf, struct sm_buf *err);

#endif
