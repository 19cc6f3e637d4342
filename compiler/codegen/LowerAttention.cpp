//===- LowerAttention.cpp - attention, attention_grad, rope to linalg -----===//
//
// Heads live side by side in the last dimension ([B, T, H·D]), read in
// place through [B, T, H, D] views. Flash attention: one thread block per
// head, walking blocks of queries and keys with the online softmax, so
// that the O(T²) scores and probabilities exist one small block at a time,
// in cache, and causally hidden blocks are never computed. Each block's
// products and row kernels are linalg ops that loom-tile-and-vectorize
// tiles into register tiles.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/Lowerings.h"
#include "compiler/codegen/Passes.h"
#include "compiler/codegen/ScalarMath.h"
#include "dialects/loom/IR/LoomOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "llvm/ADT/TypeSwitch.h"
#include <cmath>
#include <limits>

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
      l.floatTensor({type.getDimSize(0), type.getDimSize(1), heads, width / heads}),
      x, ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}});
}

Value mergeHeads(LinalgBuilder &l, Value x) {
  return tensor::CollapseShapeOp::create(
      l.b, l.loc, x, ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}});
}

// Gradients of key/value heads computed per query head, [B, T, H, D],
// summed over each group of H/Hkv query heads that read one key/value head
// into [B, T, Hkv, D].
Value sumHeadGroups(LinalgBuilder &l, Value x4, int64_t kvHeads) {
  auto type = cast<RankedTensorType>(x4.getType());
  int64_t heads = type.getDimSize(2);
  if (kvHeads == heads)
    return x4;
  int64_t group = heads / kvHeads;
  Value grouped = tensor::ExpandShapeOp::create(
      l.b, l.loc,
      l.floatTensor({type.getDimSize(0), type.getDimSize(1), kvHeads, group,
                   type.getDimSize(3)}),
      x4, ArrayRef<ReassociationIndices>{{0}, {1}, {2, 3}, {4}});
  RankedTensorType outType = l.floatTensor(
      {type.getDimSize(0), type.getDimSize(1), kvHeads, type.getDimSize(3)});
  // Loops (b, t, hk, d, g): the group g is the reduction.
  return l.generic({grouped}, {l.filled(outType, 0.0)},
                   {l.dimsMap(5, {0, 1, 2, 4, 3}), l.dimsMap(5, {0, 1, 2, 3})},
                   {kParallel, kParallel, kParallel, kParallel, kReduction},
                   LinalgBuilder::sumBody)
      .getResult(0);
}

} // namespace

// Queries and keys are taken in blocks of this many rows: a block's scores
// are a few register tiles, and with causal masking only blocks on or below
// the diagonal are computed (T = 128 in blocks of 32: 10 of 16). Other
// lengths take their largest divisor up to 64 (1001 = 7·11·13: blocks of
// 13; up to 64, the length itself: one block); a prime length over 64 is
// one block.
static int64_t attentionBlock(int64_t seq) {
  for (int64_t block : {32, 16, 8})
    if (seq % block == 0)
      return block;
  for (int64_t block = std::min<int64_t>(seq, 64); block > 3; --block)
    if (seq % block == 0)
      return block;
  return seq;
}

namespace {
// Inside the loop over heads, iteration `head` = b·H + h: the batch row b,
// the query head h and the key/value head it reads, and the blocks of
// their rows. Heads are read in place from [B, T, H, D] views of the
// operands: a head's rows are D contiguous floats H·D apart.
struct HeadBlocks {
  LinalgBuilder &l;
  Value head, batchRow, queryHead, kvHead;
  int64_t block, headDim, seq;

  HeadBlocks(LinalgBuilder &l, Value head, int64_t heads, int64_t kvHeads,
             int64_t headDim, int64_t seq)
      : l(l), head(head), block(attentionBlock(seq)), headDim(headDim), seq(seq) {
    batchRow = arith::DivUIOp::create(l.b, l.loc, head, l.index(heads));
    queryHead = arith::RemUIOp::create(l.b, l.loc, head, l.index(heads));
    kvHead = arith::DivUIOp::create(l.b, l.loc, queryHead, l.index(heads / kvHeads));
  }

