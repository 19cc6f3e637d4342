//===- ElementwiseOps.cpp - add, activations and their gradient ops -------===//

#include "dialects/loom/IR/LoomBuilders.h"
#include "dialects/loom/IR/LoomOps.h"

using namespace mlir;
using namespace mlir::loom;

//===----------------------------------------------------------------------===//
// loom.add — C = A + B, the lower-rank operand broadcast over leading dims
//===----------------------------------------------------------------------===//

LogicalResult AddOp::verify() {
  ArrayRef<int64_t> lhs = getLhs().getType().getShape();
  ArrayRef<int64_t> rhs = getRhs().getType().getShape();
  FailureOr<SmallVector<int64_t>> shape = addResultShape(lhs, rhs);
  if (failed(shape))
    return emitOpError("operand shapes ")
           << shapeString(lhs) << " and " << shapeString(rhs)
           << " do not broadcast: the lower-rank operand must equal the "
              "trailing dimensions of the other";
  if (getResult().getType().getShape() != ArrayRef<int64_t>(*shape))
    return emitOpError("result must be ")
           << shapeString(*shape) << ", the broadcast shape, not "
           << shapeString(getResult().getType().getShape());
  return success();
}

// Forward: C = A + B. Saves nothing. dA = dC and dB = dC, each summed over the
// dimensions along which that operand was broadcast.
LogicalResult AddOp::buildGradient(OpBuilder &builder, ValueRange resultGrads,
                                   ArrayRef<bool> needsGrad,
                                   SmallVectorImpl<Value> &operandGrads) {
  Value dc = resultGrads[0];
  operandGrads.clear();
  for (auto [operand, needed] : llvm::zip(getOperands(), needsGrad)) {
    auto type = cast<RankedTensorType>(operand.getType());
    operandGrads.push_back(
        needed ? createReduceSumTo(builder, getLoc(), dc, type.getShape())
               : Value());
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Activations — y = f(x). Each rule emits loom.activation_grad with what the
// derivative needs saved from the forward pass.
//===----------------------------------------------------------------------===//

static LogicalResult buildActivationGradient(OpBuilder &builder,
                                             ActivationOpInterface op,
                                             ValueRange resultGrads,
                                             ArrayRef<bool> needsGrad,
                                             SmallVectorImpl<Value> &grads) {
  grads.assign({Value()});
  if (!needsGrad[0])
    return success();
  Value saved = op.gradientReadsInput() ? op->getOperand(0) : op->getResult(0);
  grads[0] = ActivationGradOp::create(builder, op->getLoc(),
                                      resultGrads[0].getType(), op.getKind(),
                                      saved, resultGrads[0])
                 .getResult();
  return success();
}

// Forward: y = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). Saves: x.
LogicalResult GeluOp::buildGradient(OpBuilder &builder, ValueRange resultGrads,
                                    ArrayRef<bool> needsGrad,
                                    SmallVectorImpl<Value> &operandGrads) {
  return buildActivationGradient(builder, *this, resultGrads,
                                 needsGrad, operandGrads);
}

// Forward: y = 0.5·x·(1 + erf(x/√2)). Saves: x.
LogicalResult GeluErfOp::buildGradient(OpBuilder &builder,
                                       ValueRange resultGrads,
                                       ArrayRef<bool> needsGrad,
                                       SmallVectorImpl<Value> &operandGrads) {
  return buildActivationGradient(builder, *this, resultGrads,
                                 needsGrad, operandGrads);
}

// Forward: y = x·σ(x). Saves: x.
LogicalResult SiluOp::buildGradient(OpBuilder &builder, ValueRange resultGrads,
                                    ArrayRef<bool> needsGrad,
                                    SmallVectorImpl<Value> &operandGrads) {
  return buildActivationGradient(builder, *this, resultGrads,
                                 needsGrad, operandGrads);
}

// Forward: y = max(x, 0). Saves: y (dx = dy where y > 0).
LogicalResult ReluOp::buildGradient(OpBuilder &builder, ValueRange resultGrads,
                                    ArrayRef<bool> needsGrad,
                                    SmallVectorImpl<Value> &operandGrads) {
  return buildActivationGradient(builder, *this, resultGrads,
                                 needsGrad, operandGrads);
}

// Forward: y = tanh(x). Saves: y (dx = dy·(1 − y²)).
LogicalResult TanhOp::buildGradient(OpBuilder &builder, ValueRange resultGrads,
                                    ArrayRef<bool> needsGrad,
                                    SmallVectorImpl<Value> &operandGrads) {
  return buildActivationGradient(builder, *this, resultGrads,
                                 needsGrad, operandGrads);
}

//===----------------------------------------------------------------------===//
// loom.swiglu — y = silu(gate)·up
//===----------------------------------------------------------------------===//

// Forward: y = gate·σ(gate)·up. Saves: gate and up. One swiglu_grad op
// computes both adjoints in a single pass.
LogicalResult SwigluOp::buildGradient(OpBuilder &builder, ValueRange resultGrads,
                                      ArrayRef<bool> needsGrad,
                                      SmallVectorImpl<Value> &operandGrads) {
  auto grad = SwigluGradOp::create(builder, getLoc(), getGate(), getUp(),
                                   resultGrads[0]);
  operandGrads.assign({needsGrad[0] ? grad.getGateGrad() : Value(),
                       needsGrad[1] ? grad.getUpGrad() : Value()});
  return success();
}

//===----------------------------------------------------------------------===//
// loom.activation_grad — dx = dy · f'(saved)
//===----------------------------------------------------------------------===//

LogicalResult ActivationGradOp::verify() {
  if (getActivation() == Activation::none)
    return emitOpError("needs an activation other than 'none'");
  return success();
}

//===----------------------------------------------------------------------===//
// loom.reduce_sum — sum over leading dimensions
//===----------------------------------------------------------------------===//

LogicalResult ReduceSumOp::verify() {
  ArrayRef<int64_t> in = getInput().getType().getShape();
  ArrayRef<int64_t> out = getResult().getType().getShape();
  if (out.size() > in.size() || in.take_back(out.size()) != out)
    return emitOpError("result shape ")
           << shapeString(out) << " must be the trailing dimensions of the "
           << "input shape " << shapeString(in);
  return success();
}
