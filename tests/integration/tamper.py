#!/usr/bin/env python3
"""Tamper-evidence of the ledger, attacked through the SQLite file itself.

Each change must make `runseal-verify ledger` exit 1 with a reason naming
the entry; an untouched ledger must verify (no false positives)."""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from rstest import Env, build_entry, db_connect, parse_entry, positions, rechain  # noqa: E402


def expect_fail(e, what, entry):
    p = e.verify_ledger()
    e.check(p.returncode == 1, f"{what}: verifier exit {p.returncode}, expected 1\n{p.stdout}{p.stderr}")
    e.check(f"entry {entry}" in p.stdout, f"{what}: reason does not name entry {entry}: {p.stdout}")
    return p


def expect_ok(e, what):
    p = e.verify_ledger()
    e.check(p.returncode == 0, f"{what}: verifier exit {p.returncode}\n{p.stdout}{p.stderr}")


with Env() as e:
    e.setup_ledger(runs=3)
    expect_ok(e, "untouched ledger")
    con = db_connect(e.db)
    rows = con.execute("SELECT idx, entry, chain_hash FROM entries ORDER BY idx").fetchall()
    e.check(len(rows) == 3, "three entries")
    idx1, entry1, chain1 = rows[1][0], bytes(rows[1][1]), bytes(rows[1][2])

    # 1. Every single byte of a stored entry flipped, in place (an even
    #    sample of them under valgrind: rstest.positions).
    for i in positions(len(entry1)):
        b = bytearray(entry1)
        b[i] ^= 0x20
        con.execute("UPDATE entries SET entry=? WHERE idx=1", (bytes(b),))
        expect_fail(e, f"entry byte {i} flipped", 1)
    con.execute("UPDATE entries SET entry=? WHERE idx=1", (entry1,))
    expect_ok(e, "restored after byte flips")

    # 2. Every byte of the envelope flipped by an attacker who also recomputes
    #    the whole hash chain: only the signature stands in the way.
    fields = parse_entry(entry1)
    env_pos = [k for k, (f, _, _) in enumerate(fields) if f == 3][0]
    envelope = fields[env_pos][2]
    for i in positions(len(envelope)):
        b = bytearray(envelope)
        b[i] ^= 0x01
        f2 = list(fields)
        f2[env_pos] = (3, 2, bytes(b))
        con.execute("UPDATE entries SET entry=? WHERE idx=1", (build_entry(f2),))
        rechain(con)
        expect_fail(e, f"envelope byte {i} flipped, chain recomputed", 1)
    con.execute("UPDATE entries SET entry=? WHERE idx=1", (entry1,))
    rechain(con)
    expect_ok(e, "restored after envelope flips")

    # 3. A stored chain hash changed.
    con.execute("UPDATE entries SET chain_hash=? WHERE idx=1", (bytes(32),))
    expect_fail(e, "chain hash zeroed", 1)
    con.execute("UPDATE entries SET chain_hash=? WHERE idx=1", (chain1,))
    expect_ok(e, "restored chain hash")

    # 4. Two rows swapped.
    r0, r2 = rows[0], rows[2]
    con.execute("UPDATE entries SET entry=?, chain_hash=? WHERE idx=0", (r2[1], r2[2]))
    con.execute("UPDATE entries SET entry=?, chain_hash=? WHERE idx=2", (r0[1], r0[2]))
    expect_fail(e, "rows 0 and 2 swapped", 0)
    con.execute("UPDATE entries SET entry=?, chain_hash=? WHERE idx=0", (r0[1], r0[2]))
    con.execute("UPDATE entries SET entry=?, chain_hash=? WHERE idx=2", (r2[1], r2[2]))
    expect_ok(e, "restored after swap")

    # 5. A row deleted from the middle (also with the chain recomputed).
    con.execute("DELETE FROM entries WHERE idx=1")
    expect_fail(e, "entry 1 deleted", 1)
    rechain(con)
    expect_fail(e, "entry 1 deleted, chain recomputed", 1)
    con.execute("DELETE FROM entries")
    for r in rows:
        con.execute("INSERT INTO entries(idx, entry, chain_hash) VALUES (?,?,?)", r)
    expect_ok(e, "restored after delete")

    # 6. A row duplicated at the end.
    con.execute("INSERT INTO entries(idx, entry, chain_hash) VALUES (3,?,?)", (rows[2][1], rows[2][2]))
    expect_fail(e, "entry 2 duplicated as 3", 3)
    con.execute("DELETE FROM entries WHERE idx=3")
    expect_ok(e, "restored after duplicate")
    con.close()

    # 7. Another signer's key as trust anchor.
    other = os.path.join(e.dir, "other")
    e.runseal("--home", other, "init", want=0)
    e.runseal("--home", other, "identity", "export", "-o", e.trust, want=0)
    expect_fail(e, "wrong trust anchor", 0)

    print(f"tamper: {e.checks} checks passed")
