// Stand-alone `ringside-bench`, for developing the benchmark; the ringside
// CLI offers the same as `ringside bench`.
#include <iostream>
#include <string>
#include <vector>

#include "bench/bench_cli.hpp"

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  return ringside::bench::run_cli(args, std::cout, std::cerr);
}
