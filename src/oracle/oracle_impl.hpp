// Internals of the Oracle shared by the files that implement its rules by family.
#pragma once
#include <cerrno>
#include <map>

#include "oracle/epoll_model.hpp"
#include "oracle/expect.hpp"
#include "oracle/fd_model.hpp"
#include "oracle/oracle.hpp"

namespace ringside {

using model::Desc;
using model::DescId;
using model::kNone;
using model::Sock;

struct Oracle::Impl {
  Impl(const Program& p, Profile prof) : prog(p), profile(prof), fds(prof), epoll(fds) {}

  const Program& prog;
  Profile profile;
  model::FdModel fds;
  model::EpollModel epoll;
  // Predictions for `later` steps, checked at join.
  std::map<uint32_t, RetSet> later_expect;
  std::map<uint32_t, RuleId> later_rule;

  bool linux_profile() const { return profile == Profile::Linux; }
  const Step& step(size_t i) const { return prog.steps[i]; }
  Desc& d_of(ResId r) { return fds.desc(fds.desc_of(r)); }
  DescId id_of(ResId r) const { return fds.desc_of(r); }

  // Check `got` (the part of the observation `what` names) against `allowed`.
  Check expect(size_t i, RuleId rule, const RetSet& allowed, int64_t got, std::string detail = {},
               Judged what = Judged::Ret, uint64_t ref = 0) {
    fds.exercise(rule);
    if (allowed.contains(got)) return std::nullopt;
    Violation v{rule, i, allowed.text(), result_text(got), std::move(detail)};
    v.allowed.what = what;
    v.allowed.ranges = allowed.ranges();
    v.allowed.ref = ref;
    return v;
  }
  Check violation(size_t i, RuleId rule, std::string expected, std::string observed, std::string detail = {}) const {
    return Violation{rule, i, std::move(expected), std::move(observed), std::move(detail)};
  }

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
};

}  // namespace ringside
