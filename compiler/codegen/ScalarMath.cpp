//===- ScalarMath.cpp - The scalar formulas of loom's ops -----------------===//

#include "compiler/codegen/ScalarMath.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;

namespace loom::scalar {

namespace {
constexpr double kSqrt2OverPi = 0.7978845608028654; // √(2/π)
constexpr double kGeluCubic = 0.044715;
} // namespace

Value constant(OpBuilder &b, Location loc, double value) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
}

// u = √(2/π)·(x + 0.044715·x³), the argument of GELU's tanh.
static Value geluInner(OpBuilder &b, Location loc, Value x) {
  Value x2 = arith::MulFOp::create(b, loc, x, x);
  Value x3 = arith::MulFOp::create(b, loc, x2, x);
  Value cubic = arith::MulFOp::create(
      b, loc, constant(b, loc, kGeluCubic), x3);
  Value sum = arith::AddFOp::create(b, loc, x, cubic);
  return arith::MulFOp::create(
      b, loc, constant(b, loc, kSqrt2OverPi), sum);
}

Value activation(OpBuilder &b, Location loc,
                               mlir::loom::Activation kind, Value x) {
  using mlir::loom::Activation;
  switch (kind) {
  case Activation::none:
    return x;
  case Activation::gelu: {
    // y = 0.5·x·(1 + tanh(u))
    Value t = math::TanhOp::create(b, loc, geluInner(b, loc, x));
    Value onePlusT = arith::AddFOp::create(b, loc, constant(b, loc, 1.0), t);
    Value halfX = arith::MulFOp::create(b, loc, constant(b, loc, 0.5), x);
    return arith::MulFOp::create(b, loc, halfX, onePlusT);
  }
  case Activation::relu:
    return arith::MaximumFOp::create(b, loc, x, constant(b, loc, 0.0));
  case Activation::tanh:
    return math::TanhOp::create(b, loc, x);
  }
  return x;
}

Value activationGrad(OpBuilder &b, Location loc,
                                   mlir::loom::Activation kind, Value saved,
                                   Value dy) {
  using mlir::loom::Activation;
  switch (kind) {
  case Activation::none:
    return dy;
  case Activation::gelu: {
    // With t = tanh(u): dy/dx = 0.5·(1 + t) + 0.5·x·(1 − t²)·u'(x),
    // u'(x) = √(2/π)·(1 + 3·0.044715·x²).
    Value x = saved;
    Value t = math::TanhOp::create(b, loc, geluInner(b, loc, x));
    Value one = constant(b, loc, 1.0), half = constant(b, loc, 0.5);
    Value x2 = arith::MulFOp::create(b, loc, x, x);
    Value du = arith::MulFOp::create(
        b, loc, constant(b, loc, kSqrt2OverPi),
        arith::AddFOp::create(
            b, loc, one,
            arith::MulFOp::create(b, loc, constant(b, loc, 3 * kGeluCubic), x2)));
    Value sech2 = arith::SubFOp::create(b, loc, one,
                                        arith::MulFOp::create(b, loc, t, t));
    Value left = arith::MulFOp::create(b, loc, half,
                                       arith::AddFOp::create(b, loc, one, t));
    Value right = arith::MulFOp::create(
        b, loc, arith::MulFOp::create(b, loc, half, x),
        arith::MulFOp::create(b, loc, sech2, du));
    Value derivative = arith::AddFOp::create(b, loc, left, right);
    return arith::MulFOp::create(b, loc, dy, derivative);
  }
  case Activation::relu: {
    Value zero = constant(b, loc, 0.0);
    Value positive =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, saved, zero);
    return arith::SelectOp::create(b, loc, positive, dy, zero);
  }
  case Activation::tanh: {
    // dx = dy·(1 − y²)
    Value y2 = arith::MulFOp::create(b, loc, saved, saved);
    Value derivative =
        arith::SubFOp::create(b, loc, constant(b, loc, 1.0), y2);
    return arith::MulFOp::create(b, loc, dy, derivative);
  }
  }
  return dy;
}

} // namespace loom::scalar
