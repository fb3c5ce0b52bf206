/*
 * server/hoststat.c - what the last connection to each remote host ended with (see hoststat.h)
 *
 * DESCRIPTION
 *	A status file holds one line: the time of the failure in seconds,
 *	a space, the reply. It is written to a temporary name and renamed, so
 *	a reader sees the old status or the new one. Losing a status costs
 *	nothing but a time-out, so nothing here is fsync()ed.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/mem.h"
#include "server/hoststat.h"

/* sm_hoststat_dir - HostStatusDirectory, inside QueueDirectory when relative; caller frees */
char *sm_hoststat_dir(const struct sm_config *cf)
{
	const char *d = sm_config_str(cf, "HostStatusDirectory");

	if (d == NULL || *d == '\0')
		d = ".hoststat";
	if (*d == '/')
		return sm_strdup(d);
	return sm_asprintf("%s/%s", sm_config_str(cf, "QueueDirectory"), d);
}

/* status_path - dir/host in lower case into path; 0, or -1 for a name that is not a file name */
static int status_path(const char *dir, const char *host, char *path, size_t len)
{
	size_t i, n = strlen(host);
	int w;

	if (n == 0 || host[0] == '.' || strchr(host, '/') != NULL)
		return -1;
	w = snprintf(path, len, "%s/", dir);
	if (w < 0 || (size_t)w + n >= len)
		return -1;
	for (i = 0; i < n; i++)
		path[w + i] = (char)tolower((unsigned char)host[i]);
	path[w + n] = '\0';
	return 0;
}

/* sm_hoststat_record - remember host's failure (reply), or its success (NULL) */
void sm_hoststat_record(const char *dir, const char *host, const char *reply)
{
	char path[PATH_MAX], tmp[PATH_MAX + 32];
	char *line;
	int fd;

	if (status_path(dir, host, path, sizeof(path)) < 0)
		return;
	if (reply == NULL) {
		if (unlink(path) < 0 && errno != ENOENT)
			sm_log(LOG_WARNING, "cannot remove host status %s: %s", path, strerror(errno));
		return;
	}
	snprintf(tmp, sizeof(tmp), "%s/.tmp.%ld.%lx", dir, (long)getpid(), (unsigned long)pthread_self());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0 && errno == ENOENT &&
	    mkdir(dir, 0755) == 0)
		fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		sm_log(LOG_WARNING, "cannot write host status %s: %s", tmp, strerror(errno));
		return;
	}
	line = sm_asprintf("%lld %s\n", (long long)time(NULL), reply);
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line) || close(fd) < 0 ||
	    rename(tmp, path) < 0) {
		sm_log(LOG_WARNING, "cannot write host status %s: %s", path, strerror(errno));
		unlink(tmp);
	}
	free(line);
}

/* read_status - the time and reply of status file path; 0, or -1 when there is none */
static int read_status(const char *path, time_t *when, char **reply)
{
	char buf[1024], *end;
	ssize_t n;
	int fd;
	long long t;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	t = strtoll(buf, &end, 10);
	if (end == buf || *end != ' ')
		return -1;
	*when = (time_t)t;
	if (reply)
		*reply = sm_strdup(end + 1);
	return 0;
}

/* sm_hoststat_down - did host fail less than within seconds ago? (*reply: caller frees) */
int sm_hoststat_down(const char *dir, const char *host, long within, char **reply)
{
	char path[PATH_MAX];
	time_t when;

	if (within <= 0 || status_path(dir, host, path, sizeof(path)) < 0)
		return 0;
	if (read_status(path, &when, NULL) < 0 || time(NULL) - when >= within)
		return 0;
	if (reply)
		return read_status(path, &when, reply) == 0;
	return 1;
}

/* name_cmp - qsort order of host names */
static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* list_hosts - the status files of dir, sorted; NULL with *n 0 when the directory is missing */
static char **list_hosts(const char *dir, size_t *n, int *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **v = NULL;
	size_t cap = 0;

	*n = 0;
	*err = 0;
	if (d == NULL) {
		*err = errno == ENOENT ? 0 : errno;
		return NULL;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			v = sm_realloc(v, cap * sizeof(*v));
		}
		v[(*n)++] = sm_strdup(e->d_name);
	}
	closedir(d);
	if (*n > 1)
		qsort(v, *n, sizeof(*v), name_cmp);
	return v;
}

/* sm_hoststat_print - hoststat's listing */
int sm_hoststat_print(const char *dir, FILE *out, int verbose, time_t now)
{
	size_t i, n;
	int err;
	char **v = list_hosts(dir, &n, &err);

	fprintf(out, " -------------- Hostname --------------- How long ago ---------Results---------\n");
	if (err) {
		fprintf(stderr, "hoststat: %s: %s\n", dir, strerror(err));
		return EX_OSERR;
	}
	for (i = 0; i < n; i++) {
		char path[PATH_MAX], ago[32], *reply = NULL;
		time_t when;
		long d;

		snprintf(path, sizeof(path), "%s/%s", dir, v[i]);
		if (read_status(path, &when, &reply) == 0) {
			d = (long)(now > when ? now - when : 0);
			if (d >= 86400)
				snprintf(ago, sizeof(ago), "%ld+%02ld:%02ld:%02ld", d / 86400,
				         d % 86400 / 3600, d % 3600 / 60, d % 60);
			else
				snprintf(ago, sizeof(ago), "%02ld:%02ld:%02ld", d / 3600, d % 3600 / 60,
				         d % 60);
			fprintf(out, " %-39s %12s %.*s\n", v[i], ago, verbose ? 78 : 25, reply);
			free(reply);
		}
		free(v[i]);
	}
	free(v);
	return EX_OK;
}

/* sm_hoststat_purge - remove every status file */
int sm_hoststat_purge(const char *dir)
{
	size_t i, n;
	int err, rc = EX_OK;
	char **v = list_hosts(dir, &n, &err);

	if (err) {
		fprintf(stderr, "purgestat: %s: %s\n", dir, strerror(err));
		return EX_OSERR;
	}
	for (i = 0; i < n; i++) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/%s", dir, v[i]);
		if (unlink(path) < 0 && errno != ENOENT) {
			fprintf(stderr, "purgestat: %s: %s\n", path, strerror(errno));
			rc = EX_OSERR;
		}
		free(v[i]);
	}
	free(v);
	return rc;
}
