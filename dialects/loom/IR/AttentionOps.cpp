//===- AttentionOps.cpp - attention, rope: verifiers and gradient rules ---===//

#include "dialects/loom/IR/LoomBuilders.h"
#include "dialects/loom/IR/LoomOps.h"

#include <cmath>

using namespace mlir;
using namespace mlir::loom;

// Checks heads/kv_heads against q [B, T, H·D] and k [B, T, Hkv·D] (v has
// k's type, the output and the gradients the types of what they are
// gradients of: traits in the .td); returns D.
static FailureOr<int64_t> verifyHeads(Operation *op, RankedTensorType query,
                                      RankedTensorType key, int64_t heads,
                                      int64_t kvHeads) {
  if (heads <= 0 || kvHeads <= 0 || heads % kvHeads != 0) {
    op->emitOpError("needs positive heads and kv_heads, kv_heads dividing "
                    "heads; got ")
        << heads << " and " << kvHeads;
    return failure();
  }
  int64_t width = query.getDimSize(2);
  if (width <= 0 || width % heads != 0) {
    op->emitOpError("query width ") << width << " is not a multiple of "
                                    << heads << " heads";
    return failure();
  }
  int64_t headDim = width / heads;
  if (key.getDimSize(0) != query.getDimSize(0) ||
      key.getDimSize(1) != query.getDimSize(1) ||
      key.getDimSize(2) != kvHeads * headDim) {
    op->emitOpError("keys and values must be ")
        << query.getDimSize(0) << "x" << query.getDimSize(1) << "x"
        << kvHeads * headDim << " (" << kvHeads << " head"
        << (kvHeads == 1 ? "" : "s") << " of width " << headDim << "), got "
        << shapeString(key.getShape());
    return failure();
  }
  return headDim;
}

// One log-sum-exp per query of every head: [B, H, T].
static SmallVector<int64_t> logSumExpShape(RankedTensorType query, int64_t heads) {
  return {query.getDimSize(0), heads, query.getDimSize(1)};
}

static LogicalResult verifyLogSumExp(Operation *op, RankedTensorType query,
                                     int64_t heads, RankedTensorType logSumExp) {
  SmallVector<int64_t> shape = logSumExpShape(query, heads);
  if (logSumExp.getShape() != ArrayRef<int64_t>(shape))
    return op->emitOpError("logsumexp must be ")
           << shapeString(shape) << " (batch, heads, queries), not "
           << shapeString(logSumExp.getShape());
  return success();
}

//===----------------------------------------------------------------------===//
// loom.attention — O = softmax(Q·Kᵀ/√D + causal mask)·V per head
//===----------------------------------------------------------------------===//

int64_t AttentionOp::getHeadDim() {
  return getQuery().getType().getDimSize(2) / getHeads();
}

LogicalResult AttentionOp::verify() {
  if (failed(verifyHeads(*this, getQuery().getType(), getKey().getType(),
                         getHeads(), getKvHeads())))
    return failure();
  return verifyLogSumExp(*this, getQuery().getType(), getHeads(),
                         getLogsumexp().getType());
}

// Forward: S = Q·Kᵀ/√D with keys after the query masked, P = softmax(S),
// O = P·V. Saves: Q, K, V, O and the rows' log-sum-exps, O(T) per head:
// the backward pass recomputes P from them.
LogicalResult AttentionOp::buildGradient(OpBuilder &builder,
                                         ValueRange resultGrads,
                                         ArrayRef<bool> needsGrad,
                                         SmallVectorImpl<Value> &operandGrads) {
  // The log-sum-exps are an intermediate the backward pass reads, never a
  // value with an adjoint of its own.
  auto grad = AttentionGradOp::create(
      builder, getLoc(),
      TypeRange{getQuery().getType(), getKey().getType(), getValue().getType()},
      getQuery(), getKey(), getValue(), getOutput(), getLogsumexp(), resultGrads[0],
      getHeadsAttr(), getKvHeadsAttr());
  operandGrads.assign({needsGrad[0] ? grad.getQueryGrad() : Value(),
                       needsGrad[1] ? grad.getKeyGrad() : Value(),
                       needsGrad[2] ? grad.getValueGrad() : Value()});
  return success();
}

LogicalResult AttentionGradOp::verify() {
  if (failed(verifyHeads(*this, getQuery().getType(), getKey().getType(),
                         getHeads(), getKvHeads())))
    return failure();
  return verifyLogSumExp(*this, getQuery().getType(), getHeads(),
                         getLogsumexp().getType());
}

//===----------------------------------------------------------------------===//
// loom.cached_attention — attention of new tokens over a key/value cache
//===----------------------------------------------------------------------===//

int64_t CachedAttentionOp::getHeadDim() {
  return getQuery().getType().getDimSize(2) / getHeads();
}

LogicalResult CachedAttentionOp::verify() {
  RankedTensorType key = getKey().getType(), cache = getKeyCache().getType();
  if (failed(verifyHeads(*this, getQuery().getType(), key, getHeads(),
                         getKvHeads())))
    return failure();
  if (cache.getDimSize(0) != key.getDimSize(0) ||
      cache.getDimSize(2) != key.getDimSize(2))
    return emitOpError("caches must be ")
           << key.getDimSize(0) << "xCx" << key.getDimSize(2)
           << " (batch, positions, key/value width), got "
           << shapeString(cache.getShape());
  if (cache.getDimSize(1) < key.getDimSize(1))
    return emitOpError("caches of ")
           << cache.getDimSize(1) << " positions cannot hold "
           << key.getDimSize(1) << " new tokens";
  return success();
}

//===----------------------------------------------------------------------===//
// loom.rope — rotate each head's halves by position-dependent angles
//===----------------------------------------------------------------------===//

LogicalResult RopeOp::verify() {
  int64_t width = getInput().getType().getDimSize(2);
  int64_t heads = getHeads();
  if (heads <= 0)
    return emitOpError("needs a positive number of heads, got ") << heads;
  if (width % heads != 0 || (width / heads) % 2 != 0)
    return emitOpError("width ")
           << width << " must be " << heads
           << " heads of an even number of columns";
  double theta = getTheta().convertToDouble();
  if (!(theta > 0.0) || !std::isfinite(theta))
    return emitOpError("theta must be positive and finite");
  if (static_cast<bool>(getPosition()) != getPositions().has_value())
    return emitOpError("a run-time position and positions(N), its bound, "
                       "come together");
  int64_t rows = getInput().getType().getDimSize(1);
  if (getPositions() && static_cast<int64_t>(*getPositions()) < rows)
    return emitOpError("positions(")
           << *getPositions() << ") cannot hold the " << rows
           << " rows of the input";
  return success();
}

// Forward: y = R(t)·x, a rotation of each (x₁[i], x₂[i]) pair. Saves
// nothing: the adjoint is the inverse rotation, R(t)ᵀ·dy.
LogicalResult RopeOp::buildGradient(OpBuilder &builder, ValueRange resultGrads,
                                    ArrayRef<bool> needsGrad,
                                    SmallVectorImpl<Value> &operandGrads) {
  operandGrads.assign({Value()});
  if (!needsGrad[0])
    return success();
  auto inverse = RopeOp::create(builder, getLoc(), getInput().getType(),
                                resultGrads[0], getPosition(), getPositionsAttr(),
                                getHeadsAttr(), getThetaAttr(),
                                getInverse() ? UnitAttr()
                                             : builder.getUnitAttr());
  operandGrads[0] = inverse.getResult();
  return success();
}
