/*
 * runseal run: execute, record, sign, append. Either the run is appended
 * as one complete entry and its index printed, or runseal exits 125 and
 * the ledger is exactly as it was.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "attest/signer.h"
#include "common/encode.h"
#include "common/err.h"
#include "common/exitcode.h"
#include "common/file.h"
#include "common/home.h"
#include "common/interrupt.h"
#include "common/log.h"
#include "executor/cli.h"
#include "executor/exec.h"
#include "executor/pipeline.h"
#include "ledger/ledger.h"

extern char **environ;

static const char run_usage[] =
"usage: runseal run [--home DIR] [--policy FILE] [--in PATH[=NAME]]...\n"
"                   [--out DIR] [--rootfs DIR] [--remeasure] [--audit-log FILE]\n"
"                   [--json] [--quiet]\n"
"                   -- CMD [ARG...]\n"
"\n"
"Run CMD in the sandbox: inputs are copied read-only to /work/in, the\n"
"program writes outputs under /work/out (copied to --out DIR afterwards),\n"
"no network, no host environment. The record of the run is signed and\n"
"appended to the ledger.\n"
"\n"
"  --policy FILE    sandbox policy (JSON; see runseal-policy(5)); default: built-in\n"
"  --in PATH[=NAME] stage a host file as /work/in/NAME (default NAME: basename;\n"
"                   a PATH that exists with its '=' is taken whole)\n"
"  --out DIR        copy collected outputs into DIR (created; must be empty)\n"
"  --rootfs DIR     the program's root is DIR (read-only), not the host's /usr\n"
"  --remeasure      hash the whole rootfs again instead of trusting the cache\n"
"  --audit-log FILE append one JSON audit event per run to FILE (default:\n"
"                   $RUNSEAL_AUDIT_LOG; also the journal under systemd)\n"
"  --json           print one JSON result object on stdout instead of passing\n"
"                   the program's stdout/stderr through\n"
"  -q, --quiet      no summary line on stderr\n"
"\n"
"exit status: the program's own; 124 timed out; 125 runseal failed (nothing\n"
"appended); 126 cannot execute; 127 not found; 128+N killed by signal N\n"
"(or runseal interrupted by SIGINT/SIGTERM/SIGHUP N: program stopped, nothing\n"
"appended).\n";

static int
add_input(struct exec_input **v, size_t *n, char *spec)
{
	struct exec_input *nv;
	struct stat st;
	char *eq, *slash;

	if ((nv = realloc(*v, (*n + 1) * sizeof(*nv))) == NULL)
		return RS_ERR_ALLOC;
	*v = nv;
	/* A path that exists as given is taken whole (a file named "k=v.csv"). */
	if (lstat(spec, &st) != 0 && (eq = strrchr(spec, '=')) != NULL && eq != spec) {
		*eq = '\0';
		nv[*n].path = spec;
		nv[*n].name = eq + 1;
	} else {
		nv[*n].path = spec;
		slash = strrchr(spec, '/');
		nv[*n].name = slash != NULL ? slash + 1 : spec;
	}
	(*n)++;
	return 0;
}

static json_t *
artifact_json(const struct attest_artifact *a)
{
	char hex[2 * RS_SHA256_LEN + 1];

	rs_hex_encode(a->sha256, RS_SHA256_LEN, hex);
	return json_pack("{s:s, s:I, s:s}", "name", a->name, "size", (json_int_t)a->size,
	    "sha256", hex);
}

static json_t *
stream_json(const struct attest_stream *s)
{
	char hex[2 * RS_SHA256_LEN + 1];

	rs_hex_encode(s->sha256, RS_SHA256_LEN, hex);
	return json_pack("{s:I, s:s, s:b}", "size", (json_int_t)s->size, "sha256", hex,
	    "truncated", s->truncated);
}

