//===- LowerAttention.cpp - attention, attention_grad, rope to linalg -----===//
//
// Heads live side by side in the last dimension ([B, T, H·D]); the lowering
// views them as [B, T, H, D] (a reassociation, no copy) and writes every
// product as a generic over (batch, head, query, key, head-dim) whose
// innermost loop is the vector dimension. Softmax rows go through the online
// softmax kernel: one pass per row for maximum and normalizer together.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/Lowerings.h"
#include "dialects/loom/IR/LoomOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/TypeSwitch.h"
#include <cmath>

using namespace mlir;
using loomc::codegen::LinalgBuilder;
using loomc::codegen::Lowered;
namespace ops = mlir::loom;

namespace {
constexpr utils::IteratorType kParallel = utils::IteratorType::parallel;
constexpr utils::IteratorType kReduction = utils::IteratorType::reduction;

// [B, T, H·D] viewed as [B, T, H, D].
Value splitHeads(LinalgBuilder &l, Value x, int64_t heads) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t width = type.getDimSize(2);
  return tensor::ExpandShapeOp::create(
      l.b, l.loc,
      l.f32Tensor({type.getDimSize(0), type.getDimSize(1), heads, width / heads}),
      x, ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}});
}

Value mergeHeads(LinalgBuilder &l, Value x) {
  return tensor::CollapseShapeOp::create(
      l.b, l.loc, x, ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}});
}

// Key/value heads [B, T, Hkv, D] repeated for the H query heads that read
// them (Hugging Face's repeat_kv); the heads themselves when Hkv = H.
Value repeatHeads(LinalgBuilder &l, Value x4, int64_t heads) {
  auto type = cast<RankedTensorType>(x4.getType());
  int64_t kvHeads = type.getDimSize(2);
  if (kvHeads == heads)
    return x4;
  int64_t group = heads / kvHeads;
  MLIRContext *ctx = l.b.getContext();
  AffineExpr b, t, h, d;
  bindDims(ctx, b, t, h, d);
  RankedTensorType outType = l.f32Tensor(
      {type.getDimSize(0), type.getDimSize(1), heads, type.getDimSize(3)});
  return l.generic({x4}, {l.empty(outType)},
                   {AffineMap::get(4, 0, {b, t, h.floorDiv(group), d}, ctx),
                    AffineMap::get(4, 0, {b, t, h, d}, ctx)},
                   {kParallel, kParallel, kParallel, kParallel},
                   [](OpBuilder &, Location, ValueRange args) {
                     return SmallVector<Value>{args[0]};
                   })
      .getResult(0);
}

// The adjoint of repeatHeads: [B, T, H, D] summed over each group of H/Hkv
// query heads into [B, T, Hkv, D].
Value sumHeadGroups(LinalgBuilder &l, Value x4, int64_t kvHeads) {
  auto type = cast<RankedTensorType>(x4.getType());
  int64_t heads = type.getDimSize(2);
  if (kvHeads == heads)
    return x4;
  int64_t group = heads / kvHeads;
  Value grouped = tensor::ExpandShapeOp::create(
      l.b, l.loc,
      l.f32Tensor({type.getDimSize(0), type.getDimSize(1), kvHeads, group,
                   type.getDimSize(3)}),
      x4, ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}, {4}});
  RankedTensorType outType = l.f32Tensor(
      {type.getDimSize(0), type.getDimSize(1), kvHeads, type.getDimSize(3)});
  // Loops (b, t, hk, d, g): the group g is the reduction.
  return l.generic({grouped}, {l.filled(outType, 0.0)},
                   {l.dimsMap(5, {0, 1, 2, 4, 3}), l.dimsMap(5, {0, 1, 2, 3})},
                   {kParallel, kParallel, kParallel, kParallel, kReduction},
                   [](OpBuilder &b, Location loc, ValueRange args) {
                     return SmallVector<Value>{
                         arith::AddFOp::create(b, loc, args[1], args[0])};
                   })
      .getResult(0);
}

