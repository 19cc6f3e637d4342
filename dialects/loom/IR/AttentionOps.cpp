//===- AttentionOps.cpp - attention, rope: verifiers and gradient rules ---===//

#include "dialects/loom/IR/LoomBuilders.h"
#include "dialects/loom/IR/LoomOps.h"

#include <cmath>

using namespace mlir;
using namespace mlir::loom;

// Checks heads/kv_heads against q [B, T, H·D] and k, v [B, T, Hkv·D];
// returns D.
static FailureOr<int64_t> verifyHeads(Operation *op, RankedTensorType query,
                                      RankedTensorType key,
                                      RankedTensorType value, int64_t heads,
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
  if (key.getShape() != value.getShape() ||
      key.getDimSize(0) != query.getDimSize(0) ||
      key.getDimSize(1) != query.getDimSize(1) ||
      key.getDimSize(2) != kvHeads * headDim) {
    op->emitOpError("keys and values must be ")
        << query.getDimSize(0) << "x" << query.getDimSize(1) << "x"
        << kvHeads * headDim << " (" << kvHeads << " head"
        << (kvHeads == 1 ? "" : "s") << " of width " << headDim << "), got " << shapeString(key.getShape()) << " and "
        << shapeString(value.getShape());
    return failure();
  }
  return headDim;
}

static SmallVector<int64_t> probabilitiesShape(RankedTensorType query,
                                               int64_t heads) {
  return {query.getDimSize(0), heads, query.getDimSize(1), query.getDimSize(1)};
}

//===----------------------------------------------------------------------===//
// loom.attention — O = softmax(Q·Kᵀ/√D + causal mask)·V per head
//===----------------------------------------------------------------------===//

int64_t AttentionOp::getHeadDim() {
  return getQuery().getType().getDimSize(2) / getHeads();
}

LogicalResult AttentionOp::verify() {
  if (failed(verifyHeads(*this, getQuery().getType(), getKey().getType(),
                         getValue().getType(), getHeads(), getKvHeads())))
    return failure();
  if (getOutput().getType() != getQuery().getType())
    return emitOpError("output must have the query's type ")
           << getQuery().getType();
  SmallVector<int64_t> probs = probabilitiesShape(getQuery().getType(), getHeads());
  if (getProbabilities().getType().getShape() != ArrayRef<int64_t>(probs))
    return emitOpError("probabilities must be ")
           << shapeString(probs) << " (batch, heads, queries, keys), not "
           << shapeString(getProbabilities().getType().getShape());
  return success();
}

// Forward: S = Q·Kᵀ/√D with keys after the query masked, P = softmax(S),
// O = P·V. Saves: Q, K, V and P (nothing bigger than P per head).
LogicalResult AttentionOp::buildGradient(OpBuilder &builder,
                                         ValueRange resultGrads,
                                         ArrayRef<bool> needsGrad,
                                         SmallVectorImpl<Value> &operandGrads) {
  // The probabilities are an intermediate the backward pass reads, never a
  // value with an adjoint of its own.
  auto grad = AttentionGradOp::create(
      builder, getLoc(),
      TypeRange{getQuery().getType(), getKey().getType(), getValue().getType()},
      getQuery(), getKey(), getValue(), getProbabilities(), resultGrads[0],
      getHeadsAttr(), getKvHeadsAttr());
  operandGrads.assign({needsGrad[0] ? grad.getQueryGrad() : Value(),
                       needsGrad[1] ? grad.getKeyGrad() : Value(),
                       needsGrad[2] ? grad.getValueGrad() : Value()});
  return success();
}

LogicalResult AttentionGradOp::verify() {
  if (failed(verifyHeads(*this, getQuery().getType(), getKey().getType(),
                         getValue().getType(), getHeads(), getKvHeads())))
    return failure();
  SmallVector<int64_t> probs = probabilitiesShape(getQuery().getType(), getHeads());
  if (getProbabilities().getType().getShape() != ArrayRef<int64_t>(probs))
    return emitOpError("probabilities must be ")
           << shapeString(probs) << " (batch, heads, queries, keys), not "
           << shapeString(getProbabilities().getType().getShape());
  if (getOutputGrad().getType() != getQuery().getType() ||
      getQueryGrad().getType() != getQuery().getType() ||
      getKeyGrad().getType() != getKey().getType() ||
      getValueGrad().getType() != getValue().getType())
    return emitOpError("gradients must have the types of what they are "
                       "gradients of");
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
                                resultGrads[0], getHeadsAttr(), getThetaAttr(),
                                getInverse() ? UnitAttr()
                                             : builder.getUnitAttr());
  operandGrads[0] = inverse.getResult();
  return success();
}
