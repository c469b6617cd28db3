#include "attest/tpm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#include "common/encode.h"
#include "common/err.h"

#define NV_CHUNK 512
#define EK_CERT_MAX (16 * 1024)
#define SERIAL_MAX 4096

/* PolicySecret(TPM_RH_ENDORSEMENT) with SHA-256: the default EK's authPolicy. */
static const uint8_t ek_policy[32] = {
	0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xb3, 0xf8, 0x1a, 0x90, 0xcc, 0x8d,
	0x46, 0xa5, 0xd7, 0x24, 0xfd, 0x52, 0xd7, 0x6e, 0x06, 0x52, 0x0b, 0x64,
	0xf2, 0xa1, 0xda, 0x1b, 0x33, 0x14, 0x69, 0xaa,
};

/* One connection. */
struct conn {
	TSS2_TCTI_CONTEXT *tcti;
	ESYS_CONTEXT *ctx;
};

struct tpm_ak {
	char *tcti;
	uint32_t handle;
	uint8_t *serial;                /* Esys_TR_Serialize of the AK: no round trip to restore */
	size_t serial_len;
	unsigned extends;               /* successful PCR extends so far */
	TPM2B_AUTH auth;                /* secret */
};

const char *
tpm_tcti_resolve(const char *flag)
{
	const char *s;

	if (flag != NULL && flag[0] != '\0')
		return flag;
	if ((s = getenv("RUNSEAL_TCTI")) != NULL && s[0] != '\0')
		return s;
	if ((s = getenv("TPM2TOOLS_TCTI")) != NULL && s[0] != '\0')
		return s;
	return TPM_TCTI_DEFAULT;
}

static int
tss_fail(TSS2_RC rc, const char *what)
{
	return rs_fail(RS_ERR_TPM, "%s: %s", what, Tss2_RC_Decode(rc));
}

/* ---- every ESAPI call, wrapped once --------------------------------------- */

static int
conn_open(const char *tcti, struct conn *c)
{
	TSS2_RC rc;

	memset(c, 0, sizeof(*c));
	tpmq_tss2_quiet();      /* runseal reports TSS2 errors itself */
	if ((rc = Tss2_TctiLdr_Initialize(tcti, &c->tcti)) != TSS2_RC_SUCCESS)
		return rs_fail(RS_ERR_TPM, "cannot reach the TPM through TCTI '%s': %s (set "
		    "--tcti or $RUNSEAL_TCTI; TSS2_LOG=all+error shows details)", tcti,
		    Tss2_RC_Decode(rc));
	if ((rc = Esys_Initialize(&c->ctx, c->tcti, NULL)) != TSS2_RC_SUCCESS) {
		Tss2_TctiLdr_Finalize(&c->tcti);
		return rs_fail(RS_ERR_TPM, "ESAPI initialisation over TCTI '%s': %s", tcti,
		    Tss2_RC_Decode(rc));
	}
	return 0;
}

static void
conn_close(struct conn *c)
{
	if (c->ctx != NULL)
		Esys_Finalize(&c->ctx);
	if (c->tcti != NULL)
		Tss2_TctiLdr_Finalize(&c->tcti);
	memset(c, 0, sizeof(*c));
}

static int
tpmc_from_public(struct conn *c, uint32_t handle, ESYS_TR *out)
{
	TSS2_RC rc;

	*out = ESYS_TR_NONE;
	if ((rc = Esys_TR_FromTPMPublic(c->ctx, handle, ESYS_TR_NONE, ESYS_TR_NONE,
	    ESYS_TR_NONE, out)) != TSS2_RC_SUCCESS) {
		*out = ESYS_TR_NONE;
		return rs_fail(RS_ERR_TPM, "no object at handle 0x%08x: %s", handle,
		    Tss2_RC_Decode(rc));
	}
	return 0;
}

static void
tpmc_tr_close(struct conn *c, ESYS_TR *h)
{
	if (*h != ESYS_TR_NONE)
		(void)Esys_TR_Close(c->ctx, h);
	*h = ESYS_TR_NONE;
}

static void
tpmc_flush(struct conn *c, ESYS_TR *h)
{
	if (*h != ESYS_TR_NONE)
		(void)Esys_FlushContext(c->ctx, *h);
	*h = ESYS_TR_NONE;
}

static int
tpmc_name(struct conn *c, ESYS_TR h, uint8_t out[TPMQ_NAME_LEN], size_t *len)
{
	TPM2B_NAME *name = NULL;
	TSS2_RC rc;

	*len = 0;
	if ((rc = Esys_TR_GetName(c->ctx, h, &name)) != TSS2_RC_SUCCESS)
		return tss_fail(rc, "reading an object's name");
	if (name->size <= TPMQ_NAME_LEN) {
		memcpy(out, name->name, name->size);
		*len = name->size;
	}
	Esys_Free(name);
	return 0;
}

