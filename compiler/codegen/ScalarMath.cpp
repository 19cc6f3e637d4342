//===- ScalarMath.cpp - The scalar formulas of loom's ops -----------------===//

#include "compiler/codegen/ScalarMath.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;

namespace loomc::scalar {

namespace {
constexpr double kSqrt2OverPi = 0.7978845608028654; // √(2/π)
constexpr double kGeluCubic = 0.044715;
constexpr double kSqrtHalf = 0.7071067811865476;       // 1/√2
constexpr double kInvSqrt2Pi = 0.3989422804014327;     // 1/√(2π)
} // namespace

// σ(x) = 1 / (1 + exp(−x))
static Value sigmoid(OpBuilder &b, Location loc, Value x) {
  Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
  return arith::DivFOp::create(
      b, loc, constant(b, loc, x, 1.0),
      arith::AddFOp::create(b, loc, constant(b, loc, x, 1.0), e));
}

// Φ(x) = 0.5·(1 + erf(x/√2)), the standard normal CDF.
static Value normalCdf(OpBuilder &b, Location loc, Value x) {
  Value erf = math::ErfOp::create(
      b, loc, arith::MulFOp::create(b, loc, x, constant(b, loc, x, kSqrtHalf)));
  return arith::MulFOp::create(
      b, loc, constant(b, loc, x, 0.5),
      arith::AddFOp::create(b, loc, constant(b, loc, x, 1.0), erf));
}

Value constant(OpBuilder &b, Location loc, Value like, double value) {
  return arith::ConstantOp::create(b, loc,
                                   b.getFloatAttr(getElementTypeOrSelf(like), value));
}

// u = √(2/π)·(x + 0.044715·x³), the argument of GELU's tanh.
static Value geluInner(OpBuilder &b, Location loc, Value x) {
  Value x2 = arith::MulFOp::create(b, loc, x, x);
  Value x3 = arith::MulFOp::create(b, loc, x2, x);
  Value cubic = arith::MulFOp::create(
      b, loc, constant(b, loc, x, kGeluCubic), x3);
  Value sum = arith::AddFOp::create(b, loc, x, cubic);
  return arith::MulFOp::create(
      b, loc, constant(b, loc, x, kSqrt2OverPi), sum);
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
    Value onePlusT = arith::AddFOp::create(b, loc, constant(b, loc, x, 1.0), t);
    Value halfX = arith::MulFOp::create(b, loc, constant(b, loc, x, 0.5), x);
    return arith::MulFOp::create(b, loc, halfX, onePlusT);
  }
  case Activation::relu:
    return arith::MaximumFOp::create(b, loc, x, constant(b, loc, x, 0.0));
  case Activation::tanh:
    return math::TanhOp::create(b, loc, x);
  case Activation::gelu_erf: {
    // y = x·0.5·(1 + erf(x/√2)), in torch's order.
    Value erf = math::ErfOp::create(
        b, loc, arith::MulFOp::create(b, loc, x, constant(b, loc, x, kSqrtHalf)));
    Value halfX = arith::MulFOp::create(b, loc, x, constant(b, loc, x, 0.5));
    return arith::MulFOp::create(
        b, loc, halfX, arith::AddFOp::create(b, loc, constant(b, loc, x, 1.0), erf));
  }
  case Activation::silu: {
    // y = x / (1 + exp(−x))
    Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
    return arith::DivFOp::create(
        b, loc, x, arith::AddFOp::create(b, loc, constant(b, loc, x, 1.0), e));
  }
  }
  return x;
}

Value silu(OpBuilder &b, Location loc, Value x) {
  return activation(b, loc, mlir::loom::Activation::silu, x);
}

Value siluDerivative(OpBuilder &b, Location loc, Value x) {
  // σ(x)·(1 + x·(1 − σ(x)))
  Value s = sigmoid(b, loc, x);
  Value oneMinus = arith::SubFOp::create(b, loc, constant(b, loc, x, 1.0), s);
  return arith::MulFOp::create(
      b, loc, s,
      arith::AddFOp::create(b, loc, constant(b, loc, x, 1.0),
                            arith::MulFOp::create(b, loc, x, oneMinus)));
}

Value activationGrad(OpBuilder &b, Location loc,
                                   mlir::loom::Activation kind, Value saved,
                                   Value dy) {
  using mlir::loom::Activation;
  Value x = saved;
  switch (kind) {
  case Activation::none:
    return dy;
  case Activation::gelu: {
    // With t = tanh(u): dy/dx = 0.5·(1 + t) + 0.5·x·(1 − t²)·u'(x),
    // u'(x) = √(2/π)·(1 + 3·0.044715·x²).
    Value t = math::TanhOp::create(b, loc, geluInner(b, loc, x));
    Value one = constant(b, loc, x, 1.0), half = constant(b, loc, x, 0.5);
    Value x2 = arith::MulFOp::create(b, loc, x, x);
    Value du = arith::MulFOp::create(
        b, loc, constant(b, loc, x, kSqrt2OverPi),
        arith::AddFOp::create(
            b, loc, one,
            arith::MulFOp::create(b, loc, constant(b, loc, x, 3 * kGeluCubic), x2)));
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
    Value zero = constant(b, loc, x, 0.0);
    Value positive =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, saved, zero);
    return arith::SelectOp::create(b, loc, positive, dy, zero);
  }
  case Activation::tanh: {
    // dx = dy·(1 − y²)
    Value y2 = arith::MulFOp::create(b, loc, saved, saved);
    Value derivative =
        arith::SubFOp::create(b, loc, constant(b, loc, x, 1.0), y2);
    return arith::MulFOp::create(b, loc, dy, derivative);
  }
  case Activation::gelu_erf: {
    // dx = dy·(Φ(x) + x·φ(x)), φ(x) = exp(−x²/2)/√(2π)
    Value pdf = arith::MulFOp::create(
        b, loc, constant(b, loc, x, kInvSqrt2Pi),
        math::ExpOp::create(
            b, loc,
            arith::MulFOp::create(b, loc, arith::MulFOp::create(b, loc, x, x),
                                  constant(b, loc, x, -0.5))));
    Value derivative = arith::AddFOp::create(
        b, loc, normalCdf(b, loc, x), arith::MulFOp::create(b, loc, x, pdf));
    return arith::MulFOp::create(b, loc, dy, derivative);
  }
  case Activation::silu:
    return arith::MulFOp::create(b, loc, dy, siluDerivative(b, loc, saved));
  }
  return dy;
}

} // namespace loomc::scalar