// out[...] = Σ over the reduction loop of lhs·rhs, in a nest of 5 loops.
Value contract(LinalgBuilder &l, Value lhs, ArrayRef<unsigned> lhsDims,
               Value rhs, ArrayRef<unsigned> rhsDims,
               RankedTensorType outType, ArrayRef<unsigned> outDims,
               unsigned reductionDim) {
  SmallVector<utils::IteratorType> iterators(5, kParallel);
  iterators[reductionDim] = kReduction;
  return l.generic({lhs, rhs}, {l.filled(outType, 0.0)},
                   {l.dimsMap(5, lhsDims), l.dimsMap(5, rhsDims), l.dimsMap(5, outDims)},
                   iterators,
                   [](OpBuilder &b, Location loc, ValueRange args) {
                     return SmallVector<Value>{arith::AddFOp::create(
                         b, loc, args[2], arith::MulFOp::create(b, loc, args[0], args[1]))};
                   })
      .getResult(0);
}

} // namespace

// S = Q·Kᵀ per head; P = softmax(S/√D) over keys up to the query;
// O = P·V. Loop names: b batch, h head, i query, j key, d head dimension.
static SmallVector<Value> lower(LinalgBuilder &l, ops::AttentionOp op) {
  int64_t heads = op.getHeads(), kvHeads = op.getKvHeads();
  auto qType = op.getQuery().getType();
  int64_t batch = qType.getDimSize(0), seq = qType.getDimSize(1);
  int64_t headDim = op.getHeadDim();
  double scale = 1.0 / std::sqrt(static_cast<double>(headDim));
  Value q4 = splitHeads(l, op.getQuery(), heads);
  Value k4 = repeatHeads(l, splitHeads(l, op.getKey(), kvHeads), heads);
  Value v4 = repeatHeads(l, splitHeads(l, op.getValue(), kvHeads), heads);
  RankedTensorType scoresType = l.f32Tensor({batch, heads, seq, seq});
  // Loops (b, h, i, j, d), d reduced: one dot product per score.
  Value scores = contract(l, q4, {0, 2, 1, 4}, k4, {0, 3, 1, 4}, scoresType,
                          {0, 1, 2, 3}, 4);

  Value rows = tensor::CollapseShapeOp::create(
      l.b, l.loc, scores, ArrayRef<ReassociationIndices>{{0, 1, 2}, {3}});
  auto [rowMax, rowSum] = l.softmaxStatistics(rows, seq, scale);
  auto expandRow = [&](Value v) -> Value {
    return tensor::ExpandShapeOp::create(
        l.b, l.loc, l.f32Tensor({batch, heads, seq}), v,
        ArrayRef<ReassociationIndices>{{0, 1, 2}});
  };
  Value maxes = expandRow(rowMax), sums = expandRow(rowSum);
  Value probs =
      l.generic({scores, maxes, sums}, {l.empty(scoresType)},
                {l.dimsMap(4, {0, 1, 2, 3}), l.dimsMap(4, {0, 1, 2}),
                 l.dimsMap(4, {0, 1, 2}), l.dimsMap(4, {0, 1, 2, 3})},
                {kParallel, kParallel, kParallel, kParallel},
                [&](OpBuilder &b, Location loc, ValueRange args) {
                  Value i = linalg::IndexOp::create(b, loc, 2);
                  Value j = linalg::IndexOp::create(b, loc, 3);
                  Value visible = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, j, i);
                  Value scaled = arith::MulFOp::create(
                      b, loc, args[0], arith::ConstantOp::create(b, loc, b.getF32FloatAttr(scale)));
                  Value p = arith::DivFOp::create(
                      b, loc,
                      math::ExpOp::create(b, loc, arith::SubFOp::create(b, loc, scaled, args[1])),
                      args[2]);
                  Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
                  return SmallVector<Value>{arith::SelectOp::create(b, loc, visible, p, zero)};
                })
          .getResult(0);
  // Loops (b, h, i, j, d), j reduced, d innermost: O[b, i, h, :] += P·V[b, j, h, :].
  RankedTensorType headsType = l.f32Tensor({batch, seq, heads, headDim});
  Value out = contract(l, probs, {0, 1, 2, 3}, v4, {0, 3, 1, 4}, headsType,
                       {0, 2, 1, 4}, 3);
  return {mergeHeads(l, out), probs};
}

