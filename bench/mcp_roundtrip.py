#!/usr/bin/env python3
"""MCP round trip of `execute` for a trivial program against the same run
through the CLI, measured in the same invocation, alternating run by run.

    bench/mcp_roundtrip.py [ITERATIONS]      (default 50; needs build/)

The CLI variant is `runseal run --quiet --json -- /bin/true` (a new process
per run); the MCP variant is one `tools/call execute {"argv": ["/bin/true"]}`
on a long-lived `runseal mcp` (the result includes the bundle). Both use
the same policy ("measure_rootfs": false, so that the host rootfs
measurement, which both would pay alike, does not hide the difference)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

root = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
build = os.environ.get("RUNSEAL_BUILD", os.path.join(root, "build"))
runseal = os.environ.get("RUNSEAL_BIN", os.path.join(build, "executor", "runseal"))
n = int(sys.argv[1]) if len(sys.argv) > 1 else 50
tmp = tempfile.mkdtemp(prefix="rs-mcp-bench-")
try:
    env = dict(os.environ, RUNSEAL_HOME=os.path.join(tmp, "home"))
    subprocess.run([runseal, "init"], env=env, check=True, capture_output=True)
    pdir = os.path.join(tmp, "policies")
    os.mkdir(pdir)
    policy = os.path.join(pdir, "bench.json")
    open(policy, "w").write('{"measure_rootfs": false}\n')
    srv = subprocess.Popen([runseal, "mcp", "--policy", policy], env=env,
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    mid = 0

    def rpc(method, params):
        global mid
        mid += 1
        srv.stdin.write((json.dumps({"jsonrpc": "2.0", "id": mid, "method": method,
                                     "params": params}) + "\n").encode())
        srv.stdin.flush()
        return json.loads(srv.stdout.readline())

    rpc("initialize", {"protocolVersion": "2025-11-25", "capabilities": {},
                       "clientInfo": {"name": "bench", "version": "0"}})
    cli = [runseal, "run", "--quiet", "--json", "--policy", policy, "--", "/bin/true"]
    call = {"name": "execute", "arguments": {"argv": ["/bin/true"]}}
    for _ in range(3):      # warm-up
        subprocess.run(cli, env=env, check=True, capture_output=True)
        assert not rpc("tools/call", call)["result"]["isError"]
    t_cli = t_mcp = 0.0
    for _ in range(n):
        s = time.perf_counter()
        subprocess.run(cli, env=env, check=True, capture_output=True)
        t_cli += time.perf_counter() - s
        s = time.perf_counter()
        r = rpc("tools/call", call)
        t_mcp += time.perf_counter() - s
        assert not r["result"]["isError"], r
    srv.stdin.close()
    srv.wait(timeout=30)
    print(f"runs per variant: {n}, alternating ({os.cpu_count()} cores, load {os.getloadavg()[0]:.2f})")
    print(f"cli  runseal run --json     {t_cli / n * 1e6:10.0f} us/run")
    print(f"mcp  tools/call execute     {t_mcp / n * 1e6:10.0f} us/run")
    print(f"mcp / cli: {t_mcp / t_cli:.2f}x")
finally:
    shutil.rmtree(tmp, ignore_errors=True)
