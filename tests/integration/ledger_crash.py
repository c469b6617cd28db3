#!/usr/bin/env python3
"""Crash safety: appenders killed with SIGKILL at random moments.

Each round starts several appenders at once (tests/tools/ledger_appender:
the real ledger_append with the home's signer and checkpoint key, printing
"appended INDEX CHAINHASH" once a commit returned), and kills every one of
them with SIGKILL after a random delay, so kills land before, inside and
after transactions and fsyncs. Some rounds also kill a real `runseal run`.
Then, repeatedly and at the end:

  - every acknowledged append (a complete "appended" line) is in the ledger,
    at its index, with the chain hash it was acknowledged with;
  - no index was ever acknowledged with two different entries;
  - runseal-verify ledger verifies the whole ledger (no gap, no fork, every
    Merkle node and checkpoint consistent, every signature).

RUNSEAL_CRASH_ITERATIONS rounds (200 by default; more by hand), seeded by
RUNSEAL_CRASH_SEED (printed, so a failure can be replayed)."""
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from rstest import RUNSEAL, Env  # noqa: E402

BUILD = os.environ.get("RUNSEAL_BUILD", os.path.join(os.path.dirname(RUNSEAL), ".."))
APPENDER = os.path.join(BUILD, "tests", "ledger_appender")
ITERATIONS = int(os.environ.get("RUNSEAL_CRASH_ITERATIONS", "200"))
SEED = int(os.environ.get("RUNSEAL_CRASH_SEED", str(int(time.time()))))
APPENDERS = 3


def fail(msg):
    sys.exit(f"FAIL (seed {SEED}): {msg}")


def check_acked(e, acked):
    con = sqlite3.connect(f"file:{e.db}?mode=ro", uri=True)
    stored = dict(con.execute("SELECT idx, chain_hash FROM entries").fetchall())
    con.close()
    for idx, h in acked.items():
        if idx not in stored:
            fail(f"acknowledged entry {idx} is missing")
        if bytes(stored[idx]).hex() != h:
            fail(f"entry {idx} is not the one acknowledged")
    e.checks += 1
    return len(stored)


def verify(e):
    p = e.verify("ledger", e.db, "--trust", e.trust, "--json")
    if p.returncode != 0:
        fail(f"ledger does not verify: {p.stdout}{p.stderr}")
    e.checks += 1
    return json.loads(p.stdout)["entries"]


def collect(acked, out):
    """Complete lines only: a line cut by the kill was not an acknowledgement."""
    for line in out.split("\n")[:-1]:
        parts = line.split()
        if len(parts) != 3 or parts[0] != "appended":
            fail(f"unexpected appender output {line!r}")
        idx, h = int(parts[1]), parts[2]
        if acked.get(idx, h) != h:
            fail(f"index {idx} acknowledged twice with different entries")
        acked[idx] = h


if not os.access(APPENDER, os.X_OK):
    print(f"ledger_crash: {APPENDER} not built; skipped")
    sys.exit(77)

print(f"ledger_crash: {ITERATIONS} rounds, seed {SEED}")
rng = random.Random(SEED)
with Env() as e:
    e.setup_ledger(runs=0)
    acked, kills = {}, 0
    # How long an appender takes to start and make its first append (longer
    # under ASan): kills are spread around and past it, so that most land
    # while appends are under way, not during start-up.
    starts = []
    for _ in range(3):
        t0 = time.monotonic()
        p = subprocess.run([APPENDER, e.home, "1"], capture_output=True, text=True)
        starts.append(time.monotonic() - t0)
        if p.returncode != 0:
            fail(f"appender: {p.stderr}")
        collect(acked, p.stdout)
    start = sorted(starts)[1]
    for it in range(ITERATIONS):
        procs = [subprocess.Popen([APPENDER, e.home, "1000000", str(rng.choice((1, 1, 4)))],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(APPENDERS)]
        run = None
        if it % 20 == 7:
            run = subprocess.Popen([RUNSEAL, "run", "--json", "--", "true"], env=e.env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        time.sleep(rng.uniform(0.5 * start, start + 0.04))
        for p in rng.sample(procs, len(procs)):
            p.send_signal(signal.SIGKILL)
            time.sleep(rng.uniform(0.0, 0.005))
        for p in procs:
            out, err = p.communicate()
            if p.returncode not in (-signal.SIGKILL, 0):
                fail(f"appender failed by itself (exit {p.returncode}): {err}")
            kills += p.returncode == -signal.SIGKILL
            collect(acked, out)
        if run is not None:
            time.sleep(rng.uniform(0.0, 0.2))
            run.send_signal(signal.SIGKILL)
            out, err = run.communicate()
            if run.returncode == 0:
                j = json.loads(out)
                acked_run = {j["entry"]: j["chain_hash"]}
                collect(acked, "".join(f"appended {i} {h}\n" for i, h in acked_run.items()))
            elif run.returncode != -signal.SIGKILL:
                fail(f"runseal run failed by itself (exit {run.returncode}): {err}")
        if it % 25 == 24:
            check_acked(e, acked)
            verify(e)
    n = check_acked(e, acked)
    if verify(e) != n:
        fail("runseal-verify saw a different number of entries")
    # The ledger still takes appends after all that.
    p = subprocess.run([APPENDER, e.home, "3"], capture_output=True, text=True)
    if p.returncode != 0:
        fail(f"append after the crashes: {p.stderr}")
    collect(acked, p.stdout)
    check_acked(e, acked)
    verify(e)
    e.check(len(acked) > 0, "some appends were acknowledged")
    print(f"ledger_crash: {e.checks} checks passed; {kills} appenders killed, "
          f"{len(acked)} acknowledged appends all present, {n + 3} entries verified")
