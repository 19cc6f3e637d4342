//===- LowerProducts.cpp - matmul and the fused linear ops to linalg ------===//

#include "compiler/codegen/Lowerings.h"
#include "compiler/codegen/Passes.h"
#include "compiler/codegen/ScalarMath.h"
#include "dialects/loom/IR/LoomOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using loomc::codegen::LinalgBuilder;
using loomc::codegen::Lowered;
namespace ops = mlir::loom;

// op(A)·op(B) for matrices: as a few-row product when A has only a few rows
// (a decode step's), a linalg.matmul otherwise, with bf16 operands under
// --precision=bf16.
static Value matrixProduct(LinalgBuilder &l, Value lhs, Value rhs,
                           bool transposeLhs, bool transposeRhs) {
  if (LinalgBuilder::isFewRowProduct(lhs, rhs, transposeLhs))
    return l.fewRowProduct(lhs, rhs, transposeRhs);
  if (l.bf16Products)
    return l.bf16Matmul(lhs, rhs, transposeLhs, transposeRhs);
  return l.matmul(lhs, rhs, transposeLhs, transposeRhs);
}

// Products over batch-like rows are products of matrices: [L..., K] rows
// collapse to [R, K] and the result expands back.
static Value product(LinalgBuilder &l, Value lhs, Value rhs, bool transposeLhs,
                     bool transposeRhs, RankedTensorType resultType) {
  Value result = matrixProduct(l, l.collapseRows(lhs),
                               transposeLhs ? l.collapseRows(rhs) : rhs,
                               transposeLhs, transposeRhs);
  return l.expandRows(result, resultType.getShape());
}

static Value lower(LinalgBuilder &l, ops::MatmulOp op) {
  return product(l, op.getLhs(), op.getRhs(), op.getTransposeLhs(),
                 op.getTransposeRhs(), op.getResult().getType());
}

// The matmul and its epilogue (bias, activation, residual) carry one fusion
// group and apply the same scalar arithmetic, in the same order, as the
// unfused ops.
static SmallVector<Value> lower(LinalgBuilder &l, ops::FusedLinearOp op,
                                IntegerAttr group) {
  auto type = op.getOutput().getType();
  Value x = l.collapseRows(op.getInput());
  Value productValue =
      matrixProduct(l, x, op.getWeight(), false, op.getTransposeWeight());
  // A few-row product (a decode step's) is its own loop nest, which tiling
  // cannot fuse: its epilogue is then a pass of its own.
  bool fused = LinalgBuilder::isProduct(productValue.getDefiningOp());
  if (fused)
    productValue.getDefiningOp()->setAttr(mlir::loom::kFusionGroupAttr, group);
  auto rowsType = cast<RankedTensorType>(productValue.getType());
  ops::Activation kind = op.getActivation();
  bool keepPre = bool(op.getPreActivation());
  bool hasBias = bool(op.getBias()), hasResidual = bool(op.getResidual());
  SmallVector<Value> inputs = {productValue};
  if (hasBias)
    inputs.push_back(op.getBias());
  if (hasResidual)
    inputs.push_back(l.collapseRows(op.getResidual()));
  SmallVector<Value> outputs = {l.empty(rowsType)};
  if (keepPre)
    outputs.push_back(l.empty(rowsType));
  auto epilogue = l.generic(
      2, 0, inputs, outputs, [&](OpBuilder &b, Location loc, ValueRange args) {
        Value pre = hasBias ? Value(arith::AddFOp::create(b, loc, args[0], args[1]))
                            : args[0];
        Value output = ::loomc::scalar::activation(b, loc, kind, pre);
        // The residual is added last, as the unfused sum adds it.
        if (hasResidual)
          output = arith::AddFOp::create(b, loc, args[hasBias ? 2 : 1], output);
        SmallVector<Value> results = {output};
        if (keepPre)
          results.push_back(pre);
        return results;
      });
  if (fused)
    epilogue->setAttr(mlir::loom::kFusionGroupAttr, group);
  SmallVector<Value> results;
  for (Value result : epilogue->getResults())
    results.push_back(l.expandRows(result, type.getShape()));
  return results;
}

// One pass over dy computes dz = dy·act'(saved) and db = Σ_rows dz (in
// blocks of rows, LinalgBuilder::rowBlockedPass); then the two gradient
// products read dz. Without an activation dz is dy itself: the pass only
// reduces, and nothing is copied.
static SmallVector<Value> lower(LinalgBuilder &l, ops::FusedLinearGradOp op,
                                IntegerAttr group) {
  Value dy = l.collapseRows(op.getOutputGrad());
  Value x = l.collapseRows(op.getInput());
  ops::Activation kind = op.getActivation();
  bool withBias = op.getWithBias(), transposed = op.getTransposeWeight();
  Value dz = dy, db;
  if (op.getSaved()) {
    auto pass = l.rowBlockedPass(
        {dy, l.collapseRows(op.getSaved())}, 1, withBias ? 1 : 0,
        [&](OpBuilder &b, Location loc, ValueRange args) {
          Value grad = ::loomc::scalar::activationGrad(b, loc, kind, args[1], args[0]);
          SmallVector<Value> results = {grad};
          if (withBias)
            results.push_back(arith::AddFOp::create(b, loc, args.back(), grad));
          return results;
        });
    pass.pass->setAttr(mlir::loom::kFusionGroupAttr, group);
    dz = pass.rows[0];
    if (withBias)
      db = pass.sums[0];
  } else if (withBias) {
    auto pass = l.rowBlockedPass({dz}, 0, 1, LinalgBuilder::sumBody);
    pass.pass->setAttr(mlir::loom::kFusionGroupAttr, group);
    db = pass.sums[0];
  }

  SmallVector<Value> results;
  if (Value weight = op.getWeight())
    results.push_back(l.expandRows(matrixProduct(l, dz, weight, false, !transposed),
                                   op.getInput().getType().getShape()));
  // dW = xᵀ·dz, or dzᵀ·x when W is stored transposed.
  results.push_back(transposed ? matrixProduct(l, dz, x, true, false)
                               : matrixProduct(l, x, dz, true, false));
  if (withBias)
    results.push_back(db);
  return results;
}

Lowered loomc::codegen::lowerProductOp(LinalgBuilder &l, Operation *op,
                                      IntegerAttr group) {
  return llvm::TypeSwitch<Operation *, Lowered>(op)
      .Case([&](ops::MatmulOp matmul) { return SmallVector<Value>{lower(l, matmul)}; })
      .Case<ops::FusedLinearOp, ops::FusedLinearGradOp>(
          [&](auto fused) { return lower(l, fused, group); })
      .Default([](Operation *) { return std::nullopt; });
}
