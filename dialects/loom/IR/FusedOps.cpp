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

// [K, N] of the product x · op(W).
static std::pair<int64_t, int64_t> weightShape(RankedTensorType weight,
                                               bool transposed) {
  int64_t rows = weight.getDimSize(0), cols = weight.getDimSize(1);
  return transposed ? std::make_pair(cols, rows) : std::make_pair(rows, cols);
}

static LogicalResult verifyShape(Operation *op, StringRef what, Type type,
                                 ArrayRef<int64_t> expected) {
  ArrayRef<int64_t> shape = cast<RankedTensorType>(type).getShape();
  if (shape != expected)
    return op->emitOpError() << what << " must be " << shapeString(expected)
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

static LogicalResult verifyInputRank(Operation *op, RankedTensorType input) {
  if (input.getRank() < 2)
    return op->emitOpError("input must have rows: at least 2 dimensions, not ")
           << shapeString(input.getShape());
  return success();
}

//===----------------------------------------------------------------------===//
// loom.fused_linear — y = act(x · op(W) + b)
//===----------------------------------------------------------------------===//

std::pair<int64_t, int64_t> FusedLinearOp::getWeightShape() {
  return weightShape(getWeight().getType(), getTransposeWeight());
}

LogicalResult FusedLinearOp::verify() {
  RankedTensorType input = getInput().getType();
  if (failed(verifyInputRank(*this, input)))
    return failure();
  auto [k, n] = getWeightShape();
  if (input.getShape().back() != k)
    return emitOpError("input ")
           << shapeString(input.getShape()) << " and weight "
           << shapeString(getWeight().getType().getShape())
           << " do not chain: input columns must equal the weight's "
           << (getTransposeWeight() ? "columns (it is transposed)" : "rows");
  if (getBias() && failed(verifyBiasShape(*this, "bias", getBias().getType(), n)))
    return failure();
  SmallVector<int64_t> outputShape = withLastDim(input.getShape(), n);
  if (failed(verifyShape(*this, "output", getOutput().getType(), outputShape)))
    return failure();
  if (getResidual() && getResidual().getType() != getOutput().getType())
    return emitOpError("residual ")
           << shapeString(getResidual().getType().getShape())
           << " must have the output's shape "
           << shapeString(getOutput().getType().getShape());
  if (getPreActivation()) {
    if (!activationGradNeedsInput(getContext(), getActivation()))
      return emitOpError("keeps a pre-activation result, which only the "
                         "gradients of ")
             << activationsWhoseGradientReadsInput(getContext())
             << " need, not that of activation "
             << stringifyActivation(getActivation());
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
  if (failed(verifyInputRank(*this, input)))
    return failure();
  if (outputGrad.getRank() != input.getRank() ||
      input.getShape().drop_back() != outputGrad.getShape().drop_back())
    return emitOpError("input ")
           << shapeString(input.getShape()) << " and output gradient "
           << shapeString(outputGrad.getShape()) << " must have the same rows";
  int64_t k = input.getShape().back(), n = outputGrad.getShape().back();
  bool transposed = getTransposeWeight();
  SmallVector<int64_t> weightShape = transposed ? SmallVector<int64_t>{n, k}
                                                : SmallVector<int64_t>{k, n};
  if (getWeight() &&
      failed(verifyShape(*this, "weight", getWeight().getType(), weightShape)))
    return failure();
  bool needsSaved = getActivation() != Activation::none;
  if (needsSaved != bool(getSaved()))
    return emitOpError(needsSaved ? "needs a saved forward value for the "
                                    "derivative of "
                                  : "takes no saved value with activation ")
           << stringifyActivation(getActivation());
  if (getSaved() && failed(verifyShape(*this, "saved value",
                                       getSaved().getType(), outputGrad.getShape())))
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
  if (failed(verifyShape(*this, "weight gradient", getWeightGrad().getType(),
                         weightShape)))
    return failure();
  if (getBiasGrad() &&
      failed(verifyBiasShape(*this, "bias gradient", getBiasGrad().getType(), n)))
    return failure();
  return success();
}
