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
#include <sys/wait.h>
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
#include "executor/signer_open.h"
#include "executor/stage.h"
#include "ledger/ledger.h"

extern char **environ;

#define MAX_BUNDLE_B64 (48u << 20)

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
	const char *rules_dir;          /* rules files callers may name: DIR/NAME.json */
	const char *audit_log;
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

static const char bundle_in[] =
"{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{"
"\"index\":{\"type\":\"integer\",\"minimum\":0}},\"required\":[\"index\"]}";
static const char bundle_out[] =
"{\"type\":\"object\",\"properties\":{\"index\":{\"type\":\"integer\"},"
"\"bundle\":{\"type\":\"string\"}},\"required\":[\"index\",\"bundle\"]}";
static const char verify_in[] =
"{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{"
"\"bundle\":{\"type\":\"string\",\"description\":\"runseal bundle, base64\"},"
"\"rules\":{\"type\":\"string\",\"description\":\"name of a rules file the server offers (--rules-dir)\"},"
"\"trust_pem\":{\"type\":\"string\",\"description\":\"your trust file (PEM key and runseal-checkpoint-key line); default: this server's own identity\"}},"
"\"required\":[\"bundle\"]}";
static const char verify_out[] =
"{\"type\":\"object\",\"properties\":{\"verified\":{\"type\":\"boolean\"},"
"\"exit_status\":{\"type\":\"integer\"},\"report\":{\"type\":\"object\"}},"
"\"required\":[\"verified\",\"exit_status\",\"report\"]}";

static const char status_in[] = "{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{}}";
static const char status_out[] =
"{\"type\":\"object\",\"properties\":{\"entries\":{\"type\":\"integer\"},"
"\"origin\":{\"type\":\"string\"},\"signer\":{\"type\":\"string\"},"
"\"identity\":{\"type\":\"string\",\"description\":\"software: the trust file to pin; TPM: the identity to enroll\"}},"
"\"required\":[\"entries\",\"origin\",\"signer\",\"identity\"]}";

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
	    "\"required\":[\"kind\",\"detail\",\"count\"]}},"
	    "\"bundle\":{\"type\":\"string\",\"description\":\"runseal bundle (base64): verify it offline with runseal-verify bundle\"}},"
	    "\"required\":[\"entry\",\"record_digest\",\"signer\",\"exit_status\",\"exit_code\",\"signal\","
	    "\"timed_out\",\"stdout\",\"stderr\",\"outputs\",\"events\",\"bundle\"]}",
	    stream_schema, stream_schema);
}

