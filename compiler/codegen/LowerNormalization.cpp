//===- LowerNormalization.cpp - layer_norm, rms_norm to linalg ------------===//
//
// Each row's statistics are computed by one reduction loop that carries all
// of them (sum and sum of squares together), then one elementwise loop
// applies them. The backward passes recompute the statistics the same way,
// reduce each row's two sums in one loop, write dx in one loop, and reduce
// the gain (and bias) gradients over rows in one loop.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/ScalarMath.h"
#include "compiler/codegen/Lowerings.h"
#include "dialects/loom/IR/LoomOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using loomc::codegen::LinalgBuilder;
using loomc::codegen::Lowered;
namespace ops = mlir::loom;

namespace {
constexpr utils::IteratorType kParallel = utils::IteratorType::parallel;
constexpr utils::IteratorType kReduction = utils::IteratorType::reduction;

// Per-row mean and 1/√(var + ε) of x [R, C]. The sums are taken of x − x[r, 0]
// so that a row whose mean is large against its spread loses no precision.
std::pair<Value, Value> layerNormStatistics(LinalgBuilder &l, Value x,
                                            float epsilon) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  RankedTensorType rowType = l.floatTensor({rows});
  MLIRContext *ctx = l.b.getContext();
  AffineMap first = AffineMap::get(2, 0, {l.b.getAffineDimExpr(0),
                                          getAffineConstantExpr(0, ctx)}, ctx);
  auto sums = l.generic(
      {x, x}, {l.filled(rowType, 0.0), l.filled(rowType, 0.0)},
      {l.dimsMap(2, {0, 1}), first, l.dimsMap(2, {0}), l.dimsMap(2, {0})},
      {kParallel, kReduction}, [](OpBuilder &b, Location loc, ValueRange args) {
        Value d = arith::SubFOp::create(b, loc, args[0], args[1]);
        return SmallVector<Value>{
            arith::AddFOp::create(b, loc, args[2], d),
            arith::AddFOp::create(b, loc, args[3],
                                  arith::MulFOp::create(b, loc, d, d))};
      });
  double invCols = 1.0 / static_cast<double>(cols);
  auto stats = l.generic(
      {sums.getResult(0), sums.getResult(1), x}, {l.empty(rowType), l.empty(rowType)},
      {l.dimsMap(1, {0}), l.dimsMap(1, {0}),
       AffineMap::get(1, 0, {l.b.getAffineDimExpr(0), getAffineConstantExpr(0, ctx)}, ctx),
       l.dimsMap(1, {0}), l.dimsMap(1, {0})},
      {kParallel}, [&](OpBuilder &b, Location loc, ValueRange args) {
        Value inv = loomc::scalar::constant(b, loc, args[0], invCols);
        Value shiftedMean = arith::MulFOp::create(b, loc, args[0], inv);
        Value meanSquare = arith::MulFOp::create(b, loc, args[1], inv);
        Value var = arith::SubFOp::create(
            b, loc, meanSquare,
            arith::MulFOp::create(b, loc, shiftedMean, shiftedMean));
        Value eps = loomc::scalar::constant(b, loc, args[0], epsilon);
        Value rstd = math::RsqrtOp::create(b, loc, arith::AddFOp::create(b, loc, var, eps));
        Value mean = arith::AddFOp::create(b, loc, args[2], shiftedMean);
        return SmallVector<Value>{mean, rstd};
      });
  return {stats.getResult(0), stats.getResult(1)};
}

// Per-row 1/√(mean(x²) + ε) of x [R, C].
Value rmsStatistic(LinalgBuilder &l, Value x, float epsilon) {
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  RankedTensorType rowType = l.floatTensor({rows});
  Value squares =
      l.generic({x}, {l.filled(rowType, 0.0)},
                {l.dimsMap(2, {0, 1}), l.dimsMap(2, {0})}, {kParallel, kReduction},
                [](OpBuilder &b, Location loc, ValueRange args) {
                  return SmallVector<Value>{arith::AddFOp::create(
                      b, loc, args[1], arith::MulFOp::create(b, loc, args[0], args[0]))};
                })
          .getResult(0);
  double invCols = 1.0 / static_cast<double>(cols);
  return l.elementwise(rowType, {squares},
                       [&](OpBuilder &b, Location loc, ValueRange args) -> Value {
                         Value mean = arith::MulFOp::create(
                             b, loc, args[0],
                             loomc::scalar::constant(b, loc, args[0], invCols));
                         Value eps = loomc::scalar::constant(b, loc, args[0], epsilon);
                         return math::RsqrtOp::create(
                             b, loc, arith::AddFOp::create(b, loc, mean, eps));
                       });
}

