//===- NormalizationOps.cpp - layer_norm, rms_norm: verifiers and rules ---===//

#include "dialects/loom/IR/LoomBuilders.h"
#include "dialects/loom/IR/LoomOps.h"

#include <cmath>

using namespace mlir;
using namespace mlir::loom;

// The gain (and bias) of a normalization have one entry per feature, the
// last dimension of the input. (Traits in the .td say which other operands
// and results share the input's or the gain's type.)
static LogicalResult verifyFeatureVector(Operation *op, StringRef what,
                                         RankedTensorType input,
                                         RankedTensorType vector) {
  if (input.getRank() < 1)
    return op->emitOpError("needs an input with a dimension to normalize "
                           "over, not a scalar");
  if (vector.getDimSize(0) != input.getShape().back())
    return op->emitOpError() << what << " must have " << input.getShape().back()
                             << " elements, one per feature of the input "
                             << shapeString(input.getShape()) << ", not "
                             << shapeString(vector.getShape());
  return success();
}

static LogicalResult verifyEpsilon(Operation *op, APFloat epsilon) {
  float value = epsilon.convertToFloat();
  if (!(value > 0.0f) || !std::isfinite(value))
    return op->emitOpError("epsilon must be positive and finite");
  return success();
}

//===----------------------------------------------------------------------===//
// loom.layer_norm — y = (x − μ)·r·γ + β, r = 1/√(var + ε)
//===----------------------------------------------------------------------===//

LogicalResult LayerNormOp::verify() {
  if (failed(verifyFeatureVector(*this, "gain", getInput().getType(),
                                 getGain().getType())))
    return failure();
  return verifyEpsilon(*this, getEpsilon());
}

// Forward: y = (x − mean(x))·r·γ + β over the last dimension. Saves: x and
// γ; μ and r are recomputed by layer_norm_grad, which computes all three
// adjoints (dx, dγ, dβ) in one op.
LogicalResult LayerNormOp::buildGradient(OpBuilder &builder,
                                         ValueRange resultGrads,
                                         ArrayRef<bool> needsGrad,
                                         SmallVectorImpl<Value> &operandGrads) {
  auto grad = LayerNormGradOp::create(
      builder, getLoc(),
      TypeRange{getInput().getType(), getGain().getType(), getBias().getType()},
      getInput(), getGain(), resultGrads[0], getEpsilonAttr());
  operandGrads.assign({needsGrad[0] ? grad.getInputGrad() : Value(),
                       needsGrad[1] ? grad.getGainGrad() : Value(),
                       needsGrad[2] ? grad.getBiasGrad() : Value()});
  return success();
}

LogicalResult LayerNormGradOp::verify() {
  if (failed(verifyFeatureVector(*this, "gain", getInput().getType(),
                                 getGain().getType())))
    return failure();
  return verifyEpsilon(*this, getEpsilon());
}

//===----------------------------------------------------------------------===//
// loom.rms_norm — y = x·r·γ, r = 1/√(mean(x²) + ε)
//===----------------------------------------------------------------------===//

LogicalResult RmsNormOp::verify() {
  if (failed(verifyFeatureVector(*this, "gain", getInput().getType(),
                                 getGain().getType())))
    return failure();
  return verifyEpsilon(*this, getEpsilon());
}

// Forward: y = x·r·γ. Saves: x and γ; r is recomputed by rms_norm_grad.
LogicalResult RmsNormOp::buildGradient(OpBuilder &builder,
                                       ValueRange resultGrads,
                                       ArrayRef<bool> needsGrad,
                                       SmallVectorImpl<Value> &operandGrads) {
  auto grad = RmsNormGradOp::create(
      builder, getLoc(), TypeRange{getInput().getType(), getGain().getType()},
      getInput(), getGain(), resultGrads[0], getEpsilonAttr());
  operandGrads.assign({needsGrad[0] ? grad.getInputGrad() : Value(),
                       needsGrad[1] ? grad.getGainGrad() : Value()});
  return success();
}

LogicalResult RmsNormGradOp::verify() {
  if (failed(verifyFeatureVector(*this, "gain", getInput().getType(),
                                 getGain().getType())))
    return failure();
  return verifyEpsilon(*this, getEpsilon());
}