static int
tpmc_read_public(struct conn *c, ESYS_TR h, TPMT_PUBLIC *out)
{
	TPM2B_PUBLIC *pub = NULL;
	TSS2_RC rc;

	memset(out, 0, sizeof(*out));
	if ((rc = Esys_ReadPublic(c->ctx, h, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub,
	    NULL, NULL)) != TSS2_RC_SUCCESS)
		return tss_fail(rc, "TPM2_ReadPublic");
	*out = pub->publicArea;
	Esys_Free(pub);
	return 0;
}

static int
tpmc_create_primary_ek(struct conn *c, ESYS_TR *ek, TPMT_PUBLIC *pub)
{
	TPM2B_SENSITIVE_CREATE sens;
	TPM2B_PUBLIC tmpl;
	TPM2B_DATA outside;
	TPML_PCR_SELECTION creation;
	TPM2B_PUBLIC *outpub = NULL;
	TSS2_RC rc;

	*ek = ESYS_TR_NONE;
	memset(&sens, 0, sizeof(sens));
	memset(&tmpl, 0, sizeof(tmpl));
	memset(&outside, 0, sizeof(outside));
	memset(&creation, 0, sizeof(creation));
	/* TCG EK Credential Profile, default template L-1 (RSA 2048). */
	tmpl.publicArea.type = TPM2_ALG_RSA;
	tmpl.publicArea.nameAlg = TPM2_ALG_SHA256;
	tmpl.publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
	    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_ADMINWITHPOLICY |
	    TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT;
	tmpl.publicArea.authPolicy.size = sizeof(ek_policy);
	memcpy(tmpl.publicArea.authPolicy.buffer, ek_policy, sizeof(ek_policy));
	tmpl.publicArea.parameters.rsaDetail.symmetric.algorithm = TPM2_ALG_AES;
	tmpl.publicArea.parameters.rsaDetail.symmetric.keyBits.aes = 128;
	tmpl.publicArea.parameters.rsaDetail.symmetric.mode.aes = TPM2_ALG_CFB;
	tmpl.publicArea.parameters.rsaDetail.scheme.scheme = TPM2_ALG_NULL;
	tmpl.publicArea.parameters.rsaDetail.keyBits = 2048;
	tmpl.publicArea.parameters.rsaDetail.exponent = 0;
	tmpl.publicArea.unique.rsa.size = 256;          /* 256 zero bytes */
	if ((rc = Esys_CreatePrimary(c->ctx, ESYS_TR_RH_ENDORSEMENT, ESYS_TR_PASSWORD,
	    ESYS_TR_NONE, ESYS_TR_NONE, &sens, &tmpl, &outside, &creation, ek, &outpub,
	    NULL, NULL, NULL)) != TSS2_RC_SUCCESS) {
		*ek = ESYS_TR_NONE;
		return tss_fail(rc, "TPM2_CreatePrimary of the endorsement key");
	}
	*pub = outpub->publicArea;
	Esys_Free(outpub);
	return 0;
}

/* A policy session satisfying the EK's policy: PolicySecret(TPM_RH_ENDORSEMENT). */
static int
tpmc_ek_session(struct conn *c, ESYS_TR *sess)
{
	TPMT_SYM_DEF sym;
	TSS2_RC rc;

	*sess = ESYS_TR_NONE;
	memset(&sym, 0, sizeof(sym));
	sym.algorithm = TPM2_ALG_NULL;
	if ((rc = Esys_StartAuthSession(c->ctx, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
	    ESYS_TR_NONE, ESYS_TR_NONE, NULL, TPM2_SE_POLICY, &sym, TPM2_ALG_SHA256,
	    sess)) != TSS2_RC_SUCCESS) {
		*sess = ESYS_TR_NONE;
		return tss_fail(rc, "TPM2_StartAuthSession (policy)");
	}
	if ((rc = Esys_PolicySecret(c->ctx, ESYS_TR_RH_ENDORSEMENT, *sess, ESYS_TR_PASSWORD,
	    ESYS_TR_NONE, ESYS_TR_NONE, NULL, NULL, NULL, 0, NULL, NULL)) != TSS2_RC_SUCCESS) {
		tpmc_flush(c, sess);
		return tss_fail(rc, "TPM2_PolicySecret(endorsement) for the EK");
	}
	return 0;
}

static int
tpmc_create_ak(struct conn *c, ESYS_TR ek, ESYS_TR sess, const TPM2B_AUTH *auth,
    TPM2B_PRIVATE **priv, TPM2B_PUBLIC **pub)
{
	TPM2B_SENSITIVE_CREATE sens;
	TPM2B_PUBLIC tmpl;
	TPM2B_DATA outside;
	TPML_PCR_SELECTION creation;
	TPMS_ECC_PARMS *e = &tmpl.publicArea.parameters.eccDetail;
	TSS2_RC rc;

	*priv = NULL;
	*pub = NULL;
	memset(&sens, 0, sizeof(sens));
	memset(&tmpl, 0, sizeof(tmpl));
	memset(&outside, 0, sizeof(outside));
	memset(&creation, 0, sizeof(creation));
	sens.sensitive.userAuth = *auth;
	tmpl.publicArea.type = TPM2_ALG_ECC;
	tmpl.publicArea.nameAlg = TPM2_ALG_SHA256;
	tmpl.publicArea.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT |
	    TPMA_OBJECT_SENSITIVEDATAORIGIN | TPMA_OBJECT_USERWITHAUTH |
	    TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT;
	e->symmetric.algorithm = TPM2_ALG_NULL;
	e->scheme.scheme = TPM2_ALG_ECDSA;
	e->scheme.details.ecdsa.hashAlg = TPM2_ALG_SHA256;
	e->curveID = TPM2_ECC_NIST_P256;
	e->kdf.scheme = TPM2_ALG_NULL;
	rc = Esys_Create(c->ctx, ek, sess, ESYS_TR_NONE, ESYS_TR_NONE, &sens, &tmpl, &outside,
	    &creation, priv, pub, NULL, NULL, NULL);
	OPENSSL_cleanse(&sens, sizeof(sens));
	if (rc != TSS2_RC_SUCCESS) {
		*priv = NULL;
		*pub = NULL;
		return tss_fail(rc, "TPM2_Create of the attestation key under the EK");
	}
	return 0;
}

