/*
 * measure.h - internal to the executor: facts about the host that ran the
 * program, and the rootfs it saw.
 *
 * Both digests are cached in the measurement cache directory (exec.h:
 * exec_request.cache_dir), one file per object, mode 0600, written
 * atomically; a cache that cannot be read or written only costs time.
 *
 * | file                 | holds                                                   |
 * |----------------------|---------------------------------------------------------|
 * | executor-v1          | "RSEXEC01", then dev, ino, size, mtime ns, ctime ns     |
 * |                      | (u64 little-endian) and the SHA-256 of the executable   |
 * | rootfs-<hex>.v1      | the manifest cache of one rootfs (manifest.h); <hex> is |
 * |                      | the first 16 bytes of SHA-256 over its items            |
 * | rootfs-<hex>.lock    | flock()ed while that rootfs is measured, so concurrent  |
 * |                      | runs share one cold measurement                         |
 */
#ifndef RS_EXEC_MEASURE_H
#define RS_EXEC_MEASURE_H

#include "attest/run.h"
#include "executor/manifest.h"
#include "executor/rootfs.h"

/*
 * Fill run's host measurement: executor_sha256 (SHA-256 of the running
 * executable, /proc/self/exe, reused from the cache while its device,
 * inode, size, mtime and ctime are unchanged), kernel_release and machine
 * (uname), hostname (the host's, not the sandbox's). cache_dir may be NULL.
 */
int exec_measure_host(const char *cache_dir, struct attest_run *run);

/*
 * The manifest digest of what the program sees of the planned root (every
 * measured item of fs: rootfs.h). cache_dir may be NULL; remeasure hashes
 * everything again (the cache is only rewritten). Thread-safe: meant to
 * run beside the sandbox.
 */
int exec_measure_rootfs(const struct exec_rootfs *fs, const char *cache_dir, int remeasure,
    uint8_t digest[RS_SHA256_LEN], struct exec_manifest_stats *st);

#endif
