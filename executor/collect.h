/*
 * collect.h - internal to the executor: outputs out of /work/out.
 */
#ifndef RS_EXEC_COLLECT_H
#define RS_EXEC_COLLECT_H

#include <stdint.h>

#include "attest/run.h"
#include "common/relpath.h"

#define EXEC_COLLECT_MAX_ENTRIES 10000
#define EXEC_COLLECT_MAX_DEPTH RS_RELPATH_MAX_DEPTH   /* directories above a file */
#define EXEC_COLLECT_MAX_PATH RS_RELPATH_MAX          /* bytes of a relative path */
#define EXEC_COLLECT_MAX_NAMES (1u << 20)   /* bytes of all recorded names */
#define EXEC_COLLECT_EVENTS_LISTED 64       /* per kind; the rest are counted */

/*
 * Walk src_fd (borrowed), the root of what was /work/out, after the sandbox
 * is gone (nothing can change it any more). Never follows a symlink: every
 * entry is opened with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
 * RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV) and O_NOFOLLOW relative to its
 * parent directory. The record stays bounded whatever the tree holds: at
 * most EXEC_COLLECT_MAX_ENTRIES entries, EXEC_COLLECT_MAX_NAMES bytes of
 * names and EXEC_COLLECT_EVENTS_LISTED events of each kind with their own
 * detail (later ones are counted under one "... more" event).
 *
 * Regular files are hashed and, when out_dir is not NULL, copied from the
 * same open descriptor in the same pass to out_dir/<relative path>
 * (directories created as needed, files O_EXCL|O_NOFOLLOW, mode & 0777:
 * never set-id on the host); each is recorded with attest_run_add_output()
 * (name relative to /work/out, built with rs_relpath_push(), so it passes
 * rs_relpath_check(); mode st_mode & 07777). Outputs are sorted by name. out_dir must exist and is expected to be empty: an existing
 * entry makes the collection fail with RS_ERR_EXISTS.
 *
 * Recorded as events, not failures: symlinks, FIFOs, sockets and device
 * nodes ("special_file", skipped), files with other hard links ("hardlink",
 * still collected: /work/out is a file system of its own, so every link is
 * inside it), unreadable entries and paths too deep or too long
 * ("output_skipped"), and the bounds: more than max_bytes in total, more
 * than EXEC_COLLECT_MAX_ENTRIES entries or EXEC_COLLECT_MAX_NAMES bytes of
 * names ("output_cap": collection stops there).
 */
int exec_collect_outputs(int src_fd, const char *out_dir, uint64_t max_bytes,
    struct attest_run *run);

#endif
