//===- Lowerings.h - loom ops to linalg, one function per op family -*- C++ -*-===//
//
// Each function lowers the ops of one family (LinearAlgebraOps.td,
// ElementwiseOps.td, ...) and returns std::nullopt for ops of other
// families. `group` is the fusion group given to the linalg ops of a fused
// op.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_COMPILER_CODEGEN_LOWERINGS_H
#define LOOM_COMPILER_CODEGEN_LOWERINGS_H

#include "compiler/codegen/LinalgBuilder.h"
#include <optional>

namespace loomc::codegen {

using Lowered = std::optional<llvm::SmallVector<mlir::Value>>;

Lowered lowerProductOp(LinalgBuilder &l, mlir::Operation *op,
                       mlir::IntegerAttr group);
Lowered lowerElementwiseOp(LinalgBuilder &l, mlir::Operation *op);
Lowered lowerNormalizationOp(LinalgBuilder &l, mlir::Operation *op);
Lowered lowerAttentionOp(LinalgBuilder &l, mlir::Operation *op);
Lowered lowerShapeOp(LinalgBuilder &l, mlir::Operation *op);
Lowered lowerLossOp(LinalgBuilder &l, mlir::Operation *op);
Lowered lowerOptimizerOp(LinalgBuilder &l, mlir::Operation *op);

} // namespace loomc::codegen

#endif // LOOM_COMPILER_CODEGEN_LOWERINGS_H
