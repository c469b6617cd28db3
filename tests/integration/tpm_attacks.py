#!/usr/bin/env python3
"""TPM evidence under attack, and checked by a tool we did not write.

A TPM-signed ledger is made against a swtpm this test starts; then each
attack rewrites a copy of the SQLite file the way an attacker who owns the
database would (recomputing every software chain hash), and
`runseal-verify ledger` must exit 1 naming the entry and the reason that
attack is caught by. Each attack fails for its own reason:

  record altered (the quote is over another digest), a genuine TPM quote
  by the enrolled AK over another digest, a quote reused from another
  entry, a quote by an AK that is not enrolled, a PCR value altered, a
  record removed from the middle and two records swapped (PCR replay), an
  old entry replayed later (TPM clock backwards), trailing bytes after
  TPMS_ATTEST, wrong magic, wrong type.

Interoperability: a quote taken out of an entry is checked with
tpm2_checkquote (tpm2-tools), which must accept it with the record digest
as qualifying data and refuse it with another entry's digest or an
altered PCR value."""
import base64
import hashlib
import json
import os
import shutil
import struct
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from rstest import (RUNSEAL, SRC, Env, build_entry, db_connect, parse_entry,  # noqa: E402
                    rechain, wrapped)

for tool in ("swtpm", "swtpm_setup", "swtpm_localca"):
    if shutil.which(tool) is None:
        print(f"SKIP: {tool} not installed")
        sys.exit(77)

SWTPM = os.path.join(SRC, "scripts", "swtpm")
RUNS = 6
PCRS = "sha256:0,1,2,3,4,5,6,7,23"


# ---- protobuf fields (runseal.proto): Entry 3 = envelope; Envelope 2 = record,
# 6 = tpm; TpmEvidence 1 = attest, 2 = signature, 4 = pcrs, 6 = ak_name;
# PcrValue 1 = index, 2 = value.
def field(b, n):
    return next(v for f, _, v in parse_entry(b) if f == n)


def fields_of(b, n):
    return [v for f, _, v in parse_entry(b) if f == n]


def replace(b, n, value):
    return build_entry([(f, wt, value if f == n else v) for f, wt, v in parse_entry(b)])


def replace_repeated(b, n, values):
    out, it = [], iter(values)
    for f, wt, v in parse_entry(b):
        out.append((f, wt, next(it) if f == n else v))
    return build_entry(out)


def record_digest(envelope):
    return hashlib.sha256(b"runseal/v1/record\0" + field(envelope, 2)).digest()


def entries(db):
    con = db_connect(db)
    rows = con.execute("SELECT idx, entry FROM entries ORDER BY idx").fetchall()
    con.close()
    return [bytes(e) for _, e in rows]


def envelope_of(db, idx):
    return field(entries(db)[idx], 3)


def tamper_envelope(db, idx, fn):
    con = db_connect(db)
    (blob,) = con.execute("SELECT entry FROM entries WHERE idx=?", (idx,)).fetchone()
    entry = bytes(blob)
    con.execute("UPDATE entries SET entry=? WHERE idx=?", (replace(entry, 3, fn(field(entry, 3))), idx))
    rechain(con)
    con.close()


def tamper_evidence(db, idx, fn):
    tamper_envelope(db, idx, lambda env: replace(env, 6, fn(field(env, 6))))


def tools_pcrs(values):
    """The PCR file tpm2_quote -o writes and tpm2_checkquote -f reads (tpm2-tools'
    own layout, x86-64 structs): TPML_PCR_SELECTION, then UINT32 n and n
    TPML_DIGEST of up to 8 values (tpm2-tools 5.4 cannot take 9 raw values
    with -l). The selection is runseal's default, sha256:0-7,23."""
    mask = 0xFF | 1 << 23
    sel = struct.pack("<IHB", 1, 0x000B, 3) + struct.pack("<I", mask) + b"\0"
    out = sel.ljust(4 + 16 * 8, b"\0")
    groups = [values[i:i + 8] for i in range(0, len(values), 8)]
    out += struct.pack("<I", len(groups))
    for g in groups:
        lst = struct.pack("<I", len(g)) + b"".join(struct.pack("<H", 32) + v.ljust(64, b"\0") for v in g)
        out += lst.ljust(4 + 8 * 66, b"\0")
    return out


