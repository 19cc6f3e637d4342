//===- LowerLosses.cpp - cross_entropy, mse to linalg ---------------------===//
//
// Cross-entropy rows are softmax rows: two passes per row compute the maximum
// and the normalizer (LinalgBuilder::softmaxStatistics); the loss
// reads the label's logit, the gradient writes softmax − onehot once.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/Lowerings.h"
#include "compiler/codegen/ScalarMath.h"
#include "dialects/loom/IR/LoomOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using loomc::codegen::LinalgBuilder;
using loomc::codegen::Lowered;
namespace ops = mlir::loom;
namespace scalar = loomc::scalar;

// Labels [L...] as a column of rows [R].
static Value collapseLabels(LinalgBuilder &l, Value labels) {
  auto type = cast<RankedTensorType>(labels.getType());
  if (type.getRank() == 1)
    return labels;
  SmallVector<ReassociationIndices> groups(1);
  for (int64_t d = 0; d < type.getRank(); ++d)
    groups[0].push_back(d);
  return tensor::CollapseShapeOp::create(l.b, l.loc, labels, groups);
}

// L = (1/N) Σ_i (log l_i + m_i − z[i, y_i])
static Value lower(LinalgBuilder &l, ops::CrossEntropyOp op) {
  Value logits = l.collapseRows(op.getLogits());
  Value labels = collapseLabels(l, op.getLabels());
  auto [rowMax, rowSum] = l.softmaxStatistics(logits);
  int64_t rows = cast<RankedTensorType>(logits.getType()).getDimSize(0);
  double invRows = 1.0 / static_cast<double>(rows);
  auto lossType = op.getLoss().getType();
  return l.generic({rowMax, rowSum, labels}, {l.filled(lossType, 0.0)},
                   {l.dimsMap(1, {0}), l.dimsMap(1, {0}), l.dimsMap(1, {0}),
                    l.dimsMap(1, {})},
                   {utils::IteratorType::reduction},
                   [&](OpBuilder &b, Location loc, ValueRange args) {
                     Value row = linalg::IndexOp::create(b, loc, 0);
                     Value label = arith::IndexCastOp::create(
                         b, loc, b.getIndexType(), args[2]);
                     Value target = tensor::ExtractOp::create(
                         b, loc, logits, ValueRange{row, label});
                     Value logSum = math::LogOp::create(b, loc, args[1]);
                     Value term = arith::SubFOp::create(
                         b, loc, arith::AddFOp::create(b, loc, logSum, args[0]),
                         target);
                     Value scaled = arith::MulFOp::create(
                         b, loc, term, scalar::constant(b, loc, term, invRows));
                     return SmallVector<Value>{
                         arith::AddFOp::create(b, loc, args[3], scaled)};
                   })
      .getResult(0);
}

// dz[i, c] = (exp(z[i, c] − m_i)·(1/l_i) − [c = y_i]) · dL / N
static Value lower(LinalgBuilder &l, ops::CrossEntropyGradOp op) {
  Value logits = l.collapseRows(op.getLogits());
  Value labels = collapseLabels(l, op.getLabels());
  auto [rowMax, rowSum] = l.softmaxStatistics(logits);
  auto type = cast<RankedTensorType>(logits.getType());
  double invRows = 1.0 / static_cast<double>(type.getDimSize(0));
  // 1/l_i once per row: a multiplication per element, not a division.
  Value inverseSum = l.elementwise(
      cast<RankedTensorType>(rowSum.getType()), {rowSum},
      [](OpBuilder &b, Location loc, ValueRange args) -> Value {
        return arith::DivFOp::create(b, loc, scalar::constant(b, loc, args[0], 1.0), args[0]);
      });
  Value grad =
      l.generic({logits, rowMax, inverseSum, labels, op.getLossGrad()},
                {l.empty(type)},
                {l.dimsMap(2, {0, 1}), l.dimsMap(2, {0}), l.dimsMap(2, {0}),
                 l.dimsMap(2, {0}), l.dimsMap(2, {}), l.dimsMap(2, {0, 1})},
                {utils::IteratorType::parallel, utils::IteratorType::parallel},
                [&](OpBuilder &b, Location loc, ValueRange args) {
                  Value shifted = arith::SubFOp::create(b, loc, args[0], args[1]);
                  Value p = arith::MulFOp::create(
                      b, loc, math::ExpOp::create(b, loc, shifted), args[2]);
                  Value column = arith::IndexCastOp::create(
                      b, loc, b.getI32Type(), linalg::IndexOp::create(b, loc, 1));
                  Value isTarget = arith::CmpIOp::create(
                      b, loc, arith::CmpIPredicate::eq, column, args[3]);
                  Value onehot = arith::SelectOp::create(
                      b, loc, isTarget, scalar::constant(b, loc, args[0], 1.0),
                      scalar::constant(b, loc, args[0], 0.0));
                  Value scale = arith::MulFOp::create(
                      b, loc, args[4], scalar::constant(b, loc, args[4], invRows));
                  return SmallVector<Value>{arith::MulFOp::create(
                      b, loc, arith::SubFOp::create(b, loc, p, onehot), scale)};
                })
          .getResult(0);
  return l.expandRows(grad, op.getResult().getType().getShape());
}

// L = (1/n) Σ (p − t)²
static Value lower(LinalgBuilder &l, ops::MseOp op) {
  auto type = op.getPrediction().getType();
  double invCount = 1.0 / static_cast<double>(type.getNumElements());
  unsigned rank = type.getRank();
  return l.generic(rank, rank, {op.getPrediction(), op.getTarget()},
                   {l.filled(op.getLoss().getType(), 0.0)},
                   [&](OpBuilder &b, Location loc, ValueRange args) {
                     Value diff = arith::SubFOp::create(b, loc, args[0], args[1]);
                     Value square = arith::MulFOp::create(b, loc, diff, diff);
                     Value scaled = arith::MulFOp::create(
                         b, loc, square, scalar::constant(b, loc, square, invCount));
                     return SmallVector<Value>{
                         arith::AddFOp::create(b, loc, args[2], scaled)};
                   })
      .getResult(0);
}

// dp = (p − t) · (2·dL/n)
static Value lower(LinalgBuilder &l, ops::MseGradOp op) {
  auto type = op.getResult().getType();
  double twoOverCount = 2.0 / static_cast<double>(type.getNumElements());
  return l.elementwise(type, {op.getPrediction(), op.getTarget(), op.getLossGrad()},
                       [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
                         Value diff = arith::SubFOp::create(b, loc, args[0], args[1]);
                         Value scale = arith::MulFOp::create(
                             b, loc, args[2], scalar::constant(b, loc, args[2], twoOverCount));
                         return arith::MulFOp::create(b, loc, diff, scale);
                       });
}

Lowered loomc::codegen::lowerLossOp(LinalgBuilder &l, Operation *op) {
  return llvm::TypeSwitch<Operation *, Lowered>(op)
      .Case<ops::CrossEntropyOp, ops::CrossEntropyGradOp, ops::MseOp,
            ops::MseGradOp>(
          [&](auto concrete) { return SmallVector<Value>{lower(l, concrete)}; })
      .Default([](Operation *) { return std::nullopt; });
}
