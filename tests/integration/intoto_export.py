#!/usr/bin/env python3
"""runseal export --format intoto, checked with implementations runseal did not write.

A real ledger (runseal init, runseal run with an input and outputs) is
exported as an in-toto Statement in a DSSE envelope, and the envelope is
verified against the key the auditor pinned (the trust file) by:

  - Sigstore's JavaScript verifier, @sigstore/verify (npm, tests/intoto/
    verify_dsse.mjs): it computes the DSSE PAE and checks the signature itself;
  - Debian's python3-securesystemslib (tests/intoto/sslib_verify.py, run by
    /usr/bin/python3): its SSlibKey checks the signature over the PAE
    (Debian's 0.26 has no DSSE module; the PAE is written there from the
    DSSE specification).

Both must accept the envelope signed with the home's ECDSA P-256 key and the
one signed with the ledger's Ed25519 key, and both must refuse it after one
byte of the payload or of the signature is flipped, after the payload type is
changed, and under another key. The statement's fields are checked against
the files themselves (subjects = outputs and stdout, materials = the input),
`runseal show --json` (record digest) and, through tests/lib/tlog.py, the
entry's record signature, chain hash, inclusion proof and signed checkpoint.
A TPM home (swtpm) exports with the ledger key by default, carries the TPM
evidence reference, and refuses --sign-with signer (the AK is restricted).
"""
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "lib"))
import tlog  # noqa: E402
from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from rstest import SRC, Env  # noqa: E402

HERE = os.path.join(SRC, "tests", "intoto")
SIGSTORE = os.path.join(HERE, "verify_dsse.mjs")
SSLIB = os.path.join(HERE, "sslib_verify.py")
# securesystemslib is a Debian package: Debian's interpreter has it.
DEBIAN_PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
STATEMENT = "https://in-toto.io/Statement/v1"
PREDICATE = "https://runseal.dev/attestation/run/v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"

if not os.path.isdir(os.path.join(HERE, "node_modules", "@sigstore", "verify")):
    sys.exit("FAIL: @sigstore/verify missing: run scripts/install-deps (npm ci in tests/intoto)")
if subprocess.run([DEBIAN_PY, "-c", "import securesystemslib.signer"],
                  capture_output=True).returncode != 0:
    sys.exit("FAIL: python3-securesystemslib missing: run scripts/install-deps")


def sha256(b):
    return hashlib.sha256(b).hexdigest()


def spki_pem(key):
    return key.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo)


def keyid_of(pem):
    key = serialization.load_pem_public_key(pem)
    return sha256(key.public_bytes(serialization.Encoding.DER,
                                   serialization.PublicFormat.SubjectPublicKeyInfo))


def verify_both(env_path, pem_path):
    """Exit statuses of (@sigstore/verify, securesystemslib)."""
    a = subprocess.run(["node", SIGSTORE, env_path, pem_path], capture_output=True, text=True)
    b = subprocess.run([DEBIAN_PY, SSLIB, env_path, pem_path], capture_output=True, text=True)
    return a.returncode, b.returncode, a.stdout + a.stderr + b.stdout + b.stderr


def tampered(env, what, i):
    """A copy of the envelope with one byte of the payload or signature flipped."""
    env = json.loads(json.dumps(env))
    holder, key = (env["signatures"][0], "sig") if what == "sig" else (env, "payload")
    raw = bytearray(base64.b64decode(holder[key]))
    raw[i % len(raw)] ^= 0x01
    holder[key] = base64.b64encode(bytes(raw)).decode()
    return env


