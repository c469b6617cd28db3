/*
 * runseal - run a program in a measured sandbox, sign the record of what
 * happened and append it to the ledger. Thin main: parses the command line
 * and dispatches; the work is in the executor, attest and ledger libraries.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "common/exitcode.h"
#include "common/log.h"
#include "executor/cli.h"

static const char usage[] =
"usage: runseal [--home DIR] COMMAND [ARGS...]\n"
"\n"
"Run programs in a measured Linux sandbox and keep signed, tamper-evident\n"
"evidence of every run in an append-only ledger.\n"
"\n"
"commands:\n"
"  init               create the home: ledger and signing key\n"
"  run -- CMD [ARG]   run CMD in the sandbox, record and sign the run\n"
"  log                list ledger entries\n"
"  show INDEX         print one entry's record\n"
"  identity export    write the trust anchor a verifier pins\n"
"  checkpoint         print the ledger's latest signed checkpoint\n"
"  prove INDEX        print an inclusion proof (or --consistency OLD NEW)\n"
"  export INDEX       write one entry as a self-contained bundle (-o FILE)\n"
"  blob get DIGEST    print a kept input, output or stream, verified\n"
"  mcp                serve the Model Context Protocol over stdio\n"
"\n"
"options:\n"
"  --home DIR         state directory (default: $RUNSEAL_HOME, else\n"
"                     $XDG_DATA_HOME/runseal, else ~/.local/share/runseal)\n"
"  -h, --help         show this help (also: runseal COMMAND --help)\n"
"  -V, --version      show the version\n"
"\n"
"Verify evidence with runseal-verify(1). Exit statuses: see runseal(1).\n";

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_global g = { NULL };
	const char *cmd;
	int c;

	rs_log_init("runseal");
	while ((c = getopt_long(argc, argv, "+hV", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
			g.home = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return RS_EXIT_OK;
		case 'V':
			printf("runseal %s\n", RUNSEAL_VERSION);
			return RS_EXIT_OK;
		default:
			fputs(usage, stderr);
			return RS_EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fputs(usage, stderr);
		return RS_EXIT_USAGE;
	}
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	optind = 0;     /* glibc: reinitialize getopt for the subcommand */
	if (strcmp(cmd, "init") == 0)
		return cmd_init(argc, argv, &g);
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc, argv, &g);
	if (strcmp(cmd, "log") == 0)
		return cmd_log(argc, argv, &g);
	if (strcmp(cmd, "show") == 0)
		return cmd_show(argc, argv, &g);
	if (strcmp(cmd, "identity") == 0)
		return cmd_identity(argc, argv, &g);
	if (strcmp(cmd, "mcp") == 0)
		return cmd_mcp(argc, argv, &g);
	if (strcmp(cmd, "checkpoint") == 0)
		return cmd_checkpoint(argc, argv, &g);
	if (strcmp(cmd, "prove") == 0)
		return cmd_prove(argc, argv, &g);
	if (strcmp(cmd, "export") == 0)
		return cmd_export(argc, argv, &g);
	if (strcmp(cmd, "blob") == 0)
		return cmd_blob(argc, argv, &g);
	if (strcmp(cmd, "help") == 0) {
		fputs(usage, stdout);
		return RS_EXIT_OK;
	}
	rs_error("unknown command '%s' (see runseal --help)", cmd);
	return RS_EXIT_USAGE;
}
