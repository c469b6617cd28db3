/*
 * main.c - runseal-verify: argument parsing and output over the verifier
 * library (verifier/verify.h). It checks evidence offline and trusts only
 * the anchor the auditor names with --trust.
 *
 * Output contract:
 *   stdout  the verdict: one human line, or with --json exactly one JSON
 *           object (schema "runseal-verify/v1"); nothing with -q
 *   stderr  diagnostics, "runseal-verify: error: ..."
 *   status  common/exitcode.h: 0 verified, 1 not verified, 64 usage,
 *           65 malformed input, 66 input missing, 74 I/O, 78 no home
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "common/exitcode.h"
#include "common/log.h"
#include "verifier/cmd_bundle.h"
#include "verifier/cmd_ledger.h"
#include "verifier/cmd_replay.h"
#include "verifier/enroll.h"
#include "verifier/vcli.h"

#define PROG VCLI_PROG

enum { OPT_HELP = VCLI_OPT_BASE, OPT_VERSION };

static const char USAGE[] =
    "usage: " PROG " ledger [--home DIR | PATH] --trust FILE [--checkpoint FILE |\n"
    "                      --since FILE] [--policy RULES.json] [--report FILE.html]\n"
    "                      [--json] [-q]\n"
    "       " PROG " bundle FILE --trust FILE [--policy RULES.json]\n"
    "                      [--report FILE.html] [--json] [-q]\n"
    "       " PROG " replay BUNDLE --trust FILE [--blobs DIR | --home DIR]\n"
    "                      [--allow-env-drift] [--json] [-q]\n"
    "       " PROG " proof FILE --trust FILE [--json] [-q]\n"
    "       " PROG " enroll ...\n"
    "       " PROG " --help | --version\n"
    "\n"
    "Check runseal evidence offline, without trusting the machine that wrote it.\n"
    "\n"
    "Commands:\n"
    "  ledger    verify a whole ledger: every entry present and in order, the\n"
    "            hash chain, every signature against your trust file, the\n"
    "            Merkle tree and its signed checkpoints, TPM PCR replay; and\n"
    "            with --policy, your compliance rules on every run\n"
    "  bundle    verify one exported entry offline: its signature, its\n"
    "            inclusion under the bundled checkpoint, the checkpoint's\n"
    "            signature; and with --policy, your compliance rules\n"
    "  replay    run a bundle's command again under its recorded policy and\n"
    "            compare exit status, stdout, stderr and every output\n"
    "  proof     verify an inclusion or consistency proof from runseal prove\n"
    "            --json against the signed checkpoints it carries\n"
    "  enroll    add a machine's TPM attestation key to your trust file (EK\n"
    "            certificate check and credential activation)\n"
    "\n"
    "Run '" PROG " COMMAND --help' for a command's options.\n"
    "\n"
    "Exit status: 0 verified, 1 verification failed, 2 verified but a compliance\n"
    "rule failed, 3 replay diverged, 64 usage error, 65 malformed input, 66 input\n"
    "file missing, 70 replay could not run, 74 I/O error, 78 no runseal home (or\n"
    "replay refused: executor or rootfs differs).\n";

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, OPT_HELP },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd;
	int c;

	rs_log_init(PROG);
	opterr = 0;
	/* '+': stop at the command; its options are its own. */
	while ((c = getopt_long(argc, argv, "+:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'h':
		case OPT_HELP:
			fputs(USAGE, stdout);
			return fflush(stdout) == 0 ? RS_EXIT_OK : RS_EXIT_IOERR;
		case 'V':
		case OPT_VERSION:
			printf("%s %s\n", PROG, RUNSEAL_VERSION);
			return fflush(stdout) == 0 ? RS_EXIT_OK : RS_EXIT_IOERR;
		default:
			return vcli_option_error(c, optopt, argv[optind - 1], PROG);
		}
	}
	if (optind >= argc)
		return vcli_usage_error(PROG, "no command given");
	cmd = argv[optind];
	if (strcmp(cmd, "ledger") == 0)
		return cmd_ledger(argc - optind, argv + optind);
	if (strcmp(cmd, "bundle") == 0)
		return cmd_bundle(argc - optind, argv + optind);
	if (strcmp(cmd, "proof") == 0)
		return cmd_proof(argc - optind, argv + optind);
	if (strcmp(cmd, "replay") == 0)
		return cmd_replay(argc - optind, argv + optind);
	if (strcmp(cmd, "enroll") == 0)
		return cmd_enroll(argc - optind, argv + optind);
	return vcli_usage_error(PROG, "unknown command '%s'", cmd);
}
