/*
 * cmd_replay.h - runseal-verify replay (cmd_replay.c).
 */
#ifndef RS_VERIFIER_CMD_REPLAY_H
#define RS_VERIFIER_CMD_REPLAY_H

/* argv[0] is "replay"; returns the exit status (common/exitcode.h). */
int cmd_replay(int argc, char **argv);

#endif