// dV = Pᵀ·dO, dP = dO·Vᵀ, dS = P ⊙ (dP − Σ_j dP ⊙ P) / √D, dQ = dS·K,
// dK = dSᵀ·Q; key/value gradients summed over the heads that share them.
static SmallVector<Value> lower(LinalgBuilder &l, ops::AttentionGradOp op) {
  int64_t heads = op.getHeads(), kvHeads = op.getKvHeads();
  auto qType = op.getQuery().getType();
  int64_t batch = qType.getDimSize(0), seq = qType.getDimSize(1);
  int64_t headDim = qType.getDimSize(2) / heads;
  double scale = 1.0 / std::sqrt(static_cast<double>(headDim));
  Value q4 = splitHeads(l, op.getQuery(), heads);
  Value k4 = repeatHeads(l, splitHeads(l, op.getKey(), kvHeads), heads);
  Value v4 = repeatHeads(l, splitHeads(l, op.getValue(), kvHeads), heads);
  Value dO = splitHeads(l, op.getOutputGrad(), heads);
  Value probs = op.getProbabilities();
  RankedTensorType headsType = l.f32Tensor({batch, seq, heads, headDim});
  RankedTensorType scoresType = l.f32Tensor({batch, heads, seq, seq});

  // Loops (b, h, j, i, d), i reduced: dV[b, j, h, :] += P[b, h, i, j]·dO[b, i, h, :].
  Value dV = contract(l, probs, {0, 1, 3, 2}, dO, {0, 3, 1, 4}, headsType,
                      {0, 2, 1, 4}, 3);
  // Loops (b, h, i, j, d), d reduced: dP[b, h, i, j] = dO[b, i, h, :]·V[b, j, h, :].
  Value dP = contract(l, dO, {0, 2, 1, 4}, v4, {0, 3, 1, 4}, scoresType,
                      {0, 1, 2, 3}, 4);
  Value rowDot =
      l.generic({dP, probs}, {l.filled(l.f32Tensor({batch, heads, seq}), 0.0)},
                {l.dimsMap(4, {0, 1, 2, 3}), l.dimsMap(4, {0, 1, 2, 3}),
                 l.dimsMap(4, {0, 1, 2})},
                {kParallel, kParallel, kParallel, kReduction},
                [](OpBuilder &b, Location loc, ValueRange args) {
                  return SmallVector<Value>{arith::AddFOp::create(
                      b, loc, args[2], arith::MulFOp::create(b, loc, args[0], args[1]))};
                })
          .getResult(0);
  Value dS =
      l.generic({probs, dP, rowDot}, {l.empty(scoresType)},
                {l.dimsMap(4, {0, 1, 2, 3}), l.dimsMap(4, {0, 1, 2, 3}),
                 l.dimsMap(4, {0, 1, 2}), l.dimsMap(4, {0, 1, 2, 3})},
                {kParallel, kParallel, kParallel, kParallel},
                [&](OpBuilder &b, Location loc, ValueRange args) {
                  Value centered = arith::SubFOp::create(b, loc, args[1], args[2]);
                  Value dScores = arith::MulFOp::create(b, loc, args[0], centered);
                  return SmallVector<Value>{arith::MulFOp::create(
                      b, loc, dScores,
                      arith::ConstantOp::create(b, loc, b.getF32FloatAttr(scale)))};
                })
          .getResult(0);
  // Loops (b, h, i, j, d), j reduced: dQ[b, i, h, :] += dS[b, h, i, j]·K[b, j, h, :].
  Value dQ = contract(l, dS, {0, 1, 2, 3}, k4, {0, 3, 1, 4}, headsType,
                      {0, 2, 1, 4}, 3);
  // Loops (b, h, j, i, d), i reduced: dK[b, j, h, :] += dS[b, h, i, j]·Q[b, i, h, :].
  Value dK = contract(l, dS, {0, 1, 3, 2}, q4, {0, 3, 1, 4}, headsType,
                      {0, 2, 1, 4}, 3);
  return {mergeHeads(l, dQ), mergeHeads(l, sumHeadGroups(l, dK, kvHeads)),
          mergeHeads(l, sumHeadGroups(l, dV, kvHeads))};
}

