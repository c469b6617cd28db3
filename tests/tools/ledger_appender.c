/*
 * ledger_appender - a test helper: append COUNT software-signed entries to
 * the ledger of a runseal home, printing "appended INDEX CHAINHASH" after
 * each commit returned (the acknowledgement the crash test checks), or
 * "error: ..." on stderr and exit 1 at the first failure.
 *
 *   ledger_appender HOME COUNT [BATCH] [--fail POINT ERRNO]
 *
 * With --fail (built with libfiu, run under `fiu-run -x`), the libfiu
 * failure point POINT (e.g. posix/io/sync/fdatasync) is enabled with errno
 * ERRNO once the ledger is open: the failure hits the appends themselves.
 *
 * It goes through the same ledger_append() as `runseal run`, with the
 * home's signer and checkpoint key, but skips the sandbox so that the
 * crash test's SIGKILLs land inside appends, not inside program start-up.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef RS_HAVE_FIU
#include <fiu.h>
#include <fiu-control.h>
#endif

#include "attest/record.h"
#include "attest/run.h"
#include "attest/signer.h"
#include "common/encode.h"
#include "common/err.h"
#include "common/home.h"
#include "ledger/ledger.h"

static int
seal(void *arg, uint64_t index, uint8_t **env, size_t *len)
{
	struct attest_signer *signer = arg;
	static char a0[] = "ledger_appender";
	static char *const argv[] = { a0 };
	struct attest_run *run = attest_run_new();
	uint8_t *rec = NULL;
	size_t rec_len = 0;
	int r;

	*env = NULL;
	*len = 0;
	if (run == NULL)
		return RS_ERR_ALLOC;
	if ((r = attest_run_set_argv(run, argv, 1)) != 0)
		goto out;
	if ((run->cwd = strdup("/work")) == NULL || (run->policy_name = strdup("default")) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	run->start_unix_ns = (int64_t)index;
	if ((r = attest_record_pack(run, &rec, &rec_len)) != 0)
		goto out;
	r = attest_seal(signer, rec, rec_len, env, len, NULL);
out:
	free(rec);
	attest_run_free(run);
	return r;
}

int
main(int argc, char **argv)
{
	struct attest_signer *signer = NULL;
	struct ledger *l = NULL;
	struct ledger_appended a[64];
	char *db = NULL, *key = NULL, hex[65];
	long count, batch = 1, i, k;
	int r = RS_ERR_INTERNAL;

	const char *fail_point = NULL;
	int fail_errno = 0;

	/* What this build can do, for the tests to decide what to skip. */
	if (argc == 2 && strcmp(argv[1], "--features") == 0) {
#ifdef RS_HAVE_FIU
		printf("fiu\n");
#endif
#ifdef __SANITIZE_ADDRESS__
		/* libfiu's preload libraries and ASan's interceptors do not mix. */
		printf("asan\n");
#endif
		return 0;
	}
	if (argc >= 6 && strcmp(argv[argc - 3], "--fail") == 0) {
		fail_point = argv[argc - 2];
		fail_errno = atoi(argv[argc - 1]);
		argc -= 3;
	}
	if (argc < 3 || argc > 4 || (count = strtol(argv[2], NULL, 10)) < 1 ||
	    (argc == 4 && ((batch = strtol(argv[3], NULL, 10)) < 1 || batch > 64))) {
		fprintf(stderr, "usage: ledger_appender HOME COUNT [BATCH<=64] "
		    "[--fail POINT ERRNO]\n");
		return 64;
	}
#ifndef RS_HAVE_FIU
	if (fail_point != NULL) {
		fprintf(stderr, "ledger_appender: built without libfiu\n");
		return 77;
	}
#endif
	if ((db = rs_home_path(argv[1], RS_HOME_LEDGER)) == NULL ||
	    (key = rs_home_path(argv[1], RS_HOME_SIGNER_KEY)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((r = attest_signer_open_software(key, &signer)) != 0 ||
	    (r = ledger_open(db, 1, &l)) != 0)
		goto out;
#ifdef RS_HAVE_FIU
	if (fail_point != NULL) {
		fiu_init(0);
		if (fiu_enable(fail_point, 1, (void *)(intptr_t)fail_errno, 0) != 0) {
			fprintf(stderr, "ledger_appender: cannot enable %s\n", fail_point);
			r = RS_ERR_INTERNAL;
			goto out;
		}
	}
#endif
	for (i = 0; i < count; i += batch) {
		if ((r = ledger_append_batch(l, (size_t)batch, seal, signer, a)) != 0)
			goto out;
		for (k = 0; k < batch; k++) {
			rs_hex_encode(a[k].chain_hash, 32, hex);
			printf("appended %llu %s\n", (unsigned long long)a[k].index, hex);
		}
		fflush(stdout);
	}
	r = 0;
out:
	if (r != 0) {
		fprintf(stderr, "error: %s: %s\n", rs_strerror(r), rs_err_detail());
		/* As if the process died right after the failure: nothing closed. */
		if (getenv("LEDGER_APPENDER_DIE_ON_ERROR") != NULL)
			_exit(1);
	}
	ledger_close(l);
	attest_signer_free(signer);
	free(key);
	free(db);
	return r == 0 ? 0 : 1;
}
