//===- LowerLoomToLinalg.cpp - loom ops to linalg on tensors --------------===//

#include "compiler/codegen/Passes.h"
#include "compiler/codegen/ScalarMath.h"
#include "dialects/loom/IR/LoomOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "llvm/ADT/TypeSwitch.h"

namespace loom {
#define GEN_PASS_DEF_LOOMLOWERTOLINALG
#include "compiler/codegen/Passes.h.inc"
} // namespace loom

using namespace mlir;
namespace ops = mlir::loom;
namespace scalar = ::loom::scalar;

namespace {

// Builds the linalg form of one loom op at the rewriter's insertion point.
class Lowering {
public:
  Lowering(RewriterBase &rewriter, Location loc) : b(rewriter), loc(loc) {}

  Value empty(RankedTensorType type) {
    return tensor::EmptyOp::create(b, loc, type.getShape(),
                                   type.getElementType());
  }
  Value filled(RankedTensorType type, double value) {
    Value init = scalar::constant(b, loc, value);
    return linalg::FillOp::create(b, loc, init, empty(type)).getResult(0);
  }
  // The map that reads an operand of rank `rank` inside a loop nest of
  // `loops` dimensions: its dimensions are the trailing loop dimensions
  // (a bias [N] in an [M, N] nest) or none (a scalar).
  AffineMap trailingMap(unsigned loops, unsigned rank) {
    SmallVector<AffineExpr> exprs;
    for (unsigned d = loops - rank; d < loops; ++d)
      exprs.push_back(b.getAffineDimExpr(d));
    return AffineMap::get(loops, 0, exprs, b.getContext());
  }

  using BodyFn = function_ref<SmallVector<Value>(OpBuilder &, Location,
                                                 ValueRange args)>;

  // A generic over `loops` dimensions of which the leading `reductions`
  // reduce. Inputs and outputs are read through trailing maps.
  linalg::GenericOp generic(unsigned loops, unsigned reductions,
                            ValueRange inputs, ValueRange outputs,
                            BodyFn body) {
    SmallVector<AffineMap> maps;
    for (Value v : llvm::concat<const Value>(inputs, outputs))
      maps.push_back(
          trailingMap(loops, cast<RankedTensorType>(v.getType()).getRank()));
    SmallVector<utils::IteratorType> iterators(loops,
                                               utils::IteratorType::parallel);
    for (unsigned d = 0; d < reductions; ++d)
      iterators[d] = utils::IteratorType::reduction;
    return linalg::GenericOp::create(
        b, loc, ValueRange(outputs).getTypes(), inputs, outputs, maps,
        iterators, [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
          linalg::YieldOp::create(nested, nestedLoc,
                                  body(nested, nestedLoc, args));
        });
  }

  // result = body(inputs...) elementwise over `type`, broadcasting
  // lower-rank inputs along leading dimensions.
  Value elementwise(RankedTensorType type, ValueRange inputs,
                    function_ref<Value(OpBuilder &, Location, ValueRange)> fn) {
    return generic(type.getRank(), 0, inputs, {empty(type)},
                   [&](OpBuilder &nb, Location nl, ValueRange args) {
                     return SmallVector<Value>{
                         fn(nb, nl, args.drop_back(1))};
                   })
        .getResult(0);
  }

  Value matmul(Value lhs, Value rhs, bool transposeLhs, bool transposeRhs,
               RankedTensorType resultType);

  RewriterBase &b;
  Location loc;
};

} // namespace

// C = op(A)·op(B). A transposed B is first copied into its transpose, so the
// product streams B along rows; a transposed A is read through the indexing
// map (its elements are broadcast one at a time either way).
Value Lowering::matmul(Value lhs, Value rhs, bool transposeLhs,
                       bool transposeRhs, RankedTensorType resultType) {
  if (transposeRhs) {
    auto rhsType = cast<RankedTensorType>(rhs.getType());
    auto transposedType = RankedTensorType::get(
        {rhsType.getDimSize(1), rhsType.getDimSize(0)}, rhsType.getElementType());
    rhs = linalg::TransposeOp::create(b, loc, rhs, empty(transposedType),
                                      ArrayRef<int64_t>{1, 0})
              .getResult()[0];
  }
  auto op = linalg::MatmulOp::create(b, loc, TypeRange{resultType},
                                     ValueRange{lhs, rhs},
                                     ValueRange{filled(resultType, 0.0)});
  if (transposeLhs) {
    MLIRContext *ctx = b.getContext();
    AffineExpr m, n, k;
    bindDims(ctx, m, n, k);
    op.setIndexingMapsAttr(b.getAffineMapArrayAttr(
        {AffineMap::get(3, 0, {k, m}, ctx), AffineMap::get(3, 0, {k, n}, ctx),
         AffineMap::get(3, 0, {m, n}, ctx)}));
  }
  return op.getResult(0);
}

