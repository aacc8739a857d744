// Family 7: readiness over completion. The wrapper's items are checked against the file
// (order, content, one eof), its counters against what the items imply (one eventfd
// write per R 0 -> >0 transition, the pipeline bound and refill), and its eventfd's
// readiness goes through FdModel::readiness and the epoll model like any other fd's.
//
// When R > 0 is known, and when the eventfd gets written, follows from two facts: the
// reaper thread only raises R, and consume() (on the owner thread, never concurrently with
// the step that checks) is the only thing that lowers it. Each consume() reports R right
// after it (`ready_after`, under the same lock), so the model knows every time the
// eventfd was read (R reached 0); every such time not at the end of the stream promises
// exactly one later transition, hence one eventfd write, hence one ET wakeup.
#include "oracle/wrapper_oracle.hpp"

#include <algorithm>

#include "oracle/oracle_impl.hpp"
#include "program/pattern.hpp"

namespace ringside {
namespace {

using model::WrapperModel;

std::string item_text(const WrapItem& it) {
  std::string s = wrap_status_name(it.status);
  if (it.status == WrapStatus::Data || it.status == WrapStatus::Eof || it.status == WrapStatus::Error)
    s += " at offset " + std::to_string(it.offset);
  if (it.status == WrapStatus::Data) s += " (" + std::to_string(it.length) + " bytes)";
  if (it.status == WrapStatus::Error) s += " (" + errno_name(it.error) + ")";
  return s;
}

class WrapperCheck {
 public:
  WrapperCheck(Oracle::Impl& m, size_t i, const Step& s, const Observation& o) : m_(m), i_(i), s_(s), o_(o) {}

  Check open();
  Check close();
  Check run();  // consume, settle, inspect, event_loop

 private:
  int64_t param(std::string_view name) const { return s_.param(s_.spec().index(name)); }
  Check fail(RuleId r, std::string expected, std::string observed, std::string detail = {}) const {
    return Violation{r, i_, std::move(expected), std::move(observed), std::move(detail)};
  }
  void exercise_all() {
    for (RuleId r : {RuleId::WrapperReadyIffR, RuleId::WrapperSignalOnce, RuleId::WrapperDataOrder,
                     RuleId::WrapperInflightBound, RuleId::WrapperPipelineFull, RuleId::WrapperEofOnce})
      m_.fds.exercise(r);
  }
  // A wakeup of the eventfd's waiters, for the epoll model to absorb.
  void wake(uint32_t key, Level level, RuleId rule) {
    if (!m_.fds.released(d_)) m_.fds.wakes().push_back({d_, key, level, rule});
  }
  void bind_existing(ResId r) {
    d_ = m_.id_of(r);
    w_ = &m_.fds.wrapper(d_);
  }
  Check item(const WrapItem& it);
  Check pop(const WrapItem& it);
  Check data(const WrapItem& it);
  Check eof(const WrapItem& it);
  Check wait(const WrapItem& it);
  Check snapshot(bool closing);

