/*
 * cli.h - internal to the runseal front end: the subcommands. Each takes
 * the arguments after its name (argv[0] is the subcommand name) and
 * returns the process exit status (common/exitcode.h).
 */
#ifndef RS_CLI_H
#define RS_CLI_H

struct cli_global {
	const char *home;       /* --home before the subcommand, or NULL */
};

int cmd_init(int argc, char **argv, const struct cli_global *g);
int cmd_run(int argc, char **argv, const struct cli_global *g);
int cmd_log(int argc, char **argv, const struct cli_global *g);
int cmd_show(int argc, char **argv, const struct cli_global *g);
int cmd_identity(int argc, char **argv, const struct cli_global *g);
/* runseal identity activate (cmd_tpm.c); usage is the identity help text. */
int cmd_identity_activate(int argc, char **argv, const struct cli_global *g,
    const char *usage);
int cmd_mcp(int argc, char **argv, const struct cli_global *g);

/*
 * Resolve the home (subcommand --home, else global, else the environment)
 * and check it was initialised. Caller frees *home. Prints the error and
 * returns the RS_ERR_* code on failure.
 */
int cli_home(const char *flag, const struct cli_global *g, int must_exist, char **home);

/* Print the JSON value to stdout followed by a newline; takes ownership. */
struct json_t;
int cli_print_json(struct json_t *v);

#endif