static int
tpmc_load(struct conn *c, ESYS_TR parent, ESYS_TR sess, const TPM2B_PRIVATE *priv,
    const TPM2B_PUBLIC *pub, ESYS_TR *out)
{
	TSS2_RC rc;

	if ((rc = Esys_Load(c->ctx, parent, sess, ESYS_TR_NONE, ESYS_TR_NONE, priv, pub,
	    out)) != TSS2_RC_SUCCESS) {
		*out = ESYS_TR_NONE;
		return tss_fail(rc, "TPM2_Load of the attestation key");
	}
	return 0;
}

static int
tpmc_evict(struct conn *c, ESYS_TR obj, uint32_t handle, ESYS_TR *out)
{
	TSS2_RC rc;

	if ((rc = Esys_EvictControl(c->ctx, ESYS_TR_RH_OWNER, obj, ESYS_TR_PASSWORD,
	    ESYS_TR_NONE, ESYS_TR_NONE, handle, out)) != TSS2_RC_SUCCESS) {
		*out = ESYS_TR_NONE;
		return rs_fail(RS_ERR_TPM, "TPM2_EvictControl to persistent handle 0x%08x: %s",
		    handle, Tss2_RC_Decode(rc));
	}
	return 0;
}

/* Persistent handles in [first, last] that are in use, as a bitmap of 256. */
static int
tpmc_persistent_used(struct conn *c, uint32_t first, uint8_t used[32])
{
	TPMS_CAPABILITY_DATA *cap = NULL;
	TPMI_YES_NO more = TPM2_NO;
	uint32_t h, i;
	TSS2_RC rc;

	memset(used, 0, 32);
	if ((rc = Esys_GetCapability(c->ctx, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
	    TPM2_CAP_HANDLES, first, 256, &more, &cap)) != TSS2_RC_SUCCESS)
		return tss_fail(rc, "TPM2_GetCapability(handles)");
	for (i = 0; i < cap->data.handles.count && i < TPM2_MAX_CAP_HANDLES; i++) {
		h = cap->data.handles.handle[i];
		if (h >= first && h - first < 256)
			used[(h - first) / 8] |= (uint8_t)(1u << ((h - first) % 8));
	}
	Esys_Free(cap);
	return 0;
}

static int
tpmc_nv_size(struct conn *c, ESYS_TR nv, uint16_t *size)
{
	TPM2B_NV_PUBLIC *pub = NULL;
	TSS2_RC rc;

	*size = 0;
	if ((rc = Esys_NV_ReadPublic(c->ctx, nv, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE,
	    &pub, NULL)) != TSS2_RC_SUCCESS)
		return tss_fail(rc, "TPM2_NV_ReadPublic of the EK certificate index");
	*size = pub->nvPublic.dataSize;
	Esys_Free(pub);
	return 0;
}

static int
tpmc_nv_read(struct conn *c, ESYS_TR auth, ESYS_TR nv, uint16_t off, uint16_t n, uint8_t *out)
{
	TPM2B_MAX_NV_BUFFER *data = NULL;
	TSS2_RC rc;
	int r = 0;

	if ((rc = Esys_NV_Read(c->ctx, auth, nv, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
	    n, off, &data)) != TSS2_RC_SUCCESS)
		return tss_fail(rc, "TPM2_NV_Read of the EK certificate");
	if (data->size != n)
		r = rs_fail(RS_ERR_TPM, "TPM2_NV_Read returned %u bytes, asked for %u",
		    (unsigned)data->size, (unsigned)n);
	else
		memcpy(out, data->buffer, n);
	Esys_Free(data);
	return r;
}

static int
tpmc_set_auth(struct conn *c, ESYS_TR h, const TPM2B_AUTH *auth)
{
	TSS2_RC rc;

	if ((rc = Esys_TR_SetAuth(c->ctx, h, auth)) != TSS2_RC_SUCCESS)
		return tss_fail(rc, "setting the attestation key's auth value");
	return 0;
}

