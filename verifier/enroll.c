/*
 * enroll.c - runseal-verify enroll (the protocol is in enroll.h).
 */
#include "verifier/enroll.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "attest/credential.h"
#include "attest/tpmquote.h"
#include "attest/tpmtext.h"
#include "common/encode.h"
#include "common/err.h"
#include "common/exitcode.h"
#include "common/file.h"
#include "common/log.h"

#define PROG "runseal-verify"
/* Trust-file lines of other readers that enrollment carries over (ledger/checkpoint.h). */
#define CARRIED_PREFIX "runseal-checkpoint-key: "
#define CARRIED_MAX 16
#define CARRIED_LINE_MAX 1024

static const char ENROLL_USAGE[] =
    "usage: " PROG " enroll IDENTITY (--ek-ca FILE | --allow-no-ek-cert)\n"
    "                      --challenge FILE --state FILE [--pcrs SEL] [--app-pcr N] [--json]\n"
    "       " PROG " enroll --response FILE --state FILE --trust FILE [--json]\n"
    "\n"
    "Enroll a machine's TPM attestation key (AK) into your trust file, the way\n"
    "a remote-attestation registrar does, in two steps:\n"
    "\n"
    "1. With IDENTITY (from `runseal identity export` on the machine): check\n"
    "   that the AK is a restricted ECC P-256 signing key that never leaves its\n"
    "   TPM (fixedTPM|fixedParent|sensitiveDataOrigin|userWithAuth|restricted|\n"
    "   sign), that the EK certificate chains to a CA in --ek-ca and is for the\n"
    "   EK, that the AK quotes the PCRs you expect; then make a credential that\n"
    "   only that TPM can open, for that AK (TPM2_MakeCredential, computed here\n"
    "   with OpenSSL). Writes the challenge (give it to the machine) and the\n"
    "   state (keep it: it holds the secret, mode 0600).\n"
    "   On the machine: runseal identity activate CHALLENGE -o RESPONSE\n"
    "2. With --response: compare the secret the TPM released with the one in\n"
    "   the state (constant time); only if equal, append the AK to --trust\n"
    "   (created if missing) and delete the state (a challenge answers once).\n"
    "   The identity's \"runseal-checkpoint-key:\" line (the ledger's checkpoint\n"
    "   key), if any, is added too, on the identity file's word.\n"
    "\n"
    "  --ek-ca FILE        PEM certificates you trust to sign EK certificates\n"
    "                      (TPM makers' CAs, or swtpm_localca's for tests)\n"
    "  --allow-no-ek-cert  accept an EK without certificate: nothing then ties\n"
    "                      the EK to a real TPM; the trust entry records this and\n"
    "                      every verification report says so\n"
    "  --pcrs SEL          PCRs each quote must cover besides the application PCR\n"
    "                      (default " TPMQ_DEFAULT_PCRS ")\n"
    "  --app-pcr N         the application PCR (default 23)\n"
    "  --json              print one JSON object on stdout\n"
    "\n"
    "Exit status: 0 done, 1 the identity or the response does not verify,\n"
    "64 usage error, 65 malformed input, 66 input file missing, 74 I/O error.\n";

enum {
	OPT_HELP = 256,
	OPT_EK_CA,
	OPT_ALLOW_NO_CERT,
	OPT_CHALLENGE,
	OPT_STATE,
	OPT_RESPONSE,
	OPT_TRUST,
	OPT_PCRS,
	OPT_APP_PCR,
	OPT_JSON,
};

static int
usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
usage_error(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rs_error("%s (see '" PROG " enroll --help')", msg);
	return RS_EXIT_USAGE;
}

struct enroll_args {
	const char *identity, *ek_ca, *challenge, *state, *response, *trust, *pcrs, *app_pcr;
	int allow_no_cert, json;
};

/* The PCRs the verifier expects: --pcrs plus --app-pcr. */
static int
expected_selection(const struct enroll_args *a, struct tpmq_pcrsel *sel, uint32_t *app)
{
	unsigned long v = TPMQ_DEFAULT_APP_PCR;
	char *end = NULL;
	int r;

	if (a->app_pcr != NULL) {
		errno = 0;
		v = strtoul(a->app_pcr, &end, 10);
		if (errno != 0 || end == a->app_pcr || *end != '\0' || a->app_pcr[0] == '-' ||
		    v >= TPMQ_PCR_COUNT)
			return rs_fail(RS_ERR_USAGE, "--app-pcr '%s' is not a PCR number 0-%d",
			    a->app_pcr, TPMQ_PCR_COUNT - 1);
	}
	if ((r = tpmq_pcrsel_parse(a->pcrs != NULL ? a->pcrs : TPMQ_DEFAULT_PCRS, sel)) != 0)
		return rs_fail(RS_ERR_USAGE, "--pcrs: %s", rs_err_detail());
	sel->mask |= UINT32_C(1) << v;
	*app = (uint32_t)v;
	return 0;
}