  Value start(Value blockIndex) {
    return arith::MulIOp::create(l.b, l.loc, blockIndex, l.index(block));
  }
  // Head `h` of x4 [B, T, H', D]: rows [start, start + block), or all T.
  Value rows(Value x4, Value h, Value start) {
    return l.slice(x4, {batchRow, start, h, l.b.getIndexAttr(0)},
                   {1, block, 1, headDim}, {block, headDim});
  }
  Value whole(Value x4, Value h) {
    return l.slice(x4, {batchRow, l.b.getIndexAttr(0), h, l.b.getIndexAttr(0)},
                   {1, seq, 1, headDim}, {seq, headDim});
  }
  // Columns [start, start + block) of a head's transpose [D, T].
  Value columns(Value xT, Value start) {
    return l.slice(xT, {l.b.getIndexAttr(0), start}, {headDim, block},
                   {headDim, block});
  }
  // Entries [start, start + block) of a head's per-query statistics [T].
  Value entries(Value stats, Value start) {
    return l.slice(stats, {start}, {block}, {block});
  }
  // Whether key column j of the key block at `keyStart` is visible from
  // query row i of the query block at `queryStart` (inside a generic over
  // (i, j)): the key is not after the query.
  Value visible(OpBuilder &b, Location loc, Value queryStart, Value keyStart) {
    Value i = linalg::IndexOp::create(b, loc, 0);
    Value j = linalg::IndexOp::create(b, loc, 1);
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule,
                                 arith::AddIOp::create(b, loc, keyStart, j),
                                 arith::AddIOp::create(b, loc, queryStart, i));
  }
  // exp(S·scale − shift) for a block of scores, 0 where the key is after
  // the query: with the running maxima as shift the online softmax's
  // terms, with the log-sum-exps the probabilities themselves.
  Value probabilities(Value scores, Value shift, double scale, Value queryStart,
                      Value keyStart) {
    return l.generic({scores, shift}, {l.empty(l.floatTensor({block, block}))},
                     {l.dimsMap(2, {0, 1}), l.dimsMap(2, {0}), l.dimsMap(2, {0, 1})},
                     {kParallel, kParallel},
                     [&](OpBuilder &b, Location loc, ValueRange args) {
                       Value scaled = arith::MulFOp::create(
                           b, loc, args[0],
                           loomc::scalar::constant(b, loc, args[0], scale));
                       Value p = math::ExpOp::create(
                           b, loc, arith::SubFOp::create(b, loc, scaled, args[1]));
                       Value zero = loomc::scalar::constant(b, loc, args[0], 0.0);
                       return SmallVector<Value>{arith::SelectOp::create(
                           b, loc, visible(b, loc, queryStart, keyStart), p, zero)};
                     })
        .getResult(0);
  }
  // A head's own copy of its transpose [D, T] (of a key or value head),
  // the right operand of the products against it: made once per head.
  Value transposedHead(Value x4) {
    return l.transposed(whole(x4, kvHead), {1, 0});
  }
};

// Where head `head` writes in an output of the loop over heads: its [T, D]
// of a [B, T, H, D] output, its [T] of a [B·H, T] one.
struct HeadWindow {
  SmallVector<OpFoldResult> offsets;
  SmallVector<int64_t> sizes, shape;
};
HeadWindow headWindow(LinalgBuilder &l, HeadBlocks &at, RankedTensorType type) {
  OpFoldResult zero = l.b.getIndexAttr(0);
  if (type.getRank() == 4)
    return {{at.batchRow, zero, at.queryHead, zero},
            {1, at.seq, 1, at.headDim},
            {at.seq, at.headDim}};
  return {{at.head, zero}, {1, at.seq}, {at.seq}};
}
} // namespace