static int
tpmc_serialize(struct conn *c, ESYS_TR h, uint8_t **out, size_t *len)
{
	uint8_t *buf = NULL;
	size_t n = 0;
	TSS2_RC rc;

	*out = NULL;
	*len = 0;
	if ((rc = Esys_TR_Serialize(c->ctx, h, &buf, &n)) != TSS2_RC_SUCCESS)
		return tss_fail(rc, "serializing the attestation key's handle");
	if (n == 0 || n > SERIAL_MAX || (*out = malloc(n)) == NULL) {
		Esys_Free(buf);
		return n == 0 || n > SERIAL_MAX ?
		    rs_fail(RS_ERR_TPM, "serialized handle of %zu bytes", n) : RS_ERR_ALLOC;
	}
	memcpy(*out, buf, n);
	*len = n;
	Esys_Free(buf);
	return 0;
}

static int
tpmc_deserialize(struct conn *c, const uint8_t *buf, size_t len, ESYS_TR *out)
{
	TSS2_RC rc;

	if ((rc = Esys_TR_Deserialize(c->ctx, buf, len, out)) != TSS2_RC_SUCCESS) {
		*out = ESYS_TR_NONE;
		return tss_fail(rc, "restoring the attestation key's handle");
	}
	return 0;
}

static int
tpmc_pcr_extend(struct conn *c, uint32_t pcr, const uint8_t digest[RS_SHA256_LEN])
{
	TPML_DIGEST_VALUES v;
	TSS2_RC rc;

	memset(&v, 0, sizeof(v));
	v.count = 1;
	v.digests[0].hashAlg = TPM2_ALG_SHA256;
	memcpy(v.digests[0].digest.sha256, digest, RS_SHA256_LEN);
	if ((rc = Esys_PCR_Extend(c->ctx, ESYS_TR_PCR0 + pcr, ESYS_TR_PASSWORD, ESYS_TR_NONE,
	    ESYS_TR_NONE, &v)) != TSS2_RC_SUCCESS)
		return rs_fail(RS_ERR_TPM, "TPM2_PCR_Extend of PCR %u: %s", (unsigned)pcr,
		    Tss2_RC_Decode(rc));
	return 0;
}

static int
tpmc_quote(struct conn *c, ESYS_TR ak, const uint8_t digest[RS_SHA256_LEN],
    const TPML_PCR_SELECTION *sel, TPM2B_ATTEST **quoted, TPMT_SIGNATURE **sig)
{
	TPM2B_DATA qual;
	TPMT_SIG_SCHEME scheme;
	TSS2_RC rc;

	*quoted = NULL;
	*sig = NULL;
	memset(&qual, 0, sizeof(qual));
	memset(&scheme, 0, sizeof(scheme));
	qual.size = RS_SHA256_LEN;
	memcpy(qual.buffer, digest, RS_SHA256_LEN);
	scheme.scheme = TPM2_ALG_NULL;          /* the AK's own: ECDSA-SHA256 */
	if ((rc = Esys_Quote(c->ctx, ak, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &qual,
	    &scheme, sel, quoted, sig)) != TSS2_RC_SUCCESS) {
		*quoted = NULL;
		*sig = NULL;
		return tss_fail(rc, "TPM2_Quote");
	}
	return 0;
}

static int
tpmc_pcr_read(struct conn *c, const TPML_PCR_SELECTION *in, TPML_PCR_SELECTION **sel_out,
    TPML_DIGEST **values)
{
	UINT32 counter = 0;
	TSS2_RC rc;

	*sel_out = NULL;
	*values = NULL;
	if ((rc = Esys_PCR_Read(c->ctx, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, in, &counter,
	    sel_out, values)) != TSS2_RC_SUCCESS) {
		*sel_out = NULL;
		*values = NULL;
		return tss_fail(rc, "TPM2_PCR_Read");
	}
	return 0;
}

static int
tpmc_activate(struct conn *c, ESYS_TR ak, ESYS_TR ek, ESYS_TR sess,
    const TPM2B_ID_OBJECT *id, const TPM2B_ENCRYPTED_SECRET *es, TPM2B_DIGEST **out)
{
	TSS2_RC rc;

	*out = NULL;
	if ((rc = Esys_ActivateCredential(c->ctx, ak, ek, ESYS_TR_PASSWORD, sess, ESYS_TR_NONE,
	    id, es, out)) != TSS2_RC_SUCCESS) {
		*out = NULL;
		return tss_fail(rc, "TPM2_ActivateCredential");
	}
	return 0;
}

/* ---- helpers ---------------------------------------------------------------- */

static int
marshal_public(const TPMT_PUBLIC *pub, uint8_t out[TPMQ_PUBLIC_MAX], size_t *len)
{
	size_t off = 0;
	TSS2_RC rc;

	*len = 0;
	if ((rc = Tss2_MU_TPMT_PUBLIC_Marshal(pub, out, TPMQ_PUBLIC_MAX, &off)) !=
	    TSS2_RC_SUCCESS)
		return tss_fail(rc, "marshalling a public area");
	*len = off;
	return 0;
}

