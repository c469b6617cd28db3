/*
 * rt.h - helpers for the red-team programs. Each program attacks the
 * sandbox from inside and reports every attempt on stdout:
 *
 *   "contained: WHAT (ERRNO TEXT)"   the attack failed, as it must
 *   "ESCAPED: WHAT"                  the attack worked: the driver fails
 *
 * and exits rt_done(): 0 when everything was contained, 99 otherwise.
 */
#ifndef RT_H
#define RT_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int rt_escaped;

__attribute__((format(printf, 1, 2), unused))
static void
rt_escape(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("ESCAPED: ", stdout);
	vprintf(fmt, ap);
	fputc('\n', stdout);
	va_end(ap);
	fflush(stdout);
	rt_escaped = 1;
}

/* r is a system call result that must be a failure. */
__attribute__((unused))
static void
rt_fails(long r, const char *what)
{
	if (r >= 0) {
		rt_escape("%s (returned %ld)", what, r);
		return;
	}
	printf("contained: %s (%s)\n", what, strerror(errno));
	fflush(stdout);
}

__attribute__((unused))
static int
rt_done(void)
{
	fflush(stdout);
	return rt_escaped ? 99 : 0;
}

#endif
