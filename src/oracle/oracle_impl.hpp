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
  // Predictions for `later` steps, checked at join.
  std::map<uint32_t, RetSet> later_expect;
  std::map<uint32_t, RuleId> later_rule;

  // Are rules about de-facto Linux behaviour checked (strict, linux)?
  bool linux_rules() const { return checks_linux_rules(profile); }
  KernelFacts facts;
  const Step& step(size_t i) const { return prog.steps[i]; }
  Desc& d_of(ResId r) { return fds.desc(fds.desc_of(r)); }
  DescId id_of(ResId r) const { return fds.desc_of(r); }

  // Check `got` (the part of the observation `what` names) against `allowed`: what the
  // rule predicts, or what a tolerance of the profile admits (counted in the ledger).
  Check expect(size_t i, RuleId rule, const RetSet& allowed, int64_t got, std::string detail = {},
               Judged what = Judged::Ret, uint64_t ref = 0) {
    fds.exercise(rule);
    if (allowed.contains_untolerated(got)) return std::nullopt;
    Violation v{rule, i, allowed.text(), result_text(got), std::move(detail)};
    v.allowed.what = what;
    v.allowed.ranges = allowed.ranges(&ledger.policy());
    v.allowed.ref = ref;
    if (ledger.admit_any(allowed.tolerances_for(got), v)) return std::nullopt;
    return v;
  }
  // An observation only tolerance t explains: admitted (counted) if the profile has it,
  // else the violation `v`, naming t as what would admit it.
  Check tolerate(TolId t, Violation v) {
    if (ledger.admit(t, v)) return std::nullopt;
    v.needs = {t};
    return v;
  }
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
  Check dispatch(size_t i, const Step& s, const Observation& obs);
  Check join(size_t i, const Observation& obs);

  // Family 1 and resources.
  Check create(size_t i, const Step& s, const Observation& obs);
  Check connect(size_t i, const Step& s, const Observation& obs);
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
  Check fill(size_t i, const Step& s, const Observation& obs);
  Check drain(size_t i, const Step& s, const Observation& obs);
  Check check_data(size_t i, const Desc& d, const Observation& obs, uint64_t offset);
  // Family 2/3: readiness.
  Check epoll_ctl(size_t i, const Step& s, const Observation& obs, int op);
  Check poll(size_t i, const Step& s, const Observation& obs, bool select);
  // io_uring (uring_oracle.cpp): rings, requests, CQEs, and the hooks that keep read(2)
  // and write(2) on the same channels and files consistent with requests in flight.
  Check uring_step(size_t i, const Step& s, const Observation& obs);
  Check uring_queue(size_t i, const Step& s, const Observation& obs);
  Check uring_submit(size_t i, const Step& s, const Observation& obs);
  Check uring_reap(size_t i, const Step& s, const Observation& obs);
  Check uring_cqe(size_t i, model::Req& r, const Completion& c, std::string_view data);
  Check uring_cqe_effects(size_t i, model::Req& r, int64_t res, std::string_view data);
  Check uring_settled(size_t i, model::RingModel& ring, const Observation& obs, int64_t timeout_ms, int64_t min, int64_t max);
  Check uring_cancel_counts(size_t i);
  // Must request r (of ring ri) post its final CQE within a wait of timeout_ms? The rule
  // that promises it, or none.
  std::optional<RuleId> uring_cqe_due(uint32_t ri, const model::Req& r, int64_t timeout_ms) const;
  // Must request r have started (been issued) within a wait of timeout_ms?
  bool may_count_itself(const model::Req& c) const;
  bool uring_start_due(uint32_t ri, const model::Req& r, int64_t timeout_ms) const;
  // May io-wq run request r (so that Linux counts its cancellation loosely)?
  bool maybe_in_iowq(const model::Req& r) const;
  // The counts a cancelled MSG_WAITALL send or recv may end with instead of -ECANCELED.
  RetSet moved_before_cancel(const model::Req& r) const;
  // Is an armed multishot poll r, woken while its fd is ready, certain to post again?
  bool uring_more_due(uint32_t ri, const model::Req& r, int64_t timeout_ms) const;
  void uring_close(ResId r);
  void uring_before_absorb();
  bool uring_busy(Desc& d, bool reading);
  Check file_read(size_t i, Desc& d, const Observation& obs, uint64_t n);
  void file_write(DescId d, uint64_t n);
  // Races (uring_race.cpp) and wait_ready through the via paths (uring_via.cpp).
  Check race(size_t i, const Step& s, const Observation& obs);
  Check wait_ready(size_t i, const Step& s, const Observation& obs);
};

}  // namespace ringside
