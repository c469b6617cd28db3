/*
 * landlock.h - internal to the executor: the program's filesystem, TCP and
 * scope restrictions with Landlock, where the kernel has it.
 *
 * The mounts already decide what the program can see; Landlock makes the
 * same decision a second time, in the kernel's access checks, so that a
 * file reached by some other way (a descriptor from outside the sandbox's
 * root, a writable pseudo-file under /proc, a mount flag gone wrong) is
 * still refused. Rules (paths inside the sandbox, rootfs.h):
 *
 * | path                                  | allowed                                 |
 * |---------------------------------------|-----------------------------------------|
 * | / (everything below the sandbox root) | read files, list directories, execute   |
 * | /tmp, /work/out                       | everything but creating device nodes    |
 * | /dev/shm                              | the same, but executing                 |
 * | /dev/{null,zero,full,random,urandom}  | read, write, truncate, device ioctls    |
 * | anything not below the sandbox root   | nothing                                 |
 *
 * With network "none", TCP bind and connect are refused as well (ABI 4);
 * on every run the program can neither connect to abstract unix sockets
 * nor signal processes outside its own Landlock domain (ABI 6: scoped),
 * which keeps init out of reach. Rights a kernel's ABI lacks are simply
 * not handled; the record names the ABI that was applied.
 */
#ifndef RS_EXEC_LANDLOCK_H
#define RS_EXEC_LANDLOCK_H

/* Parent: the kernel's Landlock ABI version, or 0 when it has none (or it is disabled). */
int exec_landlock_abi(void);

/*
 * Child, after pivot_root and with no_new_privs set: restrict the calling
 * process as above for ABI abi (> 0). deny_tcp: refuse TCP bind and
 * connect. System calls only. Returns 0 or an errno value.
 */
int exec_landlock_apply(int abi, int deny_tcp);

#endif