// Maps of an [R, C] nest: full, per row, per column.
struct RowMaps {
  AffineMap full, row, column;
  explicit RowMaps(LinalgBuilder &l)
      : full(l.dimsMap(2, {0, 1})), row(l.dimsMap(2, {0})),
        column(l.dimsMap(2, {1})) {}
};

} // namespace

// y = (x − μ)·r·γ + β
static Value lower(LinalgBuilder &l, ops::LayerNormOp op) {
  Value x = l.collapseRows(op.getInput());
  auto [mean, rstd] = layerNormStatistics(l, x, op.getEpsilon().convertToFloat());
  RowMaps m(l);
  Value y = l.generic({x, mean, rstd, op.getGain(), op.getBias()},
                      {l.empty(cast<RankedTensorType>(x.getType()))},
                      {m.full, m.row, m.row, m.column, m.column, m.full},
                      {kParallel, kParallel},
                      [](OpBuilder &b, Location loc, ValueRange args) {
                        Value hat = arith::MulFOp::create(
                            b, loc, arith::SubFOp::create(b, loc, args[0], args[1]),
                            args[2]);
                        return SmallVector<Value>{arith::AddFOp::create(
                            b, loc, arith::MulFOp::create(b, loc, hat, args[3]),
                            args[4])};
                      })
                .getResult(0);
  return l.expandRows(y, op.getResult().getType().getShape());
}

// With g = dy·γ and x̂ = (x − μ)·r: dx = r·(g − mean(g) − x̂·mean(g·x̂)),
// dγ = Σ_rows dy·x̂, dβ = Σ_rows dy.
static SmallVector<Value> lower(LinalgBuilder &l, ops::LayerNormGradOp op) {
  Value x = l.collapseRows(op.getInput());
  Value dy = l.collapseRows(op.getOutputGrad());
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  auto [mean, rstd] = layerNormStatistics(l, x, op.getEpsilon().convertToFloat());
  RowMaps m(l);
  Value gain = op.getGain();
  auto hat = [](OpBuilder &b, Location loc, Value x, Value mean, Value rstd) -> Value {
    return arith::MulFOp::create(b, loc, arith::SubFOp::create(b, loc, x, mean), rstd);
  };
  RankedTensorType rowType = l.floatTensor({rows});
  auto sums = l.generic(
      {x, dy, mean, rstd, gain}, {l.filled(rowType, 0.0), l.filled(rowType, 0.0)},
      {m.full, m.full, m.row, m.row, m.column, m.row, m.row}, {kParallel, kReduction},
      [&](OpBuilder &b, Location loc, ValueRange args) {
        Value g = arith::MulFOp::create(b, loc, args[1], args[4]);
        Value gHat = arith::MulFOp::create(b, loc, g, hat(b, loc, args[0], args[2], args[3]));
        return SmallVector<Value>{arith::AddFOp::create(b, loc, args[5], g),
                                  arith::AddFOp::create(b, loc, args[6], gHat)};
      });
  double invCols = 1.0 / static_cast<double>(cols);
  Value dx =
      l.generic({x, dy, mean, rstd, gain, sums.getResult(0), sums.getResult(1)},
                {l.empty(type)},
                {m.full, m.full, m.row, m.row, m.column, m.row, m.row, m.full},
                {kParallel, kParallel},
                [&](OpBuilder &b, Location loc, ValueRange args) {
                  Value inv = loomc::scalar::constant(b, loc, args[0], invCols);
                  Value g = arith::MulFOp::create(b, loc, args[1], args[4]);
                  Value xHat = hat(b, loc, args[0], args[2], args[3]);
                  Value meanG = arith::MulFOp::create(b, loc, args[5], inv);
                  Value meanGHat = arith::MulFOp::create(b, loc, args[6], inv);
                  Value centered = arith::SubFOp::create(
                      b, loc, arith::SubFOp::create(b, loc, g, meanG),
                      arith::MulFOp::create(b, loc, xHat, meanGHat));
                  return SmallVector<Value>{
                      arith::MulFOp::create(b, loc, args[3], centered)};
                })
          .getResult(0);
  RankedTensorType columnType = l.floatTensor({cols});
  auto columns = l.generic(
      {x, dy, mean, rstd}, {l.filled(columnType, 0.0), l.filled(columnType, 0.0)},
      {m.full, m.full, m.row, m.row, m.column, m.column}, {kReduction, kParallel},
      [&](OpBuilder &b, Location loc, ValueRange args) {
        Value xHat = hat(b, loc, args[0], args[2], args[3]);
        return SmallVector<Value>{
            arith::AddFOp::create(b, loc, args[4],
                                  arith::MulFOp::create(b, loc, args[1], xHat)),
            arith::AddFOp::create(b, loc, args[5], args[1])};
      });
  return {l.expandRows(dx, op.getInput().getType().getShape()),
          columns.getResult(0), columns.getResult(1)};
}

