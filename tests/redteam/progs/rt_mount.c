/*
 * Mount-family calls, and propagation: nothing may be mounted, and no
 * mount of the sandbox may share events with the host (no "shared:" or
 * "master:" tag in mountinfo).
 */
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include "rt.h"

int
main(void)
{
	char line[4096];
	FILE *f;

	rt_fails(mount("none", "/tmp", "tmpfs", 0, NULL), "mount tmpfs");
	rt_fails(mount("/usr", "/tmp", NULL, MS_BIND, NULL), "bind mount");
	rt_fails(mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND, NULL), "remount / read-write");
	rt_fails(mount(NULL, "/", NULL, MS_SHARED | MS_REC, NULL), "make / shared");
	rt_fails(umount2("/proc", MNT_DETACH), "umount /proc");
	rt_fails(umount2("/work/in", MNT_DETACH), "umount /work/in");
	rt_fails(syscall(SYS_pivot_root, "/tmp", "/tmp"), "pivot_root");
	rt_fails(syscall(SYS_fsopen, "tmpfs", 0), "fsopen");
	rt_fails(syscall(SYS_open_tree, AT_FDCWD, "/usr", 1 /* OPEN_TREE_CLONE */), "open_tree");
	rt_fails(syscall(SYS_move_mount, AT_FDCWD, "/tmp", AT_FDCWD, "/work", 0), "move_mount");
	rt_fails(syscall(SYS_mount_setattr, AT_FDCWD, "/", 0, NULL, 0), "mount_setattr");
	rt_fails(syscall(SYS_chroot, "/tmp"), "chroot");
	if ((f = fopen("/proc/self/mountinfo", "r")) == NULL) {
		rt_escape("cannot read mountinfo to check propagation");
		return rt_done();
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strstr(line, " shared:") != NULL || strstr(line, " master:") != NULL)
			rt_escape("mount propagates: %s", line);
	}
	fclose(f);
	printf("contained: no shared or slave mount\n");
	return rt_done();
}
