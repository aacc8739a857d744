#include "oracle/fd_model.hpp"

#include <algorithm>
#include <cerrno>

namespace ringside::model {
namespace {

constexpr uint64_t kPage = 4096;
constexpr size_t kPipeSlots = 16;  // PIPE_DEF_BUFFERS (unless the user is over pipe-user-pages-soft)

uint64_t lay_out(std::deque<Channel::Page>& pages, uint64_t n) {
  uint64_t done = 0;
  uint64_t chars = n % kPage;
  if (chars && !pages.empty()) {
    Channel::Page& last = pages.back();
    if (last.offset + last.len + chars <= kPage) {
      last.len += static_cast<uint32_t>(chars);
      done = chars;
    }
  }
  while (done < n && pages.size() < kPipeSlots) {
    uint64_t take = std::min(kPage, n - done);
    pages.push_back({0, static_cast<uint32_t>(take)});
    done += take;
  }
  return done;
}

Level min_level(Level a, Level b) { return strongest(a, b) == a ? b : a; }

}  // namespace

DescId FdModel::create(ResKind kind, uint32_t origin, bool nonblock) {
  Desc d;
  d.id = static_cast<DescId>(descs_.size());
  d.kind = kind;
  d.origin = origin;
  d.refs = 0;
  d.nonblock = nonblock;
  switch (kind) {
    case ResKind::Tcp:
    case ResKind::UnixStream:
    case ResKind::UnixDgram:
      d.sock = Sock::Fresh;
      d.family = kind == ResKind::Tcp ? 0 : 2;
      break;
    case ResKind::TcpListener:
    case ResKind::UnixListener:
      d.sock = Sock::Listening;
      break;
    case ResKind::ClosedPort:
      d.sock = Sock::Port;
      break;
    default:
      break;
  }
  descs_.push_back(d);
  return static_cast<DescId>(descs_.size() - 1);
}

void FdModel::bind(ResId r, DescId d, int fdnum) {
  if (fds_.size() <= r) fds_.resize(r + 1);
  fds_[r] = {fdnum, d};
  descs_[d].refs++;
}

bool FdModel::close_fd(ResId r) {
  DescId d = fds_[r].desc;
  fds_[r].num = -1;
  if (--descs_[d].refs > 0) return false;
  descs_[d].release_soon = later_;
  holding_ = descs_[d].held_by_requests;
  release(d);
  holding_ = false;
  return true;
}

void FdModel::release_now(DescId d) { release(d); }

EventfdBounds FdModel::eventfd_bounds(DescId d) const {
  const Desc& s = descs_[d];
  const uint64_t hi = s.count + s.count_soon + s.count_maybe + s.count_unknown;
  return {s.count_readers ? 0 : s.count, hi};
}

void FdModel::eventfd_read(DescId d, uint64_t v) {
  Desc& s = descs_[d];
  ++s.count_reads;
  if (s.semaphore && v) {
    // v units, one per read: certain ones first.
    uint64_t left = v;
    for (uint64_t* f : {&s.count, &s.count_unknown, &s.count_soon, &s.count_maybe}) {
      const uint64_t take = std::min(left, *f);
      *f -= take;
      left -= take;
    }
    return;
  }
  // Everything that had certainly landed is taken; a `later` write counted in v landed.
  const uint64_t beyond = v > s.count + s.count_unknown ? v - s.count - s.count_unknown : 0;
  s.count_soon -= std::min(s.count_soon, beyond);
  s.count = s.count_unknown = 0;
}

void FdModel::add_wrapper(DescId d, const WrapperModel& w) {
  descs_[d].wrapper = static_cast<uint32_t>(wrappers_.size());
  wrappers_.push_back(w);
}

ChanId FdModel::new_channel(DescId writer, DescId reader, bool async, bool dgram) {
  Channel c;
  c.writer = writer;
  c.reader = reader;
  c.async = async;
  c.dgram = dgram;
  c.bytes = StreamBytes(writer == kNone ? 0 : descs_[writer].origin, dgram);
  chans_.push_back(c);
  return static_cast<ChanId>(chans_.size() - 1);
}

void FdModel::connect_pair(DescId a, DescId b, bool async, bool dgram) {
  Desc& da = descs_[a];
  Desc& db = descs_[b];
  da.peer = b;
  db.peer = a;
  da.tx = db.rx = new_channel(a, b, async, dgram);
  db.tx = da.rx = new_channel(b, a, async, dgram);
  da.sock = db.sock = Sock::Established;
  da.connected = db.connected = Level::Yes;
}

void FdModel::wrote(DescId d, uint64_t n, bool later) {
  Desc& s = descs_[d];
  if (s.kind == ResKind::EventFd) {
    bool was_zero = s.count == 0 && s.count_soon == 0;
    later = later || later_;
    (later ? s.count_soon : s.count) += n;
    Level lvl = later ? Level::Soon : Level::Yes;
    // eventfd_write wakes readers on every write; the contract promises an edge only
    // when the counter leaves zero.
    if (was_zero) wake(d, ev::In, lvl, RuleId::EtEdge);
    else wake(d, ev::In, linux_rules() ? lvl : Level::Maybe, RuleId::EtRefire);
    return;
  }
  if (s.kind == ResKind::File) {
    s.pos += n;
    if (s.pos > s.size) s.size = s.pos;
    return;
  }
  if (s.tx == kNone || n == 0) return;
  Channel& c = chans_[s.tx];
  // Its bytes: in order after what came before, or, written by the helper thread, landing
  // some time before the join (the result, seen then, says how many).
  if (later || later_) c.later_write = c.bytes.begin_write(n);
  else c.bytes.append(n);
  wrote_counts(d, n);
}

void FdModel::wrote_counts(DescId d, uint64_t n) {
  Desc& s = descs_[d];
  if (s.tx == kNone || n == 0) return;
  Channel& c = chans_[s.tx];
  bool was_empty = c.queued() == 0;
  c.sent += n;
  c.msgs.push_back(n);
  bool immediate = !c.async && !later_;
  if (immediate) c.arrived = c.sent;
  Level lvl = immediate ? Level::Yes : Level::Soon;
  // sock_def_readable wakes with IN|PRI (an ET registration for PRI or OUT alone is woken
  // too, and reports its mask); pipe_write with IN only.
  uint32_t key = c.pipe ? ev::In : ev::SocketData;
  if (was_empty) wake(c.reader, key, lvl, RuleId::EtEdge);
  else wake(c.reader, key, linux_rules() ? lvl : Level::Maybe, RuleId::EtRefire);
}

uint64_t FdModel::pipe_fit(ChanId c, uint64_t n, bool apply) {
  if (apply) return lay_out(chans_[c].pages, n);
  return pipe_fit(c, n);
}

uint64_t FdModel::pipe_fit(ChanId c, uint64_t n) const {
  std::deque<Channel::Page> copy = chans_[c].pages;
  return lay_out(copy, n);
}

uint64_t FdModel::pipe_fill(ChanId c, uint64_t chunk, bool apply) {
  std::deque<Channel::Page> copy;
  std::deque<Channel::Page>& pages = apply ? chans_[c].pages : (copy = chans_[c].pages);
  uint64_t total = 0;
  while (uint64_t w = lay_out(pages, chunk)) total += w;
  return total;
}

void FdModel::read_stream(DescId d, uint64_t n) {
  Desc& s = descs_[d];
  if (s.rx == kNone) return;
  Channel& c = chans_[s.rx];
  if (c.pipe) {
    if (c.later_writes) c.layout_unknown = true;  // the write may land before or after this read
    bool was_full = c.pages.size() >= kPipeSlots;
    for (uint64_t left = n; left && !c.pages.empty();) {
      Channel::Page& pg = c.pages.front();
      uint32_t take = static_cast<uint32_t>(std::min<uint64_t>(left, pg.len));
      pg.offset += take;
      pg.len -= take;
      left -= take;
      if (pg.len == 0) c.pages.pop_front();
    }
    // pipe_read wakes writers when it frees a slot of a full pipe.
    if (was_full && c.pages.size() < kPipeSlots) wake(c.writer, ev::Out, Level::Yes, RuleId::EtEdge);
    if (c.layout_unknown && c.later_writes == 0 && c.maybe_sent == 0 && c.uring_readers == 0 && c.sent == c.consumed) {
      c.layout_unknown = false;  // empty: no pages at all
      c.pages.clear();
    }
  }
  // (A read may take bytes of an io_uring write whose CQE is still to come: consumed may
  // run ahead of sent until that CQE.)
  c.consumed += n;
  if (c.arrived < c.consumed) c.arrived = c.consumed;
  uint64_t left = n;
  while (left && !c.msgs.empty()) {
    uint64_t take = std::min(left, c.msgs.front());
    c.msgs.front() -= take;
    left -= take;
    if (c.msgs.front() == 0) c.msgs.pop_front();
  }
  bool was_full = c.full;
  c.full = false;
  if (c.pipe) return;
  // The writer regains space. A writer that saw EAGAIN is promised an edge once the
  // reader has taken everything; otherwise the wakeup depends on buffer accounting.
  Level lvl = was_full && c.queued() == 0 && !c.async ? Level::Yes : Level::Maybe;
  wake(c.writer, ev::Out, lvl, RuleId::EtEdge);
}

void FdModel::drained(DescId d) {
  Desc& s = descs_[d];
  if (s.rx == kNone) return;
  Channel& c = chans_[s.rx];
  // EAGAIN: nothing more had arrived. Bytes still queued are in flight.
  (void)c;
}

void FdModel::shutdown(DescId d, int how, bool later) {
  Desc& s = descs_[d];
  Level now = later || later_ ? Level::Soon : Level::Yes;
  bool rd = how == 0 || how == 2, wr = how == 1 || how == 2;
  if (rd) s.rcv_shut = strongest(s.rcv_shut, now);
  if (rd) s.own_shut_rd = strongest(s.own_shut_rd, now);
  if (wr) s.snd_shut = strongest(s.snd_shut, now);
  wake(d, 0, now, RuleId::PollRdhup);
  if (s.kind == ResKind::UnixDgram || s.peer == kNone) return;
  Desc& p = descs_[s.peer];
  if (s.kind == ResKind::Tcp) {
    // SHUT_WR sends a FIN after the queued data; SHUT_RD tells the peer nothing.
    if (wr && s.tx != kNone) {
      chans_[s.tx].eof = strongest(chans_[s.tx].eof, Level::Soon);
      p.rcv_shut = strongest(p.rcv_shut, Level::Soon);
      wake(s.peer, 0, Level::Soon, RuleId::PollRdhup);
    }
    // Shut down both ways (FIN_WAIT with RCV_SHUTDOWN), a socket that still receives
    // data aborts (tcp_rcv_state_process: RFC 1122 says to reset): bytes the peer sent
    // that may not have arrived yet may make both ends reset.
    if (possible(s.rcv_shut) && possible(s.snd_shut) && s.rx != kNone) {
      const Channel& in = chans_[s.rx];
      if (in.queued() > in.known_arrived() || in.maybe_sent > 0)
        for (DescId end : {d, s.peer}) may_reset(end);
    }
    return;
  }
  // AF_UNIX stream: the peer's shutdown state changes at once.
  if (wr) {
    if (s.tx != kNone) chans_[s.tx].eof = strongest(chans_[s.tx].eof, now);
    p.rcv_shut = strongest(p.rcv_shut, now);
  }
  if (rd) p.snd_shut = strongest(p.snd_shut, now);
  wake(s.peer, 0, now, RuleId::PollRdhup);
}

void FdModel::release(DescId d) {
  Desc& s = descs_[d];
  ledger_.close_span(d);  // a span ends with the description
  switch (s.kind) {
    case ResKind::PipeRead:
    case ResKind::PipeWrite: {
      if (s.peer == kNone) break;
      Desc& p = descs_[s.peer];
      p.peer_gone = strongest(p.peer_gone, cap(now()));
      if (s.kind == ResKind::PipeWrite && s.tx != kNone) chans_[s.tx].eof = strongest(chans_[s.tx].eof, cap(now()));
      wake(s.peer, 0, cap(now()), s.kind == ResKind::PipeWrite ? RuleId::PollHup : RuleId::PollErr);
      break;
    }
    case ResKind::Tcp:
    case ResKind::UnixStream: {
      if (s.is_tcp() && (s.sock == Sock::Connecting || s.sock == Sock::Stalled) && s.peer != kNone) {
        // Closed while connect was pending: the handshake may have finished (the server's
        // socket then sees a FIN, or a reset) or not (no connection to accept).
        may_reset(s.peer);
        Desc& child = descs_[s.peer];
        child.rcv_shut = strongest(child.rcv_shut, Level::Maybe);
        if (child.rx != kNone) chans_[child.rx].eof = strongest(chans_[child.rx].eof, Level::Maybe);
        if (s.listener != kNone) {
          Desc& l = descs_[s.listener];
          auto it = std::find(l.queue.begin(), l.queue.end(), d);
          if (it != l.queue.end()) {
            l.queue.erase(it);
            l.maybe_queue.push_back(d);
            if (l.known_queued > static_cast<int>(l.queue.size())) l.known_queued = static_cast<int>(l.queue.size());
          }
        }
        break;
      }
      if (s.peer == kNone || s.sock != Sock::Established) break;
      Desc& p = descs_[s.peer];
      p.peer_gone = strongest(p.peer_gone, cap(now()));
      bool unread = s.rx != kNone && chans_[s.rx].queued() > 0;
      // An io_uring send in flight toward us may or may not have landed: data maybe unread.
      const bool maybe_unread = !unread && s.rx != kNone && chans_[s.rx].maybe_sent > 0;
      if (maybe_unread && s.kind != ResKind::UnixStream) may_reset(s.peer);  // FIN or RST, unknown
      if (s.kind == ResKind::UnixStream) {
        // unix_release_sock: the peer is shut down both ways, and reset if we left data
        // unread or were never accepted (an embryo released with its listener).
        unread = unread || s.embryo;
        if (s.tx != kNone) chans_[s.tx].eof = strongest(chans_[s.tx].eof, cap(now()));
        p.rcv_shut = strongest(p.rcv_shut, cap(now()));
        p.snd_shut = strongest(p.snd_shut, cap(now()));
        if (unread || maybe_unread) {
          p.err = ECONNRESET;
          p.err_level = strongest(p.err_level, linux_rules() && unread ? cap(now()) : Level::Maybe);
        }
        wake(s.peer, 0, cap(now()), RuleId::PollRdhup);
      } else if (unread) {
        // Unread data: RST instead of FIN (RFC 2525 2.17; Linux does it, the documents
        // do not promise it). A FIN may still arrive first if the data was in flight when
        // we closed.
        p.reset = strongest(p.reset, cap(de_facto_soon()));
        p.err = ECONNRESET;
        p.err_level = strongest(p.err_level, cap(de_facto_soon()));
        if (s.tx != kNone) chans_[s.tx].eof = strongest(chans_[s.tx].eof, Level::Maybe);
        p.rcv_shut = strongest(p.rcv_shut, Level::Maybe);
        wake(s.peer, 0, cap(Level::Soon), RuleId::StreamReset);
      } else {
        if (s.tx != kNone) chans_[s.tx].eof = strongest(chans_[s.tx].eof, cap(Level::Soon));
        p.rcv_shut = strongest(p.rcv_shut, cap(Level::Soon));
        wake(s.peer, 0, cap(Level::Soon), RuleId::PollRdhup);
      }
      break;
    }
    case ResKind::UnixDgram:
      if (s.peer != kNone) {
        descs_[s.peer].peer_gone = strongest(descs_[s.peer].peer_gone, cap(now()));
        // Releasing our queue frees the peer's datagrams in it, which gives back the
        // peer's send buffer (sock_wfree -> unix_write_space): an OUT wakeup for the peer,
        // but only if something of it was queued here. (A socketpair's peer never hooks
        // onto our queue's wait, unix_dgram_peer_wake_me: we are its peer.)
        if (s.rx != kNone) {
          const Channel& c = chans_[s.rx];
          if (c.queued() > 0) wake(s.peer, ev::Out, cap(now()), RuleId::EtEdge);
          else if (c.maybe_sent > 0) wake(s.peer, ev::Out, Level::Maybe, RuleId::EtEdge);
          // epoll(7) forbids no event on a change of the socket, and losing its peer is
          // one: under `contract` it may be an OUT edge even with nothing queued here.
          else if (!linux_rules()) wake(s.peer, ev::Out, Level::Maybe, RuleId::EtEdge);
        }
      }
      break;
    case ResKind::UnixListener:
      // unix_release_sock(listener): every connection never accepted is released at
      // once as an embryo: its client is shut down both ways and reset.
      for (DescId c : s.queue) {
        Desc& cl = descs_[c];
        if (cl.peer == kNone || cl.refs == 0) continue;
        descs_[cl.peer].embryo = true;
        release(cl.peer);
      }
      break;
    case ResKind::TcpListener:
      // Connections never accepted are reset; their clients see it some time later.
      for (DescId c : s.queue) {
        Desc& cl = descs_[c];
        if (cl.refs == 0) continue;
        cl.reset = strongest(cl.reset, Level::Maybe);
        cl.err = -1;  // ECONNRESET or ECONNREFUSED, depending on how far the handshake got
        cl.err_level = strongest(cl.err_level, Level::Maybe);
        if (cl.sock == Sock::Connecting) cl.connected = Level::Maybe;
        wake(c, 0, Level::Maybe, RuleId::StreamReset);
      }
      for (DescId c : s.maybe_queue) s.stalled.push_back(c);
      for (DescId c : s.stalled) {
        Desc& cl = descs_[c];
        if (cl.refs == 0) continue;
        cl.err = -1;
        cl.err_level = strongest(cl.err_level, Level::Maybe);
        cl.reset = strongest(cl.reset, Level::Maybe);
        wake(c, 0, Level::Maybe, RuleId::StreamReset);
      }
      break;
    default:
      break;
  }
}

void FdModel::joined() {
  auto promote = [](Level& l) {
    if (l == Level::Soon) l = Level::Yes;
  };
  for (auto& c : chans_) {
    c.later_writes = 0;
    if (c.layout_unknown && c.maybe_sent == 0 && c.uring_readers == 0 && c.sent == c.consumed) {
      c.layout_unknown = false;
      c.pages.clear();
    }
    if (c.async) continue;
    c.arrived = c.sent;
    promote(c.eof);
  }
  for (auto& s : descs_) {
    s.release_soon = false;
    s.count += s.count_soon;
    s.count_soon = 0;
    promote(s.peer_gone);
    if (s.is_tcp()) continue;
    promote(s.rcv_shut);
    promote(s.snd_shut);
    promote(s.err_level);
    promote(s.reset);
  }
}

void FdModel::learn(const Condition& c) {
  if (c.ref == kNone) return;
  switch (c.cond) {
    case Cond::RxData: {
      Channel& ch = chans_[c.ref];
      if (ch.arrived < ch.consumed + 1 && ch.queued() > 0) ch.arrived = ch.consumed + 1;
      break;
    }
    case Cond::RxEof: {
      Desc& s = descs_[c.ref];
      s.rcv_shut = Level::Yes;
      if (s.rx != kNone) {
        Channel& ch = chans_[s.rx];
        // A FIN arrives after every byte before it.
        if (ch.eof != Level::No) {
          ch.eof = Level::Yes;
          ch.arrived = ch.sent;
        }
      }
      break;
    }
    case Cond::Reset: {
      Desc& s = descs_[c.ref];
      s.reset = Level::Yes;
      if (s.err_level == Level::Soon || s.err_level == Level::Maybe) s.err_level = Level::Yes;
      break;
    }
    case Cond::Connected: {
      Desc& s = descs_[c.ref];
      s.connected = Level::Yes;
      s.sock = Sock::Established;
      break;
    }
    case Cond::Refused: {
      Desc& s = descs_[c.ref];
      s.reset = Level::Yes;
      if (s.err_level != Level::No) s.err_level = Level::Yes;
      break;
    }
    case Cond::Accept: {
      Desc& s = descs_[c.ref];
      if (s.known_queued < 1) s.known_queued = 1;
      break;
    }
    case Cond::WrapperReady:
      if (descs_[c.ref].wrapper != kNone) wrappers_[descs_[c.ref].wrapper].learn_ready();
      break;
    case Cond::Static:
    case Cond::Writable:
    case Cond::Counter:
      break;
  }
}

void FdModel::may_reset(DescId d) {
  if (d == kNone) return;
  Desc& s = descs_[d];
  s.reset = strongest(s.reset, Level::Maybe);
  if (!possible(s.err_level)) s.err = ECONNRESET;
  s.err_level = strongest(s.err_level, Level::Maybe);
  wake(d, 0, Level::Maybe, RuleId::StreamReset);
}

void FdModel::unfollow(DescId d, TolId why) {
  if (d == kNone) return;
  ledger_.open_span(d, descs_[d].origin, why);
}

void FdModel::dgram_disconnect(DescId d) {
  Desc& s = descs_[d];
  if (s.rx != kNone) {
    Channel& c = chans_[s.rx];
    c.consumed = c.arrived = c.sent;
    c.msgs.clear();
  }
  s.rx = s.tx = kNone;
  s.peer = kNone;
  s.peer_gone = Level::No;
  s.sock = Sock::Fresh;
}

bool FdModel::in_flight(DescId d) const {
  const Desc& s = descs_[d];
  if (s.wrapper != kNone) return wrappers_[s.wrapper].transition_coming();
  auto soon = [](Level l) { return l == Level::Soon || l == Level::Maybe; };
  if (s.rx != kNone) {
    const Channel& c = chans_[s.rx];
    if (c.queued() > c.known_arrived() || soon(c.eof) || c.maybe_sent > 0) return true;
  }
  return soon(s.rcv_shut) || soon(s.snd_shut) || soon(s.peer_gone) || soon(s.reset) || soon(s.err_level) ||
         soon(s.connected) || s.count_soon > 0 ||
         (!s.queue.empty() && static_cast<size_t>(s.known_queued) < s.queue.size()) || !s.maybe_queue.empty();
}

bool FdModel::sure_room(DescId d, uint64_t n) const {
  const Desc& s = descs_[d];
  if (s.kind == ResKind::EventFd || s.kind == ResKind::File) return true;
  if (s.tx == kNone) return false;
  const Channel& c = chans_[s.tx];
  if (c.full) return false;
  switch (s.kind) {
    case ResKind::Tcp:
      return c.queued_at_most() + n <= kTcpSureRoom;
    case ResKind::UnixStream:
    case ResKind::UnixDgram:
      return c.queued_at_most() + n <= kUnixSureRoom && c.msgs.size() < kUnixSureWrites;
    case ResKind::PipeWrite:
      return !c.layout_unknown && pipe_fit(s.tx, n) == n;
    default:
      return false;
  }
}

Level FdModel::wake_coming(DescId d, uint32_t interest) const {
  const Desc& s = descs_[d];
  // A wrapper's transition is an eventfd signal: its wakeup key is EPOLLIN only.
  if (s.wrapper != kNone)
    return (interest & ev::In) && wrappers_[s.wrapper].transition_coming() ? Level::Soon : Level::No;
  return in_flight(d) ? Level::Maybe : Level::No;
}

Level FdModel::rx_level(const Desc& s) const {
  if (s.rx == kNone) return Level::No;
  const Channel& c = chans_[s.rx];
  // A pending io_uring read takes what arrives whenever its task work runs.
  if (c.uring_readers && (c.queued() > 0 || c.maybe_sent > 0)) return Level::Flaky;
  if (c.known_arrived() > 0) return Level::Yes;
  if (c.queued() > 0) return Level::Soon;
  if (c.maybe_sent > 0) return Level::Maybe;
  return Level::No;
}

FileContent& FdModel::content(DescId d) {
  auto it = contents_.find(d);
  if (it == contents_.end()) it = contents_.emplace(d, FileContent(descs_[d].origin, descs_[d].size)).first;
  return it->second;
}

Level FdModel::writable(const Desc& s) const {
  if (s.tx == kNone) return Level::Flaky;
  const Channel& c = chans_[s.tx];
  if (c.maybe_sent > 0 && !c.full) return Level::Flaky;  // io_uring writes in flight fill the buffer
  switch (s.kind) {
    case ResKind::Tcp:
      if (c.full || c.queued() > kTcpSureRoom) return Level::Flaky;
      return Level::Yes;
    case ResKind::UnixStream:
    case ResKind::UnixDgram:
      if (s.peer_gone == Level::Yes) return Level::Yes;  // the peer's queue was purged with it
      if (possible(s.peer_gone)) return Level::Flaky;
      if (c.full) return Level::No;
      if (c.queued() <= kUnixSureRoom && c.msgs.size() <= kUnixSureWrites) return Level::Yes;
      return Level::Flaky;
    case ResKind::PipeWrite:
      // pipe_poll: writable while a slot is free. A `later` write not yet joined may or
      // may not have taken its slots.
      if (c.later_writes || c.layout_unknown) return Level::Flaky;
      return c.pages.size() < kPipeSlots ? Level::Yes : Level::No;
    default:
      return Level::Flaky;
  }
}

void FdModel::stream_readiness(const Desc& s, ReadySet& r) const {
  uint32_t hup_with_rcv = s.snd_shut == Level::Yes ? ev::Hup : 0;
  if (s.rx != kNone) r.add(ev::In, rx_level(s), RuleId::PollIn, Cond::RxData, s.rx);
  // epoll_ctl(2) defines RDHUP by the peer's close or SHUT_WR. After our own SHUT_RD alone
  // it is Linux's (RCV_SHUTDOWN): under `contract` a condition of its own then.
  const Level peer_eof = s.rx == kNone ? Level::No : chans_[s.rx].eof;
  const bool own_shut_only = !linux_rules() && !possible(peer_eof) && possible(s.own_shut_rd);
  r.add(ev::In | (own_shut_only ? 0 : ev::RdHup) | hup_with_rcv, s.rcv_shut, RuleId::PollRdhup, Cond::RxEof, s.id);
  if (own_shut_only) r.add(ev::RdHup, de_facto(s.rcv_shut), RuleId::PollRdhup);
  if (!hup_with_rcv && possible(s.snd_shut) && possible(s.rcv_shut))
    r.add(ev::Hup, min_level(Level::Maybe, min_level(s.snd_shut, s.rcv_shut)), RuleId::PollHup);
  else if (!hup_with_rcv)
    r.add(ev::Hup, Level::No, RuleId::PollHup);
}

// tcp_done_with_error stores sk_err before tcp_done closes the socket, and tcp_poll
// reads the state before sk_err (the smp_wmb/smp_rmb pair): a poll during a reset may
// see ERR alone, never HUP without ERR.
void FdModel::err_before_reset(Level reset, ReadySet& r) const {
  if (possible(reset) && reset != Level::Yes) r.add(ev::Err, min_level(reset, Level::Maybe), RuleId::StreamReset);
}

// A reset (tcp_reset -> tcp_done) turns on IN|OUT|HUP|RDHUP at once, and ERR while its
// error is pending: together when both are still to come (ERR possibly a moment
// earlier), separately once the error was read (or is certain).
void FdModel::reset_readiness(const Desc& s, ReadySet& r) const {
  // ERR and the rest of a reset turn on at once, unless a `later` read or write may have
  // taken the error meanwhile (it returns it and clears sk_err).
  bool together = s.err_level == s.reset && s.reset != Level::Yes && !s.err_may_be_taken;
  if (possible(s.reset)) {
    uint32_t bits = ev::In | ev::Out | ev::Hup | ev::RdHup | (together ? ev::Err : 0);
    r.add(bits, s.reset, RuleId::StreamReset, Cond::Reset, s.id);
  }
  if (together) err_before_reset(s.reset, r);
  if (possible(s.err_level) && !together) r.add(ev::Err, s.err_level, RuleId::PollErr);
}

void FdModel::tcp_readiness(const Desc& s, ReadySet& r) const {
  uint32_t self = s.id;
  switch (s.sock) {
    case Sock::Fresh:
    case Sock::Port:
      // Separate conditions: under `contract` each may be on or off alone (no document
      // fixes the mask of an unconnected socket); under `linux` both are on.
      r.add(ev::Out, de_facto(Level::Yes), RuleId::FreshSocketMask);
      r.add(ev::Hup, de_facto(Level::Yes), RuleId::FreshSocketMask);
      // Its own SHUT_RD sets RCV_SHUTDOWN even though shutdown(2) failed ENOTCONN
      // (inet_shutdown on TCP_CLOSE): tcp_poll then says IN|RDHUP.
      r.add(ev::In | ev::RdHup, s.rcv_shut, possible(s.rcv_shut) ? RuleId::PollRdhup : RuleId::FreshSocketMask);
      // An error a failed connect left pending (under `contract` only: Linux's connect
      // takes it) is poll(2)'s POLLERR "Error condition".
      r.add(ev::Err, s.err_level, RuleId::FreshSocketMask);
      return;
    case Sock::Stalled:
      r.add(ev::Out, Level::No, RuleId::ConnectPendingNotWritable);
      r.add(ev::In | ev::Err | ev::Hup | ev::RdHup, Level::No, RuleId::ConnectPendingNotWritable);
      reset_readiness(s, r);
      return;
    case Sock::Connecting:
      r.add(ev::Out, s.connected, RuleId::ConnectWritable, Cond::Connected, self);
      reset_readiness(s, r);
      if (s.rx != kNone) r.add(ev::In, rx_level(s) == Level::No ? Level::No : Level::Maybe, RuleId::PollIn);
      return;
    case Sock::Refused: {
      // tcp_reset -> tcp_done: the socket is closed and shut down both ways; ERR while
      // the error is pending. A refusal still in flight turns all of it on at once.
      // epoll_ctl(2) defines RDHUP by a peer that closed or shut down writing, which a
      // refused connect never had: under `contract` RDHUP is a condition of its own.
      const uint32_t rdhup = !linux_rules() ? 0 : ev::RdHup;
      if (!rdhup) r.add(ev::RdHup, de_facto(s.reset), RuleId::ConnectWritable);
      if (s.reset == s.err_level && s.reset != Level::Yes) {
        r.add(ev::In | ev::Out | ev::Err | ev::Hup | rdhup, s.reset, RuleId::ConnectWritable, Cond::Refused, self);
        err_before_reset(s.reset, r);
      } else {
        r.add(ev::In | ev::Out | ev::Hup | rdhup, s.reset, RuleId::ConnectWritable, Cond::Refused, self);
        r.add(ev::Err, s.err_level, RuleId::SoErrorClear);
      }
      return;
    }
    default:
      break;
  }
  // Established.
  stream_readiness(s, r);
  reset_readiness(s, r);
  if (!possible(s.err_level)) r.add(ev::Err, Level::No, RuleId::PollErr);
  // tcp_poll: after SHUT_WR the socket always polls writable.
  r.add(ev::Out, s.snd_shut == Level::Yes ? Level::Yes : writable(s), RuleId::PollOut, Cond::Writable);
}

ReadySet FdModel::readiness(DescId d) const {
  const Desc& s = descs_[d];
  ReadySet r;
  if (auto t = ledger_.span_tol(d)) {
    // Followed only within bounds: any of the bits its kind may show.
    for (uint32_t bit : {ev::In, ev::Out, ev::Err, ev::Hup, ev::RdHup, ev::Pri}) r.tolerate(bit, Level::Flaky, RuleId::PollUnexpected, *t);
    return r;
  }
  switch (s.kind) {
    case ResKind::Tcp:
    case ResKind::ClosedPort:
      tcp_readiness(s, r);
      break;
    case ResKind::UnixStream:
      if (s.sock != Sock::Established) {
        // unix_poll: an unconnected stream socket reports HUP, and is writable; its own
        // shutdown(SHUT_RD) adds IN|RDHUP.
        r.add(ev::Out, de_facto(Level::Yes), RuleId::FreshSocketMask);
        r.add(ev::Hup, de_facto(Level::Yes), RuleId::FreshSocketMask);
        r.add(ev::In | ev::RdHup, s.rcv_shut, RuleId::PollRdhup);
        r.add(ev::Err, Level::No, RuleId::FreshSocketMask);
        break;
      }
      stream_readiness(s, r);
      r.add(ev::Err, s.err_level, s.err_level == Level::No ? RuleId::PollErr : RuleId::StreamReset);
      r.add(ev::Out, writable(s), RuleId::PollOut, Cond::Writable);
      break;
    case ResKind::UnixDgram:
      if (s.rx != kNone) r.add(ev::In, rx_level(s), RuleId::PollIn, Cond::RxData, s.rx);
      else r.add(ev::In, Level::No, RuleId::PollIn);
      // unix_dgram_poll: RCV_SHUTDOWN gives IN|RDHUP, both directions shut down HUP.
      r.add(ev::In | ev::RdHup | (s.snd_shut == Level::Yes ? ev::Hup : 0), s.rcv_shut, RuleId::PollRdhup);
      if (s.snd_shut != Level::Yes && possible(s.snd_shut) && possible(s.rcv_shut))
        r.add(ev::Hup, min_level(Level::Maybe, min_level(s.snd_shut, s.rcv_shut)), RuleId::PollHup);
      // unconnected: Linux's unix_dgram_poll says writable; no document fixes the readiness
      // of an unconnected socket, so under `contract` OUT may be either way. A send in
      // flight there charges its buffer for a moment.
      if (s.out_flickers && de_facto(Level::Yes) == Level::Yes)
        r.tolerate_absent(ev::Out, RuleId::PollOut, TolId::UnixDgramUnconnectedSendChargesBuffer);
      else
        r.add(ev::Out, s.tx == kNone ? de_facto(Level::Yes) : writable(s), RuleId::PollOut, Cond::Writable);
      r.add(ev::Err, Level::No, RuleId::PollErr);
      break;
    case ResKind::PipeRead: {
      r.add(ev::In, rx_level(s), RuleId::PollIn, Cond::RxData, s.rx);
      Level eof = s.rx == kNone ? Level::No : chans_[s.rx].eof;
      r.add(ev::Hup, eof, RuleId::PollHup, Cond::Static);
      r.add(ev::Out | ev::Err | ev::RdHup, Level::No, RuleId::PollUnexpected);
      break;
    }
    case ResKind::PipeWrite:
      r.add(ev::Out, writable(s), RuleId::PollOut, Cond::Writable);
      r.add(ev::Err, s.peer_gone, RuleId::PollErr);
      r.add(ev::In | ev::Hup | ev::RdHup, Level::No, RuleId::PollUnexpected);
      break;
    case ResKind::EventFd: {
      // An io_uring read in flight may take the counter at any moment.
      const Level certain = s.count_readers ? Level::Flaky : Level::Yes;
      r.add(ev::In,
            s.count > 0                              ? certain
            : s.count_soon > 0                       ? Level::Soon
            : s.count_maybe + s.count_unknown > 0    ? Level::Maybe
                                                     : Level::No,
            RuleId::PollIn, Cond::Counter);
      r.add(ev::Out, Level::Yes, RuleId::PollOut);
      r.add(ev::Err | ev::Hup | ev::RdHup, Level::No, RuleId::PollUnexpected);
      break;
    }
    case ResKind::File:
      r.add(ev::In | ev::Out, Level::Yes, RuleId::FileAlwaysReady);
      r.add(ev::Err | ev::Hup | ev::RdHup, Level::No, RuleId::FileAlwaysReady);
      break;
    case ResKind::TcpListener:
    case ResKind::UnixListener: {
      Level l = s.known_queued > 0                        ? Level::Yes
                : !s.queue.empty()                        ? Level::Soon
                : !s.maybe_queue.empty()                  ? Level::Maybe
                                                          : Level::No;
      r.add(ev::In, l, RuleId::ListenerReadable, Cond::Accept, d);
      r.add(ev::Out | ev::Err | ev::Hup | ev::RdHup, Level::No, RuleId::ListenerReadable);
      break;
    }
    case ResKind::Wrapper:
      if (s.wrapper != kNone) wrappers_[s.wrapper].readiness(d, r);
      break;
    case ResKind::Epoll:
      // An epoll fd inside another epoll set or poll: not followed yet.
      r.tolerate(ev::In, Level::Flaky, RuleId::PollUnexpected, TolId::EpollNestedNotFollowed);
      r.add(ev::Out, Level::No, RuleId::PollUnexpected);
      break;
    case ResKind::Ring:
      // A ring's fd polls readable while CQEs wait: not followed yet.
      for (uint32_t bit : {ev::In, ev::Out}) r.tolerate(bit, Level::Flaky, RuleId::PollUnexpected, TolId::UringRingFdNotFollowed);
      break;
    case ResKind::Request:  // not a fd: never polled
      break;
  }
  return r;
}

}  // namespace ringside::model
