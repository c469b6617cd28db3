/*
 * mcp.c - the MCP stdio message loop: framing, JSON-RPC envelope checks,
 * lifecycle (initialize, initialized, ping) and tools (list, call).
 */
#include "executor/mcp.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/err.h"
#include "common/log.h"

#define RPC_PARSE_ERROR -32700
#define RPC_INVALID_REQUEST -32600
#define RPC_METHOD_NOT_FOUND -32601
#define RPC_INVALID_PARAMS -32602
#define RPC_INTERNAL_ERROR -32603

static const char *const supported_versions[] = { "2025-11-25", "2025-06-18" };

struct server {
	FILE *out;
	const struct mcp_server_info *info;
	const struct mcp_tool *tools;
	size_t n_tools;
	json_t *tool_list;              /* built once: the tools/list result */
	void *ctx;
	int initialized;
};

/* Write one message; the client reads it as one line. */
static int
send_msg(struct server *s, json_t *msg)
{
	int r = 0;

	if (msg == NULL)
		return RS_ERR_ALLOC;
	/* JSON_COMPACT escapes control characters: no newline inside a message. */
	if (json_dumpf(msg, s->out, JSON_COMPACT) != 0 || fputc('\n', s->out) == EOF ||
	    fflush(s->out) != 0)
		r = rs_fail(RS_ERR_IO, "MCP client output closed");
	json_decref(msg);
	return r;
}

static int
send_result(struct server *s, json_t *id, json_t *result)
{
	return send_msg(s, json_pack("{s:s, s:O, s:o}", "jsonrpc", "2.0", "id", id, "result",
	    result));
}

static int
send_error(struct server *s, json_t *id, int code, const char *message)
{
	return send_msg(s, json_pack("{s:s, s:O, s:{s:i, s:s}}", "jsonrpc", "2.0",
	    "id", id != NULL ? id : json_null(), "error", "code", code, "message", message));
}

static int
build_tool_list(struct server *s)
{
	json_t *arr = json_array(), *t, *in, *out;
	json_error_t err;
	size_t i;

	if (arr == NULL)
		return RS_ERR_ALLOC;
	for (i = 0; i < s->n_tools; i++) {
		in = json_loads(s->tools[i].input_schema, 0, &err);
		out = json_loads(s->tools[i].output_schema, 0, &err);
		if (in == NULL || out == NULL) {
			json_decref(in);
			json_decref(out);
			json_decref(arr);
			return rs_fail(RS_ERR_INTERNAL, "tool %s: bad schema: %s",
			    s->tools[i].name, err.text);
		}
		t = json_pack("{s:s, s:s, s:s, s:o, s:o}", "name", s->tools[i].name,
		    "title", s->tools[i].title, "description", s->tools[i].description,
		    "inputSchema", in, "outputSchema", out);
		if (t == NULL || json_array_append_new(arr, t) != 0) {
			json_decref(arr);
			return RS_ERR_ALLOC;
		}
	}
	s->tool_list = json_pack("{s:o}", "tools", arr);
	return s->tool_list == NULL ? RS_ERR_ALLOC : 0;
}

static int
on_initialize(struct server *s, json_t *id, json_t *params)
{
	const char *asked = NULL, *answer = MCP_LATEST_VERSION;
	json_t *res;
	size_t i;

	if (!json_is_object(params) ||
	    json_unpack(params, "{s:s}", "protocolVersion", &asked) != 0)
		return send_error(s, id, RPC_INVALID_PARAMS,
		    "initialize: params.protocolVersion (string) is required");
	for (i = 0; i < sizeof(supported_versions) / sizeof(supported_versions[0]); i++)
		if (strcmp(asked, supported_versions[i]) == 0)
			answer = supported_versions[i];
	res = json_pack("{s:s, s:{s:{s:b}}, s:{s:s, s:s}}",
	    "protocolVersion", answer,
	    "capabilities", "tools", "listChanged", 0,
	    "serverInfo", "name", s->info->name, "version", s->info->version);
	if (res != NULL && s->info->instructions != NULL)
		json_object_set_new(res, "instructions", json_string(s->info->instructions));
	return send_result(s, id, res);
}

static json_t *
text_content(const char *text)
{
	return json_pack("[{s:s, s:s}]", "type", "text", "text", text);
}

static int
on_tools_call(struct server *s, json_t *id, json_t *params)
{
	const struct mcp_tool *tool = NULL;
	const char *name = NULL;
	json_t *args = NULL, *result = NULL, *res;
	char *text;
	size_t i;
	int r;

	if (!json_is_object(params) ||
	    json_unpack(params, "{s:s, s?o}", "name", &name, "arguments", &args) != 0)
		return send_error(s, id, RPC_INVALID_PARAMS,
		    "tools/call: params.name (string) is required");
	for (i = 0; i < s->n_tools; i++)
		if (strcmp(s->tools[i].name, name) == 0)
			tool = &s->tools[i];
	if (tool == NULL) {
		char msg[256];
		snprintf(msg, sizeof(msg), "unknown tool: %.200s", name);
		return send_error(s, id, RPC_INVALID_PARAMS, msg);
	}
	if (args == NULL)
		args = json_object();
	else if (!json_is_object(args))
		return send_error(s, id, RPC_INVALID_PARAMS, "tools/call: arguments must be an object");
	else
		json_incref(args);
	rs_err_clear();
	r = tool->fn(s->ctx, args, &result);
	json_decref(args);
	if (r == RS_ERR_USAGE) {
		json_decref(result);
		return send_error(s, id, RPC_INVALID_PARAMS,
		    rs_err_detail()[0] ? rs_err_detail() : "invalid arguments");
	}
	if (r != 0) {
		char msg[1200];
		json_decref(result);
		snprintf(msg, sizeof(msg), "%s: %s", rs_strerror(r),
		    rs_err_detail()[0] ? rs_err_detail() : "failed");
		return send_result(s, id, json_pack("{s:o, s:b}", "content", text_content(msg),
		    "isError", 1));
	}
	/* Structured result, and the same as text for clients that read only text. */
	if ((text = json_dumps(result, JSON_COMPACT)) == NULL) {
		json_decref(result);
		return send_error(s, id, RPC_INTERNAL_ERROR, "out of memory");
	}
	res = json_pack("{s:o, s:o, s:b}", "content", text_content(text),
	    "structuredContent", result, "isError", 0);
	free(text);
	return send_result(s, id, res);
}