/* The object at h has the name of the public area bytes given. */
static int
check_name(struct conn *c, ESYS_TR h, const uint8_t *pub, size_t pub_len, const char *what,
    uint32_t handle)
{
	struct tpmq_public want;
	uint8_t got[TPMQ_NAME_LEN];
	size_t got_len = 0;
	int r;

	if ((r = tpmq_public_parse(pub, pub_len, &want)) != 0)
		return rs_fail(r, "the stored %s public area: %s", what, rs_err_detail());
	if ((r = tpmc_name(c, h, got, &got_len)) != 0)
		return r;
	if (got_len != TPMQ_NAME_LEN || memcmp(got, want.name, TPMQ_NAME_LEN) != 0)
		return rs_fail(RS_ERR_VERIFY, "the key at handle 0x%08x is not this home's %s "
		    "(another key was put there, or the TPM was cleared)", handle, what);
	return 0;
}

/* The EK, persistent at TPM_EK_HANDLE if it is a usable EK there, else re-created. */
static int
open_ek(struct conn *c, ESYS_TR *ek, int *transient, TPMT_PUBLIC *pub)
{
	int r;

	*transient = 0;
	if (tpmc_from_public(c, TPM_EK_HANDLE, ek) == 0) {
		if (tpmc_read_public(c, *ek, pub) == 0 && tpmq_ek_check(pub) == 0)
			return 0;
		tpmc_tr_close(c, ek);
	}
	rs_err_clear();
	if ((r = tpmc_create_primary_ek(c, ek, pub)) != 0)
		return r;
	*transient = 1;
	if ((r = tpmq_ek_check(pub)) != 0) {
		tpmc_flush(c, ek);
		return rs_fail(r, "the TPM's default EK: %s", rs_err_detail());
	}
	return 0;
}

/* Trim NV padding after a DER certificate: the length its header states. */
static size_t
der_length(const uint8_t *p, size_t len)
{
	size_t n;

	if (len < 2 || p[0] != 0x30)
		return len;
	if (p[1] < 0x80)
		n = 2 + (size_t)p[1];
	else if (p[1] == 0x81 && len >= 3)
		n = 3 + (size_t)p[2];
	else if (p[1] == 0x82 && len >= 4)
		n = 4 + ((size_t)p[2] << 8 | p[3]);
	else
		return len;
	return n <= len ? n : len;
}

