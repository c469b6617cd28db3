/*
 * Unit tests for common/relpath: the rules of relpath.h at their edges,
 * the builder (push/pop) against the checker, and reads bounded by the
 * length given (every view is an exact-size heap copy, so an ASan build
 * catches a read past it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/relpath.h"

/* len bytes of s in a heap block of exactly len bytes (no NUL after them). */
static char *
exact(const char *s, size_t len)
{
	char *p = malloc(len > 0 ? len : 1);

	assert_non_null(p);
	memcpy(p, s, len);
	return p;
}

/* Run a checker over an exact-size copy, so ASan sees any read past len. */
static enum rs_relpath_verdict
on_copy(enum rs_relpath_verdict (*fn)(const char *, size_t), const char *s, size_t len)
{
	char *p = exact(s, len);
	enum rs_relpath_verdict v = fn(p, len);

	free(p);
	return v;
}

static enum rs_relpath_verdict
check_n(const char *s, size_t len)
{
	return on_copy(rs_relpath_check, s, len);
}

static enum rs_relpath_verdict
check(const char *s)
{
	return check_n(s, strlen(s));
}

static enum rs_relpath_verdict
name_check_n(const char *s, size_t len)
{
	return on_copy(rs_relpath_name_check, s, len);
}

static enum rs_relpath_verdict
name_check(const char *s)
{
	return name_check_n(s, strlen(s));
}

/* A string of n copies of c (caller frees). */
static char *
repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void
test_names(void **state)
{
	char all[256], *n255 = repeat('x', 255), *n256 = repeat('x', 256);
	size_t i, k = 0;

	(void)state;
	assert_int_equal(name_check("a"), RS_RELPATH_OK);
	assert_int_equal(name_check("..."), RS_RELPATH_OK);
	assert_int_equal(name_check(".a"), RS_RELPATH_OK);
	assert_int_equal(name_check("a."), RS_RELPATH_OK);
	assert_int_equal(name_check("..a"), RS_RELPATH_OK);
	assert_int_equal(name_check("k=v"), RS_RELPATH_OK);
	assert_int_equal(name_check("esc\x1b[2J"), RS_RELPATH_OK);
	assert_int_equal(name_check("\xff\xfe"), RS_RELPATH_OK);
	assert_int_equal(name_check(n255), RS_RELPATH_OK);
	/* Every byte but NUL and '/' is a name's. */
	for (i = 1; i < 256; i++)
		if (i != '/')
			all[k++] = (char)i;
	assert_int_equal(name_check_n(all, 200), RS_RELPATH_OK);
	assert_int_equal(name_check_n(all + 200, k - 200), RS_RELPATH_OK);

	assert_int_equal(name_check(""), RS_RELPATH_EMPTY);
	assert_int_equal(name_check("."), RS_RELPATH_DOT);
	assert_int_equal(name_check(".."), RS_RELPATH_DOT);
	assert_int_equal(name_check("a/b"), RS_RELPATH_SLASH);
	assert_int_equal(name_check("/"), RS_RELPATH_SLASH);
	assert_int_equal(name_check(n256), RS_RELPATH_NAME_TOO_LONG);
	assert_int_equal(name_check_n("a\0b", 3), RS_RELPATH_NUL);
	assert_int_equal(name_check_n("\0", 1), RS_RELPATH_NUL);
	free(n255);
	free(n256);
}

/* "a/a/.../a": depth '/' and depth + 1 components (caller frees). */
static char *
deep(unsigned depth)
{
	char *s = malloc(2 * (size_t)depth + 2);
	unsigned i;

	assert_non_null(s);
	for (i = 0; i <= depth; i++) {
		s[2 * i] = 'a';
		s[2 * i + 1] = '/';
	}
	s[2 * depth + 1] = '\0';
	return s;
}

static void
test_paths(void **state)
{
	char *d64 = deep(RS_RELPATH_MAX_DEPTH), *d65 = deep(RS_RELPATH_MAX_DEPTH + 1);
	char *l1024 = repeat('b', RS_RELPATH_MAX), *l1025 = repeat('b', RS_RELPATH_MAX + 1);
	char *n256 = repeat('c', 256), *p;

	(void)state;
	assert_int_equal(check("a"), RS_RELPATH_OK);
	assert_int_equal(check("a/b"), RS_RELPATH_OK);
	assert_int_equal(check("a/.../b"), RS_RELPATH_OK);
	assert_int_equal(check(".a/b."), RS_RELPATH_OK);
	assert_int_equal(check("k=v/x\x01y"), RS_RELPATH_OK);
	assert_int_equal(check(d64), RS_RELPATH_OK);
	/* 1024 bytes in components of at most 255 (200, 199, 199, 199, 223). */
	for (p = l1024 + 200; p < l1024 + RS_RELPATH_MAX; p += 200)
		*p = '/';
	assert_int_equal(check(l1024), RS_RELPATH_OK);

	assert_int_equal(check(""), RS_RELPATH_EMPTY);
	assert_int_equal(check(l1025), RS_RELPATH_TOO_LONG);
	assert_int_equal(check_n("a\0b", 3), RS_RELPATH_NUL);
	assert_int_equal(check_n("a/b\0", 4), RS_RELPATH_NUL);
	assert_int_equal(check("/a"), RS_RELPATH_ABSOLUTE);
	assert_int_equal(check("/"), RS_RELPATH_ABSOLUTE);
	assert_int_equal(check("a//b"), RS_RELPATH_EMPTY_NAME);
	assert_int_equal(check("a/"), RS_RELPATH_EMPTY_NAME);
	assert_int_equal(check("."), RS_RELPATH_DOT);
	assert_int_equal(check(".."), RS_RELPATH_DOT);
	assert_int_equal(check("./a"), RS_RELPATH_DOT);
	assert_int_equal(check("a/./b"), RS_RELPATH_DOT);
	assert_int_equal(check("a/.."), RS_RELPATH_DOT);
	assert_int_equal(check("../a"), RS_RELPATH_DOT);
	assert_int_equal(check(n256), RS_RELPATH_NAME_TOO_LONG);
	assert_int_equal(check(d65), RS_RELPATH_TOO_DEEP);
	/* A view shorter than the string: only its bytes count. */
	assert_int_equal(check_n("a/b", 1), RS_RELPATH_OK);
	assert_int_equal(check_n("a/b", 2), RS_RELPATH_EMPTY_NAME);
	assert_int_equal(check_n("../", 1), RS_RELPATH_DOT);
	free(d64);
	free(d65);
	free(l1024);
	free(l1025);
	free(n256);
}