  Oracle::Impl& m_;
  size_t i_;
  const Step& s_;
  const Observation& o_;
  DescId d_ = kNone;
  WrapperModel* w_ = nullptr;
  size_t data_pos_ = 0;   // next byte of o_.data
  size_t event_pos_ = 0;  // next report of o_.events (event_loop's waits)
};

Check WrapperCheck::open() {
  if (o_.ret < 0 || o_.fds.size() != 1 || !o_.wrapper || !o_.wrapper->items.empty())
    return fail(RuleId::Errno, "a wrapper with its eventfd", result_text(o_.ret));
  const DescId file = m_.id_of(s_.ins[0]);
  const Desc& f = m_.fds.desc(file);
  WrapperModel w;
  w.depth = static_cast<uint32_t>(param("depth"));
  w.buf = static_cast<uint32_t>(param("buf"));
  w.file = file;
  w.stream = f.origin;
  // The model applies `later` writes at once; until they are joined the file may lack them.
  uint64_t pending = 0;
  for (const auto& [step, later] : m_.later_steps) {
    const Step& t = m_.step(step);
    if (t.op == Op::Write && m_.id_of(t.ins[0]) == file) pending += static_cast<uint64_t>(t.param(0));
  }
  w.size_at_open = f.size > pending ? f.size - pending : 0;
  d_ = m_.fds.create(ResKind::Wrapper, s_.outs[0], true);
  m_.fds.bind(s_.outs[0], d_, o_.fds[0]);
  m_.fds.add_wrapper(d_, w);
  w_ = &m_.fds.wrapper(d_);
  exercise_all();
  return snapshot(false);
}

Check WrapperCheck::close() {
  bind_existing(s_.ins[0]);
  m_.fds.exercise(RuleId::WrapperCloseClean);
  if (!o_.wrapper) return fail(RuleId::Errno, "the wrapper's counters at close", "none");
  const WrapSnapshot& sn = o_.wrapper->snap;
  if (o_.ret != 0)
    return fail(RuleId::WrapperCloseClean, "0: every read's completion arrived", result_text(o_.ret),
                "close() gave up waiting for CQEs after the step deadline");
  if (!sn.closed || sn.in_flight != 0)
    return fail(RuleId::WrapperCloseClean, "closed, nothing in flight",
                std::string(sn.closed ? "closed" : "open") + ", " + std::to_string(sn.in_flight) + " read(s) in flight");
  if (o_.wrapper->eventfd_open) return fail(RuleId::WrapperCloseClean, "its eventfd closed", "the eventfd still open");
  if (Check c = snapshot(true)) return c;
  w_->closed = true;
  w_->ready = Level::No;
  m_.fds.close_fd(s_.ins[0]);
  return std::nullopt;
}

Check WrapperCheck::run() {
  bind_existing(s_.op == Op::EventLoop ? s_.ins[1] : s_.ins[0]);
  if (!o_.wrapper) return fail(RuleId::Errno, "the wrapper's counters", "none");
  if (o_.ret < 0) return fail(RuleId::Errno, "bytes consumed", result_text(o_.ret));
  exercise_all();
  uint64_t bytes = 0;
  for (const WrapItem& it : o_.wrapper->items)
    if (it.status == WrapStatus::Data) bytes += it.length;
  if (bytes != o_.data.size() || static_cast<int64_t>(bytes) != o_.ret)
    return fail(RuleId::WrapperDataOrder, std::to_string(bytes) + " bytes of data (the buffers' sizes)",
                std::to_string(o_.data.size()) + " bytes");
  for (const WrapItem& it : o_.wrapper->items)
    if (Check c = item(it)) return c;
  if (event_pos_ != o_.events.size())
    return fail(RuleId::Errno, std::to_string(event_pos_) + " reports", std::to_string(o_.events.size()));
  return snapshot(false);
}

Check WrapperCheck::item(const WrapItem& it) {
  switch (it.status) {
    case WrapStatus::Wait:
      return wait(it);
    case WrapStatus::WouldBlock:
      if (w_->ended) return fail(RuleId::WrapperEofOnce, "done: the stream already ended", item_text(it));
      if (w_->ready == Level::Yes)
        return fail(RuleId::WrapperReadyIffR, "an item: R > 0 (seen before, and only consume() lowers it)",
                    item_text(it));
      if (it.ready_after != 0)
        return fail(RuleId::WrapperReadyIffR, "R = 0 after would_block", "R = " + std::to_string(it.ready_after));
      return std::nullopt;  // R = 0, a read on its way: still soon
    case WrapStatus::Done:
      if (!w_->ended)
        return fail(RuleId::WrapperEofOnce, "an item or would_block: eof has not been delivered", item_text(it));
      if (it.ready_after != 0) return fail(RuleId::WrapperEofOnce, "R = 0 after the end", "R = " + std::to_string(it.ready_after));
      return std::nullopt;
    default:
      return pop(it);
  }
}

Check WrapperCheck::pop(const WrapItem& it) {
  if (w_->ended) return fail(RuleId::WrapperEofOnce, "done: the stream already ended", item_text(it));
  const Level before = w_->ready;
  switch (it.status) {
    case WrapStatus::Data:
      if (Check c = data(it)) return c;
      break;
    case WrapStatus::Eof:
      if (Check c = eof(it)) return c;
      break;
    default:
      return fail(RuleId::WrapperDataOrder, "the file's bytes, then eof", item_text(it),
                  "a read of a regular file in the private temp dir failed");
  }
  if (it.ready_after == 0) {
    // consume() read the eventfd: R went to 0. eventfd_read wakes writers (POLLOUT).
    ++w_->resets;
    wake(ev::Out, Level::Maybe, RuleId::EtEdge);
    if (w_->ended) {
      w_->ready = Level::No;
    } else {
      // A read is on its way (the frontier's): its completion is the next transition.
      w_->ready = Level::Soon;
      wake(ev::In, Level::Soon, RuleId::WrapperSignalOnce);
    }
    return std::nullopt;
  }
  if (w_->ended) return fail(RuleId::WrapperEofOnce, "R = 0 after the end", "R = " + std::to_string(it.ready_after));
  // R > 0 at this pop. If the model last knew R = 0, the transition happened since, and no
  // epoll report harvested it (that would have taught R > 0): its wakeup is pending.
  if (before == Level::Soon) wake(ev::In, Level::Yes, RuleId::WrapperSignalOnce);
  w_->ready = Level::Yes;
  return std::nullopt;
}

Check WrapperCheck::data(const WrapItem& it) {
  WrapperModel& w = *w_;
  const std::string at = std::to_string(w.next_offset);
  if (it.offset != w.next_offset)
    return fail(RuleId::WrapperDataOrder, "the buffer at offset " + at, item_text(it),
                it.offset < w.next_offset ? "bytes delivered twice" : "bytes skipped");
  if (w.short_item)
    return fail(RuleId::WrapperDataOrder, "eof at offset " + at + " (the last buffer was short)", item_text(it));
  if (it.length == 0 || it.length > w.buf)
    return fail(RuleId::WrapperDataOrder, "1.." + std::to_string(w.buf) + " bytes", item_text(it));
  const uint64_t end = it.offset + it.length;
  const uint64_t size_now = m_.fds.desc(w.file).size;
  if (end > size_now)
    return fail(RuleId::WrapperDataOrder, "data up to the file's size " + std::to_string(size_now), item_text(it));
  if (it.length < w.buf) {
    if (end < w.size_at_open)
      return fail(RuleId::WrapperDataOrder, std::to_string(w.buf) + " bytes (only the last buffer may be short)",
                  item_text(it));
    w.short_item = true;
  }
  if (data_pos_ + it.length > o_.data.size())
    return fail(RuleId::WrapperDataOrder, "the buffer's bytes", "fewer bytes");
  std::string_view bytes(o_.data.data() + data_pos_, it.length);
  if (size_t bad = first_mismatch(w.stream, it.offset, bytes); bad != std::string_view::npos)
    return fail(RuleId::WrapperDataOrder, "the file's bytes from offset " + std::to_string(it.offset),
                "a wrong byte at offset " + std::to_string(it.offset + bad));
  data_pos_ += it.length;
  w.next_offset = end;
  ++w.data_items;
  return std::nullopt;
}

Check WrapperCheck::eof(const WrapItem& it) {
  WrapperModel& w = *w_;
  if (it.offset != w.next_offset)
    return fail(RuleId::WrapperDataOrder, "eof at offset " + std::to_string(w.next_offset) + " (after every byte)",
                item_text(it));
  if (it.offset < w.size_at_open)
    return fail(RuleId::WrapperDataOrder,
                "data at offset " + std::to_string(it.offset) + " (the file has " + std::to_string(w.size_at_open) +
                    " bytes)",
                item_text(it), "end of file reported before the file's end: bytes lost");
  w.ended = true;
  return std::nullopt;
}

Check WrapperCheck::wait(const WrapItem& it) {
  if (s_.op != Op::EventLoop) return fail(RuleId::Errno, "no epoll_wait in this step", "a wait");
  if (event_pos_ + it.length > o_.events.size())
    return fail(RuleId::Errno, std::to_string(it.length) + " reports", "fewer");
  Observation sub;
  sub.ret = it.length;
  sub.events.assign(o_.events.begin() + static_cast<std::ptrdiff_t>(event_pos_),
                    o_.events.begin() + static_cast<std::ptrdiff_t>(event_pos_ + it.length));
  event_pos_ += it.length;
  // The wakeups of the consume() calls before this wait reached the epoll already.
  m_.epoll.absorb_wakes();
  return m_.epoll.wait(i_, m_.id_of(s_.ins[0]), kEventLoopMaxEvents, param("timeout"), sub);
}

Check WrapperCheck::snapshot(bool closing) {
  WrapperModel& w = *w_;
  const WrapSnapshot& sn = o_.wrapper->snap;
  w.last = sn;
  const std::string counters = "R=" + std::to_string(sn.ready) + " held=" + std::to_string(sn.held) +
                               " inflight=" + std::to_string(sn.in_flight);
  if (sn.eventfd_readable != (sn.ready > 0))
    return fail(RuleId::WrapperReadyIffR, std::string("eventfd ") + (sn.ready > 0 ? "readable" : "not readable"),
                std::string("eventfd ") + (sn.eventfd_readable ? "readable" : "not readable"),
                counters + ", read under the wrapper's lock");
  if (sn.signals != sn.transitions)
    return fail(RuleId::WrapperSignalOnce, std::to_string(sn.transitions) + " eventfd writes (one per transition)",
                std::to_string(sn.signals));
  const uint64_t transitions = w.resets + (sn.ready > 0 ? 1 : 0);
  if (sn.transitions != transitions)
    return fail(RuleId::WrapperSignalOnce, std::to_string(transitions) + " transitions",
                std::to_string(sn.transitions),
                "consume() left R = 0 " + std::to_string(w.resets) + " time(s) and R is " +
                    (sn.ready > 0 ? "> 0" : "0") + " now: each transition needs R = 0 before it");
  if (sn.in_flight > w.depth || sn.max_in_flight > w.depth)
    return fail(RuleId::WrapperInflightBound, "at most " + std::to_string(w.depth) + " reads in flight",
                std::to_string(sn.in_flight) + " now, " + std::to_string(sn.max_in_flight) + " at most");
  if (sn.in_flight + sn.held + sn.ready > w.depth + 1)
    return fail(RuleId::WrapperInflightBound,
                "in flight + held + ready <= " + std::to_string(w.depth) + " (+1 for the eof item)", counters);
  if (sn.next_offset != w.next_offset)
    return fail(RuleId::WrapperDataOrder, "next offset " + std::to_string(w.next_offset) + " (bytes delivered)",
                std::to_string(sn.next_offset));
  if (sn.eof_delivered != w.ended)
    return fail(RuleId::WrapperEofOnce, std::string("eof ") + (w.ended ? "delivered" : "not delivered yet"),
                std::string("the wrapper says ") + (sn.eof_delivered ? "delivered" : "not delivered"));
  if (closing) return std::nullopt;

  // What the counters teach about R, and the wakeup it implies.
  if (sn.ready > 0) {
    if (w.ended) return fail(RuleId::WrapperEofOnce, "R = 0 after the end", counters);
    if (w.ready == Level::Soon) wake(ev::In, Level::Yes, RuleId::WrapperSignalOnce);
    w.ready = Level::Yes;
  } else if (w.ready == Level::Yes) {
    return fail(RuleId::WrapperReadyIffR, "R > 0 (it was > 0, and only consume() lowers it)", counters);
  } else if (w.ended) {
    w.ready = Level::No;
  } else if (sn.in_flight == 0) {
    return fail(RuleId::WrapperPipelineFull, "a read in flight or an item ready (the stream has not ended)", counters);
  }
  if (!w.ended) {
    const uint64_t left = w.size_at_open > w.next_offset ? (w.size_at_open - w.next_offset + w.buf - 1) / w.buf : 0;
    const uint64_t need = std::min<uint64_t>(w.depth, std::max<uint64_t>(1, left));
    if (uint64_t{sn.in_flight} + sn.held + sn.ready < need)
      return fail(RuleId::WrapperPipelineFull,
                  "in flight + held + ready >= " + std::to_string(need) + " (D = " + std::to_string(w.depth) + ", " +
                      std::to_string(left) + " buffer(s) left in the file)",
                  counters);
  }
  return std::nullopt;
}

}  // namespace

Check wrapper_step(Oracle::Impl& m, size_t i, const Step& s, const Observation& obs) {
  WrapperCheck c(m, i, s, obs);
  switch (s.op) {
    case Op::WrapperNew:
      return c.open();
    case Op::Close:
      return c.close();
    default:
      return c.run();
  }
}

}  // namespace ringside
