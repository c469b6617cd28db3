/*
 * sandbox_bench - the sandbox alone, and the rootfs measurement alone, for
 * bench/run_overhead.sh and bench/rootfs_measure.sh.
 *
 *   sandbox_bench run N [POLICY]     exec_run() of /bin/true N times (no
 *                                    record, signature or ledger): staging,
 *                                    cgroup, namespaces, mounts, Landlock,
 *                                    seccomp, the run, collection
 *   sandbox_bench measure N CACHE [ROOTFS]
 *                                    the rootfs manifest of the host's root
 *                                    (or ROOTFS): once with CACHE empty
 *                                    (cold), then N times cached
 *
 * Prints one line per figure: "name mean_us median_us min_us".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/err.h"
#include "common/file.h"
#include "executor/exec.h"
#include "executor/measure.h"
#include "executor/rootfs.h"

extern char **environ;

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void
report(const char *name, double *t, int n)
{
	double sum = 0;
	int i;

	for (i = 0; i < n; i++)
		sum += t[i];
	qsort(t, (size_t)n, sizeof(*t), cmp_double);
	printf("%s %.0f %.0f %.0f\n", name, sum / n, t[n / 2], t[0]);
}

static int
bench_run(int n, const char *policy_path)
{
	char scratch[] = "/tmp/rs-sandbox-bench-XXXXXX";
	char *argv[] = { (char *)"/bin/true", NULL };
	struct exec_policy *p = NULL;
	double *t = NULL;
	int i, r = 1;

	if (mkdtemp(scratch) == NULL || (t = calloc((size_t)n, sizeof(*t))) == NULL)
		goto out;
	if (exec_policy_load(policy_path, &p) != 0) {
		fprintf(stderr, "policy: %s\n", rs_err_detail());
		goto out;
	}
	for (i = -3; i < n; i++) {          /* three warm-ups */
		struct exec_request req;
		struct attest_run *run = NULL;
		double t0;

		memset(&req, 0, sizeof(req));
		req.argv = argv;
		req.argc = 1;
		req.scratch_dir = scratch;
		req.policy = p;
		req.stdout_fd = req.stderr_fd = -1;
		req.host_env = environ;
		t0 = now_us();
		if (exec_run(&req, &run) != 0) {
			fprintf(stderr, "exec_run: %s\n", rs_err_detail());
			goto out;
		}
		if (i >= 0)
			t[i] = now_us() - t0;
		attest_run_free(run);
	}
	report("sandbox", t, n);
	r = 0;
out:
	rmdir(scratch);
	exec_policy_free(p);
	free(t);
	return r;
}

static int
bench_measure(int n, const char *cache, const char *rootfs)
{
	char in[] = "/tmp/rs-measure-bench-XXXXXX";
	struct exec_rootfs_spec spec;
	struct exec_rootfs *fs = NULL;
	struct exec_manifest_stats st;
	uint8_t d[32];
	double cold, *t = NULL;
	int i, r = 1;

	if (mkdtemp(in) == NULL || (t = calloc((size_t)n, sizeof(*t))) == NULL)
		goto out;
	memset(&spec, 0, sizeof(spec));
	spec.in_dir = in;
	spec.rootfs = rootfs;
	spec.out_bytes = spec.tmp_bytes = 1 << 20;
	if (exec_rootfs_plan(&spec, &fs) != 0) {
		fprintf(stderr, "plan: %s\n", rs_err_detail());
		goto out;
	}
	cold = now_us();
	if (exec_measure_rootfs(fs, cache, 0, d, &st) != 0) {
		fprintf(stderr, "measure: %s\n", rs_err_detail());
		goto out;
	}
	cold = now_us() - cold;
	printf("cold %.0f %.0f %.0f\n", cold, cold, cold);
	printf("entries %llu hashed_bytes %llu\n", (unsigned long long)st.entries,
	    (unsigned long long)st.hashed_bytes);
	for (i = 0; i < n; i++) {
		double t0 = now_us();
		if (exec_measure_rootfs(fs, cache, 0, d, &st) != 0) {
			fprintf(stderr, "measure: %s\n", rs_err_detail());
			goto out;
		}
		t[i] = now_us() - t0;
		if (st.hashed != 0) {
			fprintf(stderr, "measure: %llu entries changed between runs\n",
			    (unsigned long long)st.hashed);
		}
	}
	report("cached", t, n);
	r = 0;
out:
	rmdir(in);
	exec_rootfs_free(fs);
	free(t);
	return r;
}

int
main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "run") == 0)
		return bench_run(atoi(argv[2]), argc > 3 ? argv[3] : NULL);
	if (argc >= 4 && strcmp(argv[1], "measure") == 0)
		return bench_measure(atoi(argv[2]), argv[3], argc > 4 ? argv[4] : NULL);
	fprintf(stderr, "usage: sandbox_bench run N [POLICY] | measure N CACHE [ROOTFS]\n");
	return 64;
}
