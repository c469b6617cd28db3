/*
 * interrupt.h - SIGINT, SIGTERM and SIGHUP as a request to stop, not a
 * sudden death: a command that must not be cut short at an arbitrary point
 * (runseal run: the program may be stopped, a ledger append may not) catches
 * them, and its long waits watch rs_interrupt_fd().
 *
 * Invariants: the handler only records the first signal and writes one byte
 * to a non-blocking pipe (async-signal-safe); handlers are installed with
 * SA_RESTART, so blocking I/O elsewhere (SQLite's writes and fsyncs) is
 * never cut short, while poll() still returns at once with EINTR or a
 * readable rs_interrupt_fd(). Both pipe ends are close-on-exec.
 */
#ifndef RS_INTERRUPT_H
#define RS_INTERRUPT_H

/*
 * Install the handlers (once per process; a second call does nothing).
 * Returns 0, or RS_ERR_* with an rs_fail() detail if the pipe or a handler
 * could not be set up.
 */
int rs_interrupt_catch(void);

/* The first signal caught (SIGINT, SIGTERM or SIGHUP), or 0. */
int rs_interrupted(void);

/*
 * A descriptor that becomes readable once a signal was caught, for poll();
 * -1 when rs_interrupt_catch() was not called. Borrowed: never close it.
 */
int rs_interrupt_fd(void);

#endif
