//===- BlasBaseline.h - OpenBLAS sgemm at a product's shape -----*- C++ -*-===//

#ifndef LOOM_TOOLS_LOOMBENCH_BLASBASELINE_H
#define LOOM_TOOLS_LOOMBENCH_BLASBASELINE_H

#include <cstdint>
#include <string>

namespace loomc::bench {

// C[M, N] = op(A)·op(B) with K contracted; A is stored [K, M] when lhsT,
// B [N, K] when rhsT.
struct ProductShape {
  int64_t m = 0, n = 0, k = 0;
  bool lhsT = false, rhsT = false;

  double flops() const { return 2.0 * m * n * k; }
  std::string text() const;
  bool operator<(const ProductShape &other) const;
};

// GFLOP/s of OpenBLAS's cblas_sgemm at `shape` on `threads` threads: the
// best of `repetitions` timed calls after one untimed call.
double openblasRate(const ProductShape &shape, int threads, int repetitions);

// "OpenBLAS 0.3.21 ... Cooperlake": the library and the kernel it chose.
std::string openblasDescription();

} // namespace loomc::bench

#endif // LOOM_TOOLS_LOOMBENCH_BLASBASELINE_H