// Each head's halves x₁, x₂ (columns [0, D/2) and [D/2, D)) at position t:
// y₁ = x₁·cos − x₂·sin, y₂ = x₂·cos + x₁·sin with the angles t·θ^(−2i/D),
// computed in f32 as Hugging Face Llama computes them. The inverse rotation
// flips the sign of sin.
static Value lower(LinalgBuilder &l, ops::RopeOp op) {
  auto type = op.getInput().getType();
  int64_t batch = type.getDimSize(0), seq = type.getDimSize(1);
  int64_t heads = op.getHeads(), headDim = type.getDimSize(2) / heads;
  int64_t half = headDim / 2;
  float theta = static_cast<float>(op.getTheta().convertToDouble());
  SmallVector<float> cosines, sines;
  for (int64_t t = 0; t < seq; ++t) {
    for (int64_t i = 0; i < half; ++i) {
      float exponent = static_cast<float>(2 * i) / static_cast<float>(headDim);
      float inverseFrequency = 1.0f / std::pow(theta, exponent);
      float angle = static_cast<float>(t) * inverseFrequency;
      cosines.push_back(std::cos(angle));
      sines.push_back(op.getInverse() ? -std::sin(angle) : std::sin(angle));
    }
  }
  RankedTensorType tableType = l.f32Tensor({seq, half});
  Value cosTable = arith::ConstantOp::create(
      l.b, l.loc, DenseElementsAttr::get(tableType, ArrayRef<float>(cosines)));
  Value sinTable = arith::ConstantOp::create(
      l.b, l.loc, DenseElementsAttr::get(tableType, ArrayRef<float>(sines)));
  // [B, T, H·D] as [B, T, H, 2, D/2]: the half is a dimension of its own.
  RankedTensorType halvesType = l.f32Tensor({batch, seq, heads, 2, half});
  Value halves = tensor::ExpandShapeOp::create(
      l.b, l.loc, halvesType, op.getInput(),
      ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3, 4}});
  MLIRContext *ctx = l.b.getContext();
  AffineExpr bd, t, h, p, i;
  bindDims(ctx, bd, t, h, p, i);
  Value rotated =
      l.generic({halves, halves, cosTable, sinTable}, {l.empty(halvesType)},
                {AffineMap::get(5, 0, {bd, t, h, p, i}, ctx),
                 AffineMap::get(5, 0, {bd, t, h, 1 - p, i}, ctx),
                 AffineMap::get(5, 0, {t, i}, ctx), AffineMap::get(5, 0, {t, i}, ctx),
                 AffineMap::get(5, 0, {bd, t, h, p, i}, ctx)},
                {kParallel, kParallel, kParallel, kParallel, kParallel},
                [](OpBuilder &b, Location loc, ValueRange args) {
                  Value firstHalf = arith::CmpIOp::create(
                      b, loc, arith::CmpIPredicate::eq, linalg::IndexOp::create(b, loc, 3),
                      arith::ConstantIndexOp::create(b, loc, 0));
                  Value other = arith::SelectOp::create(
                      b, loc, firstHalf, arith::NegFOp::create(b, loc, args[1]), args[1]);
                  return SmallVector<Value>{arith::AddFOp::create(
                      b, loc, arith::MulFOp::create(b, loc, args[0], args[2]),
                      arith::MulFOp::create(b, loc, other, args[3]))};
                })
          .getResult(0);
  return tensor::CollapseShapeOp::create(
      l.b, l.loc, rotated, ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3, 4}});
}

Lowered loomc::codegen::lowerAttentionOp(LinalgBuilder &l, Operation *op) {
  return llvm::TypeSwitch<Operation *, Lowered>(op)
      .Case<ops::AttentionOp, ops::AttentionGradOp>(
          [&](auto attention) { return lower(l, attention); })
      .Case([&](ops::RopeOp rope) { return SmallVector<Value>{lower(l, rope)}; })
      .Default([](Operation *) { return std::nullopt; });
}