static int
print_result_json(const struct attest_run *run, const struct ledger_appended *app,
    const uint8_t digest[RS_SHA256_LEN], const char *signer, int status)
{
	char dhex[2 * RS_SHA256_LEN + 1], chex[2 * RS_SHA256_LEN + 1];
	json_t *o, *outs, *evs;
	size_t i;

	rs_hex_encode(digest, RS_SHA256_LEN, dhex);
	rs_hex_encode(app->chain_hash, RS_SHA256_LEN, chex);
	if ((outs = json_array()) == NULL || (evs = json_array()) == NULL)
		return RS_ERR_ALLOC;
	for (i = 0; i < run->n_outputs; i++)
		json_array_append_new(outs, artifact_json(&run->outputs[i]));
	for (i = 0; i < run->n_events; i++)
		json_array_append_new(evs, json_pack("{s:s, s:s, s:I}",
		    "kind", run->events[i].kind,
		    "detail", run->events[i].detail ? run->events[i].detail : "",
		    "count", (json_int_t)run->events[i].count));
	o = json_pack("{s:s, s:I, s:s, s:s, s:s, s:i, s:i, s:i, s:b, s:o, s:o, s:o, s:o}",
	    "schema", "runseal-run/v1",
	    "entry", (json_int_t)app->index,
	    "record_digest", dhex,
	    "chain_hash", chex,
	    "signer", signer,
	    "exit_status", status,
	    "exit_code", run->exit_code,
	    "signal", run->signal,
	    "timed_out", run->timed_out,
	    "stdout", stream_json(&run->out),
	    "stderr", stream_json(&run->err),
	    "outputs", outs,
	    "events", evs);
	if (o == NULL)
		return RS_ERR_ALLOC;
	return cli_print_json(o);
}

static void
print_summary(const struct attest_run *run, const struct ledger_appended *app,
    const uint8_t digest[RS_SHA256_LEN], int status)
{
	char dhex[2 * RS_SHA256_LEN + 1];
	size_t i;

	rs_hex_encode(digest, RS_SHA256_LEN, dhex);
	fflush(stdout);
	fprintf(stderr, "runseal: entry %llu appended: record sha256:%s\n",
	    (unsigned long long)app->index, dhex);
	if (run->timed_out)
		fprintf(stderr, "runseal: timed out (exit status %d)\n", status);
	else if (run->signal != 0)
		fprintf(stderr, "runseal: killed by signal %d (exit status %d)\n",
		    run->signal, status);
	else
		fprintf(stderr, "runseal: exit status %d\n", status);
	for (i = 0; i < run->n_events; i++)
		fprintf(stderr, "runseal: event %s: %s%s\n", run->events[i].kind,
		    run->events[i].detail ? run->events[i].detail : "",
		    run->events[i].count > 1 ? " (repeated)" : "");
	for (i = 0; i < run->n_outputs; i++) {
		rs_hex_encode(run->outputs[i].sha256, RS_SHA256_LEN, dhex);
		fprintf(stderr, "runseal: output %s (%llu bytes) sha256:%s\n",
		    run->outputs[i].name, (unsigned long long)run->outputs[i].size, dhex);
	}
}

/* The output directory must be absent (it is created) or an empty directory. */
static int
prepare_out_dir(const char *dir)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	int r = 0;

	if (lstat(dir, &st) != 0)
		return rs_mkdir_p(dir, 0755);
	if (!S_ISDIR(st.st_mode))
		return rs_fail(RS_ERR_USAGE, "--out %s exists and is not a directory", dir);
	if ((d = opendir(dir)) == NULL)
		return rs_fail(rs_err_from_errno(errno), "--out %s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			r = rs_fail(RS_ERR_USAGE, "--out %s is not empty: outputs are never "
			    "written over existing files", dir);
			break;
		}
	}
	closedir(d);
	return r;
}

