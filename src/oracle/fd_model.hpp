// The model of open file descriptions: sockets, listeners, pipes, eventfds, files, and
// the byte channels between them. Pure state plus the poll mask each state allows
// (as a ReadySet). The oracle's rules drive it; it never makes a syscall.
#pragma once
#include <cerrno>
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "oracle/file_content.hpp"
#include "oracle/ledger.hpp"
#include "oracle/readiness.hpp"
#include "oracle/stream_bytes.hpp"
#include "oracle/wrapper_model.hpp"
#include "program/program.hpp"

namespace ringside::model {

using DescId = uint32_t;
using ChanId = uint32_t;
inline constexpr uint32_t kNone = ~0u;
// Pending errors that are one of two: a reset during the handshake (ECONNREFUSED) or
// after it (ECONNRESET); a reset in CLOSE_WAIT (tcp_reset sets EPIPE) or not.
inline constexpr int kErrResetOrRefused = -1, kErrResetOrPipe = -2;
// The pending error values `err` stands for.
inline std::vector<int> error_values(int err) {
  if (err == kErrResetOrRefused) return {ECONNRESET, ECONNREFUSED};
  if (err == kErrResetOrPipe) return {ECONNRESET, EPIPE};
  return {err};
}

// Conservative amounts below which a write certainly fits and a socket is certainly
// writable, whatever the kernel's buffer autotuning does (sizes are the kernel defaults:
// 16 KiB initial TCP send buffer, 208 KiB AF_UNIX sndbuf with a quarter usable for
// unix_writable).
inline constexpr uint64_t kTcpSureRoom = 8 * 1024;
inline constexpr uint64_t kUnixSureRoom = 16 * 1024;
inline constexpr size_t kUnixSureWrites = 16;

// Bytes that one endpoint writes and another reads, in order.
struct Channel {
  DescId writer = kNone, reader = kNone;
  StreamBytes bytes;    // which bytes may be read next (pattern stream: the writer's origin)
  bool async = false;   // TCP over loopback: bytes arrive some time after the write
  bool dgram = false;   // message boundaries kept
  uint64_t sent = 0;      // bytes writes accepted (exact)
  uint64_t consumed = 0;  // bytes reads returned (exact)
  uint64_t arrived = 0;   // lower bound of bytes that reached the reader's queue (>= consumed)
  std::deque<uint64_t> msgs;  // unconsumed write sizes (datagrams; buffer accounting on streams)
  Level eof = Level::No;      // the writer ended the stream (shutdown WR / close), after its data
  bool full = false;          // a write hit EAGAIN and nothing was read since
  // Pipes: the kernel's ring of page buffers as pipe_write lays them out (a write's
  // first n % PAGE_SIZE bytes merge into the last page if they fit, the rest takes whole
  // pages, 16 slots), so room, partial writes and POLLOUT are exact.
  struct Page {
    uint32_t offset = 0, len = 0;
  };
  bool pipe = false;
  std::deque<Page> pages;
  uint32_t later_writes = 0;  // `later` writes not joined yet: the layout is ahead of the kernel
  // A read raced with a `later` write: which pages the write filled is not known until
  // the pipe is empty again (room and POLLOUT are then only bounded).
  bool layout_unknown = false;
  // io_uring requests in flight on the channel (uring_model.hpp): a pending read may take
  // queued bytes at any moment; a pending write may add `maybe_sent` bytes.
  uint32_t uring_readers = 0;
  uint64_t uring_read_n = 0;  // ... the bytes they may take, at most
  uint64_t maybe_sent = 0;
  uint32_t later_write = ~0u;  // the StreamBytes write of a `later` write(2) not joined yet

