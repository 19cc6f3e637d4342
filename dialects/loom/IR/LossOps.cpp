//===- LossOps.cpp - cross_entropy, mse: verifiers and gradient rules -----===//

#include "dialects/loom/IR/LoomBuilders.h"
#include "dialects/loom/IR/LoomOps.h"

using namespace mlir;
using namespace mlir::loom;

// logits [L..., C] and labels [L...]: one label per row.
static LogicalResult verifyLabelsMatchLogits(Operation *op,
                                             RankedTensorType logits,
                                             RankedTensorType labels) {
  if (logits.getRank() < 2)
    return op->emitOpError("needs logits with rows of class scores, at least "
                           "2 dimensions, not ")
           << shapeString(logits.getShape());
  if (labels.getShape() != logits.getShape().drop_back())
    return op->emitOpError("needs one label per row of logits: logits ")
           << shapeString(logits.getShape()) << " take labels "
           << shapeString(logits.getShape().drop_back()) << ", not "
           << shapeString(labels.getShape());
  return success();
}

//===----------------------------------------------------------------------===//
// loom.cross_entropy — L = mean_i (logsumexp(z_i) − z_i[label_i])
//===----------------------------------------------------------------------===//

LogicalResult CrossEntropyOp::verify() {
  return verifyLabelsMatchLogits(*this, getLogits().getType(),
                                 getLabels().getType());
}

// Forward: L = (1/N) Σ_i (log Σ_c exp z[i,c] − z[i, y_i]). Saves: the logits
// (the softmax is recomputed in the backward pass, never stored).
// dz[i,c] = dL · (softmax(z_i)[c] − [c = y_i]) / N. Labels get no gradient.
LogicalResult CrossEntropyOp::buildGradient(
    OpBuilder &builder, ValueRange resultGrads, ArrayRef<bool> needsGrad,
    SmallVectorImpl<Value> &operandGrads) {
  operandGrads.assign({Value(), Value()});
  if (needsGrad[0])
    operandGrads[0] = CrossEntropyGradOp::create(
        builder, getLoc(), getLogits().getType(), getLogits(), getLabels(),
        resultGrads[0]);
  return success();
}

LogicalResult CrossEntropyGradOp::verify() {
  return verifyLabelsMatchLogits(*this, getLogits().getType(),
                                 getLabels().getType());
}

//===----------------------------------------------------------------------===//
// loom.mse — L = mean((p − t)²)
//===----------------------------------------------------------------------===//

// Forward: L = (1/n) Σ (p − t)². Saves: p and t.
// dp = 2·(p − t)·dL/n and, symmetrically, dt = 2·(t − p)·dL/n.
LogicalResult MseOp::buildGradient(OpBuilder &builder, ValueRange resultGrads,
                                   ArrayRef<bool> needsGrad,
                                   SmallVectorImpl<Value> &operandGrads) {
  Value p = getPrediction(), t = getTarget(), dl = resultGrads[0];
  operandGrads.assign({Value(), Value()});
  if (needsGrad[0])
    operandGrads[0] =
        MseGradOp::create(builder, getLoc(), p.getType(), p, t, dl);
  if (needsGrad[1])
    operandGrads[1] =
        MseGradOp::create(builder, getLoc(), t.getType(), t, p, dl);
  return success();
}