//===----------------------------------------------------------------------===//
// One function per loom op, in the order of LoomOps.td.
//===----------------------------------------------------------------------===//

static Value lower(Lowering &l, ops::MatmulOp op) {
  return l.matmul(op.getLhs(), op.getRhs(), op.getTransposeLhs(),
                  op.getTransposeRhs(), op.getResult().getType());
}

static Value lower(Lowering &l, ops::AddOp op) {
  return l.elementwise(op.getResult().getType(), {op.getLhs(), op.getRhs()},
                       [](OpBuilder &b, Location loc, ValueRange args) -> Value {
                         return arith::AddFOp::create(b, loc, args[0], args[1]);
                       });
}

static Value lowerActivation(Lowering &l, Operation *op, ops::Activation kind) {
  return l.elementwise(cast<RankedTensorType>(op->getResult(0).getType()),
                       op->getOperand(0),
                       [&](OpBuilder &b, Location loc, ValueRange args) {
                         return scalar::activation(b, loc, kind, args[0]);
                       });
}

// Row-wise max and Σ exp(z − max) of logits [N, C]: the two reductions of a
// numerically stable softmax.
static std::pair<Value, Value> softmaxStatistics(Lowering &l, Value logits) {
  auto type = cast<RankedTensorType>(logits.getType());
  auto rowType = RankedTensorType::get({type.getDimSize(0)}, type.getElementType());
  MLIRContext *ctx = l.b.getContext();
  AffineExpr i, c;
  bindDims(ctx, i, c);
  SmallVector<AffineMap> maxMaps = {AffineMap::get(2, 0, {i, c}, ctx),
                                    AffineMap::get(2, 0, {i}, ctx)};
  SmallVector<utils::IteratorType> iterators = {utils::IteratorType::parallel,
                                                utils::IteratorType::reduction};
  Value rowMax =
      linalg::GenericOp::create(
          l.b, l.loc, TypeRange{rowType}, ValueRange{logits},
          ValueRange{l.filled(rowType, -std::numeric_limits<double>::infinity())},
          maxMaps, iterators,
          [](OpBuilder &b, Location loc, ValueRange args) {
            linalg::YieldOp::create(
                b, loc, ValueRange{arith::MaximumFOp::create(b, loc, args[0], args[1])});
          })
          .getResult(0);
  SmallVector<AffineMap> sumMaps = {AffineMap::get(2, 0, {i, c}, ctx),
                                    AffineMap::get(2, 0, {i}, ctx),
                                    AffineMap::get(2, 0, {i}, ctx)};
  Value sumExp =
      linalg::GenericOp::create(
          l.b, l.loc, TypeRange{rowType}, ValueRange{logits, rowMax},
          ValueRange{l.filled(rowType, 0.0)}, sumMaps, iterators,
          [](OpBuilder &b, Location loc, ValueRange args) {
            Value shifted = arith::SubFOp::create(b, loc, args[0], args[1]);
            Value e = math::ExpOp::create(b, loc, shifted);
            linalg::YieldOp::create(b, loc,
                                    ValueRange{arith::AddFOp::create(b, loc, args[2], e)});
          })
          .getResult(0);
  return {rowMax, sumExp};
}

