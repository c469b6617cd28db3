/* Kernel modules, kexec and reboot must be refused. */
#include <sys/syscall.h>
#include "rt.h"

int
main(void)
{
	char image[16] = { 0 };

	rt_fails(syscall(SYS_init_module, image, sizeof(image), ""), "init_module");
	rt_fails(syscall(SYS_finit_module, 0, "", 0), "finit_module");
	rt_fails(syscall(SYS_delete_module, "ext4", 0), "delete_module");
	rt_fails(syscall(SYS_kexec_load, 0, 0, NULL, 0), "kexec_load");
	rt_fails(syscall(SYS_kexec_file_load, 0, 0, 0, "", 0), "kexec_file_load");
	rt_fails(syscall(SYS_reboot, 0xfee1dead, 0x28121969, 0x4321fedc /* POWER_OFF */, NULL),
	    "reboot");
	rt_fails(syscall(SYS_syslog, 3 /* READ_ALL */, image, sizeof(image)), "syslog");
	rt_fails(syscall(SYS_iopl, 3), "iopl");
	rt_fails(syscall(SYS_ioperm, 0x70, 2, 1), "ioperm");
	return rt_done();
}