/*
 * The CARRIED_PREFIX lines of text that are not in have (may be NULL), as
 * one new string of whole lines ("" if none). These lines are the ledger's
 * checkpoint key as `runseal identity export` wrote it: pinned on the word
 * of the identity file, like a software signer's public key.
 */
static int
carried_lines(const char *text, size_t len, const char *have, size_t have_len, char **out)
{
	const char *p = text, *end = text + len, *eol;
	size_t n = 0, used = 0, l;
	char *buf;

	*out = NULL;
	if ((buf = calloc(1, CARRIED_MAX * (CARRIED_LINE_MAX + 1) + 1)) == NULL)
		return RS_ERR_ALLOC;
	while (p < end) {
		if ((eol = memchr(p, '\n', (size_t)(end - p))) == NULL)
			eol = end;
		l = (size_t)(eol - p);
		if (l > strlen(CARRIED_PREFIX) && l <= CARRIED_LINE_MAX &&
		    memcmp(p, CARRIED_PREFIX, strlen(CARRIED_PREFIX)) == 0 &&
		    memchr(p, '\0', l) == NULL && n < CARRIED_MAX) {
			int dup = 0;

			if (have != NULL) {
				const char *q = have, *hend = have + have_len;

				while (q < hend && !dup) {
					const char *qe = memchr(q, '\n', (size_t)(hend - q));

					if (qe == NULL)
						qe = hend;
					dup = (size_t)(qe - q) == l && memcmp(q, p, l) == 0;
					q = qe + 1;
				}
			}
			if (!dup) {
				memcpy(buf + used, p, l);
				used += l;
				buf[used++] = '\n';
				n++;
			}
		}
		p = eol + 1;
	}
	buf[used] = '\0';
	*out = buf;
	return 0;
}

static void
utc_now(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "unknown");
}

