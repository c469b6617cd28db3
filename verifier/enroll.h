/*
 * enroll.h - runseal-verify enroll: adding a TPM attestation key to a
 * trust file the way a remote-attestation registrar does (Keylime's):
 *
 *   1. runseal-verify enroll IDENTITY --ek-ca CA --challenge C --state S
 *      checks the identity (AK attributes, EK shape, EK certificate chain
 *      to CA and its key = the EK), makes a credential for the EK and the
 *      AK's name with a fresh secret (attest/credential.h) and writes the
 *      challenge C and the private state S (the secret, mode 0600);
 *   2. on the machine: runseal identity activate C -o R (the TPM releases
 *      the secret only if it holds the EK and has the AK loaded);
 *   3. runseal-verify enroll --response R --state S --trust T compares the
 *      secret in constant time and only then appends the AK to T, with the
 *      identity's "runseal-checkpoint-key:" line (carried in S) if T lacks
 *      it: the ledger's checkpoint key, pinned on the identity file's word
 *      as a software signer's key would be.
 *
 * --allow-no-ek-cert accepts an EK without certificate (nothing ties it to
 * a TPM maker); the trust entry records it and every report says so.
 */
#ifndef RS_VERIFIER_ENROLL_H
#define RS_VERIFIER_ENROLL_H

/* The subcommand; argv[0] is "enroll". Returns the exit status. */
int cmd_enroll(int argc, char **argv);

#endif
