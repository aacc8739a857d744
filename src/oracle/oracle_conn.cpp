// Family 1 (and resource life cycle): creation, connect, accept, SO_ERROR, shutdown, close.
#include <algorithm>
#include <limits>

#include "oracle/oracle_impl.hpp"

namespace ringside {

Check Oracle::Impl::create(size_t i, const Step& s, const Observation& obs) {
  if (obs.ret < 0) return violation(i, RuleId::Errno, "a new descriptor", result_text(obs.ret));
  if (obs.fds.size() != s.outs.size())
    return violation(i, RuleId::Errno, std::to_string(s.outs.size()) + " descriptor(s)", std::to_string(obs.fds.size()));
  const OpSpec& spec = s.spec();
  auto nonblock = [&]() -> bool {
    for (size_t k = 0; k < spec.params.size(); ++k)
      if (spec.params[k].name == "nonblock") return s.param(k) != 0;
    return false;
  };
  auto make = [&](size_t k) {
    ResId r = s.outs[k];
    DescId d = fds.create(prog.res(r).kind, r, nonblock());
    fds.bind(r, d, obs.fds[k]);
    return d;
  };
  switch (s.op) {
    case Op::Dup:
      fds.bind(s.outs[0], id_of(s.ins[0]), obs.fds[0]);
      break;
    case Op::Socket: {
      DescId d = make(0);
      fds.desc(d).family = static_cast<uint8_t>(s.param(0) <= 1 ? s.param(0) : 2);
      break;
    }
    case Op::Listen: {
      DescId d = make(0);
      fds.desc(d).family = static_cast<uint8_t>(s.param(0));
      fds.desc(d).capacity = static_cast<int>(s.param(1)) + 1;  // acceptq_is_full: backlog < queued
      break;
    }
    case Op::ClosedPort: {
      DescId d = make(0);
      fds.desc(d).family = static_cast<uint8_t>(s.param(0));
      break;
    }
    case Op::SocketPair: {
      DescId a = make(0), b = make(1);
      fds.connect_pair(a, b, false, s.param(0) == 3);
      break;
    }
    case Op::Pipe: {
      DescId r = make(0), w = make(1);
      auto c = fds.new_channel(w, r, false, false);
      fds.chan(c).pipe = true;
      fds.desc(r).rx = c;
      fds.desc(w).tx = c;
      fds.desc(r).peer = w;
      fds.desc(w).peer = r;
      break;
    }
    case Op::EventFdNew: {
      DescId d = make(0);
      fds.desc(d).count = static_cast<uint64_t>(s.param(0));
      fds.desc(d).semaphore = s.param(1) != 0;
      break;
    }
    case Op::FileNew: {
      DescId d = make(0);
      fds.desc(d).size = static_cast<uint64_t>(s.param(0));
      break;
    }
    default:
      make(0);
      break;
  }
  return std::nullopt;
}

namespace {
// The error a connect call just reported: Linux's sock_error() takes it, so SO_ERROR then
// reads 0. connect(2) and socket(7) say nothing of connect clearing SO_ERROR: under
// `contract` the error may still be pending (gVisor keeps it).
Level error_left_after_connect_reported(Profile p) { return checks_linux_rules(p) ? Level::No : Level::Maybe; }
}  // namespace

Check Oracle::Impl::connect(size_t i, const Step& s, const Observation& obs) {
  DescId cid = id_of(s.ins[0]), lid = id_of(s.ins[1]);
  Desc& c = fds.desc(cid);
  Desc& l = fds.desc(lid);
  if (fds.desc_unjudged(cid) || fds.desc_unjudged(lid)) {
    // A client the model follows only within bounds leaves the listener's queue known only
    // within bounds, and a client connecting to such a listener is followed so too.
    const DescId bounded = fds.desc_unjudged(cid) ? cid : lid;
    const TolId why = *ledger.span_tol(bounded);
    if (Check e = expect_on(i, bounded, RuleId::ConnectNonblock, RetSet(), obs.ret, RetSet::range(-4095, 0))) return e;
    if (l.sock == Sock::Listening) fds.unfollow(lid, why);
    fds.unfollow(cid, why);
    return std::nullopt;
  }
  if (c.kind == ResKind::UnixStream) {
    bool room = static_cast<int>(l.queue.size()) < l.capacity;
    // unix_stream_connect: a full backlog is EAGAIN for a nonblocking socket (a blocking
    // one waits), and that comes before the check of our own state (EISCONN).
    if (room && c.sock == Sock::Established) return expect(i, RuleId::ConnectIsConn, RetSet::err(EISCONN), obs.ret);
    RetSet allowed = room ? RetSet::of({0}) : RetSet::err(EAGAIN);
    if (Check e = expect(i, room ? RuleId::Errno : RuleId::UnixConnectAgain, allowed, obs.ret)) return e;
    if (obs.ret == 0) {
      DescId child = fds.create(ResKind::UnixStream, 0, false);
      fds.connect_pair(cid, child, false, false);
      l.queue.push_back(cid);
      l.known_queued++;
      c.listener = lid;
      fds.wakes().push_back({lid, ev::SocketData, Level::Yes, RuleId::ListenerReadable});
    }
    return std::nullopt;
  }

  // TCP. A closed socket already shut down (inet_shutdown set its bits) that connects
  // keeps them: which of its later calls find them is followed only within bounds.
  if (c.is_tcp() && c.sock == Sock::Fresh && (possible(c.rcv_shut) || possible(c.snd_shut))) {
    Check e = tcp_connect(i, cid, lid, obs);
    fds.unfollow(cid, TolId::TcpShutdownUnconnected);
    return e;
  }
  return tcp_connect(i, cid, lid, obs);
}

Check Oracle::Impl::tcp_connect(size_t i, DescId cid, DescId lid, const Observation& obs) {
  Desc& c = fds.desc(cid);
  Desc& l = fds.desc(lid);
  const int64_t inprogress = -EINPROGRESS;
  switch (c.sock) {
    case Sock::Fresh: {
      if (c.family != l.family) {
        // tcp_v6_connect: a sockaddr_in is too short (EINVAL); tcp_v4_connect: not AF_INET.
        // POSIX connect() has both for this: EAFNOSUPPORT "not a valid address for the
        // address family of the specified socket", EINVAL "address_len ... not a valid
        // length for the address family": in no order, so `contract` takes either.
        RetSet allowed = RetSet::err(c.family == 1 ? EINVAL : EAFNOSUPPORT);
        if (!linux_rules()) allowed.add_err(EINVAL).add_err(EAFNOSUPPORT);
        return expect(i, RuleId::Errno, allowed, obs.ret, "address family of the target differs from the socket's");
      }
      if (l.sock == Sock::Port) {
        // Nothing listens: the SYN is answered by RST, possibly before connect returns.
        RetSet allowed = c.nonblock ? RetSet::of({inprogress, -ECONNREFUSED}) : RetSet::err(ECONNREFUSED);
        // POSIX connect(): "If connect() fails, the state of the socket is unspecified":
        // connecting again after a failure may answer any error under `contract`.
        if (!linux_rules() && c.err != 0) allowed.add(-4095, -1);
        if (Check e = expect(i, RuleId::ConnectRefused, allowed, obs.ret)) return e;
        c.sock = Sock::Refused;
        c.err = ECONNREFUSED;
        if (obs.ret == inprogress) {
          c.reset = c.err_level = Level::Soon;
          // (A read or write in flight may take the error first: uring_before_absorb.)
          fds.wakes().push_back({cid, 0, Level::Soon, RuleId::ConnectWritable});
        } else {
          // __inet_stream_connect reported it: the socket is disconnected, as new. Its
          // state went SYN_SENT -> CLOSE meanwhile, and each change woke its waiters.
          c.sock = Sock::Fresh;
          c.reset = Level::No;
          c.err_level = error_left_after_connect_reported(profile);
          fds.wakes().push_back({cid, 0, Level::Yes, RuleId::ConnectWritable});
        }
        return std::nullopt;
      }
      int cap = l.capacity;
      bool stall = l.known_queued >= cap;
      bool sure = !stall && static_cast<int>(l.queue.size() + l.maybe_queue.size()) < cap;
      RetSet allowed = stall ? RetSet::of({inprogress}) : c.nonblock ? RetSet::of({0, inprogress}) : RetSet::of({0});
      if (Check e = expect(i, RuleId::ConnectNonblock, allowed, obs.ret,
                           stall ? "the accept queue is full: the SYN is dropped" : ""))
        return e;
      c.listener = lid;
      DescId child = fds.create(ResKind::Tcp, 0, false);
      fds.desc(child).family = l.family;
      fds.connect_pair(cid, child, true, false);
      fds.desc(child).sock = Sock::Established;
      if (stall) {
        c.sock = Sock::Stalled;
        c.connected = Level::No;
        l.stalled.push_back(cid);
        return std::nullopt;
      }
      if (obs.ret == 0) {
        c.sock = Sock::Established;
        c.connected = Level::Yes;
        c.connect_returned = true;
        fds.wakes().push_back({cid, 0, Level::Yes, RuleId::ConnectWritable});  // tcp_finish_connect
      } else {
        c.sock = Sock::Connecting;
        c.connected = sure ? Level::Soon : Level::Maybe;
        fds.wakes().push_back({cid, 0, c.connected, RuleId::ConnectWritable});
      }
      (sure ? l.queue : l.maybe_queue).push_back(cid);
      fds.wakes().push_back({lid, ev::SocketData, sure ? Level::Soon : Level::Maybe, RuleId::ListenerReadable});
      return std::nullopt;
    }
    case Sock::Connecting:
    case Sock::Stalled: {
      RetSet allowed = RetSet::err(EALREADY);
      if (c.sock == Sock::Connecting && possible(c.connected)) allowed.add(0);
      // Reset meanwhile: its error, or ECONNABORTED once the error was read.
      if (possible(c.reset)) allowed.add_err(ECONNRESET).add_err(ECONNREFUSED).add_err(ECONNABORTED);
      if (Check e = expect(i, RuleId::ConnectAlready, allowed, obs.ret)) return e;
      if (obs.ret == 0) {
        c.sock = Sock::Established;
        c.connected = Level::Yes;
        c.connect_returned = true;
      } else if (obs.ret != -EALREADY) {
        // Reset meanwhile: the socket is unconnected again, its peer gone.
        fds.unfollow(cid, TolId::TcpConnectAfterReset);
      }
      return std::nullopt;
    }
    case Sock::Established: {
      // __inet_stream_connect: the first call after the handshake finished moves the
      // socket to SS_CONNECTED and returns 0; later calls fail with EISCONN.
      RetSet allowed = RetSet::err(EISCONN);
      if (!c.connect_returned) {
        if (linux_rules()) allowed = RetSet::of({0});
        else allowed.add(0);
      }
      if (possible(c.reset) || possible(c.err_level)) allowed.add_err(ECONNRESET).add_err(EPIPE);
      // Still SS_CONNECTING and reset meanwhile: the socket is closed, so the call reports
      // its error (sock_error), or ECONNABORTED once something else read it.
      if (!c.connect_returned && possible(c.reset)) allowed.add_err(ECONNABORTED);
      // Once the connection may have ended (reset, or an error pending), the documents fix
      // no answer: connect(2) "connection-based protocol sockets may successfully connect()
      // only once", and POSIX leaves a socket's state unspecified after a failure. Under
      // `contract` any error goes (gVisor: EINVAL).
      if (!linux_rules() && (possible(c.reset) || possible(c.err_level))) allowed.add(-4095, -1);
      if (Check e = expect(i, RuleId::ConnectIsConn, allowed, obs.ret)) return e;
      c.connect_returned = true;
      // Any error reported that way (sock_error: ECONNRESET, EPIPE after a FIN; or
      // ECONNABORTED) leaves the socket SS_UNCONNECTED, free to connect again: not
      // followed further.
      if (obs.ret < 0 && obs.ret != -EISCONN) fds.unfollow(cid, TolId::TcpConnectAfterReset);
      return std::nullopt;
    }
    case Sock::Refused: {
      RetSet allowed;
      RuleId rule = RuleId::ConnectRefused;
      if (c.err_level == Level::Yes) {
        allowed = RetSet::err(ECONNREFUSED);
      } else if (c.err_level == Level::No) {
        rule = RuleId::ConnectAborted;
        allowed = RetSet::err(ECONNABORTED);
        if (!linux_rules()) allowed.add(-4095, -1);
      } else {
        allowed = RetSet::of({-EALREADY, -ECONNREFUSED});
        // Maybe: an io_uring request in flight may have read the error already.
        if (c.err_level == Level::Maybe) allowed.add_err(ECONNABORTED);
      }
      if (Check e = expect(i, rule, allowed, obs.ret)) return e;
      if (obs.ret == -ECONNREFUSED || obs.ret == -ECONNABORTED) {
        // __inet_stream_connect reported the failure (sock_error, or ECONNABORTED once it
        // was read): the socket is SS_UNCONNECTED again, as new.
        c.sock = Sock::Fresh;
        c.reset = Level::No;
        c.err_level = Level::No;
      }
      return std::nullopt;
    }
    default:
      return violation(i, RuleId::Errno, "a connectable socket", "state not modelled");
  }
}

Check Oracle::Impl::accept(size_t i, const Step& s, const Observation& obs) {
  DescId lid = id_of(s.ins[0]);
  Desc& l = fds.desc(lid);
  if (fds.desc_unjudged(lid)) {
    // The queue is known only within bounds: any connection or none, followed so too.
    const TolId why = *ledger.span_tol(lid);
    if (Check e = expect_on(i, lid, RuleId::AcceptQueue, RetSet(), obs.ret, RetSet::range(-4095, INT32_MAX))) return e;
    if (obs.ret < 0 || obs.fds.size() != 1) return std::nullopt;
    ResId out = s.outs[0];
    DescId d = fds.create(prog.res(out).kind, out, s.param(0) != 0);
    fds.bind(out, d, obs.fds[0]);
    fds.unfollow(d, why);
    return std::nullopt;
  }
  bool any = !l.queue.empty() || !l.maybe_queue.empty();
  // Success is any descriptor number; a blocking accept with nothing queued waits (for a
  // connection that arrives later), so it too can only succeed.
  const RetSet fd_number = RetSet::range(0, std::numeric_limits<int32_t>::max());
  RetSet allowed = fd_number;
  if (l.known_queued == 0 && l.nonblock) allowed = any ? RetSet(fd_number).add_err(EAGAIN) : RetSet::err(EAGAIN);
  if (Check e = expect(i, RuleId::AcceptQueue, allowed, obs.ret,
                       l.known_queued > 0 ? "a connection is known to be queued" : ""))
    return e;
  if (obs.ret < 0) return std::nullopt;
  if (obs.fds.size() != 1) return violation(i, RuleId::Errno, "one descriptor", std::to_string(obs.fds.size()));
  // Which client? The engine names it (TCP: by port); AF_UNIX queues are FIFO.
  DescId client = kNone;
  auto take = [&](std::vector<DescId>& q, DescId want) {
    auto it = want == kNone ? q.begin() : std::find(q.begin(), q.end(), want);
    if (it == q.end()) return false;
    client = *it;
    q.erase(it);
    return true;
  };
  DescId named = obs.value >= 0 && static_cast<size_t>(obs.value) < prog.resources.size()
                     ? id_of(static_cast<ResId>(obs.value))
                     : kNone;
  if (!take(l.queue, named) && !take(l.maybe_queue, named))
    return violation(i, RuleId::AcceptQueue, "one of the queued connections",
                     named == kNone ? "an unknown connection" : "a connection that was not queued");
  if (l.known_queued > 0) l.known_queued--;
  // A slot freed: clients whose SYN was dropped may get in on a retransmit.
  for (DescId st : l.stalled) {
    fds.desc(st).sock = Sock::Connecting;
    fds.desc(st).connected = Level::Maybe;
    l.maybe_queue.push_back(st);
  }
  l.stalled.clear();
  Desc& c = fds.desc(client);
  if (c.sock == Sock::Connecting) {
    c.sock = Sock::Established;  // the server has the connection: the client sent the final ACK
    c.connected = Level::Yes;
  }
  DescId child = c.peer;
  ResId out = s.outs[0];
  fds.bind(out, child, obs.fds[0]);
  Desc& ch = fds.desc(child);
  ch.origin = out;
  ch.nonblock = s.param(0) != 0;
  ch.connect_returned = true;  // inet_accept: the new socket is SS_CONNECTED (connect says EISCONN)
  if (ch.tx != kNone) fds.chan(ch.tx).bytes.set_stream(out);
  return std::nullopt;
}

Check Oracle::Impl::sockerr(size_t i, const Step& s, const Observation& obs) {
  Desc& d = d_of(s.ins[0]);
  if (Check e = expect(i, RuleId::Errno, RetSet::of({0}), obs.ret)) return e;
  if (fds.desc_unjudged(d.id))
    return expect_on(i, d.id, RuleId::ConnectSoError, RetSet::of({0}), obs.value, RetSet::range(0, 4095), {}, Judged::Value);
  RetSet allowed = RetSet::of({0});
  if (d.err_level != Level::No) {
    RetSet errs;
    for (int e : model::error_values(d.err)) errs.add(e);
    allowed = d.err_level == Level::Yes ? errs : errs.add(0);
  }
  RuleId rule = d.connect_failed_seen && d.err_level == Level::No ? RuleId::SoErrorClear : RuleId::ConnectSoError;
  if (d.sock == Sock::Established && d.err_level == Level::No) rule = RuleId::ConnectSoError;
  if (Check e = expect(i, rule, allowed, obs.value, {}, Judged::Value)) return e;
  if (obs.value != 0) {
    d.err_level = Level::No;
    d.connect_failed_seen = true;
    if (d.sock == Sock::Refused || possible(d.reset)) d.reset = Level::Yes;
  }
  return std::nullopt;
}

bool Oracle::Impl::fins_both_ways(const Desc& d) const {
  if (!d.is_tcp() || d.sock != Sock::Established || d.rx == kNone) return false;
  return possible(d.snd_shut) && possible(fds.chan(d.rx).eof);
}

RetSet Oracle::Impl::shutdown_expect(const Desc& d, RuleId& rule) const {
  rule = RuleId::Errno;
  // unix_shutdown sets the shutdown bits whatever the state, connected or not. shutdown(2)
  // documents ENOTCONN "The specified socket is not connected": under `contract` an
  // unconnected AF_UNIX socket (no peer) may answer that.
  if (d.kind != ResKind::Tcp) {
    const bool unconnected = (d.kind == ResKind::UnixStream || d.kind == ResKind::UnixDgram) && d.peer == kNone;
    return unconnected && !linux_rules() ? RetSet::of({0, -ENOTCONN}) : RetSet::of({0});
  }
  switch (d.sock) {
    case Sock::Established:
      // A reset that arrived closed the socket (TCP_CLOSE): ENOTCONN. So did FINs both
      // ways once acknowledged (LAST_ACK -> CLOSE; TIME_WAIT leaves the socket CLOSE).
      return possible(d.reset) || fins_both_ways(d) ? RetSet::of({0, -ENOTCONN}) : RetSet::of({0});
    case Sock::Connecting:
    case Sock::Stalled:
      // inet_shutdown on SYN_SENT disconnects the socket (0), unless the handshake
      // finished or failed first.
      return RetSet::of({0, -ENOTCONN});
    default:
      return RetSet::err(ENOTCONN);
  }
}

Check Oracle::Impl::shutdown(size_t i, const Step& s, const Observation& obs) {
  DescId id = id_of(s.ins[0]);
  Desc& d = fds.desc(id);
  int how = static_cast<int>(s.param(0));
  RuleId rule;
  RetSet allowed = shutdown_expect(d, rule);
  if (Check e = expect_on(i, id, rule, allowed, obs.ret, RetSet::of({0, -ENOTCONN}))) return e;
  if (fds.desc_unjudged(id)) return std::nullopt;
  if (d.kind != ResKind::Tcp && obs.ret < 0) return std::nullopt;  // failed (contract's ENOTCONN): no change
  if (d.kind == ResKind::Tcp && (d.sock == Sock::Fresh || d.sock == Sock::Port)) {
    // inet_shutdown on TCP_CLOSE: ENOTCONN, and the shutdown bits are set all the same
    // ("hack to wake up other listeners, who can poll for EPOLLHUP").
    fds.shutdown(id, how, false);
    return std::nullopt;
  }
  if (d.kind == ResKind::Tcp && (d.sock != Sock::Established || (obs.ret == -ENOTCONN && !fins_both_ways(d)))) {
    // Disconnected from SYN_SENT (or the handshake had finished: a FIN goes out), or
    // TCP_CLOSE with the shutdown bits set anyway (inet_shutdown): followed only within
    // bounds, and its peer may see a FIN or a reset.
    fds.unfollow(id, TolId::TcpShutdownUnconnected);
    fds.may_reset(d.peer);
    return std::nullopt;
  }
  // inet_shutdown moves a socket still SS_CONNECTING (connect said EINPROGRESS) to
  // SS_CONNECTED: a later connect says EISCONN, not 0.
  if (d.is_tcp()) d.connect_returned = true;
  // (Own SHUT_RD with data still on its way: reads may end (0) once what arrived is read,
  // may_end_before_in_flight; and a reset may come if we shut down writing too.)
  fds.shutdown(id, how, false);
  return std::nullopt;
}

Check Oracle::Impl::close(size_t i, const Step& s, const Observation& obs) {
  if (Check e = expect(i, RuleId::Errno, RetSet::of({0}), obs.ret)) return e;
  fds.close_fd(s.ins[0]);
  return std::nullopt;
}

}  // namespace ringside
