//===- Passes.h - The loom dialect's own transformations --------*- C++ -*-===//

#ifndef LOOM_DIALECTS_LOOM_TRANSFORMS_PASSES_H
#define LOOM_DIALECTS_LOOM_TRANSFORMS_PASSES_H

#include "mlir/Pass/Pass.h"
#include <memory>

namespace mlir::loom {

#define GEN_PASS_DECL
#include "dialects/loom/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "dialects/loom/Transforms/Passes.h.inc"

// Marks the ops -loom-rematerialize creates, and the ops lowered from them:
// a recomputation identical to the forward computation must not be merged
// back into it by CSE.
inline constexpr llvm::StringLiteral kRecomputedAttr = "loom.recomputed";

} // namespace mlir::loom

#endif // LOOM_DIALECTS_LOOM_TRANSFORMS_PASSES_H
