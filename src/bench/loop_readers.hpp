// The three file-read designs that live in an epoll loop. Each reads the whole
// file once per pass and does at most one buffer's work per loop iteration,
// so that the loop gets back to its connections between buffers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/loop_design.hpp"
#include "bench/loop_file.hpp"

namespace ringside::bench {

class FileReader {
 public:
  virtual ~FileReader() = default;
  // Begins a pass over [0, size) of `fd`. "" or why it cannot.
  virtual std::string start(int fd, std::uint64_t size) = 0;
  // What the loop waits on during a pass; -1: the loop calls step() on every
  // iteration and never sleeps (the blocking design).
  virtual int wait_fd() const = 0;
  // At most one buffer: feeds it to `digest` and `bytes`. True when the pass
  // is over: the file was read to its end, or error() says why not.
  virtual bool step(Digest& digest, std::uint64_t& bytes) = 0;
  // Ends the pass (threads joined, descriptors closed).
  virtual void finish() = 0;
  const std::string& error() const { return error_; }
  // The blocking design's read() durations, else empty.
  virtual std::vector<int64_t> take_read_times() { return {}; }

 protected:
  std::string error_;
};

// `design` is blocking, wrapper or helper (libuv has its own loop).
std::unique_ptr<FileReader> make_reader(LoopDesign design, const ServerPlan& plan);

// Why the wrapper design cannot run here (io_uring refused: a skip), or "".
std::string wrapper_unavailable(int fd);

}  // namespace ringside::bench
