#!/usr/bin/env python3
"""Checkpoints, proofs and bundles, checked with an independent implementation.

runseal's output is verified here by tests/lib/tlog.py, written from RFC 9162
and the C2SP signed-note / tlog-checkpoint specifications with Python's
`cryptography` (not runseal's C code): the checkpoint signature and key ID,
the checkpoint body, the roots recomputed from the entries in the SQLite
file, every inclusion and consistency proof, and every exported bundle down
to the record's ECDSA signature. runseal-verify must agree on all of them."""
import json
import os
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import tlog  # noqa: E402
from rstest import RUNSEAL, VALGRIND, Env, positions, wrapped  # noqa: E402

RUNS = 6
# Every checkpoint, proof and bundle of every tree size up to RUNS; under
# valgrind (a second or more per command) a few of each, in the largest
# tree: the commands take the same paths for every size and index, and
# unit/test_merkle checks every proof of every size up to 40 under memcheck.
SIZES = [RUNS] if VALGRIND else range(1, RUNS + 1)

with Env() as e:
    e.setup_ledger(runs=0)
    trust_text = open(e.trust).read()
    vkey = tlog.trust_vkey(trust_text)
    v = tlog.Verifier(vkey)            # name, key ID recomputed, Ed25519 key
    e.check(v.name.startswith("runseal/"), f"ledger name {v.name}")
    e.check(open(os.path.join(e.home, "keys", "ledger.vkey")).read().strip() == vkey,
            "keys/ledger.vkey is the exported verifier key")
    signers = tlog.pem_blocks(trust_text)
    e.check(len(signers) == 1, "one PEM signer key in the trust file")

    # The empty ledger already has its checkpoint: size 0, root SHA-256("").
    p = e.runseal("checkpoint", want=0)
    origin, size, root = tlog.open_checkpoint(p.stdout.encode(), v)
    e.check((origin, size, root) == (v.name, 0, tlog.mth([])), "empty checkpoint")

    for i in range(RUNS):
        e.runseal("run", "--quiet", "--", "sh", "-c", f"echo run {i}", want=0)

    # Leaves recomputed from the stored entries.
    con = sqlite3.connect(f"file:{e.db}?mode=ro", uri=True)
    entries = [bytes(b) for (b,) in con.execute("SELECT entry FROM entries ORDER BY idx")]
    con.close()
    leaves = [tlog.leaf_hash(b) for b in entries]
    roots = [tlog.mth(leaves[:n]) for n in range(RUNS + 1)]

    # Every checkpoint, by size; text and JSON forms agree.
    for n in positions(RUNS + 1, valgrind_max=3):
        p = e.runseal("checkpoint", "--size", str(n), want=0)
        note = p.stdout.encode()
        e.check(note.endswith(b"\n") and b"\n\n\xe2\x80\x94 " + v.name.encode() + b" " in note,
                "signed-note layout")
        origin, size, root = tlog.open_checkpoint(note, v)
        e.check((origin, size, root) == (v.name, n, roots[n]), f"checkpoint {n}")
        j = json.loads(e.runseal("checkpoint", "--size", str(n), "--json", want=0).stdout)
        e.check(j["note"].encode() == note and j["tree_size"] == n and j["origin"] == v.name,
                f"checkpoint {n} JSON")
    latest = e.runseal("checkpoint", want=0).stdout
    e.check(tlog.open_checkpoint(latest.encode(), v)[1] == RUNS, "latest checkpoint")

    # Every inclusion proof, JSON and text; runseal-verify proof agrees.
    for n in SIZES:
        for i in positions(n, valgrind_max=3):
            j = json.loads(e.runseal("prove", "--json", "--size", str(n), str(i), want=0).stdout)
            path = [tlog.base64.b64decode(h) for h in j["hashes"]]
            e.check(tlog.base64.b64decode(j["leaf_hash"]) == leaves[i], f"leaf {i}")
            tlog.verify_inclusion(i, n, leaves[i], path, roots[n])
            e.checks += 1
            _, _, croot = tlog.open_checkpoint(j["checkpoint"].encode(), v)
            e.check(croot == roots[n], "proof's checkpoint")
            txt = e.runseal("prove", "--size", str(n), str(i), want=0).stdout.splitlines()
            e.check([ln.split(" ", 1)[1] for ln in txt if ln.startswith("hash ")] == j["hashes"],
                    "text and JSON proofs agree")
            pf = os.path.join(e.dir, "p.json")
            open(pf, "w").write(json.dumps(j))
            e.verify("proof", pf, "--trust", e.trust, want=0)

    # Every consistency proof.
    for m in positions(RUNS + 1, valgrind_max=4):
        for n in [s for s in SIZES if s >= m]:
            j = json.loads(e.runseal("prove", "--json", "--consistency", str(m), str(n),
                                     want=0).stdout)
            path = [tlog.base64.b64decode(h) for h in j["hashes"]]
            tlog.verify_consistency(m, n, roots[m], roots[n], path)
            e.checks += 1
            pf = os.path.join(e.dir, "c.json")
            open(pf, "w").write(json.dumps(j))
            e.verify("proof", pf, "--trust", e.trust, want=0)

    # Every entry as a bundle, verified twice, independently.
    for i in positions(RUNS, valgrind_max=2):
        bf = os.path.join(e.dir, f"b{i}.bundle")
        e.runseal("export", str(i), "-o", bf, want=0)
        b = open(bf, "rb").read()
        d = tlog.parse_bundle(b)
        e.check(d["entry"] == entries[i] and d["checkpoint_key"] == vkey, "bundle contents")
        idx, size, _ = tlog.verify_bundle(b, v, signers)
        e.check((idx, size) == (i, RUNS), "independent bundle verification")
        p = e.verify("bundle", bf, "--trust", e.trust, want=0)
        e.check(f"verified: entry {i} of {v.name}" in p.stdout, p.stdout)
        j = json.loads(e.verify("bundle", bf, "--trust", e.trust, "--json", want=0).stdout)
        e.check(j["verified"] and j["index"] == i and j["tree_size"] == RUNS, "bundle JSON")
    # Against an older checkpoint too, and through stdout.
    bf = os.path.join(e.dir, "old.bundle")
    e.runseal("export", "--size", "2", "1", "-o", bf, want=0)
    e.check(tlog.verify_bundle(open(bf, "rb").read(), v, signers)[1] == 2, "bundle at size 2")
    sf = os.path.join(e.dir, "stdout.bundle")
    with open(sf, "wb") as f:
        p = subprocess.run(wrapped([RUNSEAL, "export", "3"]), env=e.env, stdout=f,
                           stderr=subprocess.PIPE)
    e.check(p.returncode == 0 and tlog.verify_bundle(open(sf, "rb").read(), v, signers)[0] == 3,
            "export to stdout")

    # runseal-verify ledger agrees, and with the first checkpoint kept as "old".
    cp2 = os.path.join(e.dir, "cp2")
    open(cp2, "w").write(e.runseal("checkpoint", "--size", "2", want=0).stdout)
    p = e.verify("ledger", e.db, "--trust", e.trust, "--checkpoint", cp2, "--json", want=0)
    j = json.loads(p.stdout)
    e.check(j["tree"]["root_hash"] == tlog.base64.b64encode(roots[RUNS]).decode(), "ledger root")
    e.check(j["tree"]["your_checkpoint"]["size"] == 2, "old checkpoint checked")
    e.check(j["tree"]["checkpoint_signatures_checked"] and j["tree"]["checkpoints"] == RUNS + 1,
            "every checkpoint checked")

    # Usage errors and missing things: distinct exit statuses, nothing printed on stdout.
    e.check(e.runseal("prove", str(RUNS)).returncode == 66, "index beyond the tree")
    e.check(e.runseal("prove", "-1").returncode == 64, "negative index")
    e.check(e.runseal("prove", "--consistency", "3", "2").returncode == 64, "old > new")
    e.check(e.runseal("prove", "--size", "99", "0").returncode == 64, "size beyond the ledger")
    e.check(e.runseal("checkpoint", "--size", "99").returncode == 66, "no such checkpoint")
    e.check(e.runseal("export", "99", "-o", os.path.join(e.dir, "x")).returncode == 66,
            "no such entry")
    e.check(e.runseal("blob", "get", "abc").returncode == 64, "bad digest")
    e.check(e.runseal("blob", "get", "00" * 32).returncode == 66, "no such blob")
    print(f"ledger_proofs: {e.checks} checks passed")
