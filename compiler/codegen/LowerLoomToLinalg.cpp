//===- LowerLoomToLinalg.cpp - The loom-lower-to-linalg pass --------------===//

#include "compiler/codegen/Lowerings.h"
#include "compiler/codegen/Passes.h"
#include "dialects/loom/IR/LoomOps.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

namespace loomc {
#define GEN_PASS_DEF_LOOMLOWERTOLINALG
#include "compiler/codegen/Passes.h.inc"
} // namespace loomc

using namespace mlir;
using loomc::codegen::LinalgBuilder;
using loomc::codegen::Lowered;

static LogicalResult lowerOp(IRRewriter &rewriter, Operation *op,
                             int64_t &nextGroup) {
  rewriter.setInsertionPoint(op);
  LinalgBuilder l(rewriter, op->getLoc());
  IntegerAttr group;
  if (isa<mlir::loom::FusedLinearOp, mlir::loom::FusedLinearGradOp>(op))
    group = rewriter.getI64IntegerAttr(nextGroup++);
  Lowered lowered = loomc::codegen::lowerProductOp(l, op, group);
  for (auto family : {loomc::codegen::lowerElementwiseOp,
                      loomc::codegen::lowerNormalizationOp,
                      loomc::codegen::lowerAttentionOp, loomc::codegen::lowerShapeOp,
                      loomc::codegen::lowerLossOp, loomc::codegen::lowerOptimizerOp})
    if (!lowered)
      lowered = family(l, op);
  if (!lowered)
    return op->emitError("no lowering to linalg for this op");
  rewriter.replaceOp(op, *lowered);
  return success();
}

namespace {
struct LoomLowerToLinalgPass
    : public loomc::impl::LoomLowerToLinalgBase<LoomLowerToLinalgPass> {
  void runOnOperation() override {
    SmallVector<Operation *> loomOps;
    getOperation().walk([&](Operation *op) {
      if (isa<mlir::loom::LoomDialect>(op->getDialect()))
        loomOps.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    int64_t nextGroup = 0;
    for (Operation *op : loomOps)
      if (failed(lowerOp(rewriter, op, nextGroup)))
        return signalPassFailure();
  }
};
} // namespace
