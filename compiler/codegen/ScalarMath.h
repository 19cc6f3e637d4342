//===- ScalarMath.h - The scalar formulas of loom's ops ---------*- C++ -*-===//
//
// Every lowering of an op builds its arithmetic through these functions, so
// that a fused op and the unfused chain it replaces compute bit-identical
// values.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_COMPILER_CODEGEN_SCALARMATH_H
#define LOOM_COMPILER_CODEGEN_SCALARMATH_H

#include "dialects/loom/IR/LoomDialect.h"
#include "mlir/IR/Builders.h"

namespace loomc::scalar {

// `value` as a constant of `like`'s type, or of its element type: f32, or
// f64 in --precision=fp64's entry points.
mlir::Value constant(mlir::OpBuilder &b, mlir::Location loc, mlir::Value like,
                     double value);

// y = f(x) for an activation; `none` returns x.
mlir::Value activation(mlir::OpBuilder &b, mlir::Location loc,
                       mlir::loom::Activation kind, mlir::Value x);

// dx = dy · f'(·) from what the activation's gradient saves: the input for
// gelu, the output for relu and tanh.
mlir::Value activationGrad(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::loom::Activation kind, mlir::Value saved,
                           mlir::Value dy);

// silu(x) = x·σ(x) and its derivative σ(x)·(1 + x·(1 − σ(x))).
mlir::Value silu(mlir::OpBuilder &b, mlir::Location loc, mlir::Value x);
mlir::Value siluDerivative(mlir::OpBuilder &b, mlir::Location loc,
                           mlir::Value x);

} // namespace loomc::scalar

#endif // LOOM_COMPILER_CODEGEN_SCALARMATH_H
