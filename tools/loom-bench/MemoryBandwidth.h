//===- MemoryBandwidth.h - The machine's memory bandwidth -------*- C++ -*-===//

#ifndef LOOM_TOOLS_LOOMBENCH_MEMORYBANDWIDTH_H
#define LOOM_TOOLS_LOOMBENCH_MEMORYBANDWIDTH_H

#include <cstdint>
#include <string>

namespace loomc::bench {

// The fastest that streaming loops over float arrays of `arrayBytes` each
// (far larger than the last-level cache) move data on `threads` threads,
// counting each array read or written once: GB/s (1e9 bytes), and the
// loop that reached it. The loops are STREAM's triad a = b + s·c, the
// same in place a = a + s·b (no read for ownership of a fresh output), and
// an update of three arrays in place from a fourth, as an optimizer does:
// which is fastest varies with the machine, and the machine can move at
// least that much.
struct MemoryBandwidth {
  double gbPerSecond = 0;
  std::string loop;
};
MemoryBandwidth measureMemoryBandwidth(int threads, int64_t arrayBytes);

} // namespace loomc::bench

#endif // LOOM_TOOLS_LOOMBENCH_MEMORYBANDWIDTH_H
