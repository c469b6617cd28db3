#!/usr/bin/env python3
"""runseal-verify ledger as an auditor runs it: the JSON report (schema
runseal-verify/v1, every documented field), the human report (one line per
check, failures first), the HTML report (self-contained: no network
resource, no script), parallel verification reporting the same first
failure as a sequential walk (--threads 1), --since (only what is new,
against the auditor's checkpoint: passes, a new entry tampered, a rewritten
old tree, a rollback), and the progress line (on a terminal only, never
with --json)."""
import html.parser
import json
import os
import pty
import select
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from rstest import (VALGRIND, VERIFY, Env, build_entry, db_connect, parse_entry,  # noqa: E402
                    rechain, wrapped)

BUILD = os.environ.get("RUNSEAL_BUILD", os.path.join(os.path.dirname(VERIFY), ".."))
APPENDER = os.path.join(BUILD, "tests", "ledger_appender")
CHECKS = ["entries", "chain", "signatures", "tpm", "merkle", "checkpoints", "your_checkpoint"]


def verify_json(e, *args, want):
    p = e.verify("ledger", e.db, "--trust", e.trust, "--json", *args)
    e.check(p.returncode == want, f"ledger {args}: exit {p.returncode}, expected {want}\n"
            f"{p.stdout}{p.stderr}")
    return json.loads(p.stdout)


def append(e, n, batch=64):
    subprocess.run([APPENDER, e.home, str(n), str(batch)], check=True, stdout=subprocess.DEVNULL)


class Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.refs, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for k, v in attrs:
            if k in ("src", "href", "action", "srcset", "data") or (v or "").startswith("http"):
                self.refs.append((tag, k, v))

    def handle_data(self, data):
        self.text.append(data)


total = 0
with Env() as e:
    e.setup_ledger(runs=2)
    e.runseal("run", "--quiet", "--", "sh", "-c", "exit 4", want=4)

    # JSON: the documented fields (docs/verify-json.md).
    j = verify_json(e, want=0)
    for k in ("schema", "command", "ledger", "verified", "exit_status", "entries", "ledger_size",
              "since", "tree", "threads", "signers", "head_chain_hash", "failure", "checks",
              "compliance", "runs", "elapsed_seconds"):
        e.check(k in j, f"JSON lacks {k}: {sorted(j)}")
    e.check(j["schema"] == "runseal-verify/v1" and j["command"] == "ledger" and j["verified"]
            and j["exit_status"] == 0 and j["entries"] == 3 and j["failure"] is None and
            j["compliance"] is None and j["since"] is None, f"JSON: {j}")
    e.check([c["check"] for c in j["checks"]] == CHECKS, f"checks: {j['checks']}")
    e.check({c["check"]: c["verdict"] for c in j["checks"]} == dict(
        entries="pass", chain="pass", signatures="pass", tpm="skip", merkle="pass",
        checkpoints="pass", your_checkpoint="skip"), f"verdicts: {j['checks']}")
    e.check(j["runs"]["count"] == 3 and j["runs"]["exit"]["zero"] == 2 and
            j["runs"]["exit"]["nonzero"] == 1 and len(j["runs"]["per_day"]) >= 1 and
            sum(d["runs"] for d in j["runs"]["per_day"]) == 3, f"runs: {j['runs']}")
    # Human: one line per check, then the verdict.
    p = e.verify("ledger", e.db, "--trust", e.trust)
    lines = p.stdout.splitlines()
    e.check(p.returncode == 0 and [ln.split()[0] for ln in lines[:7]] ==
            ["ok", "ok", "ok", "--", "ok", "ok", "--"] and
            any(ln.startswith("verified: 3 entries") for ln in lines), f"human:\n{p.stdout}")

    # HTML: self-contained, with the summary, checks, rules, runs per day and failures.
    rules = os.path.join(e.dir, "rules.json")
    open(rules, "w").write('{"name": "nightly", "rules": {"exit_status": 0, "argv0": ["sh"]}}')
    report = os.path.join(e.dir, "audit.html")
    p = e.verify("ledger", e.db, "--trust", e.trust, "--policy", rules, "--report", report)
    e.check(p.returncode == 2, f"--report with a failing rule: exit {p.returncode}\n{p.stderr}")
    page = open(report, encoding="utf-8").read()
    parser = Page()
    parser.feed(page)
    text = " ".join(parser.text)
    e.check(page.startswith("<!DOCTYPE html>") and not parser.refs and "script" not in parser.tags
            and "<link" not in page and "@import" not in page and "url(" not in page,
            f"HTML is not self-contained: {parser.refs}")
    for needle in ("runs broke compliance rules", "Checks", "Compliance rules", "exit_status",
                   "Failures of", "Runs per day", "nightly", "@media print"):
        e.check(needle in page, f"HTML lacks {needle!r}")
    e.check("svg" in parser.tags and "table" in parser.tags, "HTML chart and tables")
    # The failing entry (2, exit 4) appears in the failures table.
    e.check("Failures of" in text and "<td class=num>2</td><td>4</td>" in page, "failing entry 2 (exit 4) listed")
    bad = os.path.join(e.dir, "bad.html")       # a failed audit's report, below

    # Parallel verification reports what a sequential walk reports first.
    append(e, 2000)
    n = verify_json(e, want=0)["entries"]
    con = db_connect(e.db)

    def set_entry(idx, entry):
        con.execute("UPDATE entries SET entry=? WHERE idx=?", (entry, idx))

    (blob,) = con.execute("SELECT entry FROM entries WHERE idx=700").fetchone()
    fs = parse_entry(bytes(blob))
    fs = [(f, wt, v[:-1] + bytes([v[-1] ^ 1]) if f == 3 else v) for f, wt, v in fs]
    set_entry(700, build_entry(fs))
    rechain(con)
    # And a stored chain hash broken further on, that the read-ahead meets first.
    con.execute("UPDATE entries SET chain_hash=zeroblob(32) WHERE idx=1500")
    for threads in ("1", "2", "4"):
        j = verify_json(e, "--threads", threads, want=1)
        e.check(j["failure"]["index"] == 700 and j["failure"]["check"] == "signatures" and
                j["entries"] == 700, f"--threads {threads}: {j['failure']} {j['entries']}")
    p = e.verify("ledger", e.db, "--trust", e.trust, "--report", bad)
    lines = p.stdout.splitlines()
    e.check(p.returncode == 1 and lines[0].startswith("FAIL  signatures") and "entry 700" in lines[0]
            and lines[-1].startswith("FAILED: entry 700"), f"failure first:\n{p.stdout}")
    e.check("does NOT verify" in open(bad).read(), "HTML of a failed audit")
    con.execute("UPDATE entries SET chain_hash=zeroblob(32) WHERE idx=300")
    for threads in ("1", "2"):
        j = verify_json(e, "--threads", threads, want=1)
        e.check(j["failure"]["index"] == 300 and j["failure"]["check"] == "chain",
                f"--threads {threads}: {j['failure']}")
        verdicts = {c["check"]: c["verdict"] for c in j["checks"]}
        e.check(verdicts["chain"] == "fail" and verdicts["signatures"] == "not_reached",
                f"verdicts after a failure: {verdicts}")
    con.close()
    total += e.checks

