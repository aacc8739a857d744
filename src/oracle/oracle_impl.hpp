// Internals of the Oracle shared by the files that implement its rules by family.
#pragma once
#include <cerrno>
#include <map>

#include "oracle/epoll_model.hpp"
#include "oracle/expect.hpp"
#include "oracle/fd_model.hpp"
#include "oracle/oracle.hpp"
#include "oracle/uring_model.hpp"

namespace ringside {

using model::Desc;
using model::DescId;
using model::kNone;
using model::Sock;

struct Oracle::Impl {
  Impl(const Program& p, TolerancePolicy policy)
      : prog(p), profile(policy.profile()), ledger(std::move(policy)), fds(ledger), epoll(fds) {}

  const Program& prog;
  Profile profile;
  Ledger ledger;
  model::FdModel fds;
  model::EpollModel epoll;
  model::UringModel uring;
  // Race steps: outcomes over all trials (keyed "outcome", or "line N: outcome" when a
  // scenario has several race steps), and branches that were never reached.
  std::map<std::string, uint64_t> histogram;
  std::vector<std::string> race_warnings;
  // `later` steps not joined yet: the prediction checked at join, and what settles then.
  struct LaterStep {
    DescId desc = kNone;
    uint64_t n = 0;
    RetSet expect;
    RuleId rule = RuleId::Errno;
    bool may_block = false;          // a blocking write that may wait for room
    uint64_t consumed_at_start = 0;  // ... and how much its reader had read then
    bool uncertain = false;          // its result (so its effect) is known only at join
    uint32_t floating = ~0u;         // a channel write: its bytes' place (StreamBytes write id)
  };
  std::map<uint32_t, LaterStep> later_steps;
  // Ledger keys of channel spans (descriptions use their DescId).
  static constexpr uint32_t kChannelSpan = 0x40000000u;

  // Are rules about de-facto Linux behaviour checked (strict, linux)?
  bool linux_rules() const { return checks_linux_rules(profile); }
  bool checks(RuleId r) const { return rule(r).profile == Profile::Contract || linux_rules(); }
  KernelFacts facts;
  const Step& step(size_t i) const { return prog.steps[i]; }
  Desc& d_of(ResId r) { return fds.desc(fds.desc_of(r)); }
  DescId id_of(ResId r) const { return fds.desc_of(r); }

  // Check `got` (the part of the observation `what` names) against `allowed`: what the
  // rule predicts, or what a tolerance of the profile admits (counted in the ledger).
  Check expect(size_t i, RuleId rule, const RetSet& allowed, int64_t got, std::string detail = {},
               Judged what = Judged::Ret, uint64_t ref = 0) {
    // A rule whose profile is `linux` (de-facto Linux behaviour) is not checked under
    // `contract`.
    if (!checks(rule)) return std::nullopt;
    fds.exercise(rule);
    if (allowed.contains_untolerated(got)) return std::nullopt;
    Violation v{rule, i, allowed.text(), result_text(got), std::move(detail)};
    v.allowed.what = what;
    v.allowed.ranges = allowed.ranges(&ledger.policy());
    v.allowed.ref = ref;
    if (ledger.admit_any(allowed.tolerances_for(got), v)) return std::nullopt;
    return v;
  }
  // As expect, unless d is followed only within bounds (a model-limit span): then `bounds`,
  // the span's tolerance admitting whatever the rule alone would not.
  Check expect_on(size_t i, DescId d, RuleId rule, const RetSet& allowed, int64_t got, const RetSet& bounds,
                  std::string detail = {}, Judged what = Judged::Ret) {
    if (!fds.desc_unjudged(d)) return expect(i, rule, allowed, got, std::move(detail), what);
    RetSet wide = allowed;
    wide.add(bounds, *ledger.span_tol(d));
    return expect(i, rule, wide, got, std::move(detail), what);
  }
  // An observation only tolerance t explains: admitted (counted) if the profile has it,
  // else the violation `v`, naming t as what would admit it.
  Check tolerate(TolId t, Violation v) { return ledger.tolerate(t, std::move(v)); }
  // A mask judged against a ReadySet (whose tolerated conditions need their tolerance).
  // `v` is the violation if it is not allowed.
  Check expect_mask(const ReadySet& rs, uint32_t observed, uint32_t filter, Violation v) {
    MaskJudgement j = rs.judge(observed, filter);
    if (j.ok && j.tols.empty()) return std::nullopt;
    if (j.ok) {
      bool all = true;
      for (TolId t : j.tols) all = ledger.admit(t, v) && all;
      if (all) return std::nullopt;
      v.needs = j.tols;
    }
    return v;
  }
  Check violation(size_t i, RuleId rule, std::string expected, std::string observed, std::string detail = {}) const {
    return Violation{rule, i, std::move(expected), std::move(observed), std::move(detail)};
  }

