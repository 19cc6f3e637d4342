//===- LowerAttention.cpp - attention, attention_grad, rope to linalg -----===//
//
// Heads live side by side in the last dimension ([B, T, H·D]). The lowering
// copies them into per-head matrices ([B·H, T, D], O(T·D) per head) so that
// every product of attention, forward and backward, is a batch of ordinary
// matrix products that tile like any matmul; the O(T²) work is in those
// products and in the row kernels. Softmax rows go through the online
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

// [B, T, H·D] as per-head matrices [B·H, T, D], key/value heads repeated
// for the query heads that share them: a copy that lets each head's
// products run as ordinary matrix products.
Value headRows(LinalgBuilder &l, Value x, int64_t xHeads, int64_t heads) {
  Value x4 = repeatHeads(l, splitHeads(l, x, xHeads), heads);   // [B, T, H, D]
  Value h4 = l.transposed(x4, {0, 2, 1, 3});                      // [B, H, T, D]
  return tensor::CollapseShapeOp::create(
      l.b, l.loc, h4, ArrayRef<ReassociationIndices>{{0, 1}, {2}, {3}});
}

// The same heads transposed, [B·H, D, T]: the right operand of Q·Kᵀ.
Value headColumns(LinalgBuilder &l, Value x, int64_t xHeads, int64_t heads) {
  Value x4 = repeatHeads(l, splitHeads(l, x, xHeads), heads);   // [B, T, H, D]
  Value h4 = l.transposed(x4, {0, 2, 3, 1});                      // [B, H, D, T]
  return tensor::CollapseShapeOp::create(
      l.b, l.loc, h4, ArrayRef<ReassociationIndices>{{0, 1}, {2}, {3}});
}

// Per-head rows [B·H, T, D] back to [B, T, H, D].
Value tokenRows(LinalgBuilder &l, Value h3, int64_t batch, int64_t heads) {
  auto type = cast<RankedTensorType>(h3.getType());
  Value h4 = tensor::ExpandShapeOp::create(
      l.b, l.loc,
      l.f32Tensor({batch, heads, type.getDimSize(1), type.getDimSize(2)}), h3,
      ArrayRef<ReassociationIndices>{{0, 1}, {2}, {3}});
  return l.transposed(h4, {0, 2, 1, 3});
}

// [B, H, T, T] as [B·H, T, T] and back.
Value perHead(LinalgBuilder &l, Value x) {
  return tensor::CollapseShapeOp::create(
      l.b, l.loc, x, ArrayRef<ReassociationIndices>{{0, 1}, {2}, {3}});
}

} // namespace