// The loop over heads: one thread block per batch row and head (split
// between the threads, marked loom.thread_block so that the ops inside are
// tiled into register tiles only). `buildHead` gets the head's windows of
// the outputs and returns what it writes there.
static scf::ForallOp forEachHead(
    LinalgBuilder &l, int64_t batch, int64_t heads, int64_t kvHeads,
    int64_t headDim, int64_t seq, ArrayRef<RankedTensorType> outputTypes,
    llvm::function_ref<SmallVector<Value>(HeadBlocks &at, ValueRange windows)> buildHead) {
  SmallVector<Value> outputs;
  for (RankedTensorType type : outputTypes)
    outputs.push_back(l.empty(type));
  auto forall = scf::ForallOp::create(
      l.b, l.loc, ArrayRef<OpFoldResult>{l.b.getIndexAttr(batch * heads)}, outputs,
      std::nullopt);
  forall->setAttr(mlir::loom::kThreadBlockAttr, l.b.getUnitAttr());
  OpBuilder::InsertionGuard guard(l.b);
  l.b.setInsertionPointToStart(forall.getBody());
  HeadBlocks at(l, forall.getInductionVar(0), heads, kvHeads, headDim, seq);
  SmallVector<HeadWindow> windows;
  SmallVector<Value> windowValues;
  for (auto [type, shared] : llvm::zip(outputTypes, forall.getRegionIterArgs())) {
    windows.push_back(headWindow(l, at, type));
    windowValues.push_back(
        l.slice(shared, windows.back().offsets, windows.back().sizes, windows.back().shape));
  }
  SmallVector<Value> results = buildHead(at, windowValues);
  l.b.setInsertionPointToStart(forall.getTerminator().getBody());
  for (auto [result, shared, window] :
       llvm::zip(results, forall.getRegionIterArgs(), windows)) {
    tensor::ParallelInsertSliceOp::create(
        l.b, l.loc, result, shared, window.offsets, l.indexAttrs(window.sizes),
        l.indexAttrs(SmallVector<int64_t>(window.sizes.size(), 1)));
  }
  return forall;
}

