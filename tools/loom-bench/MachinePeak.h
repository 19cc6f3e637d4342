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

// The same for products of bf16 pairs accumulated in fp32 (a multiply and
// an add per pair): AMX tile multiplies on tile registers where the CPU has
// AMX-BF16 (and Linux grants the process its tile state), AVX512-BF16's
// vdpbf16ps on vector registers otherwise. gflops 0 and `instructions`
// saying why when it has neither.
MachinePeak measureBf16Peak(int threads);

} // namespace loomc::bench

#endif // LOOM_TOOLS_LOOMBENCH_MACHINEPEAK_H
