#!/usr/bin/env python3
"""The blob store: with a keep_blobs policy, a run's inputs and (with --out)
outputs are kept content-addressed under blobs/sha256/ab/cdef..., read-only,
deduplicated; `runseal blob get` returns them verified, and refuses (exit 1,
nothing on stdout) a blob whose bytes were changed."""
import hashlib
import json
import os
import stat
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from rstest import RUNSEAL, Env, wrapped  # noqa: E402

with Env() as e:
    e.setup_ledger(runs=0)
    policy = os.path.join(e.dir, "keep.json")
    open(policy, "w").write('{"keep_blobs": true}\n')
    src = os.path.join(e.dir, "input.bin")
    data = os.urandom(100000)
    open(src, "wb").write(data)
    out = os.path.join(e.dir, "out")
    p = e.runseal("run", "--policy", policy, "--in", src, "--out", out, "--json", "--",
                  "sh", "-c", "cp /work/in/input.bin /work/out/a && echo second > /work/out/b && echo out-text",
                  want=0)
    res = json.loads(p.stdout)
    want = {hashlib.sha256(data).hexdigest(), hashlib.sha256(b"second\n").hexdigest()}
    e.check({o["sha256"] for o in res["outputs"]} == want, "outputs recorded")
    blobs = os.path.join(e.home, "blobs", "sha256")
    kept = {d + f for d in os.listdir(blobs) for f in os.listdir(os.path.join(blobs, d))}
    streams = {hashlib.sha256(b"out-text\n").hexdigest(), hashlib.sha256(b"").hexdigest()}
    e.check(res["stdout"]["sha256"] == hashlib.sha256(b"out-text\n").hexdigest(), "stdout recorded")
    e.check(kept == want | streams,
            f"input, outputs, stdout and stderr kept once each (deduplicated): {kept}")
    for h in want:
        path = os.path.join(blobs, h[:2], h[2:])
        e.check(stat.S_IMODE(os.stat(path).st_mode) == 0o444, "blobs are read-only")
        g = subprocess.run(wrapped([RUNSEAL, "blob", "get", "sha256:" + h]), env=e.env,
                           capture_output=True)
        e.check(g.returncode == 0 and hashlib.sha256(g.stdout).hexdigest() == h,
                f"blob get {h}: {g.stderr}")
    # Through a file, byte for byte.
    dest = os.path.join(e.dir, "got.bin")
    e.runseal("blob", "get", "-o", dest, hashlib.sha256(data).hexdigest(), want=0)
    e.check(open(dest, "rb").read() == data, "blob get -o returns the bytes")
    e.check(e.runseal("blob", "get", "-o", dest, hashlib.sha256(data).hexdigest()).returncode == 78,
            "blob get -o never overwrites")
    # A damaged blob is refused, and not one byte of it is output.
    h = hashlib.sha256(data).hexdigest()
    path = os.path.join(blobs, h[:2], h[2:])
    os.chmod(path, 0o644)
    damaged = bytearray(data)
    damaged[5000] ^= 1
    open(path, "wb").write(bytes(damaged))
    p = subprocess.run(wrapped([RUNSEAL, "blob", "get", h]), env=e.env, capture_output=True,
                       text=True)
    e.check(p.returncode == 1 and p.stdout == "" and "damaged" in p.stderr,
            f"damaged blob: exit {p.returncode}, stderr {p.stderr}")
    # Without keep_blobs, nothing new is kept.
    before = sum(len(files) for _, _, files in os.walk(blobs))
    e.runseal("run", "--in", src, "--quiet", "--", "true", want=0)
    e.check(sum(len(files) for _, _, files in os.walk(blobs)) == before,
            "default policy keeps no bytes")
    e.verify("ledger", e.db, "--trust", e.trust, want=0)
    print(f"ledger_blobs: {e.checks} checks passed")