// Flash attention (Dao et al.), causal. Per head, per block of queries:
// for each key block up to the diagonal, S = Q·Kᵀ/√D (masked), the row
// maxima m and normalizers l are updated online and the output accumulator
// is rescaled before adding P·V; then O = acc/l and L = m + log l. The
// T×T scores and probabilities only ever exist one block at a time, in
// cache: the backward pass gets O and L, O(T) per head. Q, V and O are
// read and written in place; each head makes one copy, its Kᵀ.
static SmallVector<Value> lower(LinalgBuilder &l, ops::AttentionOp op) {
  int64_t heads = op.getHeads(), kvHeads = op.getKvHeads();
  auto qType = op.getQuery().getType();
  int64_t batch = qType.getDimSize(0), seq = qType.getDimSize(1);
  int64_t headDim = op.getHeadDim();
  double scale = 1.0 / std::sqrt(static_cast<double>(headDim));
  Value q4 = splitHeads(l, op.getQuery(), heads);      // [B, T, H, D]
  Value k4 = splitHeads(l, op.getKey(), kvHeads);      // [B, T, Hkv, D]
  Value v4 = splitHeads(l, op.getValue(), kvHeads);    // [B, T, Hkv, D]
  int64_t block = attentionBlock(seq), blocks = seq / block;
  float negInf = -std::numeric_limits<float>::infinity();
  RankedTensorType blockType = l.floatTensor({block, headDim});
  RankedTensorType statsType = l.floatTensor({block});
  auto rowwise = [&](unsigned loops) {
    return SmallVector<utils::IteratorType>(loops, kParallel);
  };

  auto forall = forEachHead(
      l, batch, heads, kvHeads, headDim, seq,
      {l.floatTensor({batch, seq, heads, headDim}), l.floatTensor({batch * heads, seq})},
      [&](HeadBlocks &at, ValueRange windows) -> SmallVector<Value> {
        Value kT = at.transposedHead(k4);                          // [D, T]
        auto queryLoop = scf::ForOp::create(
            l.b, l.loc, l.index(0), l.index(blocks), l.index(1), windows,
            [&](OpBuilder &, Location, Value r, ValueRange headOut) {
              Value queryStart = at.start(r);
              Value qBlock = at.rows(q4, at.queryHead, queryStart);
              Value through = arith::AddIOp::create(l.b, l.loc, r, l.index(1));
              auto keyLoop = scf::ForOp::create(
                  l.b, l.loc, l.index(0), through, l.index(1),
                  ValueRange{l.filled(blockType, 0.0), l.filled(statsType, negInf),
                             l.filled(statsType, 0.0)},
                  [&](OpBuilder &, Location, Value c, ValueRange state) {
                    Value acc = state[0], rowMax = state[1], rowSum = state[2];
                    Value keyStart = at.start(c);
                    Value scores = l.matmul(qBlock, at.columns(kT, keyStart), false, false);
                    Value blockMax =
                        l.generic({scores}, {l.filled(statsType, negInf)},
                                  {l.dimsMap(2, {0, 1}), l.dimsMap(2, {0})},
                                  {kParallel, kReduction},
                                  [&](OpBuilder &b, Location loc, ValueRange args) {
                                    auto constant = [&](double value) -> Value {
                                      return loomc::scalar::constant(b, loc, args[0], value);
                                    };
                                    Value scaled = arith::MulFOp::create(
                                        b, loc, args[0], constant(scale));
                                    // max(acc, masked score): a plain maximum
                                    // reduction, which vectorizes.
                                    Value masked = arith::SelectOp::create(
                                        b, loc, at.visible(b, loc, queryStart, keyStart),
                                        scaled, constant(negInf));
                                    return SmallVector<Value>{
                                        arith::MaximumFOp::create(b, loc, args[1], masked)};
                                  })
                            .getResult(0);
                    // m' = max(m, block maximum); α = exp(m − m') rescales
                    // what was summed against m. The loop's state is
                    // updated in place (read before written, per row).
                    auto update = l.generic(
                        {blockMax}, {rowMax, l.empty(statsType)},
                        SmallVector<AffineMap>(3, l.dimsMap(1, {0})), rowwise(1),
                        [](OpBuilder &b, Location loc, ValueRange args) {
                          Value newMax = arith::MaximumFOp::create(b, loc, args[1], args[0]);
                          Value alpha = math::ExpOp::create(
                              b, loc, arith::SubFOp::create(b, loc, args[1], newMax));
                          return SmallVector<Value>{newMax, alpha};
                        });
                    Value newMax = update.getResult(0), alpha = update.getResult(1);
                    Value probs = at.probabilities(scores, newMax, scale, queryStart, keyStart);
                    Value blockSum =
                        l.generic({probs}, {l.filled(statsType, 0.0)},
                                  {l.dimsMap(2, {0, 1}), l.dimsMap(2, {0})},
                                  {kParallel, kReduction}, LinalgBuilder::sumBody)
                            .getResult(0);
                    Value newSum =
                        l.generic({alpha, blockSum}, {rowSum},
                                  SmallVector<AffineMap>(3, l.dimsMap(1, {0})), rowwise(1),
                                  [](OpBuilder &b, Location loc, ValueRange args) {
                                    return SmallVector<Value>{arith::AddFOp::create(
                                        b, loc, arith::MulFOp::create(b, loc, args[2], args[0]),
                                        args[1])};
                                  })
                            .getResult(0);
                    Value rescaled =
                        l.generic({alpha}, {acc},
                                  {l.dimsMap(2, {0}), l.dimsMap(2, {0, 1})},
                                  rowwise(2), [](OpBuilder &b, Location loc, ValueRange args) {
                                    return SmallVector<Value>{
                                        arith::MulFOp::create(b, loc, args[1], args[0])};
                                  })
                            .getResult(0);
                    Value newAcc = l.matmulInto(
                        probs, at.rows(v4, at.kvHead, keyStart), rescaled, false);
                    scf::YieldOp::create(l.b, l.loc, ValueRange{newAcc, newMax, newSum});
                  });
              Value acc = keyLoop.getResult(0), rowMax = keyLoop.getResult(1),
                    rowSum = keyLoop.getResult(2);
              Value out =
                  l.generic({acc, rowSum}, {l.empty(blockType)},
                            {l.dimsMap(2, {0, 1}), l.dimsMap(2, {0}), l.dimsMap(2, {0, 1})},
                            rowwise(2), [](OpBuilder &b, Location loc, ValueRange args) {
                              return SmallVector<Value>{
                                  arith::DivFOp::create(b, loc, args[0], args[1])};
                            })
                      .getResult(0);
              Value logSumExp =
                  l.generic({rowMax, rowSum}, {l.empty(statsType)},
                            SmallVector<AffineMap>(3, l.dimsMap(1, {0})), rowwise(1),
                            [](OpBuilder &b, Location loc, ValueRange args) {
                              return SmallVector<Value>{arith::AddFOp::create(
                                  b, loc, args[0], math::LogOp::create(b, loc, args[1]))};
                            })
                      .getResult(0);
              scf::YieldOp::create(
                  l.b, l.loc,
                  ValueRange{l.insertSlice(out, headOut[0], {queryStart, l.b.getIndexAttr(0)},
                                           {block, headDim}),
                             l.insertSlice(logSumExp, headOut[1], {queryStart}, {block})});
            });
        return {queryLoop.getResult(0), queryLoop.getResult(1)};
      });
  Value logSumExp = tensor::ExpandShapeOp::create(
      l.b, l.loc, l.floatTensor({batch, heads, seq}), forall.getResult(1),
      ArrayRef<ReassociationIndices>{{0, 1}, {2}});
  return {mergeHeads(l, forall.getResult(0)), logSumExp};
}

