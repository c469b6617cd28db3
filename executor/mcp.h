/*
 * mcp.h - a Model Context Protocol server over stdio (JSON-RPC 2.0, one
 * message per line, UTF-8). Only protocol messages are written to `out`;
 * diagnostics go to stderr.
 *
 * Protocol versions: 2025-11-25 and 2025-06-18. A client asking for another
 * version is answered with the latest (the client then decides).
 *
 * Bounds: a message longer than MCP_MAX_MESSAGE bytes is discarded up to its
 * newline and answered with -32600 (id null); malformed JSON gets -32700;
 * the loop continues after every error and ends at EOF on `in`.
 *
 * Tools are provided by a backend (mcp_tools.c binds them to the runseal
 * pipeline). A tool returns 0 with a structured result that conforms to its
 * outputSchema; RS_ERR_USAGE for bad arguments (JSON-RPC -32602 with the
 * detail); any other error becomes a tool result with isError true and the
 * detail as text.
 */
#ifndef RS_MCP_H
#define RS_MCP_H

#include <stdio.h>

#include <jansson.h>

#define MCP_MAX_MESSAGE (64u << 20)
#define MCP_LATEST_VERSION "2025-11-25"

/* A tool handler: args is the (borrowed) "arguments" object, never NULL. */
typedef int (*mcp_tool_fn)(void *ctx, json_t *args, json_t **result);

struct mcp_tool {
	const char *name;
	const char *title;
	const char *description;
	const char *input_schema;       /* JSON text */
	const char *output_schema;      /* JSON text, type object */
	mcp_tool_fn fn;
};

struct mcp_server_info {
	const char *name;
	const char *version;
	const char *instructions;       /* may be NULL */
};

/*
 * Serve until EOF on in. Returns 0 at EOF, RS_ERR_IO if out cannot be
 * written (the client is gone), RS_ERR_INTERNAL for a bad tool table.
 */
int mcp_serve(FILE *in, FILE *out, const struct mcp_server_info *info,
    const struct mcp_tool *tools, size_t n_tools, void *ctx);

#endif