// L = (1/N) Σ_i (log Σ_c exp(z[i,c] − m_i) + m_i − z[i, y_i])
static Value lower(Lowering &l, ops::CrossEntropyOp op) {
  Value logits = op.getLogits(), labels = op.getLabels();
  auto [rowMax, sumExp] = softmaxStatistics(l, logits);
  int64_t rows = op.getLogits().getType().getDimSize(0);
  auto lossType = op.getLoss().getType();
  MLIRContext *ctx = l.b.getContext();
  AffineExpr i;
  bindDims(ctx, i);
  AffineMap row = AffineMap::get(1, 0, {i}, ctx);
  AffineMap scalarMap = AffineMap::get(1, 0, {}, ctx);
  double invRows = 1.0 / static_cast<double>(rows);
  return linalg::GenericOp::create(
             l.b, l.loc, TypeRange{lossType}, ValueRange{rowMax, sumExp, labels},
             ValueRange{l.filled(lossType, 0.0)},
             SmallVector<AffineMap>{row, row, row, scalarMap},
             SmallVector<utils::IteratorType>{utils::IteratorType::reduction},
             [&](OpBuilder &b, Location loc, ValueRange args) {
               Value index = linalg::IndexOp::create(b, loc, 0);
               Value label = arith::IndexCastOp::create(
                   b, loc, b.getIndexType(), args[2]);
               Value target = tensor::ExtractOp::create(
                   b, loc, logits, ValueRange{index, label});
               Value logSum = math::LogOp::create(b, loc, args[1]);
               Value term = arith::SubFOp::create(
                   b, loc, arith::AddFOp::create(b, loc, logSum, args[0]), target);
               Value scaled = arith::MulFOp::create(
                   b, loc, term, scalar::constant(b, loc, invRows));
               linalg::YieldOp::create(
                   b, loc, ValueRange{arith::AddFOp::create(b, loc, args[3], scaled)});
             })
      .getResult(0);
}

// L = (1/n) Σ (p − t)²
static Value lower(Lowering &l, ops::MseOp op) {
  auto type = op.getPrediction().getType();
  double invCount = 1.0 / static_cast<double>(type.getNumElements());
  unsigned rank = type.getRank();
  return l.generic(rank, rank, {op.getPrediction(), op.getTarget()},
                   {l.filled(op.getLoss().getType(), 0.0)},
                   [&](OpBuilder &b, Location loc, ValueRange args) {
                     Value diff = arith::SubFOp::create(b, loc, args[0], args[1]);
                     Value square = arith::MulFOp::create(b, loc, diff, diff);
                     Value scaled = arith::MulFOp::create(
                         b, loc, square, scalar::constant(b, loc, invCount));
                     return SmallVector<Value>{
                         arith::AddFOp::create(b, loc, args[2], scaled)};
                   })
      .getResult(0);
}

static Value lower(Lowering &l, ops::ActivationGradOp op) {
  ops::Activation kind = op.getActivation();
  return l.elementwise(op.getResult().getType(),
                       {op.getSaved(), op.getOutputGrad()},
                       [&](OpBuilder &b, Location loc, ValueRange args) {
                         return scalar::activationGrad(b, loc, kind, args[0],
                                                       args[1]);
                       });
}

