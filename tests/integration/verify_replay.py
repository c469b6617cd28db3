#!/usr/bin/env python3
"""runseal-verify replay: a deterministic program reproduces (exit 0, every
artefact identical); one that prints the time, or writes a random number
to an output, diverges (exit 3) with the artefact named, both digests and
sizes, and the first differing line (outputs named with '=', paths longer
than 255 bytes or control bytes too: named in full in the JSON, without
control bytes in the human report); a nondeterministic policy reports the
divergence without failing (exit 0); a changed input blob is refused
(exit 1), a missing one is exit 66; a runseal executable other than the
recorded one is refused (exit 78) unless --allow-env-drift; a tampered
bundle is exit 1; usage errors are exit 64."""
import hashlib
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from rstest import RUNSEAL, VERIFY, Env, wrapped  # noqa: E402

with Env() as e:
    e.setup_ledger(runs=0)
    d = e.dir
    keep = os.path.join(d, "keep.json")
    open(keep, "w").write('{"keep_blobs": true}\n')
    nondet = os.path.join(d, "nondet.json")
    open(nondet, "w").write('{"keep_blobs": true, "nondeterministic": true}\n')
    src = os.path.join(d, "numbers.txt")
    open(src, "w").write("3\n1\n2\n")

    def run_and_export(name, policy, *cmd, want=0, inputs=(src,), out=True):
        args = ["run", "--quiet", "--policy", policy]
        for i in inputs:
            args += ["--in", i]
        if out:
            args += ["--out", os.path.join(d, "out-" + name)]
        e.runseal(*args, "--", *cmd, want=want)
        n = len(json.loads(e.runseal("log", "--json", want=0).stdout)["entries"]) - 1
        b = os.path.join(d, name + ".bundle")
        e.runseal("export", str(n), "-o", b, want=0)
        return b

    def replay(b, *extra, want):
        p = e.verify("replay", b, "--trust", e.trust, "--home", e.home, "--json", *extra)
        e.check(p.returncode == want, f"replay {os.path.basename(b)} {extra}: exit "
                f"{p.returncode}, expected {want}\n{p.stdout}{p.stderr}")
        return json.loads(p.stdout) if p.stdout else None

    def art(j, kind, name=None):
        for a in j["artefacts"]:
            if a["artefact"] == kind and a["name"] == name:
                return a
        sys.exit(f"FAIL: no artefact {kind} {name} in {j}")

    # Deterministic: sort the input into an output and stdout.
    det = run_and_export("det", keep, "sh", "-c",
                         "sort /work/in/numbers.txt | tee /work/out/sorted.txt; echo done >&2")
    j = replay(det, want=0)
    e.check(j["verdict"] == "identical" and j["verified"] and
            all(a["verdict"] == "identical" for a in j["artefacts"]) and
            {a["artefact"] for a in j["artefacts"]} == {"exit_status", "stdout", "stderr", "output"} and
            j["environment"]["executor"]["same"] and j["environment"]["rootfs"]["same"],
            f"deterministic replay: {j}")
    e.check(art(j, "output", "sorted.txt")["recorded"] == art(j, "output", "sorted.txt")["replay"],
            "digests and sizes side by side")
    h = e.verify("replay", det, "--trust", e.trust, "--home", e.home)
    e.check(h.returncode == 0 and h.stdout.splitlines()[-1].startswith("identical:"),
            f"human verdict: {h.stdout}")

    # The time on stdout: stdout diverges, with its first differing line.
    clock = run_and_export("clock", keep, "sh", "-c", "echo start; date +%s%N; echo end")
    j = replay(clock, want=3)
    s = art(j, "stdout")
    e.check(j["verdict"] == "diverged" and s["verdict"] == "diverged" and
            s["recorded"]["sha256"] != s["replay"]["sha256"] and
            s["first_difference"]["kind"] == "line" and s["first_difference"]["line"] == 2 and
            s["first_difference"]["recorded"] != s["first_difference"]["replay"] and
            art(j, "exit_status")["verdict"] == "identical", f"clock: {s}")
    h = e.verify("replay", clock, "--trust", e.trust, "--home", e.home)
    e.check(h.returncode == 3 and "DIVERGED   stdout" in h.stdout.splitlines()[4] and
            "first differing line 2" in h.stdout and "diverged: stdout" in h.stdout,
            f"clock, human: {h.stdout}")

    # A random number written to an output: that output is named.
    rnd = run_and_export("random", keep, "sh", "-c",
                         "echo fixed > /work/out/a.txt; od -An -N8 -tx8 /dev/urandom > /work/out/r.txt")
    j = replay(rnd, want=3)
    r = art(j, "output", "r.txt")
    e.check(r["verdict"] == "diverged" and r["first_difference"]["line"] == 1 and
            art(j, "output", "a.txt")["verdict"] == "identical" and "output r.txt" in j["summary"],
            f"random output: {j}")

    # Output names as a hostile program picks them (the collector records any
    # bytes but '/' and NUL, paths up to 1024 bytes): an '=' in a name, a path
    # longer than 255 bytes, a terminal escape. Each diverged output is named
    # in full in the JSON report with its first differing line, and the human
    # report carries no control byte from a name.
    long_dir = "d" * 200
    long_name = long_dir + "/" + "f" * 100
    esc_name = "esc\x1b[2J.txt"
    odd = run_and_export("odd-names", keep, "sh", "-c",
                         f"mkdir /work/out/{long_dir}; for f in k=v.txt {long_name} "
                         "\"$(printf 'esc\\033[2J.txt')\"; do "
                         "od -An -N8 -tx8 /dev/urandom > \"/work/out/$f\"; done")
    j = replay(odd, want=3)
    for n in ("k=v.txt", long_name, esc_name):
        a = art(j, "output", n)
        e.check(a["verdict"] == "diverged" and a["first_difference"] is not None and
                a["first_difference"]["kind"] == "line" and a["first_difference"]["line"] == 1,
                f"odd output name {n!r}: {a}")
    h = e.verify("replay", odd, "--trust", e.trust, "--home", e.home)
    e.check(h.returncode == 3 and "\x1b" not in h.stdout and "output esc?[2J.txt" in h.stdout and
            "output " + long_name in h.stdout, f"odd names, human: {h.stdout!r}")

    # Marked nondeterministic by its policy: the divergence is reported, not failed.
    nd = run_and_export("nondet", nondet, "sh", "-c", "date +%s%N")
    j = replay(nd, want=0)
    e.check(j["verdict"] == "diverged" and j["nondeterministic"] and
            art(j, "stdout")["verdict"] == "diverged" and "nondeterministic" in j["summary"],
            f"nondeterministic: {j}")

    # A different exit status is a divergence too.
    coin = run_and_export("coin", keep, "sh", "-c", "exit $(( $(od -An -N1 -tu1 /dev/urandom) % 2 + 2 ))",
                          want=None)
    # Each replay flips again: 40 matches in a row has odds 2^-40.
    for _ in range(40):
        p = e.verify("replay", coin, "--trust", e.trust, "--home", e.home, "--json")
        jj = json.loads(p.stdout)
        if art(jj, "exit_status")["verdict"] == "diverged":
            e.check(p.returncode == 3 and {art(jj, "exit_status")["recorded"],
                    art(jj, "exit_status")["replay"]} == {2, 3}, f"exit status: {jj}")
            break
    else:
        sys.exit("FAIL: forty replays of a coin flip all matched")

    # A changed input blob is refused, naming the input; nothing is run.
    data = open(src, "rb").read()
    h_in = hashlib.sha256(data).hexdigest()
    blob = os.path.join(e.home, "blobs", "sha256", h_in[:2], h_in[2:])
    os.chmod(blob, 0o644)
    open(blob, "wb").write(b"3\n1\n9\n")
    p = e.verify("replay", det, "--trust", e.trust, "--home", e.home)
    e.check(p.returncode == 1 and "input numbers.txt" in p.stdout and "changed" in p.stdout,
            f"changed input blob: exit {p.returncode}\n{p.stdout}{p.stderr}")
    p = e.verify("replay", det, "--trust", e.trust, "--home", e.home, "--json")
    jj = json.loads(p.stdout)
    e.check(p.returncode == 1 and jj["verdict"] == "refused" and "changed" in jj["refused_reason"],
            f"changed blob, JSON: {jj}")
    os.unlink(blob)
    p = e.verify("replay", det, "--trust", e.trust, "--home", e.home)
    e.check(p.returncode == 66 and "keep_blobs" in p.stderr, f"missing blob: {p.returncode} {p.stderr}")
    # --blobs DIR is the store itself.
    open(blob, "wb").write(data)
    os.chmod(blob, 0o444)
    p = e.verify("replay", det, "--trust", e.trust, "--blobs", os.path.join(e.home, "blobs"))
    e.check(p.returncode == 0, f"--blobs: {p.returncode} {p.stdout}{p.stderr}")

    # Another runseal executable: the executor measurement differs, refused.
    other = os.path.join(d, "runseal")
    shutil.copy(RUNSEAL, other)
    with open(other, "ab") as f:
        f.write(b"\0drift")
    env = dict(e.env, RUNSEAL_BIN=other)
    p = subprocess.run(wrapped([VERIFY, "replay", det, "--trust", e.trust, "--home", e.home,
                                "--json"]), env=env, capture_output=True, text=True)
    jj = json.loads(p.stdout)
    e.check(p.returncode == 78 and jj["verdict"] == "refused" and
            not jj["environment"]["executor"]["same"] and jj["environment"]["rootfs"]["same"] and
            "executor" in jj["refused_reason"] and not jj["artefacts"], f"drift: {p.stdout}{p.stderr}")
    p = subprocess.run(wrapped([VERIFY, "replay", det, "--trust", e.trust, "--home", e.home,
                                "--allow-env-drift"]), env=env, capture_output=True, text=True)
    e.check(p.returncode == 0 and "differs" in p.stdout and "identical:" in p.stdout,
            f"--allow-env-drift: {p.returncode} {p.stdout}{p.stderr}")

    # A bundle that does not verify is not replayed.
    bad = bytearray(open(det, "rb").read())
    bad[len(bad) // 2] ^= 1
    badf = os.path.join(d, "bad.bundle")
    open(badf, "wb").write(bytes(bad))
    p = e.verify("replay", badf, "--trust", e.trust, "--home", e.home)
    e.check(p.returncode == 1 and "FAILED" in p.stdout, f"tampered bundle: {p.returncode} {p.stdout}")

    # Usage and input errors.
    e.check(e.verify("replay", det, "--home", e.home).returncode == 64, "no --trust")
    e.check(e.verify("replay", "--trust", e.trust).returncode == 64, "no bundle")
    e.check(e.verify("replay", det, det, "--trust", e.trust).returncode == 64, "two bundles")
    e.check(e.verify("replay", det, "--trust", e.trust, "--home", e.home, "--blobs", d).returncode
            == 64, "--home and --blobs")
    e.check(e.verify("replay", os.path.join(d, "none"), "--trust", e.trust).returncode == 66,
            "missing bundle")
    print(f"verify_replay: {e.checks} checks passed")
