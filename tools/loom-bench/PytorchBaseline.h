//===- PytorchBaseline.h - PyTorch's bf16 matmul at a product's shape -*- C++ -*-===//

#ifndef LOOM_TOOLS_LOOMBENCH_PYTORCHBASELINE_H
#define LOOM_TOOLS_LOOMBENCH_PYTORCHBASELINE_H

#include "BlasBaseline.h"

#include <map>
#include <string>
#include <vector>

namespace loomc::bench {

// What bench/pytorch_products.py measured: GFLOP/s per shape, and what ran
// ("torch 1.13.0, torch.bfloat16 matmul, 2 threads, oneDNN on"); or, when
// it could not run (no PyTorch for /usr/bin/python3), why.
struct PytorchRates {
  std::map<ProductShape, double> gflops;
  std::string description;
  std::string why;
};

// PyTorch's bf16 matmul (oneDNN's kernels on an AVX-512 CPU) at every
// shape, on `threads` threads, the fastest of `repetitions` calls each: the
// baseline of Loom's bf16 products. One Python process for all of them.
PytorchRates pytorchBf16Rates(const std::vector<ProductShape> &shapes,
                              int threads, int repetitions);

} // namespace loomc::bench

#endif // LOOM_TOOLS_LOOMBENCH_PYTORCHBASELINE_H
