/* Test double, LD_PRELOADed by tests/test_ci_cli.cpp: a preadv2 that ignores RWF_NOWAIT
 * (and every other flag), as gVisor's does, so that reading an empty pipe blocks. The
 * probe must give such a call up after its deadline instead of hanging the run. */
#define _GNU_SOURCE
#include <sys/uio.h>

ssize_t preadv2(int fd, const struct iovec* iov, int iovcnt, off_t offset, int flags) {
  (void)flags;
  return offset == -1 ? readv(fd, iov, iovcnt) : preadv(fd, iov, iovcnt, offset);
}

ssize_t preadv64v2(int fd, const struct iovec* iov, int iovcnt, off_t offset, int flags) {
  return preadv2(fd, iov, iovcnt, offset, flags);
}