  uint64_t queued() const { return sent > consumed ? sent - consumed : 0; }  // sent, not yet read
  uint64_t known_arrived() const { return arrived - consumed; }  // certainly readable now
  uint64_t queued_at_most() const { return sent + maybe_sent > consumed ? sent + maybe_sent - consumed : 0; }  // with io_uring writes in flight
};

enum class Sock : uint8_t {
  None,         // not a socket
  Fresh,        // created, not connected
  Connecting,   // handshake under way (will finish soon, or may after a SYN retransmit)
  Stalled,      // SYN dropped: the listener's accept queue is full
  Established,  // connected (possibly reset or shut down since)
  Refused,      // the connect failed
  Listening,
  Port,         // bound, not listening
};

struct Desc {
  DescId id = kNone;
  ResKind kind{};
  uint32_t origin = 0;  // resource that created the description (pattern stream id)
  int refs = 1;         // fds open on it
  bool nonblock = false;

  // Sockets.
  uint8_t family = 0;  // 0 tcp4, 1 tcp6, 2 unix
  Sock sock = Sock::None;
  Level connected = Level::No;   // for Connecting: will it complete (Soon) or may it (Maybe)?
  bool connect_returned = false; // a connect call returned 0: the socket is SS_CONNECTED
  bool connect_failed_seen = false;  // the failure was reported (by connect or SO_ERROR)
  DescId peer = kNone;
  DescId listener = kNone;       // for connecting clients
  ChanId rx = kNone, tx = kNone;
  Level rcv_shut = Level::No;    // RCV_SHUTDOWN: own SHUT_RD or the peer's end of stream
  Level own_shut_rd = Level::No; // own SHUT_RD: unlike a FIN it may come before bytes in flight
  Level snd_shut = Level::No;    // SEND_SHUTDOWN: own SHUT_WR (or, on AF_UNIX, the peer's SHUT_RD/close)
  Level reset = Level::No;       // connection reset received
  int err = 0;                   // pending SO_ERROR value (kErrResetOrRefused, kErrResetOrPipe:
                                 // one of two, depending on timing) ...
  Level err_level = Level::No;   // ... and whether it is set
  Level peer_gone = Level::No;   // the peer description was released (soon: by a `later` close)
  bool embryo = false;           // AF_UNIX server side released before accept
  bool release_soon = false;     // released by a `later` close not joined yet
  bool held_by_requests = false; // its last fd was closed while io_uring requests held it:
                                 // released when the last of them ends
  bool err_may_be_taken = false;  // a `later` read or write not joined yet may take a pending error (sock_error)
  bool out_flickers = false;     // an unconnected AF_UNIX datagram send in flight charges its
                                 // buffer: POLLOUT may be gone for a moment

  // Listeners: connections waiting for accept.
  int capacity = 0;                  // backlog + 1 (the kernel's acceptq_is_full is '>')
  std::vector<DescId> queue;         // clients whose handshake completed or will complete soon
  int known_queued = 0;              // lower bound of queue entries that have certainly arrived
  std::vector<DescId> maybe_queue;   // clients that may or may not get in (SYN retransmit, races)
  std::vector<DescId> stalled;       // clients whose SYN was dropped while the queue was full

  // eventfd: the counter as bounds.
  uint64_t count = 0;
  uint64_t count_soon = 0;     // added by `later` writes not yet joined (and io_uring writes sure to run)
  uint64_t count_maybe = 0;    // io_uring writes in flight that may or may not run
  uint64_t count_unknown = 0;  // added, but a read in flight since may have taken it
  uint32_t count_readers = 0;  // io_uring reads in flight: they may take the counter at any moment
  uint64_t count_reads = 0;    // reads so far (an io_uring write's CQE after one may have been taken)
  bool semaphore = false;

  // Regular file.
  uint64_t size = 0, pos = 0;

  // Readiness wrapper: index of its WrapperModel.
  uint32_t wrapper = kNone;

