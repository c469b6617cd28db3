#!/usr/bin/env python3
"""Bad input, swept (issue 8).

Every command and every option that takes a file is given each kind of bad
file: missing, empty, truncated, garbage, a valid file of every other kind
(a policy where a bundle is expected, a private key where a trust file is,
the ledger itself...), huge (a 256 MiB sparse file), a directory, a FIFO (which
must be refused, not waited on) and, as an unprivileged caller, an
unreadable file. Then the home itself: its ledger and keys damaged, a full
home and a read-only home (small tmpfs), a ledger locked by another process
past the busy timeout, SIGINT/SIGTERM/SIGHUP to runseal during a run and
during the rootfs measurement. (An invalid TCTI and swtpm stopped mid-run:
tests/integration/tpm_bad_input.sh.)

After each case: the documented exit status (README.md, "Exit statuses"),
a message on stderr that names the problem (the file or option, and what
is wrong with it), the ledger file and its write-ahead log byte-for-byte
what they were, and its rows too (or, where the case is a valid run,
exactly one new entry), no staging directory left behind, and
`runseal-verify ledger` passes: after every case that added an entry, and
at the end of each part (a ledger whose bytes did not change verifies as
it did before).

BAD_INPUT_PROBE=1 prints the whole matrix instead of stopping at the first
case that differs (for whoever changes an exit status on purpose). Under
valgrind (RUNSEAL_VALGRIND=1, scripts/valgrind) every command goes through
memcheck (RUNSEAL_WRAP) and the sweep takes a sample: per option the
missing, garbage and one wrong-kind file, the ledger verified once per
part, and no tmpfs, lock or signal cases (they only add `runseal run`,
which runs natively there); the ASan build runs it all with LeakSanitizer.
"""
import os
import random
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from rstest import RUNSEAL, VALGRIND, VERIFY, wrapped  # noqa: E402

PROBE = os.environ.get("BAD_INPUT_PROBE") == "1"
NOBODY = 65534
differs = []
checks = 0


def fail(msg):
    if PROBE:
        differs.append(msg)
        print("DIFF " + msg)
        return
    sys.exit("FAIL: " + msg)