int
cmd_run(int argc, char **argv, const struct cli_global *g)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "policy", required_argument, NULL, 'p' },
		{ "in", required_argument, NULL, 'i' },
		{ "out", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "rootfs", required_argument, NULL, 'R' },
		{ "remeasure", no_argument, NULL, 'M' },
		{ "audit-log", required_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *home_flag = NULL, *rootfs_flag = NULL;
	char *rootfs = NULL;
	struct pipeline_request req;
	struct pipeline_result res;
	struct exec_input *inputs = NULL;
	size_t n_inputs = 0;
	int json = 0, quiet = 0, c, r = RS_ERR_INTERNAL;
	int status = RS_EXIT_RUNSEAL_FAILED;
	char *home = NULL;

	memset(&req, 0, sizeof(req));
	memset(&res, 0, sizeof(res));
	while ((c = getopt_long(argc, argv, "+p:i:o:jqh", opts, NULL)) != -1) {
		switch (c) {
		case 'H': home_flag = optarg; break;
		case 'p': req.policy_path = optarg; break;
		case 'i':
			if ((r = add_input(&inputs, &n_inputs, optarg)) != 0)
				goto out;
			break;
		case 'o': req.out_dir = optarg; break;
		case 'j': json = 1; break;
		case 'q': quiet = 1; break;
		case 'R': rootfs_flag = optarg; break;
		case 'M': req.remeasure = 1; break;
		case 'A': req.audit_log = optarg; break;
		case 'h':
			fputs(run_usage, stdout);
			status = RS_EXIT_OK;
			goto out;
		default:
			fputs(run_usage, stderr);
			goto out;
		}
	}
	/* SIGINT/SIGTERM/SIGHUP stop the program, never an append (pipeline.h). */
	if ((r = rs_interrupt_catch()) != 0) {
		rs_error("%s", rs_err_detail());
		goto out;
	}
	if (optind >= argc) {
		rs_error("run: no command given (usage: runseal run [OPTIONS] -- CMD [ARG...])");
		goto out;
	}
	if ((r = cli_home(home_flag, g, 1, &home)) != 0)
		goto out;
	/* The policy names the rootfs by its absolute path. */
	if (rootfs_flag != NULL && (rootfs = realpath(rootfs_flag, NULL)) == NULL) {
		rs_error("run: --rootfs %s: %s", rootfs_flag, strerror(errno));
		goto out;
	}
	req.rootfs = rootfs;
	if (req.out_dir != NULL && (r = prepare_out_dir(req.out_dir)) != 0) {
		rs_error_code(r, "run");
		goto out;
	}
	req.home = home;
	req.inputs = inputs;
	req.n_inputs = n_inputs;
	req.argv = argv + optind;
	req.argc = (size_t)(argc - optind);
	req.stdout_fd = json ? -1 : STDOUT_FILENO;
	req.stderr_fd = json ? -1 : STDERR_FILENO;
	req.host_env = environ;
	req.stop_fd = rs_interrupt_fd();
	if ((r = pipeline_run(&req, &res)) != 0) {
		if (rs_interrupted() != 0) {
			/* As a shell reports a command it interrupted: 128 + the signal. */
			rs_error("interrupted by SIG%s: %s; nothing was appended",
			    sigabbrev_np(rs_interrupted()), rs_err_detail());
			status = RS_EXIT_SIGNAL_BASE + rs_interrupted();
		} else {
			rs_error("%s", rs_err_detail());
		}
		goto out;
	}
	if (rs_interrupted() != 0)
		rs_warn("SIG%s arrived during the append: entry %llu is complete",
		    sigabbrev_np(rs_interrupted()), (unsigned long long)res.appended.index);
	/* Appended: from here on the exit status is the program's. */
	status = res.exit_status;
	if (json) {
		if (print_result_json(res.run, &res.appended, res.record_digest,
		    attest_signer_kind_name(res.signer), status) != 0)
			rs_error("writing the JSON result failed (entry %llu was appended)",
			    (unsigned long long)res.appended.index);
	} else if (!quiet) {
		print_summary(res.run, &res.appended, res.record_digest, status);
	}
out:
	pipeline_result_clear(&res);
	free(inputs);
	free(rootfs);
	free(home);
	return status;
}
