//===- LowerOptimizers.cpp - parameter updates to linalg ------------------===//
//
// Each update is one generic that reads the gradient and writes parameter
// and state into their own tensors (in place after bufferization), with
// torch.optim's arithmetic in torch's order; a gradient's sum of squares
// (the global norm's part) is a loop of vectors.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/Lowerings.h"
#include "dialects/loom/IR/LoomOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
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

// Σ x² over every element, as one loop of vectors: kChains accumulators of
// kLanes lanes each, so that consecutive reads feed independent FMA chains
// and the loop runs at the speed of memory rather than at one add's
// latency per vector (a linalg reduction to one scalar keeps a single
// chain: GPT-2 small's gradients were summed at 4.6 GB/s). The last
// partial vectors are read with zero padding; the lanes are added last.
static Value lower(LinalgBuilder &l, ops::SumSquaresOp op) {
  constexpr int64_t kLanes = 16, kChains = 4, kStep = kLanes * kChains;
  OpBuilder &b = l.b;
  Location loc = l.loc;
  Value input = op.getInput();
  auto type = cast<RankedTensorType>(input.getType());
  if (type.getRank() == 0)
    input = tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get({1}, type.getElementType()), input,
        ArrayRef<ReassociationIndices>{});
  else if (type.getRank() > 1)
    input = tensor::CollapseShapeOp::create(
        b, loc, input,
        ArrayRef<ReassociationIndices>{llvm::to_vector(
            llvm::seq<int64_t>(0, type.getRank()))});
  auto vecType = VectorType::get({kLanes}, b.getF32Type());
  Value zeroVec =
      arith::ConstantOp::create(b, loc, DenseElementsAttr::get(vecType, 0.0f));
  Value zero = l.floatConstant(0.0);
  Value length = tensor::DimOp::create(b, loc, input, 0);
  Value whole = arith::SubIOp::create(
      b, loc, length, arith::RemUIOp::create(b, loc, length, l.index(kStep)));
  SmallVector<Value> chains(kChains, zeroVec);
  auto square = [&](OpBuilder &nb, Location nl, Value at, Value acc, bool inBounds) {
    Value x = vector::TransferReadOp::create(nb, nl, vecType, input, ValueRange{at},
                                             zero, ArrayRef<bool>{inBounds});
    return Value(vector::FMAOp::create(nb, nl, x, x, acc));
  };
  auto main = scf::ForOp::create(
      b, loc, l.index(0), whole, l.index(kStep), chains,
      [&](OpBuilder &nb, Location nl, Value start, ValueRange acc) {
        SmallVector<Value> next;
        for (int64_t c = 0; c < kChains; ++c) {
          Value at = arith::AddIOp::create(
              nb, nl, start, arith::ConstantIndexOp::create(nb, nl, c * kLanes));
          next.push_back(square(nb, nl, at, acc[c], /*inBounds=*/true));
        }
        scf::YieldOp::create(nb, nl, next);
      });
  auto tail = scf::ForOp::create(
      b, loc, whole, length, l.index(kLanes), ValueRange{main.getResult(0)},
      [&](OpBuilder &nb, Location nl, Value start, ValueRange acc) {
        scf::YieldOp::create(nb, nl, square(nb, nl, start, acc[0], /*inBounds=*/false));
      });
  Value lanes = tail.getResult(0);
  for (int64_t c = 1; c < kChains; ++c)
    lanes = arith::AddFOp::create(b, loc, lanes, main.getResult(c));
  Value sum = vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, lanes);
  return tensor::FromElementsOp::create(b, loc, op.getResult().getType(), ValueRange{sum});
}

Lowered loomc::codegen::lowerOptimizerOp(LinalgBuilder &l, Operation *op) {
  return llvm::TypeSwitch<Operation *, Lowered>(op)
      .Case<ops::SgdUpdateOp, ops::AdamwUpdateOp>(
          [&](auto update) { return lower(l, update); })
      .Case([&](ops::SumSquaresOp sum) { return SmallVector<Value>{lower(l, sum)}; })
      .Default([](Operation *) { return std::nullopt; });
}