// The backward pass of flash attention. Per head: Δ = rowsum(dO ⊙ O) and
// the head's Kᵀ and Vᵀ first; then per key block, for each query block at
// or below the diagonal: P = exp(S/√D − L) recomputed from Q, K and L,
// dV += Pᵀ·dO, dP = dO·Vᵀ, dS = P ⊙ (dP − Δ)/√D, dK += dSᵀ·Q, dQ += dS·K.
// dK and dV of a key block accumulate over the query blocks, dQ over the
// key blocks; one thread owns a head, so nothing is added concurrently.
// Key/value gradients are per query head, then summed over the heads that
// share a key/value head (nothing to sum without grouping).
static SmallVector<Value> lower(LinalgBuilder &l, ops::AttentionGradOp op) {
  int64_t heads = op.getHeads(), kvHeads = op.getKvHeads();
  auto qType = op.getQuery().getType();
  int64_t batch = qType.getDimSize(0), seq = qType.getDimSize(1);
  int64_t headDim = qType.getDimSize(2) / heads;
  double scale = 1.0 / std::sqrt(static_cast<double>(headDim));
  Value q4 = splitHeads(l, op.getQuery(), heads);        // [B, T, H, D]
  Value k4 = splitHeads(l, op.getKey(), kvHeads);        // [B, T, Hkv, D]
  Value v4 = splitHeads(l, op.getValue(), kvHeads);      // [B, T, Hkv, D]
  Value dO4 = splitHeads(l, op.getOutputGrad(), heads);  // [B, T, H, D]
  Value o4 = splitHeads(l, op.getOutput(), heads);       // [B, T, H, D]
  Value logSumExp = tensor::CollapseShapeOp::create(
      l.b, l.loc, op.getLogsumexp(), ArrayRef<ReassociationIndices>{{0, 1}, {2}});

  int64_t block = attentionBlock(seq), blocks = seq / block;
  RankedTensorType blockType = l.floatTensor({block, headDim});
  RankedTensorType scoresType = l.floatTensor({block, block});
  RankedTensorType gradType = l.floatTensor({batch, seq, heads, headDim});
  auto forall = forEachHead(
      l, batch, heads, kvHeads, headDim, seq, {gradType, gradType, gradType},
      [&](HeadBlocks &at, ValueRange windows) -> SmallVector<Value> {
        Value kT = at.transposedHead(k4);                          // [D, T]
        Value vT = at.transposedHead(v4);                          // [D, T]
        Value delta =
            l.generic({at.whole(dO4, at.queryHead), at.whole(o4, at.queryHead)},
                      {l.filled(l.floatTensor({seq}), 0.0)},
                      {l.dimsMap(2, {0, 1}), l.dimsMap(2, {0, 1}), l.dimsMap(2, {0})},
                      {kParallel, kReduction},
                      [](OpBuilder &b, Location loc, ValueRange args) {
                        return SmallVector<Value>{arith::AddFOp::create(
                            b, loc, args[2], arith::MulFOp::create(b, loc, args[0], args[1]))};
                      })
                .getResult(0);
        Value lseHead = l.slice(logSumExp, {at.head, l.b.getIndexAttr(0)}, {1, seq}, {seq});
        Value dQHead = linalg::FillOp::create(l.b, l.loc, ValueRange{l.floatConstant(0.0)},
                                              ValueRange{windows[0]})
                           .getResult(0);
        auto keyLoop = scf::ForOp::create(
            l.b, l.loc, l.index(0), l.index(blocks), l.index(1),
            ValueRange{dQHead, windows[1], windows[2]},
            [&](OpBuilder &, Location, Value c, ValueRange headGrads) {
              Value keyStart = at.start(c);
              Value kBlock = at.rows(k4, at.kvHead, keyStart);
              Value kTBlock = at.columns(kT, keyStart);
              Value vTBlock = at.columns(vT, keyStart);
              auto queryLoop = scf::ForOp::create(
                  l.b, l.loc, c, l.index(blocks), l.index(1),
                  ValueRange{headGrads[0], l.filled(blockType, 0.0), l.filled(blockType, 0.0)},
                  [&](OpBuilder &, Location, Value r, ValueRange grads) {
                    Value dQ = grads[0], dK = grads[1], dV = grads[2];
                    Value queryStart = at.start(r);
                    Value qBlock = at.rows(q4, at.queryHead, queryStart);
                    Value dOBlock = at.rows(dO4, at.queryHead, queryStart);
                    Value scores = l.matmul(qBlock, kTBlock, false, false);
                    Value probs = at.probabilities(
                        scores, at.entries(lseHead, queryStart), scale, queryStart, keyStart);
                    Value newDV = l.matmulInto(probs, dOBlock, dV, /*transposeLhs=*/true);
                    Value dP = l.matmul(dOBlock, vTBlock, false, false);
                    Value dS =
                        l.generic({probs, dP, at.entries(delta, queryStart)},
                                  {l.empty(scoresType)},
                                  {l.dimsMap(2, {0, 1}), l.dimsMap(2, {0, 1}), l.dimsMap(2, {0}),
                                   l.dimsMap(2, {0, 1})},
                                  {kParallel, kParallel},
                                  [&](OpBuilder &b, Location loc, ValueRange args) {
                                    Value centered =
                                        arith::SubFOp::create(b, loc, args[1], args[2]);
                                    Value dScores =
                                        arith::MulFOp::create(b, loc, args[0], centered);
                                    Value scaleValue =
                                        loomc::scalar::constant(b, loc, args[0], scale);
                                    return SmallVector<Value>{
                                        arith::MulFOp::create(b, loc, dScores, scaleValue)};
                                  })
                            .getResult(0);
                    Value newDK = l.matmulInto(dS, qBlock, dK, /*transposeLhs=*/true);
                    SmallVector<OpFoldResult> rowsAt = {queryStart, l.b.getIndexAttr(0)};
                    Value dQBlock = l.slice(dQ, rowsAt, {block, headDim}, {block, headDim});
                    Value newDQ = l.insertSlice(l.matmulInto(dS, kBlock, dQBlock, false), dQ,
                                                rowsAt, {block, headDim});
                    scf::YieldOp::create(l.b, l.loc, ValueRange{newDQ, newDK, newDV});
                  });
              SmallVector<OpFoldResult> rowsAt = {keyStart, l.b.getIndexAttr(0)};
              scf::YieldOp::create(
                  l.b, l.loc,
                  ValueRange{queryLoop.getResult(0),
                             l.insertSlice(queryLoop.getResult(1), headGrads[1], rowsAt,
                                           {block, headDim}),
                             l.insertSlice(queryLoop.getResult(2), headGrads[2], rowsAt,
                                           {block, headDim})});
            });
        return {keyLoop.getResult(0), keyLoop.getResult(1), keyLoop.getResult(2)};
      });
  auto kvGradient = [&](Value grad4) {
    return mergeHeads(l, sumHeadGroups(l, grad4, kvHeads));
  };
  return {mergeHeads(l, forall.getResult(0)), kvGradient(forall.getResult(1)),
          kvGradient(forall.getResult(2))};
}

