"""An independent implementation of the formats runseal's ledger speaks,
written from the specifications (not from runseal's C code), for the
integration tests to check runseal's output with:

  - RFC 9162 section 2.1: Merkle tree hashing, inclusion and consistency
    proof verification (2.1.3.2, 2.1.4.2, the RFC's own algorithms);
  - C2SP signed-note (Ed25519) and tlog-checkpoint;
  - docs/bundle.md: the bundle's protobuf fields, parsed by hand;
  - the software signer's envelope (proto/runseal.proto comments): the
    ECDSA P-256 signature over "runseal/v1/sig\\0" || record digest.

Ed25519 and ECDSA come from python3-cryptography (Debian package).
"""
import base64
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

EM_DASH = "\u2014"


class Invalid(Exception):
    pass


# --- RFC 9162 2.1 -----------------------------------------------------------

def leaf_hash(data):
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(leaves):
    """MTH over leaf hashes, straight from the definition."""
    n = len(leaves)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return leaves[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node_hash(mth(leaves[:k]), mth(leaves[k:]))


def verify_inclusion(index, size, leaf, path, root):
    """RFC 9162 2.1.3.2, step by step."""
    if index >= size:
        raise Invalid("index beyond size")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise Invalid("path too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0 or r != root:
        raise Invalid("inclusion proof does not verify")


def verify_consistency(first, second, first_hash, second_hash, path):
    """RFC 9162 2.1.4.2, step by step (with the trivial cases of the RFC's text)."""
    if first > second:
        raise Invalid("first > second")
    if first == second:
        if path or first_hash != second_hash:
            raise Invalid("equal sizes need an empty proof and equal roots")
        return
    if first == 0:
        if path:
            raise Invalid("a proof from the empty tree is empty")
        return
    if not path:
        raise Invalid("empty consistency path")
    path = list(path)
    if first & (first - 1) == 0:
        path.insert(0, first_hash)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise Invalid("path too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if fr != first_hash or sr != second_hash or sn != 0:
        raise Invalid("consistency proof does not verify")


# --- C2SP signed-note and tlog-checkpoint ------------------------------------

def key_hash(name, pubkey_with_alg):
    return hashlib.sha256(name.encode() + b"\n" + pubkey_with_alg).digest()[:4]


class Verifier:
    """A signed-note verifier key "name+hexid+base64(0x01 || key)"."""

    def __init__(self, vkey):
        parts = vkey.split("+", 2)
        if len(parts) != 3 or len(parts[1]) != 8:
            raise Invalid("malformed verifier key")
        self.name, hexid, b64 = parts
        raw = base64.b64decode(b64, validate=True)
        if len(raw) != 33 or raw[0] != 1:
            raise Invalid("not an Ed25519 verifier key")
        if key_hash(self.name, raw) != bytes.fromhex(hexid):
            raise Invalid("key hash does not match")
        self.id = bytes.fromhex(hexid)
        self.key = ed25519.Ed25519PublicKey.from_public_bytes(raw[1:])


def open_note(note, verifier):
    """Return the note's text if verifier signed it (the C2SP signed-note rules)."""
    try:
        s = note.decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid("not UTF-8")
    if any(ord(c) < 0x20 and c != "\n" for c in s):
        raise Invalid("control character")
    split = note.rfind(b"\n\n")
    if split < 0:
        raise Invalid("no signature block")
    text, sigs = note[:split + 1], note[split + 2:]
    if not sigs or not sigs.endswith(b"\n"):
        raise Invalid("signature block does not end in a newline")
    ok = False
    for line in sigs[:-1].split(b"\n"):
        line = line.decode()
        if not line.startswith(EM_DASH + " "):
            raise Invalid("signature line without the em dash")
        name, _, b64 = line[2:].partition(" ")
        sig = base64.b64decode(b64, validate=True)
        if len(sig) < 5:
            raise Invalid("short signature")
        if name != verifier.name or sig[:4] != verifier.id:
            continue
        try:
            verifier.key.verify(sig[4:], text)
        except InvalidSignature:
            raise Invalid("bad signature")
        ok = True
    if not ok:
        raise Invalid("not signed by the verifier key")
    return text


def parse_checkpoint(text):
    """(origin, size, root) from a tlog-checkpoint body."""
    lines = text.decode().split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise Invalid("checkpoint body is not newline-terminated lines")
    origin, size, root = lines[0], lines[1], lines[2]
    if not origin or not size.isdigit() or (size != "0" and size[0] == "0"):
        raise Invalid("bad origin or size")
    root = base64.b64decode(root, validate=True)
    if len(root) != 32:
        raise Invalid("root is not 32 bytes")
    return origin, int(size), root


def open_checkpoint(note, verifier):
    return parse_checkpoint(open_note(note, verifier))


def trust_vkey(trust_text):
    """The checkpoint verifier key from a runseal trust file."""
    for line in trust_text.splitlines():
        if line.startswith("runseal-checkpoint-key: "):
            return line[len("runseal-checkpoint-key: "):]
    raise Invalid("no runseal-checkpoint-key line")


# --- protobuf wire format, by hand -------------------------------------------

def _varint(b, i):
    shift = v = 0
    while True:
        if i >= len(b) or shift > 63:
            raise Invalid("truncated varint")
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return v, i


def fields(b):
    """[(number, value)] of a message: ints for varints, bytes for length-delimited."""
    out, i = [], 0
    while i < len(b):
        key, i = _varint(b, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = _varint(b, i)
        elif wt == 2:
            n, i = _varint(b, i)
            if i + n > len(b):
                raise Invalid("truncated field")
            v, i = b[i:i + n], i + n
        else:
            raise Invalid("unexpected wire type %d" % wt)
        out.append((num, v))
    return out


def one(fs, num, default=None):
    vals = [v for n, v in fs if n == num]
    if len(vals) > 1:
        raise Invalid("field %d repeated" % num)
    return vals[0] if vals else default


def encode_varint(v):
    out = bytearray()
    while True:
        c = v & 0x7F
        v >>= 7
        out.append(c | (0x80 if v else 0))
        if not v:
            return bytes(out)


def encode(fs):
    out = bytearray()
    for num, v in fs:
        if isinstance(v, int):
            out += encode_varint(num << 3) + encode_varint(v)
        else:
            out += encode_varint(num << 3 | 2) + encode_varint(len(v)) + v
    return bytes(out)


def parse_bundle(b):
    """The Bundle message (docs/bundle.md) as a dict."""
    fs = fields(b)
    inc = fields(one(fs, 4, b""))
    return {
        "version": one(fs, 1, 0),
        "entry": one(fs, 2, b""),
        "chain_hash": one(fs, 3, b""),
        "index": one(inc, 1, 0),
        "tree_size": one(inc, 2, 0),
        "hashes": [v for n, v in inc if n == 3],
        "checkpoint": one(fs, 5, b""),
        "identity": one(fs, 6, b""),
        "checkpoint_key": one(fs, 7, b"").decode(),
    }


def build_bundle(d):
    # proto3: fields at their default value are not written.
    inc = [(n, x) for n, x in ((1, d["index"]), (2, d["tree_size"])) if x != 0]
    inc += [(3, h) for h in d["hashes"]]
    fs = [(1, d["version"]), (2, d["entry"]), (3, d["chain_hash"]), (4, encode(inc)),
          (5, d["checkpoint"])]
    if d["identity"]:
        fs.append((6, d["identity"]))
    if d["checkpoint_key"]:
        fs.append((7, d["checkpoint_key"].encode()))
    return encode([(n, v) for n, v in fs if v not in (0, b"")])


def ctx_hash(ctx, *parts):
    h = hashlib.sha256(ctx.encode() + b"\0")
    for p in parts:
        h.update(p)
    return h.digest()


def verify_bundle(b, verifier, signer_pems):
    """Verify a bundle from scratch; returns (index, tree_size, record digest)."""
    d = parse_bundle(b)
    if d["version"] != 1:
        raise Invalid("bundle version")
    origin, size, root = open_checkpoint(d["checkpoint"], verifier)
    if origin != verifier.name or size != d["tree_size"]:
        raise Invalid("checkpoint origin or size")
    verify_inclusion(d["index"], size, leaf_hash(d["entry"]), d["hashes"], root)
    entry = fields(d["entry"])
    if one(entry, 1, 0) != d["index"]:
        raise Invalid("entry index")
    prev = one(entry, 2, b"")
    if ctx_hash("runseal/v1/chain", prev, ctx_hash("runseal/v1/entry", d["entry"])) != d["chain_hash"]:
        raise Invalid("chain hash")
    env = fields(one(entry, 3, b""))
    record, key_id, sig = one(env, 2, b""), one(env, 4, b""), one(env, 5, b"")
    if one(env, 3, 0) != 1:
        raise Invalid("not a software-signed envelope")
    digest = ctx_hash("runseal/v1/record", record)
    for pem in signer_pems:
        key = serialization.load_pem_public_key(pem)
        spki = key.public_bytes(serialization.Encoding.DER,
                                serialization.PublicFormat.SubjectPublicKeyInfo)
        if hashlib.sha256(spki).digest() != key_id:
            continue
        try:
            key.verify(sig, b"runseal/v1/sig\0" + digest, ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            raise Invalid("record signature")
        return d["index"], size, digest
    raise Invalid("signer not trusted")


def pem_blocks(trust_text):
    out, cur = [], None
    for line in trust_text.splitlines(keepends=True):
        if line.startswith("-----BEGIN PUBLIC KEY-----"):
            cur = line
        elif cur is not None:
            cur += line
            if line.startswith("-----END PUBLIC KEY-----"):
                out.append(cur.encode())
                cur = None
    return out
