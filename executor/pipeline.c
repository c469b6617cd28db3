#include "executor/pipeline.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attest/record.h"
#include "common/err.h"
#include "common/file.h"
#include "common/home.h"
#include "common/log.h"
#include "executor/audit.h"
#include "executor/cli.h"
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

/* RS_ERR_INTERRUPTED when a stop was requested (stop_fd readable), else 0. */
static int
check_stop(int stop_fd, const char *before)
{
	struct pollfd pf = { .fd = stop_fd, .events = POLLIN };

	if (stop_fd > STDERR_FILENO && poll(&pf, 1, 0) == 1 && (pf.revents & POLLIN) != 0)
		return rs_fail(RS_ERR_INTERRUPTED, "stopped on request before %s", before);
	return 0;
}

/* Copy a captured stream to the caller's descriptor (keep_blobs runs). */
static void
replay_stream(int from, int to)
{
	char buf[65536];
	ssize_t n;

	if (from < 0 || to < 0 || lseek(from, 0, SEEK_SET) != 0)
		return;
	while ((n = read(from, buf, sizeof(buf))) > 0)
		if (rs_write_all(to, buf, (size_t)n) != 0)
			return;
}

static int
open_capture(const char *path, int *fd)
{
	*fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (*fd < 0)
		return rs_fail(rs_err_from_errno(errno), "%s: %s", path, strerror(errno));
	return 0;
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
	char *keep_out = NULL, *keep_stdout = NULL, *keep_stderr = NULL;
	int keep = 0, ofd = -1, efd = -1;
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
		/* exec_policy_load's detail names the policy file. */
		if (req->policy_path == NULL)
			r = step_failed(r, "default policy");
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
	/* With its checkpoint key (ledger.h): a damaged one stops the run here. */
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

	/*
	 * keep_blobs: the executor copies the streams to files in the scratch
	 * directory and outputs to a scratch directory when there is no out_dir.
	 */
	keep = exec_policy_keep_blobs(policy);
	if (keep) {
		if ((keep_stdout = rs_path_join(scratch, "stdout")) == NULL ||
		    (keep_stderr = rs_path_join(scratch, "stderr")) == NULL ||
		    (req->out_dir == NULL && (keep_out = rs_path_join(scratch, "kept-out")) == NULL)) {
			r = RS_ERR_ALLOC;
			goto out;
		}
		if ((r = open_capture(keep_stdout, &ofd)) != 0 ||
		    (r = open_capture(keep_stderr, &efd)) != 0) {
			r = step_failed(r, "capturing the program's streams (policy keep_blobs)");
			goto out;
		}
	}

	memset(&ereq, 0, sizeof(ereq));
	ereq.argv = req->argv;
	ereq.argc = req->argc;
	ereq.inputs = req->inputs;
	ereq.n_inputs = req->n_inputs;
	ereq.out_dir = req->out_dir != NULL ? req->out_dir : keep_out;
	ereq.scratch_dir = scratch;
	ereq.policy = policy;
	ereq.stdout_fd = keep ? ofd : req->stdout_fd;
	ereq.stderr_fd = keep ? efd : req->stderr_fd;
	ereq.host_env = req->host_env;
	ereq.remeasure = req->remeasure;
	ereq.stop_fd = req->stop_fd;
	if ((r = check_stop(req->stop_fd, "the program started")) != 0 ||
	    (r = exec_run(&ereq, &run)) != 0) {
		r = step_failed(r, "run");
		goto out;
	}
	if (keep) {
		size_t kept = 0, missing = 0;

		replay_stream(ofd, req->stdout_fd);
		replay_stream(efd, req->stderr_fd);
		/* Before the append: an acknowledged keep_blobs entry has its bytes. */
		if ((r = cli_keep_run_blobs(req->home, run, req->inputs, req->n_inputs,
		    ereq.out_dir, keep_stdout, keep_stderr, &kept, &missing)) != 0) {
			r = step_failed(r, "keeping the run's bytes (policy keep_blobs)");
			goto out;
		}
	}
	if ((r = attest_record_pack(run, &record, &record_len)) != 0) {
		r = step_failed(r, "building the record");
		goto out;
	}
	sc.signer = signer;
	sc.record = record;
	sc.record_len = record_len;
	/* The last point a stop is honoured: an append is never cut short. */
	if ((r = check_stop(req->stop_fd, "the append")) != 0) {
		r = step_failed(r, "recording the run");
		goto out;
	}
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
	{
		const char *log = audit_log_path(req->audit_log);
		struct audit_event ev = { res->appended.index, { 0 },
		    attest_signer_kind_name(res->signer), res->exit_status, run };

		memcpy(ev.record_digest, sc.digest, RS_SHA256_LEN);
		if (audit_emit(&ev, log) != 0)
			rs_warn("entry %llu: audit event not written: %s",
			    (unsigned long long)res->appended.index, rs_err_detail());
	}
	res->run = run;
	run = NULL;
	r = 0;
out:
	if (ofd >= 0)
		close(ofd);
	if (efd >= 0)
		close(efd);
	if (scratch != NULL)
		rs_rm_rf(scratch);
	free(keep_out);
	free(keep_stdout);
	free(keep_stderr);
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
