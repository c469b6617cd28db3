/*
 * file.h - safe file I/O: bounded reads, complete writes, atomic replace,
 * directory helpers. Every function sets an rs_fail() detail naming the path.
 */
#ifndef RS_FILE_H
#define RS_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Write all len bytes to fd, retrying on EINTR and short writes. */
int rs_write_all(int fd, const void *data, size_t len);

/*
 * Read a whole regular file of at most max bytes into a new NUL-terminated
 * buffer (the NUL is not counted in *len). Caller owns *out (free()).
 * RS_ERR_NOT_FOUND if missing, RS_ERR_TOO_LARGE past max, RS_ERR_FORMAT if
 * the path is not a regular file.
 */
int rs_read_file(const char *path, size_t max, uint8_t **out, size_t *len);

/*
 * Replace path with data atomically and durably: write a temporary file in
 * the same directory, fsync it, rename over path, fsync the directory.
 * mode is applied to the new file (e.g. 0600 for keys). With excl set, fails
 * with RS_ERR_EXISTS if path already exists.
 */
int rs_write_file_atomic(const char *path, const void *data, size_t len,
    mode_t mode, int excl);

/* mkdir -p with the given mode for directories it creates. */
int rs_mkdir_p(const char *path, mode_t mode);

/*
 * path must be an existing directory (followed if a symlink): 0, else the
 * errno's RS_ERR_* (RS_ERR_NOT_FOUND when absent) or RS_ERR_USAGE when it
 * is something else, with the detail "<label> <path>: <why>".
 */
int rs_require_dir(const char *label, const char *path);

/* Remove a tree without following symlinks out of it. Missing is success. */
int rs_rm_rf(const char *path);

/* fsync the directory at path. */
int rs_fsync_dir(const char *path);

/* Join dir and name into a new string (caller frees); NULL on allocation failure. */
char *rs_path_join(const char *dir, const char *name);

#endif
