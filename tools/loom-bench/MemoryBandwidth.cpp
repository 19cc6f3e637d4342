//===- MemoryBandwidth.cpp - The machine's memory bandwidth ---------------===//
//
// The memory side of a roofline: an elementwise op, a norm or an optimizer
// update can go no faster than its tensors can be read and written, and
// loom-bench --breakdown reports each against whichever of this rate and
// the FMA peak bounds it.
//
//===----------------------------------------------------------------------===//

#include "MemoryBandwidth.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <omp.h>

using namespace loomc::bench;

double loomc::bench::measureMemoryBandwidth(int threads, int64_t arrayBytes) {
  const int64_t n = arrayBytes / static_cast<int64_t>(sizeof(float));
  std::unique_ptr<float[]> a(new float[n]), b(new float[n]), c(new float[n]);
  // First touch on the threads that will stream them, as STREAM does.
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t i = 0; i < n; ++i) {
    a[i] = 0.0f;
    b[i] = 1.0f;
    c[i] = 2.0f;
  }
  const float scale = 3.0f;
  double best = 1e30;
  for (int run = 0; run < 6; ++run) {
    auto start = std::chrono::steady_clock::now();
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t i = 0; i < n; ++i)
      a[i] = b[i] + scale * c[i];
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    // The first run pays for page faults on `a`'s first writes.
    if (run > 0)
      best = std::min(best, elapsed.count());
    std::swap(a, b);
  }
  return 3.0 * static_cast<double>(arrayBytes) / best * 1e-9;
}
