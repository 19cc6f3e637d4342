//===- DecodeBench.h - Prefill and decode against the weights' read -*- C++ -*-===//

#ifndef LOOM_TOOLS_LOOMBENCH_DECODEBENCH_H
#define LOOM_TOOLS_LOOMBENCH_DECODEBENCH_H

#include "BenchOptions.h"

namespace loomc::bench {

// loom-bench --decode: for each case, the inference entry points of its
// fused build, timed side by side in interleaved rounds -- a prefill of the
// compiled prompt length, a decode step at position `length - 1` over a
// filled cache, the same next-token logits without the cache (a prefill of
// all `length` tokens, as nanoGPT's sample.py computes them), and a probe
// reading the parameters' bytes once from memory, the bound of a batch-1
// decode step. Returns the process's exit status.
int runDecodeBench(const Options &options, const std::vector<Case> &cases,
                   const std::string &dir);

} // namespace loomc::bench

#endif // LOOM_TOOLS_LOOMBENCH_DECODEBENCH_H
