/*
 * cli.h - internal to the runseal front end: the subcommands. Each takes
 * the arguments after its name (argv[0] is the subcommand name) and
 * returns the process exit status (common/exitcode.h).
 */
#ifndef RS_CLI_H
#define RS_CLI_H

#include <stddef.h>
#include <stdint.h>

struct cli_global {
	const char *home;       /* --home before the subcommand, or NULL */
};

int cmd_init(int argc, char **argv, const struct cli_global *g);
int cmd_run(int argc, char **argv, const struct cli_global *g);
int cmd_log(int argc, char **argv, const struct cli_global *g);
int cmd_show(int argc, char **argv, const struct cli_global *g);
int cmd_identity(int argc, char **argv, const struct cli_global *g);
int cmd_mcp(int argc, char **argv, const struct cli_global *g);
/* runseal identity activate (cmd_tpm.c); usage is the identity help text. */
int cmd_identity_activate(int argc, char **argv, const struct cli_global *g,
    const char *usage);

/*
 * Resolve the home (subcommand --home, else global, else the environment)
 * and check it was initialised. Caller frees *home. Prints the error and
 * returns the RS_ERR_* code on failure.
 */
int cli_home(const char *flag, const struct cli_global *g, int must_exist, char **home);

/* Print the JSON value to stdout followed by a newline; takes ownership. */
struct json_t;
int cli_print_json(struct json_t *v);

/* The ledger's commands and helpers (cmd_ledger.c). */
int cmd_checkpoint(int argc, char **argv, const struct cli_global *g);
int cmd_prove(int argc, char **argv, const struct cli_global *g);
int cmd_export(int argc, char **argv, const struct cli_global *g);
int cmd_blob(int argc, char **argv, const struct cli_global *g);
/*
 * init: create the home's checkpoint key (never for an existing ledger;
 * *created set to 1 if made) and its verifier key file; *origin is the
 * ledger name derived from the key (caller frees).
 */
int cli_init_checkpoint_key(const char *home, int have_db, int *created, char **origin);
/* init: the empty ledger's checkpoint (a no-op once one exists for its size). */
int cli_init_first_checkpoint(const char *db);
/* The checkpoint verifier key "name+hexid+base64" of the home's ledger (caller frees). */
int cli_checkpoint_vkey(const char *home, char **vkey);
/* Append the "runseal-checkpoint-key: ..." trust line to *text (reallocated). */
int cli_trust_add_checkpoint_key(const char *home, char **text);
/*
 * Keep a finished run's bytes in the blob store if its policy says
 * keep_blobs: inputs (from the files given), outputs (from their copies
 * under out_dir) and stdout/stderr (from the files the executor copied
 * them to), each checked against its recorded digest. *missing counts what
 * could not be kept (a NULL out_dir or stream path).
 */
struct attest_run;
struct exec_input;
int cli_keep_run_blobs(const char *home, const struct attest_run *run,
    const struct exec_input *inputs, size_t n_inputs, const char *out_dir,
    const char *stdout_path, const char *stderr_path, size_t *kept, size_t *missing);
/*
 * The bundle of a stored row (ledger/bundle.h) proved against the
 * checkpoint for size (0: the latest), with the home's signer identity and
 * checkpoint verifier key when they apply. *bundle is new (caller frees);
 * *has_identity (may be NULL) says whether the signer identity went in.
 */
struct ledger;
struct ledger_row;
int cli_bundle_for(const char *home, struct ledger *l, const struct ledger_row *row,
    uint64_t size, uint8_t **bundle, size_t *len, int *has_identity);

#endif