// db[n] = Σ_m dy[m, n], in the same order as fused_linear_grad's reduction.
static Value lower(Lowering &l, ops::ReduceSumOp op) {
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

// dz[i,c] = (softmax(z_i)[c] − [c = y_i]) · dL / N
static Value lower(Lowering &l, ops::CrossEntropyGradOp op) {
  Value logits = op.getLogits();
  auto [rowMax, sumExp] = softmaxStatistics(l, logits);
  auto type = op.getResult().getType();
  double invRows = 1.0 / static_cast<double>(type.getDimSize(0));
  MLIRContext *ctx = l.b.getContext();
  AffineExpr i, c;
  bindDims(ctx, i, c);
  AffineMap full = AffineMap::get(2, 0, {i, c}, ctx);
  AffineMap row = AffineMap::get(2, 0, {i}, ctx);
  AffineMap scalarMap = AffineMap::get(2, 0, {}, ctx);
  return linalg::GenericOp::create(
             l.b, l.loc, TypeRange{type},
             ValueRange{logits, rowMax, sumExp, op.getLabels(), op.getLossGrad()},
             ValueRange{l.empty(type)},
             SmallVector<AffineMap>{full, row, row, row, scalarMap, full},
             SmallVector<utils::IteratorType>{utils::IteratorType::parallel,
                                              utils::IteratorType::parallel},
             [&](OpBuilder &b, Location loc, ValueRange args) {
               Value shifted = arith::SubFOp::create(b, loc, args[0], args[1]);
               Value p = arith::DivFOp::create(
                   b, loc, math::ExpOp::create(b, loc, shifted), args[2]);
               Value column = arith::IndexCastOp::create(
                   b, loc, b.getI32Type(), linalg::IndexOp::create(b, loc, 1));
               Value isTarget = arith::CmpIOp::create(
                   b, loc, arith::CmpIPredicate::eq, column, args[3]);
               Value onehot = arith::SelectOp::create(
                   b, loc, isTarget, scalar::constant(b, loc, 1.0),
                   scalar::constant(b, loc, 0.0));
               Value scale = arith::MulFOp::create(
                   b, loc, args[4], scalar::constant(b, loc, invRows));
               Value grad = arith::MulFOp::create(
                   b, loc, arith::SubFOp::create(b, loc, p, onehot), scale);
               linalg::YieldOp::create(b, loc, ValueRange{grad});
             })
      .getResult(0);
}

// dp = (p − t) · (2·dL/n)
static Value lower(Lowering &l, ops::MseGradOp op) {
  auto type = op.getResult().getType();
  double twoOverCount = 2.0 / static_cast<double>(type.getNumElements());
  return l.elementwise(type,
                       {op.getPrediction(), op.getTarget(), op.getLossGrad()},
                       [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
                         Value diff = arith::SubFOp::create(b, loc, args[0], args[1]);
                         Value scale = arith::MulFOp::create(
                             b, loc, args[2], scalar::constant(b, loc, twoOverCount));
                         return arith::MulFOp::create(b, loc, diff, scale);
                       });
}

static Value lower(Lowering &l, ops::ZerosOp op) {
  return l.filled(op.getResult().getType(), 0.0);
}

// v' = μ·v + g; p' = p − lr·v', computed in the tensors of p and v so that
// bufferization updates their buffers in place.
static SmallVector<Value> lower(Lowering &l, ops::SgdUpdateOp op) {
  Value lr = op.getLr(), momentum = op.getMomentum();
  unsigned rank = op.getParam().getType().getRank();
  return l.generic(rank, 0, op.getGrad(), {op.getParam(), op.getVelocity()},
                   [&](OpBuilder &b, Location loc, ValueRange args) {
                     Value g = args[0], p = args[1], v = args[2];
                     Value newV = arith::AddFOp::create(
                         b, loc, arith::MulFOp::create(b, loc, momentum, v), g);
                     Value newP = arith::SubFOp::create(
                         b, loc, p, arith::MulFOp::create(b, loc, lr, newV));
                     return SmallVector<Value>{newP, newV};
                   })
      ->getResults();
}

// The matmul and its epilogue (bias, activation) carry one fusion group.
static SmallVector<Value> lower(Lowering &l, ops::FusedLinearOp op,
                                IntegerAttr group) {
  auto type = op.getOutput().getType();
  Value product = l.matmul(op.getInput(), op.getWeight(), false, false, type);
  product.getDefiningOp()->setAttr(::loom::kFusionGroupAttr, group);
  ops::Activation kind = op.getActivation();
  bool keepPre = bool(op.getPreActivation());
  SmallVector<Value> inputs = {product};
  if (op.getBias())
    inputs.push_back(op.getBias());
  SmallVector<Value> outputs = {l.empty(type)};
  if (keepPre)
    outputs.push_back(l.empty(type));
  bool hasBias = bool(op.getBias());
  auto epilogue = l.generic(
      2, 0, inputs, outputs, [&](OpBuilder &b, Location loc, ValueRange args) {
        Value pre = hasBias ? Value(arith::AddFOp::create(b, loc, args[0], args[1]))
                            : args[0];
        SmallVector<Value> results = {scalar::activation(b, loc, kind, pre)};
        if (keepPre)
          results.push_back(pre);
        return results;
      });
  epilogue->setAttr(::loom::kFusionGroupAttr, group);
  return epilogue->getResults();
}

// One pass over dy computes dz = dy·act'(saved) and db = Σ_rows dz; then the
// two gradient products read dz. Without an activation dz is dy itself: the
// pass only reduces, and nothing is copied.
static SmallVector<Value> lower(Lowering &l, ops::FusedLinearGradOp op,
                                IntegerAttr group) {
  auto dzType = op.getOutputGrad().getType();
  ops::Activation kind = op.getActivation();
  bool withBias = op.getWithBias();
  auto biasType =
      RankedTensorType::get({dzType.getDimSize(1)}, dzType.getElementType());
  Value dz = op.getOutputGrad(), db;
  if (op.getSaved()) {
    SmallVector<Value> outputs = {l.empty(dzType)};
    if (withBias)
      outputs.push_back(l.filled(biasType, 0.0));
    auto pass = l.generic(2, withBias ? 1 : 0, {op.getOutputGrad(), op.getSaved()},
                          outputs, [&](OpBuilder &b, Location loc, ValueRange args) {
                            Value grad = ::loom::scalar::activationGrad(
                                b, loc, kind, args[1], args[0]);
                            SmallVector<Value> results = {grad};
                            if (withBias)
                              results.push_back(
                                  arith::AddFOp::create(b, loc, args.back(), grad));
                            return results;
                          });
    // dz is an output indexed by the reduction dimension m: it is written at
    // every (m, n) while db accumulates over m.
    pass->setAttr(::loom::kFusionGroupAttr, group);
    dz = pass.getResult(0);
    if (withBias)
      db = pass.getResult(1);
  } else if (withBias) {
    auto reduce = l.generic(2, 1, dz, {l.filled(biasType, 0.0)},
                            [](OpBuilder &b, Location loc, ValueRange args) {
                              return SmallVector<Value>{
                                  arith::AddFOp::create(b, loc, args[1], args[0])};
                            });
    reduce->setAttr(::loom::kFusionGroupAttr, group);
    db = reduce.getResult(0);
  }

  SmallVector<Value> results;
  if (Value weight = op.getWeight())
    results.push_back(l.matmul(dz, weight, false, true, op.getInput().getType()));
  results.push_back(l.matmul(op.getInput(), dz, true, false,
                             cast<RankedTensorType>(op.getWeightGrad().getType())));
  if (withBias)
    results.push_back(db);
  return results;
}

//===----------------------------------------------------------------------===//

static LogicalResult lowerOp(IRRewriter &rewriter, Operation *op,
                             int64_t &nextGroup) {
  rewriter.setInsertionPoint(op);
  Lowering l(rewriter, op->getLoc());
  IntegerAttr group;
  if (isa<ops::FusedLinearOp, ops::FusedLinearGradOp>(op))
    group = rewriter.getI64IntegerAttr(nextGroup++);
  std::optional<SmallVector<Value>> replacement =
      llvm::TypeSwitch<Operation *, std::optional<SmallVector<Value>>>(op)
          .Case<ops::MatmulOp, ops::AddOp, ops::CrossEntropyOp, ops::MseOp,
                ops::ActivationGradOp, ops::ReduceSumOp,
                ops::CrossEntropyGradOp, ops::MseGradOp, ops::ZerosOp>(
              [&](auto concrete) {
                return SmallVector<Value>{lower(l, concrete)};
              })
          .Case<ops::GeluOp, ops::ReluOp, ops::TanhOp>([&](auto concrete) {
            return SmallVector<Value>{
                lowerActivation(l, concrete, concrete.getActivation())};
          })
          .Case<ops::SgdUpdateOp>(
              [&](auto concrete) { return lower(l, concrete); })
          .Case<ops::FusedLinearOp, ops::FusedLinearGradOp>(
              [&](auto concrete) { return lower(l, concrete, group); })
          .Default([](Operation *) { return std::nullopt; });
  if (!replacement)
    return op->emitError("no lowering to linalg for this op");
  rewriter.replaceOp(op, *replacement);
  return success();
}

namespace {
struct LoomLowerToLinalgPass
    : public ::loom::impl::LoomLowerToLinalgBase<LoomLowerToLinalgPass> {
  void runOnOperation() override {
    SmallVector<Operation *> loomOps;
    getOperation().walk([&](Operation *op) {
      if (isa<ops::LoomDialect>(op->getDialect()))
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
