// `ringside bench` option handling. Only paths that return before measuring.
#include <catch2/catch.hpp>

#include <sstream>

#include "bench/bench_cli.hpp"

using ringside::bench::run_cli;

namespace {

int run(std::vector<std::string> args, std::string* out_text = nullptr, std::string* err_text = nullptr) {
  std::ostringstream out, err;
  const int rc = run_cli(args, out, err);
  if (out_text) *out_text = out.str();
  if (err_text) *err_text = err.str();
  return rc;
}

}  // namespace

TEST_CASE("bench cli: --help prints usage and succeeds", "[bench]") {
  std::string out;
  CHECK(run({"--help"}, &out) == 0);
  CHECK_THAT(out, Catch::Contains("Usage: ringside bench") && Catch::Contains("--compare"));
}

TEST_CASE("bench cli: misuse prints usage to err and returns 2", "[bench]") {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--bogus"}, {"extra-positional"}, {"--json"}, {"--threshold", "abc"},
        {"--threshold", "0"}, {"--threshold", "-5"}, {"--threshold", "nan"}, {"--quick=yes"}}) {
    std::string out, err;
    INFO(args.front());
    CHECK(run(args, &out, &err) == 2);
    CHECK_THAT(err, Catch::Contains("Usage: ringside bench"));
    CHECK(out.empty());
  }
}

TEST_CASE("bench cli: an unreadable baseline fails before measuring", "[bench]") {
  std::string out, err;
  CHECK(run({"--compare", "/nonexistent/ringside-bench.json"}, &out, &err) == 2);
  CHECK_THAT(err, Catch::Contains("cannot read"));
  CHECK(out.empty());
}

TEST_CASE("bench loop cli: --help and misuse", "[bench][loop]") {
  std::string out, err;
  CHECK(run({"loop", "--help"}, &out) == 0);
  CHECK_THAT(out, Catch::Contains("Usage: ringside bench loop") && Catch::Contains("--connections"));
  CHECK(run({"--help"}, &out) == 0);
  CHECK_THAT(out, Catch::Contains("ringside bench loop"));
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"loop", "--bogus"}, {"loop", "stray"}, {"loop", "--connections", "0"},
        {"loop", "--connections", "16,x"}, {"loop", "--cache", "lukewarm"}, {"loop", "--designs", "threads"},
        {"loop", "--buffer-kib", "6"}, {"loop", "--size-mib", "1", "--buffer-kib", "384"}, {"loop", "--depth", "0"},
        {"loop", "--rate", "-1"}, {"loop", "--rate", "nan"}, {"loop", "--seconds", "-2"}}) {
    INFO(args[1]);
    CHECK(run(args, &out, &err) == 2);
    CHECK_THAT(err, Catch::Contains("Usage: ringside bench loop"));
    CHECK(out.empty());
  }
}
