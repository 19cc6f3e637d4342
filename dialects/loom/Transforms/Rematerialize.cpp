//===- Rematerialize.cpp - Recompute cheap activations in the backward pass -===//
//
// The forward pass of a training step keeps every value its backward pass
// reads alive from the moment it is computed until that read, so the
// memory peak comes at the turn from forward to backward, when every
// layer's saved values are live at once. Some of them are cheap to compute
// again from values the backward pass keeps anyway: a normalization's
// output from its input (which its gradient reads), an activation's output
// from its input (which the activation's derivative reads). This pass
// recomputes those right before their first backward use, so the forward
// copy dies as soon as the forward pass is done with it.
//
//===----------------------------------------------------------------------===//

#include "dialects/loom/IR/LoomBuilders.h"
#include "dialects/loom/IR/LoomOps.h"
#include "dialects/loom/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::loom {
#define GEN_PASS_DEF_LOOMREMATERIALIZEPASS
#include "dialects/loom/Transforms/Passes.h.inc"
} // namespace mlir::loom

using namespace mlir;
using namespace mlir::loom;

namespace {

// The op that computes the loss the function returns: everything after it
// in the body is the backward pass. Null for functions without one.
Operation *lossOp(func::FuncOp function) {
  auto ret = cast<func::ReturnOp>(function.front().getTerminator());
  if (ret.getNumOperands() == 0)
    return nullptr;
  Value loss = ret.getOperand(0);
  if (auto extract = loss.getDefiningOp<tensor::ExtractOp>())
    loss = extract.getTensor();
  Operation *op = loss.getDefiningOp();
  return op && isa<LoomDialect>(op->getDialect()) ? op : nullptr;
}

// The values a recomputation of `value` reads: the operands of its op, or
// for a fused linear layer's activated output, its pre-activation (not
// when a residual was added to it).
SmallVector<Value> recomputedFrom(OpResult value) {
  Operation *op = value.getOwner();
  if (auto fused = dyn_cast<FusedLinearOp>(op))
    return fused.getPreActivation() && !fused.getResidual() &&
                   value == fused.getOutput()
               ? SmallVector<Value>{fused.getPreActivation()}
               : SmallVector<Value>{};
  if (op->hasTrait<mlir::OpTrait::loom::CheapToRecompute>())
    return SmallVector<Value>(op->getOperands());
  return {};
}

// Builds the recomputation of `value` at the builder's insertion point.
Value recompute(OpBuilder &builder, OpResult value) {
  Operation *op = value.getOwner();
  // A fused layer keeps its pre-activation only for activations whose
  // gradient reads it.
  if (auto fused = dyn_cast<FusedLinearOp>(op))
    return createActivation(builder, fused.getLoc(), fused.getActivation(),
                            fused.getPreActivation());
  return builder.clone(*op)->getResult(value.getResultNumber());
}

struct LoomRematerializePass
    : public mlir::loom::impl::LoomRematerializePassBase<LoomRematerializePass> {
  void runOnOperation() override {
    getOperation().walk([&](func::FuncOp function) {
      if (!function.isExternal())
        rematerialize(function);
    });
  }

  void rematerialize(func::FuncOp function) {
    Operation *turn = lossOp(function);
    if (!turn)
      return;
    Block &body = function.front();
    auto inBackward = [&](Operation *op) {
      Operation *top = body.findAncestorOpInBlock(*op);
      return top && turn->isBeforeInBlock(top);
    };
    // A value the backward pass keeps anyway: used there, or available
    // without keeping anything (arguments, parameters read from them,
    // constants).
    auto keptAnyway = [&](Value value) {
      Operation *producer = value.getDefiningOp();
      if (!producer || isa<bufferization::ToTensorOp>(producer) ||
          producer->hasTrait<OpTrait::ConstantLike>())
        return true;
      return llvm::any_of(value.getUsers(), inBackward);
    };
    SmallVector<OpResult> candidates;
    for (Operation &op : body) {
      if (&op == turn)
        break;
      for (OpResult value : op.getResults()) {
        SmallVector<Value> inputs = recomputedFrom(value);
        if (!inputs.empty() && llvm::any_of(value.getUsers(), inBackward) &&
            llvm::all_of(inputs, keptAnyway))
          candidates.push_back(value);
      }
    }
    for (OpResult value : candidates) {
      Operation *first = nullptr;
      for (Operation *user : value.getUsers()) {
        Operation *top = body.findAncestorOpInBlock(*user);
        if (inBackward(top) && (!first || top->isBeforeInBlock(first)))
          first = top;
      }
      OpBuilder builder(first);
      Value again = recompute(builder, value);
      if (!again)
        continue;
      again.getDefiningOp()->setAttr(kRecomputedAttr, builder.getUnitAttr());
      value.replaceUsesWithIf(again, [&](OpOperand &use) {
        return inBackward(use.getOwner());
      });
    }
  }
};

} // namespace