/* The EK certificate from NV, or *cert NULL if the TPM has none there. */
static int
read_ek_cert(struct conn *c, uint8_t **cert, size_t *len)
{
	ESYS_TR nv = ESYS_TR_NONE;
	uint8_t *buf = NULL;
	uint16_t size = 0, off, n;
	int r;

	*cert = NULL;
	*len = 0;
	if (tpmc_from_public(c, TPM_EK_CERT_NV_INDEX, &nv) != 0) {
		rs_err_clear();
		return 0;               /* no certificate index */
	}
	if ((r = tpmc_nv_size(c, nv, &size)) != 0)
		goto out;
	if (size == 0 || size > EK_CERT_MAX) {
		r = rs_fail(RS_ERR_TPM, "the EK certificate NV index holds %u bytes",
		    (unsigned)size);
		goto out;
	}
	if ((buf = malloc(size)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	for (off = 0; off < size; off = (uint16_t)(off + n)) {
		n = (uint16_t)(size - off < NV_CHUNK ? size - off : NV_CHUNK);
		/* Owner read is the usual attribute; fall back to the index's own (empty) auth. */
		if ((r = tpmc_nv_read(c, ESYS_TR_RH_OWNER, nv, off, n, buf + off)) != 0 &&
		    (r = tpmc_nv_read(c, nv, nv, off, n, buf + off)) != 0)
			goto out;
	}
	*len = der_length(buf, size);
	*cert = buf;
	buf = NULL;
	r = 0;
out:
	free(buf);
	tpmc_tr_close(c, &nv);
	return r;
}

/* ---- provisioning -------------------------------------------------------------- */

void
tpm_provisioned_clear(struct tpm_provisioned *p)
{
	free(p->ek_cert);
	OPENSSL_cleanse(p, sizeof(*p));
}

static int
pick_handle(struct conn *c, uint32_t want, uint32_t *out)
{
	uint8_t used[32];
	uint32_t h;
	int r;

	*out = 0;
	if (want != 0 && (want < 0x81000000u || want > 0x81ffffffu))
		return rs_fail(RS_ERR_USAGE, "0x%08x is not a persistent handle (0x81000000 to "
		    "0x81ffffff)", want);
	if (want != 0) {
		if ((r = tpmc_persistent_used(c, want, used)) != 0)
			return r;
		if (used[0] & 1)
			return rs_fail(RS_ERR_EXISTS, "persistent handle 0x%08x is in use: give "
			    "another --ak-handle, or evict that key (tpm2_evictcontrol -c 0x%08x) "
			    "if it is an old runseal AK", want, want);
		*out = want;
		return 0;
	}
	if ((r = tpmc_persistent_used(c, TPM_AK_HANDLE_FIRST, used)) != 0)
		return r;
	for (h = 0; h <= TPM_AK_HANDLE_LAST - TPM_AK_HANDLE_FIRST; h++) {
		if (!(used[h / 8] & (1u << (h % 8)))) {
			*out = TPM_AK_HANDLE_FIRST + h;
			return 0;
		}
	}
	return rs_fail(RS_ERR_EXISTS, "no free persistent handle in 0x%08x..0x%08x: give "
	    "--ak-handle", TPM_AK_HANDLE_FIRST, TPM_AK_HANDLE_LAST);
}

int
tpm_provision(const char *tcti, uint32_t ak_handle, struct tpm_provisioned *out)
{
	struct conn c;
	ESYS_TR ek = ESYS_TR_NONE, sess = ESYS_TR_NONE, ak = ESYS_TR_NONE, pers = ESYS_TR_NONE;
	TPMT_PUBLIC ekpub;
	TPM2B_PRIVATE *priv = NULL;
	TPM2B_PUBLIC *pub = NULL;
	TPM2B_AUTH auth;
	int ek_transient = 0, r;

	memset(out, 0, sizeof(*out));
	memset(&auth, 0, sizeof(auth));
	if ((r = conn_open(tcti, &c)) != 0)
		return r;
	if ((r = pick_handle(&c, ak_handle, &out->ak_handle)) != 0)
		goto out;
	if ((r = open_ek(&c, &ek, &ek_transient, &ekpub)) != 0)
		goto out;
	out->ek_handle = ek_transient ? 0 : TPM_EK_HANDLE;
	if ((r = marshal_public(&ekpub, out->ek_pub, &out->ek_pub_len)) != 0)
		goto out;
	if ((r = read_ek_cert(&c, &out->ek_cert, &out->ek_cert_len)) != 0)
		goto out;
	auth.size = TPM_AK_AUTH_LEN;
	if (RAND_priv_bytes(auth.buffer, TPM_AK_AUTH_LEN) != 1) {
		r = rs_fail(RS_ERR_CRYPTO, "no random bytes for the AK's auth value");
		goto out;
	}
	memcpy(out->ak_auth, auth.buffer, TPM_AK_AUTH_LEN);
	if ((r = tpmc_ek_session(&c, &sess)) != 0 ||
	    (r = tpmc_create_ak(&c, ek, sess, &auth, &priv, &pub)) != 0)
		goto out;
	tpmc_flush(&c, &sess);
	if ((r = tpmc_ek_session(&c, &sess)) != 0 ||
	    (r = tpmc_load(&c, ek, sess, priv, pub, &ak)) != 0)
		goto out;
	tpmc_flush(&c, &sess);
	if ((r = tpmq_ak_check(&pub->publicArea)) != 0) {
		r = rs_fail(RS_ERR_TPM, "the TPM made an AK runseal cannot use: %s", rs_err_detail());
		goto out;
	}
	if ((r = marshal_public(&pub->publicArea, out->ak_pub, &out->ak_pub_len)) != 0 ||
	    (r = tpmc_evict(&c, ak, out->ak_handle, &pers)) != 0)
		goto out;
	r = 0;
out:
	OPENSSL_cleanse(&auth, sizeof(auth));
	Esys_Free(priv);
	Esys_Free(pub);
	tpmc_flush(&c, &sess);
	tpmc_flush(&c, &ak);
	tpmc_tr_close(&c, &pers);
	if (ek_transient)
		tpmc_flush(&c, &ek);
	else
		tpmc_tr_close(&c, &ek);
	conn_close(&c);
	if (r != 0)
		tpm_provisioned_clear(out);
	return r;
}

/* ---- the AK per process ----------------------------------------------------------- */

void
tpm_ak_free(struct tpm_ak *ak)
{
	if (ak == NULL)
		return;
	free(ak->tcti);
	free(ak->serial);
	OPENSSL_cleanse(ak, sizeof(*ak));
	free(ak);
}

int
tpm_ak_open(const char *tcti, uint32_t handle, const uint8_t *ak_pub, size_t ak_pub_len,
    const uint8_t *auth, size_t auth_len, struct tpm_ak **out)
{
	struct tpm_ak *ak = NULL;
	struct conn c;
	ESYS_TR h = ESYS_TR_NONE;
	int r;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	if (auth_len > sizeof(ak->auth.buffer))
		return rs_fail(RS_ERR_CONFIG, "AK auth value of %zu bytes", auth_len);
	if ((ak = calloc(1, sizeof(*ak))) == NULL || (ak->tcti = strdup(tcti)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	ak->handle = handle;
	ak->auth.size = (UINT16)auth_len;
	memcpy(ak->auth.buffer, auth, auth_len);
	if ((r = conn_open(tcti, &c)) != 0)
		goto out;
	if ((r = tpmc_from_public(&c, handle, &h)) != 0) {
		r = rs_fail(RS_ERR_TPM, "this home's attestation key is gone from the TPM: %s",
		    rs_err_detail());
		goto out;
	}
	if ((r = check_name(&c, h, ak_pub, ak_pub_len, "attestation key", handle)) != 0 ||
	    (r = tpmc_serialize(&c, h, &ak->serial, &ak->serial_len)) != 0)
		goto out;
	*out = ak;
	ak = NULL;
	r = 0;
out:
	tpmc_tr_close(&c, &h);
	conn_close(&c);
	tpm_ak_free(ak);
	return r;
}

unsigned
tpm_ak_extends(const struct tpm_ak *ak)
{
	return ak->extends;
}

void
tpm_quote_clear(struct tpm_quote *q)
{
	free(q->attest);
	free(q->signature);
	memset(q, 0, sizeof(*q));
}

/* Read every PCR of sel (TPM2_PCR_Read returns at most 8 per call). */
static int
read_pcrs(struct conn *c, const struct tpmq_pcrsel *sel,
    uint8_t values[TPMQ_PCR_COUNT][RS_SHA256_LEN])
{
	struct tpmq_pcrsel left = *sel, got;
	TPML_PCR_SELECTION in, *out = NULL;
	TPML_DIGEST *digests = NULL;
	unsigned i, k;
	int r = 0;

	while (left.mask != 0) {
		tpmq_pcrsel_to_tpml(&left, &in);
		if ((r = tpmc_pcr_read(c, &in, &out, &digests)) != 0)
			break;
		if ((r = tpmq_pcrsel_from_tpml(out, &got)) != 0 || got.mask == 0 ||
		    (got.mask & ~left.mask) != 0 || digests->count != tpmq_pcrsel_count(&got)) {
			r = rs_fail(RS_ERR_TPM, "TPM2_PCR_Read returned a selection that was not "
			    "asked for");
			break;
		}
		for (i = 0, k = 0; i < TPMQ_PCR_COUNT; i++) {
			if (!(got.mask & (UINT32_C(1) << i)))
				continue;
			if (digests->digests[k].size != RS_SHA256_LEN) {
				r = rs_fail(RS_ERR_TPM, "TPM2_PCR_Read returned a %u-byte value for "
				    "PCR %u", (unsigned)digests->digests[k].size, i);
				break;
			}
			memcpy(values[i], digests->digests[k].buffer, RS_SHA256_LEN);
			k++;
		}
		if (r != 0)
			break;
		left.mask &= ~got.mask;
		Esys_Free(out);
		Esys_Free(digests);
		out = NULL;
		digests = NULL;
	}
	Esys_Free(out);
	Esys_Free(digests);
	return r;
}

int
tpm_ak_quote(struct tpm_ak *ak, uint32_t app_pcr, const struct tpmq_pcrsel *sel,
    const uint8_t digest[RS_SHA256_LEN], struct tpm_quote *out)
{
	struct conn c;
	ESYS_TR h = ESYS_TR_NONE;
	TPML_PCR_SELECTION tsel;
	TPM2B_ATTEST *quoted = NULL;
	TPMT_SIGNATURE *sig = NULL;
	TPMS_ATTEST *a = NULL;
	struct tpmq_pcr pcrs[TPMQ_PCR_COUNT];
	uint8_t values[TPMQ_PCR_COUNT][RS_SHA256_LEN], pdigest[RS_SHA256_LEN];
	unsigned i, n, attempt;
	size_t off = 0;
	int matched = 0, r;
	TSS2_RC rc;

	memset(out, 0, sizeof(*out));
	memset(&c, 0, sizeof(c));
	if (app_pcr >= TPMQ_PCR_COUNT || !(sel->mask & (UINT32_C(1) << app_pcr)))
		return rs_fail(RS_ERR_CONFIG, "the PCR selection does not include the "
		    "application PCR %u", (unsigned)app_pcr);
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return RS_ERR_ALLOC;
	tpmq_pcrsel_to_tpml(sel, &tsel);
	if ((r = conn_open(ak->tcti, &c)) != 0 ||
	    (r = tpmc_deserialize(&c, ak->serial, ak->serial_len, &h)) != 0 ||
	    (r = tpmc_set_auth(&c, h, &ak->auth)) != 0)
		goto out;
	if ((r = tpmc_pcr_extend(&c, app_pcr, digest)) != 0)
		goto out;
	ak->extends++;
	for (attempt = 0; attempt < TPM_QUOTE_ATTEMPTS && !matched; attempt++) {
		Esys_Free(quoted);
		Esys_Free(sig);
		quoted = NULL;
		sig = NULL;
		if ((r = tpmc_quote(&c, h, digest, &tsel, &quoted, &sig)) != 0 ||
		    (r = read_pcrs(&c, sel, values)) != 0)
			goto out;
		if ((r = tpmq_attest_parse(quoted->attestationData, quoted->size, a)) != 0) {
			r = rs_fail(RS_ERR_TPM, "the TPM's quote: %s", rs_err_detail());
			goto out;
		}
		if (a->extraData.size != RS_SHA256_LEN ||
		    memcmp(a->extraData.buffer, digest, RS_SHA256_LEN) != 0) {
			r = rs_fail(RS_ERR_TPM, "the TPM quoted another qualifyingData than the "
			    "record digest");
			goto out;
		}
		for (i = 0, n = 0; i < TPMQ_PCR_COUNT; i++) {
			if (!(sel->mask & (UINT32_C(1) << i)))
				continue;
			pcrs[n].index = i;
			pcrs[n].value = values[i];
			pcrs[n].len = RS_SHA256_LEN;
			n++;
		}
		if ((r = tpmq_pcr_digest(pcrs, n, pdigest)) != 0)
			goto out;
		matched = a->attested.quote.pcrDigest.size == RS_SHA256_LEN &&
		    memcmp(a->attested.quote.pcrDigest.buffer, pdigest, RS_SHA256_LEN) == 0;
	}
	if (!matched) {
		r = rs_fail(RS_ERR_TPM, "the PCR values kept changing between TPM2_Quote and "
		    "TPM2_PCR_Read (%d attempts): another program is extending the quoted PCRs",
		    TPM_QUOTE_ATTEMPTS);
		goto out;
	}
	if ((out->attest = malloc(quoted->size)) == NULL ||
	    (out->signature = malloc(sizeof(TPMT_SIGNATURE))) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	memcpy(out->attest, quoted->attestationData, quoted->size);
	out->attest_len = quoted->size;
	if ((rc = Tss2_MU_TPMT_SIGNATURE_Marshal(sig, out->signature, sizeof(TPMT_SIGNATURE),
	    &off)) != TSS2_RC_SUCCESS) {
		r = tss_fail(rc, "marshalling the quote's signature");
		goto out;
	}
	out->signature_len = off;
	for (i = 0, n = 0; i < TPMQ_PCR_COUNT; i++) {
		if (!(sel->mask & (UINT32_C(1) << i)))
			continue;
		out->pcr_index[n] = i;
		memcpy(out->pcr_value[n], values[i], RS_SHA256_LEN);
		n++;
	}
	out->n_pcrs = n;
	r = 0;
out:
	free(a);
	Esys_Free(quoted);
	Esys_Free(sig);
	tpmc_tr_close(&c, &h);
	conn_close(&c);
	if (r != 0)
		tpm_quote_clear(out);
	return r;
}

/* ---- credential activation ------------------------------------------------------- */

int
tpm_activate(const char *tcti, uint32_t ak_handle, const uint8_t *ak_pub,
    size_t ak_pub_len, const uint8_t *ak_auth, size_t ak_auth_len, uint32_t ek_handle,
    const uint8_t *ek_pub, size_t ek_pub_len, const TPM2B_ID_OBJECT *id_object,
    const TPM2B_ENCRYPTED_SECRET *enc_secret, uint8_t *secret, size_t secret_cap,
    size_t *secret_len)
{
	struct conn c;
	ESYS_TR ak = ESYS_TR_NONE, ek = ESYS_TR_NONE, sess = ESYS_TR_NONE;
	TPMT_PUBLIC ekpub;
	TPM2B_AUTH auth;
	TPM2B_DIGEST *cert = NULL;
	int ek_transient = 0, r;

	*secret_len = 0;
	memset(&auth, 0, sizeof(auth));
	if (ak_auth_len > sizeof(auth.buffer))
		return rs_fail(RS_ERR_CONFIG, "AK auth value of %zu bytes", ak_auth_len);
	auth.size = (UINT16)ak_auth_len;
	memcpy(auth.buffer, ak_auth, ak_auth_len);
	if ((r = conn_open(tcti, &c)) != 0)
		goto out;
	if (ek_handle != 0) {
		if ((r = tpmc_from_public(&c, ek_handle, &ek)) != 0)
			goto out;
	} else {
		if ((r = tpmc_create_primary_ek(&c, &ek, &ekpub)) != 0)
			goto out;
		ek_transient = 1;
	}
	if ((r = check_name(&c, ek, ek_pub, ek_pub_len, "endorsement key",
	    ek_handle ? ek_handle : TPM2_RH_ENDORSEMENT)) != 0)
		goto out;
	if ((r = tpmc_from_public(&c, ak_handle, &ak)) != 0 ||
	    (r = check_name(&c, ak, ak_pub, ak_pub_len, "attestation key", ak_handle)) != 0 ||
	    (r = tpmc_set_auth(&c, ak, &auth)) != 0 ||
	    (r = tpmc_ek_session(&c, &sess)) != 0)
		goto out;
	if ((r = tpmc_activate(&c, ak, ek, sess, id_object, enc_secret, &cert)) != 0) {
		r = rs_fail(r, "%s (a challenge made for another TPM or another AK fails here)",
		    rs_err_detail());
		goto out;
	}
	if (cert->size == 0 || cert->size > secret_cap) {
		r = rs_fail(RS_ERR_TPM, "the TPM released a %u-byte secret", (unsigned)cert->size);
		goto out;
	}
	memcpy(secret, cert->buffer, cert->size);
	*secret_len = cert->size;
	r = 0;
out:
	if (cert != NULL) {
		OPENSSL_cleanse(cert, sizeof(*cert));
		Esys_Free(cert);
	}
	OPENSSL_cleanse(&auth, sizeof(auth));
	tpmc_flush(&c, &sess);
	tpmc_tr_close(&c, &ak);
	if (ek_transient)
		tpmc_flush(&c, &ek);
	else
		tpmc_tr_close(&c, &ek);
	conn_close(&c);
	return r;
}
