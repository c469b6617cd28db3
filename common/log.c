#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>

#include "common/err.h"

static const char *progname = "runseal";
static enum rs_log_level level = RS_LOG_INFO;

void rs_log_init(const char *prog) { progname = prog; }
void rs_log_set_level(enum rs_log_level l) { level = l; }
enum rs_log_level rs_log_get_level(void) { return level; }

static void
emit(enum rs_log_level l, const char *tag, const char *fmt, va_list ap)
{
	if (level < l)
		return;
	fprintf(stderr, "%s: %s", progname, tag);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

#define LOGFN(name, lvl, tag) \
void name(const char *fmt, ...) { va_list ap; va_start(ap, fmt); emit(lvl, tag, fmt, ap); va_end(ap); }

LOGFN(rs_error, RS_LOG_ERROR, "error: ")
LOGFN(rs_warn, RS_LOG_ERROR, "warning: ")
LOGFN(rs_info, RS_LOG_INFO, "")
LOGFN(rs_debug, RS_LOG_DEBUG, "debug: ")

void
rs_error_code(int err, const char *what)
{
	const char *d = rs_err_detail();

	if (d[0] != '\0')
		rs_error("%s: %s", what, d);
	else
		rs_error("%s: %s", what, rs_strerror(err));
}
