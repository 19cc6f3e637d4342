//===- LowerGradientReady.cpp - The runtime hears of a final gradient -----===//
//
// loom.gradient_ready, after bufferization: moved after the last access to
// its buffer, then a call of the runtime's loom_gradient_ready (Passes.td).
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/Passes.h"
#include "dialects/loom/IR/DiscardableAttributes.h"
#include "dialects/loom/IR/LoomOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace loomc {
#define GEN_PASS_DEF_LOOMLOWERGRADIENTREADYPASS
#include "compiler/codegen/Passes.h.inc"
} // namespace loomc

using namespace mlir;
namespace ops = mlir::loom;

// The last op of `body` that accesses `buffer` or a view of it, other
// than `ready` (an access nested in an op counts at that op); null when
// none does.
static Operation *lastAccess(Value buffer, Block &body, Operation *ready) {
  Operation *last = nullptr;
  SmallVector<Value> aliases = {buffer};
  while (!aliases.empty()) {
    Value alias = aliases.pop_back_val();
    for (Operation *user : alias.getUsers()) {
      if (user == ready)
        continue;
      auto view = dyn_cast<ViewLikeOpInterface>(user);
      if (view && view.getViewSource() == alias)
        aliases.append(user->result_begin(), user->result_end());
      Operation *top = body.findAncestorOpInBlock(*user);
      if (top && (!last || last->isBeforeInBlock(top)))
        last = top;
    }
  }
  return last;
}

static func::FuncOp declareHook(ModuleOp module) {
  if (auto existing = module.lookupSymbol<func::FuncOp>("loom_gradient_ready"))
    return existing;
  OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
  auto hook = func::FuncOp::create(
      builder, module.getLoc(), "loom_gradient_ready",
      builder.getFunctionType({builder.getI32Type()}, {}));
  hook.setPrivate();
  return hook;
}

namespace {
struct LoomLowerGradientReadyPass
    : public ::loomc::impl::LoomLowerGradientReadyPassBase<
          LoomLowerGradientReadyPass> {
  void runOnOperation() override {
    func::FuncOp function = getOperation();
    SmallVector<ops::GradientReadyOp> readies;
    function.walk([&](ops::GradientReadyOp ready) { readies.push_back(ready); });
    if (readies.empty())
      return;
    func::FuncOp hook = declareHook(function->getParentOfType<ModuleOp>());
    Block &body = function.front();
    OpBuilder builder(&getContext());
    for (ops::GradientReadyOp ready : readies) {
      if (ready->getBlock() != &body) {
        ready.emitError("expected at the top of the function's body");
        return signalPassFailure();
      }
      Operation *last = lastAccess(ready.getGradient(), body, ready);
      if (last && ready->isBeforeInBlock(last))
        ready->moveAfter(last);
      builder.setInsertionPoint(ready);
      Value index = arith::ConstantOp::create(
          builder, ready.getLoc(),
          builder.getI32IntegerAttr(ready.getGradientIndex()));
      func::CallOp::create(builder, ready.getLoc(), hook, ValueRange{index});
      ready.erase();
    }
    // The final order, kept for the model's description (abi.h's
    // gradient_ready_order): once a loop over the layers holds the calls,
    // their indices are no longer constants at the calls.
    SmallVector<int32_t> order;
    for (auto call : body.getOps<func::CallOp>())
      if (call.getCallee() == hook.getSymName())
        order.push_back(static_cast<int32_t>(
            call.getOperand(0).getDefiningOp<arith::ConstantIntOp>().value()));
    function->setAttr(ops::kGradientReadyOrderAttr,
                      builder.getDenseI32ArrayAttr(order));
  }
};
} // namespace
