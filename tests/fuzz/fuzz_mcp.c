/*
 * fuzz_mcp: the MCP server's message loop (executor/mcp.h) over the input
 * as its stdin (fmemopen), writing to /dev/null, with three tools: one that
 * succeeds, one that reports bad arguments, one that fails.
 *
 * Oracle: every input is served to its end (mcp_serve returns 0: only an
 * unwritable output may stop it).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "common/err.h"
#include "common/log.h"
#include "executor/mcp.h"
#include "tests/fuzz/fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static FILE *devnull;

static int
tool_ok(void *ctx, json_t *args, json_t **result)
{
	(void)ctx;
	*result = json_pack("{s:b, s:i}", "ok", 1, "n", (json_int_t)json_object_size(args));
	return *result != NULL ? 0 : RS_ERR_ALLOC;
}

static int
tool_usage(void *ctx, json_t *args, json_t **result)
{
	(void)ctx;
	(void)args;
	*result = NULL;
	return rs_fail(RS_ERR_USAGE, "bad argument \"x\"");
}

static int
tool_fail(void *ctx, json_t *args, json_t **result)
{
	(void)ctx;
	(void)args;
	*result = NULL;
	return rs_fail(RS_ERR_IO, "disk on fire");
}

#define SCHEMA_IN "{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"string\"}}}"
#define SCHEMA_OUT "{\"type\":\"object\",\"properties\":{\"ok\":{\"type\":\"boolean\"}," \
	"\"n\":{\"type\":\"integer\"}},\"required\":[\"ok\"]}"

static const struct mcp_tool tools[] = {
	{ "ok", "OK", "Succeeds.", SCHEMA_IN, SCHEMA_OUT, tool_ok },
	{ "usage", "Usage", "Bad arguments.", SCHEMA_IN, SCHEMA_OUT, tool_usage },
	{ "fail", "Fail", "Fails.", SCHEMA_IN, SCHEMA_OUT, tool_fail },
};
static const struct mcp_server_info info = { "runseal-fuzz", "0", "fuzzing" };

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	rs_log_set_level(RS_LOG_QUIET);
	FUZZ_CHECK((devnull = fopen("/dev/null", "w")) != NULL);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *in;

	if (size == 0)
		return 0;
	/* fmemopen takes a non-const buffer but mode "r" only reads it. */
	if ((in = fmemopen((void *)(uintptr_t)data, size, "r")) == NULL)
		return 0;
	FUZZ_CHECK(mcp_serve(in, devnull, &info, tools, sizeof(tools) / sizeof(tools[0]),
	    NULL) == 0);
	fclose(in);
	rs_err_clear();
	return 0;
}
