/*
 * verify_fill - fill a runseal home's ledger with COUNT realistic run
 * records for bench/verify_bench.sh, without the sandbox: each record has
 * the shape of a real `runseal run` (argv, three environment variables, a
 * canonical policy with ten limits and their mechanisms, isolation, two
 * inputs, two outputs, streams, usage, measurements), a run a minute apart
 * (so a ledger spans days), sealed by the home's signer (software key or
 * TPM) and appended BATCH at a time (one checkpoint per batch; BATCH 1 is
 * what `runseal run` does, a checkpoint per entry).
 *
 *   verify_fill HOME COUNT [BATCH]      (BATCH 1..4096, default 1)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attest/record.h"
#include "attest/run.h"
#include "attest/signer.h"
#include "common/err.h"
#include "common/hash.h"
#include "common/home.h"
#include "executor/signer_open.h"
#include "ledger/ledger.h"

static const char POLICY_JSON[] =
    "{\"best_effort\":[],\"binds\":[],\"env\":{\"allow\":[],\"public\":[\"HOME\",\"LANG\","
    "\"PATH\"],\"set\":{}},\"gid\":0,\"keep_blobs\":false,\"limits\":{\"cpu_time_s\":60,"
    "\"file_size_bytes\":1073741824,\"memory_bytes\":536870912,\"open_files\":256,"
    "\"output_bytes\":1073741824,\"processes\":64,\"stderr_bytes\":67108864,"
    "\"stdout_bytes\":67108864,\"tmp_bytes\":67108864,\"wall_time_ms\":60000},"
    "\"measure_rootfs\":true,\"name\":\"default\",\"network\":\"none\","
    "\"nondeterministic\":false,\"rootfs\":\"host\",\"uid\":0}";

struct fill {
	struct attest_signer *signer;
	int64_t base_ns;
};

static int
build(uint64_t index, int64_t base_ns, uint8_t **rec, size_t *len)
{
	static const char *const limits[][2] = {
		{ "wall_time_ms", "timer" }, { "cpu_time_s", "cgroup-v2" },
		{ "memory_bytes", "cgroup-v2" }, { "processes", "cgroup-v2" },
		{ "open_files", "rlimit" }, { "file_size_bytes", "rlimit" },
		{ "output_bytes", "tmpfs" }, { "stdout_bytes", "capture" },
		{ "stderr_bytes", "capture" }, { "tmp_bytes", "tmpfs" },
	};
	static const char *const iso[] = { "userns", "mntns", "pidns", "netns", "ipcns",
	    "utsns", "cgroupns", "seccomp", "landlock", "no_new_privs" };
	char seed[32], a0[] = "python3", a1[] = "/work/in/analyse.py", a2[] = "--seed";
	char *argv[] = { a0, a1, a2, seed };
	struct attest_run *run = attest_run_new();
	uint8_t d[RS_SHA256_LEN];
	size_t i;
	int r = RS_ERR_ALLOC;

	if (run == NULL)
		goto out;
	snprintf(seed, sizeof(seed), "%llu", (unsigned long long)index);
	memset(d, (int)(index & 0xff), sizeof(d));
	if ((r = attest_run_set_argv(run, argv, 4)) != 0 ||
	    (r = attest_run_add_env(run, "HOME", "/work", 1)) != 0 ||
	    (r = attest_run_add_env(run, "LANG", "C.UTF-8", 1)) != 0 ||
	    (r = attest_run_add_env(run, "PATH", "/usr/local/bin:/usr/bin:/bin", 1)) != 0 ||
	    (r = attest_run_add_input(run, "analyse.py", 4096, d, 0644)) != 0 ||
	    (r = attest_run_add_input(run, "data.csv", 1 << 20, d, 0644)) != 0 ||
	    (r = attest_run_add_output(run, "report.json", 2048, d, 0644)) != 0 ||
	    (r = attest_run_add_output(run, "plot.png", 65536, d, 0644)) != 0)
		goto out;
	for (i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
		if ((r = attest_run_add_limit(run, limits[i][0], 1000 + i, limits[i][1], 1, 0)) != 0)
			goto out;
	for (i = 0; i < sizeof(iso) / sizeof(iso[0]); i++)
		if ((r = attest_run_add_isolation(run, iso[i])) != 0)
			goto out;
	r = RS_ERR_ALLOC;
	if ((run->cwd = strdup("/work")) == NULL || (run->policy_name = strdup("default")) == NULL ||
	    (run->policy_json = strdup(POLICY_JSON)) == NULL ||
	    (run->network = strdup("none")) == NULL ||
	    (run->kernel_release = strdup("6.1.0-28-amd64")) == NULL ||
	    (run->machine = strdup("x86_64")) == NULL || (run->rootfs = strdup("host")) == NULL ||
	    (run->hostname = strdup("ci-runner-7")) == NULL)
		goto out;
	if ((r = rs_sha256(POLICY_JSON, strlen(POLICY_JSON), run->policy_sha256)) != 0)
		goto out;
	memset(run->executor_sha256, 0xe1, RS_SHA256_LEN);
	memset(run->rootfs_sha256, 0x7f, RS_SHA256_LEN);
	run->rootfs_measured = 1;
	run->out.size = 1234;
	run->err.size = 56;
	memcpy(run->out.sha256, d, RS_SHA256_LEN);
	memcpy(run->err.sha256, d, RS_SHA256_LEN);
	run->exit_code = index % 50 == 0 ? 1 : 0;
	run->user_us = 812345;
	run->system_us = 123456;
	run->max_rss_kib = 65432;
	run->start_unix_ns = base_ns + (int64_t)index * 60 * 1000000000LL;
	run->end_unix_ns = run->start_unix_ns + 2500000000LL;
	for (i = 0; i < sizeof(run->nonce); i++)
		run->nonce[i] = (uint8_t)(rand() & 0xff);
	r = attest_record_pack(run, rec, len);
out:
	attest_run_free(run);
	return r;
}

static int
seal(void *arg, uint64_t index, uint8_t **env, size_t *len)
{
	struct fill *f = arg;
	uint8_t *rec = NULL;
	size_t rec_len = 0;
	int r;

	*env = NULL;
	*len = 0;
	if ((r = build(index, f->base_ns, &rec, &rec_len)) == 0)
		r = attest_seal(f->signer, rec, rec_len, env, len, NULL);
	free(rec);
	return r;
}

int
main(int argc, char **argv)
{
	struct fill f;
	struct ledger *l = NULL;
	struct ledger_appended *out = NULL;
	char *db = NULL;
	long count, batch = 1, done = 0, n;
	int r = 1;

	memset(&f, 0, sizeof(f));
	if (argc < 3 || argc > 4 || (count = strtol(argv[2], NULL, 10)) < 1 ||
	    (argc == 4 && ((batch = strtol(argv[3], NULL, 10)) < 1 || batch > 4096))) {
		fprintf(stderr, "usage: verify_fill HOME COUNT [BATCH<=4096]\n");
		return 64;
	}
	srand((unsigned)time(NULL));
	f.base_ns = (int64_t)time(NULL) * 1000000000LL - (int64_t)count * 60 * 1000000000LL;
	if ((db = rs_home_path(argv[1], RS_HOME_LEDGER)) == NULL ||
	    (out = calloc((size_t)batch, sizeof(*out))) == NULL)
		goto out;
	if (signer_open_home(argv[1], &f.signer) != 0 || ledger_open(db, 1, &l) != 0) {
		fprintf(stderr, "verify_fill: %s\n", rs_err_detail());
		goto out;
	}
	while (done < count) {
		n = count - done < batch ? count - done : batch;
		if (ledger_append_batch(l, (size_t)n, seal, &f, out) != 0) {
			fprintf(stderr, "verify_fill: append: %s\n", rs_err_detail());
			goto out;
		}
		done += n;
	}
	r = 0;
out:
	ledger_close(l);
	attest_signer_free(f.signer);
	free(out);
	free(db);
	return r;
}
