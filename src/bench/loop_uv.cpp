// The libuv design: what a libuv user writes. A uv loop echoes the same
// connections (uv_tcp_open on the accepted sockets) and reads the file with
// uv_fs_read, `depth` requests at a time, on libuv's thread pool
// (UV_THREADPOOL_SIZE threads, 4 by default); each completion's callback runs
// on the loop thread and asks for the next buffer.
#include <uv.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "bench/loop_server.hpp"

namespace ringside::bench {
namespace {

struct UvServer;

struct UvRead {
  uv_fs_t req;  // first: the callback gets &req
  UvServer* server = nullptr;
  std::byte* buf = nullptr;
  std::uint64_t offset = 0;  // where the chunk starts
  std::uint32_t length = 0;  // its bytes
  std::uint32_t got = 0;     // read so far (a short read asks for the rest)
};

struct PendingWrite {
  uv_write_t req;  // first: the callback gets &req
  std::vector<char> data;
};

struct UvServer {
  UvServer(const ServerPlan& p, PassSchedule& s, int fd, std::uint64_t sz)
      : plan(p), schedule(s), file_fd(fd), size(sz), buffers(std::size_t{p.depth} * p.buffer_bytes),
        reads(p.depth), inbox(64 * 1024) {}
  const ServerPlan& plan;
  PassSchedule& schedule;
  int file_fd;
  std::uint64_t size;
  AlignedBuffer buffers;
  std::vector<UvRead> reads;
  std::vector<char> inbox;
  uv_loop_t loop{};
  uv_timer_t idle_timer{}, guard_timer{};  // zeroed: close_all() skips what was never initialized
  uv_poll_t child{};
  std::vector<std::unique_ptr<uv_tcp_t>> conns;
  std::uint64_t next_offset = 0, bytes = 0;
  unsigned outstanding = 0;
  Digest digest;
  bool reading = false;
};

UvServer& server_of(const uv_handle_t* h) { return *static_cast<UvServer*>(h->data); }

void fail(UvServer& s, const std::string& why) {
  s.reading = false;  // reads still in flight complete and are ignored
  s.schedule.abort(why);
}

void on_read(uv_fs_t* req);

void submit(UvRead& r) {
  UvServer& s = *r.server;
  uv_buf_t b = uv_buf_init(reinterpret_cast<char*>(r.buf) + r.got, r.length - r.got);
  r.req.data = &r;
  if (const int rc = uv_fs_read(&s.loop, &r.req, s.file_fd, &b, 1, static_cast<int64_t>(r.offset + r.got), on_read);
      rc < 0)
    return fail(s, std::string("uv_fs_read: ") + uv_strerror(rc));
  ++s.outstanding;
}

// The next chunk of the file into `r`, if any is left.
void issue(UvRead& r) {
  UvServer& s = *r.server;
  if (s.next_offset >= s.size) return;
  r.offset = s.next_offset;
  r.length = static_cast<std::uint32_t>(std::min<std::uint64_t>(s.plan.buffer_bytes, s.size - s.next_offset));
  r.got = 0;
  s.next_offset += r.length;
  submit(r);
}

void start_reads(UvServer& s) {
  s.reading = true;
  s.next_offset = s.bytes = 0;
  s.digest = Digest{};
  for (UvRead& r : s.reads) issue(r);
}

void on_read(uv_fs_t* req) {
  UvRead& r = *static_cast<UvRead*>(req->data);
  UvServer& s = *r.server;
  const ssize_t result = req->result;
  uv_fs_req_cleanup(req);
  --s.outstanding;
  if (!s.reading) return;
  if (result < 0) return fail(s, std::string("uv_fs_read: ") + uv_strerror(static_cast<int>(result)));
  if (result == 0) return fail(s, "uv_fs_read: end of file before the file's size");
  r.got += static_cast<std::uint32_t>(result);
  if (r.got < r.length) return submit(r);
  s.digest.add(r.offset, {r.buf, r.length});
  s.bytes += r.length;
  issue(r);
  if (s.outstanding > 0) return;
  s.reading = false;
  if (s.schedule.end_pass(s.bytes, s.digest.value())) start_reads(s);
}

void on_alloc(uv_handle_t* h, std::size_t, uv_buf_t* buf) {
  UvServer& s = server_of(h);
  *buf = uv_buf_init(s.inbox.data(), static_cast<unsigned>(s.inbox.size()));
}

void on_written(uv_write_t* req, int) { delete reinterpret_cast<PendingWrite*>(req); }

void on_echo(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  if (nread < 0) {
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(stream))) uv_close(reinterpret_cast<uv_handle_t*>(stream), nullptr);
    return;
  }
  server_of(reinterpret_cast<uv_handle_t*>(stream)).schedule.echoed(static_cast<std::size_t>(nread));
  uv_buf_t b = uv_buf_init(buf->base, static_cast<unsigned>(nread));
  const int done = nread == 0 ? 0 : uv_try_write(stream, &b, 1);
  if (done == nread) return;
  // The socket was full: queue the rest (a copy: the inbox is reused).
  const std::size_t from = done > 0 ? static_cast<std::size_t>(done) : 0;
  auto* w = new PendingWrite;
  w->data.assign(buf->base + from, buf->base + nread);
  uv_buf_t rest = uv_buf_init(w->data.data(), static_cast<unsigned>(w->data.size()));
  if (uv_write(&w->req, stream, &rest, 1, on_written) < 0) delete w;
}

