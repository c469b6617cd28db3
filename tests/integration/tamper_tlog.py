#!/usr/bin/env python3
"""Tamper-evidence of the Merkle tree, checkpoints, proofs and bundles.

Every attack goes through runseal-verify (ledger, bundle or proof) and must
be refused (exit 1) with a reason specific to it; the untouched evidence
must verify (exit 0). The attacker here can rewrite the SQLite file at will
(triggers dropped), and for some attacks even holds the ledger's checkpoint
key (they could steal it from the machine): only what the auditor pinned or
saw earlier stands in the way. tamper.py covers the entries and the chain."""
import base64
import json
import os
import shutil
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import tlog  # noqa: E402
from rstest import (Env, build_entry, db_connect, parse_entry, positions, rechain,  # noqa: E402
                    wrapped)
from cryptography.hazmat.primitives import serialization  # noqa: E402

RUNS = 6


def refused(e, p, what, want):
    e.check(p.returncode == 1, f"{what}: exit {p.returncode}, expected 1\n{p.stdout}{p.stderr}")
    e.check(want in p.stdout, f"{what}: reason lacks {want!r}: {p.stdout}{p.stderr}")


def ledger_refused(e, what, want, *extra):
    refused(e, e.verify("ledger", e.db, "--trust", e.trust, *extra), what, want)


def ledger_ok(e, what, *extra):
    p = e.verify("ledger", e.db, "--trust", e.trust, *extra)
    e.check(p.returncode == 0, f"{what}: exit {p.returncode}\n{p.stdout}{p.stderr}")


def snapshot(e):
    return {t: e.con.execute(f"SELECT * FROM {t}").fetchall()
            for t in ("entries", "merkle", "checkpoints")}


def restore(e, snap):
    for t, rows in snap.items():
        e.con.execute(f"DELETE FROM {t}")
        for r in rows:
            e.con.execute(f"INSERT INTO {t} VALUES ({','.join('?' * len(r))})", r)
    ledger_ok(e, "restored")


def recompute_tree(con):
    """Rebuild every stored Merkle node from the entries, as an attacker would."""
    leaves = [tlog.leaf_hash(bytes(b)) for (b,) in
              con.execute("SELECT entry FROM entries ORDER BY idx").fetchall()]
    con.execute("DELETE FROM merkle")
    level, nodes = 0, leaves
    while nodes:
        for i, h in enumerate(nodes):
            con.execute("INSERT INTO merkle(level, idx, hash) VALUES (?,?,?)", (level, i, h))
        nodes = [tlog.node_hash(nodes[i], nodes[i + 1]) for i in range(0, len(nodes) - 1, 2)]
        level += 1
    return leaves


def sign_note(key, name, text):
    """A signed note, as the holder of the ledger's key could write one."""
    raw = key.public_key().public_bytes(serialization.Encoding.Raw,
                                        serialization.PublicFormat.Raw)
    kid = tlog.key_hash(name, b"\x01" + raw)
    sig = base64.b64encode(kid + key.sign(text)).decode()
    return text + f"\n\u2014 {name} {sig}\n".encode()


def cp_text(name, size, root):
    return f"{name}\n{size}\n{base64.b64encode(root).decode()}\n".encode()