static int
dispatch(struct server *s, json_t *msg)
{
	json_t *id = json_object_get(msg, "id"), *params = json_object_get(msg, "params");
	const char *method = NULL;
	json_t *jr = json_object_get(msg, "jsonrpc");

	if (!json_is_string(jr) || strcmp(json_string_value(jr), "2.0") != 0)
		return send_error(s, json_is_string(id) || json_is_integer(id) ? id : NULL,
		    RPC_INVALID_REQUEST, "not a JSON-RPC 2.0 message");
	if (json_object_get(msg, "method") == NULL) {
		/* A response from the client: we send no requests, so ignore it. */
		return 0;
	}
	if (!json_is_string(json_object_get(msg, "method")))
		return send_error(s, id, RPC_INVALID_REQUEST, "method must be a string");
	method = json_string_value(json_object_get(msg, "method"));
	if (id == NULL) {
		/* Notifications get no answer. */
		if (strcmp(method, "notifications/initialized") == 0)
			s->initialized = 1;
		return 0;
	}
	if (!json_is_string(id) && !json_is_integer(id))
		return send_error(s, NULL, RPC_INVALID_REQUEST, "id must be a string or an integer");
	if (strcmp(method, "initialize") == 0)
		return on_initialize(s, id, params);
	if (strcmp(method, "ping") == 0)
		return send_result(s, id, json_object());
	if (strcmp(method, "tools/list") == 0)
		return send_result(s, id, json_incref(s->tool_list));
	if (strcmp(method, "tools/call") == 0)
		return on_tools_call(s, id, params);
	{
		char m[300];
		snprintf(m, sizeof(m), "method not found: %.200s", method);
		return send_error(s, id, RPC_METHOD_NOT_FOUND, m);
	}
}

/*
 * Read one line into *buf (grown as needed, at most max bytes without the
 * newline). Returns 1 with a line, 0 at EOF, -1 if the line was too long
 * (it has been consumed up to its newline).
 */
static int
read_line(FILE *in, char **buf, size_t *cap, size_t *len, size_t max)
{
	int c, too_long = 0;

	*len = 0;
	while ((c = getc(in)) != EOF) {
		if (c == '\n')
			return too_long ? -1 : 1;
		if (too_long)
			continue;
		if (*len + 1 >= *cap) {
			size_t ncap = *cap ? *cap * 2 : 4096;
			char *nb;
			if (*len >= max) {
				too_long = 1;
				continue;
			}
			if (ncap > max + 1)
				ncap = max + 1;
			if ((nb = realloc(*buf, ncap + 1)) == NULL) {
				too_long = 1;
				continue;
			}
			*buf = nb;
			*cap = ncap;
		}
		(*buf)[(*len)++] = (char)c;
	}
	if (too_long)
		return -1;
	return *len > 0 ? 1 : 0;
}

int
mcp_serve(FILE *in, FILE *out, const struct mcp_server_info *info,
    const struct mcp_tool *tools, size_t n_tools, void *ctx)
{
	struct server s;
	json_error_t jerr;
	json_t *msg;
	char *buf = NULL;
	size_t cap = 0, len = 0;
	int r, got;

	memset(&s, 0, sizeof(s));
	s.out = out;
	s.info = info;
	s.tools = tools;
	s.n_tools = n_tools;
	s.ctx = ctx;
	if ((r = build_tool_list(&s)) != 0)
		goto out;
	for (;;) {
		got = read_line(in, &buf, &cap, &len, MCP_MAX_MESSAGE);
		if (got == 0)
			break;
		if (got < 0) {
			rs_warn("mcp: discarded a message over %u bytes", MCP_MAX_MESSAGE);
			r = send_error(&s, NULL, RPC_INVALID_REQUEST, "message too large");
		} else if (len == 0 || (len == 1 && buf[0] == '\r')) {
			continue;
		} else if ((msg = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr)) == NULL) {
			r = send_error(&s, NULL, RPC_PARSE_ERROR, "parse error: invalid JSON");
		} else {
			if (json_is_object(msg))
				r = dispatch(&s, msg);
			else
				r = send_error(&s, NULL, RPC_INVALID_REQUEST,
				    json_is_array(msg) ? "batches are not supported" :
				    "a message must be a JSON object");
			json_decref(msg);
		}
		if (r == RS_ERR_IO)
			goto out;
	}
	r = 0;
out:
	free(buf);
	json_decref(s.tool_list);
	return r;
}
