/* A count TIMEOUT that fires after one CQE: see count-timeout-skip-success.md.
 *   cc -O2 -o ct count-timeout-skip-success.c -luring && ./ct s && ./ct n && ./ct c
 * "s": the second timeout has IOSQE_CQE_SKIP_SUCCESS, then one NOP;
 * "n": the same without the flag;
 * "c": as "s", then COUNT NOPs: the first timeout must end 0 once they are posted.
 * Exits 1 when the first timeout ends 0 before COUNT other CQEs were posted, or ends
 * -ETIME although COUNT other CQEs were posted. */
#include <liburing.h>
#include <stdio.h>
#include <string.h>

enum { COUNT = 10, UD_COUNTED = 1, UD_SILENT = 2, UD_NOP = 3 };

static void submit_one(struct io_uring *ring, void (*prep)(struct io_uring_sqe *), unsigned flags, unsigned long long ud)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	prep(sqe);
	sqe->flags |= flags;
	sqe->user_data = ud;
	io_uring_submit(ring);
}

static struct __kernel_timespec one_second = { 1, 0 };
static void prep_counted(struct io_uring_sqe *s) { io_uring_prep_timeout(s, &one_second, COUNT, 0); }
static void prep_silent(struct io_uring_sqe *s) { io_uring_prep_timeout(s, &one_second, 1, 0); }
static void prep_nop(struct io_uring_sqe *s) { io_uring_prep_nop(s); }

int main(int argc, char **argv)
{
	char mode = argc > 1 ? argv[1][0] : 'n';
	int skip = mode == 's' || mode == 'c';
	int nops = mode == 'c' ? COUNT : 1;
	struct io_uring ring;
	if (io_uring_queue_init(8, &ring, 0) < 0)
		return 2;
	/* Timeout A waits for COUNT CQEs (or 1 s); timeout B for one CQE (or 1 s). */
	submit_one(&ring, prep_counted, 0, UD_COUNTED);
	submit_one(&ring, prep_silent, skip ? IOSQE_CQE_SKIP_SUCCESS : 0, UD_SILENT);
	/* The first NOP's CQE completes B (silently with "s"/"c"); A needs COUNT in all. */
	for (int k = 0; k < nops; k++)
		submit_one(&ring, prep_nop, 0, UD_NOP);

	int other_cqes = 0, bad = 0;
	struct __kernel_timespec wait = { 2, 0 };
	for (;;) {
		struct io_uring_cqe *cqe;
		if (io_uring_wait_cqe_timeout(&ring, &cqe, &wait))
			break;
		unsigned long long ud = cqe->user_data;
		int res = cqe->res;
		io_uring_cqe_seen(&ring, cqe);
		printf("user_data %llu res %d %s\n", ud, res, res < 0 ? strerror(-res) : "");
		if (ud == UD_COUNTED) {
			if (res == 0 && other_cqes < COUNT) {
				printf("DEVIATION: the count timeout ended 0 after %d of %d CQEs\n", other_cqes, COUNT);
				bad = 1;
			}
			if (res != 0 && other_cqes >= COUNT) {
				printf("DEVIATION: the count timeout ended %d after %d of %d CQEs\n", res, other_cqes, COUNT);
				bad = 1;
			}
			break;
		}
		++other_cqes;
	}
	io_uring_queue_exit(&ring);
	return bad;
}
