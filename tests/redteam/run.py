#!/usr/bin/env python3
"""Red-team suite: hostile programs run through the real `runseal run`.

Every case runs a hostile program (a C program from progs/, built by CMake,
or a shell script) in the sandbox, in up to three variants:

  root      runseal runs as root; the program is uid 0 inside
  user      runseal runs as root; the policy makes the program uid 1000 inside
  nonroot   runseal runs as an unprivileged host user (uid 4242) with its own home

and asserts (1) containment: the program printed no "ESCAPED:" line (see
progs/rt.h), host-side checks hold (files, processes, services untouched);
(2) the record: the events and limits `runseal show --json` reports.

A canary secret is placed in runseal's environment and in the caller's home
(~/.ssh, ~/.aws, ~/.netrc) and /run/secrets; at the end it must appear in no
program output, stdout, stderr, record, collected file or ledger byte.

  run.py --group NAME [--case NAME] [--variant NAME] [-v]
"""
import argparse
import ctypes
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time

SRC = os.environ.get("RUNSEAL_SRC", os.path.abspath(os.path.join(os.path.dirname(__file__), "../..")))
RUNSEAL = os.environ.get("RUNSEAL_BIN", os.path.join(SRC, "build/executor/runseal"))
BIN = os.environ.get("RT_BIN_DIR", os.path.join(SRC, "build/tests/redteam"))
NONROOT = 4242
VARIANTS = ("root", "user", "nonroot")


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


class Result:
    def __init__(self, rc, out, err, record, seconds):
        self.rc, self.out, self.err, self.record, self.seconds = rc, out, err, record, seconds

    @property
    def events(self):
        return self.record["events"] if self.record else []

    def event(self, kind, detail=""):
        """The first event of kind whose detail contains detail, or None."""
        for e in self.events:
            if e["kind"] == kind and detail in e["detail"]:
                return e
        return None

    def limit(self, name):
        for lim in self.record["policy"]["limits"]:
            if lim["name"] == name:
                return lim
        raise Failure(f"no limit {name} recorded")

    def describe(self):
        ev = "\n".join(f"  {e['kind']}: {e['detail']} (x{e['count']})" for e in self.events)
        return (f"exit {self.rc} after {self.seconds:.1f}s\n--- stdout\n{self.out[-3000:]}\n"
                f"--- stderr\n{self.err[-3000:]}\n--- events\n{ev}")


