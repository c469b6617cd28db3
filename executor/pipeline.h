/*
 * pipeline.h - one attested run, end to end: load the policy, open the
 * signer and the ledger, run the program in the sandbox, build the record,
 * seal it and append it. Used by `runseal run` and the MCP server.
 *
 * Either the run is appended as one complete entry (return 0), or nothing
 * is appended and a negative RS_ERR_* is returned with an rs_fail() detail
 * that says which step failed. A stop request (stop_fd readable) is
 * honoured up to the append and ignored from then on: it stops the program
 * or the steps before the append (RS_ERR_INTERRUPTED, nothing appended),
 * never an append under way.
 *
 * With the policy's keep_blobs, the run's bytes (inputs, outputs, stdout,
 * stderr) are put in the home's blob store before the append, so every
 * acknowledged entry of such a run has its bytes kept; the program's
 * stdout/stderr then reach stdout_fd/stderr_fd when it has ended, not live.
 * After the append, one audit event goes to audit_log and the journal
 * (a failure there is a warning: the entry stands).
 */
#ifndef RS_PIPELINE_H
#define RS_PIPELINE_H

#include <stddef.h>

#include "attest/run.h"
#include "attest/signer.h"
#include "executor/exec.h"
#include "ledger/ledger.h"

struct pipeline_request {
	const char *home;               /* an initialised runseal home */
	const char *policy_path;        /* NULL: the built-in default policy */
	const struct exec_input *inputs;
	size_t n_inputs;
	const char *out_dir;            /* NULL: outputs are hashed, not kept */
	char *const *argv;
	size_t argc;
	int stdout_fd;                  /* copies of the program's streams, or -1 */
	int stderr_fd;
	char *const *host_env;
	const char *rootfs;             /* NULL: the policy's; else an absolute directory */
	int remeasure;                  /* rehash the rootfs, trusting no cached digest */
	const char *audit_log;          /* audit event file (executor/audit.h), or NULL */
	int stop_fd;                    /* readable: stop the run, append nothing
	                                 * (RS_ERR_INTERRUPTED); 0 or -1: none */
};

struct pipeline_result {
	struct attest_run *run;         /* owned; freed by pipeline_result_clear() */
	struct ledger_appended appended;
	uint8_t record_digest[RS_SHA256_LEN];
	enum attest_signer_kind signer;
	int exit_status;                /* as `runseal run` exits: code, 124, 128+N */
};

int pipeline_run(const struct pipeline_request *req, struct pipeline_result *res);
void pipeline_result_clear(struct pipeline_result *res);

#endif
