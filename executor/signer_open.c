/*
 * signer_open.c - the home's signer: create (init), open (run), describe
 * (identity export). The file formats are in signer_open.h.
 */
#include "executor/signer_open.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "attest/tpmtext.h"
#include "common/encode.h"
#include "common/err.h"
#include "common/file.h"
#include "common/home.h"

#define TPM_CONFIG_MAX (64 * 1024)
#define TPM_CONFIG_SCHEMA "runseal-tpm/v1"

static int
exists(const char *home, const char *name, int *yes)
{
	char *p;

	*yes = 0;
	if ((p = rs_home_path(home, name)) == NULL)
		return RS_ERR_ALLOC;
	*yes = access(p, F_OK) == 0;
	free(p);
	return 0;
}

int
signer_home_kind(const char *home, enum attest_signer_kind *kind)
{
	int sw = 0, tpm = 0, r;

	*kind = 0;
	if ((r = exists(home, RS_HOME_SIGNER_KEY, &sw)) != 0 ||
	    (r = exists(home, RS_HOME_TPM_CONFIG, &tpm)) != 0)
		return r;
	if (sw && tpm)
		return rs_fail(RS_ERR_CONFIG, "%s has both a software key (%s) and a TPM signer "
		    "(%s): a home has one signer", home, RS_HOME_SIGNER_KEY, RS_HOME_TPM_CONFIG);
	if (!sw && !tpm)
		return rs_fail(RS_ERR_CONFIG, "%s has no signer (%s or %s): run `runseal init`",
		    home, RS_HOME_SIGNER_KEY, RS_HOME_TPM_CONFIG);
	*kind = tpm ? ATTEST_SIGNER_TPM : ATTEST_SIGNER_SOFTWARE;
	return 0;
}

/* ---- keys/tpm.json --------------------------------------------------------- */

void
signer_tpm_clear(struct signer_tpm_home *h)
{
	free(h->tcti);
	free(h->ek_cert);
	OPENSSL_cleanse(h, sizeof(*h));
}

const char *
signer_tpm_tcti(const struct signer_tpm_home *h)
{
	const char *s = getenv("RUNSEAL_TCTI");

	return s != NULL && s[0] != '\0' ? s : h->tcti;
}

