// The set-of-masks logic the readiness rules rest on.
#include <catch2/catch.hpp>

#include "oracle/readiness.hpp"

using namespace ringside;

TEST_CASE("a ReadySet allows exactly the unions of its possible conditions", "[oracle][readiness]") {
  ReadySet r;
  r.add(ev::Out, Level::Yes, RuleId::PollOut);
  r.add(ev::In, Level::Soon, RuleId::PollIn, Cond::RxData, 0);
  r.add(ev::In | ev::RdHup, Level::Maybe, RuleId::PollRdhup, Cond::RxEof, 0);
  r.add(ev::Err, Level::No, RuleId::PollErr);
  uint32_t f = ev::Modeled;
  CHECK(r.allows(ev::Out, f));
  CHECK(r.allows(ev::Out | ev::In, f));
  CHECK(r.allows(ev::Out | ev::In | ev::RdHup, f));
  CHECK_FALSE(r.allows(ev::Out | ev::RdHup, f));  // RDHUP comes with IN
  CHECK_FALSE(r.allows(ev::In, f));                // OUT is certain
  CHECK_FALSE(r.allows(ev::Out | ev::Err, f));
  CHECK(r.blame(ev::In, f) == RuleId::PollOut);
  CHECK(r.blame(ev::Out | ev::Err, f) == RuleId::PollErr);
  CHECK(r.blame(ev::Out | ev::Pri, f) == RuleId::PollUnexpected);
  // Filtered by interest: OUT not asked for.
  CHECK(r.allows(0, ev::In | ev::Err | ev::Hup));
  // Seeing RDHUP implies the end-of-stream condition.
  auto on = r.implied_on(ev::Out | ev::In | ev::RdHup, f);
  REQUIRE(on.size() == 1);
  CHECK(on[0]->cond == Cond::RxEof);
  // Seeing IN alone is explained only by the data condition.
  on = r.implied_on(ev::Out | ev::In, f);
  REQUIRE(on.size() == 1);
  CHECK(on[0]->cond == Cond::RxData);
}

TEST_CASE("select's sets are judged through the poll masks that produce them", "[oracle][readiness]") {
  ReadySet r;
  r.add(ev::Hup, Level::Yes, RuleId::PollHup);
  auto sets = [](uint32_t m) {
    uint32_t o = 0;
    if (m & (ev::In | ev::Hup | ev::Err)) o |= ev::In;
    if (m & (ev::Out | ev::Err)) o |= ev::Out;
    return o;
  };
  CHECK(r.allows_mapped(ev::In, sets));  // HUP makes a fd readable for select
  CHECK_FALSE(r.allows_mapped(0, sets));
}