/* Step 1: check the identity, write the challenge and the state. */
static int
enroll_challenge(const struct enroll_args *a)
{
	struct tpmtext_identity id;
	struct tpmtext_ak pending;
	struct cred_ek_cert cert;
	struct tpmq_pcrsel want;
	uint8_t secret[CRED_SECRET_LEN], *text = NULL, *payload = NULL;
	size_t len = 0, plen = 0;
	char *challenge = NULL, *state = NULL, *carried = NULL, *full = NULL;
	char got_sel[TPMQ_PCRSEL_TEXT_MAX];
	char want_sel[TPMQ_PCRSEL_TEXT_MAX], name[2 * TPMQ_NAME_LEN + 1];
	uint32_t app = 0;
	int r;

	memset(&id, 0, sizeof(id));
	memset(&pending, 0, sizeof(pending));
	memset(&cert, 0, sizeof(cert));
	if ((r = expected_selection(a, &want, &app)) != 0)
		goto out;
	if ((r = rs_read_file(a->identity, TPMTEXT_FILE_MAX, &text, &len)) != 0)
		goto out;
	if ((r = tpmtext_identity_parse((const char *)text, len, &id)) != 0) {
		r = rs_fail(r, "identity %s: %s", a->identity, rs_err_detail());
		goto out;
	}
	if ((r = tpmq_ak_check(&id.ak.ak.pub)) != 0 || (r = tpmq_ek_check(&id.ek.pub)) != 0) {
		r = rs_fail(r, "identity %s: %s", a->identity, rs_err_detail());
		goto out;
	}
	if (id.ak.sel.mask != want.mask || id.ak.app_pcr != app) {
		tpmq_pcrsel_format(&id.ak.sel, got_sel);
		tpmq_pcrsel_format(&want, want_sel);
		r = rs_fail(RS_ERR_VERIFY, "the machine quotes %s with application PCR %u, but you "
		    "expect %s with application PCR %u (give --pcrs/--app-pcr to expect what it "
		    "quotes)", got_sel, (unsigned)id.ak.app_pcr, want_sel, (unsigned)app);
		goto out;
	}
	if (id.ek_cert != NULL && a->ek_ca != NULL) {
		if ((r = cred_ek_cert_verify(id.ek_cert, id.ek_cert_len, a->ek_ca, &id.ek.pub,
		    &cert)) != 0)
			goto out;
		pending.ek_certified = 1;
		memcpy(pending.ek_cert_sha256, cert.sha256, RS_SHA256_LEN);
		memcpy(pending.ek_cert_issuer, cert.issuer, sizeof(pending.ek_cert_issuer));
		pending.ek_cert_issuer[sizeof(pending.ek_cert_issuer) - 1] = '\0';
	} else if (id.ek_cert == NULL && !a->allow_no_cert) {
		r = rs_fail(RS_ERR_VERIFY, "the identity has no EK certificate, so nothing ties its "
		    "EK to a real TPM; give --allow-no-ek-cert to accept it anyway (every report "
		    "will say so)");
		goto out;
	} else if (id.ek_cert != NULL && a->ek_ca == NULL) {
		r = rs_fail(RS_ERR_USAGE, "the identity carries an EK certificate: give --ek-ca "
		    "FILE to check it (or --allow-no-ek-cert to enroll without it)");
		goto out;
	}
	/* else: no certificate (or one ignored), accepted explicitly */
	memcpy(pending.pub, id.ak.pub, id.ak.pub_len);
	pending.pub_len = id.ak.pub_len;
	pending.ak = id.ak.ak;
	pending.sel = want;
	pending.app_pcr = app;
	memcpy(pending.ek_name, id.ek.name, TPMQ_NAME_LEN);
	utc_now(pending.enrolled, sizeof(pending.enrolled));
	if (RAND_priv_bytes(secret, sizeof(secret)) != 1) {
		r = rs_fail(RS_ERR_CRYPTO, "no random bytes for the challenge secret");
		goto out;
	}
	if ((r = cred_make(&id.ek.pub, id.ak.ak.name, secret, sizeof(secret), &payload,
	    &plen)) != 0 ||
	    (r = tpmtext_challenge_format(id.ak.ak.name, payload, plen, &challenge)) != 0 ||
	    (r = tpmtext_state_format(secret, sizeof(secret), &pending, &state)) != 0 ||
	    (r = carried_lines((const char *)text, len, NULL, 0, &carried)) != 0)
		goto out;
	if ((full = malloc(strlen(state) + strlen(carried) + 1)) == NULL) {
		r = RS_ERR_ALLOC;
		goto out;
	}
	memcpy(full, state, strlen(state));
	memcpy(full + strlen(state), carried, strlen(carried) + 1);
	if ((r = rs_write_file_atomic(a->state, full, strlen(full), 0600, 0)) != 0 ||
	    (r = rs_write_file_atomic(a->challenge, challenge, strlen(challenge), 0644, 0)) != 0)
		goto out;
	rs_hex_encode(id.ak.ak.name, TPMQ_NAME_LEN, name);
	if (a->json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:s?, s:s, s:s}",
		    "schema", "runseal-verify/v1", "command", "enroll", "step", "challenge",
		    "ak_name", name, "ek_certificate_verified", pending.ek_certified,
		    "ek_certificate_issuer", pending.ek_certified ? pending.ek_cert_issuer : NULL,
		    "challenge", a->challenge, "state", a->state);
		char *s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;

		json_decref(o);
		if (s == NULL) {
			r = RS_ERR_ALLOC;
			goto out;
		}
		printf("%s\n", s);
		free(s);
	} else {
		printf("identity checked: AK %.24s…; EK %s\n", name, pending.ek_certified ?
		    "certificate chain verified" : "WITHOUT certificate (accepted by "
		    "--allow-no-ek-cert)");
		printf("challenge written to %s: on the machine run\n"
		    "  runseal identity activate %s -o RESPONSE\n"
		    "then: " PROG " enroll --response RESPONSE --state %s --trust TRUST\n",
		    a->challenge, a->challenge, a->state);
	}
	r = 0;
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	if (state != NULL) {
		OPENSSL_cleanse(state, strlen(state));
		free(state);
	}
	if (full != NULL) {
		OPENSSL_cleanse(full, strlen(full));
		free(full);
	}
	free(carried);
	free(challenge);
	free(payload);
	free(text);
	tpmtext_identity_clear(&id);
	return r;
}

