//===- Passes.h - The loom dialect's own transformations --------*- C++ -*-===//

#ifndef LOOM_DIALECTS_LOOM_TRANSFORMS_PASSES_H
#define LOOM_DIALECTS_LOOM_TRANSFORMS_PASSES_H

#include "mlir/Pass/Pass.h"
#include <array>
#include <memory>

namespace mlir::loom {

// Why -loom-fuse-linear left a chain alone; each reason is one of the
// pass's statistics (Passes.td).
enum class UnfusedReason {
  severalActivations, // the pre-activation feeds several activations
  productUses,        // the product x·W has other uses
  preActivationUses,  // the pre-activation has another use
  gradientUses,       // the pre-activation gradient feeds another op
  operandOrder,       // an operand is computed after the gradient products
};
inline constexpr unsigned kUnfusedReasons = 5;

// The counts of -loom-fuse-linear's statistics, for a caller to read
// (Pass::Statistic counts nothing in LLVM builds without assertions).
struct FusionStatistics {
  unsigned fused = 0;
  std::array<unsigned, kUnfusedReasons> unfused = {};

  unsigned unfusedTotal() const {
    unsigned total = 0;
    for (unsigned count : unfused)
      total += count;
    return total;
  }
};

#define GEN_PASS_DECL
#include "dialects/loom/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "dialects/loom/Transforms/Passes.h.inc"

// -loom-fuse-linear, adding its counts to `statistics` as it runs.
std::unique_ptr<Pass> createLoomFuseLinearPass(FusionStatistics &statistics);

} // namespace mlir::loom

#endif // LOOM_DIALECTS_LOOM_TRANSFORMS_PASSES_H