def ledger_rows(db):
    """Every row of every table, as bytes: the ledger's content."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        out = []
        for (t,) in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"):
            out.append((t, sorted(con.execute(f"SELECT * FROM {t}").fetchall(), key=repr)))
        return out
    finally:
        con.close()


def file_bytes(db):
    """The ledger file and its write-ahead log, byte for byte."""
    out = []
    for suffix in ("", "-wal"):
        try:
            with open(db + suffix, "rb") as f:
                out.append(f.read())
        except FileNotFoundError:
            out.append(None)
    return out


def n_entries(db):
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return con.execute("SELECT count(*) FROM entries").fetchone()[0]
    finally:
        con.close()


class Home:
    """A runseal home with three runs, its trust file, and the checks."""

    def __init__(self, root, name, owner=None):
        self.dir = os.path.join(root, name)
        self.home = os.path.join(self.dir, "home")
        self.db = os.path.join(self.home, "ledger.db")
        self.trust = os.path.join(self.dir, "trust.pem")
        self.owner = owner
        os.makedirs(self.dir)
        if owner is not None:
            os.chown(self.dir, owner, owner)
        self.env = dict(os.environ, RUNSEAL_HOME=self.home)
        if owner is not None:
            # Its own rootfs measurement cache: it cannot write the caller's.
            self.env["RUNSEAL_CACHE"] = os.path.join(self.dir, "cache")
        self.env.pop("RUNSEAL_AUDIT_LOG", None)
        self.must([RUNSEAL, "init"])
        self.must([RUNSEAL, "identity", "export", "-o", self.trust])
        for i in range(3):
            self.must([RUNSEAL, "run", "--quiet", "--", "sh", "-c", f"echo run {i}"])

    def preexec(self):
        if self.owner is not None:
            os.setgroups([])
            os.setgid(self.owner)
            os.setuid(self.owner)

    def run(self, argv, timeout=120, stdin=None):
        # The unprivileged caller runs natively: memcheck's logs are root's.
        argv = wrapped(argv) if self.owner is None else argv
        return subprocess.run(argv, env=self.env, capture_output=True, text=True,
                              errors="replace", timeout=timeout, input=stdin,
                              preexec_fn=self.preexec if self.owner is not None else None)

    def must(self, argv):
        p = self.run(argv)
        if p.returncode != 0:
            sys.exit(f"FAIL: setup {argv}: exit {p.returncode}\n{p.stderr}")
        return p

    def verify_ok(self, what):
        global checks
        p = self.run([VERIFY, "ledger", "--home", self.home, "--trust", self.trust, "-q"])
        if p.returncode != 0:
            fail(f"{what}: runseal-verify ledger afterwards: exit {p.returncode}: {p.stderr.strip()}")
        checks += 1

    def leftovers(self):
        tmp = os.path.join(self.home, "tmp")
        return sorted(os.listdir(tmp)) if os.path.isdir(tmp) else []


def case(h, label, argv, want, names=(), grows=0, timeout=120, stdin=None):
    """Run argv in home h; require exit status want, stderr naming the
    problem (every string of names), the ledger unchanged or grown by
    exactly `grows` complete entries, nothing left in the home's tmp/, and
    the ledger still verifying."""
    global checks
    before = ledger_rows(h.db)
    file_before = file_bytes(h.db)
    n0 = n_entries(h.db)
    p = h.run(argv, timeout=timeout, stdin=stdin)
    got = p.returncode
    if PROBE:
        print(f"[{got:3d}] {label}: {p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ''}"[:400])
    if got != want:
        fail(f"{label}: exit {got}, expected {want}\n  argv: {argv}\n  stderr: {p.stderr.strip()}")
    if got < 0:
        fail(f"{label}: killed by signal {-got}")
    # A verdict (exit 1) is the report on stdout; an error, a line on stderr.
    err = p.stdout + p.stderr if want == 1 else p.stderr
    for n in names:
        if n not in err:
            fail(f"{label}: the message does not name {n!r}: {err.strip()}")
    if want == 1 and "FAILED" not in p.stdout:
        fail(f"{label}: no FAILED verdict on stdout: {p.stdout.strip()!r}")
    if want not in (0, 1) and grows == 0 and not p.stderr.strip():
        fail(f"{label}: exit {want} with no message on stderr")
    if grows == 0:
        if ledger_rows(h.db) != before:
            fail(f"{label}: the ledger changed")
        if file_bytes(h.db) != file_before:
            fail(f"{label}: the ledger's files changed")
    elif n_entries(h.db) != n0 + grows:
        fail(f"{label}: {n_entries(h.db) - n0} new entries, expected {grows}")
    if h.leftovers():
        fail(f"{label}: left in the home's tmp/: {h.leftovers()}")
    # A ledger whose bytes are what they were verifies as it did: verify
    # again only where it changed (each sweep also ends with a verify).
    if grows:
        h.verify_ok(label)
    checks += 1
    return p


# ---- the files -------------------------------------------------------------

def make_files(h, d):
    """Valid files of every kind, made by the project's own commands."""
    k = {}

    def out(name):
        return os.path.join(d, name)

    h.must([RUNSEAL, "export", "1", "-o", out("bundle.pb")])
    h.must([RUNSEAL, "export", "1", "--format", "intoto", "-o", out("intoto.json")])
    with open(out("checkpoint.txt"), "w") as f:
        f.write(h.must([RUNSEAL, "checkpoint"]).stdout)
    with open(out("proof.json"), "w") as f:
        f.write(h.must([RUNSEAL, "prove", "1", "--json"]).stdout)
    with open(out("policy.json"), "w") as f:
        f.write('{"wall_time_ms": 20000, "keep_blobs": false}\n')
    with open(out("rules.json"), "w") as f:
        f.write('{"rules": {"exit_status": 0}}\n')
    shutil.copy(h.trust, out("trust.pem"))
    shutil.copy(os.path.join(h.home, "keys", "signer.key"), out("signer.key"))
    shutil.copy(h.db, out("ledger.db"))
    for kind, name in [("bundle", "bundle.pb"), ("intoto", "intoto.json"),
                       ("checkpoint", "checkpoint.txt"), ("proof", "proof.json"),
                       ("policy", "policy.json"), ("rules", "rules.json"),
                       ("trust", "trust.pem"), ("key", "signer.key"), ("ledger", "ledger.db")]:
        k[kind] = out(name)
    for p in k.values():
        os.chmod(p, 0o644)
    return k