// Attention of T new tokens over a key/value cache (inference). The new
// keys and values are written into the caches at rows [position,
// position + T) -- in place, the caches being the caller's buffers -- and
// then, one thread block per batch row and head, each query at position
// p = position + i walks the cached keys 0..p with the online softmax,
// reading K and V rows straight from the cache (no copy of either):
// s = q·k/√D, m' = max(m, s), l' = l·e^(m−m') + e^(s−m'),
// acc' = acc·e^(m−m') + e^(s−m')·v, and O = acc/l. A decode step's
// attention is O(p·D) per head against the O(dim²) of its products.
static SmallVector<Value> lower(LinalgBuilder &l, ops::CachedAttentionOp op) {
  int64_t heads = op.getHeads(), kvHeads = op.getKvHeads();
  auto qType = op.getQuery().getType();
  auto kType = op.getKey().getType();
  int64_t batch = qType.getDimSize(0), seq = qType.getDimSize(1);
  int64_t headDim = op.getHeadDim();
  float scale = 1.0f / std::sqrt(static_cast<float>(headDim));
  Value position = op.getPosition();
  SmallVector<OpFoldResult> at = {l.b.getIndexAttr(0), position,
                                  l.b.getIndexAttr(0)};
  SmallVector<int64_t> sizes(kType.getShape());
  Value keyCache = l.insertSlice(op.getKey(), op.getKeyCache(), at, sizes);
  Value valueCache = l.insertSlice(op.getValue(), op.getValueCache(), at, sizes);
  Value q4 = splitHeads(l, op.getQuery(), heads);  // [B, T, H, D]
  Value k4 = splitHeads(l, keyCache, kvHeads);      // [B, C, Hkv, D]
  Value v4 = splitHeads(l, valueCache, kvHeads);    // [B, C, Hkv, D]
  auto vecType = VectorType::get({headDim}, l.element);
  double negInf = -std::numeric_limits<double>::infinity();

  auto forall = forEachHead(
      l, batch, heads, kvHeads, headDim, seq,
      {l.floatTensor({batch, seq, heads, headDim})},
      [&](HeadBlocks &head, ValueRange windows) -> SmallVector<Value> {
        auto queries = scf::ForOp::create(
            l.b, l.loc, l.index(0), l.index(seq), l.index(1), windows,
            [&](OpBuilder &b, Location loc, Value i, ValueRange out) {
              auto constant = [&](double value) -> Value {
                return arith::ConstantOp::create(b, loc, b.getFloatAttr(l.element, value));
              };
              Value zero = constant(0.0);
              auto row = [&](Value x4, Value t, Value h) -> Value {
                Value c0 = arith::ConstantIndexOp::create(b, loc, 0);
                return vector::TransferReadOp::create(
                    b, loc, vecType, x4, ValueRange{head.batchRow, t, h, c0}, zero,
                    ArrayRef<bool>{true});
              };
              Value query = row(q4, i, head.queryHead);
              Value last = arith::AddIOp::create(b, loc, position, i);
              Value end = arith::AddIOp::create(
                  b, loc, last, arith::ConstantIndexOp::create(b, loc, 1));
              Value zeros = vector::BroadcastOp::create(b, loc, vecType, zero);
              auto keys = scf::ForOp::create(
                  b, loc, arith::ConstantIndexOp::create(b, loc, 0), end,
                  arith::ConstantIndexOp::create(b, loc, 1),
                  ValueRange{constant(negInf), zero, zeros},
                  [&](OpBuilder &kb, Location kl, Value j, ValueRange state) {
                    Value rowMax = state[0], rowSum = state[1], acc = state[2];
                    Value key = row(k4, j, head.kvHead);
                    Value dot = vector::ReductionOp::create(
                        kb, kl, vector::CombiningKind::ADD,
                        arith::MulFOp::create(kb, kl, query, key));
                    Value score = arith::MulFOp::create(kb, kl, dot, constant(scale));
                    Value newMax = arith::MaximumFOp::create(kb, kl, rowMax, score);
                    Value alpha = math::ExpOp::create(
                        kb, kl, arith::SubFOp::create(kb, kl, rowMax, newMax));
                    Value weight = math::ExpOp::create(
                        kb, kl, arith::SubFOp::create(kb, kl, score, newMax));
                    Value newSum = arith::AddFOp::create(
                        kb, kl, arith::MulFOp::create(kb, kl, rowSum, alpha), weight);
                    Value value = row(v4, j, head.kvHead);
                    Value scaled = arith::MulFOp::create(
                        kb, kl, acc, vector::BroadcastOp::create(kb, kl, vecType, alpha));
                    Value newAcc = vector::FMAOp::create(
                        kb, kl, vector::BroadcastOp::create(kb, kl, vecType, weight),
                        value, scaled);
                    scf::YieldOp::create(kb, kl, ValueRange{newMax, newSum, newAcc});
                  });
              Value result = arith::DivFOp::create(
                  b, loc, keys.getResult(2),
                  vector::BroadcastOp::create(b, loc, vecType, keys.getResult(1)));
              Value written =
                  vector::TransferWriteOp::create(
                      b, loc, result, out[0],
                      ValueRange{i, arith::ConstantIndexOp::create(b, loc, 0)},
                      ArrayRef<bool>{true})
                      .getResult();
              scf::YieldOp::create(b, loc, written);
            });
        return {queries.getResult(0)};
      });
  return {mergeHeads(l, forall.getResult(0)), keyCache, valueCache};
}

