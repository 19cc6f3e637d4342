//===- LowerElementwise.cpp - sums, activations, reductions to linalg -----===//

#include "compiler/codegen/Lowerings.h"
#include "compiler/codegen/ScalarMath.h"
#include "dialects/loom/IR/LoomOps.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using loomc::codegen::LinalgBuilder;
using loomc::codegen::Lowered;
namespace ops = mlir::loom;
namespace scalar = loomc::scalar;

static Value lower(LinalgBuilder &l, ops::AddOp op) {
  return l.elementwise(op.getResult().getType(), {op.getLhs(), op.getRhs()},
                       [](OpBuilder &b, Location loc, ValueRange args) -> Value {
                         return arith::AddFOp::create(b, loc, args[0], args[1]);
                       });
}

static Value lowerActivation(LinalgBuilder &l, Operation *op,
                             ops::Activation kind) {
  return l.elementwise(cast<RankedTensorType>(op->getResult(0).getType()),
                       op->getOperand(0),
                       [&](OpBuilder &b, Location loc, ValueRange args) {
                         return scalar::activation(b, loc, kind, args[0]);
                       });
}

static Value lower(LinalgBuilder &l, ops::ActivationGradOp op) {
  ops::Activation kind = op.getActivation();
  return l.elementwise(op.getResult().getType(),
                       {op.getSaved(), op.getOutputGrad()},
                       [&](OpBuilder &b, Location loc, ValueRange args) {
                         return scalar::activationGrad(b, loc, kind, args[0],
                                                       args[1]);
                       });
}

// y = silu(gate)·up
static Value lower(LinalgBuilder &l, ops::SwigluOp op) {
  return l.elementwise(op.getResult().getType(), {op.getGate(), op.getUp()},
                       [](OpBuilder &b, Location loc, ValueRange args) -> Value {
                         return arith::MulFOp::create(
                             b, loc, scalar::silu(b, loc, args[0]), args[1]);
                       });
}

// dgate = dy·up·silu'(gate), dup = dy·silu(gate), in one pass.
static SmallVector<Value> lower(LinalgBuilder &l, ops::SwigluGradOp op) {
  auto type = op.getGate().getType();
  return l.generic(type.getRank(), 0,
                   {op.getGate(), op.getUp(), op.getOutputGrad()},
                   {l.empty(type), l.empty(type)},
                   [](OpBuilder &b, Location loc, ValueRange args) {
                     Value gate = args[0], up = args[1], dy = args[2];
                     Value dgate = arith::MulFOp::create(
                         b, loc, arith::MulFOp::create(b, loc, dy, up),
                         scalar::siluDerivative(b, loc, gate));
                     Value dup = arith::MulFOp::create(
                         b, loc, dy, scalar::silu(b, loc, gate));
                     return SmallVector<Value>{dgate, dup};
                   })
      ->getResults();
}

// db[n] = Σ_m dy[m, n], in the same order as fused_linear_grad's reduction.
static Value lower(LinalgBuilder &l, ops::ReduceSumOp op) {
  auto inType = op.getInput().getType();
  auto outType = op.getResult().getType();
  unsigned reductions = inType.getRank() - outType.getRank();
  return l.generic(inType.getRank(), reductions, op.getInput(),
                   {l.filled(outType, 0.0)},
                   [](OpBuilder &b, Location loc, ValueRange args) {
                     return SmallVector<Value>{
                         arith::AddFOp::create(b, loc, args[1], args[0])};
                   })
      .getResult(0);
}

Lowered loomc::codegen::lowerElementwiseOp(LinalgBuilder &l, Operation *op) {
  return llvm::TypeSwitch<Operation *, Lowered>(op)
      .Case<ops::AddOp, ops::ActivationGradOp, ops::SwigluOp, ops::ReduceSumOp>(
          [&](auto concrete) { return SmallVector<Value>{lower(l, concrete)}; })
      .Case<ops::GeluOp, ops::GeluErfOp, ops::ReluOp, ops::TanhOp, ops::SiluOp>(
          [&](auto activation) {
            return SmallVector<Value>{
                lowerActivation(l, activation, activation.getActivation())};
          })
      .Case([&](ops::SwigluGradOp grad) { return lower(l, grad); })
      .Case([&](ops::ZerosOp zeros) {
        return SmallVector<Value>{l.filled(zeros.getResult().getType(), 0.0)};
      })
      .Default([](Operation *) { return std::nullopt; });
}