/* A file name for /work/in: what the executor accepts, checked here for a clear error. */
static int
valid_name(const char *n)
{
	return exec_stage_name_valid(n);
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

static int bundle_b64(const struct mcp_ctx *c, uint64_t index, json_t **out);

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
	req.audit_log = c->audit_log;
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
	{
		json_t *b = NULL;
		if ((r = bundle_b64(c, res.appended.index, &b)) != 0) {
			json_decref(o);
			r = rs_fail(r, "entry %llu was appended, but its bundle failed: %s",
			    (unsigned long long)res.appended.index, rs_err_detail());
			goto out;
		}
		json_object_set_new(o, "bundle", b);
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

/* The bundle of entry index, base64, as a new JSON string. */
static int
bundle_b64(const struct mcp_ctx *c, uint64_t index, json_t **out)
{
	struct ledger *l = NULL;
	struct ledger_row *row = NULL;
	uint8_t *bundle = NULL;
	char *db = NULL, *b64 = NULL;
	size_t len = 0;
	int r;

	*out = NULL;
	if ((db = rs_home_path(c->home, RS_HOME_LEDGER)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((r = ledger_open(db, 0, &l)) != 0)
		goto out;
	if ((r = ledger_get(l, index, &row)) != 0) {
		if (r == RS_ERR_NOT_FOUND)
			r = rs_fail(RS_ERR_USAGE, "no entry %llu in the ledger",
			    (unsigned long long)index);
		goto out;
	}
	if ((r = cli_bundle_for(c->home, l, row, 0, &bundle, &len, NULL)) != 0 ||
	    (r = rs_base64_encode(bundle, len, &b64)) != 0)
		goto out;
	if ((*out = json_string(b64)) == NULL)
		r = RS_ERR_ALLOC;
out:
	free(b64);
	free(bundle);
	ledger_row_free(row);
	ledger_close(l);
	free(db);
	return r;
}

static int
tool_get_bundle(void *ctx, json_t *args, json_t **result)
{
	json_int_t index = -1;
	json_t *b = NULL;
	int r;

	*result = NULL;
	if (json_unpack(args, "{s:I !}", "index", &index) != 0 || index < 0)
		return rs_fail(RS_ERR_USAGE, "get_bundle: \"index\" (a non-negative integer) is "
		    "the only argument");
	if ((r = bundle_b64(ctx, (uint64_t)index, &b)) != 0)
		return r;
	if ((*result = json_pack("{s:I, s:o}", "index", index, "bundle", b)) == NULL)
		return RS_ERR_ALLOC;
	return 0;
}

/*
 * runseal-verify: $RUNSEAL_VERIFY_BIN, else next to this executable, else
 * the build tree's ../verifier/, else PATH. Caller frees.
 */
static char *
verifier_path(void)
{
	const char *env = getenv("RUNSEAL_VERIFY_BIN");
	char self[PATH_MAX], *slash, *p = NULL;
	ssize_t n;

	if (env != NULL && env[0] != '\0')
		return strdup(env);
	if ((n = readlink("/proc/self/exe", self, sizeof(self) - 1)) > 0) {
		self[n] = '\0';
		if ((slash = strrchr(self, '/')) != NULL) {
			*slash = '\0';
			if (asprintf(&p, "%s/runseal-verify", self) >= 0 && access(p, X_OK) == 0)
				return p;
			free(p);
			p = NULL;
			if (asprintf(&p, "%s/../verifier/runseal-verify", self) >= 0 &&
			    access(p, X_OK) == 0)
				return p;
			free(p);
		}
	}
	return strdup("runseal-verify");
}

/* Run argv, capturing at most max bytes of stdout; *status = exit status. */
static int
run_capture(char *const *argv, size_t max, char **out, int *status)
{
	char *buf = NULL;
	size_t len = 0;
	int pfd[2] = { -1, -1 }, st = 0, r = RS_ERR_INTERNAL;
	pid_t pid;
	ssize_t n;

	*out = NULL;
	*status = -1;
	if (pipe2(pfd, O_CLOEXEC) != 0 || (buf = malloc(max + 1)) == NULL) {
		r = rs_fail(RS_ERR_IO, "pipe: %s", strerror(errno));
		goto out;
	}
	if ((pid = fork()) < 0) {
		r = rs_fail(RS_ERR_IO, "fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDWR);
		dup2(devnull, STDIN_FILENO);
		dup2(pfd[1], STDOUT_FILENO);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(pfd[1]);
	pfd[1] = -1;
	while ((n = read(pfd[0], buf + len, max - len)) > 0 || (n < 0 && errno == EINTR))
		if (n > 0 && (len += (size_t)n) == max)
			break;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	buf[len] = '\0';
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	*out = buf;
	buf = NULL;
	r = 0;
out:
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	free(buf);
	return r;
}

static int
tool_verify(void *ctx, json_t *args, json_t **result)
{
	const struct mcp_ctx *c = ctx;
	const char *b64 = NULL, *rules = NULL, *trust_pem = NULL;
	char *tmp = NULL, *work = NULL, *bpath = NULL, *tpath = NULL, *rpath = NULL;
	char *verifier = NULL, *text = NULL, *trust_text = NULL;
	uint8_t *bundle = NULL;
	size_t blen = 0;
	json_t *report = NULL;
	json_error_t jerr;
	int status = -1, r;

	*result = NULL;
	if (json_unpack(args, "{s:s, s?s, s?s !}", "bundle", &b64, "rules", &rules,
	    "trust_pem", &trust_pem) != 0) {
		r = rs_fail(RS_ERR_USAGE, "verify: \"bundle\" (base64) is required; optional "
		    "\"rules\" (a rules name) and \"trust_pem\"");
		goto out;
	}
	if (strlen(b64) > MAX_BUNDLE_B64 ||
	    rs_base64_decode(b64, strlen(b64), &bundle, &blen) != 0) {
		r = rs_fail(RS_ERR_USAGE, "verify: \"bundle\" is not valid base64 (or too large)");
		goto out;
	}
	if (rules != NULL) {
		size_t i;
		for (i = 0; rules[i] != '\0'; i++)
			if (!((rules[i] >= 'a' && rules[i] <= 'z') || (rules[i] >= 'A' && rules[i] <= 'Z') ||
			    (rules[i] >= '0' && rules[i] <= '9') || rules[i] == '-' || rules[i] == '_'))
				break;
		if (c->rules_dir == NULL || rules[i] != '\0' || i == 0 || i > 64 ||
		    asprintf(&rpath, "%s/%s.json", c->rules_dir, rules) < 0 ||
		    access(rpath, R_OK) != 0) {
			r = rs_fail(RS_ERR_USAGE, "verify: unknown rules '%s'%s", rules,
			    c->rules_dir ? "" : " (the server has no --rules-dir)");
			goto out;
		}
	}
	if ((tmp = rs_home_path(c->home, RS_HOME_TMP)) == NULL ||
	    (work = rs_path_join(tmp, "verify-XXXXXX")) == NULL) {
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
	if ((bpath = rs_path_join(work, "bundle")) == NULL ||
	    (tpath = rs_path_join(work, "trust.pem")) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	/* The caller's anchor if given, else this server's own identity. */
	if (trust_pem == NULL) {
		enum attest_signer_kind kind = ATTEST_SIGNER_SOFTWARE;
		if ((r = signer_identity_text(c->home, &trust_text, &kind)) != 0)
			goto out;
		if (kind != ATTEST_SIGNER_SOFTWARE) {
			r = rs_fail(RS_ERR_USAGE, "verify: this server signs with a TPM: pass "
			    "\"trust_pem\", the trust file written by runseal-verify enroll");
			goto out;
		}
		if ((r = cli_trust_add_checkpoint_key(c->home, &trust_text)) != 0)
			goto out;
		trust_pem = trust_text;
	}
	if ((r = rs_write_file_atomic(bpath, bundle, blen, 0600, 1)) != 0 ||
	    (r = rs_write_file_atomic(tpath, trust_pem, strlen(trust_pem), 0600, 1)) != 0)
		goto out;
	if ((verifier = verifier_path()) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	{
		char *argv[] = { verifier, (char *)"bundle", bpath, (char *)"--trust", tpath,
		    (char *)"--json", rpath ? (char *)"--policy" : NULL, rpath, NULL };
		if ((r = run_capture(argv, 1u << 20, &text, &status)) != 0)
			goto out;
	}
	if ((report = json_loads(text, 0, &jerr)) == NULL || !json_is_object(report)) {
		r = rs_fail(RS_ERR_INTERNAL, "runseal-verify (%s) exited %d without a JSON report",
		    verifier, status);
		goto out;
	}
	if ((*result = json_pack("{s:b, s:i, s:o}", "verified", status == 0,
	    "exit_status", status, "report", report)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	report = NULL;
	r = 0;
out:
	if (work != NULL)
		rs_rm_rf(work);
	json_decref(report);
	free(text);
	free(verifier);
	free(trust_text);
	free(bundle);
	free(rpath);
	free(tpath);
	free(bpath);
	free(work);
	free(tmp);
	return r;
}

static int
tool_ledger_status(void *ctx, json_t *args, json_t **result)
{
	const struct mcp_ctx *c = ctx;
	enum attest_signer_kind kind = ATTEST_SIGNER_SOFTWARE;
	struct ledger *l = NULL;
	char *db = NULL, *identity = NULL, *origin = NULL;
	uint64_t n = 0;
	int r;

	*result = NULL;
	if (json_object_size(args) != 0) {
		r = rs_fail(RS_ERR_USAGE, "ledger_status takes no arguments");
		goto out;
	}
	if ((db = rs_home_path(c->home, RS_HOME_LEDGER)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((r = ledger_open(db, 0, &l)) != 0 || (r = ledger_count(l, &n)) != 0)
		goto out;
	if ((origin = strdup(ledger_origin(l))) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	/* One open ledger per process: the identity helpers open it themselves. */
	ledger_close(l);
	l = NULL;
	if ((r = signer_identity_text(c->home, &identity, &kind)) != 0 ||
	    (r = cli_trust_add_checkpoint_key(c->home, &identity)) != 0)
		goto out;
	if ((*result = json_pack("{s:I, s:s, s:s, s:s}", "entries", (json_int_t)n,
	    "origin", origin, "signer", attest_signer_kind_name(kind),
	    "identity", identity)) == NULL)
		r = RS_ERR_ALLOC;
out:
	free(origin);
	free(identity);
	ledger_close(l);
	free(db);
	return r;
}

static const char mcp_usage[] =
"usage: runseal mcp [--home DIR] [--policy FILE] [--policy-dir DIR] [--input-root DIR]\n"
"                   [--rules-dir DIR] [--audit-log FILE]\n"
"\n"
"Serve the Model Context Protocol over stdin/stdout (JSON-RPC 2.0, one message\n"
"per line; protocol versions 2025-11-25 and 2025-06-18). Tools: execute,\n"
"verify, get_bundle, ledger_status. Every execute call is a sandboxed,\n"
"signed, ledgered run.\n"
"\n"
"  --policy FILE      policy for calls that name none (default: built-in)\n"
"  --policy-dir DIR   policies callers may name: DIR/NAME.json\n"
"  --input-root DIR   host files under DIR may be passed as inputs by path\n"
"  --rules-dir DIR    compliance rules callers may name: DIR/NAME.json\n"
"  --audit-log FILE   one JSON audit event per run (default: $RUNSEAL_AUDIT_LOG)\n";

/* The server's files and directories, checked once before serving. */
static int
check_config(const struct mcp_ctx *c)
{
	struct exec_policy *p = NULL;
	int r;

	if (c->policy != NULL) {
		if ((r = exec_policy_load(c->policy, &p)) != 0)
			return r;
		exec_policy_free(p);
	}
	if ((c->policy_dir != NULL && (r = rs_require_dir("--policy-dir", c->policy_dir)) != 0) ||
	    (c->input_root != NULL && (r = rs_require_dir("--input-root", c->input_root)) != 0) ||
	    (c->rules_dir != NULL && (r = rs_require_dir("--rules-dir", c->rules_dir)) != 0))
		return r;
	return 0;
}

int
cmd_mcp(int argc, char **argv, const struct cli_global *g)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "policy", required_argument, NULL, 'p' },
		{ "policy-dir", required_argument, NULL, 'P' },
		{ "input-root", required_argument, NULL, 'I' },
		{ "rules-dir", required_argument, NULL, 'R' },
		{ "audit-log", required_argument, NULL, 'A' },
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
		{ "verify", "Verify a runseal bundle",
		  "Verify a bundle offline with runseal-verify: signature or TPM quote, "
		  "inclusion under the signed checkpoint, and optionally a compliance rules "
		  "file. Returns the verifier's JSON report.", verify_in, verify_out, tool_verify },
		{ "get_bundle", "Get the bundle of a ledger entry",
		  "The self-contained evidence (base64 bundle) of ledger entry INDEX.",
		  bundle_in, bundle_out, tool_get_bundle },
		{ "ledger_status", "runseal ledger status",
		  "Number of ledger entries, its origin, the signer kind, and the identity a "
		  "verifier pins (software) or enrolls (TPM).", status_in, status_out, tool_ledger_status },
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
		case 'R': ctx.rules_dir = optarg; break;
		case 'A': ctx.audit_log = optarg; break;
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
	/* Refuse a bad configuration at start, not at the first tool call. */
	if ((r = check_config(&ctx)) != 0) {
		rs_error("mcp: %s", rs_err_detail());
		free(home);
		return rs_exit_for_err(r);
	}
	ctx.home = home;
	build_execute_out();
	r = mcp_serve(stdin, stdout, &info, tools, sizeof(tools) / sizeof(tools[0]), &ctx);
	if (r != 0 && r != RS_ERR_IO)
		rs_error_code(r, "mcp");
	free(home);
	return r == 0 || r == RS_ERR_IO ? RS_EXIT_OK : rs_exit_for_err(r);
}
