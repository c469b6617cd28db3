"""Shared helpers for the Python integration tests (imported, not run)."""
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

SRC = os.environ.get("RUNSEAL_SRC", os.path.abspath(os.path.join(os.path.dirname(__file__), "../..")))
RUNSEAL = os.environ.get("RUNSEAL_BIN", os.path.join(SRC, "build/executor/runseal"))
VERIFY = os.environ.get("RUNSEAL_VERIFY_BIN", os.path.join(SRC, "build/verifier/runseal-verify"))
# A command the binaries are run through, when set (the valgrind build sets
# it to tests/valgrind/memcheck); wrapped() puts it in front of an argv.
WRAP = os.environ.get("RUNSEAL_WRAP") or None


def wrapped(argv):
    """argv, run through RUNSEAL_WRAP when that is set."""
    return ([WRAP] if WRAP else []) + list(argv)


# Set by the valgrind build, where every command costs a second or more of
# memcheck's start-up: loops of hundreds of commands take a sample there.
VALGRIND = os.environ.get("RUNSEAL_VALGRIND") == "1"


def positions(length, step=1, valgrind_max=12):
    """Every step-th index of range(length); under valgrind at most about
    valgrind_max of them, at an even stride across the whole range (so each
    part of a record or bundle still gets some). The byte-flip loops that
    use it have in-process twins that flip every byte under memcheck
    (tests/unit/test_verifier.c)."""
    if VALGRIND:
        step = max(step, -(-length // valgrind_max))
    return range(0, length, step)


class Env:
    """A temporary runseal home with helpers; removed on exit."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="rs-py-")
        self.home = os.path.join(self.dir, "home")
        self.db = os.path.join(self.home, "ledger.db")
        self.trust = os.path.join(self.dir, "trust.pem")
        self.env = dict(os.environ, RUNSEAL_HOME=self.home)
        self.checks = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        shutil.rmtree(self.dir, ignore_errors=True)

    def run(self, *args, want=None):
        p = subprocess.run(wrapped(args) if args[0] in (RUNSEAL, VERIFY) else list(args),
                           env=self.env, capture_output=True, text=True)
        if want is not None and p.returncode != want:
            sys.exit(f"FAIL: {args}: exit {p.returncode}, expected {want}\n"
                     f"stdout: {p.stdout}\nstderr: {p.stderr}")
        if want is not None:
            self.checks += 1
        return p

    def runseal(self, *args, want=None):
        return self.run(RUNSEAL, *args, want=want)

    def verify(self, *args, want=None):
        return self.run(VERIFY, *args, want=want)

    def verify_ledger(self, path=None):
        return self.run(VERIFY, "ledger", path or self.db, "--trust", self.trust)

    def setup_ledger(self, runs=3):
        self.runseal("init", want=0)
        self.runseal("identity", "export", "-o", self.trust, want=0)
        for i in range(runs):
            self.runseal("run", "--quiet", "--", "sh", "-c", f"echo run {i}", want=0)

    def check(self, cond, msg):
        if not cond:
            sys.exit("FAIL: " + msg)
        self.checks += 1


def db_connect(path):
    """Open the ledger for tampering: triggers that guard it are dropped."""
    con = sqlite3.connect(path, isolation_level=None)
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type='trigger'").fetchall():
        con.execute(f"DROP TRIGGER {name}")
    return con


# Minimal protobuf wire helpers for the Entry message (runseal.proto):
# 1 index varint, 2 prev_chain_hash bytes, 3 envelope bytes, 4 appended_unix_ns varint.
def read_varint(b, i):
    shift = v = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return v, i


def varint(v):
    out = bytearray()
    while True:
        c = v & 0x7F
        v >>= 7
        out.append(c | (0x80 if v else 0))
        if not v:
            return bytes(out)


def parse_entry(b):
    """Return [(field, wiretype, value)] for an Entry blob."""
    i, fields = 0, []
    while i < len(b):
        key, i = read_varint(b, i)
        f, wt = key >> 3, key & 7
        if wt == 0:
            v, i = read_varint(b, i)
        elif wt == 2:
            n, i = read_varint(b, i)
            v, i = b[i:i + n], i + n
        else:
            raise ValueError("unexpected wire type")
        fields.append((f, wt, v))
    return fields


def build_entry(fields):
    out = bytearray()
    for f, wt, v in fields:
        out += varint(f << 3 | wt)
        out += varint(v) if wt == 0 else varint(len(v)) + v
    return bytes(out)


def ctx_hash(ctx, *parts):
    h = hashlib.sha256(ctx.encode() + b"\0")
    for p in parts:
        h.update(p)
    return h.digest()


def rechain(con):
    """Recompute every prev_chain_hash and chain_hash, as an attacker who
    rewrote the database would: only signatures can then detect a change."""
    prev = bytes(32)
    for idx, blob in con.execute("SELECT idx, entry FROM entries ORDER BY idx").fetchall():
        fields = [(f, wt, prev if f == 2 else v) for f, wt, v in parse_entry(bytes(blob))]
        entry = build_entry(fields)
        chain = ctx_hash("runseal/v1/chain", prev, ctx_hash("runseal/v1/entry", entry))
        con.execute("UPDATE entries SET entry=?, chain_hash=? WHERE idx=?", (entry, chain, idx))
        prev = chain