with Env() as e:
    e.runseal("init", want=0)
    e.runseal("identity", "export", "-o", e.trust, want=0)
    trust_text = open(e.trust).read()
    vkey = tlog.trust_vkey(trust_text)
    v = tlog.Verifier(vkey)
    signer_pem = tlog.pem_blocks(trust_text)[0]     # the auditor's pinned ECDSA key
    ledger_pem = spki_pem(v.key)                     # the pinned checkpoint key, as PEM
    signer_pem_path = os.path.join(e.dir, "signer.pem")
    ledger_pem_path = os.path.join(e.dir, "ledger.pem")
    open(signer_pem_path, "wb").write(signer_pem)
    open(ledger_pem_path, "wb").write(ledger_pem)

    data = b"name,n\nb,2\na,1\n"
    data_path = os.path.join(e.dir, "data.csv")
    open(data_path, "wb").write(data)
    out = os.path.join(e.dir, "out")
    script = ("sort /work/in/data.csv > /work/out/sorted.csv; mkdir /work/out/sub; "
              "printf abc > /work/out/sub/n.txt; echo sorted")
    run = e.runseal("run", "--quiet", "--in", data_path, "--out", out, "--", "sh", "-c",
                    script, want=0)
    e.runseal("run", "--quiet", "--", "sh", "-c", "echo second", want=0)
    show = json.loads(e.runseal("show", "0", "--json", want=0).stdout)

    # --- entry 0, signed with the home's ECDSA key (the default) -------------
    env_path = os.path.join(e.dir, "run0.intoto.jsonl")
    rep = json.loads(e.runseal("export", "0", "--format", "intoto", "-o", env_path, "--json",
                               want=0).stdout)
    e.check(rep["format"] == "intoto" and rep["key"] == "signer" and
            rep["algorithm"] == "ecdsa-p256-sha256", f"export report {rep}")
    e.check(rep["keyid"] == keyid_of(signer_pem), "keyid = SHA-256 of the pinned key's SPKI")
    e.check(rep["public_key"].encode() == signer_pem, "reported public key is the pinned one")
    raw = open(env_path, "rb").read()
    e.check(raw.endswith(b"\n") and raw.count(b"\n") == 1, "one JSON line")
    env = json.loads(raw)
    e.check(sorted(env) == ["payload", "payloadType", "signatures"], "DSSE members")
    e.check(env["payloadType"] == PAYLOAD_TYPE, "payloadType")
    e.check(len(env["signatures"]) == 1 and env["signatures"][0]["keyid"] == rep["keyid"],
            "one signature with the keyid")
    a, b, msg = verify_both(env_path, signer_pem_path)
    e.check((a, b) == (0, 0), f"ECDSA envelope verifies with @sigstore/verify and "
            f"securesystemslib: {msg}")

    # --- the statement --------------------------------------------------------
    payload = base64.b64decode(env["payload"])
    st = json.loads(payload)
    e.check(json.dumps(st, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            .encode() == payload, "payload is compact JSON with sorted keys")
    e.check(st["_type"] == STATEMENT and st["predicateType"] == PREDICATE, "statement types")
    want = {
        "sorted.csv": sha256(open(os.path.join(out, "sorted.csv"), "rb").read()),
        "sub/n.txt": sha256(b"abc"),
        "/dev/stdout": sha256(run.stdout.encode()),
    }
    got = {s["name"]: s["digest"]["sha256"] for s in st["subject"]}
    e.check(len(st["subject"]) == 3 and got == want,
            f"subjects are the outputs and stdout with their SHA-256: {st['subject']}")
    e.check(all(list(s["digest"]) == ["sha256"] for s in st["subject"]), "sha256 digests")
    pred = st["predicate"]
    e.check(pred["materials"] == [{"name": "data.csv", "digest": {"sha256": sha256(data)},
                                   "size": len(data), "mode": pred["materials"][0]["mode"]}],
            f"materials are the input: {pred['materials']}")
    e.check(pred["command"] == ["sh", "-c", script] and pred["cwd"] == "/work", "command")
    e.check(pred["exit"] == {"status": 0, "code": 0, "signal": 0, "timed_out": False,
                             "core_dumped": False}, f"exit {pred['exit']}")
    rec = show["record"]
    e.check(pred["record_digest"] == show["record_digest"], "record digest = runseal show's")
    e.check(pred["policy"]["sha256"] == rec["policy"]["sha256"] and
            pred["policy"]["name"] == rec["policy"]["name"] and
            sha256(pred["policy"]["canonical_json"].encode()) == rec["policy"]["sha256"],
            "policy digest (and the canonical policy hashes to it)")
    e.check(pred["environment"]["executor"]["sha256"] == rec["environment"]["executor_sha256"]
            and pred["environment"]["rootfs"]["sha256"] == rec["environment"]["rootfs_sha256"]
            and pred["environment"]["kernel"]["release"] == rec["environment"]["kernel_release"],
            "environment measurement")
    e.check(pred["stdout"]["sha256"] == sha256(run.stdout.encode()) and
            pred["stdout"]["size"] == len(run.stdout), "stdout digest and size")
    e.check(pred["signer"]["kind"] == "software" and pred["signer"]["key_id"] == rep["keyid"],
            "signer kind and key id")
    e.check(pred["times"]["start"].endswith("Z") and pred["times"]["start"] <= pred["times"]["end"],
            "times")

    # The ledger part, checked from scratch: the entry's record digest and
    # ECDSA signature, chain hash, inclusion proof and signed checkpoint.
    led = pred["ledger"]
    entry = base64.b64decode(led["entry"])
    e.check(led["origin"] == v.name and led["index"] == 0 and led["tree_size"] == 2,
            f"ledger origin, index, size {led['origin']} {led['index']} {led['tree_size']}")
    bundle = tlog.build_bundle({
        "version": 1, "entry": entry, "chain_hash": bytes.fromhex(led["chain_hash"]),
        "index": led["index"], "tree_size": led["tree_size"],
        "hashes": [bytes.fromhex(h) for h in led["inclusion_proof"]],
        "checkpoint": led["checkpoint"].encode(), "identity": b"", "checkpoint_key": ""})
    index, size, digest = tlog.verify_bundle(bundle, v, [signer_pem])
    e.check((index, size, digest.hex()) == (0, 2, pred["record_digest"]),
            "the predicate's entry, proof and checkpoint verify; its record has that digest")
    env_fields = tlog.fields(tlog.one(tlog.fields(entry), 3))
    e.check(tlog.one(env_fields, 4).hex() == rep["keyid"],
            "the DSSE keyid is the record envelope's key id")
    pb_path = os.path.join(e.dir, "run0.bundle")
    e.runseal("export", "0", "-o", pb_path, want=0)
    pb = tlog.parse_bundle(open(pb_path, "rb").read())
    e.check(pb["entry"] == entry and pb["checkpoint"] == led["checkpoint"].encode() and
            [h.hex() for h in pb["hashes"]] == led["inclusion_proof"],
            "same entry, proof and checkpoint as the protobuf bundle")

    # --- tampering: both verifiers refuse -------------------------------------
    def refused(envelope, pem_path, what):
        path = os.path.join(e.dir, "tampered.json")
        open(path, "w").write(json.dumps(envelope) + "\n")
        a, b, msg = verify_both(path, pem_path)
        e.check((a, b) == (1, 1), f"{what}: both verifiers refuse (got {a}, {b}): {msg}")

    def attack(envelope, pem_path, label):
        plen = len(base64.b64decode(envelope["payload"]))
        slen = len(base64.b64decode(envelope["signatures"][0]["sig"]))
        for i in (0, plen // 2, plen - 1):
            refused(tampered(envelope, "payload", i), pem_path, f"{label}: payload byte {i}")
        for i in (0, slen // 2, slen - 1):
            refused(tampered(envelope, "sig", i), pem_path, f"{label}: signature byte {i}")
        other = dict(envelope, payloadType="application/vnd.in-toto+jsom")
        refused(other, pem_path, f"{label}: payload type changed")

    attack(env, signer_pem_path, "ECDSA")
    refused(env, ledger_pem_path, "ECDSA envelope under the ledger key")

    # --- entry 0, signed with the ledger's Ed25519 key ------------------------
    led_path = os.path.join(e.dir, "run0-ledger.intoto.jsonl")
    rep2 = json.loads(e.runseal("export", "0", "--format", "intoto", "--sign-with", "ledger",
                                "-o", led_path, "--json", want=0).stdout)
    e.check(rep2["key"] == "ledger" and rep2["algorithm"] == "ed25519" and
            rep2["keyid"] == keyid_of(ledger_pem) and rep2["public_key"].encode() == ledger_pem,
            f"ledger key report {rep2}")
    env2 = json.loads(open(led_path, "rb").read())
    e.check(env2["signatures"][0]["keyid"] == rep2["keyid"], "Ed25519 keyid")
    e.check(env2["payload"] == env["payload"], "same statement whichever key signs")
    a, b, msg = verify_both(led_path, ledger_pem_path)
    e.check((a, b) == (0, 0), f"Ed25519 envelope verifies with both: {msg}")
    attack(env2, ledger_pem_path, "Ed25519")
    refused(env2, signer_pem_path, "Ed25519 envelope under the ECDSA key")
    # Ed25519 and the statement are deterministic: the same bytes again, on stdout too.
    p = e.runseal("export", "0", "--format", "intoto", "--sign-with", "ledger", want=0)
    e.check(p.stdout.encode() == open(led_path, "rb").read(), "deterministic, and on stdout")

    # An older checkpoint (--size 1): the statement proves entry 0 in that tree.
    old_path = os.path.join(e.dir, "run0-size1.intoto.jsonl")
    e.runseal("export", "0", "--size", "1", "--format", "intoto", "-o", old_path, want=0)
    old = json.loads(base64.b64decode(json.loads(open(old_path).read())["payload"]))
    ol = old["predicate"]["ledger"]
    e.check(ol["tree_size"] == 1 and ol["inclusion_proof"] == [] and
            tlog.open_checkpoint(ol["checkpoint"].encode(), v)[1] == 1, "--size 1")

    # Entry 1 wrote only stdout: that is its one subject.
    p1 = os.path.join(e.dir, "run1.intoto.jsonl")
    e.runseal("export", "1", "--format", "intoto", "-o", p1, want=0)
    st1 = json.loads(base64.b64decode(json.loads(open(p1).read())["payload"]))
    e.check(st1["subject"] == [{"name": "/dev/stdout",
                                "digest": {"sha256": sha256(b"second\n")}}], "stdout subject")
    e.check(verify_both(p1, signer_pem_path)[:2] == (0, 0), "entry 1 verifies")

    # --- which key signs, and refusals -----------------------------------------
    # An entry the home's software key did not sign (simulated: the home's
    # public key replaced) is signed by the ledger key; --sign-with signer refuses.
    pub = os.path.join(e.home, "keys", "signer.pub")
    saved = open(pub, "rb").read()
    open(pub, "wb").write(spki_pem(ec.generate_private_key(ec.SECP256R1()).public_key()))
    rep3 = json.loads(e.runseal("export", "0", "--format", "intoto", "-o",
                                os.path.join(e.dir, "x.json"), "--json", want=0).stdout)
    e.check(rep3["key"] == "ledger", "not the home key's entry: the ledger key signs")
    p = e.runseal("export", "0", "--format", "intoto", "--sign-with", "signer", "-o",
                  os.path.join(e.dir, "y.json"), want=64)
    e.check("not signed by this home's software key" in p.stderr, p.stderr)
    e.check(not os.path.exists(os.path.join(e.dir, "y.json")), "nothing written")
    open(pub, "wb").write(saved)

    e.runseal("export", "0", "--format", "spdx", "-o", os.path.join(e.dir, "z"), want=64)
    e.runseal("export", "0", "--sign-with", "ledger", "-o", os.path.join(e.dir, "z"), want=64)
    e.runseal("export", "0", "--format", "intoto", "--sign-with", "tpm", "-o",
              os.path.join(e.dir, "z"), want=64)
    e.runseal("export", "0", "--format", "intoto", "--json", want=64)
    e.runseal("export", "7", "--format", "intoto", "-o", os.path.join(e.dir, "z"), want=66)
    # A run with no output and empty stdout and stderr has no subject.
    e.runseal("run", "--quiet", "--", "true", want=0)
    p = e.runseal("export", "2", "--format", "intoto", "-o", os.path.join(e.dir, "z"), want=64)
    e.check("nothing to be the statement's subject" in p.stderr, p.stderr)
    e.check(not os.path.exists(os.path.join(e.dir, "z")), "nothing written on refusal")

    # The ledger still verifies (export only reads).
    e.verify("ledger", e.db, "--trust", e.trust, want=0)
    checks = e.checks

# --- a TPM home: the AK cannot sign a DSSE message, the ledger key does --------
SWTPM = os.path.join(SRC, "scripts", "swtpm")
if all(shutil.which(t) for t in ("swtpm", "swtpm_setup", "swtpm_localca")):
    with Env() as e:
        tpmdir = os.path.join(e.dir, "tpm")
        tcti = subprocess.run([SWTPM, "start", tpmdir], capture_output=True, text=True,
                              check=True).stdout.strip()
        try:
            e.env.update(RUNSEAL_TCTI=tcti, TPM2TOOLS_TCTI=tcti)
            e.runseal("init", "--signer", "tpm", want=0)
            out = os.path.join(e.dir, "out")
            e.runseal("run", "--quiet", "--out", out, "--", "sh", "-c",
                      "printf tpm > /work/out/t.txt", want=0)
            show = json.loads(e.runseal("show", "0", "--json", want=0).stdout)
            vkey = open(os.path.join(e.home, "keys", "ledger.vkey")).read().strip()
            ledger_pem_path = os.path.join(e.dir, "ledger.pem")
            open(ledger_pem_path, "wb").write(spki_pem(tlog.Verifier(vkey).key))
            path = os.path.join(e.dir, "tpm0.intoto.jsonl")
            rep = json.loads(e.runseal("export", "0", "--format", "intoto", "-o", path,
                                       "--json", want=0).stdout)
            e.check(rep["key"] == "ledger" and rep["algorithm"] == "ed25519",
                    f"TPM home: the ledger key signs by default {rep}")
            a, b, msg = verify_both(path, ledger_pem_path)
            e.check((a, b) == (0, 0), f"TPM home's envelope verifies with both: {msg}")
            st = json.loads(base64.b64decode(json.load(open(path))["payload"]))
            pred = st["predicate"]
            e.check(st["subject"] == [{"name": "t.txt", "digest": {"sha256": sha256(b"tpm")}}],
                    f"TPM subject {st['subject']}")
            e.check(pred["signer"]["kind"] == "tpm" and pred["signer"]["tpm"]["app_pcr"] == 23
                    and len(pred["signer"]["tpm"]["ak_name"]) == 68 and
                    pred["record_digest"] == show["record_digest"],
                    f"TPM evidence reference {pred['signer']} {pred['record_digest']}")
            p = e.runseal("export", "0", "--format", "intoto", "--sign-with", "signer", "-o",
                          os.path.join(e.dir, "z"), want=64)
            e.check("restricted" in p.stderr, p.stderr)
            checks += e.checks
        finally:
            subprocess.run([SWTPM, "stop", tpmdir], capture_output=True)
else:
    print("intoto_export: swtpm not installed, TPM home not checked")
print(f"intoto_export: {checks} checks passed")
