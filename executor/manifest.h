/*
 * manifest.h - internal to the executor: the digest of a root filesystem as
 * the program sees it, with a cache that makes a second measurement of an
 * unchanged tree cost a stat() per entry instead of a read of every byte.
 *
 * The tree is given as items (rootfs.h): each is a path inside the sandbox
 * bound from a host directory or file, or a symlink. Entries are every item
 * and everything below a directory item, never following a symlink.
 *
 * Digest:
 *
 *   SHA-256("runseal/v1/rootfs" 0x00 || entry || entry || ...)
 *
 * entries in depth-first order with the children of a directory sorted by
 * name (bytewise): the order of the paths compared bytewise with '/'
 * ranking below every other byte. Each entry:
 *
 * | field  | encoding          | meaning                                             |
 * |--------|-------------------|-----------------------------------------------------|
 * | path   | bytes, then 0x00  | absolute path inside the sandbox                    |
 * | type   | u8                | 'd' directory, 'f' regular file, 'l' symlink,       |
 * |        |                   | 'o' other (FIFO, socket, device), 'u' unreadable    |
 * | mode   | u32 big-endian    | st_mode & 07777                                     |
 * | size   | u64 big-endian    | 'f': bytes; 'l': length of the target; else 0       |
 * | digest | 32 bytes          | 'f': SHA-256 of the contents; 'l': of the target    |
 * |        |                   | text; else zeros                                    |
 *
 * "Unreadable" is relative to the measuring process (the caller's ids):
 * an unprivileged caller's manifest of the same tree may differ from
 * root's where files are closed to it, as they are to its sandbox.
 *
 * Cache (a file per tree, written atomically; any malformed, truncated or
 * foreign file is ignored and replaced): the previous measurement's entries
 * with the host stat() they were measured from. An entry's digest is reused
 * only if its device, inode, type, mode, size, mtime and ctime (to the
 * nanosecond) are all unchanged; a changed or new entry is measured again.
 * A directory whose own stat is unchanged is listed from the cache (its
 * entries cannot have changed), each name checked to be a plain name; every
 * entry is still stat()ed. The cache is trusted as much as the caller's
 * home: whoever can write it can make a changed file keep its old digest.
 *
 * | field      | encoding               |
 * |------------|------------------------|
 * | magic      | "RSMANIF1"             |
 * | count      | u64 little-endian      |
 * | entries    | count times: u16 path length, path, u8 type, u32 mode, u64 size, u64 dev, u64 ino, i64 mtime ns, i64 ctime ns, 32-byte digest (little-endian integers) |
 * | end        | "RSMEND01"             |
 */
#ifndef RS_EXEC_MANIFEST_H
#define RS_EXEC_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "common/hash.h"

#define EXEC_MANIFEST_ENTRIES_MAX (16u << 20)     /* cache files past this are ignored */

struct exec_manifest_item {
	const char *target;         /* absolute path inside the sandbox */
	const char *source;         /* host directory or regular file; NULL for a symlink */
	const char *link;           /* symlink target when source is NULL */
};

struct exec_manifest_stats {
	uint64_t entries;           /* entries in the manifest */
	uint64_t hashed;            /* files and links measured afresh */
	uint64_t hashed_bytes;
	uint64_t reused;            /* digests taken from the cache */
	int cache_written;          /* the cache file was (re)written */
};

/*
 * Measure the tree of n items into digest. cache_file may be NULL (no
 * cache); with trust_cache 0 it is not read, only rewritten (--remeasure).
 * threads >= 1 walk and hash in parallel. A cache that cannot be written is
 * not an error. RS_ERR_IO (detail naming the path) when the tree cannot be
 * walked at all; RS_ERR_INTERRUPTED, writing no cache, once rs_interrupted()
 * (common/interrupt.h) is set during the walk.
 */
int exec_manifest_digest(const struct exec_manifest_item *items, size_t n,
    const char *cache_file, int trust_cache, int threads,
    uint8_t digest[RS_SHA256_LEN], struct exec_manifest_stats *st);

#endif
