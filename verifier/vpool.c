/*
 * vpool.c - the bounded in-order work pool (vpool.h).
 *
 * Invariants, all under p->mu except where noted:
 *   head <= claim <= tail, tail - head <= capacity
 *   slots [head, claim) are RUNNING or DONE; [claim, tail) are QUEUED;
 *   the rest are FREE and belong to the caller alone (filled without the
 *   lock: no worker looks at a slot outside [claim, tail) until it is
 *   submitted, and the submit's unlock publishes its contents)
 *   head and the FREE slots are only touched by the caller's thread.
 * A worker publishes a job's results by marking it DONE under the lock;
 * the caller reads them after seeing DONE under the lock.
 */
#include "verifier/vpool.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"

enum slot_state { S_FREE = 0, S_QUEUED, S_RUNNING, S_DONE };

struct vpool {
	pthread_mutex_t mu;
	pthread_cond_t work;            /* a job was queued, or stop */
	pthread_cond_t done;            /* a job finished */
	vpool_fn fn;
	void *ctx;
	unsigned char *jobs;            /* capacity * job_size bytes */
	unsigned char *state;           /* enum slot_state per slot */
	unsigned char *ran;             /* 1: fn ran on the slot's job */
	size_t capacity, job_size;
	uint64_t head, claim, tail;
	int stop;
	pthread_t *threads;
	unsigned n_threads;             /* started */
};

static void *
job_at(const struct vpool *p, uint64_t i)
{
	return p->jobs + (size_t)(i % p->capacity) * p->job_size;
}

/* Claim the next queued job and run it; called and returns with p->mu held. */
static void
run_one(struct vpool *p)
{
	uint64_t i = p->claim++;
	size_t s = (size_t)(i % p->capacity);

	p->state[s] = S_RUNNING;
	pthread_mutex_unlock(&p->mu);
	p->fn(p->ctx, job_at(p, i));
	pthread_mutex_lock(&p->mu);
	p->state[s] = S_DONE;
	p->ran[s] = 1;
	pthread_cond_broadcast(&p->done);
}

static void *
worker(void *arg)
{
	struct vpool *p = arg;

	pthread_mutex_lock(&p->mu);
	while (!p->stop) {
		if (p->claim < p->tail)
			run_one(p);
		else
			pthread_cond_wait(&p->work, &p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

int
vpool_new(unsigned workers, size_t capacity, size_t job_size, vpool_fn fn, void *ctx,
    struct vpool **out)
{
	struct vpool *p = NULL;
	unsigned i;
	int e, r = RS_ERR_INTERNAL;

	*out = NULL;
	if (capacity == 0 || job_size == 0 || fn == NULL || capacity > SIZE_MAX / job_size) {
		r = rs_fail(RS_ERR_INTERNAL, "vpool_new: bad arguments");
		goto out;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	p->fn = fn;
	p->ctx = ctx;
	p->capacity = capacity;
	p->job_size = job_size;
	if ((p->jobs = calloc(capacity, job_size)) == NULL ||
	    (p->state = calloc(capacity, 1)) == NULL || (p->ran = calloc(capacity, 1)) == NULL ||
	    (workers > 0 && (p->threads = calloc(workers, sizeof(*p->threads))) == NULL)) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < workers; i++) {
		if ((e = pthread_create(&p->threads[i], NULL, worker, p)) != 0) {
			r = rs_fail(RS_ERR_INTERNAL, "starting verification thread %u: %s", i + 1,
			    strerror(e));
			goto out;
		}
		p->n_threads++;
	}
	*out = p;
	p = NULL;
	r = 0;
out:
	vpool_free(p);
	return r;
}

void
vpool_free(struct vpool *p)
{
	unsigned i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (i = 0; i < p->n_threads; i++)
		pthread_join(p->threads[i], NULL);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->mu);
	free(p->threads);
	free(p->ran);
	free(p->state);
	free(p->jobs);
	free(p);
}

void *
vpool_slot(struct vpool *p)
{
	if (p->tail - p->head >= p->capacity)
		return NULL;
	return job_at(p, p->tail);
}

void
vpool_submit(struct vpool *p)
{
	pthread_mutex_lock(&p->mu);
	p->state[p->tail % p->capacity] = S_QUEUED;
	p->tail++;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
}

void *
vpool_head(struct vpool *p, int *ran)
{
	size_t s;

	*ran = 0;
	if (p->head == p->tail)
		return NULL;
	s = (size_t)(p->head % p->capacity);
	pthread_mutex_lock(&p->mu);
	while (p->state[s] != S_DONE) {
		if (p->claim < p->tail)
			run_one(p);         /* help rather than sleep */
		else
			pthread_cond_wait(&p->done, &p->mu);
	}
	*ran = p->ran[s];
	pthread_mutex_unlock(&p->mu);
	return job_at(p, p->head);
}

void
vpool_release(struct vpool *p)
{
	size_t s = (size_t)(p->head % p->capacity);

	memset(job_at(p, p->head), 0, p->job_size);
	pthread_mutex_lock(&p->mu);
	p->state[s] = S_FREE;
	p->ran[s] = 0;
	pthread_mutex_unlock(&p->mu);
	p->head++;
}

size_t
vpool_pending(const struct vpool *p)
{
	return (size_t)(p->tail - p->head);
}

void
vpool_cancel(struct vpool *p)
{
	pthread_mutex_lock(&p->mu);
	while (p->claim < p->tail) {
		p->state[p->claim % p->capacity] = S_DONE;
		p->ran[p->claim % p->capacity] = 0;
		p->claim++;
	}
	pthread_mutex_unlock(&p->mu);
}

unsigned
vpool_cpus(void)
{
	cpu_set_t set;
	int n;

	CPU_ZERO(&set);
	if (sched_getaffinity(0, sizeof(set), &set) != 0 || (n = CPU_COUNT(&set)) < 1)
		return 1;
	return (unsigned)n;
}
