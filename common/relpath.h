/*
 * relpath.h - relative artifact paths: the names under which a run records
 * its outputs (and inputs), built from directory entries the sandboxed
 * program chose, and read back from records that anyone may have written.
 * Pure functions over bounded byte views: no I/O, no allocation, no errno.
 *
 * A name (one component, rs_relpath_name_check):
 *
 *   | rule                                   | verdict when broken        |
 *   |----------------------------------------|----------------------------|
 *   | at least one byte                      | RS_RELPATH_EMPTY           |
 *   | at most RS_RELPATH_NAME_MAX bytes      | RS_RELPATH_NAME_TOO_LONG   |
 *   | no NUL byte                            | RS_RELPATH_NUL             |
 *   | no '/'                                 | RS_RELPATH_SLASH           |
 *   | not "." and not ".."                   | RS_RELPATH_DOT             |
 *
 * A relative path (rs_relpath_check):
 *
 *   | rule                                   | verdict when broken        |
 *   |----------------------------------------|----------------------------|
 *   | at least one byte                      | RS_RELPATH_EMPTY           |
 *   | at most RS_RELPATH_MAX bytes           | RS_RELPATH_TOO_LONG        |
 *   | no NUL byte                            | RS_RELPATH_NUL             |
 *   | does not start with '/'                | RS_RELPATH_ABSOLUTE        |
 *   | no empty component ("a//b", "a/")      | RS_RELPATH_EMPTY_NAME      |
 *   | no component longer than NAME_MAX      | RS_RELPATH_NAME_TOO_LONG   |
 *   | no "." or ".." component               | RS_RELPATH_DOT             |
 *   | at most RS_RELPATH_MAX_DEPTH '/' bytes | RS_RELPATH_TOO_DEEP        |
 *
 * so a valid path is 1 to RS_RELPATH_MAX_DEPTH + 1 valid names joined by
 * single '/' bytes, at most RS_RELPATH_MAX bytes in all, and it names a
 * file below the directory it is taken relative to (never the directory
 * itself, never above it) without resolving anything. Every other byte is
 * allowed, control characters and invalid UTF-8 included: a printer of
 * names escapes them itself. When a path breaks several rules the verdict
 * names one of them (which one is not part of the contract).
 *
 * The bounds are collect.c's (EXEC_COLLECT_MAX_PATH and _DEPTH are these):
 * a path recorded by runseal run always passes rs_relpath_check().
 */
#ifndef RS_RELPATH_H
#define RS_RELPATH_H

#include <stddef.h>

#define RS_RELPATH_MAX 1024         /* bytes of a path, NUL not included */
#define RS_RELPATH_NAME_MAX 255     /* bytes of one component (NAME_MAX) */
#define RS_RELPATH_MAX_DEPTH 64     /* '/' bytes: directories above the last name */

enum rs_relpath_verdict {
	RS_RELPATH_OK = 0,
	RS_RELPATH_EMPTY,
	RS_RELPATH_TOO_LONG,
	RS_RELPATH_NUL,
	RS_RELPATH_SLASH,
	RS_RELPATH_ABSOLUTE,
	RS_RELPATH_EMPTY_NAME,
	RS_RELPATH_NAME_TOO_LONG,
	RS_RELPATH_DOT,
	RS_RELPATH_TOO_DEEP,
};

/* Static English text for a verdict ("a '.' or '..' component", ...); never NULL. */
const char *rs_relpath_verdict_string(enum rs_relpath_verdict v);

/* The len bytes at name (no NUL needed, none read past len) as one name. */
enum rs_relpath_verdict rs_relpath_name_check(const char *name, size_t len);

/* The len bytes at path (no NUL needed, none read past len) as a relative path. */
enum rs_relpath_verdict rs_relpath_check(const char *path, size_t len);

/*
 * A relative path built one name at a time, as a walk descends a tree.
 * Invariant: s[0..len) is "" (depth 0) or a path that passes
 * rs_relpath_check(), s[len] is NUL, and depth counts the '/' in it. Read
 * the fields; change them only through the functions below.
 */
struct rs_relpath {
	char s[RS_RELPATH_MAX + 1];
	size_t len;
	unsigned depth;
};

/* Make p the empty path "". */
void rs_relpath_init(struct rs_relpath *p);

/*
 * Append the len bytes at name as p's last component ("" + n is n, p + n
 * is p/n). RS_RELPATH_OK, or why not, in this order: name's
 * rs_relpath_name_check() verdict; RS_RELPATH_TOO_LONG when the result
 * would exceed RS_RELPATH_MAX bytes; RS_RELPATH_TOO_DEEP when p is not
 * empty and already holds RS_RELPATH_MAX_DEPTH '/'. On failure p is
 * unchanged. So a push succeeds exactly when the result passes
 * rs_relpath_check().
 */
enum rs_relpath_verdict rs_relpath_push(struct rs_relpath *p, const char *name, size_t len);

/* Remove p's last component (push's inverse); "" stays "". */
void rs_relpath_pop(struct rs_relpath *p);

#endif
