/*
 * policy.h - internal to the executor: the resolved sandbox policy.
 *
 * exec.h keeps struct exec_policy opaque for callers; the executor's own
 * files read it through this header. A loaded policy is immutable and every
 * field holds its effective value (defaults filled in), so the canonical
 * JSON (json) describes exactly what the sandbox is asked to enforce.
 *
 * Policy file (JSON object; every key optional; unknown keys rejected):
 *
 * | key                     | type            | default       | range               |
 * |-------------------------|-----------------|---------------|---------------------|
 * | name                    | string          | "default"     | 1..128 bytes        |
 * | network                 | string          | "none"        | "none", "loopback"  |
 * | limits.wall_time_ms     | integer         | 60000         | 1..86400000         |
 * | limits.cpu_time_s       | integer         | 60            | 1..86400            |
 * | limits.memory_bytes     | integer         | 512 MiB       | 16 MiB..1 TiB       |
 * | limits.processes        | integer         | 64            | 1..65536            |
 * | limits.open_files       | integer         | 256           | 4..1048576          |
 * | limits.file_size_bytes  | integer         | 1 GiB         | 0..1 PiB            |
 * | limits.output_bytes     | integer         | 1 GiB         | 0..1 PiB            |
 * | limits.stdout_bytes     | integer         | 64 MiB        | 0..1 PiB            |
 * | limits.stderr_bytes     | integer         | 64 MiB        | 0..1 PiB            |
 * | limits.tmp_bytes        | integer         | 64 MiB        | 1 MiB..1 TiB        |
 * | env.allow               | [name]          | []            | host variables copied in |
 * | env.public              | [name]          | [HOME, LANG, PATH] | values recorded in clear |
 * | env.set                 | {name: string}  | {}            | fixed values        |
 * | keep_blobs              | boolean         | false         |                     |
 * | nondeterministic        | boolean         | false         |                     |
 * | best_effort             | [limit name]    | []            | limits allowed to go unenforced |
 * | rootfs                  | string          | "host"        | "host" or an absolute directory |
 * | measure_rootfs          | boolean         | true          | record the rootfs manifest digest |
 * | binds                   | [{source, target}] | []         | at most 64 read-only binds |
 * | uid                     | integer         | 0             | 0..65533: the program's uid inside |
 * | gid                     | integer         | 0             | 0..65533: the program's gid inside |
 *
 * A name is [A-Za-z_][A-Za-z0-9_]*, at most 255 bytes; lists hold at most
 * 1024 distinct names and are kept sorted; a value is at most 32 KiB.
 *
 * Paths (rootfs, bind sources and targets) are absolute, at most 1024 bytes,
 * without "." or ".." components, empty components or a trailing '/'. A
 * bind target is neither "/" nor inside a directory the sandbox builds
 * itself (/proc, /dev, /tmp, /work), nor /etc/passwd or /etc/group (made
 * for each run); targets are distinct and none is inside another. Binds are
 * kept sorted by target. "host" means the host's /usr, /bin, /sbin, /lib*
 * and a few /etc files; a directory means every top-level entry of it
 * except proc, dev, sys, tmp and work. Whether a bind target can be created
 * inside the rootfs is checked when the sandbox is planned.
 */
#ifndef RS_EXEC_POLICY_H
#define RS_EXEC_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "executor/exec.h"

enum exec_limit_id {
	EXEC_LIMIT_WALL_TIME_MS = 0,
	EXEC_LIMIT_CPU_TIME_S,
	EXEC_LIMIT_MEMORY_BYTES,
	EXEC_LIMIT_PROCESSES,
	EXEC_LIMIT_OPEN_FILES,
	EXEC_LIMIT_FILE_SIZE_BYTES,
	EXEC_LIMIT_OUTPUT_BYTES,
	EXEC_LIMIT_STDOUT_BYTES,
	EXEC_LIMIT_STDERR_BYTES,
	EXEC_LIMIT_TMP_BYTES,
	EXEC_LIMIT_COUNT
};

enum exec_network {
	EXEC_NET_NONE = 0,          /* own network namespace, loopback down */
	EXEC_NET_LOOPBACK,          /* own network namespace, loopback up */
};

struct exec_env_pair {
	char *name;
	char *value;
};

#define EXEC_POLICY_PATH_MAX 1024
#define EXEC_POLICY_BINDS_MAX 64

struct exec_bind {
	char *source;                           /* absolute host path */
	char *target;                           /* absolute path inside the sandbox */
};

struct exec_policy {
	char *name;
	enum exec_network network;
	uint64_t limits[EXEC_LIMIT_COUNT];
	int best_effort[EXEC_LIMIT_COUNT];      /* 1: may go unenforced */
	char **env_allow;                       /* sorted, distinct */
	size_t n_env_allow;
	char **env_public;                      /* sorted, distinct */
	size_t n_env_public;
	struct exec_env_pair *env_set;          /* sorted by name, distinct */
	size_t n_env_set;
	int keep_blobs;
	int nondeterministic;
	char *rootfs;                           /* NULL: the host's; else an absolute directory */
	int measure_rootfs;
	struct exec_bind *binds;                /* sorted by target, distinct */
	size_t n_binds;
	uint32_t uid, gid;                      /* the program's ids inside */
	char *json;                             /* canonical JSON, NUL-terminated */
};

/* Static name of a limit as spelled in the policy ("wall_time_ms"). */
const char *exec_limit_name(enum exec_limit_id id);

/* Static name of a network mode ("none", "loopback"). */
const char *exec_network_name(enum exec_network net);

/* 1 if name is a syntactically valid environment variable name. */
int exec_env_name_valid(const char *name);

/* 1 if the policy records the value of variable name in clear. */
int exec_policy_env_public(const struct exec_policy *p, const char *name);

/*
 * 1 if path is acceptable as a policy path (absolute, normalised, bounded:
 * the rule above).
 */
int exec_policy_path_valid(const char *path);

#endif
