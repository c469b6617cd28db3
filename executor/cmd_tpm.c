/*
 * runseal identity activate: the machine's half of AK enrollment. The
 * verifier (runseal-verify enroll) made a credential for this TPM's EK and
 * this home's AK; only this TPM, holding both keys, can release its secret
 * (TPM2_ActivateCredential). The secret goes back to the verifier as the
 * response; it proves nothing to anyone else and is wiped here after use.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "attest/credential.h"
#include "attest/tpm.h"
#include "attest/tpmtext.h"
#include "common/encode.h"
#include "common/err.h"
#include "common/exitcode.h"
#include "common/file.h"
#include "common/log.h"
#include "executor/cli.h"
#include "executor/signer_open.h"

int
cmd_identity_activate(int argc, char **argv, const struct cli_global *g, const char *usage)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "output", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *home_flag = NULL, *output = NULL;
	struct signer_tpm_home h;
	enum attest_signer_kind kind;
	TPM2B_ID_OBJECT id;
	TPM2B_ENCRYPTED_SECRET es;
	uint8_t for_ak[TPMQ_NAME_LEN], secret[TPMTEXT_SECRET_MAX];
	uint8_t *text = NULL, *payload = NULL;
	size_t len = 0, plen = 0, slen = 0;
	char *home = NULL, *resp = NULL, want[25], got[25];
	int json = 0, c, r = RS_ERR_INTERNAL;

	memset(&h, 0, sizeof(h));
	optind = 0;
	while ((c = getopt_long(argc, argv, "o:jh", opts, NULL)) != -1) {
		switch (c) {
		case 'H': home_flag = optarg; break;
		case 'o': output = optarg; break;
		case 'j': json = 1; break;
		case 'h': fputs(usage, stdout); return RS_EXIT_OK;
		default: fputs(usage, stderr); return RS_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc) {
		rs_error("identity activate: expected exactly one CHALLENGE file");
		return RS_EXIT_USAGE;
	}
	if ((r = cli_home(home_flag, g, 1, &home)) != 0)
		goto out;
	if ((r = signer_home_kind(home, &kind)) != 0)
		goto fail;
	if (kind != ATTEST_SIGNER_TPM) {
		r = rs_fail(RS_ERR_CONFIG, "%s uses a software key: only a TPM signer is enrolled "
		    "by credential activation", home);
		goto fail;
	}
	if ((r = signer_tpm_load(home, &h)) != 0)
		goto fail;
	if ((r = rs_read_file(argv[optind], TPMTEXT_FILE_MAX, &text, &len)) != 0 ||
	    (r = tpmtext_challenge_parse((const char *)text, len, for_ak, &payload, &plen)) != 0) {
		r = rs_fail(r, "challenge %s: %s", argv[optind], rs_err_detail());
		goto fail;
	}
	if (memcmp(for_ak, h.ak_name, TPMQ_NAME_LEN) != 0) {
		rs_hex_encode(for_ak, 12, got);
		rs_hex_encode(h.ak_name, 12, want);
		r = rs_fail(RS_ERR_VERIFY, "the challenge is for AK %s…, this home's AK is %s…",
		    got, want);
		goto fail;
	}
	if ((r = cred_challenge_parse(payload, plen, &id, &es)) != 0) {
		r = rs_fail(r, "challenge %s: %s", argv[optind], rs_err_detail());
		goto fail;
	}
	if ((r = tpm_activate(signer_tpm_tcti(&h), h.ak_handle, h.ak_pub, h.ak_pub_len, h.auth,
	    h.auth_len, h.ek_handle, h.ek_pub, h.ek_pub_len, &id, &es, secret, sizeof(secret),
	    &slen)) != 0 ||
	    (r = tpmtext_response_format(h.ak_name, secret, slen, &resp)) != 0)
		goto fail;
	if (output != NULL &&
	    (r = rs_write_file_atomic(output, resp, strlen(resp), 0600, 0)) != 0)
		goto fail;
	if (json)
		r = cli_print_json(json_pack("{s:s, s:s?, s:s?}", "schema",
		    "runseal-identity-activate/v1", "written_to", output,
		    "response_pem", output == NULL ? resp : NULL));
	else if (output == NULL)
		fputs(resp, stdout);
	else
		fprintf(stderr, "runseal: the TPM answered the challenge; give %s to the "
		    "verifier (runseal-verify enroll --response)\n", output);
	goto out;
fail:
	rs_error_code(r, "identity activate");
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	if (resp != NULL) {
		OPENSSL_cleanse(resp, strlen(resp));
		free(resp);
	}
	free(payload);
	free(text);
	signer_tpm_clear(&h);
	free(home);
	return rs_exit_for_err(r);
}
