#!/usr/bin/env python3
"""runseal mcp at the wire level: framing, JSON-RPC errors, bounds, version
negotiation, and a client that disconnects in the middle of a run."""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from rstest import RUNSEAL, Env  # noqa: E402


class Server:
    def __init__(self, e):
        self.p = subprocess.Popen([RUNSEAL, "mcp"], env=e.env, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def send_raw(self, data):
        self.p.stdin.write(data)
        self.p.stdin.flush()

    def send(self, obj):
        self.send_raw(json.dumps(obj).encode() + b"\n")

    def recv(self):
        line = self.p.stdout.readline()
        if not line:
            sys.exit("FAIL: server closed its output")
        return json.loads(line)

    def call(self, mid, method, params=None):
        msg = {"jsonrpc": "2.0", "id": mid, "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)
        return self.recv()


with Env() as e:
    e.runseal("init", want=0)
    s = Server(e)

    r = s.call(1, "initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                 "clientInfo": {"name": "raw", "version": "0"}})
    e.check(r["result"]["protocolVersion"] == "2025-06-18", f"version echoed: {r}")
    s.send({"jsonrpc": "2.0", "method": "notifications/initialized"})   # no reply expected
    r = s.call(2, "ping")
    e.check(r == {"jsonrpc": "2.0", "id": 2, "result": {}}, f"ping: {r}")

    s.send_raw(b"{not json\n")
    r = s.recv()
    e.check(r["error"]["code"] == -32700 and r["id"] is None, f"parse error: {r}")
    s.send_raw(b'[{"jsonrpc":"2.0","id":3,"method":"ping"}]\n')
    e.check(s.recv()["error"]["code"] == -32600, "batch refused")
    s.send_raw(b'"just a string"\n')
    e.check(s.recv()["error"]["code"] == -32600, "non-object refused")
    r = s.call(4, "resources/list")
    e.check(r["error"]["code"] == -32601 and r["id"] == 4, f"unknown method: {r}")
    s.send({"jsonrpc": "1.0", "id": 5, "method": "ping"})
    e.check(s.recv()["error"]["code"] == -32600, "wrong jsonrpc version")
    r = s.call(6, "tools/call", {"name": "execute", "arguments": "nope"})
    e.check(r["error"]["code"] == -32602, f"arguments not an object: {r}")
    r = s.call(7, "tools/call", {"arguments": {}})
    e.check(r["error"]["code"] == -32602, "tools/call without a name")

    # A message over the 64 MiB bound is discarded to its newline and refused;
    # the loop goes on.
    s.send_raw(b'{"jsonrpc":"2.0","id":8,"method":"ping","params":{"pad":"' +
               b"x" * (65 << 20) + b'"}}\n')
    r = s.recv()
    e.check(r["error"]["code"] == -32600 and "too large" in r["error"]["message"], f"huge: {r}")
    r = s.call(9, "ping")
    e.check(r.get("result") == {}, "still serving after a huge message")

    r = s.call(10, "tools/call", {"name": "execute", "arguments": {"argv": ["sh", "-c", "echo hi"]}})
    res = r["result"]
    e.check(res["isError"] is False and res["structuredContent"]["stdout"]["text"] == "hi\n", f"execute: {r}")
    e.check(json.loads(res["content"][0]["text"]) == res["structuredContent"], "text mirrors structured content")
    s.p.stdin.close()
    e.check(s.p.wait(timeout=10) == 0, "server exits 0 at EOF")
    # Nothing but protocol messages on stdout: every remaining line parses.
    rest = s.p.stdout.read()
    e.check(rest == b"", f"no stray output: {rest[:200]!r}")

    # Unknown protocol version: answered with the latest.
    s = Server(e)
    r = s.call(1, "initialize", {"protocolVersion": "1999-01-01", "capabilities": {},
                                 "clientInfo": {"name": "raw", "version": "0"}})
    e.check(r["result"]["protocolVersion"] == "2025-11-25", f"latest offered: {r}")

    # The client disconnects in the middle of a run: the run is recorded
    # whole or not at all, and the ledger verifies.
    before = json.loads(e.runseal("log", "--json", want=0).stdout)["entries"]
    s.send({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
            "params": {"name": "execute", "arguments": {"argv": ["sleep", "1"]}}})
    time.sleep(0.3)
    s.p.stdin.close()
    s.p.stdout.close()
    s.p.wait(timeout=30)
    after = json.loads(e.runseal("log", "--json", want=0).stdout)["entries"]
    e.check(len(after) in (len(before), len(before) + 1), "at most one new entry")
    e.runseal("identity", "export", "-o", e.trust, want=0)
    p = e.verify_ledger()
    e.check(p.returncode == 0, f"ledger verifies after the disconnect: {p.stdout}{p.stderr}")
    print(f"mcp_protocol: {e.checks} checks passed")