  bool is_stream() const { return kind == ResKind::Tcp || kind == ResKind::UnixStream; }
  bool is_tcp() const { return kind == ResKind::Tcp; }
};

// What an eventfd's counter may hold.
struct EventfdBounds {
  uint64_t lo = 0, hi = 0;
  std::string text() const { return lo == hi ? std::to_string(lo) : std::to_string(lo) + ".." + std::to_string(hi); }
};

// After its own SHUT_RD, a stream socket's read says 0 as soon as its receive queue is
// empty, whether or not more bytes are still on their way (tcp_recvmsg and
// unix_stream_read_generic test RCV_SHUTDOWN before waiting or saying EAGAIN; Linux
// keeps accepting data after SHUT_RD). So a 0 may come before bytes not yet arrived.
inline bool may_end_before_in_flight(const Desc& d, const Channel& c) {
  return d.is_stream() && d.own_shut_rd != Level::No && !c.dgram;
}

// A wakeup on a description's wait queue, as the epoll model needs to see it.
struct Wake {
  DescId desc;
  uint32_t key;  // poll bits passed to the wakeup; 0 wakes every waiter
  Level level;   // Yes: happened; Soon: will happen; Maybe: may have happened
  RuleId rule;   // the rule that promises this wakeup
  TolId tol = kNoTol;  // a wakeup only a tolerance allows (never promised)
};

class FdModel {
 public:
  explicit FdModel(Ledger& ledger) : ledger_(ledger), profile_(ledger.policy().profile()) {}
  Profile profile() const { return profile_; }
  // Are rules about de-facto Linux behaviour checked (strict, linux)?
  bool linux_rules() const { return checks_linux_rules(profile_); }
  Ledger& ledger() { return ledger_; }
  // Something Linux does soon that the documents do not promise: under `contract` it may
  // or may not happen.
  Level de_facto_soon() const { return linux_rules() ? Level::Soon : Level::Maybe; }
  const Ledger& ledger() const { return ledger_; }

  // Descriptions and fds.
  DescId create(ResKind kind, uint32_t origin, bool nonblock);
  void bind(ResId r, DescId d, int fdnum);
  DescId desc_of(ResId r) const { return r < fds_.size() ? fds_[r].desc : kNone; }
  int fdnum_of(ResId r) const { return r < fds_.size() ? fds_[r].num : -1; }
  Desc& desc(DescId d) { return descs_[d]; }
  const Desc& desc(DescId d) const { return descs_[d]; }
  Channel& chan(ChanId c) { return chans_[c]; }
  const Channel& chan(ChanId c) const { return chans_[c]; }
  bool released(DescId d) const { return descs_[d].refs == 0; }
  // Close one fd; returns true if it was the description's last. A description io_uring
  // requests hold is released only when they end: until then its release may or may not
  // have happened (release_now, when they have).
  bool close_fd(ResId r);
  void release_now(DescId d);

  // Connections.
  ChanId new_channel(DescId writer, DescId reader, bool async, bool dgram);
  void connect_pair(DescId a, DescId b, bool async, bool dgram);  // a <-> b, channels both ways

  // Effects of program actions. `later`: done by a helper thread at an unknown time
  // before the next join, so effects that would be immediate are only "soon".
  void wrote(DescId d, uint64_t n, bool later);  // n bytes accepted by d's tx channel
  // The same, for bytes whose place among the channel's bytes was taken when they were
  // submitted (an io_uring write, a `later` write with an uncertain result): counts only.
  void wrote_counts(DescId d, uint64_t n);
  void read_stream(DescId d, uint64_t n);        // d consumed n bytes (n>0) from rx
  void drained(DescId d);                        // a read on d returned EAGAIN: nothing arrived
  void shutdown(DescId d, int how, bool later);  // how: 0 rd, 1 wr, 2 rdwr
  void joined();                                 // every `later` effect has happened
  // While set, effects are those of a `later` step: what would be immediate is "soon".
  void set_later(bool on) { later_ = on; }
  Level now() const { return later_ ? Level::Soon : Level::Yes; }
  void learn(const Condition& c);                // an observation showed condition c on
  // A reset of d may or may not come (its peer aborted, or closed with data that may have
  // been unread): its pending error, ERR and HUP may come.
  void may_reset(DescId d);
  // The model follows d only within bounds from now on (a model-limit tolerance, why),
  // until its description is released.
  void unfollow(DescId d, TolId why);
  // An AF_UNIX datagram socket whose peer died: disconnected, its receive queue purged.
  void dgram_disconnect(DescId d);

