#!/usr/bin/env python3
"""Fault injection with libfiu: fsync, fdatasync and pwrite failing with EIO
and ENOSPC while appending.

Each failure must give a clear error (naming the ledger and the failure),
no acknowledgement, and a ledger that still verifies with every earlier
acknowledged entry intact; after the fault is gone, appends work again. A
call the append does not depend on (fsync: SQLite syncs its WAL with
fdatasync) may let the append succeed, which must then be complete.

The failure points are enabled inside tests/tools/ledger_appender once the
ledger is open (libfiu's API, under `fiu-run -x`), so they hit the appends
themselves; `runseal run` and `runseal init` are also run with failures
from their start. Skipped (77) without fiu-run or libfiu."""
import errno
import json
import os
import shutil
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
from rstest import RUNSEAL, Env, wrapped  # noqa: E402

BUILD = os.environ.get("RUNSEAL_BUILD", os.path.join(os.path.dirname(RUNSEAL), ".."))
APPENDER = os.path.join(BUILD, "tests", "ledger_appender")
FIU_RUN = shutil.which("fiu-run")
ON_COMMIT_PATH = {"posix/io/sync/fdatasync", "posix/io/rw/pwrite"}

if FIU_RUN is None or not os.access(APPENDER, os.X_OK):
    print("ledger_faults: fiu-run (fiu-utils) or the appender is missing; skipped")
    sys.exit(77)
FEATURES = subprocess.run([APPENDER, "--features"], capture_output=True, text=True).stdout.split()
if "fiu" not in FEATURES:
    print("ledger_faults: the appender was built without libfiu (libfiu-dev); skipped")
    sys.exit(77)
if "asan" in FEATURES:
    # libfiu's preload wrappers and ASan's interceptors crash together; the
    # normal build runs this test.
    print("ledger_faults: not under AddressSanitizer (libfiu preload); skipped")
    sys.exit(77)
env_extra = {}


def stored(e):
    con = sqlite3.connect(f"file:{e.db}?mode=ro", uri=True)
    rows = dict(con.execute("SELECT idx, chain_hash FROM entries").fetchall())
    con.close()
    return {i: bytes(h).hex() for i, h in rows.items()}


def appender(e, *args, die=False):
    """The appender under fiu-run. With a failure that it survives, also
    through RUNSEAL_WRAP (memcheck: the ledger's error paths, which the
    ASan build cannot run with libfiu)."""
    env = dict(e.env, **env_extra)
    argv = [APPENDER, e.home, *args]
    if die:
        env["LEDGER_APPENDER_DIE_ON_ERROR"] = "1"
    elif "--fail" in args:
        argv = wrapped(argv)
    return subprocess.run([FIU_RUN, "-x", *argv], env=env, capture_output=True, text=True)


def acks(out):
    return {int(ln.split()[1]): ln.split()[2] for ln in out.splitlines()
            if ln.startswith("appended ")}


def verify_ok(e, what):
    p = e.verify("ledger", e.db, "--trust", e.trust, "--json")
    e.check(p.returncode == 0, f"{what}: ledger does not verify\n{p.stdout}{p.stderr}")
    return json.loads(p.stdout)["entries"]


with Env() as e:
    e.setup_ledger(runs=0)
    p = appender(e, "3")
    e.check(p.returncode == 0 and len(acks(p.stdout)) == 3, f"plain appends: {p.stderr}")
    acked = acks(p.stdout)

    for point in ("posix/io/sync/fsync", "posix/io/sync/fdatasync", "posix/io/rw/pwrite"):
        for err in (errno.EIO, errno.ENOSPC):
            for die in (False, True):
                what = f"{point} {errno.errorcode[err]}{' then killed' if die else ''}"
                before = stored(e)
                p = appender(e, "2", "--fail", point, str(err), die=die)
                got = acks(p.stdout)
                if p.returncode != 0:
                    e.check(got == {}, f"{what}: acknowledged despite the failure: {got}")
                    e.check("error:" in p.stderr and e.db in p.stderr and
                            ("I/O error" in p.stderr or "disk is full" in p.stderr or
                             "No space" in p.stderr), f"{what}: unclear error: {p.stderr}")
                    e.check(stored(e) == before, f"{what}: the ledger changed")
                else:
                    e.check(point not in ON_COMMIT_PATH,
                            f"{what}: a commit whose {point} failed was acknowledged")
                    e.check(len(got) == 2, f"{what}: exit 0 without both acknowledgements")
                acked.update(got)
                n = verify_ok(e, what)
                now = stored(e)
                e.check(all(now.get(i) == h for i, h in acked.items()),
                        f"{what}: an acknowledged entry is missing or changed")
                e.check(n == len(now), f"{what}: verifier and file disagree")
                # The fault gone, appends work again on top of what is there.
                p = appender(e, "1")
                e.check(p.returncode == 0, f"after {what}: {p.stderr}")
                acked.update(acks(p.stdout))
    verify_ok(e, "after all faults")

    # runseal run with pwrite failing from the start: the run happens, nothing
    # is appended (exit 125), and the error says so.
    before = stored(e)
    for err in (errno.EIO, errno.ENOSPC):
        p = subprocess.run([FIU_RUN, "-x", "-c",
                            f"enable name=posix/io/rw/pwrite,failinfo={err}",
                            RUNSEAL, "run", "--quiet", "--", "true"],
                           env=dict(e.env, **env_extra), capture_output=True, text=True)
        e.check(p.returncode == 125, f"runseal run, pwrite {err}: exit {p.returncode} {p.stderr}")
        e.check("ledger" in p.stderr and ("I/O error" in p.stderr or "full" in p.stderr),
                f"runseal run, pwrite {err}: unclear error: {p.stderr}")
        e.check(stored(e) == before, "runseal run under pwrite failure changed the ledger")
    verify_ok(e, "after runseal run failures")

    # runseal init with fsync failing: a clear error, a distinct status, no ledger.
    other = os.path.join(e.dir, "other")
    p = subprocess.run([FIU_RUN, "-x", "-c", f"enable name=posix/io/sync/fsync,failinfo={errno.EIO}",
                        *wrapped([RUNSEAL, "--home", other, "init"])], env=dict(e.env, **env_extra),
                       capture_output=True, text=True)
    e.check(p.returncode == 74 and "error" in p.stderr, f"init under fsync EIO: {p.returncode} {p.stderr}")
    e.check(not os.path.exists(os.path.join(other, "ledger.db")), "init left a ledger behind")
    print(f"ledger_faults: {e.checks} checks passed")
