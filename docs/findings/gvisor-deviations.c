/* gVisor's deviations from the documented socket/epoll contract: see gvisor-deviations.md.
 *   cc -O2 -o gv gvisor-deviations.c && ./gv; runsc --platform=ptrace --network=none do ./gv
 * Each check prints "ok" or "DEVIATION" with what the man page says; exits 1 if any
 * deviation was seen. Loopback only. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

static int deviations;

static void report(int ok, const char *what, const char *doc)
{
	printf("%s  %s\n", ok ? "ok       " : "DEVIATION", what);
	if (!ok) {
		printf("           %s\n", doc);
		deviations++;
	}
}

static short poll_one(int fd, short events)
{
	struct pollfd p = { fd, events, 0 };
	return poll(&p, 1, 1000) == 1 ? p.revents : 0;
}

/* A TCP listener on 127.0.0.1 (port chosen by the kernel) and its address. */
static int tcp_listener(struct sockaddr_in *a)
{
	socklen_t len = sizeof *a;
	int l = socket(AF_INET, SOCK_STREAM, 0);
	memset(a, 0, sizeof *a);
	a->sin_family = AF_INET;
	a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(l, (struct sockaddr *)a, sizeof *a);
	listen(l, 4);
	getsockname(l, (struct sockaddr *)a, &len);
	return l;
}

static void rdhup_after_shut_wr(void)
{
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	shutdown(sv[0], SHUT_WR);
	short r = poll_one(sv[1], POLLIN | POLLRDHUP);
	report(r & POLLRDHUP, "AF_UNIX peer's SHUT_WR polls RDHUP",
	       "epoll_ctl(2) EPOLLRDHUP: \"Stream socket peer closed connection, or shut down writing half of connection.\"");
	close(sv[0]);
	close(sv[1]);
}

static void hup_after_unix_close(void)
{
	int sv[2];
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	close(sv[0]);
	short r = poll_one(sv[1], POLLIN);
	report(r & POLLHUP, "AF_UNIX stream peer's close polls HUP",
	       "poll(2) POLLHUP: \"this event merely indicates that the peer closed its end of the channel\"");
	close(sv[1]);
}

static void rdhup_after_tcp_close(void)
{
	struct sockaddr_in a;
	int l = tcp_listener(&a), c = socket(AF_INET, SOCK_STREAM, 0);
	connect(c, (struct sockaddr *)&a, sizeof a);
	int s = accept(l, NULL, NULL);
	close(c);
	short r = poll_one(s, POLLIN | POLLRDHUP);
	report(r & POLLRDHUP, "TCP peer's close (FIN) polls RDHUP",
	       "epoll_ctl(2) EPOLLRDHUP: \"Stream socket peer closed connection\"");
	close(s);
	close(l);
}

static void so_error_cleared(void)
{
	struct sockaddr_in a;
	int l = tcp_listener(&a);
	close(l); /* nothing listens on that port now */
	int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	connect(c, (struct sockaddr *)&a, sizeof a);
	poll_one(c, POLLOUT);
	int e1 = 0, e2 = 0;
	socklen_t len = sizeof e1;
	getsockopt(c, SOL_SOCKET, SO_ERROR, &e1, &len);
	getsockopt(c, SOL_SOCKET, SO_ERROR, &e2, &len);
	report(e1 == ECONNREFUSED && e2 == 0, "SO_ERROR reads ECONNREFUSED once, then 0",
	       "socket(7) SO_ERROR: \"Get and clear the pending socket error.\"");
	close(c);
}

static void exclusive_with_rdhup(void)
{
	int ep = epoll_create1(0), e = eventfd(0, 0);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLEXCLUSIVE };
	int rc = epoll_ctl(ep, EPOLL_CTL_ADD, e, &ev);
	report(rc < 0 && errno == EINVAL, "EPOLLEXCLUSIVE with EPOLLRDHUP is refused (EINVAL)",
	       "epoll_ctl(2): with EPOLLEXCLUSIVE, \"Attempts to specify other values in events yield the error EINVAL.\"");
	close(e);
	close(ep);
}

static void dgram_peer_closed(void)
{
	int sv[2];
	char b[8];
	socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv);
	close(sv[1]);
	short r = poll_one(sv[0], POLLIN);
	ssize_t n = read(sv[0], b, sizeof b);
	report(!(r & POLLIN) && n < 0, "AF_UNIX datagram socket whose peer closed: no IN, read fails",
	       "poll(2) POLLIN: \"There is data to read\"; recv(2): 0 from a datagram socket is a zero-length datagram");
	close(sv[0]);
}

static void inet_address_on_inet6_socket(void)
{
	struct sockaddr_in a;
	int l = tcp_listener(&a), c = socket(AF_INET6, SOCK_STREAM, 0);
	int rc = connect(c, (struct sockaddr *)&a, sizeof a);
	report(rc < 0 && (errno == EAFNOSUPPORT || errno == EINVAL), "AF_INET6 socket refuses a sockaddr_in",
	       "connect(2) EAFNOSUPPORT: \"The passed address didn't have the correct address family in its sa_family field.\"");
	close(c);
	close(l);
}

int main(void)
{
	rdhup_after_shut_wr();
	hup_after_unix_close();
	rdhup_after_tcp_close();
	so_error_cleared();
	exclusive_with_rdhup();
	dgram_peer_closed();
	inet_address_on_inet6_socket();
	printf("%d deviation(s)\n", deviations);
	return deviations ? 1 : 0;
}
