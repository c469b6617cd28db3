/*
 * runseal mcp: the MCP server over stdio, its tools bound to the attested
 * run pipeline. Tools:
 *
 *   execute        run code (with an interpreter) or an argv in the sandbox,
 *                  append the record, return streams, outputs, events, digest
 *   ledger_status  ledger size, signer and the trust anchor to pin
 *
 * Hostile programs, timeouts and limits produce normal results carrying the
 * events; only runseal's own failures are tool errors (isError), and only
 * malformed arguments are protocol errors (-32602).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "attest/signer.h"
#include "common/encode.h"
#include "common/err.h"
#include "common/exitcode.h"
#include "common/file.h"
#include "common/home.h"
#include "common/log.h"
#include "executor/cli.h"
#include "executor/mcp.h"
#include "executor/pipeline.h"
#include "ledger/ledger.h"

extern char **environ;

#define MAX_INPUTS 64
#define MAX_INPUT_BYTES (16u << 20)     /* one base64 input, decoded */
#define MAX_STREAM_RETURN (1u << 20)    /* stdout/stderr bytes returned */
#define MAX_OUTPUT_RETURN (1u << 20)    /* bytes of each output returned */
#define MAX_OUTPUTS_RETURN (8u << 20)   /* output bytes returned in total */

struct mcp_ctx {
	const char *home;
	const char *policy;             /* default policy file, or NULL (built-in) */
	const char *policy_dir;         /* named policies: DIR/NAME.json */
	const char *input_root;         /* path inputs must resolve under it */
};

static const struct {
	const char *name;
	const char *ext;
} interpreters[] = {
	{ "sh", "sh" }, { "bash", "sh" }, { "python3", "py" }, { "node", "js" }, { "perl", "pl" },
};

static const char execute_in[] =
"{\"type\":\"object\",\"additionalProperties\":false,"
"\"properties\":{"
"\"code\":{\"type\":\"string\",\"description\":\"Program text, run with the interpreter. Staged as /work/in/program.EXT.\"},"
"\"interpreter\":{\"type\":\"string\",\"enum\":[\"sh\",\"bash\",\"python3\",\"node\",\"perl\"],\"default\":\"sh\"},"
"\"argv\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"minItems\":1,\"description\":\"Command to run instead of code; argv[0] is looked up in the sandbox PATH.\"},"
"\"inputs\":{\"type\":\"array\",\"maxItems\":64,\"items\":{\"type\":\"object\",\"additionalProperties\":false,"
"\"properties\":{\"name\":{\"type\":\"string\",\"description\":\"File name under /work/in\"},"
"\"content_base64\":{\"type\":\"string\"},\"path\":{\"type\":\"string\",\"description\":\"Host path under the server's --input-root\"}},"
"\"required\":[\"name\"]}},"
"\"policy\":{\"type\":\"string\",\"description\":\"Name of a policy the server offers (--policy-dir), or 'default'\"}"
"}}";

static const char stream_schema[] =
"{\"type\":\"object\",\"properties\":{\"size\":{\"type\":\"integer\"},\"sha256\":{\"type\":\"string\"},"
"\"truncated\":{\"type\":\"boolean\"},\"text\":{\"type\":\"string\"},\"base64\":{\"type\":\"string\"}},"
"\"required\":[\"size\",\"sha256\",\"truncated\",\"base64\"]}";

static char execute_out[4096];

static const char status_in[] = "{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{}}";
static const char status_out[] =
"{\"type\":\"object\",\"properties\":{\"entries\":{\"type\":\"integer\"},"
"\"signer\":{\"type\":\"string\"},\"trust_pem\":{\"type\":\"string\"},"
"\"head_chain_hash\":{\"type\":\"string\"}},\"required\":[\"entries\",\"signer\",\"trust_pem\"]}";