with Env() as e:
    e.setup_ledger(runs=RUNS)
    ledger_ok(e, "untouched ledger")
    trust_text = open(e.trust).read()
    v = tlog.Verifier(tlog.trust_vkey(trust_text))
    key = serialization.load_pem_private_key(
        open(os.path.join(e.home, "keys", "ledger.key"), "rb").read(), None)
    cp_all = os.path.join(e.dir, "cp_all")
    open(cp_all, "w").write(e.runseal("checkpoint", want=0).stdout)
    ledger_ok(e, "with the latest checkpoint as old", "--checkpoint", cp_all)

    # A fork: the same home copied before the last two runs, then other runs.
    fork_home = os.path.join(e.dir, "fork")
    fork_env = dict(e.env, RUNSEAL_HOME=fork_home)

    e.con = db_connect(e.db)
    snap = snapshot(e)

    # --- the stored tree --------------------------------------------------
    e.con.execute("UPDATE merkle SET hash=? WHERE level=0 AND idx=2", (b"\x5a" * 32,))
    ledger_refused(e, "Merkle leaf changed", "entry 2: stored Merkle leaf hash does not match")
    restore(e, snap)
    e.con.execute("UPDATE merkle SET hash=? WHERE level=1 AND idx=0", (b"\x5a" * 32,))
    ledger_refused(e, "Merkle node changed",
                   "entry 1: stored Merkle node (level 1, index 0) does not match entries 0-1")
    restore(e, snap)
    e.con.execute("DELETE FROM merkle WHERE level=2 AND idx=0")
    ledger_refused(e, "Merkle node deleted", "entry 3: Merkle node (level 2, index 0)")
    restore(e, snap)
    e.con.execute("INSERT INTO merkle VALUES (0, 6, ?)", (b"\0" * 32,))
    ledger_refused(e, "Merkle node added", "the Merkle tree holds 11 nodes, 6 entries need 10")
    restore(e, snap)

    # --- history rewritten with every hash recomputed ---------------------
    # Entry 1's envelope replaced by entry 4's (validly signed), chain and
    # tree recomputed: every entry check passes; the signed checkpoints do not.
    rows = e.con.execute("SELECT idx, entry FROM entries ORDER BY idx").fetchall()
    f1, f4 = parse_entry(bytes(rows[1][1])), parse_entry(bytes(rows[4][1]))
    env4 = [val for f, _, val in f4 if f == 3][0]
    e.con.execute("UPDATE entries SET entry=? WHERE idx=1",
                  (build_entry([(f, wt, env4 if f == 3 else val) for f, wt, val in f1]),))
    rechain(e.con)
    recompute_tree(e.con)
    ledger_refused(e, "record replaced, chain and tree recomputed",
                   "checkpoint for size 2: its root")
    restore(e, snap)
    # An entry inserted in the middle (a copy of entry 2), re-indexed, rechained.
    rows = e.con.execute("SELECT idx, entry FROM entries ORDER BY idx").fetchall()
    e.con.execute("DELETE FROM entries")
    new = rows[:3] + [rows[2]] + rows[3:]
    for i, (_, b) in enumerate(new):
        fs = [(f, wt, i if f == 1 else val) for f, wt, val in parse_entry(bytes(b))]
        e.con.execute("INSERT INTO entries VALUES (?, ?, ?)", (i, build_entry(fs), b"\0" * 32))
    rechain(e.con)
    recompute_tree(e.con)
    ledger_refused(e, "entry inserted, re-indexed, chain and tree recomputed",
                   "checkpoint for size 4: its root")
    restore(e, snap)

    # --- the tail ----------------------------------------------------------
    e.con.execute("DELETE FROM entries WHERE idx=5")
    ledger_refused(e, "last entry removed",
                   "a checkpoint commits to 6 entries but the ledger has 5")
    e.con.execute("DELETE FROM checkpoints WHERE size=6")
    e.con.execute("DELETE FROM merkle WHERE (level=0 AND idx=5) OR (level=1 AND idx=2)")
    ledger_ok(e, "tail cut with its checkpoint and nodes: a consistent shorter ledger")
    ledger_refused(e, "rollback seen by the auditor's checkpoint",
                   "your checkpoint commits to 6 entries but the ledger has only 5: the "
                   "ledger was rolled back", "--checkpoint", cp_all)
    restore(e, snap)
    last = bytes(snap["entries"][-1][1])
    e.con.execute("UPDATE entries SET entry=? WHERE idx=5", (last[:len(last) // 2],))
    ledger_refused(e, "torn last entry", "entry 5: malformed entry")
    restore(e, snap)

    # --- checkpoints ---------------------------------------------------------
    roots = {s: tlog.open_checkpoint(bytes(n), v)[2] for s, n in snap["checkpoints"]}
    lying = sign_note(key, v.name, cp_text(v.name, 7, roots[6]))
    e.con.execute("UPDATE checkpoints SET note=? WHERE size=6", (lying,))
    ledger_refused(e, "checkpoint lying about its size (signed with the real key)",
                   "checkpoint stored for size 6 claims size 7: the checkpoint lies about its size")
    restore(e, snap)
    lying = sign_note(key, v.name, cp_text(v.name, 3, roots[4]))
    e.con.execute("UPDATE checkpoints SET note=? WHERE size=3", (lying,))
    ledger_refused(e, "checkpoint lying about its root (signed with the real key)",
                   "checkpoint for size 3: its root")
    restore(e, snap)
    note = bytearray(dict(snap["checkpoints"])[4])
    sig_at = note.rindex(b" ") + 30     # past the 4-byte key ID: the signature itself
    # Another base64 letter mid-string: still valid base64, another signature.
    note[sig_at] = ord("B") if note[sig_at] == ord("A") else ord("A")
    e.con.execute("UPDATE checkpoints SET note=? WHERE size=4", (bytes(note),))
    ledger_refused(e, "checkpoint signature flipped", "checkpoint for size 4: ")
    ledger_refused(e, "checkpoint signature flipped (reason)", "does not verify")
    restore(e, snap)
    n3, n4 = bytes(dict(snap["checkpoints"])[3]), bytes(dict(snap["checkpoints"])[4])
    swapped = n4[:n4.rindex(b"\n\n") + 2] + n3[n3.rindex(b"\n\n") + 2:]
    e.con.execute("UPDATE checkpoints SET note=? WHERE size=4", (swapped,))
    ledger_refused(e, "checkpoint signature swapped from another checkpoint",
                   "checkpoint signature by trusted key " + v.name + " does not verify")
    restore(e, snap)
    from cryptography.hazmat.primitives.asymmetric import ed25519  # noqa: E402
    other_key = ed25519.Ed25519PrivateKey.generate()
    e.con.execute("UPDATE checkpoints SET note=? WHERE size=2",
                  (sign_note(other_key, v.name, cp_text(v.name, 2, roots[2])),))
    ledger_refused(e, "checkpoint signed by another key",
                   "checkpoint for size 2: checkpoint of " + v.name + " for size 2: checkpoint "
                   "is not signed by a checkpoint key in the trust file")
    restore(e, snap)
    e.con.close()

    # --- the auditor's old checkpoint -----------------------------------------
    # The ledger forks: a copy made at size 4 gets two other runs.
    e.con = db_connect(e.db)
    shutil.copytree(e.home, fork_home)
    fcon = db_connect(os.path.join(fork_home, "ledger.db"))
    fcon.execute("DELETE FROM entries WHERE idx >= 4")
    fcon.execute("DELETE FROM checkpoints WHERE size > 4")
    fcon.execute("DELETE FROM merkle")
    recompute_tree(fcon)
    fcon.close()
    for i in range(2):
        subprocess.run([os.environ.get("RUNSEAL_BIN", ""), "run", "--quiet", "--", "sh", "-c",
                        f"echo fork {i}"], env=fork_env, check=True, capture_output=True)
    fork_cp = os.path.join(e.dir, "fork_cp")
    open(fork_cp, "w").write(subprocess.run(
        wrapped([os.environ.get("RUNSEAL_BIN", ""), "checkpoint"]), env=fork_env, check=True,
        capture_output=True, text=True).stdout)
    ledger_refused(e, "fork: the auditor holds a checkpoint of the other branch",
                   "your checkpoint for size 6 has root", "--checkpoint", fork_cp)
    ledger_refused(e, "fork: reason", "the ledger forked or was rewritten after you saw it",
                   "--checkpoint", fork_cp)
    bad_cp = os.path.join(e.dir, "bad_cp")
    open(bad_cp, "wb").write(sign_note(other_key, v.name, cp_text(v.name, 6, roots[6])))
    p = e.verify("ledger", e.db, "--trust", e.trust, "--checkpoint", bad_cp)
    e.check(p.returncode == 1 and "your checkpoint" in p.stderr,
            f"old checkpoint not signed by the pinned key: {p.returncode} {p.stderr}")
    e.con.close()

    # --- bundles ------------------------------------------------------------------
    bf = os.path.join(e.dir, "b.bundle")
    e.runseal("export", "2", "-o", bf, want=0)
    good = open(bf, "rb").read()
    e.verify("bundle", bf, "--trust", e.trust, want=0)
    d0 = tlog.parse_bundle(good)

    def bundle_refused(d, what, want, raw=None):
        open(bf, "wb").write(raw if raw is not None else tlog.build_bundle(d))
        refused(e, e.verify("bundle", bf, "--trust", e.trust), what, want)

    d = dict(d0, hashes=list(d0["hashes"]))
    d["hashes"][1] = bytes([d["hashes"][1][0] ^ 1]) + d["hashes"][1][1:]
    bundle_refused(d, "bundle: proof sibling flipped", "leads to a different root")
    bundle_refused(dict(d0, hashes=d0["hashes"][:-1]), "bundle: proof sibling removed",
                   "inclusion proof has 2 hashes; leaf 2 in a tree of size 6 needs exactly 3")
    bundle_refused(dict(d0, hashes=d0["hashes"] + [b"\0" * 32]), "bundle: proof sibling added",
                   "inclusion proof has 4 hashes")
    bundle_refused(dict(d0, index=3), "bundle: wrong index",
                   "the bundled entry is not proved at index 3")
    bundle_refused(dict(d0, tree_size=5), "bundle: wrong size",
                   "the inclusion proof is for tree size 5 but the checkpoint is for size 6")
    older = e.runseal("checkpoint", "--size", "5", want=0).stdout.encode()
    bundle_refused(dict(d0, checkpoint=older), "bundle: checkpoint of another size",
                   "the inclusion proof is for tree size 6 but the checkpoint is for size 5")
    bundle_refused(dict(d0, chain_hash=b"\0" * 32), "bundle: chain hash",
                   "the bundle's chain hash does not follow from the entry")
    other_home = os.path.join(e.dir, "other")
    e.runseal("--home", other_home, "init", want=0)
    other_pem = e.runseal("--home", other_home, "identity", "export", want=0).stdout
    bundle_refused(dict(d0, identity=tlog.pem_blocks(other_pem)[0]), "bundle: foreign identity",
                   "identity material is not the key that signed")
    # An interior node passed as a leaf, by the strongest attacker (holding the
    # ledger key): the children of node (1, 0) as the "entry" of a 3-leaf tree
    # whose root is the real 6-leaf root. Without the 0x00/0x01 prefixes the
    # proof would verify; with them the leaf hash cannot equal the node.
    con = sqlite3.connect(f"file:{e.db}?mode=ro", uri=True)
    node = {(lv, i): bytes(h) for lv, i, h in con.execute("SELECT level, idx, hash FROM merkle")}
    con.close()
    fake = sign_note(key, v.name, cp_text(v.name, 3, roots[6]))
    bundle_refused(dict(d0, entry=node[(0, 0)] + node[(0, 1)], index=0, tree_size=3,
                        hashes=[node[(1, 1)], node[(1, 2)]], checkpoint=fake),
                   "bundle: interior node as a leaf", "the bundled entry is not proved at index 0")
    # The bundle of another ledger, against this ledger's trust file.
    e.runseal("--home", other_home, "run", "--quiet", "--", "true", want=0)
    e.runseal("--home", other_home, "export", "0", "-o", bf, want=0)
    refused(e, e.verify("bundle", bf, "--trust", e.trust), "bundle of another ledger",
            "is not signed by a checkpoint key in the trust file")
    # Every 5th byte of the bundle flipped (fewer under valgrind): never verified.
    for i in positions(len(good), 5):
        b = bytearray(good)
        b[i] ^= 0x04
        open(bf, "wb").write(bytes(b))
        p = e.verify("bundle", bf, "--trust", e.trust, "-q")
        e.check(p.returncode == 1, f"bundle byte {i} flipped: exit {p.returncode} {p.stderr}")
    open(bf, "wb").write(good)
    e.verify("bundle", bf, "--trust", e.trust, want=0)

    # --- proofs through runseal-verify proof ---------------------------------------
    pf = os.path.join(e.dir, "p.json")

    def proof_refused(j, what, want):
        open(pf, "w").write(json.dumps(j))
        refused(e, e.verify("proof", pf, "--trust", e.trust), what, want)

    for args, kind in ((["2"], "inclusion"), (["--consistency", "3", "6"], "consistency")):
        j0 = json.loads(e.runseal("prove", "--json", *args, want=0).stdout)
        open(pf, "w").write(json.dumps(j0))
        e.verify("proof", pf, "--trust", e.trust, want=0)
        hs = j0["hashes"]
        flipped = base64.b64encode(bytes([base64.b64decode(hs[0])[0] ^ 1]) +
                                   base64.b64decode(hs[0])[1:]).decode()
        proof_refused(dict(j0, hashes=[flipped] + hs[1:]), f"{kind}: sibling flipped",
                      "lead" if kind == "inclusion" else "does not lead to the")
        proof_refused(dict(j0, hashes=hs[:-1]), f"{kind}: sibling removed", "needs exactly")
        proof_refused(dict(j0, hashes=hs + [hs[0]]), f"{kind}: sibling added", "needs exactly")
        if kind == "inclusion":
            proof_refused(dict(j0, index=3), "inclusion: wrong index", "leads to a different root")
            proof_refused(dict(j0, tree_size=5), "inclusion: wrong size",
                          "the proof is for tree size 5 but its checkpoint is for size 6")
        else:
            proof_refused(dict(j0, old_size=2), "consistency: wrong old size",
                          "the proof is for sizes 2 to 6 but its checkpoints are for sizes 3 and 6")
            proof_refused(dict(j0, new_size=5), "consistency: wrong new size",
                          "the proof is for sizes 3 to 5")
            proof_refused(dict(j0, old_checkpoint=e.runseal("checkpoint", "--size", "2",
                                                            want=0).stdout),
                          "consistency: old checkpoint swapped",
                          "its checkpoints are for sizes 2 and 6")
            proof_refused(dict(j0, new_checkpoint=fake.decode()),
                          "consistency: new checkpoint forged with the real key",
                          "the proof is for sizes 3 to 6 but its checkpoints are for sizes 3 and 3")
    print(f"tamper_tlog: {e.checks} checks passed")
