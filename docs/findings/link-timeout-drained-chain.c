/* A LINK_TIMEOUT that does not fire: see link-timeout-drained-chain.md.
 *   cc -O2 -o lt link-timeout-drained-chain.c -luring && ./lt d; ./lt a; ./lt o; ./lt h; ./lt n; ./lt A
 * The chain NOP -> READ (empty blocking pipe) -> LINK_TIMEOUT 5 ms -> NOP, sent to io-wq by
 *   d: IOSQE_IO_DRAIN | IOSQE_ASYNC on the last NOP (a drain on a member drains the head)
 *   a: IOSQE_ASYNC on the first NOP (the head)
 *   o: IOSQE_IO_LINK on the last NOP: the chain is left open when the submission ends
 *   h: no NOPs: the READ heads the chain and the LINK_TIMEOUT, the last SQE, has
 *      IOSQE_IO_LINK, so the chain is left open
 *   n: none of these (issued inline): the timeout fires after 5 ms.
 *   A: as a, with IOSQE_ASYNC on the READ too: io-wq polls it, and the timeout fires.
 * Exits 1 when the timeout has not fired within 3 s. */
#include <liburing.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* After the io_uring_prep_* call, which clears the flags. */
static void mark(struct io_uring_sqe *sqe, unsigned flags, unsigned long long ud)
{
	sqe->flags = flags;
	sqe->user_data = ud;
}

int main(int argc, char **argv)
{
	char mode = argc > 1 ? argv[1][0] : 'n';
	struct io_uring ring;
	int fds[2];
	char buf[16];
	struct __kernel_timespec five_ms = { 0, 5000000 };
	if (io_uring_queue_init(8, &ring, 0) < 0 || pipe(fds) < 0)
		return 2;

	struct io_uring_sqe *sqe;
	if (mode != 'h') {
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_nop(sqe);
		mark(sqe, IOSQE_IO_LINK | (mode == 'a' || mode == 'A' ? IOSQE_ASYNC : 0), 1);
	}
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read(sqe, fds[0], buf, 10, -1);
	mark(sqe, IOSQE_IO_LINK | (mode == 'A' ? IOSQE_ASYNC : 0), 2);
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_link_timeout(sqe, &five_ms, 0);
	mark(sqe, IOSQE_IO_LINK, 3);
	if (mode != 'h') {
		sqe = io_uring_get_sqe(&ring);
		io_uring_prep_nop(sqe);
		mark(sqe, mode == 'd' ? IOSQE_IO_DRAIN | IOSQE_ASYNC : mode == 'o' ? IOSQE_IO_LINK : 0, 4);
	}
	printf("mode %c: submit %d\n", mode, io_uring_submit(&ring));

	int fired = 0;
	struct __kernel_timespec wait = { 3, 0 };
	for (int k = 0; k < 4; k++) {
		struct io_uring_cqe *cqe;
		if (io_uring_wait_cqe_timeout(&ring, &cqe, &wait)) {
			printf("nothing more within 3 s after %d CQEs\n", k);
			break;
		}
		printf("user_data %llu res %d %s\n", (unsigned long long)cqe->user_data, cqe->res,
		       cqe->res < 0 ? strerror(-cqe->res) : "");
		fired |= cqe->user_data == 3;
		io_uring_cqe_seen(&ring, cqe);
	}
	return fired ? 0 : 1;
}
