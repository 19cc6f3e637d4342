//===- LoomBuilders.h - Building loom ops with derived types ----*- C++ -*-===//
//
// Helpers that compute result types from operand shapes, so that verifiers,
// gradient rules, the front end and the fusion pass agree on shape rules and
// create ops without repeating shape arithmetic.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_DIALECTS_LOOM_IR_LOOMBUILDERS_H
#define LOOM_DIALECTS_LOOM_IR_LOOMBUILDERS_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include <string>

namespace mlir::loom {

enum class Activation : uint32_t; // LoomEnums.h.inc

// "256x64" for tensor<256x64xf32>, "scalar" for rank 0.
std::string shapeString(ArrayRef<int64_t> shape);

// The result shape of loom.matmul (see its description), or failure with
// the reason in `why` ("lhs is 8x4 and rhs is 5x3 ...").
FailureOr<SmallVector<int64_t>> matmulResultShape(ArrayRef<int64_t> lhs,
                                                  ArrayRef<int64_t> rhs,
                                                  bool transposeLhs,
                                                  bool transposeRhs,
                                                  std::string &why);

// The K of a product: the contracted extent.
int64_t matmulInnerSize(ArrayRef<int64_t> lhs, bool transposeLhs);

// Broadcast shape of `lhs + rhs` under loom.add's rule (the lower-rank operand
// equals the trailing dimensions of the other), or failure.
FailureOr<SmallVector<int64_t>> addResultShape(ArrayRef<int64_t> lhs,
                                               ArrayRef<int64_t> rhs);

Value createMatmul(OpBuilder &builder, Location loc, Value lhs, Value rhs,
                   bool transposeLhs = false, bool transposeRhs = false);
Value createAdd(OpBuilder &builder, Location loc, Value lhs, Value rhs);

// `activation` applied to `input` by the op of that kind (ActivationOpInterface);
// `input` itself for `none`.
Value createActivation(OpBuilder &builder, Location loc, Activation activation,
                       Value input);

// Sums `input` over leading dimensions down to `shape`; returns `input` itself
// when the shapes already agree.
Value createReduceSumTo(OpBuilder &builder, Location loc, Value input,
                        ArrayRef<int64_t> shape);

// `shape` with its last dimension replaced by `last`.
SmallVector<int64_t> withLastDim(ArrayRef<int64_t> shape, int64_t last);

} // namespace mlir::loom

#endif // LOOM_DIALECTS_LOOM_IR_LOOMBUILDERS_H