  Check observe(size_t i, const Observation& obs);
  Check observe_later(size_t i, const Step& s);
  Check check_blocked_writer(size_t step, const LaterStep& l, int64_t ret);
  void settle_later(size_t step, const LaterStep& l, int64_t ret);
  Check dispatch(size_t i, const Step& s, const Observation& obs);
  Check join(size_t i, const Observation& obs);

  // Family 1 and resources.
  Check create(size_t i, const Step& s, const Observation& obs);
  Check connect(size_t i, const Step& s, const Observation& obs);
  Check tcp_connect(size_t i, DescId cid, DescId lid, const Observation& obs);
  Check accept(size_t i, const Step& s, const Observation& obs);
  Check sockerr(size_t i, const Step& s, const Observation& obs);
  bool fins_both_ways(const Desc& d) const;
  RetSet shutdown_expect(const Desc& d, RuleId& rule) const;
  Check shutdown(size_t i, const Step& s, const Observation& obs);
  Check close(size_t i, const Step& s, const Observation& obs);
  // Family 2: data.
  bool tcp_peer_discards(const Desc& d) const;
  RetSet pending_errors(const Desc& d) const;
  void tcp_sent_to_discarding_peer(Desc& d);
  void tcp_epipe_seen(Desc& d);
  // The results a write of n may give; with assume_room, as if the buffer had room (what a
  // `later` write gives if the main thread reads first).
  RetSet write_expect(const Desc& d, uint64_t n, RuleId& rule, bool assume_room = false) const;
  Check write(size_t i, const Step& s, const Observation& obs);
  void unix_send_failed(DescId id, int64_t ret);
  void pipe_write_attempted(const Desc& d);
  RetSet unconnected_read(const Desc& d) const;
  void unconnected_read_seen(Desc& d, int64_t ret);
  Check read(size_t i, const Step& s, const Observation& obs);
  Check read_eventfd(size_t i, Desc& d, const Observation& obs, uint64_t n);
  RetSet stream_read_counts(const Desc& d, const model::Channel& c, uint64_t n) const;
  Check fill(size_t i, const Step& s, const Observation& obs);
  RetSet fill_end(const Desc& d, uint64_t chunk, RuleId& rule) const;
  Check fill_count(size_t i, const Desc& d, const Observation& obs, uint64_t chunk);
  Check drain(size_t i, const Step& s, const Observation& obs);
  Check drain_eventfd(size_t i, Desc& d, const Observation& obs, uint64_t chunk);
  Check check_data(size_t i, model::ChanId ch, const Observation& obs);
  Check bytes_checked(size_t i, model::ChanId ch, const std::optional<model::StreamBytes::Mismatch>& m,
                      std::optional<uint64_t> plain, const std::string& who);
  // Family 2/3: readiness.
  Check epoll_ctl(size_t i, const Step& s, const Observation& obs, int op);
  Check poll(size_t i, const Step& s, const Observation& obs, bool select);
  // io_uring: rings and submission (uring_submit.cpp).
  Check uring_step(size_t i, const Step& s, const Observation& obs);
  Check uring_queue(size_t i, const Step& s, const Observation& obs);
  Check uring_submit(size_t i, const Step& s, const Observation& obs);
  void link_chains(model::RingModel& ring, const std::vector<uint32_t>& queued, size_t per, uint64_t now);
  void fail_refused_chains(const std::vector<uint32_t>& queued);
  void hold_behind_drain(uint32_t ri, const std::vector<uint32_t>& queued);
  void start_request(size_t i, model::Req& r);
  void start_eventfd_request(model::Req& r, Desc& d);
  void start_channel_read(model::Req& r, Desc& d);
  void start_channel_write(size_t i, model::Req& r, Desc& d);
  void uring_ring_closed(size_t i, uint32_t ri);
  // One final CQE being judged (uring_cqe.cpp), pass by pass.
  struct CancelEvidence {
    bool possible = false;  // something may have cancelled it (by the rules)
    TolId tol = kNoTol;     // ... or only by what this tolerance allows
    bool denied = false;    // a canceller said it did not
    RuleId denied_by = RuleId::UringCancelConsistent;
  };
  struct FinalCqe {
    size_t step;
    model::Req& r;
    const Completion& c;
    std::string_view data;
    std::string name;
    uint64_t now;
    bool broken = false;              // an earlier member of its chain failed
    bool after_hard_failure = false;  // its hardlinked predecessor failed
    CancelEvidence cancel{};
  };
  Check uring_cqe(size_t i, model::Req& r, const Completion& c, std::string_view data);
  Check check_after_final(size_t i, const model::Req& r, const Completion& c, const std::string& name);
  void count_for_count_timeouts(const model::Req& r, const Completion& c);
  Check check_more(size_t i, model::Req& r, const Completion& c, const std::string& name);
  void settle_final(FinalCqe& f);
  bool success(const model::Req& r, int64_t res) const;
  bool refused(const model::Req& q) const;
  Check check_chain_order(FinalCqe& f);
  Check check_drain_order(FinalCqe& f);
  void chain_state(FinalCqe& f);
  CancelEvidence cancel_evidence(const model::Req& r) const;
  Check check_result(FinalCqe& f, const RetSet& allowed, RuleId rule, const std::string& detail);
  Check check_count_timeout(FinalCqe& f);
  // Results (uring_result.cpp).
  RetSet allowed_result(FinalCqe& f, RuleId& rule, std::string& detail);
  RetSet op_result(const model::Req& r, RuleId& rule, std::string& detail);
  void add_other_ends(FinalCqe& f, RetSet& allowed, RuleId& rule, std::string& detail);
  RetSet multi_cancel_result(const model::Req& r, RuleId& rule, std::string& detail);
  RetSet cancel_result(const model::Req& r, RuleId& rule, std::string& detail);
  struct NotFound {
    bool ruled = false;   // the target may have completed: ENOENT is allowed
    TolId tol = kNoTol;   // ... or only by what this tolerance allows
  };
  NotFound why_not_found(const model::Req& r, const model::Req& t) const;
  bool target_blocked(const model::Req& r, const model::Req& t, NotFound& nf) const;
  RetSet rw_result(const model::Req& r, RuleId& rule, std::string& detail);
  RetSet read_result(const model::Req& r, const Desc& d, RuleId& rule, std::string& detail);
  // The counts a cancelled MSG_WAITALL send or recv may end with instead of -ECANCELED.
  RetSet moved_before_cancel(const model::Req& r) const;
  // May io-wq run request r (so that Linux counts its cancellation loosely)?
  bool maybe_in_iowq(const model::Req& r) const;
  bool may_count_itself(const model::Req& c) const;
  // Pairs, masks and effects (uring_pairs.cpp).
  Check check_poll_mask(size_t i, const model::Req& r, int64_t res, const std::string& name);
  Check check_cancel_pair(FinalCqe& f);
  struct OtherCanceller {
    bool ruled = false;
    TolId tol = kNoTol;
  };
  OtherCanceller other_canceller(const model::Req& t, uint32_t except) const;
  Check check_link_timeout_pair(FinalCqe& f);
  Check silence_broken_links(FinalCqe& f);
  Check uring_cqe_effects(size_t i, model::Req& r, int64_t res, std::string_view data);
  Check channel_read_ended(size_t i, model::Req& r, Desc& d, int64_t res, std::string_view data);
  void eventfd_request_ended(model::Req& r, Desc& d, int64_t res, std::string_view data);
  Check file_request_ended(size_t i, model::Req& r, int64_t res, std::string_view data);
  // Reaping (uring_due.cpp).
  Check uring_reap(size_t i, const Step& s, const Observation& obs);
  Check uring_cancel_counts(size_t i);
  struct CountBounds {
    int64_t lo = 0, hi = 0;         // by the rules
    int64_t lo_excused = 0, hi_extra = 0;  // widened by `tol`
    TolId tol = kNoTol;
    bool settled = true;            // every request it may have found has ended
  };
  CountBounds cancel_count_bounds(const model::Req& c) const;
  Check uring_settled(size_t i, model::RingModel& ring, const Observation& obs, int64_t timeout_ms, int64_t min, int64_t max);
  Check check_sync_cancels(size_t i, uint32_t ri);
  const model::Req* blocking_request(uint32_t ri, const model::Req& r, int64_t timeout_ms) const;
  void note_ltimeout_bug(size_t i, uint32_t ri, int64_t timeout_ms);
  bool ltimeout_blocked_in_iowq(const model::Req& guarded) const;
  // Must request r (of ring ri) post its final CQE within a wait of timeout_ms? The rule
  // that promises it, or none.
  std::optional<RuleId> uring_cqe_due(uint32_t ri, const model::Req& r, int64_t timeout_ms) const;
  std::optional<RuleId> rw_due(const model::Req& r, bool quick) const;
  // Must request r have started (been issued) within a wait of timeout_ms?
  bool uring_start_due(uint32_t ri, const model::Req& r, int64_t timeout_ms) const;
  // Is an armed multishot poll r, woken while its fd is ready, certain to post again?
  bool uring_more_due(uint32_t ri, const model::Req& r, int64_t timeout_ms) const;
  // Hooks with read(2), write(2) and close(2) (uring_oracle.cpp).
  void uring_close(ResId r);
  void uring_released_holder(const model::Req& r);
  void uring_before_absorb();
  Check file_read(size_t i, Desc& d, const Observation& obs, uint64_t n);
  Check file_mismatch(size_t i, const model::FileContent::Mismatch& m, const std::string& who);
  void file_write(DescId d, uint64_t n);
  // Races (uring_race.cpp) and wait_ready through the via paths (uring_via.cpp).
  Check race(size_t i, const Step& s, const Observation& obs);
  void race_unfollowed(DescId rd, DescId wr, uint64_t bytes);
  Check wait_ready(size_t i, const Step& s, const Observation& obs);
};

}  // namespace ringside