// y = γ·(x·r), in Hugging Face Llama's order.
static Value lower(LinalgBuilder &l, ops::RmsNormOp op) {
  Value x = l.collapseRows(op.getInput());
  Value rstd = rmsStatistic(l, x, op.getEpsilon().convertToFloat());
  RowMaps m(l);
  Value y = l.generic({x, rstd, op.getGain()},
                      {l.empty(cast<RankedTensorType>(x.getType()))},
                      {m.full, m.row, m.column, m.full}, {kParallel, kParallel},
                      [](OpBuilder &b, Location loc, ValueRange args) {
                        Value normalized = arith::MulFOp::create(b, loc, args[0], args[1]);
                        return SmallVector<Value>{
                            arith::MulFOp::create(b, loc, args[2], normalized)};
                      })
                .getResult(0);
  return l.expandRows(y, op.getResult().getType().getShape());
}

// With g = dy·γ: dx = r·g − x·r³·mean(g·x), dγ = Σ_rows dy·x·r.
static SmallVector<Value> lower(LinalgBuilder &l, ops::RmsNormGradOp op) {
  Value x = l.collapseRows(op.getInput());
  Value dy = l.collapseRows(op.getOutputGrad());
  auto type = cast<RankedTensorType>(x.getType());
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  Value rstd = rmsStatistic(l, x, op.getEpsilon().convertToFloat());
  RowMaps m(l);
  Value gain = op.getGain();
  Value gx =
      l.generic({x, dy, gain}, {l.filled(l.floatTensor({rows}), 0.0)},
                {m.full, m.full, m.column, m.row}, {kParallel, kReduction},
                [](OpBuilder &b, Location loc, ValueRange args) {
                  Value g = arith::MulFOp::create(b, loc, args[1], args[2]);
                  return SmallVector<Value>{arith::AddFOp::create(
                      b, loc, args[3], arith::MulFOp::create(b, loc, g, args[0]))};
                })
          .getResult(0);
  double invCols = 1.0 / static_cast<double>(cols);
  Value dx =
      l.generic({x, dy, gain, rstd, gx}, {l.empty(type)},
                {m.full, m.full, m.column, m.row, m.row, m.full}, {kParallel, kParallel},
                [&](OpBuilder &b, Location loc, ValueRange args) {
                  Value g = arith::MulFOp::create(b, loc, args[1], args[2]);
                  Value r = args[3];
                  Value r3 = arith::MulFOp::create(b, loc, arith::MulFOp::create(b, loc, r, r), r);
                  Value meanGx = arith::MulFOp::create(
                      b, loc, args[4],
                      loomc::scalar::constant(b, loc, args[0], invCols));
                  Value correction = arith::MulFOp::create(
                      b, loc, arith::MulFOp::create(b, loc, args[0], r3), meanGx);
                  return SmallVector<Value>{arith::SubFOp::create(
                      b, loc, arith::MulFOp::create(b, loc, r, g), correction)};
                })
          .getResult(0);
  Value dgain =
      l.generic({x, dy, rstd}, {l.filled(l.floatTensor({cols}), 0.0)},
                {m.full, m.full, m.row, m.column}, {kReduction, kParallel},
                [](OpBuilder &b, Location loc, ValueRange args) {
                  Value normalized = arith::MulFOp::create(b, loc, args[0], args[2]);
                  return SmallVector<Value>{arith::AddFOp::create(
                      b, loc, args[3], arith::MulFOp::create(b, loc, args[1], normalized))};
                })
          .getResult(0);
  return {l.expandRows(dx, op.getInput().getType().getShape()), dgain};
}

Lowered loomc::codegen::lowerNormalizationOp(LinalgBuilder &l, Operation *op) {
  return llvm::TypeSwitch<Operation *, Lowered>(op)
      .Case<ops::LayerNormOp, ops::RmsNormOp>(
          [&](auto norm) { return SmallVector<Value>{lower(l, norm)}; })
      .Case<ops::LayerNormGradOp, ops::RmsNormGradOp>(
          [&](auto grad) { return lower(l, grad); })
      .Default([](Operation *) { return std::nullopt; });
}