static void
build_execute_out(void)
{
	snprintf(execute_out, sizeof(execute_out),
	    "{\"type\":\"object\",\"properties\":{"
	    "\"entry\":{\"type\":\"integer\"},\"record_digest\":{\"type\":\"string\"},"
	    "\"signer\":{\"type\":\"string\"},"
	    "\"exit_status\":{\"type\":\"integer\"},\"exit_code\":{\"type\":\"integer\"},"
	    "\"signal\":{\"type\":\"integer\"},\"timed_out\":{\"type\":\"boolean\"},"
	    "\"stdout\":%s,\"stderr\":%s,"
	    "\"outputs\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{"
	    "\"name\":{\"type\":\"string\"},\"size\":{\"type\":\"integer\"},\"sha256\":{\"type\":\"string\"},"
	    "\"content_base64\":{\"type\":\"string\"},\"content_truncated\":{\"type\":\"boolean\"}},"
	    "\"required\":[\"name\",\"size\",\"sha256\"]}},"
	    "\"events\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{"
	    "\"kind\":{\"type\":\"string\"},\"detail\":{\"type\":\"string\"},\"count\":{\"type\":\"integer\"}},"
	    "\"required\":[\"kind\",\"detail\",\"count\"]}}},"
	    "\"required\":[\"entry\",\"record_digest\",\"signer\",\"exit_status\",\"exit_code\",\"signal\","
	    "\"timed_out\",\"stdout\",\"stderr\",\"outputs\",\"events\"]}",
	    stream_schema, stream_schema);
}

/* A file name for /work/in: what the executor accepts, checked here for a clear error. */
static int
valid_name(const char *n)
{
	return n[0] != '\0' && strchr(n, '/') == NULL && strcmp(n, ".") != 0 &&
	    strcmp(n, "..") != 0 && strlen(n) <= 255;
}

struct staged {
	struct exec_input in[MAX_INPUTS + 1];
	char *paths[MAX_INPUTS + 1];
	size_t n;
};

static void
staged_free(struct staged *st)
{
	size_t i;

	for (i = 0; i < st->n; i++)
		free(st->paths[i]);
	st->n = 0;
}

/* Write bytes to DIR/NAME and add it as an input. */
static int
stage_bytes(struct staged *st, const char *dir, const char *name, const uint8_t *data,
    size_t len)
{
	char *p;
	int r;

	if (st->n >= MAX_INPUTS + 1)
		return rs_fail(RS_ERR_USAGE, "at most %d inputs", MAX_INPUTS);
	if ((p = rs_path_join(dir, name)) == NULL)
		return RS_ERR_ALLOC;
	if ((r = rs_write_file_atomic(p, data, len, 0644, 1)) != 0) {
		free(p);
		return r == RS_ERR_EXISTS ? rs_fail(RS_ERR_USAGE, "input name '%s' given twice", name) : r;
	}
	st->paths[st->n] = p;
	st->in[st->n].path = p;
	st->in[st->n].name = name;
	st->n++;
	return 0;
}