static void
test_verdict_strings(void **state)
{
	enum rs_relpath_verdict v, w;

	(void)state;
	for (v = RS_RELPATH_OK; v <= RS_RELPATH_TOO_DEEP; v++) {
		assert_non_null(rs_relpath_verdict_string(v));
		for (w = RS_RELPATH_OK; w < v; w++)
			assert_string_not_equal(rs_relpath_verdict_string(v),
			    rs_relpath_verdict_string(w));
	}
	assert_string_equal(rs_relpath_verdict_string(RS_RELPATH_TOO_LONG),
	    "longer than 1024 bytes");
	assert_string_equal(rs_relpath_verdict_string((enum rs_relpath_verdict)99),
	    "unknown verdict");
}

static void
push_ok(struct rs_relpath *p, const char *name)
{
	char *n = exact(name, strlen(name));

	assert_int_equal(rs_relpath_push(p, n, strlen(name)), RS_RELPATH_OK);
	free(n);
	assert_int_equal(strlen(p->s), p->len);
	assert_int_equal(rs_relpath_check(p->s, p->len), RS_RELPATH_OK);
}

static void
test_push_pop(void **state)
{
	struct rs_relpath p, before;
	char *n255 = repeat('n', 255);
	unsigned i;

	(void)state;
	/* Whole-struct compares below: no byte of it may be uninitialised. */
	memset(&p, 0, sizeof(p));
	rs_relpath_init(&p);
	assert_string_equal(p.s, "");
	assert_int_equal(p.len, 0);
	push_ok(&p, "a");
	assert_string_equal(p.s, "a");
	assert_int_equal(p.depth, 0);
	push_ok(&p, "b c");
	assert_string_equal(p.s, "a/b c");
	assert_int_equal(p.depth, 1);

	/* Refused names leave the path as it was. */
	memcpy(&before, &p, sizeof(p));
	assert_int_equal(rs_relpath_push(&p, "", 0), RS_RELPATH_EMPTY);
	assert_int_equal(rs_relpath_push(&p, ".", 1), RS_RELPATH_DOT);
	assert_int_equal(rs_relpath_push(&p, "..", 2), RS_RELPATH_DOT);
	assert_int_equal(rs_relpath_push(&p, "x/y", 3), RS_RELPATH_SLASH);
	assert_int_equal(rs_relpath_push(&p, "x\0y", 3), RS_RELPATH_NUL);
	assert_int_equal(rs_relpath_push(&p, n255, 256), RS_RELPATH_NAME_TOO_LONG);
	assert_memory_equal(&before, &p, sizeof(p));

	rs_relpath_pop(&p);
	assert_string_equal(p.s, "a");
	assert_int_equal(p.depth, 0);
	rs_relpath_pop(&p);
	assert_string_equal(p.s, "");
	rs_relpath_pop(&p);
	assert_string_equal(p.s, "");
	assert_int_equal(p.len, 0);
	assert_int_equal(p.depth, 0);

	/* Depth: 1 + RS_RELPATH_MAX_DEPTH names, not one more. */
	for (i = 0; i <= RS_RELPATH_MAX_DEPTH; i++)
		push_ok(&p, "d");
	assert_int_equal(p.depth, RS_RELPATH_MAX_DEPTH);
	memcpy(&before, &p, sizeof(p));
	assert_int_equal(rs_relpath_push(&p, "d", 1), RS_RELPATH_TOO_DEEP);
	assert_memory_equal(&before, &p, sizeof(p));
	for (i = 0; i <= RS_RELPATH_MAX_DEPTH; i++)
		rs_relpath_pop(&p);
	assert_string_equal(p.s, "");

	/* Length: 4 names of 255 bytes and 3 '/' are 1023 bytes, no room for "/e". */
	for (i = 0; i < 4; i++)
		push_ok(&p, n255);
	assert_int_equal(p.len, 1023);
	memcpy(&before, &p, sizeof(p));
	assert_int_equal(rs_relpath_push(&p, "e", 1), RS_RELPATH_TOO_LONG);
	assert_memory_equal(&before, &p, sizeof(p));
	rs_relpath_pop(&p);
	n255[253] = '\0';
	push_ok(&p, n255);          /* 3 * 255 + 3 + 253 = 1021 */
	push_ok(&p, "e");           /* 1023 */
	rs_relpath_pop(&p);
	rs_relpath_pop(&p);
	n255[253] = 'n';
	n255[254] = '\0';
	push_ok(&p, n255);          /* 1022 */
	push_ok(&p, "e");           /* 1024 */
	assert_int_equal(p.len, RS_RELPATH_MAX);
	assert_int_equal(rs_relpath_push(&p, "f", 1), RS_RELPATH_TOO_LONG);
	free(n255);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_verdict_strings),
		cmocka_unit_test(test_push_pop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