def renumber(con):
    """After rows were deleted or moved: idx 0.. and Entry.index again, as an attacker would."""
    rows = con.execute("SELECT idx, entry FROM entries ORDER BY idx").fetchall()
    con.execute("DELETE FROM entries")
    for k, (_, blob) in enumerate(rows):
        con.execute("INSERT INTO entries(idx, entry, chain_hash) VALUES (?, ?, ?)",
                    (k, replace(bytes(blob), 1, k), bytes(32)))
    rechain(con)


with Env() as e:
    tpmdir = os.path.join(e.dir, "tpm")
    tcti = subprocess.run([SWTPM, "start", tpmdir], capture_output=True, text=True, check=True).stdout.strip()
    try:
        e.env.update(RUNSEAL_TCTI=tcti, TPM2TOOLS_TCTI=tcti)
        ek_ca = os.path.join(tpmdir, "ek-ca.pem")
        d = e.dir

        # A TPM home, enrolled by credential activation.
        e.runseal("init", "--signer", "tpm", want=0)
        e.runseal("identity", "export", "-o", f"{d}/id.pem", want=0)
        e.verify("enroll", f"{d}/id.pem", "--ek-ca", ek_ca, "--challenge", f"{d}/c.pem",
                 "--state", f"{d}/s.pem", want=0)
        e.runseal("identity", "activate", f"{d}/c.pem", "-o", f"{d}/r.pem", want=0)
        e.verify("enroll", "--response", f"{d}/r.pem", "--state", f"{d}/s.pem", "--trust", e.trust, want=0)
        for i in range(RUNS):
            e.runseal("run", "--quiet", "--", "sh", "-c", f"echo run {i}", want=0)
        p = e.verify_ledger()
        e.check(p.returncode == 0 and "EK certificate chain verified" in p.stdout, f"pristine ledger: {p.stdout}{p.stderr}")
        pristine = os.path.join(d, "pristine.db")
        shutil.copy(e.db, pristine)

        # A second AK on the same TPM, never enrolled (its own home, PCR 16).
        e2 = dict(e.env, RUNSEAL_HOME=os.path.join(d, "home2"))
        subprocess.run(wrapped([RUNSEAL, "init", "--signer", "tpm", "--app-pcr", "16"]), env=e2,
                       check=True, capture_output=True)
        subprocess.run([RUNSEAL, "run", "--quiet", "--", "true"], env=e2, check=True, capture_output=True)
        foreign = envelope_of(os.path.join(d, "home2", "ledger.db"), 0)

        # A genuine quote by the enrolled AK over a digest of the attacker's choosing.
        cfg = json.load(open(os.path.join(e.home, "keys", "tpm.json")))
        auth = open(os.path.join(e.home, "keys", "tpm-ak.auth"), "rb").read().hex()
        q = subprocess.run(["tpm2_quote", "-c", cfg["ak_handle"], "-p", f"hex:{auth}", "-l", PCRS,
                            "-q", "ab" * 32, "-m", f"{d}/q.msg", "-s", f"{d}/q.sig", "-g", "sha256"],
                           env=e.env, capture_output=True, text=True)
        e.check(q.returncode == 0, f"tpm2_quote: {q.stderr}")
        forged_attest = open(f"{d}/q.msg", "rb").read()
        forged_sig = open(f"{d}/q.sig", "rb").read()

        def attack(name, entry, reason, fn):
            db = os.path.join(d, f"attack-{name}.db")
            shutil.copy(pristine, db)
            fn(db)
            p = e.verify_ledger(db)
            e.check(p.returncode == 1, f"{name}: verifier exit {p.returncode}, expected 1\n{p.stdout}{p.stderr}")
            e.check(f"entry {entry}:" in p.stdout, f"{name}: reason does not name entry {entry}: {p.stdout}")
            e.check(reason in p.stdout, f"{name}: reason lacks '{reason}': {p.stdout}")
            e.check(":marshal:" not in p.stderr, f"{name}: tpm2-tss log lines on stderr: {p.stderr}")

        attack("record-altered", 2, "(no record in this ledger has that digest: a quote over another digest)",
               lambda db: tamper_envelope(db, 2, lambda env: replace(env, 2, field(env, 2).replace(b"echo run 2", b"echo run X"))))
        attack("genuine-quote-other-digest", 3, "qualifyingData is not this record's digest",
               lambda db: tamper_evidence(db, 3, lambda ev: replace(replace(ev, 1, forged_attest), 2, forged_sig)))
        attack("quote-reused", 3, "(it is entry 1's record digest: a quote reused from another entry)",
               lambda db: tamper_evidence(db, 3, lambda ev: field(envelope_of(db, 1), 6)))
        attack("unenrolled-ak", 4, "which is not enrolled in the trust file",
               lambda db: tamper_envelope(db, 4, lambda env: foreign))

        def alter_pcr0(ev):
            pcrs = fields_of(ev, 4)
            first = replace(pcrs[0], 2, bytes([field(pcrs[0], 2)[0] ^ 1]) + field(pcrs[0], 2)[1:])
            return replace_repeated(ev, 4, [first] + pcrs[1:])
        attack("pcr-altered", 2, "a PCR value was altered", lambda db: tamper_evidence(db, 2, alter_pcr0))

        def drop_middle(db):
            con = db_connect(db)
            con.execute("DELETE FROM entries WHERE idx=2")
            renumber(con)
            con.close()
        attack("record-removed", 2, "PCR replay mismatch", drop_middle)

        def swap(db):
            con = db_connect(db)
            rows = dict(con.execute("SELECT idx, entry FROM entries").fetchall())
            con.execute("UPDATE entries SET entry=? WHERE idx=2", (rows[3],))
            con.execute("UPDATE entries SET entry=? WHERE idx=3", (rows[2],))
            renumber(con)
            con.close()
        attack("records-swapped", 2, "PCR replay mismatch", swap)
        attack("clock-backwards", 4, "the TPM clock went backwards",
               lambda db: tamper_envelope(db, 4, lambda env: envelope_of(db, 0)))
        attack("trailing-bytes", 2, "TPMS_ATTEST is followed by 1 trailing byte(s)",
               lambda db: tamper_evidence(db, 2, lambda ev: replace(ev, 1, field(ev, 1) + b"\0")))
        attack("wrong-magic", 2, "not TPM_GENERATED_VALUE",
               lambda db: tamper_evidence(db, 2, lambda ev: replace(ev, 1, b"\xff\x54\x43\x48" + field(ev, 1)[4:])))
        attack("wrong-type", 2, "type is 0x8017, not TPM_ST_ATTEST_QUOTE",
               lambda db: tamper_evidence(db, 2, lambda ev: replace(ev, 1, field(ev, 1)[:4] + b"\x80\x17" + field(ev, 1)[6:])))

        # Interoperability: tpm2_checkquote checks a quote taken out of entry 1.
        env1 = envelope_of(pristine, 1)
        ev = field(env1, 6)
        open(f"{d}/msg.bin", "wb").write(field(ev, 1))
        open(f"{d}/sig.bin", "wb").write(field(ev, 2))
        values = [field(pv, 2) for pv in fields_of(ev, 4)]
        open(f"{d}/pcrs.bin", "wb").write(tools_pcrs(values))
        block = open(e.trust).read().split("-----BEGIN RUNSEAL TPM AK-----\n")[1].split("-----END")[0]
        akpub = base64.b64decode("".join(block.split("\n\n", 1)[1].split()))
        open(f"{d}/ak.pub", "wb").write(len(akpub).to_bytes(2, "big") + akpub)     # TPM2B_PUBLIC

        def checkquote(qual, pcrfile):
            return subprocess.run(["tpm2_checkquote", "-u", f"{d}/ak.pub", "-m", f"{d}/msg.bin", "-s", f"{d}/sig.bin",
                                   "-f", pcrfile, "-g", "sha256", "-q", qual.hex()],
                                  env=e.env, capture_output=True, text=True)
        p = checkquote(record_digest(env1), f"{d}/pcrs.bin")
        e.check(p.returncode == 0, f"tpm2_checkquote refused a runseal quote: {p.stdout}{p.stderr}")
        p = checkquote(record_digest(envelope_of(pristine, 2)), f"{d}/pcrs.bin")
        e.check(p.returncode != 0, "tpm2_checkquote accepted another record's digest")
        open(f"{d}/pcrs-bad.bin", "wb").write(tools_pcrs(values[:-1] + [bytes(32)]))
        p = checkquote(record_digest(env1), f"{d}/pcrs-bad.bin")
        e.check(p.returncode != 0, "tpm2_checkquote accepted an altered PCR value")
    finally:
        subprocess.run([SWTPM, "stop", tpmdir], capture_output=True)
    print(f"tpm_attacks.py: {e.checks} checks passed")
