//===- MachinePeak.h - The machine's multiply-add peak ----------*- C++ -*-===//

#ifndef LOOM_TOOLS_LOOMBENCH_MACHINEPEAK_H
#define LOOM_TOOLS_LOOMBENCH_MACHINEPEAK_H

#include <string>

namespace loomc::bench {

// The rate of a loop that does nothing but independent vector multiply-adds
// on registers, on `threads` threads: the ceiling no product, and no
// training step, can pass on this machine. GFLOP/s, the best of a few runs.
struct MachinePeak {
  double gflops = 0;
  std::string instructions; // "AVX-512", "AVX2", or "scalar"
};
MachinePeak measureMachinePeak(int threads);

} // namespace loomc::bench

#endif // LOOM_TOOLS_LOOMBENCH_MACHINEPEAK_H