  // eventfd counters: the bounds, and a read (or a drain's reads) that took v in all (0:
  // the counter was found empty).
  EventfdBounds eventfd_bounds(DescId d) const;
  void eventfd_read(DescId d, uint64_t v);

  // Is d in a span the model follows only within bounds (a model-limit tolerance)?
  bool desc_unjudged(DescId d) const { return ledger_.in_span(d); }

  // Readiness wrappers (family 7): d is a ResKind::Wrapper description.
  WrapperModel& wrapper(DescId d) { return wrappers_[descs_[d].wrapper]; }
  void add_wrapper(DescId d, const WrapperModel& w);

  // Is anything still on its way to d (bytes, end of stream, reset, handshake)?
  bool in_flight(DescId d) const;
  // Is there certainly room for a write of n bytes on d right now (whatever the kernel's
  // buffer autotuning does)? Used to tell writes that complete from writes that block.
  bool sure_room(DescId d, uint64_t n) const;
  // Is the page layout of pipe channel c known (see Channel::layout_unknown)?
  bool pipe_layout_known(ChanId c) const { return !chans_[c].layout_unknown; }
  // Bytes a nonblocking write of n would take now on pipe channel c (n if all fits, 0
  // for EAGAIN); with `apply`, lays them out. Only when the layout is known.
  uint64_t pipe_fit(ChanId c, uint64_t n, bool apply);
  uint64_t pipe_fit(ChanId c, uint64_t n) const;
  // Bytes nonblocking writes of `chunk` take on pipe channel c until one returns EAGAIN.
  uint64_t pipe_fill(ChanId c, uint64_t chunk, bool apply);
  // How sure a wakeup of d's waiters is still to come: Soon when it certainly will (a
  // wrapper's next R 0 -> >0 transition), Maybe when something in flight may bring one.
  // `interest`: the poll bits a registration listens to (a wakeup with another key does
  // not reach it).
  Level wake_coming(DescId d, uint32_t interest = ~0u) const;
  // Readiness: the poll masks d's state allows.
  ReadySet readiness(DescId d) const;

  std::vector<Wake>& wakes() { return wakes_; }

  // Regular files: what each byte range may hold (created on first use).
  FileContent& content(DescId d);

  // Rules whose checks ran (for baselines and coverage of the oracle itself).
  void exercise(RuleId r) { exercised_.insert(r); }
  void exercise(const ReadySet& rs, uint32_t filter) {
    for (const auto& c : rs.conditions())
      if (c.bits & filter) exercised_.insert(c.rule);
  }
  const std::set<RuleId>& exercised() const { return exercised_; }

 private:
  void release(DescId d);
  // The level of a release's effect: as it comes, or at most Maybe while io_uring
  // requests may still hold the description open.
  Level cap(Level l) const { return holding_ && l != Level::No && l != Level::Flaky ? Level::Maybe : l; }
  bool holding_ = false;
  // A condition only the `linux` profile promises: under `contract` it may or may not hold.
  Level de_facto(Level l) const { return linux_rules() || l == Level::No ? l : Level::Flaky; }

  void wake(DescId d, uint32_t key, Level level, RuleId rule) {
    if (d != kNone && descs_[d].refs > 0 && level != Level::No) wakes_.push_back({d, key, level, rule});
  }
  void stream_readiness(const Desc& s, ReadySet& r) const;
  void tcp_readiness(const Desc& s, ReadySet& r) const;
  void err_before_reset(Level reset, ReadySet& r) const;
  void reset_readiness(const Desc& s, ReadySet& r) const;
  Level writable(const Desc& s) const;
  Level rx_level(const Desc& s) const;

  struct Fd {
    int num = -1;
    DescId desc = kNone;
  };
  Ledger& ledger_;
  Profile profile_;
  bool later_ = false;
  // Deques: references stay valid while descriptions and channels are added.
  std::deque<Desc> descs_;
  std::deque<Channel> chans_;
  std::deque<WrapperModel> wrappers_;
  std::vector<Fd> fds_;
  std::vector<Wake> wakes_;
  std::set<RuleId> exercised_;
  std::map<DescId, FileContent> contents_;
};

}  // namespace ringside::model