def variants(kind, files, d):
    """(label, path, class) for every bad file in the place of a `kind` file.
    Classes: missing, content (not a valid file of that kind), huge,
    notfile (directory, FIFO), unreadable (exercised as an unprivileged
    caller only)."""
    rnd = random.Random(8)
    v = [("missing", os.path.join(d, "no-such-file"), "missing")]
    empty = os.path.join(d, "empty")
    garbage = os.path.join(d, "garbage")
    if not os.path.exists(empty):
        open(empty, "wb").close()
        with open(garbage, "wb") as f:
            f.write(bytes(rnd.getrandbits(8) for _ in range(4096)))
        with open(os.path.join(d, "huge"), "wb") as f:
            f.truncate(256 << 20)
        os.mkdir(os.path.join(d, "a-directory"))
        os.mkfifo(os.path.join(d, "a-fifo"))
        for p in (empty, garbage, os.path.join(d, "huge")):
            os.chmod(p, 0o644)
    v.append(("empty", empty, "content"))
    v.append(("garbage", garbage, "content"))
    if kind in files:
        with open(files[kind], "rb") as f:
            b = f.read()
        t = os.path.join(d, f"truncated-{kind}")
        with open(t, "wb") as f:
            f.write(b[:len(b) // 2])
        os.chmod(t, 0o644)
        v.append(("truncated", t, "content"))
    for other, path in sorted(files.items()):
        if other != kind and not (kind == "rules" and other == "policy"):
            v.append((f"a {other} file", path, "content"))
    v.append(("huge", os.path.join(d, "huge"), "huge"))
    v.append(("a directory", os.path.join(d, "a-directory"), "notfile"))
    v.append(("a FIFO", os.path.join(d, "a-fifo"), "notfile"))
    if VALGRIND:
        wrong = [x for x in v if x[0].startswith("a ") and x[2] == "content"][:1]
        v = [x for x in v if x[0] in ("missing", "garbage")] + wrong
    return v


def unreadable(d, kind, files):
    """A copy of a valid file of `kind` that an unprivileged caller cannot read."""
    p = os.path.join(d, f"unreadable-{kind}")
    shutil.copy(files[kind], p)
    os.chmod(p, 0)
    return p


# ---- the sweep -------------------------------------------------------------

def sweep_files(h, files, d):
    """Every file-taking option of both binaries, with every bad file."""
    b, t, hm = files["bundle"], h.trust, h.home
    # (label, kind, argv with F for the file, {class: status})
    # runseal run fails as 125 whatever the cause: its own statuses are the
    # program's (README.md).
    RUN = {"missing": 125, "content": 125, "huge": 125, "notfile": 125, "unreadable": 125}
    IN = {"missing": 66, "content": 65, "huge": 65, "notfile": 65, "unreadable": 74}
    # Evidence that does not parse does not verify: 1 (a bundle, a proof).
    EVIDENCE = {"missing": 66, "content": 1, "huge": 65, "notfile": 65, "unreadable": 74}
    slots = [
        ("run --policy", "policy", [RUNSEAL, "run", "--policy", "F", "--", "true"], RUN),
        ("verify ledger PATH", "ledger", [VERIFY, "ledger", "F", "--trust", t], IN),
        ("verify ledger --trust", "trust", [VERIFY, "ledger", "--home", hm, "--trust", "F"], IN),
        ("verify ledger --checkpoint", "checkpoint",
         [VERIFY, "ledger", "--home", hm, "--trust", t, "--checkpoint", "F"], IN),
        ("verify ledger --since", "checkpoint",
         [VERIFY, "ledger", "--home", hm, "--trust", t, "--since", "F"], IN),
        ("verify ledger --policy", "rules",
         [VERIFY, "ledger", "--home", hm, "--trust", t, "--policy", "F"], IN),
        ("verify bundle FILE", "bundle", [VERIFY, "bundle", "F", "--trust", t], EVIDENCE),
        ("verify bundle --trust", "trust", [VERIFY, "bundle", b, "--trust", "F"], IN),
        ("verify bundle --policy", "rules", [VERIFY, "bundle", b, "--trust", t, "--policy", "F"], IN),
        ("verify proof FILE", "proof", [VERIFY, "proof", "F", "--trust", t], EVIDENCE),
        ("verify proof --trust", "trust", [VERIFY, "proof", files["proof"], "--trust", "F"], IN),
        ("verify replay BUNDLE", "bundle", [VERIFY, "replay", "F", "--trust", t], EVIDENCE),
        ("verify replay --trust", "trust", [VERIFY, "replay", b, "--trust", "F"], IN),
        ("verify enroll IDENTITY", "identity",
         [VERIFY, "enroll", "F", "--allow-no-ek-cert", "--challenge", os.path.join(d, "ch.pem"),
          "--state", os.path.join(d, "st.pem")], IN),
    ]
    for label, kind, argv, want in slots:
        for vlabel, path, cls in variants(kind, files, d):
            a = [path if x == "F" else x for x in argv]
            # An error names the file; a verdict (exit 1) names what it is not.
            names = ([kind] if want[cls] == 1 else [os.path.basename(path)])
            case(h, f"{label} <- {vlabel}", a, want[cls], names=names)
        for p in (os.path.join(d, "ch.pem"), os.path.join(d, "st.pem")):
            if os.path.exists(p):
                os.unlink(p)
    return slots


def sweep_unreadable(root, h, files, d, slots):
    """As an unprivileged caller with its own home: the same options, given
    a file it cannot read."""
    os.chmod(root, 0o755)
    os.chmod(d, 0o755)
    u = Home(root, "nobody", owner=NOBODY)
    for label, kind, argv, want in slots:
        if kind not in files:
            continue
        p = unreadable(d, kind, files)
        a = [p if x == "F" else u.home if x == h.home else u.trust if x == h.trust else x
             for x in argv]
        case(u, f"{label} <- unreadable (uid {NOBODY})", a, want["unreadable"],
             names=[os.path.basename(p)])
        os.unlink(p)
    u.verify_ok("the unreadable files")
    # An input the caller cannot read, and an unreadable --in.
    p = unreadable(d, "policy", files)
    case(u, "run --in <- unreadable", [RUNSEAL, "run", "--in", p, "--", "true"], 125,
         names=[os.path.basename(p)])
    os.unlink(p)


def sweep_run_args(h, d):
    """runseal run's other arguments: --in, --out, --rootfs, --audit-log, the command."""
    case(h, "run --in <- missing", [RUNSEAL, "run", "--in", os.path.join(d, "nope"), "--", "true"],
         125, names=["nope"])
    case(h, "run --in <- a directory", [RUNSEAL, "run", "--in", os.path.join(d, "a-directory"),
                                         "--", "true"], 125, names=["a-directory"])
    case(h, "run --in <- a FIFO", [RUNSEAL, "run", "--in", os.path.join(d, "a-fifo"), "--", "true"],
         125, names=["a-fifo"])
    case(h, "run --in NAME with a slash", [RUNSEAL, "run", "--in",
                                           os.path.join(d, "empty") + "=../x", "--", "true"],
         125, names=["../x"])
    case(h, "run --in twice the same name",
         [RUNSEAL, "run", "--in", os.path.join(d, "empty") + "=a", "--in",
          os.path.join(d, "garbage") + "=a", "--", "true"], 125, names=["a"])
    # A file whose own name has an '=' is taken whole, not split as PATH=NAME.
    kv = os.path.join(d, "k=v.csv")
    with open(kv, "w") as f:
        f.write("kv\n")
    p = case(h, "run --in <- a file named k=v.csv", [RUNSEAL, "run", "-q", "--in", kv, "--", "cat",
                                                     "/work/in/k=v.csv"], 0, grows=1)
    if p.stdout != "kv\n":
        fail(f"run --in k=v.csv: the program read {p.stdout!r}")
    # Any regular file is a valid input: the run happens and is recorded.
    case(h, "run --in <- garbage (valid data)", [RUNSEAL, "run", "-q", "--in",
                                                 os.path.join(d, "garbage"), "--", "true"], 0, grows=1)
    notempty = os.path.join(d, "not-empty")
    os.makedirs(notempty, exist_ok=True)
    open(os.path.join(notempty, "keep"), "w").close()
    case(h, "run --out <- a non-empty directory", [RUNSEAL, "run", "--out", notempty, "--", "true"],
         125, names=["not-empty"])
    case(h, "run --out <- a file", [RUNSEAL, "run", "--out", os.path.join(d, "garbage"), "--", "true"],
         125, names=["garbage"])
    case(h, "run --rootfs <- missing", [RUNSEAL, "run", "--rootfs", os.path.join(d, "nope"), "--", "true"],
         125, names=["nope"])
    case(h, "run --rootfs <- a file", [RUNSEAL, "run", "--rootfs", os.path.join(d, "garbage"),
                                        "--", "true"], 125, names=["garbage"])
    # The audit event is written after the append: a failure there is a
    # warning, the entry stands (README.md, audit events).
    case(h, "run --audit-log <- in a missing directory",
         [RUNSEAL, "run", "-q", "--audit-log", os.path.join(d, "no", "dir", "audit.jsonl"), "--", "true"],
         0, grows=1, names=["audit"])
    case(h, "run with no command", [RUNSEAL, "run"], 125, names=["no command"])
    case(h, "run --bogus", [RUNSEAL, "run", "--bogus", "--", "true"], 125, names=["bogus"])
    # The program itself: not found, not executable (recorded: it is the program's fate).
    case(h, "run a missing program", [RUNSEAL, "run", "-q", "--", "/no/such/program"], 127, grows=1)


def sweep_args(h, d):
    """Arguments that are not files: indexes, sizes, digests, formats."""
    R, V = RUNSEAL, VERIFY
    for label, argv, want, names in [
        ("show <- not a number", [R, "show", "abc"], 64, ["abc"]),
        ("show <- negative", [R, "show", "-1"], 64, ["1"]),
        ("show <- past the end", [R, "show", "999"], 66, ["999"]),
        ("show <- 2^64", [R, "show", "18446744073709551616"], 64, ["18446744073709551616"]),
        ("show <- missing", [R, "show"], 64, ["INDEX"]),
        ("export <- past the end", [R, "export", "999", "-o", os.path.join(d, "x.pb")], 66, ["999"]),
        ("export --format <- unknown", [R, "export", "0", "--format", "zip"], 64, ["zip"]),
        ("export --sign-with <- unknown", [R, "export", "0", "--format", "intoto", "--sign-with", "x"],
         64, ["x"]),
        ("export -o <- in a missing directory", [R, "export", "0", "-o", os.path.join(d, "no", "x.pb")],
         74, ["no/x.pb"]),
        ("checkpoint --size <- not a number", [R, "checkpoint", "--size", "ten"], 64, ["ten"]),
        ("checkpoint --size <- past the end", [R, "checkpoint", "--size", "999"], 66, ["999"]),
        ("prove <- past the end", [R, "prove", "999"], 66, ["999"]),
        ("prove --consistency <- old > new", [R, "prove", "--consistency", "3", "2"], 64, ["3"]),
        ("blob get <- not a digest", [R, "blob", "get", "xyz"], 64, ["xyz"]),
        ("blob get <- unknown digest", [R, "blob", "get", "sha256:" + "0" * 64], 66, ["0000"]),
        ("identity activate <- a software home", [R, "identity", "activate", os.path.join(d, "garbage")],
         78, ["TPM"]),
        ("init --signer <- unknown", [R, "--home", os.path.join(d, "h1"), "init", "--signer", "hsm"],
         64, ["hsm"]),
        ("init --app-pcr <- 99", [R, "--home", os.path.join(d, "h2"), "init", "--signer", "tpm",
                                  "--app-pcr", "99"], 64, ["99"]),
        ("init --home <- a file", [R, "--home", os.path.join(d, "garbage"), "init"], 74, ["garbage"]),
        ("unknown command", [R, "frobnicate"], 64, ["frobnicate"]),
        ("verify: unknown command", [V, "frobnicate"], 64, ["frobnicate"]),
        ("verify ledger --threads <- 0", [V, "ledger", "--home", h.home, "--trust", h.trust,
                                          "--threads", "0"], 64, ["threads"]),
        ("verify ledger --report <- in a missing directory",
         [V, "ledger", "--home", h.home, "--trust", h.trust, "--report", os.path.join(d, "no", "r.html")],
         74, ["no/r.html"]),
        ("verify ledger --home <- missing", [V, "ledger", "--home", os.path.join(d, "nohome"),
                                             "--trust", h.trust], 66, ["nohome"]),
        ("verify replay --blobs <- missing", [V, "replay", os.path.join(d, "bundle.pb"), "--trust",
                                              h.trust, "--blobs", os.path.join(d, "noblobs")], 66,
         ["noblobs"]),
    ]:
        case(h, label, argv, want, names=names)


def sweep_mcp(h, files, d):
    """runseal mcp refuses a bad configuration before it serves anything."""
    R = RUNSEAL
    for label, argv, want, names in [
        ("mcp --policy <- missing", ["--policy", os.path.join(d, "nope.json")], 66, ["nope.json"]),
        ("mcp --policy <- a trust file", ["--policy", files["trust"]], 78, ["trust.pem"]),
        ("mcp --policy <- a FIFO", ["--policy", os.path.join(d, "a-fifo")], 65, ["a-fifo"]),
        ("mcp --policy-dir <- missing", ["--policy-dir", os.path.join(d, "nodir")], 66, ["nodir"]),
        ("mcp --rules-dir <- a file", ["--rules-dir", files["rules"]], 64, ["rules.json"]),
        ("mcp --input-root <- missing", ["--input-root", os.path.join(d, "noroot")], 66, ["noroot"]),
        ("mcp: an argument", ["stray"], 64, ["stray"]),
    ]:
        case(h, label, [R, "mcp"] + argv, want, names=names, stdin="")


def sweep_full_home(root):
    """A full home (a 4 MiB tmpfs filled up): runs fail as 125 naming the
    disk, nothing is half-appended; readers and the verifier still work."""
    mnt = os.path.join(root, "full")
    os.makedirs(mnt)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mnt], check=True)
    try:
        h = Home(mnt, "h")
        filler = os.path.join(mnt, "filler")
        # Page by page (tmpfs allocates pages) until the disk refuses.
        subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=4096"], capture_output=True)
        case(h, "run in a full home", [RUNSEAL, "run", "--", "sh", "-c", "echo hi"], 125,
             names=["disk is full"])
        case(h, "run --json in a full home", [RUNSEAL, "run", "--json", "--", "true"], 125,
             names=["disk is full"])
        for argv in ([RUNSEAL, "log"], [RUNSEAL, "show", "0"], [RUNSEAL, "checkpoint"],
                     [RUNSEAL, "prove", "1"]):
            case(h, f"{argv[1]} in a full home", argv, 0)
        case(h, "export into a full home", [RUNSEAL, "export", "0", "-o", os.path.join(mnt, "b.pb")],
             74, names=["b.pb"])
        os.unlink(filler)
        case(h, "run once the disk has room again", [RUNSEAL, "run", "-q", "--", "true"], 0, grows=1)
        # Read-only: the same home remounted.
        subprocess.run(["mount", "-o", "remount,ro", mnt], check=True)
        case(h, "run in a read-only home", [RUNSEAL, "run", "--", "true"], 125,
             names=["Read-only file system"])
        case(h, "checkpoint in a read-only home", [RUNSEAL, "checkpoint"], 0)
        case(h, "init over a read-only home", [RUNSEAL, "--home", os.path.join(mnt, "new"), "init"], 74,
             names=["Read-only file system"])
        h.verify_ok("the read-only home")
    finally:
        subprocess.run(["umount", "-l", mnt])


