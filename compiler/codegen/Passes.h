//===- Passes.h - Lowering loom to native code ------------------*- C++ -*-===//

#ifndef LOOM_COMPILER_CODEGEN_PASSES_H
#define LOOM_COMPILER_CODEGEN_PASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace loomc {

#define GEN_PASS_DECL
#include "compiler/codegen/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "compiler/codegen/Passes.h.inc"

// The attribute that marks the linalg ops lowered from one fused loom op.
inline constexpr llvm::StringLiteral kFusionGroupAttr = "loom.fusion_group";

// Marks a copy that only rearranges a product's operand for it (the
// transpose of a weight read as Wᵀ): loom-tile-and-vectorize computes it
// block by block inside the product's reduction loop instead of whole.
inline constexpr llvm::StringLiteral kPackAttr = "loom.pack";

// Marks an scf.forall that a lowering built itself, one iteration per
// thread's share of the work (attention's heads): loom-tile-and-vectorize
// tiles the linalg ops inside it into register tiles only.
inline constexpr llvm::StringLiteral kThreadBlockAttr = "loom.thread_block";

} // namespace loomc

#endif // LOOM_COMPILER_CODEGEN_PASSES_H
