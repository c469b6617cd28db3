/*
 * vpool.h - a bounded, in-order work pool: the ledger walk hands each
 * entry's independent work (signature or quote verification, checkpoint
 * signature) to worker threads and takes the results back in submission
 * order, so everything that depends on order (hash chain, Merkle tree, TPM
 * PCR replay, rules) stays sequential on the calling thread.
 *
 * The pool is a ring of `capacity` job slots of `job_size` bytes each,
 * allocated once: memory does not grow with the number of jobs. A slot
 * goes FREE -> filled by the caller (vpool_slot) -> QUEUED (vpool_submit)
 * -> RUNNING (a worker, or the caller while it waits) -> DONE -> taken
 * back in order (vpool_head) -> FREE again (vpool_release).
 *
 * Threads: `workers` threads run fn(ctx, job); the calling thread runs
 * queued jobs itself while it waits for the oldest one, so with workers =
 * cores - 1 every core verifies. fn must be safe to run concurrently on
 * distinct jobs with the same ctx (ctx is shared read-only). Only the
 * caller's thread may call the vpool_* functions.
 */
#ifndef RS_VERIFIER_VPOOL_H
#define RS_VERIFIER_VPOOL_H

#include <stddef.h>

struct vpool;

typedef void (*vpool_fn)(void *ctx, void *job);

/*
 * A pool of `workers` threads (0: the caller runs every job itself) over a
 * ring of `capacity` zeroed slots (>= 1) of job_size bytes. RS_ERR_ALLOC,
 * or RS_ERR_INTERNAL with a detail if a thread cannot be started.
 */
int vpool_new(unsigned workers, size_t capacity, size_t job_size, vpool_fn fn, void *ctx,
    struct vpool **out);

/*
 * Stop the workers and free the pool. Jobs still in the ring are not
 * cleaned up: drain them first (vpool_cancel, then vpool_head/release)
 * if they own memory. NULL is accepted.
 */
void vpool_free(struct vpool *p);

/* The next free slot to fill, or NULL when the ring is full. Borrowed. */
void *vpool_slot(struct vpool *p);

/* Hand the slot returned by the last vpool_slot() to the workers. */
void vpool_submit(struct vpool *p);

/*
 * The oldest submitted job, once it is done (running queued jobs on the
 * calling thread meanwhile); NULL when no job is pending. *ran is 1 if fn
 * ran on it, 0 if it was cancelled before it started.
 */
void *vpool_head(struct vpool *p, int *ran);

/* Give the head slot back (zeroed) for reuse. */
void vpool_release(struct vpool *p);

/* Jobs submitted and not released yet. */
size_t vpool_pending(const struct vpool *p);

/* Queued jobs that have not started will not run (vpool_head reports ran = 0). */
void vpool_cancel(struct vpool *p);

/*
 * The number of threads that verify in parallel on this machine: CPUs this
 * process may run on (sched_getaffinity), at least 1.
 */
unsigned vpool_cpus(void);

#endif