class World:
    """Homes, canaries and host services shared by every case of a run."""

    def __init__(self, verbose):
        self.verbose = verbose
        self.root_ok = os.geteuid() == 0
        self.dir = tempfile.mkdtemp(prefix="rs-redteam-")
        os.chmod(self.dir, 0o755)
        self.canary = "rt-canary-" + os.urandom(12).hex()
        self.homes = {}
        self.captured = []          # every stdout/stderr/record seen, for the canary scan
        self.cleanup = []
        self.host_files = {}
        self._homes()
        self._services()

    # -- set-up ------------------------------------------------------------
    def _secret_home(self, home, uid):
        for rel in (".ssh/id_rsa", ".aws/credentials", ".netrc", ".config/gh/hosts.yml"):
            p = os.path.join(home, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            with open(p, "w") as f:
                f.write(f"secret {self.canary}\n")
            os.chmod(p, 0o600)
            self.host_files[p] = self.canary
        if uid is not None:
            for base, dirs, files in os.walk(home):
                for n in dirs + files:
                    os.chown(os.path.join(base, n), uid, uid)
            os.chown(home, uid, uid)

    def _homes(self):
        for variant in VARIANTS:
            if variant == "nonroot" and not self.root_ok:
                continue
            home = os.path.join(self.dir, "home-" + variant)
            os.makedirs(home)
            os.chmod(home, 0o755)
            uid = NONROOT if variant == "nonroot" else None
            self._secret_home(home, uid)
            env = {
                "PATH": "/usr/local/bin:/usr/bin:/bin",
                "HOME": home,
                "RUNSEAL_HOME": os.path.join(home, "runseal"),
                "RUNSEAL_CACHE": os.path.join(home, "cache"),
                "LANG": "C.UTF-8",
                # Canaries in the caller's environment, under names secrets use.
                "RT_CANARY": self.canary,
                "AWS_SECRET_ACCESS_KEY": self.canary,
                "GITHUB_TOKEN": self.canary,
                "SSH_AUTH_SOCK": os.path.join(self.dir, "agent.sock"),
                # Loader variables of the caller never reach the program.
                "LD_LIBRARY_PATH": os.path.join(self.dir, "no-such-lib"),
                "GCONV_PATH": os.path.join(self.dir, "no-such-gconv"),
            }
            self.homes[variant] = env
            self.run_host(variant, [RUNSEAL, "init"], want=0)
        if self.root_ok:
            d = "/run/secrets"
            made = not os.path.exists(d)
            os.makedirs(d, exist_ok=True)
            p = os.path.join(d, "runseal-rt-canary")
            with open(p, "w") as f:
                f.write(f"secret {self.canary}\n")
            self.host_files[p] = self.canary
            self.cleanup.append(lambda: os.unlink(p))
            if made:
                self.cleanup.append(lambda: os.rmdir(d))

    def _listen(self, sock):
        sock.listen(16)
        sock.settimeout(0.2)

        def serve():
            while not self.stopping:
                try:
                    c, _ = sock.accept()
                    c.sendall(b"host service\n")
                    c.close()
                except OSError:
                    pass
        t = threading.Thread(target=serve, daemon=True)
        t.start()
        self.threads.append((t, sock))

    def _services(self):
        self.stopping = False
        self.threads = []
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        self.tcp_port = s.getsockname()[1]
        self._listen(s)
        # swtpm's ports: listen if free (a running swtpm is as good a target).
        for port in (2321, 2322):
            t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                t.bind(("127.0.0.1", port))
                self._listen(t)
            except OSError:
                t.close()
        self.abstract = "runseal-rt-" + os.urandom(6).hex()
        a = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        a.bind("\0" + self.abstract)
        self._listen(a)
        self.unix_path = os.path.join(self.dir, "swtpm.sock")
        u = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        u.bind(self.unix_path)
        os.chmod(self.unix_path, 0o777)
        self._listen(u)
        # Positive controls: from the host, every service answers.
        for addr, fam in (( ("127.0.0.1", self.tcp_port), socket.AF_INET),
                          ("\0" + self.abstract, socket.AF_UNIX), (self.unix_path, socket.AF_UNIX)):
            c = socket.socket(fam, socket.SOCK_STREAM)
            c.settimeout(5)
            c.connect(addr)
            check(c.recv(64).startswith(b"host service"), f"positive control {addr!r}")
            c.close()
        # A SysV shared-memory segment of the host.
        self.shm_key = 0x52540000 | (os.getpid() & 0xffff)
        libc = ctypes.CDLL(None, use_errno=True)
        self.shm_id = libc.shmget(self.shm_key, 4096, 0o1000 | 0o666)   # IPC_CREAT
        check(self.shm_id >= 0, "host shmget")
        self.cleanup.append(lambda: libc.shmctl(self.shm_id, 0, None))   # IPC_RMID
        # A host process the sandbox must not be able to kill.
        self.victim = subprocess.Popen(["sleep", "600"])
        self.cleanup.append(lambda: (self.victim.kill(), self.victim.wait()))

    def close(self):
        self.stopping = True
        for t, s in self.threads:
            t.join(timeout=2)
            s.close()
        for f in reversed(self.cleanup):
            try:
                f()
            except OSError:
                pass
        shutil.rmtree(self.dir, ignore_errors=True)

    # -- running -----------------------------------------------------------
    def run_host(self, variant, argv, want=None, env_extra=None, timeout=300, pass_fds=()):
        env = dict(self.homes[variant])
        if env_extra:
            env.update(env_extra)
        if variant == "nonroot":
            argv = ["setpriv", f"--reuid={NONROOT}", f"--regid={NONROOT}", "--clear-groups",
                    "--"] + argv
        p = subprocess.run(argv, env=env, capture_output=True, timeout=timeout,
                           pass_fds=pass_fds)
        out = p.stdout.decode("utf-8", "replace")
        err = p.stderr.decode("utf-8", "replace")
        self.captured.append(("host:" + " ".join(argv[-3:]), out + err))
        if want is not None and p.returncode != want:
            raise Failure(f"{argv}: exit {p.returncode}, expected {want}\n{out}\n{err}")
        return p.returncode, out, err

    def prog(self, name):
        return os.path.join(BIN, name)

    def stage(self, path, mode=0o755):
        """A copy of a host file in a directory every variant can read."""
        d = os.path.join(self.dir, "stage")
        os.makedirs(d, exist_ok=True)
        os.chmod(d, 0o755)
        dst = os.path.join(d, os.path.basename(path))
        if not os.path.exists(dst):
            shutil.copy(path, dst)
            os.chmod(dst, mode)
        return dst

    def policy_file(self, variant, policy):
        p = {"measure_rootfs": False}
        if variant == "user":
            p.update({"uid": 1000, "gid": 1000})
        p.update(policy or {})
        path = os.path.join(self.dir, f"policy-{os.urandom(6).hex()}.json")
        with open(path, "w") as f:
            json.dump(p, f)
        os.chmod(path, 0o644)
        return path

    def run(self, variant, argv, policy=None, inputs=(), extra=(), env_extra=None,
            timeout=300, out_dir=None, pass_fds=()):
        cmd = [RUNSEAL, "run", "--policy", self.policy_file(variant, policy)]
        for i in inputs:
            cmd += ["--in", i]
        if out_dir:
            cmd += ["--out", out_dir]
        cmd += list(extra) + ["--"] + list(argv)
        t0 = time.monotonic()
        rc, out, err = self.run_host(variant, cmd, env_extra=env_extra, timeout=timeout,
                                     pass_fds=pass_fds)
        seconds = time.monotonic() - t0
        record = None
        # The program's own stderr may end without a newline: search, do not anchor.
        m = re.search(r"runseal: entry (\d+) appended", err)
        if m:
            _, show, _ = self.run_host(variant, [RUNSEAL, "show", "--json", m.group(1)], want=0)
            record = json.loads(show)["record"]
        res = Result(rc, out, err, record, seconds)
        if self.verbose:
            print(res.describe())
        check(record is not None, "no entry was appended\n" + res.describe())
        return res


# ---- assertions shared by cases -------------------------------------------------

def contained(res, status=0):
    check("ESCAPED" not in res.out, "an attack worked:\n" + res.describe())
    if status is not None:
        check(res.rc == status, f"exit status {res.rc}, expected {status}\n" + res.describe())


def refused(res, *whats):
    for w in whats:
        check(res.event("seccomp", "refused " + w) is not None,
              f"no seccomp event 'refused {w}'\n" + res.describe())


def has_event(res, kind, detail=""):
    e = res.event(kind, detail)
    check(e is not None, f"no {kind} event with '{detail}'\n" + res.describe())
    return e


def uses_cgroup(variant):
    return variant != "nonroot" and os.geteuid() == 0


# ---- cases ---------------------------------------------------------------------

CASES = []


def case(group, variants=VARIANTS):
    def wrap(fn):
        CASES.append((group, fn.__name__, variants, fn))
        return fn
    return wrap


def c_prog(w, v, name, *args, policy=None, inputs=(), status=0, **kw):
    """Run progs/NAME (staged as an input) with args; require containment and status."""
    res = w.run(v, ["/work/in/" + name] + list(args), policy=policy,
                inputs=[w.stage(w.prog(name))] + list(inputs), **kw)
    contained(res, status)
    return res


# -- syscalls

@case("syscalls")
def keyrings(w, v):
    res = c_prog(w, v, "rt_keyring")
    refused(res, "add_key", "request_key", "keyctl")


@case("syscalls")
def bpf_perf_userfaultfd(w, v):
    res = c_prog(w, v, "rt_bpf_perf")
    refused(res, "bpf", "perf_event_open", "userfaultfd")


@case("syscalls")
def ptrace_and_process_vm(w, v):
    res = c_prog(w, v, "rt_ptrace")
    refused(res, "ptrace", "process_vm_readv", "process_vm_writev", "kcmp")


@case("syscalls")
def io_uring(w, v):
    res = c_prog(w, v, "rt_io_uring")
    refused(res, "io_uring_setup", "io_uring_enter", "io_uring_register")


@case("syscalls")
def mount_family_and_propagation(w, v):
    res = c_prog(w, v, "rt_mount")
    refused(res, "mount", "umount2", "pivot_root", "fsopen", "open_tree", "move_mount",
            "mount_setattr", "chroot")


@case("syscalls", variants=("root", "user"))
def mount_propagation_from_the_host(w, v):
    """A shared host mount bound in: a mount the host makes meanwhile must not appear."""
    if not w.root_ok:
        print("    (not root: cannot make a host mount: skipped)")
        return
    d = os.path.join(w.dir, "shared-" + v)
    os.makedirs(d)
    subprocess.run(["mount", "-t", "tmpfs", "rt-shared", d], check=True)
    try:
        subprocess.run(["mount", "--make-shared", d], check=True)
        os.makedirs(os.path.join(d, "late"))
        script = ("sleep 1.5; a=$(stat -c %d /opt/shared); b=$(stat -c %d /opt/shared/late); "
                  "test \"$a\" = \"$b\" || echo 'ESCAPED: a host mount propagated in'; "
                  "grep -E ' (shared|master):' /proc/self/mountinfo && echo 'ESCAPED: peer mount'; "
                  "echo done")
        result = {}
        t = threading.Thread(target=lambda: result.update(res=w.run(
            v, ["sh", "-c", script], policy={"binds": [{"source": d, "target": "/opt/shared"}]})))
        t.start()
        time.sleep(0.5)
        subprocess.run(["mount", "-t", "tmpfs", "rt-late", os.path.join(d, "late")], check=True)
        t.join()
        contained(result["res"])
        check("done" in result["res"].out, result["res"].describe())
    finally:
        subprocess.run(["umount", "-R", d])


@case("syscalls")
def new_namespaces(w, v):
    res = c_prog(w, v, "rt_namespaces")
    refused(res, "unshare", "clone with namespace flags")


@case("syscalls")
def modules_kexec_reboot(w, v):
    res = c_prog(w, v, "rt_modules")
    refused(res, "init_module", "finit_module", "delete_module", "kexec_load",
            "kexec_file_load", "reboot", "syslog", "iopl", "ioperm")


@case("syscalls")
def clock_setting(w, v):
    res = c_prog(w, v, "rt_clock")
    refused(res, "clock_settime", "settimeofday", "adjtimex", "clock_adjtime")


@case("syscalls")
def terminal_injection(w, v):
    res = c_prog(w, v, "rt_tty")
    e = has_event(res, "seccomp", "refused ioctl TIOCSTI")
    check(e["count"] == 6, f"TIOCSTI refusals counted {e['count']}, expected 6")
    refused(res, "ioctl TIOCLINUX")


@case("syscalls")
def x32_and_int80(w, v):
    res = c_prog(w, v, "rt_abi")
    refused(res, "x32 getpid", "x32 openat", "i386 getpid", "i386 open")


@case("syscalls")
def i386_binary(w, v):
    if not os.path.exists(w.prog("rt_m32")):
        print("    (no -m32 toolchain: skipped)")
        return
    res = w.run(v, ["/work/in/rt_m32"], policy={"limits": {"wall_time_ms": 5000}},
                inputs=[w.stage(w.prog("rt_m32"))])
    contained(res, None)
    check(res.rc != 0, "the i386 program exited 0\n" + res.describe())
    check(not any(o["name"] == "i386-was-here" for o in res.record["outputs"]),
          "the i386 program created its file")
    has_event(res, "seccomp", "refused i386 ")


@case("syscalls")
def device_nodes(w, v):
    res = c_prog(w, v, "rt_devices")
    refused(res, "mknodat character device", "mknodat block device")


@case("syscalls")
def socket_families(w, v):
    res = c_prog(w, v, "rt_net", str(w.tcp_port), w.abstract, w.unix_path)
    refused(res, "socket AF_VSOCK", "socket AF_PACKET", "socket AF_ALG")


@case("syscalls")
def kill_everything(w, v):
    # kill(-1) from a child takes the program down too: SIGKILL is its status.
    res = c_prog(w, v, "rt_kill", str(w.victim.pid), str(os.getpid()), "1", status=137)
    check("contained: kill init" in res.out, res.describe())
    check(w.victim.poll() is None, "the host's victim process died")


@case("syscalls", variants=("root", "user"))
def setuid_binary(w, v):
    if not w.root_ok:
        print("    (not root: cannot install a set-uid root binary: skipped)")
        return
    d = os.path.join(w.dir, "suid")
    if not os.path.exists(d):
        os.makedirs(d)
        os.chmod(d, 0o755)
        p = os.path.join(d, "rt_suid_probe")
        shutil.copy(w.prog("rt_suid_probe"), p)
        os.chown(p, 0, 0)
        os.chmod(p, 0o4755)
        check(os.stat(p).st_mode & stat.S_ISUID, "set-uid bit on the probe")
    res = w.run(v, ["/opt/suid/rt_suid_probe"],
                policy={"binds": [{"source": d, "target": "/opt/suid"}]})
    contained(res)
    check("contained: no privilege" in res.out, res.describe())
    # The host's own set-uid programs gain nothing either.
    res = w.run(v, ["sh", "-c", "su -c id root </dev/null; mount -t tmpfs x /tmp; "
                    "test \"$(id -u)\" = \"$(id -ru)\" && grep -q '^CapEff:.0000000000000000' "
                    "/proc/self/status && echo contained"])
    check("contained" in res.out and "ESCAPED" not in res.out, res.describe())


@case("syscalls")
def shell_namespace_tools(w, v):
    res = w.run(v, ["sh", "-c", "for c in 'unshare -U true' 'unshare -rm true' 'nsenter -t 1 -m true' "
                    "'chroot / true'; do $c 2>/dev/null && echo \"ESCAPED: $c\"; done; echo done"])
    contained(res)
    refused(res, "unshare")


# -- filesystem

@case("filesystem")
def proc_sys_and_sysfs(w, v):
    c_prog(w, v, "rt_procsys")


@case("filesystem")
def root_escapes(w, v):
    home = w.homes[v]["RUNSEAL_HOME"]
    c_prog(w, v, "rt_escape_root", os.path.join(home, "ledger.db"),
           os.path.join(home, "keys", "signer.key"), w.homes[v]["HOME"], SRC)


@case("filesystem")
def leaked_descriptors(w, v):
    # The caller leaks descriptors (not close-on-exec) to a secret and a directory.
    secret = [p for p in w.host_files if "/home-" + v in p][0]
    fds = [os.open(secret, os.O_RDONLY), os.open(w.dir, os.O_RDONLY | os.O_DIRECTORY)]
    try:
        res = c_prog(w, v, "rt_fds", pass_fds=fds)
    finally:
        for fd in fds:
            os.close(fd)
    fds = [l for l in res.out.splitlines() if l.startswith("fd ")]
    check(len(fds) == 4, f"open descriptors {fds}: only 0, 1, 2 and the listing's own")


@case("filesystem")
def rewriting_inputs(w, v):
    data = os.path.join(w.dir, "data-" + v)
    with open(data, "w") as f:
        f.write("precious input\n")
    os.chmod(data, 0o644)
    before = hashlib.sha256(open(data, "rb").read()).hexdigest()
    res = c_prog(w, v, "rt_inputs", "/work/in/data", inputs=[data + "=data"])
    check(hashlib.sha256(open(data, "rb").read()).hexdigest() == before, "the host input changed")
    rec = [i for i in res.record["inputs"] if i["name"] == "data"]
    check(rec and rec[0]["sha256"] == before, "the recorded input digest is not the input's")


@case("filesystem")
def writes_outside(w, v):
    res = w.run(v, ["sh", "-c",
                    "for p in /z /usr/z /etc/z /work/z /work/in/z /dev/z /proc/z /usr/bin/sh; do "
                    "  (echo x > $p) 2>/dev/null && echo \"ESCAPED: wrote $p\"; done; "
                    "for p in /sys /home /root /var /run /boot /srv /mnt /media /opt; do "
                    "  test -e $p && echo \"ESCAPED: $p exists\"; done; "
                    "touch /tmp/ok /work/out/ok || echo 'ESCAPED: cannot write /tmp or /work/out'; "
                    "grep -q ' / .*ro,' /proc/self/mountinfo || echo 'ESCAPED: / writable'; "
                    "(echo rt > /proc/self/comm) 2>/dev/null && echo 'proc write allowed'; true"])
    contained(res)
    # /proc's own writable files are closed by Landlock, when the record says it was applied.
    landlock = any(i.startswith("landlock-abi") for i in res.record["policy"]["isolation"])
    check(landlock == ("proc write allowed" not in res.out),
          f"landlock recorded {landlock}, but writing /proc/self/comm " +
          ("worked" if "proc write allowed" in res.out else "failed"))


@case("filesystem", variants=("root", "nonroot"))
def rootfs_measurement(w, v):
    """--rootfs: the program sees only that tree; its digest matches a reference."""
    rfs = os.path.join(w.dir, "rootfs-" + v)
    os.makedirs(os.path.join(rfs, "bin"))
    os.makedirs(os.path.join(rfs, "etc", "sub"))
    shutil.copy(w.prog("rt_static"), os.path.join(rfs, "bin", "probe"))
    os.chmod(os.path.join(rfs, "bin", "probe"), 0o755)
    with open(os.path.join(rfs, "etc", "config"), "w") as f:
        f.write("v=1\n")
    os.symlink("../bin/probe", os.path.join(rfs, "etc", "sub", "link"))
    os.makedirs(os.path.join(rfs, "proc"))      # skipped: the sandbox makes its own
    for base, dirs, files in os.walk(rfs):
        for n in dirs:
            os.chmod(os.path.join(base, n), 0o755)
    if v == "nonroot":
        for base, dirs, files in os.walk(rfs):
            for n in dirs + files:
                os.lchown(os.path.join(base, n), NONROOT, NONROOT)
    pol = {"measure_rootfs": True}

    def measured(extra=()):
        res = w.run(v, ["/bin/probe"], policy=pol, extra=["--rootfs", rfs] + list(extra))
        contained(res)
        check(res.record["environment"]["rootfs"] == rfs, "rootfs not recorded")
        check([o["name"] for o in res.record["outputs"]] == ["ran"], res.describe())
        return res.record["environment"]["rootfs_sha256"]

    d1 = measured()
    check(d1 == reference_digest(rfs), "the rootfs digest differs from the reference manifest")
    check(measured() == d1, "a cached measurement of the same tree differs")
    with open(os.path.join(rfs, "etc", "config"), "w") as f:    # same size, new content
        f.write("v=2\n")
    d2 = measured()
    check(d2 != d1 and d2 == reference_digest(rfs), "a changed file was not measured again")
    check(measured(["--remeasure"]) == d2, "--remeasure gives another digest")


def reference_digest(rfs):
    """manifest.h, independently: every top-level entry but proc/dev/sys/tmp/work."""
    entries = []

    def walk(host, path):
        st = os.lstat(host)
        mode = st.st_mode & 0o7777
        if stat.S_ISDIR(st.st_mode):
            entries.append((path, b"d", mode, 0, bytes(32)))
            for n in sorted(os.listdir(host), key=os.fsencode):
                walk(os.path.join(host, n), path + "/" + n)
        elif stat.S_ISLNK(st.st_mode):
            t = os.fsencode(os.readlink(host))
            entries.append((path, b"l", mode, len(t), hashlib.sha256(t).digest()))
        elif stat.S_ISREG(st.st_mode):
            data = open(host, "rb").read()
            entries.append((path, b"f", mode, len(data), hashlib.sha256(data).digest()))
        else:
            entries.append((path, b"o", mode, 0, bytes(32)))
    for n in sorted(os.listdir(rfs), key=os.fsencode):
        if n not in ("proc", "dev", "sys", "tmp", "work"):
            walk(os.path.join(rfs, n), "/" + n)
    entries.sort(key=lambda e: os.fsencode(e[0]).replace(b"/", b"\0"))
    h = hashlib.sha256(b"runseal/v1/rootfs\0")
    for path, t, mode, size, digest in entries:
        h.update(os.fsencode(path) + b"\0" + t + struct.pack(">IQ", mode, size) + digest)
    return h.hexdigest()


# -- network

@case("network")
def egress_and_host_services(w, v):
    c_prog(w, v, "rt_net", str(w.tcp_port), w.abstract, w.unix_path)


@case("network")
def loopback_is_the_sandbox_own(w, v):
    res = c_prog(w, v, "rt_net", str(w.tcp_port), w.abstract, w.unix_path,
                 policy={"network": "loopback"})
    check(res.record["policy"]["network"] == "loopback", "network mode not recorded")


@case("network")
def shell_egress(w, v):
    res = w.run(v, ["sh", "-c",
                    f"getent hosts example.com && echo 'ESCAPED: DNS'; "
                    f"cat /etc/resolv.conf 2>/dev/null && echo 'ESCAPED: resolv.conf'; "
                    f"ip -o addr 2>/dev/null | grep -v ' lo ' | grep inet && echo 'ESCAPED: an address'; "
                    f"grep -v -e '^ *lo:' -e '|' /proc/net/dev | grep : && echo 'ESCAPED: an interface'; "
                    f"python3 -c \"import socket; s=socket.create_connection(('127.0.0.1', {w.tcp_port}), 2); "
                    f"print('ESCAPED: host port')\" 2>/dev/null; echo done"])
    contained(res)


@case("network")
def sysv_ipc(w, v):
    c_prog(w, v, "rt_ipc", hex(w.shm_key))
    res = w.run(v, ["sh", "-c", "ipcs -m | grep -q 0x && echo 'ESCAPED: segments listed'; echo done"])
    contained(res)


# -- limits

@case("limits")
def fork_bomb(w, v):
    res = c_prog(w, v, "rt_forkbomb", policy={"limits": {"processes": 32}})
    check(res.limit("processes")["value"] == 32, "processes limit")
    if uses_cgroup(v):
        has_event(res, "pids_limit", "processes=32")
        check(res.limit("processes")["mechanism"].startswith("cgroup-"), "pids by cgroup")
    else:
        check(res.limit("processes")["mechanism"] == "rlimit", "pids by rlimit")
    n = int(res.out.split("forks before refusal: ")[1].split()[0])
    check(n <= 32, f"{n} forks succeeded under a limit of 32")


@case("limits")
def shell_fork_bomb(w, v):
    res = w.run(v, ["bash", "-c", "f() { f | f & }; f; sleep 2; echo done"],
                policy={"limits": {"processes": 24, "wall_time_ms": 10000}}, timeout=60)
    contained(res, None)
    check(res.seconds < 30, "the fork bomb ran long")
    if uses_cgroup(v):
        has_event(res, "pids_limit")


@case("limits")
def heap_bomb(w, v):
    pol = {"limits": {"memory_bytes": 96 << 20}}
    res = w.run(v, ["/work/in/rt_membomb", "heap"], policy=pol,
                inputs=[w.stage(w.prog("rt_membomb"))])
    contained(res, None)
    if uses_cgroup(v):
        has_event(res, "oom", "memory_bytes=100663296")
        check(res.rc == 137, "the OOM killer's SIGKILL is the exit status\n" + res.describe())
        check(0 < res.record["usage"]["peak_memory_bytes"] <= (96 << 20) + (4 << 20),
              "peak memory not recorded within the limit")
    else:
        check(res.limit("memory_bytes")["mechanism"] == "rlimit", "memory by rlimit")
        mb = int(res.out.split("allocated ")[1].split()[0])
        check(mb <= 96, f"{mb} MiB allocated under a 96 MiB limit")


@case("limits", variants=("root", "user"))
def memfd_and_shm_bombs(w, v):
    for mode in ("memfd", "shm"):
        res = w.run(v, ["/work/in/rt_membomb", mode],
                    policy={"limits": {"memory_bytes": 96 << 20, "file_size_bytes": 1 << 30}},
                    inputs=[w.stage(w.prog("rt_membomb"))])
        contained(res, None)
        has_event(res, "oom", "memory_bytes=100663296")


@case("limits")
def tmpfs_bomb(w, v):
    res = c_prog(w, v, "rt_membomb", "tmpfs",
                 policy={"limits": {"tmp_bytes": 16 << 20, "memory_bytes": 128 << 20}})
    mb = int(res.out.split("allocated ")[1].split()[0])
    check(mb <= 16, f"{mb} MiB written to a 16 MiB /tmp")
    check(res.limit("tmp_bytes")["mechanism"] == "tmpfs", "tmp by tmpfs")


@case("limits")
def disk_fill(w, v):
    res = c_prog(w, v, "rt_diskfill", "bytes", "/work/out",
                 policy={"limits": {"output_bytes": 8 << 20}})
    mb = int(res.out.split("wrote ")[1].split()[0])
    check(mb <= 8, f"{mb} MiB written to an 8 MiB /work/out")
    has_event(res, "output_cap", "/work/out was full")


@case("limits")
def inode_exhaustion_and_a_million_files(w, v):
    res = c_prog(w, v, "rt_diskfill", "inodes", "/work/out", timeout=120)
    n = int(res.out.split("created ")[1].split()[0])
    check(n < 10100, f"{n} files created in /work/out")
    check(res.seconds < 60, f"a million-file attempt took {res.seconds:.0f}s")
    check(len(res.record["outputs"]) <= 10000, "more outputs recorded than the bound")
    has_event(res, "output_cap")
    res = c_prog(w, v, "rt_diskfill", "inodes", "/tmp", timeout=120)
    n = int(res.out.split("created ")[1].split()[0])
    check(n < 16400, f"{n} files created in /tmp")


@case("limits")
def busy_loop(w, v):
    res = w.run(v, ["/work/in/rt_cpu"], policy={"limits": {"cpu_time_s": 1, "wall_time_ms": 30000}},
                inputs=[w.stage(w.prog("rt_cpu"))], timeout=60)
    has_event(res, "cpu_time", "cpu_time_s=1")
    check(res.seconds < 20, f"a 1 s CPU limit took {res.seconds:.0f}s")


@case("limits", variants=("root", "user"))
def busy_loop_many_processes(w, v):
    """Four processes share the CPU limit: the cgroup's total, not each its own."""
    res = w.run(v, ["/work/in/rt_cpu", "4"],
                policy={"limits": {"cpu_time_s": 1, "wall_time_ms": 30000}},
                inputs=[w.stage(w.prog("rt_cpu"))], timeout=60)
    has_event(res, "cpu_time", "cpu_time_s=1")
    check(res.limit("cpu_time_s")["mechanism"].startswith("cgroup-"), "CPU by cgroup")
    check(res.seconds < 10, f"four busy processes ran {res.seconds:.1f}s under a 1 s total")


@case("limits")
def sigstop_and_timeout(w, v):
    res = w.run(v, ["sh", "-c", "kill -STOP $$; echo ESCAPED: resumed"],
                policy={"limits": {"wall_time_ms": 1500}}, timeout=60)
    contained(res, 124)
    has_event(res, "timeout", "wall_time_ms=1500")
    check(res.seconds < 15, "the timeout did not end the run")


@case("limits")
def setsid_survivor(w, v):
    out = os.path.join(w.dir, "survivor-" + v)
    if v == "nonroot":
        os.makedirs(out)
        os.chown(out, NONROOT, NONROOT)
    res = c_prog(w, v, "rt_survivor", out_dir=out, timeout=60)
    check(res.seconds < 10, f"the survivor held the run {res.seconds:.1f}s")
    log = os.path.join(out, "log")
    check(os.path.exists(log), "the survivor's log was not collected")
    data = open(log, "rb").read()
    rec = [o for o in res.record["outputs"] if o["name"] == "log"][0]
    check(rec["sha256"] == hashlib.sha256(data).hexdigest() and rec["size"] == len(data),
          "the collected copy is not what was hashed")
    time.sleep(0.3)
    check(open(log, "rb").read() == data, "something still writes after the run")


@case("limits")
def stdout_flood(w, v):
    res = c_prog(w, v, "rt_flood", "out", "64", policy={"limits": {"stdout_bytes": 1 << 20}})
    check(res.record["stdout"]["truncated"] and res.record["stdout"]["size"] == 64 << 20,
          "stdout size or truncation")
    has_event(res, "output_cap", "stdout_bytes=1048576: truncated at byte 1048576")
    check(len(res.out) == 1 << 20, f"passed through {len(res.out)} bytes, not the cap")
    res = c_prog(w, v, "rt_flood", "err", "8", policy={"limits": {"stderr_bytes": 4096}})
    has_event(res, "output_cap", "stderr_bytes=4096")


@case("limits")
def yes_flood_until_timeout(w, v):
    res = w.run(v, ["yes"], policy={"limits": {"stdout_bytes": 1000, "wall_time_ms": 1000}},
                timeout=60)
    has_event(res, "timeout")
    has_event(res, "output_cap", "stdout_bytes=1000")
    check(res.record["stdout"]["size"] > 1000, "the flood was not counted")


# -- outputs

@case("outputs")
def links_fifos_sockets(w, v):
    data = os.path.join(w.dir, "data-out")
    with open(data, "w") as f:
        f.write("in\n")
    os.chmod(data, 0o644)
    out = os.path.join(w.dir, "links-" + v)
    if v == "nonroot":
        os.makedirs(out)
        os.chown(out, NONROOT, NONROOT)
    res = c_prog(w, v, "rt_outputs", "links", inputs=[data + "=data"], out_dir=out)
    names = sorted(o["name"] for o in res.record["outputs"])
    check(names == ["hard-inside", "real"], f"collected {names}")
    for n in ("to-passwd", "dotdot", "magic", "to-tmp"):
        has_event(res, "special_file", n + " (symlink)")
        check(not os.path.lexists(os.path.join(out, n)), f"{n} reached --out")
    has_event(res, "special_file", "fifo (fifo)")
    has_event(res, "special_file", "sock (socket)")
    has_event(res, "hardlink", "hard-inside")
    check(sorted(os.listdir(out)) == ["hard-inside", "real"], f"--out holds {os.listdir(out)}")


@case("outputs")
def deep_tree(w, v):
    res = c_prog(w, v, "rt_outputs", "deep", "100")
    has_event(res, "output_skipped", "deeper than 64 levels")
    check(not res.record["outputs"], "a leaf below the depth bound was collected")


@case("outputs")
def long_names(w, v):
    res = c_prog(w, v, "rt_outputs", "long")
    has_event(res, "output_skipped", "path longer than 1024 bytes")
    check([o["name"] for o in res.record["outputs"]] == ["short"], res.describe())


@case("outputs", variants=("root",))
def many_outputs_bounded(w, v):
    res = c_prog(w, v, "rt_outputs", "many", "12000", timeout=120)
    check(len(res.record["outputs"]) <= 10000, "more than 10000 outputs recorded")
    has_event(res, "output_cap")


@case("outputs")
def device_output(w, v):
    res = w.run(v, ["sh", "-c", "mknod /work/out/null c 1 3 && echo 'ESCAPED: mknod'; "
                    "ln -s /dev/null /work/out/devlink; echo done"])
    contained(res)
    refused(res, "mknodat character device")
    has_event(res, "special_file", "devlink (symlink)")
    check(not res.record["outputs"], "a device was collected")


# -- secrets

@case("secrets")
def host_secrets_and_environ(w, v):
    env = w.homes[v]
    paths = [p for p in w.host_files] + [os.path.join(env["RUNSEAL_HOME"], "ledger.db"),
                                         os.path.join(env["RUNSEAL_HOME"], "keys", "signer.key")]
    half = len(w.canary) // 2
    # The needle goes in two halves: the argv is recorded, the canary must not be.
    res = w.run(v, ["/work/in/rt_secrets", w.canary[:half], w.canary[half:]] + paths,
                inputs=[w.stage(w.prog("rt_secrets"))])
    contained(res)
    check("contained: the canary is in no environ" in res.out, res.describe())


@case("secrets")
def environment_is_the_policy(w, v):
    res = w.run(v, ["sh", "-c", "env; cat /proc/1/environ /proc/1/cmdline 2>&1; echo done"])
    contained(res)
    names = sorted(l.split("=")[0] for l in res.out.splitlines() if "=" in l and not l.startswith(" "))
    for bad in ("RT_CANARY", "AWS_SECRET_ACCESS_KEY", "GITHUB_TOKEN", "SSH_AUTH_SOCK",
                "LD_LIBRARY_PATH", "GCONV_PATH", "RUNSEAL_HOME"):
        check(bad not in names, f"{bad} entered the sandbox")


@case("secrets")
def ld_preload_in_the_request(w, v):
    secrets = ":".join(list(w.host_files) + [os.path.join(w.homes[v]["RUNSEAL_HOME"], "keys",
                                                          "signer.key")])
    pol = {"env": {"set": {"LD_PRELOAD": "/work/in/rt_preload.so", "RT_SECRET_PATHS": secrets}}}
    res = w.run(v, ["/bin/true"], policy=pol,
                inputs=[w.stage(w.prog("rt_preload.so"), 0o755)])
    contained(res)
    check("preload ran" in res.out, "the preload library did not run inside\n" + res.describe())
    # A caller's own LD_PRELOAD is not passed in (runseal ignores a missing one).
    res = w.run(v, ["sh", "-c", "env | grep -q '^LD_' && echo 'ESCAPED: LD_ variable'; echo done"],
                env_extra={"LD_PRELOAD": os.path.join(w.dir, "no-such.so")})
    contained(res)


# ---- main ----------------------------------------------------------------------

def scan_canary(w, group):
    """The canary must be nowhere runseal wrote."""
    for label, text in w.captured:
        if w.canary in text:
            raise Failure(f"the canary appears in {label}")
    for variant, env in w.homes.items():
        for base, dirs, files in os.walk(env["RUNSEAL_HOME"]):
            if "keys" in base.split(os.sep):
                continue
            for n in files:
                p = os.path.join(base, n)
                if w.canary.encode() in open(p, "rb").read():
                    raise Failure(f"the canary appears in {p}")
    for base, dirs, files in os.walk(w.dir):
        for n in files:
            p = os.path.join(base, n)
            if p in w.host_files or os.path.islink(p) or not os.path.isfile(p) or "/home-" in p:
                continue
            if w.canary.encode() in open(p, "rb").read():
                raise Failure(f"the canary appears in {p}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--group", required=True)
    ap.add_argument("--case")
    ap.add_argument("--variant")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    if os.geteuid() != 0:
        print("redteam: not root: only the root caller's variants that need no other user run")
    w = World(a.verbose)
    failures, ran = [], 0
    try:
        for group, name, variants, fn in CASES:
            if group != a.group or (a.case and a.case != name):
                continue
            for v in variants:
                if (a.variant and a.variant != v) or v not in w.homes:
                    continue
                t0 = time.monotonic()
                try:
                    fn(w, v)
                    print(f"ok   {group}/{name} [{v}] {time.monotonic() - t0:.1f}s", flush=True)
                except (Failure, subprocess.TimeoutExpired) as e:
                    failures.append(f"{name} [{v}]")
                    print(f"FAIL {group}/{name} [{v}]: {e}", flush=True)
                ran += 1
        try:
            scan_canary(w, a.group)
            print(f"ok   {a.group}: the canary appears nowhere")
        except Failure as e:
            failures.append("canary")
            print(f"FAIL {a.group}: {e}")
    finally:
        w.close()
    if ran == 0:
        print(f"redteam: no case in group {a.group}")
        return 1
    print(f"redteam {a.group}: {ran - len([f for f in failures if f != 'canary'])}/{ran} passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
