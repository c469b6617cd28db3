// Drives `runseal mcp` with the official MCP TypeScript SDK client, as an
// agent would. Usage: node sdk_client.mjs RUNSEAL_BIN HOME POLICY_DIR
// Exits 1 on the first failed check.
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { createHash } from "node:crypto";

const [bin, home, policyDir] = process.argv.slice(2);
let checks = 0;
function check(cond, msg) {
  if (!cond) {
    console.error("FAIL: " + msg);
    process.exit(1);
  }
  checks++;
}
const sha256 = (b) => createHash("sha256").update(b).digest("hex");
const b64 = (s) => Buffer.from(s).toString("base64");

async function connect(name) {
  const transport = new StdioClientTransport({
    command: bin,
    args: ["mcp", "--home", home, "--policy-dir", policyDir],
    stderr: "inherit",
  });
  const client = new Client({ name, version: "1.0.0" });
  await client.connect(transport);
  return client;
}

async function expectRpcError(promise, code, what) {
  try {
    await promise;
  } catch (e) {
    check(e.code === code, `${what}: error code ${e.code}, expected ${code} (${e.message})`);
    return;
  }
  check(false, `${what}: no error`);
}

const a = await connect("agent-a");
check(a.getServerVersion().name === "runseal", "server name");

const { tools } = await a.listTools();
const names = tools.map((t) => t.name).sort();
for (const n of ["execute", "verify", "get_bundle", "ledger_status"])
  check(names.includes(n), `tool ${n} listed: ${names}`);
for (const t of tools) {
  check(t.inputSchema && t.inputSchema.type === "object", `${t.name} has an inputSchema`);
  check(t.outputSchema && t.outputSchema.type === "object", `${t.name} has an outputSchema`);
}

// Code with an input file, writing an output; the SDK validates the
// structured result against the tool's outputSchema.
const data = "3\n1\n2\n";
let r = await a.callTool({
  name: "execute",
  arguments: {
    interpreter: "sh",
    code: "sort /work/in/numbers.txt | tee /work/out/sorted.txt; echo done >&2",
    inputs: [{ name: "numbers.txt", content_base64: b64(data) }],
  },
});
check(!r.isError, "execute succeeded: " + JSON.stringify(r.content));
let s = r.structuredContent;
check(s.exit_status === 0 && s.exit_code === 0 && s.timed_out === false, "exit status 0");
check(s.stdout.text === "1\n2\n3\n", "stdout text: " + JSON.stringify(s.stdout));
check(s.stdout.sha256 === sha256("1\n2\n3\n"), "stdout digest");
check(s.stderr.text === "done\n", "stderr text");
check(s.outputs.length === 1 && s.outputs[0].name === "sorted.txt", "one output");
check(Buffer.from(s.outputs[0].content_base64, "base64").toString() === "1\n2\n3\n", "output content");
check(s.outputs[0].sha256 === sha256("1\n2\n3\n"), "output digest");
check(/^[0-9a-f]{64}$/.test(s.record_digest), "record digest");
const first = s.entry;

// argv form and a non-zero exit: a normal result, not an error.
r = await a.callTool({ name: "execute", arguments: { argv: ["sh", "-c", "exit 3"] } });
check(!r.isError && r.structuredContent.exit_status === 3, "exit 3 reported");
check(r.structuredContent.entry === first + 1, "entries are consecutive");

// Hostile: runs past its time limit under a named policy.
r = await a.callTool({ name: "execute", arguments: { argv: ["sleep", "30"], policy: "fast" } });
check(!r.isError, "timeout is a normal result");
check(r.structuredContent.timed_out === true && r.structuredContent.exit_status === 124, "timed out");
check(r.structuredContent.events.some((e) => e.kind === "timeout"), "timeout event");

// A program that does not exist: recorded, 127.
r = await a.callTool({ name: "execute", arguments: { argv: ["no-such-program"] } });
check(!r.isError && r.structuredContent.exit_status === 127, "not found is 127");

// Bad arguments and unknown tools are JSON-RPC -32602.
await expectRpcError(a.callTool({ name: "execute", arguments: {} }), -32602, "no code or argv");
await expectRpcError(a.callTool({ name: "execute", arguments: { code: "x", argv: ["y"] } }), -32602, "both code and argv");
await expectRpcError(a.callTool({ name: "execute", arguments: { argv: ["true"], policy: "../etc" } }), -32602, "policy name with a slash");
await expectRpcError(a.callTool({ name: "execute", arguments: { argv: ["true"], policy: "nope" } }), -32602, "unknown policy");
await expectRpcError(a.callTool({ name: "execute", arguments: { code: "x", inputs: [{ name: "../x", content_base64: "" }] } }), -32602, "input name escaping /work/in");
await expectRpcError(a.callTool({ name: "execute", arguments: { code: "x", inputs: [{ name: "p", path: "/etc/passwd" }] } }), -32602, "path input without --input-root");
await expectRpcError(a.callTool({ name: "no_such_tool", arguments: {} }), -32602, "unknown tool");

r = await a.callTool({ name: "ledger_status", arguments: {} });
check(r.structuredContent.entries === first + 4, "ledger_status counts the runs: " + JSON.stringify(r.structuredContent));
const identity = r.structuredContent.identity;
check(identity.includes("BEGIN PUBLIC KEY") && identity.includes("runseal-checkpoint-key: "), "trust anchor");

// Agent A hands agent B a result with its bundle; B verifies it before use.
r = await a.callTool({ name: "execute", arguments: { interpreter: "sh", code: "echo 42 > /work/out/answer" } });
const answer = Buffer.from(r.structuredContent.outputs[0].content_base64, "base64").toString();
const handoff = { answer, bundle: r.structuredContent.bundle, entry: r.structuredContent.entry };
r = await a.callTool({ name: "get_bundle", arguments: { index: handoff.entry } });
check(r.structuredContent.index === handoff.entry && r.structuredContent.bundle.length > 100, "get_bundle");
await expectRpcError(a.callTool({ name: "get_bundle", arguments: { index: 99999 } }), -32602, "no such entry");
await a.close();

const b = await connect("agent-b");
r = await b.callTool({ name: "verify", arguments: { bundle: handoff.bundle, trust_pem: identity } });
check(!r.isError && r.structuredContent.verified === true, "B verifies A's bundle: " + JSON.stringify(r.structuredContent));
check(r.structuredContent.report.schema === "runseal-verify/v1", "verifier report schema");
check(answer === "42\n", "the answer B receives");
// A tampered bundle is reported as not verified (a normal result, exit status 1).
const bad = Buffer.from(handoff.bundle, "base64");
bad[bad.length - 40] ^= 1;
r = await b.callTool({ name: "verify", arguments: { bundle: bad.toString("base64"), trust_pem: identity } });
check(!r.isError && r.structuredContent.verified === false && r.structuredContent.exit_status === 1,
  "tampered bundle not verified: " + JSON.stringify(r.structuredContent));
await expectRpcError(b.callTool({ name: "verify", arguments: { bundle: "not base64!" } }), -32602, "bad base64");
await b.close();

console.log(`mcp sdk client: ${checks} checks passed`);
