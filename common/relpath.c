/*
 * relpath.c - relative artifact paths (the rules are tabled in relpath.h).
 *
 * Every loop is bounded by the length it was given: the bytes may come
 * from a record and need not end in NUL.
 */
#include "common/relpath.h"

#include <assert.h>
#include <string.h>

#define STR(x) #x
#define XSTR(x) STR(x)

const char *
rs_relpath_verdict_string(enum rs_relpath_verdict v)
{
	switch (v) {
	case RS_RELPATH_OK: return "valid";
	case RS_RELPATH_EMPTY: return "empty";
	case RS_RELPATH_TOO_LONG: return "longer than " XSTR(RS_RELPATH_MAX) " bytes";
	case RS_RELPATH_NUL: return "a NUL byte";
	case RS_RELPATH_SLASH: return "a '/' in a name";
	case RS_RELPATH_ABSOLUTE: return "absolute (starts with '/')";
	case RS_RELPATH_EMPTY_NAME: return "an empty component ('//' or a trailing '/')";
	case RS_RELPATH_NAME_TOO_LONG: return "a component longer than " XSTR(RS_RELPATH_NAME_MAX) " bytes";
	case RS_RELPATH_DOT: return "a '.' or '..' component";
	case RS_RELPATH_TOO_DEEP: return "more than " XSTR(RS_RELPATH_MAX_DEPTH) " directories deep";
	}
	return "unknown verdict";
}

/* The checks a name and a path component share; name holds no '/' here. */
static enum rs_relpath_verdict
component_check(const char *name, size_t len)
{
	if (len == 0)
		return RS_RELPATH_EMPTY_NAME;
	if (len > RS_RELPATH_NAME_MAX)
		return RS_RELPATH_NAME_TOO_LONG;
	if (name[0] == '.' && (len == 1 || (len == 2 && name[1] == '.')))
		return RS_RELPATH_DOT;
	return RS_RELPATH_OK;
}

enum rs_relpath_verdict
rs_relpath_name_check(const char *name, size_t len)
{
	if (len == 0)
		return RS_RELPATH_EMPTY;
	if (len > RS_RELPATH_NAME_MAX)
		return RS_RELPATH_NAME_TOO_LONG;
	if (memchr(name, '\0', len) != NULL)
		return RS_RELPATH_NUL;
	if (memchr(name, '/', len) != NULL)
		return RS_RELPATH_SLASH;
	return component_check(name, len);
}

enum rs_relpath_verdict
rs_relpath_check(const char *path, size_t len)
{
	enum rs_relpath_verdict v;
	const char *slash;
	size_t off = 0, n;
	unsigned depth = 0;

	if (len == 0)
		return RS_RELPATH_EMPTY;
	if (len > RS_RELPATH_MAX)
		return RS_RELPATH_TOO_LONG;
	if (memchr(path, '\0', len) != NULL)
		return RS_RELPATH_NUL;
	if (path[0] == '/')
		return RS_RELPATH_ABSOLUTE;
	/* Component by component; off is the start of the current one. */
	for (;;) {
		slash = memchr(path + off, '/', len - off);
		n = slash != NULL ? (size_t)(slash - (path + off)) : len - off;
		if ((v = component_check(path + off, n)) != RS_RELPATH_OK)
			return v;
		if (slash == NULL)
			break;
		if (++depth > RS_RELPATH_MAX_DEPTH)
			return RS_RELPATH_TOO_DEEP;
		off += n + 1;
	}
	return RS_RELPATH_OK;
}

void
rs_relpath_init(struct rs_relpath *p)
{
	p->s[0] = '\0';
	p->len = 0;
	p->depth = 0;
}

enum rs_relpath_verdict
rs_relpath_push(struct rs_relpath *p, const char *name, size_t len)
{
	enum rs_relpath_verdict v;
	size_t sep = p->len > 0 ? 1 : 0;

	assert(p->len <= RS_RELPATH_MAX && p->s[p->len] == '\0');
	if ((v = rs_relpath_name_check(name, len)) != RS_RELPATH_OK)
		return v;
	/* len <= RS_RELPATH_NAME_MAX here: the sum cannot overflow. */
	if (p->len + sep + len > RS_RELPATH_MAX)
		return RS_RELPATH_TOO_LONG;
	if (sep && p->depth >= RS_RELPATH_MAX_DEPTH)
		return RS_RELPATH_TOO_DEEP;
	if (sep)
		p->s[p->len] = '/';
	memcpy(p->s + p->len + sep, name, len);
	p->len += sep + len;
	p->s[p->len] = '\0';
	p->depth += (unsigned)sep;
	return RS_RELPATH_OK;
}

void
rs_relpath_pop(struct rs_relpath *p)
{
	const char *slash;

	assert(p->len <= RS_RELPATH_MAX && p->s[p->len] == '\0');
	if (p->len == 0)
		return;
	if ((slash = memrchr(p->s, '/', p->len)) == NULL) {
		rs_relpath_init(p);
		return;
	}
	p->len = (size_t)(slash - p->s);
	p->s[p->len] = '\0';
	p->depth--;
}
