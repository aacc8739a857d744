// The script language: parsing, clear errors, and the print/parse round trip.
#include <catch2/catch.hpp>

#include "gen/generator.hpp"
#include "program/script.hpp"
#include "runner/suite.hpp"

using namespace ringside;

namespace {
std::string error_of(const std::string& text) {
  auto r = parse_script(text, "t.scn");
  REQUIRE_FALSE(r.ok());
  return r.error->text();
}
}  // namespace

TEST_CASE("a script with headers, outputs, parameters and later steps parses", "[script]") {
  auto r = parse_script(
      "# comment\n"
      "purpose: demo of things\n"
      "tags: a, b\n"
      "requires: ipv6\n"
      "l = listen tcp6 backlog=0\n"
      "c = socket tcp6 nonblock   # trailing comment\n"
      "connect c l\n"
      "ep = epoll\n"
      "epoll_add ep c out|et\n"
      "epoll_wait ep max=4 timeout=1s\n"
      "later 5ms write c 4k\n"
      "join\n",
      "demo.scn");
  REQUIRE(r.ok());
  const Program& p = r.program;
  CHECK(p.purpose == "demo of things");
  CHECK(p.tags == std::vector<std::string>{"a", "b"});
  CHECK(p.requires_ == std::vector<std::string>{"ipv6"});
  REQUIRE(p.steps.size() == 8);
  CHECK(p.res(p.steps[0].outs[0]).kind == ResKind::TcpListener);
  CHECK(p.steps[0].param(1) == 0);
  CHECK(p.steps[1].param(1) == 1);  // nonblock
  CHECK(p.steps[4].param(0) == static_cast<int64_t>(0x80000004u));
  CHECK(p.steps[5].param(0) == 4);
  CHECK(p.steps[5].param(1) == 1000);
  CHECK(p.steps[6].later);
  CHECK(p.steps[6].delay_us == 5000);
  CHECK(p.steps[6].param(0) == 4096);
  CHECK(p.steps[6].loc.line == 11);
}

TEST_CASE("bad scripts are rejected with file:line:col and what was expected", "[script]") {
  CHECK(error_of("bogus x\n") == "t.scn:1:1: expected a step name, found 'bogus'");
  CHECK(error_of("e = eventfd\nwrite x 1\n") == "t.scn:2:7: unknown resource 'x'");
  CHECK(error_of("e = eventfd\nepoll_add e e in\n") == "t.scn:2:11: 'e' is a eventfd, expected epoll");
  CHECK(error_of("r, w = pipe\nclose r\nread r 1\n") == "t.scn:3:6: resource 'r' is closed");
  CHECK(error_of("e = eventfd\ne = eventfd\n") == "t.scn:2:1: resource 'e' is already defined");
  CHECK(error_of("s = socket tcp5\n") ==
        "t.scn:1:12: expected domain: one of tcp4, tcp6, unix_stream, unix_dgram, found 'tcp5'");
  CHECK(error_of("e = eventfd\nwrite e\n") == "t.scn:2:8: expected n: a size (e.g. 100, 4k, 1M)");
  CHECK(error_of("ep = epoll\nepoll_wait ep max=x\n") == "t.scn:2:19: expected an integer, found 'x'");
  CHECK(error_of("ep = epoll\nepoll_wait ep colour=3\n") ==
        "t.scn:2:15: 'epoll_wait' has no parameter 'colour'; expected one of: max timeout");
  CHECK(error_of("socket tcp4\n") == "t.scn:1:1: 'socket' creates 1 resource(s); write 'name = socket ...'");
  CHECK(error_of("r, w = pipe\nlater 5ms r2 = dup r\n").find("cannot create") != std::string::npos);
  CHECK(error_of("e = eventfd\nlater 1ms read e 8\n").find("cannot run `later`") != std::string::npos);
  CHECK(error_of("c = socket tcp4\nu = listen unix\nconnect c u\n").find("address family") != std::string::npos);
  CHECK(error_of("tags: a, b!\n").find("t.scn:1:") == 0);
  CHECK(error_of("e = eventfd\nwrite e \x01\n").find("printable ASCII") != std::string::npos);
  CHECK(error_of("= eventfd\n") == "t.scn:1:1: expected a resource name before '='");
  CHECK(error_of("a, b = socketpair unix_stream\nd = dup a\nlater 1ms write a 1\nwrite d 1\n") ==
        "t.scn:4:1: a `later` step still uses 'd' (or a dup of it): `join` first");
  CHECK(parse_script("a, b = socketpair unix_stream\nlater 1ms write a 1\njoin\nwrite a 1\n").ok());
}

TEST_CASE("printing then parsing gives the same program (generated programs)", "[script][property]") {
  for (uint64_t seed = 1; seed <= 3000; ++seed) {
    Program p = generate_program(seed);
    REQUIRE(validate(p).empty());
    std::string text = print_script(p);
    auto r = parse_script(text, "gen.scn");
    INFO("seed " << seed << "\n" << text << (r.ok() ? "" : r.error->text()));
    REQUIRE(r.ok());
    REQUIRE(r.program == p);
    REQUIRE(print_script(r.program) == text);
  }
}

TEST_CASE("every embedded scenario parses, has a purpose and tags, and round-trips", "[script][suite]") {
  auto srcs = embedded_scenarios();
  REQUIRE(srcs.size() >= 40);
  for (const auto& s : srcs) {
    INFO(s.path);
    auto r = parse_script(s.text, s.path);
    REQUIRE(r.ok());
    CHECK_FALSE(r.program.purpose.empty());
    CHECK_FALSE(r.program.tags.empty());
    auto again = parse_script(print_script(r.program), s.path);
    REQUIRE(again.ok());
    CHECK(again.program == r.program);
  }
}

TEST_CASE("the parser never crashes on mutated scripts", "[script][property]") {
  auto srcs = embedded_scenarios();
  std::mt19937_64 rng(42);
  for (int i = 0; i < 20000; ++i) {
    std::string t = srcs[rng() % srcs.size()].text;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < edits && !t.empty(); ++k) {
      size_t pos = rng() % t.size();
      switch (rng() % 3) {
        case 0: t[pos] = static_cast<char>(rng() % 128); break;
        case 1: t.erase(pos, 1 + rng() % 8); break;
        default: t.insert(t.begin() + static_cast<std::ptrdiff_t>(pos), "=,|# x1\n"[rng() % 8]); break;
      }
    }
    auto r = parse_script(t, "m.scn");
    if (r.ok()) CHECK(validate(r.program).empty());
    else CHECK(r.error->line >= 1);
  }
}
