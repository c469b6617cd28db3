// Verify a DSSE envelope with Sigstore's JavaScript verifier (@sigstore/verify,
// pinned by package-lock.json): an implementation runseal did not write.
//
//   node verify_dsse.mjs ENVELOPE.json PUBLIC_KEY.pem
//
// @sigstore/verify checks Sigstore bundles; a bundle whose content is a DSSE
// envelope and whose verification material is a public key named by a hint
// is verified by computing the DSSE PAE itself (@sigstore/core dsse.js) and
// checking the signature with the key the hint names in the trust material.
// The envelope goes in as runseal wrote it; the hint is the envelope's own
// keyid. No transparency log, timestamp or certificate is involved (the
// thresholds for them are 0): only the DSSE signature is checked.
//
// Exit status: 0 verified; 1 does not verify; 2 usage or malformed input.
import { readFileSync } from 'node:fs';
import { bundleFromJSON } from '@sigstore/bundle';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';

if (process.argv.length !== 4) {
  console.error('usage: node verify_dsse.mjs ENVELOPE.json PUBLIC_KEY.pem');
  process.exit(2);
}
let envelope, pem;
try {
  envelope = JSON.parse(readFileSync(process.argv[2], 'utf8'));
  pem = readFileSync(process.argv[3], 'utf8');
} catch (e) {
  console.error(`malformed input: ${e.message}`);
  process.exit(2);
}
const keyid = envelope?.signatures?.[0]?.keyid ?? '';
let entity;
try {
  const bundle = bundleFromJSON({
    mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
    verificationMaterial: {
      publicKey: { hint: keyid },
      tlogEntries: [],
      timestampVerificationData: { rfc3161Timestamps: [] },
    },
    dsseEnvelope: envelope,
  });
  entity = toSignedEntity(bundle);
} catch (e) {
  console.error(`not a DSSE envelope @sigstore/bundle accepts: ${e.message}`);
  process.exit(2);
}
// The public key in DER (SubjectPublicKeyInfo), as the trust material takes it.
const der = Buffer.from(pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64');
const trust = toTrustMaterial(
  { certificateAuthorities: [], timestampAuthorities: [], tlogs: [], ctlogs: [] },
  { [keyid]: { rawBytes: der } },
);
const verifier = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, tsaThreshold: 0 });
try {
  verifier.verify(entity);
} catch (e) {
  console.error(`does not verify: ${e.code ?? ''} ${e.message}`);
  process.exit(1);
}
console.log(`verified: DSSE signature by ${keyid} over ${envelope.payloadType}`);