// Each head's halves x₁, x₂ (columns [0, D/2) and [D/2, D)) at position t:
// y₁ = x₁·cos − x₂·sin, y₂ = x₂·cos + x₁·sin with the angles t·θ^(−2i/D),
// computed in f32 as Hugging Face Llama computes them. The inverse rotation
// flips the sign of sin. With a run-time position (inference), the tables
// cover positions(N) rows and the rows [position, position + T) are read:
// the same angles, bit for bit, as training computes at those positions.
static Value lower(LinalgBuilder &l, ops::RopeOp op) {
  auto type = op.getInput().getType();
  int64_t batch = type.getDimSize(0), seq = type.getDimSize(1);
  int64_t heads = op.getHeads(), headDim = type.getDimSize(2) / heads;
  int64_t half = headDim / 2;
  int64_t rows = op.getPositions() ? *op.getPositions() : seq;
  float theta = static_cast<float>(op.getTheta().convertToDouble());
  SmallVector<float> cosines, sines;
  for (int64_t t = 0; t < rows; ++t) {
    for (int64_t i = 0; i < half; ++i) {
      float exponent = static_cast<float>(2 * i) / static_cast<float>(headDim);
      float inverseFrequency = 1.0f / std::pow(theta, exponent);
      float angle = static_cast<float>(t) * inverseFrequency;
      cosines.push_back(std::cos(angle));
      sines.push_back(op.getInverse() ? -std::sin(angle) : std::sin(angle));
    }
  }
  // The f32 angles in every precision (an f64 build widens them): the
  // tables are constants that forward and backward passes share.
  RankedTensorType tableType = l.floatTensor({rows, half});
  auto table = [&](ArrayRef<float> values) -> Value {
    DenseElementsAttr attr =
        l.element.isF64()
            ? DenseElementsAttr::get(tableType,
                                     ArrayRef<double>(SmallVector<double>(values)))
            : DenseElementsAttr::get(tableType, values);
    return arith::ConstantOp::create(l.b, l.loc, attr);
  };
  Value cosTable = table(cosines), sinTable = table(sines);
  if (Value position = op.getPosition()) {
    cosTable = l.slice(cosTable, {position, l.b.getIndexAttr(0)}, {seq, half},
                       {seq, half});
    sinTable = l.slice(sinTable, {position, l.b.getIndexAttr(0)}, {seq, half},
                       {seq, half});
  }
  // [B, T, H·D] as [B, T, H, 2, D/2]: the half is a dimension of its own.
  RankedTensorType halvesType = l.floatTensor({batch, seq, heads, 2, half});
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
      .Case<ops::AttentionOp, ops::AttentionGradOp, ops::CachedAttentionOp>(
          [&](auto attention) { return lower(l, attention); })
      .Case([&](ops::RopeOp rope) { return SmallVector<Value>{lower(l, rope)}; })
      .Default([](Operation *) { return std::nullopt; });
}