static int
stage_inputs(const struct mcp_ctx *c, json_t *inputs, const char *dir, struct staged *st)
{
	json_t *it;
	size_t i;
	int r;

	json_array_foreach(inputs, i, it) {
		const char *name = NULL, *b64 = NULL, *path = NULL;
		if (!json_is_object(it) || json_unpack(it, "{s:s, s?s, s?s}", "name", &name,
		    "content_base64", &b64, "path", &path) != 0)
			return rs_fail(RS_ERR_USAGE, "inputs[%zu]: needs a string \"name\" and "
			    "\"content_base64\" or \"path\"", i);
		if (!valid_name(name))
			return rs_fail(RS_ERR_USAGE, "inputs[%zu]: invalid name '%s'", i, name);
		if ((b64 == NULL) == (path == NULL))
			return rs_fail(RS_ERR_USAGE, "inputs[%zu]: give exactly one of "
			    "\"content_base64\" and \"path\"", i);
		if (b64 != NULL) {
			uint8_t *data = NULL;
			size_t len = 0;
			if (strlen(b64) > (size_t)MAX_INPUT_BYTES / 3 * 4 + 4)
				return rs_fail(RS_ERR_USAGE, "inputs[%zu]: more than %u bytes", i,
				    MAX_INPUT_BYTES);
			if (rs_base64_decode(b64, strlen(b64), &data, &len) != 0)
				return rs_fail(RS_ERR_USAGE, "inputs[%zu]: content_base64 is not "
				    "valid base64", i);
			r = stage_bytes(st, dir, name, data, len);
			free(data);
			if (r != 0)
				return r;
		} else {
			char real[PATH_MAX], root[PATH_MAX];
			size_t rl;
			if (c->input_root == NULL)
				return rs_fail(RS_ERR_USAGE, "inputs[%zu]: path inputs are disabled "
				    "(the server was started without --input-root)", i);
			if (realpath(c->input_root, root) == NULL || realpath(path, real) == NULL)
				return rs_fail(RS_ERR_USAGE, "inputs[%zu]: %s: %s", i, path,
				    strerror(errno));
			rl = strlen(root);
			if (strncmp(real, root, rl) != 0 || (real[rl] != '/' && real[rl] != '\0'))
				return rs_fail(RS_ERR_USAGE, "inputs[%zu]: %s is outside the "
				    "server's --input-root", i, path);
			if (st->n >= MAX_INPUTS + 1)
				return rs_fail(RS_ERR_USAGE, "at most %d inputs", MAX_INPUTS);
			if ((st->paths[st->n] = strdup(real)) == NULL)
				return RS_ERR_ALLOC;
			st->in[st->n].path = st->paths[st->n];
			st->in[st->n].name = name;
			st->n++;
		}
	}
	return 0;
}

/* Read back at most max bytes of a captured stream (memfd). */
static json_t *
stream_json(int fd, const struct attest_stream *s, size_t max)
{
	char hex[2 * RS_SHA256_LEN + 1], *b64 = NULL;
	uint8_t *buf = NULL;
	ssize_t n = 0;
	json_t *o, *text;

	rs_hex_encode(s->sha256, RS_SHA256_LEN, hex);
	if ((buf = malloc(max > 0 ? max : 1)) != NULL)
		n = pread(fd, buf, max, 0);
	if (n < 0)
		n = 0;
	if (rs_base64_encode(buf, (size_t)n, &b64) != 0)
		b64 = NULL;
	o = json_pack("{s:I, s:s, s:b, s:s}", "size", (json_int_t)s->size, "sha256", hex,
	    "truncated", s->truncated || s->size > (uint64_t)n, "base64", b64 ? b64 : "");
	/* Text only when the bytes are valid UTF-8 (jansson checks). */
	if (o != NULL && buf != NULL && (text = json_stringn((const char *)buf, (size_t)n)) != NULL)
		json_object_set_new(o, "text", text);
	free(b64);
	free(buf);
	return o;
}

static json_t *
outputs_json(const struct attest_run *run, const char *out_dir)
{
	json_t *arr = json_array();
	size_t i, budget = MAX_OUTPUTS_RETURN;
	char hex[2 * RS_SHA256_LEN + 1];

	for (i = 0; arr != NULL && i < run->n_outputs; i++) {
		const struct attest_artifact *a = &run->outputs[i];
		json_t *o;
		rs_hex_encode(a->sha256, RS_SHA256_LEN, hex);
		o = json_pack("{s:s, s:I, s:s}", "name", a->name, "size", (json_int_t)a->size,
		    "sha256", hex);
		if (o != NULL && a->size <= MAX_OUTPUT_RETURN && a->size <= budget) {
			char *p = rs_path_join(out_dir, a->name), *b64 = NULL;
			uint8_t *data = NULL;
			size_t len = 0;
			if (p != NULL && rs_read_file(p, MAX_OUTPUT_RETURN, &data, &len) == 0 &&
			    rs_base64_encode(data, len, &b64) == 0) {
				json_object_set_new(o, "content_base64", json_string(b64));
				json_object_set_new(o, "content_truncated", json_false());
				budget -= len;
			}
			free(b64);
			free(data);
			free(p);
		} else if (o != NULL) {
			json_object_set_new(o, "content_truncated", json_true());
		}
		json_array_append_new(arr, o);
	}
	return arr;
}