/* 1 if trust text already enrolls this AK; RS_ERR_FORMAT for a corrupt entry. */
static int
trust_has_ak(const char *text, size_t len, const uint8_t name[TPMQ_NAME_LEN], int *has)
{
	struct tpmtext_reader *rd = NULL;
	struct tpmtext_ak ak;
	const char *bname, *header;
	const uint8_t *data;
	size_t dlen;
	int r;

	*has = 0;
	if ((r = tpmtext_reader_new(text, len, &rd)) != 0)
		return r;
	for (;;) {
		if ((r = tpmtext_reader_next(rd, &bname, &header, &data, &dlen)) != 0)
			break;
		if (bname == NULL)
			break;
		if (strcmp(bname, TPMTEXT_AK) != 0)
			continue;
		if ((r = tpmtext_ak_parse(header, data, dlen, &ak)) != 0)
			break;
		if (memcmp(ak.ak.name, name, TPMQ_NAME_LEN) == 0)
			*has = 1;
	}
	tpmtext_reader_free(rd);
	return r;
}

/* Step 2: check the response, then append the AK to the trust file. */
static int
enroll_response(const struct enroll_args *a)
{
	struct tpmtext_ak pending;
	uint8_t secret[TPMTEXT_SECRET_MAX], answer[TPMTEXT_SECRET_MAX], for_ak[TPMQ_NAME_LEN];
	uint8_t *stext = NULL, *rtext = NULL, *ttext = NULL;
	size_t slen = 0, rlen = 0, tlen = 0, secret_len = 0, answer_len = 0, n;
	char *block = NULL, *out = NULL, *carried = NULL, name[2 * TPMQ_NAME_LEN + 1];
	int has = 0, r;

	memset(secret, 0, sizeof(secret));
	memset(answer, 0, sizeof(answer));
	if ((r = rs_read_file(a->state, TPMTEXT_FILE_MAX, &stext, &slen)) != 0)
		goto out;
	if ((r = tpmtext_state_parse((const char *)stext, slen, secret, &secret_len,
	    &pending)) != 0) {
		r = rs_fail(r, "state %s: %s", a->state, rs_err_detail());
		goto out;
	}
	if ((r = rs_read_file(a->response, TPMTEXT_FILE_MAX, &rtext, &rlen)) != 0)
		goto out;
	if ((r = tpmtext_response_parse((const char *)rtext, rlen, for_ak, answer,
	    &answer_len)) != 0) {
		r = rs_fail(r, "response %s: %s", a->response, rs_err_detail());
		goto out;
	}
	if (memcmp(for_ak, pending.ak.name, TPMQ_NAME_LEN) != 0) {
		r = rs_fail(RS_ERR_VERIFY, "the response is for another AK than the pending "
		    "enrollment in %s", a->state);
		goto out;
	}
	/* Compare in constant time; the length is not secret. */
	if (answer_len != secret_len || !rs_ct_equal(answer, secret, secret_len)) {
		r = rs_fail(RS_ERR_VERIFY, "the response does not hold the challenge's secret: "
		    "the AK is not in the TPM that holds the certified EK (or the response "
		    "answers another challenge)");
		goto out;
	}
	rs_hex_encode(pending.ak.name, TPMQ_NAME_LEN, name);
	if (access(a->trust, F_OK) == 0) {
		if ((r = rs_read_file(a->trust, TPMTEXT_FILE_MAX, &ttext, &tlen)) != 0)
			goto out;
		if ((r = trust_has_ak((const char *)ttext, tlen, pending.ak.name, &has)) != 0) {
			r = rs_fail(r, "trust file %s: %s", a->trust, rs_err_detail());
			goto out;
		}
	}
	if ((r = carried_lines((const char *)stext, slen, (const char *)ttext, tlen,
	    &carried)) != 0)
		goto out;
	if (!has || carried[0] != '\0') {
		if (has)
			block = strdup("");
		else if ((r = tpmtext_ak_format(&pending, &block)) != 0)
			goto out;
		if (block == NULL) {
			r = RS_ERR_ALLOC;
			goto out;
		}
		n = tlen + 1 + strlen(block) + strlen(carried) + 1;
		if ((out = malloc(n)) == NULL) {
			r = RS_ERR_ALLOC;
			goto out;
		}
		memcpy(out, ttext != NULL ? (const char *)ttext : "", tlen);
		n = tlen;
		if (tlen > 0 && ttext[tlen - 1] != '\n')
			out[n++] = '\n';
		memcpy(out + n, block, strlen(block) + 1);
		strcat(out, carried);
		if ((r = rs_write_file_atomic(a->trust, out, strlen(out), 0644, 0)) != 0)
			goto out;
	}
	if (unlink(a->state) != 0 && errno != ENOENT) {
		r = rs_fail(rs_err_from_errno(errno), "removing the used state %s: %s", a->state,
		    strerror(errno));
		goto out;
	}
	if (a->json) {
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:s}", "schema",
		    "runseal-verify/v1", "command", "enroll", "step", "response", "ak_name", name,
		    "ek_certificate_verified", pending.ek_certified, "already_enrolled", has,
		    "trust", a->trust);
		char *s = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;

		json_decref(o);
		if (s == NULL) {
			r = RS_ERR_ALLOC;
			goto out;
		}
		printf("%s\n", s);
		free(s);
	} else {
		printf("%s AK %.24s… in %s (root of trust: TPM; EK %s)\n",
		    has ? "already enrolled:" : "enrolled", name, a->trust, pending.ek_certified ?
		    "certificate chain verified" : "WITHOUT certificate");
		if (carried[0] != '\0')
			printf("also pinned, on the identity file's word: the ledger's checkpoint "
			    "key (%.*s…)\n", 40, carried);
	}
	r = 0;
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(answer, sizeof(answer));
	if (stext != NULL) {
		OPENSSL_cleanse(stext, slen);
		free(stext);
	}
	free(rtext);
	free(ttext);
	free(carried);
	free(block);
	free(out);
	return r;
}

