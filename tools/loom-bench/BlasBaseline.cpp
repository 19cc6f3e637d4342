//===- BlasBaseline.cpp - OpenBLAS sgemm at a product's shape -------------===//

#include "BlasBaseline.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <tuple>
#include <vector>

extern "C" {
#include <cblas.h>
// Not declared by every cblas.h.
void openblas_set_num_threads(int threads);
char *openblas_get_config(void);
char *openblas_get_corename(void);
}

using namespace loomc::bench;

std::string ProductShape::text() const {
  char buffer[96];
  std::snprintf(buffer, sizeof(buffer), "%s M=%lld N=%lld K=%lld",
                lhsT ? "A^T.B" : (rhsT ? "A.B^T" : "A.B"), static_cast<long long>(m),
                static_cast<long long>(n), static_cast<long long>(k));
  return buffer;
}

bool ProductShape::operator<(const ProductShape &other) const {
  return std::tie(m, n, k, lhsT, rhsT) <
         std::tie(other.m, other.n, other.k, other.lhsT, other.rhsT);
}

double loomc::bench::openblasRate(const ProductShape &shape, int threads,
                                  int repetitions) {
  openblas_set_num_threads(threads);
  std::vector<float> a(shape.m * shape.k, 1.0f / 64), b(shape.k * shape.n, 1.0f / 64),
      c(shape.m * shape.n);
  auto call = [&] {
    cblas_sgemm(CblasRowMajor, shape.lhsT ? CblasTrans : CblasNoTrans,
                shape.rhsT ? CblasTrans : CblasNoTrans, shape.m, shape.n, shape.k,
                1.0f, a.data(), shape.lhsT ? shape.m : shape.k, b.data(),
                shape.rhsT ? shape.k : shape.n, 0.0f, c.data(), shape.n);
  };
  call();
  double best = 1e30;
  for (int r = 0; r < repetitions; ++r) {
    auto start = std::chrono::steady_clock::now();
    call();
    std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    best = std::min(best, elapsed.count());
  }
  return shape.flops() / best * 1e-9;
}

std::string loomc::bench::openblasDescription() {
  return std::string(openblas_get_config()) + ", kernel " + openblas_get_corename();
}
