// C code of the readiness-family steps for the reproducer. Each entry performs the same
// system calls as the engine (src/engine/engine.cpp, io_ops.cpp, readiness_ops.cpp) and
// sets ret / value / masks_ / data_ the way the engine fills an Observation.
#include <string>

#include "fuzzing/emit_c.hpp"

namespace ringside {
namespace {

std::string num(int64_t v) { return std::to_string(v); }
std::string res(ResId r) { return std::to_string(r); }

bool param_on(const Step& s, std::string_view name) {
  const OpSpec& spec = s.spec();
  for (size_t k = 0; k < spec.params.size(); ++k)
    if (spec.params[k].name == name) return s.param(k) != 0;
  return false;
}

bool is_socket(ResKind k) {
  return k == ResKind::Tcp || k == ResKind::UnixStream || k == ResKind::UnixDgram || k == ResKind::TcpListener ||
         k == ResKind::UnixListener || k == ResKind::ClosedPort;
}

const char* domain_of(int64_t family) { return family == 1 ? "AF_INET6" : family == 2 ? "AF_UNIX" : "AF_INET"; }

// The new fd of output k, and the engine's bookkeeping for it.
void created(CEmit& e, ResId r, const std::string& fd_expr, const std::string& origin) {
  e.line(e.fd(r) + " = " + fd_expr + ";");
  e.line(e.origin(r) + " = " + origin + ";");
}

void socket_(CEmit& e, const Step& s) {
  int64_t dom = s.param(0);
  std::string type = std::string(dom == 3 ? "SOCK_DGRAM" : "SOCK_STREAM") + " | SOCK_CLOEXEC" +
                     (param_on(s, "nonblock") ? " | SOCK_NONBLOCK" : "");
  ResId o = s.outs[0];
  e.line("int f = socket(" + std::string(domain_of(dom <= 1 ? dom : 2)) + ", " + type + ", 0);");
  e.line("if (f < 0) env_fail(\"socket\");");
  created(e, o, "f", res(o));
  e.line("ret = f;");
}

void listen_(CEmit& e, const Step& s) {
  int64_t fam = s.param(0);
  bool listening = s.op == Op::Listen;
  ResId o = s.outs[0];
  std::string nb = listening && param_on(s, "nonblock") ? " | SOCK_NONBLOCK" : "";
  e.line("int f = socket(" + std::string(domain_of(fam)) + ", SOCK_STREAM | SOCK_CLOEXEC" + nb + ", 0);");
  e.line("if (f < 0) env_fail(\"socket\");");
  e.line("bind_loopback(f, " + num(fam) + ", " + res(o) + ");");
  if (listening) e.line("if (listen(f, " + num(s.param(1)) + ") != 0) env_fail(\"listen\");");
  created(e, o, "f", res(o));
  e.line("ret = f;");
}

void connect_(CEmit& e, const Step& s) {
  ResId c = s.ins[0], t = s.ins[1];
  e.line("ret = connect(" + e.fd(c) + ", (struct sockaddr *)&addr_[" + res(t) + "], addrlen_[" + res(t) +
         "]) == 0 ? 0 : -errno;");
}

void accept_(CEmit& e, const Step& s) {
  ResId o = s.outs[0];
  e.line("int f = accept4(" + e.fd(s.ins[0]) + ", NULL, NULL, SOCK_CLOEXEC" +
         (param_on(s, "nonblock") ? " | SOCK_NONBLOCK" : "") + ");");
  e.line("if (f < 0) {");
  e.line("  ret = -errno;");
  e.line("} else {");
  e.line("  " + e.fd(o) + " = f;");
  e.line("  " + e.origin(o) + " = " + res(o) + ";");
  e.line("  ret = f;");
  e.line("}");
}

void socketpair_(CEmit& e, const Step& s) {
  std::string type = std::string(s.param(0) == 3 ? "SOCK_DGRAM" : "SOCK_STREAM") + " | SOCK_CLOEXEC" +
                     (param_on(s, "nonblock") ? " | SOCK_NONBLOCK" : "");
  e.line("int sv[2];");
  e.line("if (socketpair(AF_UNIX, " + type + ", 0, sv) != 0) env_fail(\"socketpair\");");
  created(e, s.outs[0], "sv[0]", res(s.outs[0]));
  created(e, s.outs[1], "sv[1]", res(s.outs[1]));
  e.line("ret = sv[0];");
}

void pipe_(CEmit& e, const Step& s) {
  e.line("int p[2];");
  e.line(std::string("if (pipe2(p, O_CLOEXEC") + (param_on(s, "nonblock") ? " | O_NONBLOCK" : "") +
         ") != 0) env_fail(\"pipe2\");");
  created(e, s.outs[0], "p[0]", res(s.outs[0]));
  created(e, s.outs[1], "p[1]", res(s.outs[1]));
  e.line("ret = p[0];");
}

void eventfd_(CEmit& e, const Step& s) {
  std::string flags = std::string("EFD_CLOEXEC") + (param_on(s, "nonblock") ? " | EFD_NONBLOCK" : "") +
                      (param_on(s, "semaphore") ? " | EFD_SEMAPHORE" : "");
  e.line("int f = eventfd(" + num(s.param(0)) + "u, " + flags + ");");
  e.line("if (f < 0) env_fail(\"eventfd\");");
  created(e, s.outs[0], "f", res(s.outs[0]));
  e.line("ret = f;");
}

void file_(CEmit& e, const Step& s) {
  ResId o = s.outs[0];
  e.line("char path[64];");
  e.line("snprintf(path, sizeof path, \"%s/f" + res(o) + "\", tmpdir_);");
  e.line(std::string("int f = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC") +
         (param_on(s, "nonblock") ? " | O_NONBLOCK" : "") + ", 0600);");
  e.line("if (f < 0) env_fail(\"open\");");
  e.line("unlink(path);");
  e.line("uint64_t size = " + num(s.param(0)) + "ull;");
  e.line("if (size) {");
  e.line("  unsigned char *b = scratch(size);");
  e.line("  fill_pattern(" + res(o) + ", 0, b, size);");
  e.line("  for (uint64_t off = 0; off < size;) {");
  e.line("    ssize_t w = pwrite(f, b + off, size - off, (off_t)off);");
  e.line("    if (w <= 0) env_fail(\"pwrite\");");
  e.line("    off += (uint64_t)w;");
  e.line("  }");
  e.line("  free(b);");
  e.line("}");
  created(e, o, "f", res(o));
  e.line("ret = f;");
}

void epoll_(CEmit& e, const Step& s) {
  e.line("int f = epoll_create1(EPOLL_CLOEXEC);");
  e.line("if (f < 0) env_fail(\"epoll_create1\");");
  created(e, s.outs[0], "f", res(s.outs[0]));
  e.line("ret = f;");
}

void dup_(CEmit& e, const Step& s) {
  ResId o = s.outs[0], src = s.ins[0];
  e.line("int f = fcntl(" + e.fd(src) + ", F_DUPFD_CLOEXEC, 0);");
  e.line("if (f < 0) env_fail(\"dup\");");
  created(e, o, "f", e.origin(src));
  e.line("addr_[" + res(o) + "] = addr_[" + res(src) + "];");
  e.line("addrlen_[" + res(o) + "] = addrlen_[" + res(src) + "];");
  e.line("ret = f;");
}

void close_(CEmit& e, const Step& s) {
  if (e.kind(s.ins[0]) == ResKind::Ring) {
    // As the engine: what is in flight is cancelled, then io_uring_queue_exit (its support
    // code comes with the `ring` step, emit_c_ops_uring.cpp).
    e.line("ring_close(" + res(s.ins[0]) + ");");
    e.line("ret = 0;");
    return;
  }
  e.line("ret = close(" + e.fd(s.ins[0]) + ") == 0 ? 0 : -errno;");
  e.line(e.fd(s.ins[0]) + " = -1;");
}

void write_(CEmit& e, const Step& s) {
  ResId r = s.ins[0];
  ResKind k = e.kind(r);
  std::string n = num(s.param(0)) + "ul";
  if (k == ResKind::EventFd) {
    e.line("uint64_t v = " + n + ";");
    e.line("ret = write(" + e.fd(r) + ", &v, 8);");
    e.line("if (ret < 0) ret = -errno;");
    return;
  }
  e.line("unsigned char *b = scratch(" + n + ");");
  if (k == ResKind::File) {
    e.line("off_t off = lseek(" + e.fd(r) + ", 0, SEEK_CUR);");
    e.line("fill_pattern(" + e.origin(r) + ", (uint64_t)off, b, " + n + ");");
    e.line("ret = write(" + e.fd(r) + ", b, " + n + ");");
    e.line("if (ret < 0) ret = -errno;");
  } else {
    e.line("fill_pattern(" + e.origin(r) + ", __atomic_load_n(&written_[" + e.origin(r) + "], __ATOMIC_SEQ_CST), b, " + n + ");");
    if (is_socket(k)) e.line("ret = send(" + e.fd(r) + ", b, " + n + ", MSG_NOSIGNAL);");
    else e.line("ret = write(" + e.fd(r) + ", b, " + n + ");");
    e.line("if (ret < 0) ret = -errno;");
    e.line("else __atomic_add_fetch(&written_[" + e.origin(r) + "], (unsigned long long)ret, __ATOMIC_SEQ_CST);");
  }
  e.line("free(b);");
}

void read_(CEmit& e, const Step& s) {
  ResId r = s.ins[0];
  ResKind k = e.kind(r);
  std::string n = num(s.param(0)) + "ul";
  e.line("free(data_);");
  e.line("data_ = scratch(" + n + ");");
  e.line("datalen_ = 0;");
  if (is_socket(k)) e.line("ret = recv(" + e.fd(r) + ", data_, " + n + ", 0);");
  else e.line("ret = read(" + e.fd(r) + ", data_, " + n + ");");
  e.line("if (ret < 0) ret = -errno;");
  if (k == ResKind::EventFd) {
    e.line("if (ret == 8) memcpy(&value, data_, 8);");
  } else {
    e.line("if (ret > 0) datalen_ = ret;");
  }
}

// fill/drain never block: sockets use MSG_DONTWAIT, other files get O_NONBLOCK for the
// duration of the step.
void nonblock_scope(CEmit& e, ResId r, bool begin) {
  if (is_socket(e.kind(r))) return;
  if (begin) {
    e.line("int fl = fcntl(" + e.fd(r) + ", F_GETFL);");
    e.line("if (fl >= 0 && !(fl & O_NONBLOCK)) fcntl(" + e.fd(r) + ", F_SETFL, fl | O_NONBLOCK);");
  } else {
    e.line("if (fl >= 0 && !(fl & O_NONBLOCK)) fcntl(" + e.fd(r) + ", F_SETFL, fl);");
  }
}

void fill_(CEmit& e, const Step& s) {
  ResId r = s.ins[0];
  bool sock = is_socket(e.kind(r));
  std::string chunk = num(s.param(0)) + "ul";
  nonblock_scope(e, r, true);
  e.line("unsigned char *b = scratch(" + chunk + ");");
  e.line("uint64_t total = 0;");
  e.line("while (total < (256ull << 20)) {");
  e.line("  fill_pattern(" + e.origin(r) + ", __atomic_load_n(&written_[" + e.origin(r) + "], __ATOMIC_SEQ_CST), b, " + chunk + ");");
  e.line("  ssize_t w = " + std::string(sock ? "send(" + e.fd(r) + ", b, " + chunk + ", MSG_NOSIGNAL | MSG_DONTWAIT)"
                                               : "write(" + e.fd(r) + ", b, " + chunk + ")") + ";");
  e.line("  if (w < 0 && errno == EINTR) continue;");
  e.line("  if (w <= 0) {");
  e.line("    value = w < 0 ? -errno : 0;");
  e.line("    break;");
  e.line("  }");
  e.line("  __atomic_add_fetch(&written_[" + e.origin(r) + "], (unsigned long long)w, __ATOMIC_SEQ_CST);");
  e.line("  total += (uint64_t)w;");
  e.line("}");
  e.line("free(b);");
  e.line("ret = (long)total;");
  nonblock_scope(e, r, false);
}

void drain_(CEmit& e, const Step& s) {
  ResId r = s.ins[0];
  bool sock = is_socket(e.kind(r));
  bool counter = e.kind(r) == ResKind::EventFd;
  std::string chunk = num(s.param(0)) + "ul";
  nonblock_scope(e, r, true);
  e.line("unsigned char *b = scratch(" + chunk + ");");
  e.line("uint64_t total = 0;");
  e.line("free(data_);");
  e.line("data_ = NULL;");
  e.line("datalen_ = 0;");
  e.line("while (total < (256ull << 20)) {");
  e.line("  ssize_t got = " + std::string(sock ? "recv(" + e.fd(r) + ", b, " + chunk + ", MSG_DONTWAIT)"
                                                 : "read(" + e.fd(r) + ", b, " + chunk + ")") + ";");
  e.line("  if (got < 0 && errno == EINTR) continue;");
  e.line("  if (got <= 0) {");
  e.line("    value = got < 0 ? -errno : 0;");
  e.line("    break;");
  e.line("  }");
  if (counter) {
    e.line("  uint64_t v;");
    e.line("  memcpy(&v, b, 8);");
    e.line("  total += v;");
  } else {
    e.line("  data_ = realloc(data_, (size_t)(datalen_ + got));");
    e.line("  if (!data_) env_fail(\"realloc\");");
    e.line("  memcpy(data_ + datalen_, b, (size_t)got);");
    e.line("  datalen_ += got;");
    e.line("  total += (uint64_t)got;");
  }
  e.line("}");
  e.line("free(b);");
  e.line("ret = (long)total;");
  nonblock_scope(e, r, false);
}

void shutdown_(CEmit& e, const Step& s) {
  static const char* kHow[] = {"SHUT_RD", "SHUT_WR", "SHUT_RDWR"};
  e.line("ret = shutdown(" + e.fd(s.ins[0]) + ", " + kHow[s.param(0)] + ") == 0 ? 0 : -errno;");
}

void sockerr_(CEmit& e, const Step& s) {
  e.line("int err = 0;");
  e.line("socklen_t len = sizeof err;");
  e.line("ret = getsockopt(" + e.fd(s.ins[0]) + ", SOL_SOCKET, SO_ERROR, &err, &len) == 0 ? 0 : -errno;");
  e.line("value = err;");
}

void nonblock_(CEmit& e, const Step& s) {
  std::string f = e.fd(s.ins[0]);
  e.line("int fl = fcntl(" + f + ", F_GETFL);");
  e.line("if (fl < 0) {");
  e.line("  ret = -errno;");
  e.line("} else {");
  e.line("  fl = " + std::string(s.param(0) ? "fl | O_NONBLOCK" : "fl & ~O_NONBLOCK") + ";");
  e.line("  ret = fcntl(" + f + ", F_SETFL, fl) == 0 ? 0 : -errno;");
  e.line("}");
}

void epoll_ctl_(CEmit& e, const Step& s) {
  const char* op = s.op == Op::EpollAdd ? "EPOLL_CTL_ADD" : s.op == Op::EpollMod ? "EPOLL_CTL_MOD" : "EPOLL_CTL_DEL";
  uint32_t events = s.op == Op::EpollDel ? 0 : static_cast<uint32_t>(s.param(0));
  e.line("struct epoll_event ev;");
  e.line("memset(&ev, 0, sizeof ev);");
  e.line("ev.events = " + std::to_string(events) + "u;");
  e.line("ev.data.u64 = " + res(s.ins[1]) + ";  /* the token epoll_wait reports */");
  e.line("ret = epoll_ctl(" + e.fd(s.ins[0]) + ", " + op + ", " + e.fd(s.ins[1]) + ", &ev) == 0 ? 0 : -errno;");
}

void epoll_wait_(CEmit& e, const Step& s) {
  int64_t max = s.param(0);
  e.line("struct epoll_event evs[" + num(max) + "];");
  e.line("memset(masks_, 0, sizeof masks_);");
  e.line("int n = epoll_wait(" + e.fd(s.ins[0]) + ", evs, " + num(max) + ", " + num(s.param(1)) + ");");
  e.line("ret = n < 0 ? -errno : n;");
  e.line("for (int k = 0; k < n; ++k)");
  e.line("  if (evs[k].data.u64 < NMASKS) masks_[evs[k].data.u64] = evs[k].events;");
}

void poll_(CEmit& e, const Step& s) {
  size_t n = s.ins.size();
  e.line("struct pollfd pfd[" + std::to_string(n) + "];");
  e.line("int npfd = " + std::to_string(n) + ";");
  for (size_t k = 0; k < n; ++k)
    e.line("pfd[" + std::to_string(k) + "].fd = " + e.fd(s.ins[k]) + ", pfd[" + std::to_string(k) + "].events = " +
           num(s.param(0)) + ", pfd[" + std::to_string(k) + "].revents = 0;");
  e.line("memset(masks_, 0, sizeof masks_);");
  e.line("ret = poll(pfd, (nfds_t)npfd, " + num(s.param(1)) + ");");
  e.line("if (ret < 0) ret = -errno;");
  e.line("for (int k = 0; k < npfd; ++k) masks_[k] = ret > 0 ? (unsigned short)pfd[k].revents : 0;");
}

void select_(CEmit& e, const Step& s) {
  int64_t timeout = s.param(0);
  e.line("fd_set rd, wr, ex;");
  e.line("FD_ZERO(&rd);");
  e.line("FD_ZERO(&wr);");
  e.line("FD_ZERO(&ex);");
  e.line("int nfds = 0;");
  for (ResId r : s.ins) {
    e.line("FD_SET(" + e.fd(r) + ", &rd), FD_SET(" + e.fd(r) + ", &wr), FD_SET(" + e.fd(r) + ", &ex);");
    e.line("if (" + e.fd(r) + " + 1 > nfds) nfds = " + e.fd(r) + " + 1;");
  }
  if (timeout >= 0) {
    e.line("struct timeval tv = {" + num(timeout / 1000) + ", " + num((timeout % 1000) * 1000) + "};");
    e.line("ret = select(nfds, &rd, &wr, &ex, &tv);");
  } else {
    e.line("ret = select(nfds, &rd, &wr, &ex, NULL);");
  }
  e.line("if (ret < 0) ret = -errno;");
  e.line("memset(masks_, 0, sizeof masks_);");
  for (size_t k = 0; k < s.ins.size(); ++k) {
    std::string f = e.fd(s.ins[k]), m = "masks_[" + std::to_string(k) + "]";
    e.line("if (ret > 0) " + m + " = (FD_ISSET(" + f + ", &rd) ? POLLIN : 0) | (FD_ISSET(" + f +
           ", &wr) ? POLLOUT : 0) | (FD_ISSET(" + f + ", &ex) ? POLLPRI : 0);");
  }
}

void join_(CEmit& e, const Step&) { e.line("join_later();"); }

constexpr CStepEmitter kReadiness[] = {
    {Op::Socket, socket_},       {Op::Listen, listen_},        {Op::ClosedPort, listen_},
    {Op::Connect, connect_},     {Op::Accept, accept_},        {Op::SocketPair, socketpair_},
    {Op::Pipe, pipe_},           {Op::EventFdNew, eventfd_},   {Op::FileNew, file_},
    {Op::EpollNew, epoll_},      {Op::Dup, dup_},              {Op::Close, close_},
    {Op::Write, write_},         {Op::Read, read_},            {Op::Fill, fill_},
    {Op::Drain, drain_},         {Op::Shutdown, shutdown_},    {Op::SockError, sockerr_},
    {Op::SetNonblock, nonblock_}, {Op::EpollAdd, epoll_ctl_},  {Op::EpollMod, epoll_ctl_},
    {Op::EpollDel, epoll_ctl_},  {Op::EpollWait, epoll_wait_}, {Op::Poll, poll_},
    {Op::Select, select_},       {Op::Join, join_},
};

}  // namespace

std::span<const CStepEmitter> readiness_c_emitters() { return kReadiness; }

}  // namespace ringside
