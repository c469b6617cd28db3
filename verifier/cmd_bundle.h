/*
 * cmd_bundle.h - runseal-verify bundle and proof (cmd_bundle.c).
 */
#ifndef RS_VERIFIER_CMD_BUNDLE_H
#define RS_VERIFIER_CMD_BUNDLE_H

/* argv[0] is "bundle"; returns the exit status (common/exitcode.h). */
int cmd_bundle(int argc, char **argv);
/* argv[0] is "proof": a `runseal prove --json` output against its checkpoints. */
int cmd_proof(int argc, char **argv);

#endif
