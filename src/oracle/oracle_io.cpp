// Family 2: reading and writing streams, datagrams, pipes, eventfds and files.
#include <algorithm>

#include "oracle/oracle_impl.hpp"
#include "program/pattern.hpp"

namespace ringside {
namespace {
constexpr uint64_t kMaxDgram = 200 * 1024;    // well below sk_sndbuf - 32
}  // namespace
using model::kTcpSureRoom;
using model::kUnixSureRoom;

RetSet Oracle::Impl::pending_errors(const Desc& d) const {
  // err -1: a reset whose kind depends on how far the handshake got.
  RetSet r;
  for (int e : model::error_values(d.err)) r.add_err(e);
  return r;
}

bool Oracle::Impl::tcp_peer_discards(const Desc& d) const {
  // Data to a TCP peer that is closed, or that shut down both ways (FIN_WAIT with
  // RCV_SHUTDOWN: tcp_rcv_state_process resets on new data), draws a RST.
  if (!d.is_tcp() || d.peer == kNone) return possible(d.peer_gone);
  const Desc& p = fds.desc(d.peer);
  return possible(d.peer_gone) || (possible(p.rcv_shut) && possible(p.snd_shut));
}

RetSet Oracle::Impl::write_expect(const Desc& d, uint64_t n, RuleId& rule, bool assume_room) const {
  rule = RuleId::WriteCount;
  const int64_t all = static_cast<int64_t>(n);
  // Room that is certainly there, and what happens without it. Callers pass
  // queued_at_most(): io_uring writes in flight may take the room first.
  auto by_room = [&](uint64_t queued, bool full, uint64_t sure, bool atomic) {
    if (assume_room) return RetSet::of({all});
    if (!full && queued + n <= sure) return RetSet::of({all});
    if (!d.nonblock) return RetSet::of({all});
    if (full) return RetSet::err(EAGAIN);
    RetSet r = RetSet::err(EAGAIN);
    return atomic ? r.add(all) : r.add(1, all);
  };
  switch (d.kind) {
    case ResKind::EventFd:
      rule = RuleId::EventfdWrite;
      return RetSet::of({8});
    case ResKind::File:
      rule = RuleId::FileRw;
      return RetSet::of({all});
    case ResKind::PipeWrite: {
      if (d.peer_gone == Level::Yes) {
        rule = RuleId::WriteEpipe;
        return RetSet::err(EPIPE);
      }
      // The page layout says exactly what fits (writes up to PIPE_BUF are atomic by it).
      // A blocking write waits for room: the runner never lets it wait for nothing.
      RetSet r;
      if (assume_room) {
        r = RetSet::of({all});
      } else if (!fds.pipe_layout_known(d.tx)) {
        r = d.nonblock ? RetSet::err(EAGAIN).add(1, all) : RetSet::of({all});
      } else {
        uint64_t fit = fds.pipe_fit(d.tx, n);
        r = fit == n || !d.nonblock ? RetSet::of({all})
            : fit                   ? RetSet::of({static_cast<int64_t>(fit)})
                                    : RetSet::err(EAGAIN);
      }
      if (possible(d.peer_gone)) r.add_err(EPIPE);  // the last reader is closing meanwhile
      return r;
    }
    case ResKind::UnixStream: {
      if (d.sock != Sock::Established) return RetSet::err(ENOTCONN);
      const Desc& p = fds.desc(d.peer);
      if (d.snd_shut == Level::Yes || d.peer_gone == Level::Yes || p.rcv_shut == Level::Yes) {
        rule = RuleId::WriteEpipe;
        return RetSet::err(EPIPE);
      }
      const auto& c = fds.chan(d.tx);
      bool sure = c.msgs.size() < 16;
      RetSet r = by_room(c.queued_at_most(), c.full, sure ? kUnixSureRoom : 0, false);
      if (possible(d.snd_shut) || possible(d.peer_gone) || possible(p.rcv_shut)) r.add_err(EPIPE);
      return r;
    }
    case ResKind::UnixDgram: {
      // unix_dgram_sendmsg's order, measured: EMSGSIZE, own SHUT_WR (EPIPE), no peer
      // (ENOTCONN), buffer space (EAGAIN), then the peer: closed (ECONNREFUSED) or shut
      // down for reading (EPIPE).
      if (n > kMaxDgram) return RetSet::of({-EMSGSIZE, all, -EAGAIN});
      if (d.snd_shut == Level::Yes) {
        rule = RuleId::WriteEpipe;
        return RetSet::err(EPIPE);
      }
      // A `later` shutdown may come first: EPIPE then, whatever follows.
      if (d.tx == kNone) return possible(d.snd_shut) ? RetSet::of({-ENOTCONN, -EPIPE}) : RetSet::err(ENOTCONN);
      if (d.peer_gone == Level::Yes)
        return possible(d.snd_shut) ? RetSet::of({-ECONNREFUSED, -EPIPE}) : RetSet::err(ECONNREFUSED);
      const auto& c = fds.chan(d.tx);
      bool sure = c.msgs.size() < 8;
      RetSet r = by_room(c.queued_at_most(), c.full, sure ? kUnixSureRoom : 0, true);
      Level shut = fds.desc(d.peer).rcv_shut;
      if (shut != Level::No && r.contains(all)) {
        // With room, the receiver's SHUT_RD is found next: EPIPE.
        rule = RuleId::WriteEpipe;
        RetSet w = RetSet::err(EPIPE);
        if (shut != Level::Yes) w.add(r);
        else if (r.contains(-EAGAIN)) w.add_err(EAGAIN);
        r = w;
      } else if (shut != Level::No && !linux_rules() && r.contains(-EAGAIN)) {
        // No room and the receiver shut down reading: no document orders the two (Linux
        // checks room first, gVisor the receiver): `contract` takes EPIPE too.
        r.add_err(EPIPE);
      }
      if (possible(d.peer_gone)) r.add_err(ECONNREFUSED);  // a `later` close may come first
      if (possible(d.snd_shut)) r.add_err(EPIPE);
      return r;
    }
    case ResKind::Tcp: {
      switch (d.sock) {
        case Sock::Fresh:
        case Sock::Port:
          // sk_stream_wait_connect: not connecting at all.
          rule = RuleId::WriteEpipe;
          return RetSet::err(EPIPE);
        case Sock::Connecting:
        case Sock::Stalled: {
          RetSet r = d.nonblock ? RetSet::err(EAGAIN) : RetSet();
          if (possible(d.connected)) r.add(1, all);
          if (possible(d.reset)) r.add_err(ECONNREFUSED).add_err(ECONNRESET).add_err(EPIPE);
          return r;
        }
        case Sock::Refused: {
          rule = RuleId::ConnectRefused;
          RetSet r = RetSet::err(EPIPE);
          if (d.err_level != Level::No) r.add_err(ECONNREFUSED);
          if (d.nonblock && d.reset != Level::Yes) r.add_err(EAGAIN);
          return r;
        }
        default:
          break;
      }
      if (d.snd_shut == Level::Yes && !possible(d.err_level)) {
        rule = RuleId::WriteEpipe;
        return RetSet::err(EPIPE);
      }
      const auto& c = fds.chan(d.tx);
      // A full TCP send buffer empties into the peer as it acknowledges, read or not
      // (loopback: its receive buffer grows too): room may come back at any time.
      RetSet r = by_room(c.queued_at_most(), false, kTcpSureRoom, false);
      if (possible(d.snd_shut)) r.add_err(EPIPE);  // a `later` shutdown may come first
      if (tcp_peer_discards(d) || possible(d.reset) || possible(d.err_level)) {
        // The peer is gone: our data draws a RST some time later.
        rule = RuleId::StreamReset;
        r.add(1, all).add_err(EPIPE).add_err(ECONNRESET);
      }
      return r;
    }
    default:
      return RetSet::err(EBADF);
  }
}

void Oracle::Impl::pipe_write_attempted(const Desc& d) {
  // pipe_write wakes readers after every write call once the pipe was ever polled
  // ("Epoll nonsensically wants a wakeup whether the pipe was already empty or not"),
  // even a call that wrote nothing: an ET IN edge may follow.
  if (d.kind == ResKind::PipeWrite && d.tx != kNone)
    fds.wakes().push_back({fds.chan(d.tx).reader, ev::In, Level::Maybe, RuleId::EtRefire, TolId::PipeWriteCallWakesReaders});
}

void Oracle::Impl::unix_send_failed(DescId id, int64_t ret) {
  // AF_UNIX sends that fail after allocating their skb (no peer, peer dead or shut down
  // for reading) free it, and the freed buffer space wakes writers (sock_wfree ->
  // unix_write_space): an OUT edge may have happened. Failures found before allocating
  // (EMSGSIZE, own SHUT_WR) and EAGAIN (no space to allocate) wake nobody... but which of
  // them a kernel version checks first varies, so only EAGAIN is taken as certain.
  const Desc& d = fds.desc(id);
  if ((d.kind == ResKind::UnixDgram || d.kind == ResKind::UnixStream) && ret != -EAGAIN)
    fds.wakes().push_back({id, ev::Out, Level::Maybe, RuleId::EtEdge, TolId::UnixFailedSendWakesWriters});
}

RetSet Oracle::Impl::unconnected_read(const Desc& d) const {
  // A socket that is not (yet, or any more) connected: ENOTCONN (TCP), EINVAL (AF_UNIX
  // stream), EAGAIN while a handshake runs, or the pending error of a failed connect.
  RetSet allowed = RetSet::of({-ENOTCONN, -EINVAL});
  if (d.sock == Sock::Refused) allowed.add_err(ECONNREFUSED).add(0);
  if (d.sock == Sock::Connecting || d.sock == Sock::Stalled) allowed.add_err(EAGAIN);
  // A reset closed it (tcp_done sets SOCK_DONE): the pending error, then 0.
  if (possible(d.reset) || possible(d.err_level)) allowed.add_err(ECONNRESET).add_err(ECONNREFUSED).add(0);
  // tcp_recvmsg tests RCV_SHUTDOWN (0) before TCP_CLOSE (ENOTCONN): a closed socket shut
  // down for reading reads 0.
  if (d.is_tcp() && possible(d.rcv_shut)) allowed.add(0);
  return allowed;
}

void Oracle::Impl::unconnected_read_seen(Desc& d, int64_t ret) {
  if (ret == -ECONNREFUSED || ret == -ECONNRESET) {
    // The failure arrived and reading it cleared the error.
    d.err_level = Level::No;
    if (possible(d.reset)) d.reset = Level::Yes;
  }
}

// The bytes a read(2) (or a drain's reads) returned from channel ch: what may be read
// next, in the order the writes allow (stream_bytes.hpp).
Check Oracle::Impl::check_data(size_t i, model::ChanId ch, const Observation& obs) {
  if (obs.ret <= 0) return std::nullopt;
  fds.exercise(RuleId::DataOrder);
  if (obs.data.size() != static_cast<size_t>(obs.ret))
    return violation(i, RuleId::DataOrder, std::to_string(obs.ret) + " bytes of data",
                     std::to_string(obs.data.size()) + " bytes");
  auto& c = fds.chan(ch);
  const std::optional<uint64_t> plain = c.bytes.next_offset();
  auto m = c.bytes.take(obs.data);
  return bytes_checked(i, ch, m, plain, "");
}

// A StreamBytes check's outcome as a verdict, and the span of a channel whose readers
// compete (checked within bounds until it is empty again).
Check Oracle::Impl::bytes_checked(size_t i, model::ChanId ch, const std::optional<model::StreamBytes::Mismatch>& m,
                                  std::optional<uint64_t> plain, const std::string& who) {
  auto& c = fds.chan(ch);
  const uint32_t key = kChannelSpan | ch;
  Violation v{RuleId::DataOrder, i, m ? m->expected : std::string("the stream's bytes in order"),
              m ? "a wrong byte at index " + std::to_string(m->at) + " of the read" : std::string("bytes checked only within bounds"),
              who};
  if (m && plain) {
    v.allowed.what = Judged::Data;
    v.allowed.ref = c.bytes.stream();
    v.allowed.offset = *plain;
  }
  if (c.bytes.bounded()) {
    ledger.open_span(key, c.reader != kNone ? fds.desc(c.reader).origin : 0, TolId::StreamReadersCompete);
    if (!m && !ledger.use(TolId::StreamReadersCompete, "bytes checked only within bounds")) {
      v.needs = {TolId::StreamReadersCompete};
      return v;
    }
  } else {
    ledger.close_span(key);
  }
  if (m) return v;
  return std::nullopt;
}

// The counts a read of n may return from a channel with q bytes queued (k of them known to
// have arrived, q_most if io_uring writes in flight land) while io_uring reads in flight
// may take up to `taken` bytes first.
RetSet Oracle::Impl::stream_read_counts(const Desc& d, const model::Channel& c, uint64_t n) const {
  const uint64_t taken = c.uring_read_n, q_most = c.queued_at_most();
  const uint64_t k = c.known_arrived() > taken ? c.known_arrived() - taken : 0;
  RetSet allowed;
  if (q_most > 0) {
    allowed.add(static_cast<int64_t>(std::max<uint64_t>(1, std::min(n, k))), static_cast<int64_t>(std::min(n, q_most)));
    if (k == 0 && d.nonblock) allowed.add_err(EAGAIN);
    if (k == 0 && may_end_before_in_flight(d, c)) allowed.add(0);
  }
  return allowed;
}

Check Oracle::Impl::write(size_t i, const Step& s, const Observation& obs) {
  DescId id = id_of(s.ins[0]);
  Desc& d = fds.desc(id);
  const uint64_t n = static_cast<uint64_t>(s.param(0));
  RuleId rule;
  RetSet allowed = write_expect(d, n, rule);
  // An io_uring read in flight on the channel may make room at any moment.
  if (d.tx != kNone && fds.chan(d.tx).uring_readers > 0) allowed.add(write_expect(d, n, rule, true));
  if (Check e = expect_on(i, id, rule, allowed, obs.ret, RetSet::range(-4095, static_cast<int64_t>(n)))) return e;
  if (d.kind == ResKind::File && obs.ret > 0) file_write(id, static_cast<uint64_t>(obs.ret));
  if (obs.ret > 0 && d.peer != kNone && fds.desc(d.peer).release_soon) {
    // The peer is being closed by a `later` step: if these bytes arrive before the close
    // they are unread there, and the close resets the connection; if after, they find
    // nothing to take them. Either way an error may come back.
    d.reset = strongest(d.reset, Level::Maybe);
    d.err = d.is_tcp() ? ECONNRESET : d.err ? d.err : ECONNRESET;
    d.err_level = strongest(d.err_level, Level::Maybe);
  }
  if (obs.ret > 0) {
    if (d.kind == ResKind::PipeWrite) {
      auto& c = fds.chan(d.tx);
      if (fds.pipe_layout_known(d.tx)) fds.pipe_fit(d.tx, n, true);
      if (fds.now() == Level::Soon) c.later_writes++;
    }
    fds.wrote(id, d.kind == ResKind::EventFd ? n : static_cast<uint64_t>(obs.ret), false);
    if (d.tx != kNone && static_cast<uint64_t>(obs.ret) < n) fds.chan(d.tx).full = true;
  } else if (obs.ret == -EAGAIN && d.tx != kNone) {
    fds.chan(d.tx).full = true;
    pipe_write_attempted(d);
  } else if (d.kind == ResKind::UnixDgram && obs.ret == -ECONNREFUSED) {
    // unix_dgram_sendmsg found the peer dead: it disconnects the socket and purges its
    // receive queue (unix_dgram_disconnected).
    fds.dgram_disconnect(id);
  } else if (obs.ret == -ECONNRESET || obs.ret == -ECONNREFUSED) {
    d.err_level = Level::No;
    d.reset = Level::Yes;
  } else if (obs.ret == -EPIPE) {
    tcp_epipe_seen(d);
  }
  if (obs.ret < 0) unix_send_failed(id, obs.ret);
  if (d.is_tcp() && tcp_peer_discards(d) && obs.ret > 0) tcp_sent_to_discarding_peer(d);
  return std::nullopt;
}

void Oracle::Impl::tcp_sent_to_discarding_peer(Desc& d) {
  // The peer aborts on data it cannot take (RFC 1122): it resets, and the RST it answers
  // with comes back some time later.
  if (d.peer != kNone && !possible(d.peer_gone)) {
    Desc& p = fds.desc(d.peer);
    p.reset = strongest(p.reset, fds.de_facto_soon());
    p.err = ECONNRESET;
    p.err_level = strongest(p.err_level, fds.de_facto_soon());
    fds.wakes().push_back({d.peer, 0, fds.de_facto_soon(), RuleId::StreamReset});
  }
  d.reset = strongest(d.reset, fds.de_facto_soon());
  // tcp_reset in CLOSE_WAIT (the peer's FIN came first) sets EPIPE, not ECONNRESET.
  d.err = possible(d.rcv_shut) ? model::kErrResetOrPipe : ECONNRESET;
  d.err_level = strongest(d.err_level, fds.de_facto_soon());
}

// eventfd(2): "If the eventfd counter has a nonzero value, then a read(2) returns 8 bytes
// containing that value, and the counter's value is reset to zero" (with
// EFD_SEMAPHORE: 1, and the counter is decremented by 1); "If the counter is zero ...
// the read(2) ... fails with the error EAGAIN" when nonblocking.
Check Oracle::Impl::read_eventfd(size_t i, Desc& d, const Observation& obs, uint64_t n) {
  if (n < 8) return expect(i, RuleId::EventfdRead, RetSet::err(EINVAL), obs.ret);
  const model::EventfdBounds b = fds.eventfd_bounds(d.id);
  RetSet allowed;
  if (b.lo > 0) allowed.add(8);
  else if (b.hi > 0) allowed.add(8).add(d.nonblock ? -EAGAIN : 8);
  else allowed.add(d.nonblock ? -EAGAIN : 8);
  if (Check e = expect(i, RuleId::EventfdRead, allowed, obs.ret)) return e;
  if (obs.ret != 8) return std::nullopt;
  const RetSet want = d.semaphore ? RetSet::of({1})
                                  : RetSet::range(static_cast<int64_t>(std::max<uint64_t>(b.lo, 1)), static_cast<int64_t>(b.hi));
  if (Check e = expect(i, RuleId::EventfdRead, want, obs.value, "the counter (" + b.text() + ")", Judged::Value)) return e;
  fds.eventfd_read(d.id, static_cast<uint64_t>(obs.value));
  fds.wakes().push_back({d.id, ev::Out, Level::Yes, RuleId::EtEdge});
  return std::nullopt;
}

Check Oracle::Impl::read(size_t i, const Step& s, const Observation& obs) {
  DescId id = id_of(s.ins[0]);
  Desc& d = fds.desc(id);
  const uint64_t n = static_cast<uint64_t>(s.param(0));
  if (d.kind == ResKind::EventFd) return read_eventfd(i, d, obs, n);
  if (d.kind == ResKind::File) return file_read(i, d, obs, n);
  // Streams, datagrams, pipes.
  if (d.kind == ResKind::UnixDgram && d.rx == kNone) {
    // An unconnected datagram socket: nothing can arrive (it has no address to send to).
    // __skb_recv_datagram: a nonblocking read says EAGAIN even after SHUT_RD (measured);
    // a blocking one returns 0 then.
    RetSet allowed = d.nonblock ? RetSet::err(EAGAIN) : RetSet();
    if (!d.nonblock && possible(d.rcv_shut)) allowed.add(0);
    return expect_on(i, id, RuleId::ReadCount, allowed, obs.ret, RetSet::range(-4095, 0));
  }
  if (d.rx == kNone || (d.kind != ResKind::PipeRead && d.sock != Sock::Established)) {
    if (Check e = expect_on(i, id, RuleId::ReadCount, unconnected_read(d), obs.ret, RetSet::range(-4095, 0))) return e;
    unconnected_read_seen(d, obs.ret);
    return std::nullopt;
  }
  auto& c = fds.chan(d.rx);
  const uint64_t q = c.queued(), k = c.known_arrived();
  const bool racing = c.uring_readers > 0 || c.maybe_sent > 0;  // io_uring requests in flight on it
  RetSet allowed;
  RuleId rule = RuleId::ReadCount;
  if (c.dgram) {
    rule = RuleId::DgramBoundary;
    if (!c.msgs.empty()) allowed.add(static_cast<int64_t>(std::min<uint64_t>(n, c.msgs.front())));
    // Nothing queued, or the first message still on its way: EAGAIN (or wait for it).
    if ((c.msgs.empty() || k < c.msgs.front()) && d.nonblock) allowed.add_err(EAGAIN);
    // After SHUT_RD an empty queue reads 0, but only for a blocking read (measured).
    if (!d.nonblock && possible(d.rcv_shut)) allowed.add(0);
    // A datagram an io_uring send in flight puts may come first; one an io_uring recv in
    // flight takes may be gone.
    if (racing) allowed.add(0, static_cast<int64_t>(n)).add_err(EAGAIN);
  } else if (q > 0 || racing) {
    allowed = stream_read_counts(d, c, n);
  }
  if (!c.dgram && (q == 0 || c.uring_read_n >= k)) {
    Level eof = strongest(c.eof, d.rcv_shut);
    if (d.kind == ResKind::PipeRead) eof = c.eof;
    if (d.err_level == Level::Yes && d.err != 0) {
      // The pending error is reported once the queue is empty (sock_error), except that
      // TCP answers 0 first if a FIN had arrived (SOCK_DONE is tested before sk_err).
      allowed.add(pending_errors(d));
      rule = RuleId::StreamReset;
      if (d.is_tcp() && possible(d.rcv_shut)) allowed.add(0);
    } else {
      if (eof != Level::No) allowed.add(0);
      if (eof != Level::Yes && q == 0) allowed.add(d.nonblock ? -EAGAIN : 0);
      if (eof == Level::Yes && q == 0) rule = RuleId::ReadEof;
    }
  }
  if (optional(d.reset) || optional(d.err_level)) {
    // A reset that may or may not have arrived yet.
    allowed.add_err(ECONNRESET).add(0);
    allowed.add(pending_errors(d));
  }
  if (d.reset == Level::Yes && q == 0) allowed.add(0);  // reset and its error read: closed, end of stream
  if (Check e = expect_on(i, id, rule, allowed, obs.ret, RetSet::range(-4095, static_cast<int64_t>(n)))) return e;
  if (Check e = check_data(i, d.rx, obs)) return e;
  if (c.dgram) {
    if (obs.ret >= 0 && (!c.msgs.empty() || racing)) {
      const uint64_t whole = c.bytes.last_message() ? c.bytes.last_message() : c.msgs.empty() ? 0 : c.msgs.front();
      fds.read_stream(id, whole);
    }
    return std::nullopt;
  }
  if (obs.ret > 0) fds.read_stream(id, static_cast<uint64_t>(obs.ret));
  if (obs.ret == -EAGAIN && !racing && !c.async) c.bytes.observed_empty();
  if (obs.ret == 0 && q == 0) {
    // End of stream seen: the FIN (or shutdown) is here, after all data.
    d.rcv_shut = Level::Yes;
    if (c.eof != Level::No) c.eof = Level::Yes;
  }
  if (obs.ret == -ECONNRESET || obs.ret == -ECONNREFUSED) {
    d.err_level = Level::No;
    d.reset = Level::Yes;
  }
  return std::nullopt;
}

// A drain of an eventfd: the sum of the values read, then EAGAIN.
Check Oracle::Impl::drain_eventfd(size_t i, Desc& d, const Observation& obs, uint64_t chunk) {
  if (chunk < 8) return expect(i, RuleId::EventfdRead, RetSet::err(EINVAL), obs.value, {}, Judged::Value);
  const model::EventfdBounds b = fds.eventfd_bounds(d.id);
  if (Check e = expect(i, RuleId::EventfdRead, RetSet::range(static_cast<int64_t>(b.lo), static_cast<int64_t>(b.hi)), obs.ret))
    return e;
  if (Check e = expect(i, RuleId::EventfdRead, RetSet::err(EAGAIN), obs.value, {}, Judged::Value)) return e;
  const uint64_t got = static_cast<uint64_t>(obs.ret);
  if (got) {
    fds.eventfd_read(d.id, got);
    fds.wakes().push_back({d.id, ev::Out, Level::Yes, RuleId::EtEdge});
  }
  fds.eventfd_read(d.id, 0);  // then nothing was left
  return std::nullopt;
}

Check Oracle::Impl::drain(size_t i, const Step& s, const Observation& obs) {
  DescId id = id_of(s.ins[0]);
  Desc& d = fds.desc(id);
  const uint64_t chunk = static_cast<uint64_t>(s.param(0));
  if (d.kind == ResKind::EventFd) return drain_eventfd(i, d, obs, chunk);
  if (d.rx == kNone || (d.kind != ResKind::PipeRead && d.sock != Sock::Established)) {
    if (Check e = expect_on(i, id, RuleId::ReadCount, RetSet::of({0}), obs.ret, RetSet::of({0}))) return e;
    // The first read's result is how the drain ended.
    RetSet end = unconnected_read(d);
    end.add_err(EAGAIN);
    if (Check e = expect_on(i, id, RuleId::ReadCount, end, obs.value, RetSet::range(-4095, 0), "how the drain ended",
                            Judged::Value))
      return e;
    unconnected_read_seen(d, obs.value);
    return std::nullopt;
  }
  auto& c = fds.chan(d.rx);
  const uint64_t q = c.queued(), k = c.known_arrived();
  const bool racing = c.uring_readers > 0 || c.maybe_sent > 0;
  RetSet total;
  // Datagrams: one message per read, each truncated to the chunk. Messages still on
  // their way (`later` writes) may or may not be in: any prefix that holds every message
  // known to have arrived.
  std::vector<uint64_t> prefix{0};
  size_t known_msgs = 0;
  if (c.dgram) {
    uint64_t bytes = 0;
    for (uint64_t m : c.msgs) {
      bytes += m;
      prefix.push_back(prefix.back() + std::min(m, chunk));
      if (bytes <= k) known_msgs = prefix.size() - 1;
    }
    for (size_t n = known_msgs; n < prefix.size(); ++n) total.add(static_cast<int64_t>(prefix[n]));
  } else {
    total.add(static_cast<int64_t>(k), static_cast<int64_t>(q));
  }
  bool resettable = possible(d.reset) || possible(d.err_level);
  if (resettable) total.add(0, static_cast<int64_t>(q));
  // io_uring reads in flight may take bytes first; io_uring writes in flight may add some.
  if (racing) total.add(0, static_cast<int64_t>(c.queued_at_most()));
  if (Check e = expect_on(i, id, c.dgram ? RuleId::DgramBoundary : RuleId::ReadCount, total, obs.ret,
                          RetSet::range(0, INT64_MAX)))
    return e;
  const uint64_t got = static_cast<uint64_t>(obs.ret);
  // How the drain ended.
  RetSet end;
  Level eof = d.kind == ResKind::PipeRead ? c.eof : strongest(c.eof, d.rcv_shut);
  if ((got == q || racing) && eof != Level::No && !c.dgram) end.add(0);
  if (may_end_before_in_flight(d, c)) end.add(0);
  if (!(got == q && eof == Level::Yes) || c.dgram || racing) end.add_err(EAGAIN);
  if (d.err_level == Level::Yes && d.err != 0 && got == q && !racing) end = pending_errors(d);
  if (resettable) end.add_err(ECONNRESET).add(0).add_err(ECONNREFUSED);
  if (!d.nonblock && d.kind == ResKind::PipeRead && eof != Level::Yes) end.add(0);  // blocking pipes: engine stops at 0
  if (Check e = expect_on(i, id, RuleId::ReadEof, end, obs.value, RetSet::range(-4095, 0), "how the drain ended",
                          Judged::Value))
    return e;
  if (c.dgram) {
    // The messages it took are those of the prefix it read; what follows them, if the
    // drain ended EAGAIN with nothing in flight, is nothing.
    size_t taken = known_msgs;
    while (taken < prefix.size() - 1 && prefix[taken] != got) ++taken;
    uint64_t whole = 0;
    for (size_t n = 0; n < taken; ++n) whole += c.msgs[n];
    if (whole) fds.read_stream(id, whole);
    if (obs.value == -EAGAIN && !racing && !c.async) c.bytes.observed_empty();
    return std::nullopt;
  }
  if (Check e = check_data(i, d.rx, obs)) return e;
  if (got) fds.read_stream(id, got);
  if (obs.value == -EAGAIN && !racing && !c.async) c.bytes.observed_empty();
  if (obs.value == 0) {
    d.rcv_shut = Level::Yes;
    if (c.eof != Level::No) c.eof = Level::Yes;
  }
  if (obs.value == -ECONNRESET || obs.value == -ECONNREFUSED) {
    d.err_level = Level::No;
    d.reset = Level::Yes;
  }
  return std::nullopt;
}

// The fill's writes stop at the first that does not take all of its chunk: what a single
// write would say once the buffer is full.
RetSet Oracle::Impl::fill_end(const Desc& d, uint64_t chunk, RuleId& rule) const {
  Desc nb = d;
  nb.nonblock = true;  // each write of a fill is nonblocking (MSG_DONTWAIT or O_NONBLOCK for the step)
  RetSet one = write_expect(nb, chunk, rule);
  RetSet end = RetSet::err(EAGAIN);
  int64_t only;
  if (one.single(only) && only < 0) {
    end = one;
  } else {
    for (auto [lo, hi] : one.ranges())  // errors a write may give in this state
      if (lo < 0) end.add(lo, std::min<int64_t>(hi, -1));
  }
  if (d.kind == ResKind::Tcp && (tcp_peer_discards(d) || possible(d.reset))) end.add_err(EPIPE).add_err(ECONNRESET);
  // An io_uring read in flight may make room meanwhile: the fill may then go on into an
  // error instead (a datagram socket whose receiver shut down reading: EPIPE).
  if (d.tx != kNone && fds.chan(d.tx).uring_readers > 0) {
    RetSet roomy = write_expect(nb, chunk, rule, true);
    for (auto [lo, hi] : roomy.ranges())
      if (lo < 0) end.add(lo, std::min<int64_t>(hi, -1));
  }
  return end;
}

// How much a fill certainly took: pipes exactly (their page layout), AF_UNIX streams at
// least the room that was certainly there. None when io_uring requests in flight on the
// channel may take or make room meanwhile.
Check Oracle::Impl::fill_count(size_t i, const Desc& d, const Observation& obs, uint64_t chunk) {
  const auto& c = fds.chan(d.tx);
  if (c.uring_readers > 0 || c.maybe_sent > 0) return std::nullopt;
  if (d.kind == ResKind::PipeWrite && obs.value == -EAGAIN && fds.pipe_layout_known(d.tx)) {
    // Pipes: the page layout says exactly how much the writes take. pipe(7) gives the
    // capacity as Linux's; POSIX fixes none, only PIPE_BUF atomicity: under `contract` a
    // fill may take another amount, and the layout is then unknown.
    const uint64_t total = fds.pipe_fill(d.tx, chunk, false);
    if (!linux_rules() && static_cast<uint64_t>(obs.ret) != total) {
      fds.chan(d.tx).layout_unknown = true;
      return std::nullopt;
    }
    return expect(i, RuleId::WriteCount, RetSet::of({static_cast<int64_t>(total)}), obs.ret,
                  "writes of " + std::to_string(chunk) + " bytes until the pipe's pages are used up");
  }
  if (obs.value == -EAGAIN) {
    // Whatever the buffer sizes, a buffer that certainly had room took at least that:
    // as many bytes, and (skbs being charged whole) as many writes, as are sure to fit.
    uint64_t sure = 0;
    if (d.kind == ResKind::UnixStream && c.queued() < model::kUnixSureRoom / 2 && c.msgs.size() < model::kUnixSureWrites)
      sure = std::min(model::kUnixSureRoom / 2 - c.queued(), chunk * (model::kUnixSureWrites - c.msgs.size()));
    if (static_cast<uint64_t>(obs.ret) < sure)
      return violation(i, RuleId::WriteCount, "at least " + std::to_string(sure) + " bytes", std::to_string(obs.ret));
  }
  return std::nullopt;
}

Check Oracle::Impl::fill(size_t i, const Step& s, const Observation& obs) {
  DescId id = id_of(s.ins[0]);
  Desc& d = fds.desc(id);
  if (d.kind == ResKind::EventFd) return violation(i, RuleId::Errno, "no fill on an eventfd", "fill");
  const uint64_t chunk = static_cast<uint64_t>(s.param(0));
  RuleId rule;
  RetSet end = fill_end(d, chunk, rule);
  if (Check e = expect_on(i, id, rule, end, obs.value, RetSet::range(-4095, 0), "how the fill ended", Judged::Value))
    return e;
  if (obs.ret < 0) return violation(i, RuleId::WriteCount, "a byte count", result_text(obs.ret));
  if (d.tx != kNone && !fds.desc_unjudged(id))
    if (Check e = fill_count(i, d, obs, chunk)) return e;
  if (d.kind == ResKind::PipeWrite && obs.value == -EAGAIN && fds.pipe_layout_known(d.tx)) fds.pipe_fill(d.tx, chunk, true);
  if (obs.ret > 0 && d.peer != kNone && fds.desc(d.peer).release_soon) {
    // As in write(): the peer's `later` close may find these bytes unread and reset.
    d.reset = strongest(d.reset, Level::Maybe);
    d.err = ECONNRESET;
    d.err_level = strongest(d.err_level, Level::Maybe);
  }
  if (d.is_tcp() && tcp_peer_discards(d) && obs.ret > 0) tcp_sent_to_discarding_peer(d);
  if (obs.ret > 0) {
    uint64_t left = static_cast<uint64_t>(obs.ret);
    // Datagrams keep their boundaries, and AF_UNIX streams charge each write's skbs
    // whole: one message per chunk.
    bool per_write = d.kind == ResKind::UnixDgram || d.kind == ResKind::UnixStream;
    while (left) {
      uint64_t n = per_write ? std::min(left, chunk) : left;
      fds.wrote(id, n, false);
      left -= n;
    }
  }
  if (d.tx != kNone && fds.chan(d.tx).uring_readers > 0 && fds.chan(d.tx).pipe) fds.chan(d.tx).layout_unknown = true;
  if (d.tx != kNone && obs.value == -EAGAIN) {
    fds.chan(d.tx).full = true;
    pipe_write_attempted(d);
  }
  if (obs.value < 0) unix_send_failed(id, obs.value);
  if (d.kind == ResKind::UnixDgram && obs.value == -ECONNREFUSED) {
    fds.dgram_disconnect(id);  // the peer was dead: see write()
  } else if (obs.value == -ECONNRESET || obs.value == -ECONNREFUSED) {
    // The pending error was reported (and cleared) by the failing write.
    d.err_level = Level::No;
    d.reset = Level::Yes;
  } else if (obs.value == -EPIPE) {
    tcp_epipe_seen(d);
  }
  return std::nullopt;
}

void Oracle::Impl::tcp_epipe_seen(Desc& d) {
  // sk_stream_error: EPIPE is the pending error itself when it is one (a reset in
  // CLOSE_WAIT), read and cleared; or there was none. Either way none may be left.
  if (!d.is_tcp() || !possible(d.err_level)) return;
  for (int e : model::error_values(d.err))
    if (e == EPIPE) d.err_level = Level::Maybe;
}

}  // namespace ringside
