//===- FusedOps.cpp - fused_linear and fused_linear_grad ------------------===//
//
// The fused ops are formed after autodiff by -loom-fuse-linear and are not
// differentiated again; they have verifiers but no gradient rules.
//
//===----------------------------------------------------------------------===//

#include "dialects/loom/IR/LoomBuilders.h"
#include "dialects/loom/IR/LoomOps.h"

using namespace mlir;
using namespace mlir::loom;

// Checks x [M, K] · W [K, N] and returns {M, N}.
static FailureOr<std::pair<int64_t, int64_t>>
verifyLinearShapes(Operation *op, RankedTensorType input,
                   RankedTensorType weight) {
  if (input.getDimSize(1) != weight.getDimSize(0)) {
    op->emitOpError("input ")
        << shapeString(input.getShape()) << " and weight "
        << shapeString(weight.getShape())
        << " do not chain: input columns must equal weight rows";
    return failure();
  }
  return std::make_pair(input.getDimSize(0), weight.getDimSize(1));
}

static LogicalResult verifyMatrixShape(Operation *op, StringRef what,
                                       Type type, int64_t rows, int64_t cols) {
  ArrayRef<int64_t> shape = cast<RankedTensorType>(type).getShape();
  if (shape.size() != 2 || shape[0] != rows || shape[1] != cols)
    return op->emitOpError() << what << " must be " << rows << "x" << cols
                             << ", not " << shapeString(shape);
  return success();
}

static LogicalResult verifyBiasShape(Operation *op, StringRef what, Type type,
                                     int64_t cols) {
  ArrayRef<int64_t> shape = cast<RankedTensorType>(type).getShape();
  if (shape.size() != 1 || shape[0] != cols)
    return op->emitOpError() << what << " must have " << cols
                             << " elements (one per output column), not "
                             << shapeString(shape);
  return success();
}

//===----------------------------------------------------------------------===//
// loom.fused_linear — y = act(x · W + b)
//===----------------------------------------------------------------------===//

LogicalResult FusedLinearOp::verify() {
  auto mn = verifyLinearShapes(*this, getInput().getType(),
                               getWeight().getType());
  if (failed(mn))
    return failure();
  auto [m, n] = *mn;
  if (getBias() && failed(verifyBiasShape(*this, "bias", getBias().getType(), n)))
    return failure();
  if (failed(verifyMatrixShape(*this, "output", getOutput().getType(), m, n)))
    return failure();
  if (getPreActivation()) {
    if (!activationGradNeedsInput(getActivation()))
      return emitOpError("keeps a pre-activation result, but the gradient of ")
             << stringifyActivation(getActivation())
             << " needs only the output";
    if (getPreActivation().getType() != getOutput().getType())
      return emitOpError("pre-activation result must have the output's type");
  }
  return success();
}

//===----------------------------------------------------------------------===//
// loom.fused_linear_grad — dz = dy·act'(saved); dW = xᵀ·dz, dx = dz·Wᵀ,
// db = Σ_rows dz
//===----------------------------------------------------------------------===//

Value FusedLinearGradOp::getInputGrad() {
  return getWeight() ? getGrads()[0] : Value();
}

Value FusedLinearGradOp::getWeightGrad() {
  return getGrads()[getWeight() ? 1 : 0];
}

Value FusedLinearGradOp::getBiasGrad() {
  return getWithBias() ? getGrads().back() : Value();
}

LogicalResult FusedLinearGradOp::verify() {
  RankedTensorType input = getInput().getType();
  RankedTensorType outputGrad = getOutputGrad().getType();
  if (input.getDimSize(0) != outputGrad.getDimSize(0))
    return emitOpError("input ")
           << shapeString(input.getShape()) << " and output gradient "
           << shapeString(outputGrad.getShape()) << " must have one row count";
  int64_t m = input.getDimSize(0), k = input.getDimSize(1),
          n = outputGrad.getDimSize(1);
  if (getWeight() &&
      failed(verifyMatrixShape(*this, "weight", getWeight().getType(), k, n)))
    return failure();
  bool needsSaved = getActivation() != Activation::none;
  if (needsSaved != bool(getSaved()))
    return emitOpError(needsSaved ? "needs a saved forward value for the "
                                    "derivative of "
                                  : "takes no saved value with activation ")
           << stringifyActivation(getActivation());
  if (getSaved() &&
      failed(verifyMatrixShape(*this, "saved value", getSaved().getType(), m, n)))
    return failure();
  size_t expected = 1 + bool(getWeight()) + getWithBias();
  if (getGrads().size() != expected)
    return emitOpError("must have ")
           << expected << " results (input gradient: "
           << (getWeight() ? "yes" : "no")
           << ", weight gradient, bias gradient: "
           << (getWithBias() ? "yes" : "no") << "), got " << getGrads().size();
  if (getInputGrad() && getInputGrad().getType() != input)
    return emitOpError("input gradient must have the input's type ") << input;
  if (failed(verifyMatrixShape(*this, "weight gradient",
                               getWeightGrad().getType(), k, n)))
    return failure();
  if (getBiasGrad() &&
      failed(verifyBiasShape(*this, "bias gradient", getBiasGrad().getType(), n)))
    return failure();
  return success();
}
