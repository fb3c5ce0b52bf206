/*
 * lib/settings.c - the table of switchmail.conf settings and their defaults
 *
 * DESCRIPTION
 *	Data only. Where sendmail has an option for the same thing, the name is
 *	sendmail's. `switchmail -bC` prints the effective value of each.
 */
#include "config.h"

#include "lib/cfg.h"

const struct sm_setting_def sm_settings[] = {
	{ "AliasFile", SM_SET_PATH, "/etc/mail/aliases",
	  "aliases text file; newaliases compiles it into AliasFile.lmdb" },
	{ "ServiceSwitchFile", SM_SET_PATH, "/etc/nsswitch.conf",
	  "nsswitch.conf giving the sources of each database" },
	{ "QueueDirectory", SM_SET_PATH, "/var/spool/mqueue", "queue directory" },
	{ "MailSpoolDirectory", SM_SET_PATH, "/var/mail", "directory of local mailboxes" },
	{ "ForwardPath", SM_SET_STRING, "$z/.forward.$w+$h:$z/.forward+$h:$z/.forward.$w:$z/.forward",
	  ".forward search path ($z home, $w short host name, $h +detail, $u user)" },
	{ "MaxAliasRecursion", SM_SET_INT, "10", "maximum depth of alias expansion" },
	{ "MaxForwardEntries", SM_SET_INT, "0", "maximum addresses in one .forward (0: no limit)" },
	{ "MaxAliasLineLength", SM_SET_INT, "8388608",
	  "longest aliases entry, continuation lines included, in bytes" },
	{ "DaemonPortOptions", SM_SET_STRING, "Port=smtp,Addr=127.0.0.1,Name=MTA",
	  "where the SMTP daemon listens" },
	{ "SmartHost", SM_SET_STRING, "", "relay for every non-local address" },
	{ "FallBackSmartHost", SM_SET_STRING, "", "last resort after every MX has failed" },
	{ "HostName", SM_SET_STRING, "", "our fully qualified host name (empty: from the system)" },
	{ "NameServiceDomain", SM_SET_STRING, "",
	  "name-service domain (empty: the system's NIS domain, else the domain of HostName)" },
	{ "MailDomain", SM_SET_STRING, "",
	  "mail domain (empty: sendmailvars maildomain, else the name-service domain minus its first "
	  "label)" },
	{ "MailHost", SM_SET_STRING, "",
	  "name looked up in the hosts database to find the mail host (empty: sendmailvars mailhost, "
	  "else \"mailhost\")" },
	{ "VirtUserTable", SM_SET_PATH, "/etc/mail/virtusertable",
	  "virtusertable map (makemap writes VirtUserTable.lmdb); a missing map is empty" },
	{ "VirtUserDomainsFile", SM_SET_PATH, "",
	  "domains besides our own whose mail goes through the virtusertable" },
	{ "MailerTable", SM_SET_PATH, "/etc/mail/mailertable",
	  "mailertable map (makemap writes MailerTable.lmdb); a missing map is empty" },
	{ "RelayDomainsFile", SM_SET_PATH, "/etc/mail/relay-domains", "domains we relay for" },
	{ "DefaultUser", SM_SET_STRING, "daemon",
	  "user that runs programs and writes files named in the aliases file" },
	{ "ForwardMinUid", SM_SET_INT, "1000",
	  "accounts with a smaller uid (root and system accounts) have no .forward" },
	{ "RemoteMode", SM_SET_STRING, "",
	  "mail server of a mail client in remote mode (empty: local mode)" },
	{ "HostsFile", SM_SET_PATH, "/etc/hosts", "hosts file of the files source" },
	{ "SendmailVarsFile", SM_SET_PATH, "/etc/mail/sendmailvars",
	  "sendmailvars file of the files source (\"key value\" lines)" },
	{ "LocalHostNamesFile", SM_SET_PATH, "/etc/mail/local-host-names",
	  "other names this host accepts mail for" },
	{ "PasswdFile", SM_SET_PATH, "",
	  "passwd(5) file for local users (empty: the system's users through getpwnam)" },
	{ "TestSourceFile", SM_SET_PATH, "", "fixture file of the `test` source (testing only)" },
	{ "LogLevel", SM_SET_INT, "9", "how much to log" },
	{ NULL, SM_SET_STRING, NULL, NULL },
};
