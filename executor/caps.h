/*
 * caps.h - internal to the executor: dropping every capability.
 */
#ifndef RS_EXEC_CAPS_H
#define RS_EXEC_CAPS_H

/*
 * Leave the calling process with no capability in any set and no way to
 * regain one: securebits NOROOT and NO_SETUID_FIXUP (locked), so that
 * executing a program as uid 0 grants nothing; ambient set cleared; every
 * capability dropped from the bounding set; permitted, effective and
 * inheritable sets emptied with capset(); then all of it read back and
 * checked. Needs CAP_SETPCAP (in its user namespace) on entry.
 * Async-signal-safe: for the sandbox child. Returns 0 or an errno value.
 */
int exec_caps_drop_all(void);

#endif
