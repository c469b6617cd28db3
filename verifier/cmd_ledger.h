/*
 * cmd_ledger.h - runseal-verify ledger (cmd_ledger.c).
 */
#ifndef RS_VERIFIER_CMD_LEDGER_H
#define RS_VERIFIER_CMD_LEDGER_H

/* argv[0] is "ledger"; returns the exit status (common/exitcode.h). */
int cmd_ledger(int argc, char **argv);

#endif