int
cmd_enroll(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ek-ca", required_argument, NULL, OPT_EK_CA },
		{ "allow-no-ek-cert", no_argument, NULL, OPT_ALLOW_NO_CERT },
		{ "challenge", required_argument, NULL, OPT_CHALLENGE },
		{ "state", required_argument, NULL, OPT_STATE },
		{ "response", required_argument, NULL, OPT_RESPONSE },
		{ "trust", required_argument, NULL, OPT_TRUST },
		{ "pcrs", required_argument, NULL, OPT_PCRS },
		{ "app-pcr", required_argument, NULL, OPT_APP_PCR },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct enroll_args a;
	int c, r, status;

	memset(&a, 0, sizeof(a));
	opterr = 0;
	optind = 0;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case OPT_EK_CA: a.ek_ca = optarg; break;
		case OPT_ALLOW_NO_CERT: a.allow_no_cert = 1; break;
		case OPT_CHALLENGE: a.challenge = optarg; break;
		case OPT_STATE: a.state = optarg; break;
		case OPT_RESPONSE: a.response = optarg; break;
		case OPT_TRUST: a.trust = optarg; break;
		case OPT_PCRS: a.pcrs = optarg; break;
		case OPT_APP_PCR: a.app_pcr = optarg; break;
		case OPT_JSON: a.json = 1; break;
		case 'h':
		case OPT_HELP:
			fputs(ENROLL_USAGE, stdout);
			return fflush(stdout) == 0 ? RS_EXIT_OK : RS_EXIT_IOERR;
		case ':':
			return usage_error("option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		a.identity = argv[optind++];
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	if (a.state == NULL)
		return usage_error("--state FILE is required");
	if (a.response != NULL) {
		if (a.identity != NULL || a.challenge != NULL || a.ek_ca != NULL ||
		    a.allow_no_cert || a.pcrs != NULL || a.app_pcr != NULL)
			return usage_error("--response takes only --state, --trust and --json");
		if (a.trust == NULL)
			return usage_error("--response needs --trust FILE (the trust file to add "
			    "the AK to)");
	} else {
		if (a.identity == NULL)
			return usage_error("give the IDENTITY file (from runseal identity export)");
		if (a.challenge == NULL)
			return usage_error("--challenge FILE is required");
		if (a.trust != NULL)
			return usage_error("--trust is for the --response step");
		if (a.ek_ca == NULL && !a.allow_no_cert)
			return usage_error("give --ek-ca FILE to check the EK certificate, or "
			    "--allow-no-ek-cert");
	}
	rs_err_clear();
	r = a.response != NULL ? enroll_response(&a) : enroll_challenge(&a);
	if (r != 0)
		rs_error_code(r, a.response != NULL ? "enrollment response" : "enrollment");
	status = rs_exit_for_err(r);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		rs_error("writing to stdout failed");
		status = RS_EXIT_IOERR;
	}
	return status;
}