// S = Q·Kᵀ per head; P = softmax(S/√D) over keys up to the query;
// O = P·V. Each head's products are matrix products on per-head copies of
// Q, Kᵀ and V ([B·H, T, D]); S and P live in one [B·H, T, T] buffer each,
// and P is what the backward pass saves.
static SmallVector<Value> lower(LinalgBuilder &l, ops::AttentionOp op) {
  int64_t heads = op.getHeads(), kvHeads = op.getKvHeads();
  auto qType = op.getQuery().getType();
  int64_t batch = qType.getDimSize(0), seq = qType.getDimSize(1);
  int64_t headDim = op.getHeadDim();
  double scale = 1.0 / std::sqrt(static_cast<double>(headDim));
  Value q = headRows(l, op.getQuery(), heads, heads);          // [B·H, T, D]
  Value kT = headColumns(l, op.getKey(), kvHeads, heads);      // [B·H, D, T]
  Value v = headRows(l, op.getValue(), kvHeads, heads);        // [B·H, T, D]
  Value scores = l.batchMatmul(q, kT);                          // [B·H, T, T]

  Value rows = tensor::CollapseShapeOp::create(
      l.b, l.loc, scores, ArrayRef<ReassociationIndices>{{0, 1}, {2}});
  auto [rowMax, rowSum] = l.softmaxStatistics(rows, seq, scale);
  auto perRow = [&](Value v) -> Value {
    return tensor::ExpandShapeOp::create(l.b, l.loc,
                                         l.f32Tensor({batch * heads, seq}), v,
                                         ArrayRef<ReassociationIndices>{{0, 1}});
  };
  Value maxes = perRow(rowMax), sums = perRow(rowSum);
  RankedTensorType scoresType = l.f32Tensor({batch * heads, seq, seq});
  Value probs =
      l.generic({scores, maxes, sums}, {l.empty(scoresType)},
                {l.dimsMap(3, {0, 1, 2}), l.dimsMap(3, {0, 1}),
                 l.dimsMap(3, {0, 1}), l.dimsMap(3, {0, 1, 2})},
                {kParallel, kParallel, kParallel},
                [&](OpBuilder &b, Location loc, ValueRange args) {
                  Value i = linalg::IndexOp::create(b, loc, 1);
                  Value j = linalg::IndexOp::create(b, loc, 2);
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
  Value out = l.batchMatmul(probs, v);                          // [B·H, T, D]
  Value probs4 = tensor::ExpandShapeOp::create(
      l.b, l.loc, l.f32Tensor({batch, heads, seq, seq}), probs,
      ArrayRef<ReassociationIndices>{{0, 1}, {2}, {3}});
  return {mergeHeads(l, tokenRows(l, out, batch, heads)), probs4};
}

// dV = Pᵀ·dO, dP = dO·Vᵀ, dS = P ⊙ (dP − Σ_j dP ⊙ P) / √D, dQ = dS·K,
// dK = dSᵀ·Q, as per-head matrix products; key/value gradients summed over
// the heads that share them.
static SmallVector<Value> lower(LinalgBuilder &l, ops::AttentionGradOp op) {
  int64_t heads = op.getHeads(), kvHeads = op.getKvHeads();
  auto qType = op.getQuery().getType();
  int64_t batch = qType.getDimSize(0), seq = qType.getDimSize(1);
  int64_t headDim = qType.getDimSize(2) / heads;
  double scale = 1.0 / std::sqrt(static_cast<double>(headDim));
  Value probs = perHead(l, op.getProbabilities());              // [B·H, T, T]
  Value dO = headRows(l, op.getOutputGrad(), heads, heads);    // [B·H, T, D]
  RankedTensorType scoresType = l.f32Tensor({batch * heads, seq, seq});

  Value dV = l.batchMatmul(l.transposed(probs, {0, 2, 1}), dO);
  Value dP = l.batchMatmul(dO, headColumns(l, op.getValue(), kvHeads, heads));
  Value rowDot =
      l.generic({dP, probs}, {l.filled(l.f32Tensor({batch * heads, seq}), 0.0)},
                {l.dimsMap(3, {0, 1, 2}), l.dimsMap(3, {0, 1, 2}),
                 l.dimsMap(3, {0, 1})},
                {kParallel, kParallel, kReduction},
                [](OpBuilder &b, Location loc, ValueRange args) {
                  return SmallVector<Value>{arith::AddFOp::create(
                      b, loc, args[2], arith::MulFOp::create(b, loc, args[0], args[1]))};
                })
          .getResult(0);
  Value dS =
      l.generic({probs, dP, rowDot}, {l.empty(scoresType)},
                {l.dimsMap(3, {0, 1, 2}), l.dimsMap(3, {0, 1, 2}),
                 l.dimsMap(3, {0, 1}), l.dimsMap(3, {0, 1, 2})},
                {kParallel, kParallel, kParallel},
                [&](OpBuilder &b, Location loc, ValueRange args) {
                  Value centered = arith::SubFOp::create(b, loc, args[1], args[2]);
                  Value dScores = arith::MulFOp::create(b, loc, args[0], centered);
                  return SmallVector<Value>{arith::MulFOp::create(
                      b, loc, dScores,
                      arith::ConstantOp::create(b, loc, b.getF32FloatAttr(scale)))};
                })
          .getResult(0);
  Value dQ = l.batchMatmul(dS, headRows(l, op.getKey(), kvHeads, heads));
  Value dK = l.batchMatmul(l.transposed(dS, {0, 2, 1}),
                           headRows(l, op.getQuery(), heads, heads));
  auto kvGradient = [&](Value h3) {
    return mergeHeads(l, sumHeadGroups(l, tokenRows(l, h3, batch, heads), kvHeads));
  };
  return {mergeHeads(l, tokenRows(l, dQ, batch, heads)), kvGradient(dK),
          kvGradient(dV)};
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
