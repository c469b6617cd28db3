/* Unit tests for verifier/vpool: results come back in submission order, the
 * ring never holds more than its capacity, cancelled jobs do not run, and a
 * pool without workers runs everything on the caller's thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "verifier/vpool.h"

struct job {
	uint64_t seq;
	uint64_t square;
	int ran;
};

/* Uneven work, so that workers finish out of order. */
static void
work(void *ctx, void *arg)
{
	struct job *j = arg;
	struct timespec ts = { 0, (long)((j->seq * 7919) % 50) * 1000 };

	(void)ctx;
	nanosleep(&ts, NULL);
	j->square = j->seq * j->seq;
	j->ran = 1;
}

static void
run_pool(unsigned workers, size_t capacity, uint64_t n)
{
	struct vpool *p = NULL;
	struct job *j;
	uint64_t submitted = 0, taken = 0;
	int ran;

	assert_int_equal(vpool_new(workers, capacity, sizeof(struct job), work, NULL, &p), 0);
	while (taken < n) {
		if (submitted < n && (j = vpool_slot(p)) != NULL) {
			assert_int_equal(j->seq, 0);        /* slots come back zeroed */
			j->seq = submitted++;
			vpool_submit(p);
			assert_true(vpool_pending(p) <= capacity);
			continue;
		}
		assert_non_null(j = vpool_head(p, &ran));
		assert_true(ran);
		assert_int_equal(j->seq, taken);
		assert_int_equal(j->square, taken * taken);
		vpool_release(p);
		taken++;
	}
	assert_null(vpool_head(p, &ran));
	vpool_free(p);
}

static void
test_in_order(void **state)
{
	(void)state;
	run_pool(3, 8, 5000);
	run_pool(1, 1, 200);
	run_pool(0, 4, 100);            /* no workers: the caller runs every job */
	run_pool(8, 64, 3000);
}

static void
test_cancel(void **state)
{
	struct vpool *p = NULL;
	struct job *j;
	int ran, n_ran = 0, n = 0;

	(void)state;
	assert_int_equal(vpool_new(0, 16, sizeof(struct job), work, NULL, &p), 0);
	while ((j = vpool_slot(p)) != NULL) {
		j->seq = (uint64_t)n++;
		vpool_submit(p);
	}
	assert_int_equal(n, 16);
	vpool_cancel(p);
	while ((j = vpool_head(p, &ran)) != NULL) {
		assert_int_equal(ran, j->ran);
		n_ran += ran;
		vpool_release(p);
	}
	assert_int_equal(n_ran, 0);     /* nothing had started: nothing ran */
	vpool_free(p);
	assert_true(vpool_cpus() >= 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_cancel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
