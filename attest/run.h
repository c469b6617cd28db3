/*
 * run.h - the facts of one run, as plain C data, from which the Record is
 * built. The executor fills a struct attest_run; attest turns it into the
 * signed Record (record.h). Every string and array is owned by the struct
 * and freed by attest_run_free().
 */
#ifndef RS_ATTEST_RUN_H
#define RS_ATTEST_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "common/hash.h"

struct attest_artifact {
	char *name;                 /* relative path under /work/in or /work/out */
	uint64_t size;
	uint8_t sha256[RS_SHA256_LEN];
	uint32_t mode;
};

struct attest_env {
	char *name;
	uint8_t value_sha256[RS_SHA256_LEN];
	char *value;                /* NULL unless the policy makes it public */
};

struct attest_limit {
	char *name;                 /* e.g. "wall_time_ms" */
	uint64_t value;
	char *mechanism;            /* "timer", "rlimit", "cgroup-v2", "none", ... */
	int enforced;
	int best_effort;
};

struct attest_event {
	char *kind;                 /* "timeout", "seccomp", "output_cap", ... */
	char *detail;
	uint64_t count;
};

struct attest_stream {
	uint64_t size;
	uint8_t sha256[RS_SHA256_LEN];
	int truncated;
};

struct attest_run {
	char **argv;
	size_t argc;
	char *cwd;
	struct attest_env *env;
	size_t n_env;

	/* policy as enforced */
	char *policy_name;
	char *policy_json;          /* canonical JSON */
	uint8_t policy_sha256[RS_SHA256_LEN];
	char *network;
	struct attest_limit *limits;
	size_t n_limits;
	char **isolation;
	size_t n_isolation;
	int keep_blobs;
	int nondeterministic;

	/* environment measurement */
	uint8_t executor_sha256[RS_SHA256_LEN];
	char *kernel_release;
	char *machine;
	int rootfs_measured;
	uint8_t rootfs_sha256[RS_SHA256_LEN];
	char *rootfs;               /* "host" or a path */
	char *hostname;

	struct attest_artifact *inputs;
	size_t n_inputs;
	struct attest_artifact *outputs;
	size_t n_outputs;
	struct attest_stream out;
	struct attest_stream err;

	int exit_code;              /* valid when signal == 0 */
	int signal;
	int timed_out;
	int core_dumped;
	struct attest_event *events;
	size_t n_events;

	uint64_t user_us, system_us, max_rss_kib, minor_faults, major_faults;
	uint64_t in_blocks, out_blocks, voluntary_switches, involuntary_switches;
	uint64_t peak_memory_bytes;

	int64_t start_unix_ns;
	int64_t end_unix_ns;
	uint8_t nonce[16];
	char *traceparent;          /* NULL if none */
};

/* New zeroed run; free with attest_run_free() (NULL-safe). */
struct attest_run *attest_run_new(void);
void attest_run_free(struct attest_run *run);

/* Appenders copy their string arguments. detail/value may be NULL. */
int attest_run_add_input(struct attest_run *run, const char *name, uint64_t size,
    const uint8_t sha256[RS_SHA256_LEN], uint32_t mode);
int attest_run_add_output(struct attest_run *run, const char *name, uint64_t size,
    const uint8_t sha256[RS_SHA256_LEN], uint32_t mode);
int attest_run_add_env(struct attest_run *run, const char *name, const char *value,
    int value_public);
int attest_run_add_limit(struct attest_run *run, const char *name, uint64_t value,
    const char *mechanism, int enforced, int best_effort);
int attest_run_add_isolation(struct attest_run *run, const char *what);
/* Adds an event, or bumps the count of an earlier one with the same kind and detail. */
int attest_run_add_event(struct attest_run *run, const char *kind, const char *detail);
int attest_run_set_argv(struct attest_run *run, char *const *argv, size_t argc);

#endif
