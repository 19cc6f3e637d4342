//===- LowerOptimizers.cpp - parameter updates to linalg ------------------===//
//
// Each update is one generic that reads the gradient and writes parameter
// and state into their own tensors (in place after bufferization), with
// torch.optim's arithmetic in torch's order.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/Lowerings.h"
#include "dialects/loom/IR/LoomOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using loomc::codegen::LinalgBuilder;
using loomc::codegen::Lowered;
namespace ops = mlir::loom;

// g' = scale·g; v' = μ·v + g'; p' = p − lr·v'.
static SmallVector<Value> lower(LinalgBuilder &l, ops::SgdUpdateOp op) {
  Value lr = op.getLr(), momentum = op.getMomentum(), scale = op.getGradScale();
  unsigned rank = op.getParam().getType().getRank();
  return l.generic(rank, 0, op.getGrad(), {op.getParam(), op.getVelocity()},
                   [&](OpBuilder &b, Location loc, ValueRange args) {
                     Value g = arith::MulFOp::create(b, loc, args[0], scale);
                     Value p = args[1], v = args[2];
                     Value newV = arith::AddFOp::create(
                         b, loc, arith::MulFOp::create(b, loc, v, momentum), g);
                     Value newP = arith::SubFOp::create(
                         b, loc, p, arith::MulFOp::create(b, loc, lr, newV));
                     return SmallVector<Value>{newP, newV};
                   })
      ->getResults();
}

// torch.optim.AdamW (no amsgrad, not capturable):
//   p ← p·(1 − lr·wd); m ← lerp(m, g, 1 − β₁); v ← v·β₂ + (1 − β₂)·g·g;
//   p ← p − (lr/(1 − β₁ᵗ))·m / (√v/√(1 − β₂ᵗ) + ε),
// the per-step scalars in double precision as torch computes them in Python.
static SmallVector<Value> lower(LinalgBuilder &l, ops::AdamwUpdateOp op) {
  OpBuilder &b = l.b;
  Location loc = l.loc;
  Type f64 = b.getF64Type(), f32 = b.getF32Type();
  auto wide = [&](Value v) -> Value { return arith::ExtFOp::create(b, loc, f64, v); };
  auto narrow = [&](Value v) -> Value { return arith::TruncFOp::create(b, loc, f32, v); };
  Value one = arith::ConstantOp::create(b, loc, b.getF64FloatAttr(1.0));
  Value step = arith::SIToFPOp::create(b, loc, f64, op.getStep());
  Value lr = wide(op.getLr()), beta1 = wide(op.getBeta1()), beta2 = wide(op.getBeta2());
  Value bias1 = arith::SubFOp::create(b, loc, one, math::PowFOp::create(b, loc, beta1, step));
  Value bias2 = arith::SubFOp::create(b, loc, one, math::PowFOp::create(b, loc, beta2, step));
  Value stepSize = narrow(arith::DivFOp::create(b, loc, lr, bias1));
  Value bias2Sqrt = narrow(math::SqrtOp::create(b, loc, bias2));
  Value decay = narrow(arith::SubFOp::create(
      b, loc, one, arith::MulFOp::create(b, loc, lr, wide(op.getWeightDecay()))));
  Value lerpWeight = narrow(arith::SubFOp::create(b, loc, one, beta1));
  Value squareWeight = narrow(arith::SubFOp::create(b, loc, one, beta2));
  Value negStepSize = arith::NegFOp::create(b, loc, stepSize);
  Value beta2f = op.getBeta2(), eps = op.getEps(), scale = op.getGradScale();
  Value half = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.5f));
  Value smallWeight =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, lerpWeight, half);
  Value oneF = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(1.0f));
  Value lerpComplement = arith::SubFOp::create(b, loc, oneF, lerpWeight);

  unsigned rank = op.getParam().getType().getRank();
  return l.generic(
             rank, 0, op.getGrad(),
             {op.getParam(), op.getExpAvg(), op.getExpAvgSq()},
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value g = arith::MulFOp::create(nb, nl, args[0], scale);
               Value p = arith::MulFOp::create(nb, nl, args[1], decay);
               Value m = args[2], v = args[3];
               // torch's lerp: a + w·(b − a) for w < 0.5, else b − (b − a)·(1 − w).
               Value diff = arith::SubFOp::create(nb, nl, g, m);
               Value low = arith::AddFOp::create(
                   nb, nl, m, arith::MulFOp::create(nb, nl, lerpWeight, diff));
               Value high = arith::SubFOp::create(
                   nb, nl, g, arith::MulFOp::create(nb, nl, diff, lerpComplement));
               Value newM = arith::SelectOp::create(nb, nl, smallWeight, low, high);
               Value newV = arith::AddFOp::create(
                   nb, nl, arith::MulFOp::create(nb, nl, v, beta2f),
                   arith::MulFOp::create(
                       nb, nl, arith::MulFOp::create(nb, nl, squareWeight, g), g));
               Value denom = arith::AddFOp::create(
                   nb, nl,
                   arith::DivFOp::create(nb, nl, math::SqrtOp::create(nb, nl, newV),
                                         bias2Sqrt),
                   eps);
               Value newP = arith::AddFOp::create(
                   nb, nl, p,
                   arith::DivFOp::create(
                       nb, nl, arith::MulFOp::create(nb, nl, negStepSize, newM), denom));
               return SmallVector<Value>{newP, newM, newV};
             })
      ->getResults();
}

// Σ x²
static Value lower(LinalgBuilder &l, ops::SumSquaresOp op) {
  unsigned rank = op.getInput().getType().getRank();
  return l.generic(rank, rank, op.getInput(), {l.filled(op.getResult().getType(), 0.0)},
                   [](OpBuilder &b, Location loc, ValueRange args) {
                     return SmallVector<Value>{arith::AddFOp::create(
                         b, loc, args[1], arith::MulFOp::create(b, loc, args[0], args[0]))};
                   })
      .getResult(0);
}

Lowered loomc::codegen::lowerOptimizerOp(LinalgBuilder &l, Operation *op) {
  return llvm::TypeSwitch<Operation *, Lowered>(op)
      .Case<ops::SgdUpdateOp, ops::AdamwUpdateOp>(
          [&](auto update) { return lower(l, update); })
      .Case([&](ops::SumSquaresOp sum) { return SmallVector<Value>{lower(l, sum)}; })
      .Default([](Operation *) { return std::nullopt; });
}
