/*
 * stage.h - internal to the executor: copying inputs into the sandbox.
 */
#ifndef RS_EXEC_STAGE_H
#define RS_EXEC_STAGE_H

#include <stddef.h>
#include <sys/types.h>

#include "attest/run.h"
#include "executor/exec.h"

/*
 * 1 if name can be an entry of /work/in: rs_relpath_name_check() passes
 * (1..255 bytes, no '/', not "." or "..").
 */
int exec_stage_name_valid(const char *name);

/*
 * Copy each input (a host file, symlinks followed: the user chose it) to
 * in_dir/NAME and record it with attest_run_add_input() in the order given,
 * mode = the source's st_mode & 07777. The bytes are hashed while they are
 * copied, in one pass, so the digest is that of exactly the staged bytes.
 * Copies are created O_EXCL|O_NOFOLLOW, get mode & 0777 (never set-id) and,
 * when uid is not (uid_t)-1, belong to uid:gid (the sandbox's host ids).
 *
 * Errors: RS_ERR_USAGE for a bad or repeated NAME or a source that is not a
 * regular file, RS_ERR_NOT_FOUND for a missing source (detail names it),
 * I/O codes otherwise. On failure, copies already made stay in in_dir (the
 * caller removes the directory).
 */
int exec_stage_inputs(const struct exec_input *inputs, size_t n, const char *in_dir,
    uid_t uid, gid_t gid, struct attest_run *run);

#endif