static int
json_handle(json_t *v, const char *key, uint32_t *out)
{
	const char *s;
	char *end = NULL;
	unsigned long h;

	*out = 0;
	if (json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return rs_fail(RS_ERR_CONFIG, "%s: %s is not a string", RS_HOME_TPM_CONFIG, key);
	s = json_string_value(v);
	errno = 0;
	h = strtoul(s, &end, 16);
	if (strncmp(s, "0x", 2) != 0 || errno != 0 || *end != '\0' || h < 0x81000000ul ||
	    h > 0x81fffffful)
		return rs_fail(RS_ERR_CONFIG, "%s: %s '%s' is not a persistent handle",
		    RS_HOME_TPM_CONFIG, key, s);
	*out = (uint32_t)h;
	return 0;
}

/* base64 field into a fixed buffer (exactly: at most cap bytes). */
static int
json_b64(json_t *v, const char *key, uint8_t *buf, size_t cap, size_t *len)
{
	uint8_t *d = NULL;
	size_t n = 0;
	int r;

	*len = 0;
	if (!json_is_string(v))
		return rs_fail(RS_ERR_CONFIG, "%s: %s is not a string", RS_HOME_TPM_CONFIG, key);
	if ((r = rs_base64_decode(json_string_value(v), json_string_length(v), &d, &n)) != 0)
		return rs_fail(RS_ERR_CONFIG, "%s: %s is not base64", RS_HOME_TPM_CONFIG, key);
	if (n == 0 || n > cap) {
		free(d);
		return rs_fail(RS_ERR_CONFIG, "%s: %s of %zu bytes", RS_HOME_TPM_CONFIG, key, n);
	}
	memcpy(buf, d, n);
	*len = n;
	free(d);
	return 0;
}

int
signer_tpm_load(const char *home, struct signer_tpm_home *out)
{
	char *path = NULL, *apath = NULL;
	uint8_t *text = NULL, *auth = NULL;
	size_t len = 0, alen = 0;
	json_t *o = NULL, *v;
	json_error_t jerr;
	struct tpmq_public pub;
	uint8_t name[TPMQ_NAME_LEN];
	json_int_t app;
	int r;

	memset(out, 0, sizeof(*out));
	if ((path = rs_home_path(home, RS_HOME_TPM_CONFIG)) == NULL ||
	    (apath = rs_home_path(home, RS_HOME_TPM_AUTH)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((r = rs_read_file(path, TPM_CONFIG_MAX, &text, &len)) != 0)
		goto out;
	if ((o = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, &jerr)) == NULL ||
	    !json_is_object(o)) {
		r = rs_fail(RS_ERR_CONFIG, "%s: not a JSON object: %s", path, jerr.text);
		goto out;
	}
	if (!json_is_string(v = json_object_get(o, "schema")) ||
	    strcmp(json_string_value(v), TPM_CONFIG_SCHEMA) != 0) {
		r = rs_fail(RS_ERR_CONFIG, "%s: schema is not %s", path, TPM_CONFIG_SCHEMA);
		goto out;
	}
	if (!json_is_string(v = json_object_get(o, "tcti")) ||
	    (out->tcti = strdup(json_string_value(v))) == NULL) {
		r = v == NULL || !json_is_string(v) ?
		    rs_fail(RS_ERR_CONFIG, "%s: tcti missing", path) : RS_ERR_ALLOC;
		goto out;
	}
	if ((r = json_handle(json_object_get(o, "ak_handle"), "ak_handle", &out->ak_handle)) != 0 ||
	    (r = json_handle(json_object_get(o, "ek_handle"), "ek_handle", &out->ek_handle)) != 0)
		goto out;
	if (out->ak_handle == 0) {
		r = rs_fail(RS_ERR_CONFIG, "%s: ak_handle missing", path);
		goto out;
	}
	if ((r = json_b64(json_object_get(o, "ak_public"), "ak_public", out->ak_pub,
	    sizeof(out->ak_pub), &out->ak_pub_len)) != 0 ||
	    (r = json_b64(json_object_get(o, "ek_public"), "ek_public", out->ek_pub,
	    sizeof(out->ek_pub), &out->ek_pub_len)) != 0)
		goto out;
	if ((r = tpmq_public_parse(out->ak_pub, out->ak_pub_len, &pub)) != 0) {
		r = rs_fail(RS_ERR_CONFIG, "%s: ak_public: %s", path, rs_err_detail());
		goto out;
	}
	memcpy(out->ak_name, pub.name, TPMQ_NAME_LEN);
	if (!json_is_string(v = json_object_get(o, "ak_name")) ||
	    rs_hex_decode(json_string_value(v), name, TPMQ_NAME_LEN) != 0 ||
	    memcmp(name, pub.name, TPMQ_NAME_LEN) != 0) {
		r = rs_fail(RS_ERR_CONFIG, "%s: ak_name does not match ak_public", path);
		goto out;
	}
	v = json_object_get(o, "ek_certificate");
	if (v != NULL && !json_is_null(v)) {
		if (!json_is_string(v) || rs_base64_decode(json_string_value(v),
		    json_string_length(v), &out->ek_cert, &out->ek_cert_len) != 0) {
			r = rs_fail(RS_ERR_CONFIG, "%s: ek_certificate is not base64", path);
			goto out;
		}
	}
	if (!json_is_integer(v = json_object_get(o, "app_pcr")) ||
	    (app = json_integer_value(v)) < 0 || app >= TPMQ_PCR_COUNT) {
		r = rs_fail(RS_ERR_CONFIG, "%s: app_pcr is not a PCR number", path);
		goto out;
	}
	out->app_pcr = (uint32_t)app;
	if (!json_is_string(v = json_object_get(o, "pcr_selection")) ||
	    tpmq_pcrsel_parse(json_string_value(v), &out->sel) != 0 ||
	    !(out->sel.mask & (UINT32_C(1) << out->app_pcr))) {
		r = rs_fail(RS_ERR_CONFIG, "%s: pcr_selection is not a selection including "
		    "app_pcr", path);
		goto out;
	}
	if ((r = rs_read_file(apath, 256, &auth, &alen)) != 0)
		goto out;
	if (alen == 0 || alen > sizeof(out->auth)) {
		r = rs_fail(RS_ERR_CONFIG, "%s: %zu bytes, expected %d", apath, alen,
		    TPM_AK_AUTH_LEN);
		goto out;
	}
	memcpy(out->auth, auth, alen);
	out->auth_len = alen;
	r = 0;
out:
	if (auth != NULL) {
		OPENSSL_cleanse(auth, alen);
		free(auth);
	}
	json_decref(o);
	free(text);
	free(apath);
	free(path);
	if (r != 0)
		signer_tpm_clear(out);
	return r;
}

/* Write keys/tpm-ak.auth then keys/tpm.json (its presence makes the signer). */
static int
tpm_store(const char *home, const char *tcti, const struct tpm_provisioned *p,
    uint32_t app_pcr, const struct tpmq_pcrsel *sel)
{
	char *path = NULL, *apath = NULL, *akb = NULL, *ekb = NULL, *certb = NULL, *text = NULL;
	char akh[16], ekh[16], name[2 * TPMQ_NAME_LEN + 1], seltext[TPMQ_PCRSEL_TEXT_MAX];
	struct tpmq_public pub;
	json_t *o = NULL;
	int r;

	if ((path = rs_home_path(home, RS_HOME_TPM_CONFIG)) == NULL ||
	    (apath = rs_home_path(home, RS_HOME_TPM_AUTH)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((r = tpmq_public_parse(p->ak_pub, p->ak_pub_len, &pub)) != 0 ||
	    (r = rs_base64_encode(p->ak_pub, p->ak_pub_len, &akb)) != 0 ||
	    (r = rs_base64_encode(p->ek_pub, p->ek_pub_len, &ekb)) != 0 ||
	    (p->ek_cert != NULL &&
	    (r = rs_base64_encode(p->ek_cert, p->ek_cert_len, &certb)) != 0))
		goto out;
	rs_hex_encode(pub.name, TPMQ_NAME_LEN, name);
	snprintf(akh, sizeof(akh), "0x%08x", p->ak_handle);
	snprintf(ekh, sizeof(ekh), "0x%08x", p->ek_handle);
	tpmq_pcrsel_format(sel, seltext);
	o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:o, s:i, s:s}",
	    "schema", TPM_CONFIG_SCHEMA, "tcti", tcti, "ak_handle", akh, "ak_public", akb,
	    "ak_name", name, "ek_handle", p->ek_handle ? json_string(ekh) : json_null(),
	    "ek_public", ekb, "ek_certificate", certb ? json_string(certb) : json_null(),
	    "app_pcr", (int)app_pcr, "pcr_selection", seltext);
	if (o == NULL || (text = json_dumps(o, JSON_INDENT(2))) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((r = rs_write_file_atomic(apath, p->ak_auth, TPM_AK_AUTH_LEN, 0600, 0)) != 0 ||
	    (r = rs_write_file_atomic(path, text, strlen(text), 0600, 1)) != 0)
		goto out;
	r = 0;
out:
	free(text);
	json_decref(o);
	free(certb);
	free(ekb);
	free(akb);
	free(apath);
	free(path);
	return r;
}

static int
init_tpm(const char *home, const struct signer_init_opts *o)
{
	struct tpm_provisioned p;
	struct tpmq_pcrsel sel;
	unsigned long app = TPMQ_DEFAULT_APP_PCR, handle = 0;
	const char *tcti;
	char *end = NULL;
	int r;

	memset(&p, 0, sizeof(p));
	if (o->app_pcr != NULL) {
		errno = 0;
		app = strtoul(o->app_pcr, &end, 10);
		if (errno != 0 || end == o->app_pcr || *end != '\0' || o->app_pcr[0] == '-' ||
		    app >= TPMQ_PCR_COUNT)
			return rs_fail(RS_ERR_USAGE, "--app-pcr '%s' is not a PCR number 0-%d",
			    o->app_pcr, TPMQ_PCR_COUNT - 1);
	}
	if ((r = tpmq_pcrsel_parse(o->pcrs != NULL ? o->pcrs : TPMQ_DEFAULT_PCRS, &sel)) != 0)
		return rs_fail(RS_ERR_USAGE, "--pcrs: %s", rs_err_detail());
	sel.mask |= UINT32_C(1) << app;         /* the application PCR is always quoted */
	if (o->ak_handle != NULL) {
		errno = 0;
		handle = strtoul(o->ak_handle, &end, 16);
		if (errno != 0 || strncmp(o->ak_handle, "0x", 2) != 0 || *end != '\0' ||
		    handle < 0x81000000ul || handle > 0x81fffffful)
			return rs_fail(RS_ERR_USAGE, "--ak-handle '%s' is not a persistent handle "
			    "(0x81000000 to 0x81ffffff)", o->ak_handle);
	}
	tcti = tpm_tcti_resolve(o->tcti);
	if ((r = tpm_provision(tcti, (uint32_t)handle, &p)) != 0)
		goto out;
	if ((r = tpm_store(home, tcti, &p, (uint32_t)app, &sel)) != 0) {
		r = rs_fail(r, "%s (the AK stays persistent at 0x%08x: evict it with "
		    "tpm2_evictcontrol -c 0x%08x before retrying)", rs_err_detail(), p.ak_handle,
		    p.ak_handle);
		goto out;
	}
	r = 0;
out:
	tpm_provisioned_clear(&p);
	return r;
}

static int
init_software(const char *home)
{
	struct attest_signer *signer = NULL;
	char *key = NULL, *pub = NULL, *pem = NULL;
	int r;

	if ((key = rs_home_path(home, RS_HOME_SIGNER_KEY)) == NULL ||
	    (pub = rs_home_path(home, RS_HOME_SIGNER_PUB)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if ((r = attest_softkey_create(key)) != 0 ||
	    (r = attest_signer_open_software(key, &signer)) != 0 ||
	    (r = attest_signer_export_trust(signer, &pem)) != 0 ||
	    (r = rs_write_file_atomic(pub, pem, strlen(pem), 0644, 0)) != 0)
		goto out;
	r = 0;
out:
	attest_signer_free(signer);
	free(pem);
	free(pub);
	free(key);
	return r;
}

/* An existing software home whose public key file went missing gets it back. */
static int
software_pub(const char *home)
{
	struct attest_signer *signer = NULL;
	char *key = NULL, *pub = NULL, *pem = NULL;
	int r = 0;

	if ((key = rs_home_path(home, RS_HOME_SIGNER_KEY)) == NULL ||
	    (pub = rs_home_path(home, RS_HOME_SIGNER_PUB)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	if (access(pub, F_OK) == 0)
		goto out;
	if ((r = attest_signer_open_software(key, &signer)) != 0 ||
	    (r = attest_signer_export_trust(signer, &pem)) != 0 ||
	    (r = rs_write_file_atomic(pub, pem, strlen(pem), 0644, 0)) != 0)
		goto out;
out:
	attest_signer_free(signer);
	free(pem);
	free(pub);
	free(key);
	return r;
}

int
signer_init_home(const char *home, const struct signer_init_opts *o,
    enum attest_signer_kind *kind, int *created)
{
	enum attest_signer_kind want = ATTEST_SIGNER_SOFTWARE, have;
	int r;

	*kind = 0;
	*created = 0;
	if (o->kind != NULL && strcmp(o->kind, "tpm") == 0)
		want = ATTEST_SIGNER_TPM;
	else if (o->kind != NULL && strcmp(o->kind, "software") != 0)
		return rs_fail(RS_ERR_USAGE, "unknown signer '%s' (software or tpm)", o->kind);
	if (want != ATTEST_SIGNER_TPM && (o->tcti || o->pcrs || o->app_pcr || o->ak_handle))
		return rs_fail(RS_ERR_USAGE, "--tcti, --pcrs, --app-pcr and --ak-handle are for "
		    "--signer tpm");
	if (signer_home_kind(home, &have) == 0) {
		if (o->kind != NULL && have != want)
			return rs_fail(RS_ERR_CONFIG, "%s already has a %s signer; a home keeps the "
			    "signer it was created with", home, attest_signer_kind_name(have));
		if (have == ATTEST_SIGNER_SOFTWARE && (r = software_pub(home)) != 0)
			return r;
		*kind = have;
		return 0;
	}
	rs_err_clear();
	if ((r = want == ATTEST_SIGNER_TPM ? init_tpm(home, o) : init_software(home)) != 0)
		return r;
	*kind = want;
	*created = 1;
	return 0;
}

int
signer_open_home(const char *home, struct attest_signer **out)
{
	enum attest_signer_kind kind;
	struct signer_tpm_home h;
	struct attest_tpm_config cfg;
	char *key = NULL;
	int r;

	*out = NULL;
	memset(&h, 0, sizeof(h));
	if ((r = signer_home_kind(home, &kind)) != 0)
		return r;
	if (kind == ATTEST_SIGNER_SOFTWARE) {
		if ((key = rs_home_path(home, RS_HOME_SIGNER_KEY)) == NULL)
			return RS_ERR_ALLOC;
		r = attest_signer_open_software(key, out);
		free(key);
		return r;
	}
	if ((r = signer_tpm_load(home, &h)) != 0)
		return r;
	memset(&cfg, 0, sizeof(cfg));
	cfg.tcti = signer_tpm_tcti(&h);
	cfg.ak_handle = h.ak_handle;
	cfg.ak_public = h.ak_pub;
	cfg.ak_public_len = h.ak_pub_len;
	cfg.ak_auth = h.auth;
	cfg.ak_auth_len = h.auth_len;
	cfg.app_pcr = h.app_pcr;
	cfg.sel = h.sel;
	r = attest_signer_open_tpm(&cfg, out);
	signer_tpm_clear(&h);
	return r;
}

int
signer_identity_text(const char *home, char **text, enum attest_signer_kind *kind)
{
	struct attest_signer *s = NULL;
	struct signer_tpm_home h;
	char *key = NULL;
	int r;

	*text = NULL;
	memset(&h, 0, sizeof(h));
	if ((r = signer_home_kind(home, kind)) != 0)
		return r;
	if (*kind == ATTEST_SIGNER_SOFTWARE) {
		if ((key = rs_home_path(home, RS_HOME_SIGNER_KEY)) == NULL)
			return RS_ERR_ALLOC;
		if ((r = attest_signer_open_software(key, &s)) == 0)
			r = attest_signer_export_trust(s, text);
		attest_signer_free(s);
		free(key);
		return r;
	}
	if ((r = signer_tpm_load(home, &h)) != 0)
		return r;
	r = tpmtext_identity_format(h.ak_pub, h.ak_pub_len, h.ek_pub, h.ek_pub_len, h.ek_cert,
	    h.ek_cert_len, &h.sel, h.app_pcr, text);
	signer_tpm_clear(&h);
	return r;
}