void close_all(UvServer& s) {
  const auto close = [](uv_handle_t* h) {
    if (h->loop != nullptr && !uv_is_closing(h)) uv_close(h, nullptr);  // loop == nullptr: never initialized
  };
  for (auto& c : s.conns) close(reinterpret_cast<uv_handle_t*>(c.get()));
  close(reinterpret_cast<uv_handle_t*>(&s.idle_timer));
  close(reinterpret_cast<uv_handle_t*>(&s.guard_timer));
  close(reinterpret_cast<uv_handle_t*>(&s.child));
}

void on_idle_end(uv_timer_t* t) {
  UvServer& s = server_of(reinterpret_cast<uv_handle_t*>(t));
  if (!s.schedule.idle_done()) {  // not enough echoes yet: look again
    uv_timer_start(t, on_idle_end, static_cast<std::uint64_t>(s.schedule.idle_left_ns() / 1'000'000 + 1), 0);
    return;
  }
  s.schedule.begin_pass();
  if (!s.schedule.draining()) start_reads(s);
}

void on_guard(uv_timer_t* t) {
  UvServer& s = server_of(reinterpret_cast<uv_handle_t*>(t));
  if (s.schedule.overdue()) s.schedule.abort("the run took longer than its deadline");
  if (s.schedule.hopeless()) close_all(s);
}

void on_child_exit(uv_poll_t* p, int, int) { close_all(server_of(reinterpret_cast<uv_handle_t*>(p))); }

// Sets up the handles; "" or the first failure.
std::string set_up(UvServer& s, std::vector<Fd>& servers, ClientProcess& clients) {
  std::string why;
  const auto ok = [&](int rc, const char* what) {
    if (rc < 0 && why.empty()) why = std::string(what) + ": " + uv_strerror(rc);
    return rc >= 0;
  };
  const auto own = [&](auto* handle) { handle->data = &s; };
  for (Fd& fd : servers) {
    s.conns.push_back(std::make_unique<uv_tcp_t>());
    uv_tcp_t* tcp = s.conns.back().get();
    *tcp = uv_tcp_t{};
    if (!ok(uv_tcp_init(&s.loop, tcp), "uv_tcp_init")) return why;
    own(tcp);
    if (!ok(uv_tcp_open(tcp, fd.get()), "uv_tcp_open")) return why;
    (void)fd.release();  // the uv handle closes it
    if (!ok(uv_read_start(reinterpret_cast<uv_stream_t*>(tcp), on_alloc, on_echo), "uv_read_start")) return why;
  }
  if (!ok(uv_poll_init(&s.loop, &s.child, clients.pidfd()), "uv_poll_init")) return why;
  own(&s.child);
  if (!ok(uv_poll_start(&s.child, UV_READABLE, on_child_exit), "uv_poll_start")) return why;
  for (uv_timer_t* t : {&s.idle_timer, &s.guard_timer}) {
    if (!ok(uv_timer_init(&s.loop, t), "uv_timer_init")) return why;
    own(t);
  }
  s.schedule.begin_idle();
  ok(uv_timer_start(&s.idle_timer, on_idle_end, static_cast<std::uint64_t>(s.plan.idle_ns / 1'000'000), 0),
     "uv_timer_start");
  ok(uv_timer_start(&s.guard_timer, on_guard, 1000, 1000), "uv_timer_start");
  return why;
}

}  // namespace

void run_uv_server(std::vector<Fd>& servers, int file_fd, std::uint64_t file_size, const ServerPlan& plan,
                   PassSchedule& schedule, ClientProcess& clients, ServerLog&) {
  UvServer s(plan, schedule, file_fd, file_size);
  for (std::size_t i = 0; i < s.reads.size(); ++i) {
    s.reads[i].server = &s;
    s.reads[i].buf = s.buffers.data() + i * plan.buffer_bytes;
  }
  if (const int rc = uv_loop_init(&s.loop); rc < 0)
    return schedule.abort(std::string("uv_loop_init: ") + uv_strerror(rc));
  if (std::string why = set_up(s, servers, clients); !why.empty()) {
    schedule.abort(why);
    close_all(s);
  }
  uv_run(&s.loop, UV_RUN_DEFAULT);  // until every handle is closed and every read is back
  if (const int rc = uv_loop_close(&s.loop); rc < 0) schedule.abort(std::string("uv_loop_close: ") + uv_strerror(rc));
}

}  // namespace ringside::bench
