//===- LowerLoomToLinalg.cpp - The loom-lower-to-linalg pass --------------===//

#include "compiler/codegen/Lowerings.h"
#include "compiler/codegen/OpCost.h"
#include "compiler/codegen/Passes.h"
#include "dialects/loom/IR/LoomBuilders.h"
#include "dialects/loom/IR/LoomOps.h"
#include "dialects/loom/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Iterators.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/Support/Path.h"

namespace loomc {
#define GEN_PASS_DEF_LOOMLOWERTOLINALGPASS
#include "compiler/codegen/Passes.h.inc"
} // namespace loomc

using namespace mlir;
using loomc::codegen::LinalgBuilder;
using loomc::codegen::Lowered;

// "KIND\tWHERE" for the profile table (abi.h): the op and its activation;
// the block instance, file:line and function it comes from.
static std::string profileName(Operation *op) {
  std::string kind = op->getName().stripDialect().str();
  if (auto fused = dyn_cast<mlir::loom::FusedLinearOp>(op))
    kind += " " + mlir::loom::stringifyActivation(fused.getActivation()).str();
  else if (auto grad = dyn_cast<mlir::loom::FusedLinearGradOp>(op))
    kind += " " + mlir::loom::stringifyActivation(grad.getActivation()).str();
  else if (auto grad = dyn_cast<mlir::loom::ActivationGradOp>(op))
    kind += " " + mlir::loom::stringifyActivation(grad.getActivation()).str();
  std::string where;
  if (auto instance = op->getLoc()->findInstanceOf<NameLoc>())
    where = instance.getName().str() + " ";
  if (auto file = op->getLoc()->findInstanceOf<FileLineColLoc>())
    where += (llvm::sys::path::filename(file.getFilename().getValue()) + ":" +
              Twine(file.getLine()) + " ")
                 .str();
  // A repeated block's function, or an optimizer's kernel, is timed as
  // part of the entry point it was cut from.
  auto function = op->getParentOfType<func::FuncOp>();
  auto entry = function->getAttrOfType<StringAttr>(mlir::loom::kEntryAttr);
  where += "in " + (entry ? entry.getValue() : function.getSymName()).str();
  // A product names its shape, so that tools can compare its rate with a
  // BLAS at the same shape: C[M, N] = op(A)·op(B), K contracted.
  if (auto matmul = dyn_cast<mlir::loom::MatmulOp>(op)) {
    ArrayRef<int64_t> lhs = matmul.getLhs().getType().getShape();
    ArrayRef<int64_t> result = matmul.getResult().getType().getShape();
    int64_t k = mlir::loom::matmulInnerSize(lhs, matmul.getTransposeLhs());
    int64_t n = result.back(), m = 1;
    for (int64_t dim : result.drop_back())
      m *= dim;
    where += (" (M=" + Twine(m) + " N=" + Twine(n) + " K=" + Twine(k) +
              (matmul.getTransposeLhs() ? " lhsT" : "") +
              (matmul.getTransposeRhs() ? " rhsT" : "") + ")")
                 .str();
  }
  return kind + "\t" + where;
}

// Declares `void name(i32)` in the module once.
static func::FuncOp profileHook(ModuleOp module, StringRef name) {
  if (auto existing = module.lookupSymbol<func::FuncOp>(name))
    return existing;
  OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
  auto hook = func::FuncOp::create(
      builder, module.getLoc(), name,
      builder.getFunctionType({builder.getI32Type()}, {}));
  hook.setPrivate();
  return hook;
}

static LogicalResult lowerOp(IRRewriter &rewriter, Operation *op,
                             int64_t &nextGroup, bool bf16Products,
                             SmallVectorImpl<Attribute> *profiled,
                             SmallVectorImpl<double> *costs) {
  rewriter.setInsertionPoint(op);
  Operation *previous = op->getPrevNode();
  Value profileIndex;
  if (profiled) {
    auto module = op->getParentOfType<ModuleOp>();
    profileIndex = arith::ConstantOp::create(
        rewriter, op->getLoc(), rewriter.getI32IntegerAttr(profiled->size()));
    func::CallOp::create(rewriter, op->getLoc(),
                         profileHook(module, "loom_profile_begin"),
                         ValueRange{profileIndex});
    profiled->push_back(rewriter.getStringAttr(profileName(op)));
    costs->push_back(loomc::codegen::productFlops(op));
    costs->push_back(loomc::codegen::tensorBytes(op));
  }
  LinalgBuilder l(rewriter, op->getLoc());
  l.bf16Products = bf16Products;
  // The op's floating-point tensors share one element type (the dialect's
  // Loom_SameFloatElementType): f32, or f64 (-loom-compute-in-f64).
  for (Type type : llvm::concat<const Type>(op->getOperandTypes(), op->getResultTypes()))
    if (auto tensor = dyn_cast<RankedTensorType>(type);
        tensor && isa<FloatType>(tensor.getElementType())) {
      l.element = tensor.getElementType();
      break;
    }
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
  // The lowered ops all sit before `op`: the end goes right after them.
  if (profiled)
    func::CallOp::create(rewriter, op->getLoc(),
                         profileHook(op->getParentOfType<ModuleOp>(),
                                     "loom_profile_end"),
                         ValueRange{profileIndex});
  // A recomputation (loom-rematerialize) must stay one: its linalg ops are
  // marked so that CSE does not merge them with the forward computation,
  // which would keep the forward value alive after all.
  if (op->hasAttr(mlir::loom::kRecomputedAttr)) {
    Block::iterator first = previous ? std::next(previous->getIterator())
                                     : op->getBlock()->begin();
    for (Operation &created : llvm::make_range(first, op->getIterator()))
      created.setAttr(mlir::loom::kRecomputedAttr, rewriter.getUnitAttr());
  }
  rewriter.replaceOp(op, *lowered);
  return success();
}

namespace {
struct LoomLowerToLinalgPass
    : public loomc::impl::LoomLowerToLinalgPassBase<LoomLowerToLinalgPass> {
  using LoomLowerToLinalgPassBase::LoomLowerToLinalgPassBase;
  void runOnOperation() override {
    SmallVector<Operation *> loomOps;
    // loom.gradient_ready stays until bufferization has placed every
    // write of its buffer (-loom-lower-gradient-ready).
    getOperation().walk([&](Operation *op) {
      if (isa<mlir::loom::LoomDialect>(op->getDialect()) &&
          !isa<mlir::loom::GradientReadyOp>(op))
        loomOps.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    int64_t nextGroup = 0;
    SmallVector<Attribute> profiled;
    SmallVector<double> costs;
    for (Operation *op : loomOps)
      if (failed(lowerOp(rewriter, op, nextGroup, bf16Products,
                         profile ? &profiled : nullptr, &costs)))
        return signalPassFailure();
    // Lowerings that merge ops (a sum of slice gradients, a tied table's
    // gradients) leave the merged ops' lowerings unused.
    getOperation().walk<WalkOrder::PostOrder, ReverseIterator>([](Operation *op) {
      if (isOpTriviallyDead(op))
        op->erase();
    });
    if (profile) {
      getOperation()->setAttr(mlir::loom::kProfiledOpsAttr, rewriter.getArrayAttr(profiled));
      getOperation()->setAttr(mlir::loom::kProfiledCostsAttr,
                              rewriter.getDenseF64ArrayAttr(costs));
    }
  }
};
} // namespace
