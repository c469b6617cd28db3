/*
 * seal_bench - the attestation part of a run, without the sandbox: open the
 * home's signer once (as a run does: for the TPM, one TPM2_ReadPublic),
 * then COUNT times build a small record, seal it and append it durably to
 * the home's ledger (the seal inside the write transaction, as
 * `runseal run` does: for the TPM, extend + quote + PCR reads). Prints the
 * mean microseconds for the open and for one sealed append. Used by
 * bench/tpm_overhead.sh to compare the TPM and software signers.
 *
 *   seal_bench HOME COUNT
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attest/record.h"
#include "attest/run.h"
#include "attest/signer.h"
#include "common/err.h"
#include "common/home.h"
#include "executor/signer_open.h"
#include "ledger/ledger.h"

static int
seal(void *arg, uint64_t index, uint8_t **env, size_t *len)
{
	struct attest_signer *signer = arg;
	static char a0[] = "seal_bench";
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

static double
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int
main(int argc, char **argv)
{
	struct attest_signer *signer = NULL;
	struct ledger *l = NULL;
	struct ledger_appended a;
	char *db = NULL;
	double t0, t_open, t_append;
	long count, i;
	int r = RS_ERR_INTERNAL;

	if (argc != 3 || (count = strtol(argv[2], NULL, 10)) < 1) {
		fprintf(stderr, "usage: seal_bench HOME COUNT\n");
		return 64;
	}
	if ((db = rs_home_path(argv[1], RS_HOME_LEDGER)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	t0 = now_us();
	if ((r = signer_open_home(argv[1], &signer)) != 0)
		goto out;
	t_open = now_us() - t0;
	if ((r = ledger_open(db, 1, &l)) != 0)
		goto out;
	t0 = now_us();
	for (i = 0; i < count; i++)
		if ((r = ledger_append(l, seal, signer, &a)) != 0)
			goto out;
	t_append = (now_us() - t0) / (double)count;
	printf("%s open_us %.0f append_us %.0f\n",
	    attest_signer_kind_name(attest_signer_kind(signer)), t_open, t_append);
	r = 0;
out:
	if (r != 0)
		fprintf(stderr, "seal_bench: %s: %s\n", rs_strerror(r), rs_err_detail());
	ledger_close(l);
	attest_signer_free(signer);
	free(db);
	return r == 0 ? 0 : 1;
}