static int
policy_for(const struct mcp_ctx *c, const char *name, char **path)
{
	size_t i;

	*path = NULL;
	if (name == NULL)
		return c->policy != NULL && (*path = strdup(c->policy)) == NULL ? RS_ERR_ALLOC : 0;
	if (strcmp(name, "default") == 0)
		return 0;
	for (i = 0; name[i] != '\0'; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= 'A' && name[i] <= 'Z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '-' || name[i] == '_'))
			return rs_fail(RS_ERR_USAGE, "policy name '%s': letters, digits, - and _ only",
			    name);
	if (c->policy_dir == NULL || i == 0 || i > 64)
		return rs_fail(RS_ERR_USAGE, "unknown policy '%s' (this server offers: default%s)",
		    name, c->policy_dir ? " and the files in its --policy-dir" : "");
	if (asprintf(path, "%s/%s.json", c->policy_dir, name) < 0) {
		*path = NULL;
		return RS_ERR_ALLOC;
	}
	if (access(*path, R_OK) != 0) {
		free(*path);
		*path = NULL;
		return rs_fail(RS_ERR_USAGE, "unknown policy '%s'", name);
	}
	return 0;
}

static int
tool_execute(void *ctx, json_t *args, json_t **result)
{
	const struct mcp_ctx *c = ctx;
	const char *code = NULL, *interp = "sh", *policy_name = NULL, *ext = NULL;
	json_t *argv_j = NULL, *inputs = NULL, *evs = NULL, *o = NULL;
	char *tmp = NULL, *work = NULL, *in_dir = NULL, *out_dir = NULL, *policy = NULL;
	char **argv = NULL, prog[32], progpath[64], hex[2 * RS_SHA256_LEN + 1];
	struct pipeline_request req;
	struct pipeline_result res;
	struct staged st;
	size_t argc = 0, i;
	int ofd = -1, efd = -1, r = RS_ERR_INTERNAL;

	*result = NULL;
	memset(&st, 0, sizeof(st));
	memset(&res, 0, sizeof(res));
	if (json_unpack(args, "{s?s, s?s, s?o, s?o, s?s !}", "code", &code, "interpreter", &interp,
	    "argv", &argv_j, "inputs", &inputs, "policy", &policy_name) != 0) {
		r = rs_fail(RS_ERR_USAGE, "execute: unknown argument or wrong type "
		    "(expected code, interpreter, argv, inputs, policy)");
		goto out;
	}
	if ((code == NULL) == (argv_j == NULL)) {
		r = rs_fail(RS_ERR_USAGE, "execute: give exactly one of \"code\" and \"argv\"");
		goto out;
	}
	if (inputs != NULL && (!json_is_array(inputs) || json_array_size(inputs) > MAX_INPUTS)) {
		r = rs_fail(RS_ERR_USAGE, "execute: \"inputs\" must be an array of at most %d", MAX_INPUTS);
		goto out;
	}
	if ((r = policy_for(c, policy_name, &policy)) != 0)
		goto out;
	if (code != NULL) {
		for (i = 0; i < sizeof(interpreters) / sizeof(interpreters[0]); i++)
			if (strcmp(interp, interpreters[i].name) == 0)
				ext = interpreters[i].ext;
		if (ext == NULL) {
			r = rs_fail(RS_ERR_USAGE, "execute: unknown interpreter '%s'", interp);
			goto out;
		}
		snprintf(prog, sizeof(prog), "program.%s", ext);
		snprintf(progpath, sizeof(progpath), "/work/in/%s", prog);
		argc = 2;
	} else {
		if (!json_is_array(argv_j) || json_array_size(argv_j) == 0 ||
		    json_array_size(argv_j) > 4096) {
			r = rs_fail(RS_ERR_USAGE, "execute: \"argv\" must be a non-empty array of strings");
			goto out;
		}
		argc = json_array_size(argv_j);
	}
	if ((argv = calloc(argc + 1, sizeof(*argv))) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if (code != NULL) {
		argv[0] = (char *)(uintptr_t)interp;
		argv[1] = progpath;
	} else {
		for (i = 0; i < argc; i++) {
			json_t *a = json_array_get(argv_j, i);
			if (!json_is_string(a)) {
				r = rs_fail(RS_ERR_USAGE, "execute: argv[%zu] is not a string", i);
				goto out;
			}
			argv[i] = (char *)(uintptr_t)json_string_value(a);
		}
	}
	/* Private working area in the home: inputs to stage, outputs to read back. */
	if ((tmp = rs_home_path(c->home, RS_HOME_TMP)) == NULL ||
	    (work = rs_path_join(tmp, "mcp-XXXXXX")) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((r = rs_mkdir_p(tmp, 0700)) != 0)
		goto out;
	if (mkdtemp(work) == NULL) {
		r = rs_fail(rs_err_from_errno(errno), "%s: %s", work, strerror(errno));
		free(work);
		work = NULL;
		goto out;
	}
	if ((in_dir = rs_path_join(work, "in")) == NULL || (out_dir = rs_path_join(work, "out")) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((r = rs_mkdir_p(in_dir, 0700)) != 0)
		goto out;
	if (code != NULL && (r = stage_bytes(&st, in_dir, prog, (const uint8_t *)code,
	    strlen(code))) != 0)
		goto out;
	if (inputs != NULL && (r = stage_inputs(c, inputs, in_dir, &st)) != 0)
		goto out;
	/* The program's streams are captured, never written to the protocol channel. */
	if ((ofd = memfd_create("runseal-stdout", MFD_CLOEXEC)) < 0 ||
	    (efd = memfd_create("runseal-stderr", MFD_CLOEXEC)) < 0) {
		r = rs_fail(rs_err_from_errno(errno), "memfd_create: %s", strerror(errno));
		goto out;
	}
	memset(&req, 0, sizeof(req));
	req.home = c->home;
	req.policy_path = policy;
	req.inputs = st.in;
	req.n_inputs = st.n;
	req.out_dir = out_dir;
	req.argv = argv;
	req.argc = argc;
	req.stdout_fd = ofd;
	req.stderr_fd = efd;
	req.host_env = environ;
	if ((r = pipeline_run(&req, &res)) != 0)
		goto out;
	rs_hex_encode(res.record_digest, RS_SHA256_LEN, hex);
	if ((evs = json_array()) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	for (i = 0; i < res.run->n_events; i++)
		json_array_append_new(evs, json_pack("{s:s, s:s, s:I}",
		    "kind", res.run->events[i].kind,
		    "detail", res.run->events[i].detail ? res.run->events[i].detail : "",
		    "count", (json_int_t)res.run->events[i].count));
	o = json_pack("{s:I, s:s, s:s, s:i, s:i, s:i, s:b, s:o, s:o, s:o, s:o}",
	    "entry", (json_int_t)res.appended.index, "record_digest", hex,
	    "signer", attest_signer_kind_name(res.signer),
	    "exit_status", res.exit_status, "exit_code", res.run->exit_code,
	    "signal", res.run->signal, "timed_out", res.run->timed_out,
	    "stdout", stream_json(ofd, &res.run->out, MAX_STREAM_RETURN),
	    "stderr", stream_json(efd, &res.run->err, MAX_STREAM_RETURN),
	    "outputs", outputs_json(res.run, out_dir), "events", evs);
	evs = NULL;
	if (o == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	*result = o;
	r = 0;
out:
	if (ofd >= 0)
		close(ofd);
	if (efd >= 0)
		close(efd);
	if (work != NULL)
		rs_rm_rf(work);
	json_decref(evs);
	pipeline_result_clear(&res);
	staged_free(&st);
	free(argv);
	free(policy);
	free(out_dir);
	free(in_dir);
	free(work);
	free(tmp);
	return r;
}

static int
tool_ledger_status(void *ctx, json_t *args, json_t **result)
{
	const struct mcp_ctx *c = ctx;
	struct attest_signer *signer = NULL;
	struct ledger *l = NULL;
	char *db = NULL, *key = NULL, *pem = NULL;
	uint64_t n = 0;
	int r;

	*result = NULL;
	if (json_object_size(args) != 0) {
		r = rs_fail(RS_ERR_USAGE, "ledger_status takes no arguments");
		goto out;
	}
	if ((db = rs_home_path(c->home, RS_HOME_LEDGER)) == NULL ||
	    (key = rs_home_path(c->home, RS_HOME_SIGNER_KEY)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((r = ledger_open(db, 0, &l)) != 0 || (r = ledger_count(l, &n)) != 0)
		goto out;
	if ((r = attest_signer_open_software(key, &signer)) != 0 ||
	    (r = attest_signer_export_trust(signer, &pem)) != 0)
		goto out;
	if ((*result = json_pack("{s:I, s:s, s:s}", "entries", (json_int_t)n,
	    "signer", attest_signer_kind_name(attest_signer_kind(signer)), "trust_pem", pem)) == NULL)
		r = RS_ERR_ALLOC;
out:
	free(pem);
	attest_signer_free(signer);
	ledger_close(l);
	free(key);
	free(db);
	return r;
}

static const char mcp_usage[] =
"usage: runseal mcp [--home DIR] [--policy FILE] [--policy-dir DIR] [--input-root DIR]\n"
"\n"
"Serve the Model Context Protocol over stdin/stdout (JSON-RPC 2.0, one message\n"
"per line; protocol versions 2025-11-25 and 2025-06-18). Tools: execute,\n"
"ledger_status. Every execute call is a sandboxed, signed, ledgered run.\n"
"\n"
"  --policy FILE      policy for calls that name none (default: built-in)\n"
"  --policy-dir DIR   policies callers may name: DIR/NAME.json\n"
"  --input-root DIR   host files under DIR may be passed as inputs by path\n";

int
cmd_mcp(int argc, char **argv, const struct cli_global *g)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "policy", required_argument, NULL, 'p' },
		{ "policy-dir", required_argument, NULL, 'P' },
		{ "input-root", required_argument, NULL, 'I' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct mcp_tool tools[] = {
		{ "execute", "Run code in the runseal sandbox",
		  "Run code (with an interpreter) or a command in an isolated, offline Linux "
		  "sandbox. The run is measured, signed and appended to a tamper-evident "
		  "ledger; the result carries stdout, stderr, outputs, events and the record "
		  "digest. Inputs appear read-only under /work/in; write outputs to /work/out.",
		  execute_in, execute_out, tool_execute },
		{ "ledger_status", "runseal ledger status",
		  "Number of ledger entries, the signer kind, and the trust anchor (PEM) a "
		  "verifier should pin.", status_in, status_out, tool_ledger_status },
	};
	const struct mcp_server_info info = { "runseal", RUNSEAL_VERSION,
	    "Every execute call runs in a sandbox and is recorded in a signed ledger." };
	const char *home_flag = NULL;
	struct mcp_ctx ctx;
	char *home = NULL;
	int c, r;

	memset(&ctx, 0, sizeof(ctx));
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'H': home_flag = optarg; break;
		case 'p': ctx.policy = optarg; break;
		case 'P': ctx.policy_dir = optarg; break;
		case 'I': ctx.input_root = optarg; break;
		case 'h': fputs(mcp_usage, stdout); return RS_EXIT_OK;
		default: fputs(mcp_usage, stderr); return RS_EXIT_USAGE;
		}
	}
	if (optind != argc) {
		rs_error("mcp: unexpected argument '%s'", argv[optind]);
		return RS_EXIT_USAGE;
	}
	if ((r = cli_home(home_flag, g, 1, &home)) != 0)
		return rs_exit_for_err(r);
	ctx.home = home;
	build_execute_out();
	r = mcp_serve(stdin, stdout, &info, tools, sizeof(tools) / sizeof(tools[0]), &ctx);
	if (r != 0 && r != RS_ERR_IO)
		rs_error_code(r, "mcp");
	free(home);
	return r == 0 || r == RS_ERR_IO ? RS_EXIT_OK : rs_exit_for_err(r);
}