def sweep_locked(h):
    """A ledger locked by another process past the busy timeout (10 s):
    writers give up with a message naming the lock; readers are not blocked."""
    con = sqlite3.connect(h.db, isolation_level=None, timeout=1)
    con.execute("BEGIN IMMEDIATE")
    try:
        rows = ledger_rows(h.db)
        t0 = time.monotonic()
        p = h.run([RUNSEAL, "run", "--", "true"])
        waited = time.monotonic() - t0
        global checks
        if p.returncode != 125 or "locked by another process" not in p.stderr:
            fail(f"run on a locked ledger: exit {p.returncode}: {p.stderr.strip()}")
        if waited < 9:
            fail(f"run on a locked ledger gave up after {waited:.1f} s, before the busy timeout")
        p = h.run([RUNSEAL, "log"])
        if p.returncode != 0:
            fail(f"log while the ledger is locked: exit {p.returncode}: {p.stderr.strip()}")
        if ledger_rows(h.db) != rows:
            fail("the locked ledger changed")
        checks += 4
    finally:
        con.rollback()
        con.close()
    h.verify_ok("after the lock")


def sweep_signals(h):
    """SIGINT, SIGTERM and SIGHUP to runseal during a run: the program is
    stopped, runseal says so and exits 128+N, nothing is appended; the same
    during the rootfs measurement (--remeasure)."""
    global checks
    for sig, argv, what in [
        (signal.SIGINT, ["sh", "-c", "echo started; sleep 61.25"], "during the program"),
        (signal.SIGTERM, ["sh", "-c", "echo started; sleep 61.25"], "during the program"),
        (signal.SIGHUP, ["sh", "-c", "echo started; sleep 61.25"], "during the program"),
        (signal.SIGTERM, ["--remeasure", "true"], "during the rootfs measurement"),
    ]:
        rows = ledger_rows(h.db)
        opts = argv[:1] if argv[0].startswith("--") else []
        cmd = argv[1:] if opts else argv
        p = subprocess.Popen([RUNSEAL, "run", "-q"] + opts + ["--"] + cmd, env=h.env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if what == "during the program":
            # The program's own stdout passes through: it has started.
            if p.stdout.readline().strip() != "started":
                fail(f"{sig.name}: the program did not start")
        else:
            time.sleep(2.0)             # a cold measurement takes seconds
        t0 = time.monotonic()
        p.send_signal(sig)
        out, err = p.communicate(timeout=30)
        took = time.monotonic() - t0
        label = f"{sig.name} {what}"
        if p.returncode != 128 + sig.value:
            fail(f"{label}: exit {p.returncode}, expected {128 + sig.value}: {err.strip()}")
        if f"interrupted by {sig.name}" not in err or "nothing was appended" not in err:
            fail(f"{label}: message: {err.strip()}")
        if took > 5:
            fail(f"{label}: runseal took {took:.1f} s to stop")
        if ledger_rows(h.db) != rows:
            fail(f"{label}: the ledger changed")
        if h.leftovers():
            fail(f"{label}: left in the home's tmp/: {h.leftovers()}")
        # No process of the sandbox is left behind.
        ps = subprocess.run(["pgrep", "-f", "sleep 61.25"], capture_output=True, text=True)
        if ps.stdout.strip():
            fail(f"{label}: sandboxed processes left running: {ps.stdout.split()}")
        h.verify_ok(label)
        checks += 5


def sweep_home(root, d):
    """The home itself damaged: its ledger, its keys, a missing home."""
    R = RUNSEAL
    h = Home(root, "damaged")
    keys = os.path.join(h.home, "keys")
    # Not initialised.
    env_none = dict(h.env, RUNSEAL_HOME=os.path.join(d, "never-made"))
    for argv in ([R, "run", "--", "true"], [R, "log"], [R, "checkpoint"]):
        p = subprocess.run(wrapped(argv), env=env_none, capture_output=True, text=True)
        want = 125 if argv[1] == "run" else 78
        if p.returncode != want or "never-made" not in p.stderr:
            fail(f"{argv[1]} in a home never made: exit {p.returncode}: {p.stderr.strip()}")
        global checks
        checks += 1
    # A damaged key: every command that needs it says which key, and the
    # ledger is untouched. (The ledger key signs checkpoints; the signer key, records.)
    for name, wants in [("signer.key", {"run": 125, "export": 0, "checkpoint": 0}),
                        ("ledger.key", {"run": 125, "export": 0, "checkpoint": 0})]:
        path = os.path.join(keys, name)
        good = open(path, "rb").read()
        with open(path, "wb") as f:
            f.write(b"-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n")
        p = case(h, f"run with a damaged {name}", [R, "run", "--", "sh", "-c", "echo RAN"],
                 wants["run"], names=[name])
        # A run that cannot be recorded is not started.
        if "RAN" in p.stdout:
            fail(f"run with a damaged {name}: the program ran")
        with open(path, "wb") as f:
            f.write(good)
    # The ledger file replaced by another kind of file: nothing writes to it.
    good = os.path.join(d, "good-ledger.db")
    shutil.copy(h.db, good)
    for label, content in [("empty", b""), ("garbage", os.urandom(8192)),
                           ("a bundle", open(os.path.join(d, "bundle.pb"), "rb").read())]:
        for suffix in ("-wal", "-shm"):
            if os.path.exists(h.db + suffix):
                os.unlink(h.db + suffix)
        with open(h.db, "wb") as f:
            f.write(content)
        for argv, want in (([R, "run", "--", "true"], 125), ([R, "log"], 65), ([R, "checkpoint"], 65),
                           ([VERIFY, "ledger", "--home", h.home, "--trust", h.trust], 65)):
            p = h.run(argv)
            if p.returncode != want or "ledger.db" not in p.stderr:
                fail(f"{argv[1]} with a ledger that is {label}: exit {p.returncode} "
                     f"(expected {want}): {p.stderr.strip()}")
            after = open(h.db, "rb").read()
            if after != content:
                fail(f"{argv[1]} wrote to a ledger that is {label}")
            checks += 2
        for suffix in ("-wal", "-shm"):
            if os.path.exists(h.db + suffix):
                os.unlink(h.db + suffix)
        shutil.copy(good, h.db)
    h.verify_ok("ledger restored")


def main():
    if os.geteuid() != 0:
        print("SKIP: needs root (tmpfs mounts, an unprivileged caller via setuid)")
        sys.exit(77)
    root = tempfile.mkdtemp(prefix="rs-bad-")
    try:
        h = Home(root, "main")
        d = os.path.join(root, "files")
        os.makedirs(d)
        files = make_files(h, d)
        slots = sweep_files(h, files, d)
        sweep_unreadable(root, h, files, d, slots)
        h.verify_ok("the file sweeps")
        sweep_run_args(h, d)
        sweep_args(h, d)
        sweep_mcp(h, files, d)
        h.verify_ok("the argument sweeps")
        sweep_home(root, d)
        if not VALGRIND:
            sweep_full_home(root)
            sweep_locked(h)
            sweep_signals(h)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if differs:
        print(f"{len(differs)} cases differ")
        sys.exit(1)
    print(f"bad_input: {checks} checks passed")


if __name__ == "__main__":
    main()
