#include "executor/pipeline.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attest/record.h"
#include "common/err.h"
#include "common/file.h"
#include "common/home.h"
#include "executor/signer_open.h"

struct seal_ctx {
	struct attest_signer *signer;
	const uint8_t *record;
	size_t record_len;
	uint8_t digest[RS_SHA256_LEN];
};

/* Runs inside the ledger's write transaction (required for the TPM order). */
static int
seal_cb(void *arg, uint64_t index, uint8_t **envelope, size_t *len)
{
	struct seal_ctx *c = arg;

	(void)index;
	return attest_seal(c->signer, c->record, c->record_len, envelope, len, c->digest);
}

/* Prefix the current detail with the step that failed. */
static int
step_failed(int r, const char *step)
{
	return rs_fail(r, "%s: %s", step, rs_err_detail()[0] ? rs_err_detail() : rs_strerror(r));
}

void
pipeline_result_clear(struct pipeline_result *res)
{
	attest_run_free(res->run);
	memset(res, 0, sizeof(*res));
}

int
pipeline_run(const struct pipeline_request *req, struct pipeline_result *res)
{
	char *dbpath = NULL, *tmpdir = NULL, *scratch = NULL;
	struct exec_policy *policy = NULL;
	struct attest_signer *signer = NULL;
	struct ledger *ledger = NULL;
	struct attest_run *run = NULL;
	struct exec_request ereq;
	struct seal_ctx sc;
	uint8_t *record = NULL;
	size_t record_len = 0;
	int r = RS_ERR_INTERNAL;

	memset(res, 0, sizeof(*res));
	memset(&sc, 0, sizeof(sc));
	rs_err_clear();
	if ((r = exec_policy_load(req->policy_path, &policy)) != 0) {
		r = step_failed(r, req->policy_path ? req->policy_path : "default policy");
		goto out;
	}
	if (req->rootfs != NULL && (r = exec_policy_override_rootfs(policy, req->rootfs)) != 0)
		goto out;
	if ((dbpath = rs_home_path(req->home, RS_HOME_LEDGER)) == NULL ||
	    (tmpdir = rs_home_path(req->home, RS_HOME_TMP)) == NULL ||
	    (scratch = rs_path_join(tmpdir, "run-XXXXXX")) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	/* The home's signer: software key, or the TPM (checks its AK is there). */
	if ((r = signer_open_home(req->home, &signer)) != 0) {
		r = step_failed(r, "opening the signer");
		goto out;
	}
	/* Open the ledger before running: a run that cannot be recorded is not started. */
	if ((r = ledger_open(dbpath, 1, &ledger)) != 0) {
		r = step_failed(r, "opening the ledger");
		goto out;
	}
	if ((r = rs_mkdir_p(tmpdir, 0700)) != 0) {
		r = step_failed(r, "creating the staging directory");
		goto out;
	}
	if (mkdtemp(scratch) == NULL) {
		r = rs_fail(rs_err_from_errno(errno), "creating the staging directory %s: %s",
		    scratch, strerror(errno));
		free(scratch);
		scratch = NULL;
		goto out;
	}

	memset(&ereq, 0, sizeof(ereq));
	ereq.argv = req->argv;
	ereq.argc = req->argc;
	ereq.inputs = req->inputs;
	ereq.n_inputs = req->n_inputs;
	ereq.out_dir = req->out_dir;
	ereq.scratch_dir = scratch;
	ereq.policy = policy;
	ereq.stdout_fd = req->stdout_fd;
	ereq.stderr_fd = req->stderr_fd;
	ereq.host_env = req->host_env;
	ereq.remeasure = req->remeasure;
	if ((r = exec_run(&ereq, &run)) != 0) {
		r = step_failed(r, "run");
		goto out;
	}
	if ((r = attest_record_pack(run, &record, &record_len)) != 0) {
		r = step_failed(r, "building the record");
		goto out;
	}
	sc.signer = signer;
	sc.record = record;
	sc.record_len = record_len;
	if ((r = ledger_append(ledger, seal_cb, &sc, &res->appended)) != 0) {
		r = step_failed(r, "appending to the ledger (nothing was recorded)");
		if (attest_signer_tpm_extends(signer) > 0)
			r = rs_fail(r, "%s; but the TPM's application PCR was already extended "
			    "for this run, so the next entry of this TPM epoch will fail "
			    "runseal-verify's PCR replay (an extend without a ledger entry)",
			    rs_err_detail());
		goto out;
	}
	memcpy(res->record_digest, sc.digest, RS_SHA256_LEN);
	res->signer = attest_signer_kind(signer);
	res->exit_status = exec_exit_status(run);
	res->run = run;
	run = NULL;
	r = 0;
out:
	if (scratch != NULL)
		rs_rm_rf(scratch);
	free(record);
	attest_run_free(run);
	ledger_close(ledger);
	attest_signer_free(signer);
	exec_policy_free(policy);
	free(scratch);
	free(tmpdir);
	free(dbpath);
	return r;
}
