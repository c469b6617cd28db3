/*
 * cgroup.h - internal to the executor: one control group per run, for the
 * limits that must hold for the sandbox as a whole (memory, number of
 * processes, CPU time) and for what happened (OOM kills, refused forks,
 * peak memory, CPU used).
 *
 * Where: a child of the caller's own cgroup (never elsewhere: the sandbox
 * stays inside whatever contains runseal), named runseal-<pid>-<n>.
 *
 * | host                                   | used                                |
 * |----------------------------------------|-------------------------------------|
 * | cgroup v2, memory and pids in the      | v2: memory.max, memory.swap.max = 0,|
 * | caller's cgroup.subtree_control (or    | pids.max; memory.events oom_kill,   |
 * | enabled there by us), writable         | pids.events max, memory.peak,       |
 * |                                        | cpu.stat usage_usec                 |
 * | otherwise v1 hierarchies that exist    | memory: memory.limit_in_bytes (and  |
 * | and are writable                       | memsw when swap is accounted),      |
 * |                                        | memory.oom_control oom_kill,        |
 * |                                        | memory.max_usage_in_bytes; pids:    |
 * |                                        | pids.max, pids.events max; cpuacct: |
 * |                                        | cpuacct.usage                       |
 * | neither (unprivileged caller without a | nothing: the caller falls back to   |
 * | delegated cgroup)                      | rlimits and records that            |
 *
 * Each controller is independent: a host may give memory and pids but no
 * CPU accounting. Stale groups of runs whose runseal process is gone are
 * removed when the next run starts (they are empty: every sandbox process
 * dies with its parent).
 *
 * Files are found through a mountinfo and a /proc/<pid>/cgroup file, so
 * tests can point them at a fake tree (exec_cgroup_create_at).
 */
#ifndef RS_EXEC_CGROUP_H
#define RS_EXEC_CGROUP_H

#include <stdint.h>
#include <sys/types.h>

struct exec_cgroup;

enum exec_cgroup_ctl {
	EXEC_CG_MEMORY = 0,
	EXEC_CG_PIDS,
	EXEC_CG_CPU,                /* accounting only: the executor enforces the total */
	EXEC_CG_COUNT
};

/* 0: none; 1: cgroup v1; 2: cgroup v2. */
struct exec_cgroup_info {
	int version[EXEC_CG_COUNT];
};

struct exec_cgroup_stats {
	uint64_t oom_kills;         /* processes the OOM killer killed in the group */
	uint64_t pids_refused;      /* forks refused at pids.max */
	uint64_t peak_memory;       /* bytes; 0 unknown */
	uint64_t cpu_usec;          /* CPU time of the whole group; 0 unknown */
};

/*
 * Create the group for one run with memory limited to memory_bytes
 * (including swap, where the host accounts it) and at most pids tasks.
 * Controllers the host does not offer are left out (info says which);
 * *out is NULL when none is usable (no error). A controller that is offered
 * but cannot be configured is an error (RS_ERR_SANDBOX, detail naming the
 * file and value): a run never silently loses a limit it was promised.
 */
int exec_cgroup_create(uint64_t memory_bytes, uint64_t pids, struct exec_cgroup **out,
    struct exec_cgroup_info *info);

/* Same, reading the given mountinfo and cgroup membership files (tests). */
int exec_cgroup_create_at(const char *mountinfo, const char *self_cgroup,
    uint64_t memory_bytes, uint64_t pids, struct exec_cgroup **out,
    struct exec_cgroup_info *info);

/* Move pid (the sandbox's init, before it runs anything) into every controller's group. */
int exec_cgroup_attach(struct exec_cgroup *cg, pid_t pid);

/*
 * When every controller of cg is v2: a descriptor of the group for
 * clone3(CLONE_INTO_CGROUP), which starts the sandbox inside it without a
 * migration (migrating a task waits for an RCU grace period, milliseconds
 * on some hosts). -1 otherwise: use exec_cgroup_attach(). Caller closes.
 */
int exec_cgroup_clone_fd(const struct exec_cgroup *cg);

/* CPU time used by the group so far, in microseconds; 0 when not accounted. */
uint64_t exec_cgroup_cpu_usec(struct exec_cgroup *cg);

/* What happened; call once the group is empty. Unreadable counters stay 0. */
void exec_cgroup_stats(struct exec_cgroup *cg, struct exec_cgroup_stats *st);

/* Remove the group (it must be empty) and free; NULL-safe. */
void exec_cgroup_destroy(struct exec_cgroup *cg);

#endif
