/*
 * Egress and host services. Arguments: host TCP port on 127.0.0.1 (a
 * service of the host, e.g. swtpm's 2321), an abstract unix socket name,
 * a unix socket path of the host. Every connection must fail.
 */
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/vm_sockets.h>
#include <netdb.h>
#include <stddef.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "rt.h"

static void
tcp(const char *ip, int port, const char *what)
{
	struct sockaddr_in a;
	int s = socket(AF_INET, SOCK_STREAM, 0);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, ip, &a.sin_addr);
	rt_fails(s >= 0 ? connect(s, (struct sockaddr *)&a, sizeof(a)) : -1, what);
	if (s >= 0)
		close(s);
}

static void
unix_connect(const char *name, int abstract, const char *what)
{
	struct sockaddr_un a;
	socklen_t len;
	int s = socket(AF_UNIX, SOCK_STREAM, 0);

	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	strncpy(a.sun_path + (abstract ? 1 : 0), name, sizeof(a.sun_path) - 2);
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(name) + (abstract ? 1 : 0));
	rt_fails(s >= 0 ? connect(s, (struct sockaddr *)&a, len) : -1, what);
	if (s >= 0)
		close(s);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in dns;
	struct sockaddr_vm vm;
	struct addrinfo *ai = NULL;
	char what[300];
	int s, port = argc > 1 ? atoi(argv[1]) : 2321;

	snprintf(what, sizeof(what), "TCP to the host's 127.0.0.1:%d", port);
	tcp("127.0.0.1", port, what);
	tcp("127.0.0.1", 2321, "TCP to swtpm's server port 2321");
	tcp("127.0.0.1", 2322, "TCP to swtpm's control port 2322");
	tcp("1.1.1.1", 443, "TCP egress to 1.1.1.1:443");
	tcp("10.0.2.2", 80, "TCP to a gateway 10.0.2.2:80");
	s = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&dns, 0, sizeof(dns));
	dns.sin_family = AF_INET;
	dns.sin_port = htons(53);
	inet_pton(AF_INET, "8.8.8.8", &dns.sin_addr);
	rt_fails(s >= 0 ? sendto(s, "q", 1, 0, (struct sockaddr *)&dns, sizeof(dns)) : -1,
	    "UDP DNS query to 8.8.8.8:53");
	if (s >= 0)
		close(s);
	if (getaddrinfo("example.com", "80", NULL, &ai) == 0) {
		rt_escape("DNS resolved example.com");
		freeaddrinfo(ai);
	} else {
		printf("contained: DNS resolution of example.com\n");
	}
	if (argc > 2) {
		snprintf(what, sizeof(what), "abstract unix socket @%s", argv[2]);
		unix_connect(argv[2], 1, what);
	}
	if (argc > 3) {
		snprintf(what, sizeof(what), "unix socket %s", argv[3]);
		unix_connect(argv[3], 0, what);
	}
	/* vsock reaches the hypervisor host and is not network-namespaced. */
	s = socket(AF_VSOCK, SOCK_STREAM, 0);
	rt_fails(s, "socket AF_VSOCK");
	if (s >= 0) {
		memset(&vm, 0, sizeof(vm));
		vm.svm_family = AF_VSOCK;
		vm.svm_cid = VMADDR_CID_HOST;
		vm.svm_port = 2024;
		rt_fails(connect(s, (struct sockaddr *)&vm, sizeof(vm)), "vsock to the host");
		close(s);
	}
	rt_fails(socket(AF_PACKET, SOCK_RAW, 0), "socket AF_PACKET");
	rt_fails(socket(AF_ALG, SOCK_SEQPACKET, 0), "socket AF_ALG");
	rt_fails(socket(AF_NETLINK, SOCK_RAW, NETLINK_AUDIT), "netlink audit socket");
	rt_fails(socket(AF_INET, SOCK_RAW, IPPROTO_ICMP), "raw ICMP socket");
	return rt_done();
}
