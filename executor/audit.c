#include "executor/audit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "common/encode.h"
#include "common/err.h"
#include "common/file.h"

#define JOURNAL_SOCKET "/run/systemd/journal/socket"

const char *
audit_log_path(const char *flag)
{
	const char *env;

	if (flag != NULL && flag[0] != '\0')
		return flag;
	env = getenv("RUNSEAL_AUDIT_LOG");
	return env != NULL && env[0] != '\0' ? env : NULL;
}

static void
iso_time(int64_t ns, char *buf, size_t len)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;
	char base[32];

	if (gmtime_r(&t, &tm) == NULL || strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
		snprintf(buf, len, "?");
		return;
	}
	snprintf(buf, len, "%s.%03dZ", base, (int)((ns / 1000000) % 1000));
}

int
audit_format(const struct audit_event *ev, char **line)
{
	const struct attest_run *run = ev->run;
	char hex[2 * RS_SHA256_LEN + 1], when[48];
	json_t *o, *kinds;
	size_t i;
	int64_t dur = (run->end_unix_ns - run->start_unix_ns) / 1000000;

	*line = NULL;
	if ((kinds = json_array()) == NULL)
		return RS_ERR_ALLOC;
	for (i = 0; i < run->n_events; i++)
		json_array_append_new(kinds, json_string(run->events[i].kind));
	rs_hex_encode(ev->record_digest, RS_SHA256_LEN, hex);
	iso_time(run->end_unix_ns, when, sizeof(when));
	o = json_pack("{s:s, s:s, s:I, s:s, s:s, s:i, s:b, s:i, s:o, s:s, s:I, s:s?}",
	    "schema", "runseal-audit/v1", "time", when, "entry", (json_int_t)ev->entry,
	    "record_digest", hex, "argv0", run->argc > 0 ? run->argv[0] : "",
	    "exit_status", ev->exit_status, "timed_out", run->timed_out,
	    "signal", run->signal, "events", kinds, "signer", ev->signer,
	    "duration_ms", (json_int_t)(dur > 0 ? dur : 0), "traceparent", run->traceparent);
	if (o == NULL)
		return RS_ERR_ALLOC;
	*line = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return *line == NULL ? RS_ERR_ALLOC : 0;
}

/* One journal field "NAME=value\n"; values here never hold a newline. */
static int
add_field(char **buf, size_t *len, const char *name, const char *value)
{
	char *nb;
	int n;

	if (strchr(value, '\n') != NULL)
		return 0;
	if ((n = asprintf(&nb, "%s%s=%s\n", *buf ? *buf : "", name, value)) < 0)
		return RS_ERR_ALLOC;
	free(*buf);
	*buf = nb;
	*len = (size_t)n;
	return 0;
}

static int
to_journal(const struct audit_event *ev, const char *json_line)
{
	struct sockaddr_un sa;
	char *msg = NULL, hex[2 * RS_SHA256_LEN + 1], num[32], text[256];
	size_t len = 0;
	int fd = -1, r;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	strcpy(sa.sun_path, JOURNAL_SOCKET);
	rs_hex_encode(ev->record_digest, RS_SHA256_LEN, hex);
	snprintf(text, sizeof(text), "runseal: entry %llu appended, %s exited %d",
	    (unsigned long long)ev->entry, ev->run->argc > 0 ? ev->run->argv[0] : "?",
	    ev->exit_status);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)ev->entry);
	if ((r = add_field(&msg, &len, "MESSAGE", text)) != 0 ||
	    (r = add_field(&msg, &len, "PRIORITY", "6")) != 0 ||
	    (r = add_field(&msg, &len, "SYSLOG_IDENTIFIER", "runseal")) != 0 ||
	    (r = add_field(&msg, &len, "RUNSEAL_ENTRY", num)) != 0 ||
	    (r = add_field(&msg, &len, "RUNSEAL_RECORD_DIGEST", hex)) != 0 ||
	    (r = add_field(&msg, &len, "RUNSEAL_SIGNER", ev->signer)) != 0 ||
	    (ev->run->traceparent != NULL &&
	    (r = add_field(&msg, &len, "RUNSEAL_TRACEPARENT", ev->run->traceparent)) != 0) ||
	    (r = add_field(&msg, &len, "RUNSEAL_EVENT_JSON", json_line)) != 0)
		goto out;
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0 ||
	    sendto(fd, msg, len, MSG_NOSIGNAL, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = rs_fail(RS_ERR_IO, "journal: %s", strerror(errno));
		goto out;
	}
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	free(msg);
	return r;
}

static int
under_systemd(void)
{
	return (getenv("INVOCATION_ID") != NULL || getenv("JOURNAL_STREAM") != NULL) &&
	    access(JOURNAL_SOCKET, W_OK) == 0;
}

int
audit_emit(const struct audit_event *ev, const char *path)
{
	char *line = NULL, *nl = NULL;
	int fd = -1, r, first = 0;

	if ((r = audit_format(ev, &line)) != 0)
		return r;
	if (path != NULL) {
		size_t n = strlen(line);
		if ((nl = malloc(n + 2)) == NULL) {
			first = RS_ERR_ALLOC;
		} else {
			memcpy(nl, line, n);
			nl[n] = '\n';
			nl[n + 1] = '\0';
			/* One write with O_APPEND: lines from concurrent runs never mix. */
			if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
			    0640)) < 0)
				first = rs_fail(rs_err_from_errno(errno), "audit log %s: %s", path,
				    strerror(errno));
			else if (write(fd, nl, n + 1) != (ssize_t)(n + 1))
				first = rs_fail(RS_ERR_IO, "audit log %s: short write", path);
		}
	}
	if (under_systemd() && (r = to_journal(ev, line)) != 0 && first == 0)
		first = r;
	if (fd >= 0)
		close(fd);
	free(nl);
	free(line);
	return first;
}
