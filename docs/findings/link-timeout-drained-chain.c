/* A LINK_TIMEOUT that does not fire: see link-timeout-drained-chain.md.
 *   cc -O2 -o lt link-timeout-drained-chain.c -luring && ./lt d && ./lt n
 * "d": the last chain member has IOSQE_IO_DRAIN; "n": it does not. */
#include <liburing.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>
int main(int argc,char**argv){
  int drain = argc>1 && argv[1][0]=='d';
  struct io_uring r; io_uring_queue_init(8,&r,0);
  int p[2]; pipe(p); char buf[16];
  struct __kernel_timespec ts={0,5000000};
  struct io_uring_sqe*s;
  s=io_uring_get_sqe(&r); io_uring_prep_nop(s); s->flags=IOSQE_IO_LINK; s->user_data=1;
  s=io_uring_get_sqe(&r); io_uring_prep_read(s,p[0],buf,10,-1); s->flags=IOSQE_IO_LINK; s->user_data=2;
  s=io_uring_get_sqe(&r); io_uring_prep_link_timeout(s,&ts,0); s->flags=IOSQE_IO_LINK; s->user_data=3;
  s=io_uring_get_sqe(&r); io_uring_prep_nop(s); s->flags=(drain?IOSQE_IO_DRAIN:0)|IOSQE_ASYNC; s->user_data=4;
  printf("submit %d\n", io_uring_submit(&r));
  struct io_uring_cqe*c; struct __kernel_timespec w={3,0};
  for(int k=0;k<4;k++){ if(io_uring_wait_cqe_timeout(&r,&c,&w)){printf("timeout after %d CQEs\n",k); break;} printf("ud=%llu res=%d (%s)\n",(unsigned long long)c->user_data,c->res,c->res<0?strerror(-c->res):""); io_uring_cqe_seen(&r,c);}
  return 0;
}
