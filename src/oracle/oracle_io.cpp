// Family 2: reading and writing streams, datagrams, pipes, eventfds and files.
#include <algorithm>

#include "oracle/oracle_impl.hpp"
#include "program/pattern.hpp"

namespace ringside {
namespace {
constexpr uint64_t kTcpSureRoom = 8 * 1024;
constexpr uint64_t kUnixSureRoom = 16 * 1024;
constexpr uint64_t kPipeSureRoom = 14 * 4096;
constexpr uint64_t kPipeBuf = 4096;           // PIPE_BUF: smaller writes are atomic
constexpr uint64_t kMaxDgram = 200 * 1024;    // well below sk_sndbuf - 32
}  // namespace

RetSet Oracle::Impl::write_expect(const Desc& d, uint64_t n, RuleId& rule) const {
  rule = RuleId::WriteCount;
  const int64_t all = static_cast<int64_t>(n);
  // Room that is certainly there, and what happens without it.
  auto by_room = [&](uint64_t queued, bool full, uint64_t sure, bool atomic) {
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
      if (d.peer_gone) {
        rule = RuleId::WriteEpipe;
        return RetSet::err(EPIPE);
      }
      const auto& c = fds.chan(d.tx);
      return by_room(c.queued(), c.full, kPipeSureRoom, n <= kPipeBuf);
    }
    case ResKind::UnixStream: {
      if (d.sock != Sock::Established) return RetSet::err(ENOTCONN);
      const Desc& p = fds.desc(d.peer);
      if (d.snd_shut == Level::Yes || d.peer_gone || p.rcv_shut == Level::Yes) {
        rule = RuleId::WriteEpipe;
        return RetSet::err(EPIPE);
      }
      const auto& c = fds.chan(d.tx);
      bool sure = c.msgs.size() < 16;
      return by_room(c.queued(), c.full, sure ? kUnixSureRoom : 0, false);
    }
    case ResKind::UnixDgram: {
      if (d.snd_shut == Level::Yes) {
        rule = RuleId::WriteEpipe;
        return RetSet::err(EPIPE);
      }
      if (d.peer_gone) return RetSet::err(ECONNREFUSED);
      if (n > kMaxDgram) return RetSet::of({-EMSGSIZE, all, -EAGAIN});
      const auto& c = fds.chan(d.tx);
      bool sure = c.msgs.size() < 8;
      return by_room(c.queued(), c.full, sure ? kUnixSureRoom : 0, true);
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
      RetSet r = by_room(c.queued(), c.full, kTcpSureRoom, false);
      if (d.peer_gone || possible(d.reset) || possible(d.err_level)) {
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

Check Oracle::Impl::check_data(size_t i, const Desc& d, const Observation& obs, uint64_t offset) {
  if (obs.ret <= 0 || d.chaos) return std::nullopt;
  fds.exercise(RuleId::DataOrder);
  if (obs.data.size() != static_cast<size_t>(obs.ret))
    return violation(i, RuleId::DataOrder, std::to_string(obs.ret) + " bytes of data",
                     std::to_string(obs.data.size()) + " bytes");
  uint32_t stream = d.kind == ResKind::File ? d.origin : fds.chan(d.rx).stream;
  size_t bad = first_mismatch(stream, offset, obs.data);
  if (bad == std::string_view::npos) return std::nullopt;
  return violation(i, RuleId::DataOrder, "the stream's bytes from offset " + std::to_string(offset),
                   "a wrong byte at offset " + std::to_string(offset + bad));
}

Check Oracle::Impl::write(size_t i, const Step& s, const Observation& obs) {
  DescId id = id_of(s.ins[0]);
  Desc& d = fds.desc(id);
  if (d.chaos) return std::nullopt;
  uint64_t n = static_cast<uint64_t>(s.param(0));
  RuleId rule;
  RetSet allowed = write_expect(d, n, rule);
  if (Check e = expect(i, rule, allowed, obs.ret)) return e;
  uring_busy(d, false);
  if (d.kind == ResKind::File && obs.ret > 0) file_write(id, static_cast<uint64_t>(obs.ret));
  if (obs.ret > 0) {
    fds.wrote(id, d.kind == ResKind::EventFd ? n : static_cast<uint64_t>(obs.ret), false);
    if (d.tx != kNone && static_cast<uint64_t>(obs.ret) < n) fds.chan(d.tx).full = true;
  } else if (obs.ret == -EAGAIN && d.tx != kNone) {
    fds.chan(d.tx).full = true;
  } else if (obs.ret == -ECONNRESET || obs.ret == -ECONNREFUSED) {
    d.err_level = Level::No;
    d.reset = Level::Yes;
  }
  if (d.is_tcp() && d.peer_gone && obs.ret > 0) {
    // Data to a closed socket is answered by RST.
    d.reset = strongest(d.reset, Level::Soon);
    d.err = ECONNRESET;
    d.err_level = strongest(d.err_level, Level::Soon);
  }
  return std::nullopt;
}

Check Oracle::Impl::read(size_t i, const Step& s, const Observation& obs) {
  DescId id = id_of(s.ins[0]);
  Desc& d = fds.desc(id);
  if (d.chaos) return std::nullopt;
  const uint64_t n = static_cast<uint64_t>(s.param(0));
  switch (d.kind) {
    case ResKind::EventFd: {
      if (n < 8) return expect(i, RuleId::EventfdRead, RetSet::err(EINVAL), obs.ret);
      RetSet allowed;
      if (d.count > 0) allowed.add(8);
      else if (d.count_soon > 0) allowed.add(8).add(d.nonblock ? -EAGAIN : 8);
      else allowed.add(d.nonblock ? -EAGAIN : 8);
      if (Check e = expect(i, RuleId::EventfdRead, allowed, obs.ret)) return e;
      if (obs.ret != 8) return std::nullopt;
      uint64_t total = d.count + d.count_soon;
      uint64_t v = static_cast<uint64_t>(obs.value);
      bool ok = d.semaphore ? v == 1 : (v >= std::max<uint64_t>(d.count, 1) && v <= total);
      if (!ok)
        return violation(i, RuleId::EventfdRead, d.semaphore ? "1" : "the counter (" + std::to_string(d.count) + ")",
                         std::to_string(v));
      uint64_t take = d.semaphore ? 1 : v;
      uint64_t from_count = std::min(take, d.count);
      d.count -= from_count;
      d.count_soon -= std::min(d.count_soon, take - from_count);
      if (!d.semaphore) d.count = 0;
      fds.wakes().push_back({id, ev::Out, Level::Yes, RuleId::EtEdge});
      return std::nullopt;
    }
    case ResKind::File:
      return file_read(i, d, obs, n);
    default:
      break;
  }
  if (uring_busy(d, true)) return std::nullopt;
  // Streams, datagrams, pipes.
  if (d.rx == kNone || (d.kind != ResKind::PipeRead && d.sock != Sock::Established)) {
    RetSet allowed = RetSet::of({-ENOTCONN, -EINVAL});
    if (d.sock == Sock::Refused) allowed.add_err(ECONNREFUSED).add(0);
    if (d.sock == Sock::Connecting || d.sock == Sock::Stalled) allowed.add_err(EAGAIN);
    if (Check e = expect(i, RuleId::ReadCount, allowed, obs.ret)) return e;
    if (obs.ret == -ECONNREFUSED) d.err_level = Level::No;
    return std::nullopt;
  }
  auto& c = fds.chan(d.rx);
  const uint64_t q = c.queued(), k = c.known_arrived();
  RetSet allowed;
  RuleId rule = RuleId::ReadCount;
  if (c.dgram) {
    rule = RuleId::DgramBoundary;
    if (!c.msgs.empty()) allowed.add(static_cast<int64_t>(std::min<uint64_t>(n, c.msgs.front())));
    else allowed.add(d.nonblock ? -EAGAIN : 0);
    if (possible(d.rcv_shut)) allowed.add(0);
  } else if (q > 0) {
    int64_t lo = static_cast<int64_t>(std::max<uint64_t>(1, std::min(n, k)));
    allowed.add(lo, static_cast<int64_t>(std::min(n, q)));
    if (k == 0 && d.nonblock) allowed.add_err(EAGAIN);
  } else {
    Level eof = strongest(c.eof, d.rcv_shut);
    if (d.kind == ResKind::PipeRead) eof = c.eof;
    if (d.err_level == Level::Yes && d.err > 0) {
      // The pending error is reported once the queue is empty (sock_error), except that
      // TCP answers 0 first if a FIN had arrived (SOCK_DONE is tested before sk_err).
      allowed.add_err(d.err);
      rule = RuleId::StreamReset;
      if (d.is_tcp() && possible(d.rcv_shut)) allowed.add(0);
    } else {
      if (eof != Level::No) allowed.add(0);
      if (eof != Level::Yes) allowed.add(d.nonblock ? -EAGAIN : 0);
      if (eof == Level::Yes) rule = RuleId::ReadEof;
    }
  }
  if (optional(d.reset) || optional(d.err_level)) {
    // A reset that may or may not have arrived yet.
    allowed.add_err(ECONNRESET).add(0);
    if (d.err == -1) allowed.add_err(ECONNREFUSED);
  }
  if (Check e = expect(i, rule, allowed, obs.ret)) return e;
  if (c.dgram) {
    if (obs.ret >= 0 && !c.msgs.empty()) {
      uint64_t whole = c.msgs.front();
      if (Check e = check_data(i, d, obs, c.consumed)) return e;
      fds.read_stream(id, whole);
    }
    return std::nullopt;
  }
  if (Check e = check_data(i, d, obs, c.consumed)) return e;
  if (obs.ret > 0) fds.read_stream(id, static_cast<uint64_t>(obs.ret));
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

Check Oracle::Impl::drain(size_t i, const Step& s, const Observation& obs) {
  DescId id = id_of(s.ins[0]);
  Desc& d = fds.desc(id);
  if (d.chaos) return std::nullopt;
  const uint64_t chunk = static_cast<uint64_t>(s.param(0));
  if (uring_busy(d, true)) return std::nullopt;
  if (d.kind == ResKind::EventFd) {
    // obs.ret: sum of the values read; obs.value: the final result.
    uint64_t lo = d.count, hi = d.count + d.count_soon;
    if (chunk < 8) return expect(i, RuleId::EventfdRead, RetSet::err(EINVAL), obs.value);
    if (Check e = expect(i, RuleId::EventfdRead, RetSet::range(static_cast<int64_t>(lo), static_cast<int64_t>(hi)), obs.ret))
      return e;
    if (Check e = expect(i, RuleId::EventfdRead, RetSet::err(EAGAIN), obs.value)) return e;
    uint64_t got = static_cast<uint64_t>(obs.ret);
    d.count_soon -= std::min(d.count_soon, got > d.count ? got - d.count : 0);
    d.count = 0;
    if (got) fds.wakes().push_back({id, ev::Out, Level::Yes, RuleId::EtEdge});
    return std::nullopt;
  }
  if (d.rx == kNone || (d.kind != ResKind::PipeRead && d.sock != Sock::Established)) {
    if (Check e = expect(i, RuleId::ReadCount, RetSet::of({0}), obs.ret)) return e;
    return std::nullopt;
  }
  auto& c = fds.chan(d.rx);
  const uint64_t q = c.queued(), k = c.known_arrived();
  RetSet total;
  if (c.dgram) {
    // One message per read, each truncated to the chunk.
    uint64_t sum = 0;
    for (uint64_t m : c.msgs) sum += std::min(m, chunk);
    total.add(static_cast<int64_t>(sum));
  } else {
    total.add(static_cast<int64_t>(k), static_cast<int64_t>(q));
  }
  bool resettable = possible(d.reset) || possible(d.err_level);
  if (resettable) total.add(0, static_cast<int64_t>(q));
  if (Check e = expect(i, c.dgram ? RuleId::DgramBoundary : RuleId::ReadCount, total, obs.ret)) return e;
  uint64_t got = static_cast<uint64_t>(obs.ret);
  // How the drain ended.
  RetSet end;
  Level eof = d.kind == ResKind::PipeRead ? c.eof : strongest(c.eof, d.rcv_shut);
  if (got == q && eof != Level::No && !c.dgram) end.add(0);
  if (!(got == q && eof == Level::Yes) || c.dgram) end.add_err(EAGAIN);
  if (c.dgram && possible(d.rcv_shut)) end.add(0);
  if (d.err_level == Level::Yes && d.err > 0 && got == q) end = RetSet::err(d.err);
  if (resettable) end.add_err(ECONNRESET).add(0).add_err(ECONNREFUSED);
  if (!d.nonblock && d.kind == ResKind::PipeRead && eof != Level::Yes) end.add(0);  // blocking pipes: engine stops at 0
  if (Check e = expect(i, RuleId::ReadEof, end, obs.value, "how the drain ended")) return e;
  if (c.dgram) {
    if (Check e = check_data(i, d, Observation{}, 0)) return e;
    uint64_t whole = 0;
    for (uint64_t m : c.msgs) whole += m;
    fds.read_stream(id, whole);
    return std::nullopt;
  }
  Observation data_obs;
  data_obs.ret = obs.ret;
  data_obs.data = obs.data;
  if (Check e = check_data(i, d, data_obs, c.consumed)) return e;
  if (got) fds.read_stream(id, got);
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

Check Oracle::Impl::fill(size_t i, const Step& s, const Observation& obs) {
  DescId id = id_of(s.ins[0]);
  Desc& d = fds.desc(id);
  if (d.chaos) return std::nullopt;
  if (d.kind == ResKind::EventFd) return violation(i, RuleId::Errno, "no fill on an eventfd", "fill");
  uring_busy(d, false);
  RuleId rule;
  RetSet one = write_expect(d, static_cast<uint64_t>(s.param(0)), rule);
  // The final result is what a single write would have said once the buffer is full.
  RetSet end = RetSet::err(EAGAIN);
  int64_t only;
  if (one.single(only) && only < 0) end = one;
  if (d.kind == ResKind::Tcp && (d.peer_gone || possible(d.reset))) end.add_err(EPIPE).add_err(ECONNRESET);
  if (Check e = expect(i, rule, end, obs.value, "how the fill ended")) return e;
  if (obs.ret < 0) return violation(i, RuleId::WriteCount, "a byte count", result_text(obs.ret));
  if (end.contains(-EAGAIN) && obs.value == -EAGAIN && d.tx != kNone) {
    const auto& c = fds.chan(d.tx);
    // Whatever the buffer sizes, a buffer that certainly had room took at least that.
    uint64_t sure = d.kind == ResKind::PipeWrite ? kPipeSureRoom : d.kind == ResKind::UnixStream ? kUnixSureRoom / 2 : 0;
    if (c.queued() < sure && static_cast<uint64_t>(obs.ret) < sure - c.queued())
      return violation(i, RuleId::WriteCount, "at least " + std::to_string(sure - c.queued()) + " bytes",
                       std::to_string(obs.ret));
  }
  if (obs.ret > 0) {
    uint64_t left = static_cast<uint64_t>(obs.ret), chunk = static_cast<uint64_t>(s.param(0));
    bool dgram = d.tx != kNone && fds.chan(d.tx).dgram;
    while (left) {  // datagrams keep their boundaries: one message per chunk
      uint64_t n = dgram ? std::min(left, chunk) : left;
      fds.wrote(id, n, false);
      left -= n;
    }
  }
  if (d.tx != kNone && obs.value == -EAGAIN) fds.chan(d.tx).full = true;
  return std::nullopt;
}

}  // namespace ringside
