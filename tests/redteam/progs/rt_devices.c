/*
 * Host devices: the TPM, KVM, disks, memory, the kernel log, vsock. None is
 * in the sandbox's /dev, and making one with mknod is refused.
 */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "rt.h"

int
main(void)
{
	static const char *const devs[] = {
		"/dev/tpm0", "/dev/tpmrm0", "/dev/kvm", "/dev/vda", "/dev/sda", "/dev/nvme0n1",
		"/dev/mem", "/dev/kmem", "/dev/port", "/dev/kmsg", "/dev/vsock", "/dev/vhost-vsock",
		"/dev/fuse", "/dev/net/tun", "/dev/loop0", "/dev/loop-control", "/dev/tty0",
	};
	char what[128];
	size_t i;

	for (i = 0; i < sizeof(devs) / sizeof(devs[0]); i++) {
		snprintf(what, sizeof(what), "open %s", devs[i]);
		rt_fails(open(devs[i], O_RDWR), what);
	}
	rt_fails(mknod("/tmp/mem", S_IFCHR | 0666, makedev(1, 1)), "mknod /dev/mem twin");
	rt_fails(mknod("/work/out/tpm", S_IFCHR | 0666, makedev(10, 224)), "mknod tpm twin");
	rt_fails(mknod("/tmp/vda", S_IFBLK | 0666, makedev(253, 0)), "mknod disk twin");
	rt_fails(mknodat(AT_FDCWD, "/tmp/kvm", S_IFCHR | 0666, makedev(10, 232)), "mknodat kvm twin");
	return rt_done();
}
