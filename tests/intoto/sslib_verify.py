"""Verify a DSSE envelope's signature with securesystemslib (Debian's
python3-securesystemslib): an implementation runseal did not write.

    /usr/bin/python3 sslib_verify.py ENVELOPE.json PUBLIC_KEY.pem

Run with Debian's interpreter, where the package is installed. Debian
bookworm packages securesystemslib 0.26, which has no DSSE module (it came
in 0.27), so the PAE is computed here from the DSSE specification (protocol
v1); securesystemslib's SSlibKey checks the signature over it: ECDSA P-256
(scheme ecdsa-sha2-nistp256, DER signature) or Ed25519.

Exit status: 0 verified; 1 does not verify; 2 usage or malformed input.
"""
import base64
import binascii
import json
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from securesystemslib import exceptions
from securesystemslib.signer import Signature, SSlibKey


def pae(payload_type, payload):
    """DSSE v1: "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body."""
    t = payload_type.encode("utf-8")
    return b"DSSEv1 %d %s %d %s" % (len(t), t, len(payload), payload)


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        with open(sys.argv[1], "rb") as f:
            env = json.loads(f.read())
        with open(sys.argv[2], "rb") as f:
            pem = f.read()
        payload = base64.b64decode(env["payload"], validate=True)
        sigs = env["signatures"]
        public = serialization.load_pem_public_key(pem)
    except (OSError, ValueError, KeyError, TypeError, binascii.Error) as e:
        print(f"malformed input: {e}", file=sys.stderr)
        return 2
    if isinstance(public, ed25519.Ed25519PublicKey):
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        keytype, scheme, keyval = "ed25519", "ed25519", raw.hex()
    elif isinstance(public, ec.EllipticCurvePublicKey) and public.curve.name == "secp256r1":
        keytype, scheme, keyval = "ecdsa", "ecdsa-sha2-nistp256", pem.decode()
    else:
        print("the public key is neither Ed25519 nor ECDSA P-256", file=sys.stderr)
        return 2
    message = pae(env["payloadType"], payload)
    for s in sigs:
        key = SSlibKey(s.get("keyid", ""), keytype, scheme, {"public": keyval})
        try:
            sig = base64.b64decode(s["sig"], validate=True)
            key.verify_signature(Signature(key.keyid, sig.hex()), message)
        except (exceptions.UnverifiedSignatureError, exceptions.VerificationError,
                binascii.Error, KeyError):
            continue
        print(f"verified: {scheme} signature by {key.keyid}")
        return 0
    print("does not verify: no signature verifies under the key", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