with Env() as e:
    # --since: only what is new since the auditor's checkpoint.
    e.setup_ledger(runs=0)
    append(e, 300, 7)
    cp = os.path.join(e.dir, "cp.txt")
    open(cp, "w").write(e.runseal("checkpoint", want=0).stdout)
    old = verify_json(e, want=0)["entries"]
    append(e, 50, 5)
    j = verify_json(e, "--since", cp, want=0)
    total = j["entries"]
    e.check(j["since"] == {"size": old, "entries_checked": total - old} and
            j["signers"]["software"] == total - old and j["tree"]["your_checkpoint"]["size"] == old,
            f"--since: {j['since']} {j['signers']}")
    e.check(e.verify("ledger", e.db, "--trust", e.trust, "--since", cp, "--checkpoint", cp)
            .returncode == 64, "--since and --checkpoint together")
    con = db_connect(e.db)
    # A new entry changed: found, by its index.
    (blob,) = con.execute("SELECT entry FROM entries WHERE idx=?", (old + 10,)).fetchone()
    con.execute("UPDATE entries SET entry=? WHERE idx=?", (bytes(blob)[:-1] + bytes([blob[-1] ^ 1]),
                                                          old + 10))
    j = verify_json(e, "--since", cp, want=1)
    e.check(j["failure"]["index"] == old + 10, f"new entry tampered: {j['failure']}")
    con.execute("UPDATE entries SET entry=? WHERE idx=?", (bytes(blob), old + 10))
    verify_json(e, "--since", cp, want=0)
    # The old tree rewritten (a stored node of it changed): the signed root says no.
    (lvl, idx, h) = con.execute("SELECT level, idx, hash FROM merkle WHERE level=8").fetchone()
    con.execute("UPDATE merkle SET hash=? WHERE level=? AND idx=?", (bytes(32), lvl, idx))
    j = verify_json(e, "--since", cp, want=1)
    e.check(j["failure"]["check"] == "your_checkpoint" and "rewritten" in j["failure"]["reason"],
            f"old tree rewritten: {j['failure']}")
    con.execute("UPDATE merkle SET hash=? WHERE level=? AND idx=?", (h, lvl, idx))
    # Rolled back past the checkpoint.
    later = os.path.join(e.dir, "later.txt")
    open(later, "w").write(e.runseal("checkpoint", want=0).stdout)
    con.execute("DELETE FROM entries WHERE idx >= ?", (total - 3,))
    j = verify_json(e, "--since", later, want=1)
    e.check("rolled back" in j["failure"]["reason"], f"rollback: {j['failure']}")
    con.close()
    total += e.checks

with Env() as e:
    # The progress line: on a terminal, after a second; never otherwise. A
    # ledger that takes longer than that to verify: 30000 entries, 1000 under
    # valgrind (some 150 entries a second there).
    e.setup_ledger(runs=0)
    append(e, 1000 if VALGRIND else 30000)

    def on_tty(*extra):
        master, slave = pty.openpty()
        p = subprocess.Popen(wrapped([VERIFY, "ledger", e.db, "--trust", e.trust, "--threads", "1",
                                      *extra]),
                             stdout=subprocess.PIPE, stderr=slave, env=e.env)
        os.close(slave)
        err = b""
        while True:
            r, _, _ = select.select([master], [], [], 0.2)
            if r:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                err += chunk
            elif p.poll() is not None:
                break
        out = p.stdout.read()
        p.wait()
        os.close(master)
        return p.returncode, out.decode(), err.decode(errors="replace")

    rc, out, err = on_tty()
    e.check(rc == 0 and "entries/s" in err and "\r\x1b[K" in err and "entries/s" not in out,
            f"progress on a terminal: rc {rc}, stderr {err!r}")
    rc, out, err = on_tty("--json")
    e.check(rc == 0 and err == "" and json.loads(out)["verified"], f"--json on a terminal: {err!r}")
    p = e.verify("ledger", e.db, "--trust", e.trust, "--threads", "1")
    e.check(p.returncode == 0 and p.stderr == "", f"no terminal, no progress: {p.stderr!r}")
    total += e.checks
    print(f"verify_reports: {total} checks passed")
