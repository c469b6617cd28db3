#include "verifier/vcli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/exitcode.h"
#include "common/log.h"
#include "verifier/report.h"

int
vcli_usage_error(const char *help_cmd, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rs_error("%s (see '%s --help')", msg, help_cmd);
	return RS_EXIT_USAGE;
}

int
vcli_option_error(int c, int optopt_c, const char *arg, const char *help_cmd)
{
	int is_long = optopt_c == 0 || optopt_c >= VCLI_OPT_BASE;

	if (c == ':' && is_long)
		return vcli_usage_error(help_cmd, "option '%s' needs a value", arg);
	if (c == ':')
		return vcli_usage_error(help_cmd, "option -%c needs a value", optopt_c);
	if (optopt_c >= VCLI_OPT_BASE)
		return vcli_usage_error(help_cmd, "option '%s' takes no value", arg);
	if (is_long)
		return vcli_usage_error(help_cmd, "unknown option '%s'", arg);
	return vcli_usage_error(help_cmd, "unknown option -%c", optopt_c);
}

json_t *
vcli_json_text(const char *s)
{
	json_t *j;
	char *copy;
	size_t i;

	if ((j = json_string(s)) != NULL)
		return j;
	if ((copy = strdup(s)) == NULL)
		return NULL;
	for (i = 0; copy[i] != '\0'; i++)
		if ((unsigned char)copy[i] >= 0x80 || (unsigned char)copy[i] < 0x20)
			copy[i] = '?';
	j = json_string(copy);
	free(copy);
	return j;
}

int
vcli_finish(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		rs_error("writing the verdict to stdout failed");
		return RS_EXIT_IOERR;
	}
	return status;
}

int
vcli_emit(const struct report *rp, int json, int json_r, int quiet, const char *html_path)
{
	int r;

	if (json && json_r != 0) {
		rs_error_code(json_r, "building the JSON report");
		return rs_exit_for_err(json_r);
	}
	if (!json && !quiet)
		report_print_human(rp, stdout);
	if (html_path != NULL) {
		rs_err_clear();
		if ((r = report_write_html(rp, html_path)) != 0) {
			rs_error_code(r, "cannot write the HTML report");
			return rs_exit_for_err(r);
		}
	}
	return rp->exit_status;
}
