/*
 * signer_open.h - internal to the runseal front end: which signer a home
 * uses, creating it (init), opening it (run), and what `identity export`
 * writes for it.
 *
 * A home has exactly one signer, chosen at `runseal init` and kept:
 *   keys/signer.key present  software signer (keys/signer.pub: its public key)
 *   keys/tpm.json present    TPM signer, with keys/tpm-ak.auth
 *
 * keys/tpm.json (mode 0600, JSON object, schema "runseal-tpm/v1"):
 *   "tcti"            TCTI given at init (--tcti, else $RUNSEAL_TCTI, else
 *                     $TPM2TOOLS_TCTI, else device:/dev/tpmrm0); a run uses
 *                     $RUNSEAL_TCTI when set, else this
 *   "ak_handle"       "0x8100xxxx": the AK's persistent handle
 *   "ak_public"       base64 of the AK's marshalled TPMT_PUBLIC
 *   "ak_name"         hex of its name (checked against ak_public)
 *   "ek_handle"       "0x81010001", or null: the EK is re-created from the
 *                     default template when needed (activation)
 *   "ek_public"       base64 of the EK's marshalled TPMT_PUBLIC
 *   "ek_certificate"  base64 of the EK certificate (DER) read from NV, or null
 *   "app_pcr"         the application PCR (default 23)
 *   "pcr_selection"   the PCRs every quote covers, including app_pcr
 *                     (default "sha256:0,1,2,3,4,5,6,7,23")
 */
#ifndef RS_SIGNER_OPEN_H
#define RS_SIGNER_OPEN_H

#include <stddef.h>
#include <stdint.h>

#include "attest/signer.h"
#include "attest/tpm.h"

/* The home's signer kind. RS_ERR_CONFIG if it has none (or both). */
int signer_home_kind(const char *home, enum attest_signer_kind *kind);

/* Open the home's signer (software key, or TPM through its AK). Caller frees. */
int signer_open_home(const char *home, struct attest_signer **out);

/* What `runseal init` asks for. */
struct signer_init_opts {
	const char *kind;           /* "software", "tpm", or NULL: the home's, else software */
	const char *tcti;           /* --tcti or NULL */
	const char *pcrs;           /* --pcrs or NULL: TPMQ_DEFAULT_PCRS */
	const char *app_pcr;        /* --app-pcr or NULL: TPMQ_DEFAULT_APP_PCR */
	const char *ak_handle;      /* --ak-handle or NULL: the first free one */
};

/*
 * Give the home its signer if it has none (keys/ must exist); *kind is the
 * home's signer kind and *created 1 if it was made now. A home that has a
 * signer keeps it: RS_ERR_CONFIG if it is of another kind than asked.
 * RS_ERR_USAGE for a bad option value.
 */
int signer_init_home(const char *home, const struct signer_init_opts *o,
    enum attest_signer_kind *kind, int *created);

/* The TPM signer's stored configuration. */
struct signer_tpm_home {
	char *tcti;                 /* as stored */
	uint32_t ak_handle;
	uint8_t ak_pub[TPMQ_PUBLIC_MAX];
	size_t ak_pub_len;
	uint8_t ak_name[TPMQ_NAME_LEN];
	uint32_t ek_handle;         /* 0: re-create from the template */
	uint8_t ek_pub[TPMQ_PUBLIC_MAX];
	size_t ek_pub_len;
	uint8_t *ek_cert;           /* or NULL */
	size_t ek_cert_len;
	uint32_t app_pcr;
	struct tpmq_pcrsel sel;
	uint8_t auth[TPM_AK_AUTH_LEN];      /* secret */
	size_t auth_len;
};

/* Load keys/tpm.json and keys/tpm-ak.auth. Clear with signer_tpm_clear(). */
int signer_tpm_load(const char *home, struct signer_tpm_home *out);
/* Free and wipe. */
void signer_tpm_clear(struct signer_tpm_home *h);
/* The TCTI a run uses: $RUNSEAL_TCTI if set, else the stored one (borrowed). */
const char *signer_tpm_tcti(const struct signer_tpm_home *h);

/*
 * What `runseal identity export` writes (new string, caller frees): the
 * PEM public key (software: the trust anchor to pin) or the TPM identity
 * (attest/tpmtext.h: to enroll). *kind says which.
 */
int signer_identity_text(const char *home, char **text, enum attest_signer_kind *kind);

#endif
