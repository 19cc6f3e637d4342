//===- LinalgBuilder.cpp - Building linalg on tensors for loom ops --------===//

#include "compiler/codegen/LinalgBuilder.h"
#include "compiler/codegen/Passes.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using loomc::codegen::LinalgBuilder;

Value LinalgBuilder::floatConstant(double value) {
  return arith::ConstantOp::create(b, loc, b.getFloatAttr(element, value));
}

VectorType LinalgBuilder::fullVector() {
  return VectorType::get({kVectorBits / element.getIntOrFloatBitWidth()}, element);
}

Value LinalgBuilder::splat(VectorType type, double value) {
  return arith::ConstantOp::create(
      b, loc, DenseElementsAttr::get(type, b.getFloatAttr(type.getElementType(), value)));
}

Value LinalgBuilder::index(int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}

RankedTensorType LinalgBuilder::floatTensor(ArrayRef<int64_t> shape) {
  return RankedTensorType::get(shape, element);
}

Value LinalgBuilder::empty(RankedTensorType type) {
  return tensor::EmptyOp::create(b, loc, type.getShape(), type.getElementType());
}

Value LinalgBuilder::filled(RankedTensorType type, double value) {
  return linalg::FillOp::create(b, loc, floatConstant(value), empty(type)).getResult(0);
}

AffineMap LinalgBuilder::trailingMap(unsigned loops, unsigned rank) {
  SmallVector<AffineExpr> exprs;
  for (unsigned d = loops - rank; d < loops; ++d)
    exprs.push_back(b.getAffineDimExpr(d));
  return AffineMap::get(loops, 0, exprs, b.getContext());
}

AffineMap LinalgBuilder::dimsMap(unsigned loops, ArrayRef<unsigned> dims) {
  SmallVector<AffineExpr> exprs;
  for (unsigned d : dims)
    exprs.push_back(b.getAffineDimExpr(d));
  return AffineMap::get(loops, 0, exprs, b.getContext());
}

linalg::GenericOp LinalgBuilder::generic(ValueRange inputs, ValueRange outputs,
                                         ArrayRef<AffineMap> maps,
                                         ArrayRef<utils::IteratorType> iterators,
                                         BodyFn body) {
  return linalg::GenericOp::create(
      b, loc, outputs.getTypes(), inputs, outputs, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        linalg::YieldOp::create(nested, nestedLoc, body(nested, nestedLoc, args));
      });
}

linalg::GenericOp LinalgBuilder::generic(unsigned loops, unsigned reductions,
                                         ValueRange inputs, ValueRange outputs,
                                         BodyFn body) {
  SmallVector<AffineMap> maps;
  for (Value v : llvm::concat<const Value>(inputs, outputs))
    maps.push_back(
        trailingMap(loops, cast<RankedTensorType>(v.getType()).getRank()));
  SmallVector<utils::IteratorType> iterators(loops, utils::IteratorType::parallel);
  for (unsigned d = 0; d < reductions; ++d)
    iterators[d] = utils::IteratorType::reduction;
  return generic(inputs, outputs, maps, iterators, body);
}

LinalgBuilder::RowBlockedPass
LinalgBuilder::rowBlockedPass(ValueRange inputs, unsigned rowOutputs,
                              unsigned sums, BodyFn body) {
  auto type = cast<RankedTensorType>(inputs.front().getType());
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  // Up to 16 blocks (a divisor of the rows): enough for the threads to
  // share, few partial sums.
  int64_t blocks = 1;
  for (int64_t count = 16; count > 1; --count)
    if (rows % count == 0) {
      blocks = count;
      break;
    }
  auto split = [&](Value rowsValue) -> Value {
    return tensor::ExpandShapeOp::create(
        b, loc, floatTensor({blocks, rows / blocks, cols}), rowsValue,
        ArrayRef<ReassociationIndices>{{0, 1}, {2}});
  };
  SmallVector<Value> blockedInputs, outputs;
  for (Value input : inputs)
    blockedInputs.push_back(split(input));
  for (unsigned i = 0; i < rowOutputs; ++i)
    outputs.push_back(empty(floatTensor({blocks, rows / blocks, cols})));
  for (unsigned i = 0; i < sums; ++i)
    outputs.push_back(filled(floatTensor({blocks, cols}), 0.0));
  // Loops (block, row, column): rows reduce into each block's sums.
  SmallVector<AffineMap> maps(blockedInputs.size() + rowOutputs,
                              dimsMap(3, {0, 1, 2}));
  maps.append(sums, dimsMap(3, {0, 2}));
  RowBlockedPass result;
  result.pass = generic(blockedInputs, outputs, maps,
                        {utils::IteratorType::parallel, utils::IteratorType::reduction,
                         utils::IteratorType::parallel},
                        body);
  for (unsigned i = 0; i < rowOutputs; ++i)
    result.rows.push_back(tensor::CollapseShapeOp::create(
        b, loc, result.pass.getResult(i), ArrayRef<ReassociationIndices>{{0, 1}, {2}}));
  for (unsigned i = 0; i < sums; ++i)
    result.sums.push_back(
        generic({result.pass.getResult(rowOutputs + i)}, {filled(floatTensor({cols}), 0.0)},
                {dimsMap(2, {0, 1}), dimsMap(2, {1})},
                {utils::IteratorType::reduction, utils::IteratorType::parallel},
                sumBody)
            .getResult(0));
  return result;
}

SmallVector<Value> LinalgBuilder::sumBody(OpBuilder &b, Location loc, ValueRange args) {
  return {arith::AddFOp::create(b, loc, args[1], args[0])};
}

Value LinalgBuilder::elementwise(RankedTensorType type, ValueRange inputs,
                                 ElementFn fn) {
  return generic(type.getRank(), 0, inputs, {empty(type)},
                 [&](OpBuilder &nb, Location nl, ValueRange args) {
                   return SmallVector<Value>{fn(nb, nl, args.drop_back(1))};
                 })
      .getResult(0);
}

Value LinalgBuilder::collapseRows(Value value) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getRank() == 2)
    return value;
  SmallVector<ReassociationIndices> groups(2);
  for (int64_t d = 0; d + 1 < type.getRank(); ++d)
    groups[0].push_back(d);
  groups[1].push_back(type.getRank() - 1);
  return tensor::CollapseShapeOp::create(b, loc, value, groups);
}

Value LinalgBuilder::expandRows(Value value, ArrayRef<int64_t> shape) {
  if (shape.size() == 2)
    return value;
  SmallVector<ReassociationIndices> groups(2);
  for (int64_t d = 0; d + 1 < static_cast<int64_t>(shape.size()); ++d)
    groups[0].push_back(d);
  groups[1].push_back(shape.size() - 1);
  return tensor::ExpandShapeOp::create(b, loc, floatTensor(shape), value, groups);
}

// A packed copy (marked loom.pack) of `source`, read through `read` and
// rounded to `elementType`, of shape `shape`.
static Value roundingPack(OpBuilder &b, Location loc, Value source, AffineMap read,
                          ArrayRef<int64_t> shape, Type elementType) {
  Value init = tensor::EmptyOp::create(b, loc, shape, elementType);
  auto packOp = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{source}, ValueRange{init},
      ArrayRef<AffineMap>{read, AffineMap::getMultiDimIdentityMap(shape.size(),
                                                                 b.getContext())},
      SmallVector<utils::IteratorType>(shape.size(), utils::IteratorType::parallel),
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        Value rounded = arith::TruncFOp::create(nested, nestedLoc, elementType, args[0]);
        linalg::YieldOp::create(nested, nestedLoc, rounded);
      });
  packOp->setAttr(mlir::loom::kPackAttr, b.getUnitAttr());
  return packOp.getResult(0);
}

Value LinalgBuilder::pack(OpBuilder &b, Location loc, Value rhs, bool transpose,
                          Type elementType) {
  auto type = cast<RankedTensorType>(rhs.getType());
  SmallVector<int64_t> shape(type.getShape());
  if (transpose)
    std::swap(shape[0], shape[1]);
  if (elementType != type.getElementType()) {
    AffineMap read = transpose ? AffineMap::getPermutationMap(ArrayRef<unsigned>{1, 0},
                                                              b.getContext())
                               : AffineMap::getMultiDimIdentityMap(2, b.getContext());
    return roundingPack(b, loc, rhs, read, shape, elementType);
  }
  if (!transpose)
    return rhs;
  Value init = tensor::EmptyOp::create(b, loc, shape, elementType);
  auto transposeOp =
      linalg::TransposeOp::create(b, loc, rhs, init, ArrayRef<int64_t>{1, 0});
  transposeOp->setAttr(mlir::loom::kPackAttr, b.getUnitAttr());
  return transposeOp.getResult()[0];
}

Value LinalgBuilder::matmul(Value lhs, Value rhs, bool transposeLhs,
                            bool transposeRhs) {
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  if (transposeRhs)
    rhs = pack(b, loc, rhs, /*transpose=*/true, element);
  auto rhsType = cast<RankedTensorType>(rhs.getType());
  int64_t rows = transposeLhs ? lhsType.getDimSize(1) : lhsType.getDimSize(0);
  RankedTensorType resultType = floatTensor({rows, rhsType.getDimSize(1)});
  return matmulInto(lhs, rhs, filled(resultType, 0.0), transposeLhs);
}

SmallVector<AffineMap> LinalgBuilder::pairedProductMaps(MLIRContext *ctx) {
  AffineExpr m, n, pair, k;
  bindDims(ctx, m, n, pair, k);
  return AffineMap::inferFromExprList(
      ArrayRef<ArrayRef<AffineExpr>>{{m, pair, k}, {pair, n, k}, {m, n}}, ctx);
}

bool LinalgBuilder::isProduct(Operation *op) {
  return isa<linalg::MatmulOp>(op) || isPairedProduct(op);
}

bool LinalgBuilder::isPairedProduct(Operation *op) {
  auto contract = dyn_cast<linalg::ContractOp>(op);
  return contract && contract.getIndexingMapsArray() ==
                         pairedProductMaps(op->getContext());
}

// The right operand of a product over pairs, packed: [K, N] (or [N, K]
// when transposed) viewed as pairs of k, [K/2, 2, N] (or [N, K/2, 2]),
// permuted to [K/2, N, 2] and rounded to bf16.
static Value pairPack(OpBuilder &b, Location loc, Value rhs, bool transpose) {
  auto type = cast<RankedTensorType>(rhs.getType());
  int64_t k = type.getDimSize(transpose ? 1 : 0), n = type.getDimSize(transpose ? 0 : 1);
  Type f32 = b.getF32Type(), bf16 = b.getBF16Type();
  SmallVector<ReassociationIndices> groups =
      transpose ? SmallVector<ReassociationIndices>{{0}, {1, 2}}
                : SmallVector<ReassociationIndices>{{0, 1}, {2}};
  SmallVector<int64_t> pairsShape = transpose ? SmallVector<int64_t>{n, k / 2, 2}
                                              : SmallVector<int64_t>{k / 2, 2, n};
  Value pairs = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(pairsShape, f32), rhs, groups);
  MLIRContext *ctx = b.getContext();
  AffineExpr pair, column, half;
  bindDims(ctx, pair, column, half);
  AffineMap read = transpose ? AffineMap::get(3, 0, {column, pair, half}, ctx)
                             : AffineMap::get(3, 0, {pair, half, column}, ctx);
  return roundingPack(b, loc, pairs, read, {k / 2, n, 2}, bf16);
}

// The dot-product instructions (vdpbf16ps, AMX's tdpbf16ps) multiply pairs
// of consecutive k; a register tile broadcasts a row's pair of the left
// operand as one 32-bit value, so the left operand is a bf16 copy in rows
// of k (transposed here when the product reads it transposed). The right
// operand is packed with each pair of k rows interleaved, so that the dot
// products read it as it lies; an odd k has no such layout and is a
// linalg.matmul whose tiles interleave the pairs with shuffles instead
// (Bf16DotProducts.cpp).
Value LinalgBuilder::bf16Matmul(Value lhs, Value rhs, bool transposeLhs,
                                bool transposeRhs) {
  Type bf16 = b.getBF16Type();
  auto lhsType = cast<RankedTensorType>(lhs.getType());
  SmallVector<int64_t> lhsShape(lhsType.getShape());
  auto rounded = RankedTensorType::get(lhsShape, bf16);
  Value lhsCopy = generic(2, 0, {lhs}, {empty(rounded)},
                          [&](OpBuilder &nb, Location nl, ValueRange args) {
                            return SmallVector<Value>{
                                arith::TruncFOp::create(nb, nl, bf16, args[0])};
                          })
                      .getResult(0);
  if (transposeLhs) {
    std::swap(lhsShape[0], lhsShape[1]);
    lhsCopy = linalg::TransposeOp::create(b, loc, lhsCopy,
                                          empty(RankedTensorType::get(lhsShape, bf16)),
                                          ArrayRef<int64_t>{1, 0})
                  .getResult()[0];
  }
  int64_t rows = lhsShape[0], depth = lhsShape[1];
  auto rhsType = cast<RankedTensorType>(rhs.getType());
  int64_t columns = rhsType.getDimSize(transposeRhs ? 0 : 1);
  Value acc = filled(floatTensor({rows, columns}), 0.0);
  if (depth % 2 != 0 || ShapedType::isDynamic(depth) || !rhsType.hasStaticShape()) {
    Value packed = pack(b, loc, rhs, transposeRhs, bf16);
    return matmulInto(lhsCopy, packed, acc, false);
  }
  Value lhsPairs = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get({rows, depth / 2, 2}, bf16), lhsCopy,
      SmallVector<ReassociationIndices>{{0}, {1, 2}});
  Value rhsPairs = pairPack(b, loc, rhs, transposeRhs);
  return linalg::ContractOp::create(
             b, loc, TypeRange{acc.getType()}, ValueRange{lhsPairs, rhsPairs},
             ValueRange{acc},
             b.getAffineMapArrayAttr(pairedProductMaps(b.getContext())))
      .getResult(0);
}

Value LinalgBuilder::matmulInto(Value lhs, Value rhs, Value acc, bool transposeLhs) {
  auto op = linalg::MatmulOp::create(b, loc, TypeRange{acc.getType()},
                                     ValueRange{lhs, rhs}, ValueRange{acc});
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

SmallVector<OpFoldResult> LinalgBuilder::indexAttrs(ArrayRef<int64_t> values) {
  SmallVector<OpFoldResult> attrs;
  for (int64_t value : values)
    attrs.push_back(b.getIndexAttr(value));
  return attrs;
}

Value LinalgBuilder::slice(Value source, ArrayRef<OpFoldResult> offsets,
                           ArrayRef<int64_t> sizes, ArrayRef<int64_t> shape) {
  return tensor::ExtractSliceOp::create(
      b, loc, floatTensor(shape), source, offsets, indexAttrs(sizes),
      indexAttrs(SmallVector<int64_t>(sizes.size(), 1)));
}

Value LinalgBuilder::insertSlice(Value source, Value dest,
                                 ArrayRef<OpFoldResult> offsets,
                                 ArrayRef<int64_t> sizes) {
  return tensor::InsertSliceOp::create(
      b, loc, source, dest, offsets, indexAttrs(sizes),
      indexAttrs(SmallVector<int64_t>(sizes.size(), 1)));
}

Value LinalgBuilder::transposed(Value value, ArrayRef<int64_t> perm) {
  auto type = cast<RankedTensorType>(value.getType());
  SmallVector<int64_t> shape;
  for (int64_t d : perm)
    shape.push_back(type.getDimSize(d));
  return linalg::TransposeOp::create(b, loc, value, empty(floatTensor(shape)), perm)
      .getResult()[0];
}

std::pair<Value, Value> LinalgBuilder::softmaxStatistics(Value logits) {
  auto type = cast<RankedTensorType>(logits.getType());
  int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
  RankedTensorType rowType = floatTensor({rows});
  VectorType vecType = fullVector();
  int64_t lanes = vecType.getNumElements();
  double negInf = -std::numeric_limits<double>::infinity();

  auto forall = scf::ForallOp::create(
      b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(rows)},
      ValueRange{empty(rowType), empty(rowType)}, std::nullopt);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(forall.getBody());
  Value row = forall.getInductionVar(0);
  Value limit = index(cols);
  Value negInfScalar = floatConstant(negInf);
  Value negInfVec = splat(vecType, negInf);
  Value zeroVec = splat(vecType, 0.0);

  // Two passes over the row: its maximum, then Σ exp(x − max), one exp per
  // element (an online softmax takes two, and its running maximum makes
  // every step wait for the previous one's exp). The row is in L2 for the
  // second pass (a GPT-2 vocabulary's is 200 KB). Each pass keeps kChains
  // vectors of independent partial results, so that consecutive steps do
  // not wait for one another; the last columns, fewer than kChains
  // vectors, go one vector at a time, read past the row's end as -inf.
  constexpr int64_t kChains = 4;
  int64_t step = lanes * kChains;
  int64_t whole = cols - cols % step;
  auto readVector = [&](OpBuilder &nb, Location nl, Value col, bool inBounds) -> Value {
    return vector::TransferReadOp::create(nb, nl, vecType, logits, ValueRange{row, col},
                                          negInfScalar, ArrayRef<bool>{inBounds});
  };
  // One pass: `combine` folds each vector of the row into a chain.
  auto pass = [&](Value init, llvm::function_ref<Value(OpBuilder &, Location, Value, Value)>
                                  combine,
                  llvm::function_ref<Value(OpBuilder &, Location, Value, Value)> merge)
      -> Value {
    Value merged = init;
    if (whole > 0) {
      auto chains = scf::ForOp::create(
          b, loc, index(0), index(whole), index(step), SmallVector<Value>(kChains, init),
          [&](OpBuilder &nb, Location nl, Value col, ValueRange acc) {
            SmallVector<Value> next;
            for (int64_t c = 0; c < kChains; ++c) {
              Value at = arith::AddIOp::create(
                  nb, nl, col, arith::ConstantIndexOp::create(nb, nl, c * lanes));
              next.push_back(combine(nb, nl, acc[c], readVector(nb, nl, at, true)));
            }
            scf::YieldOp::create(nb, nl, next);
          });
      merged = chains.getResult(0);
      for (int64_t c = 1; c < kChains; ++c)
        merged = merge(b, loc, merged, chains.getResult(c));
    }
    auto rest = scf::ForOp::create(
        b, loc, index(whole), limit, index(lanes), ValueRange{merged},
        [&](OpBuilder &nb, Location nl, Value col, ValueRange acc) {
          scf::YieldOp::create(
              nb, nl, ValueRange{combine(nb, nl, acc[0], readVector(nb, nl, col, false))});
        });
    return rest.getResult(0);
  };
  auto maximum = [](OpBuilder &nb, Location nl, Value a, Value x) -> Value {
    return arith::MaximumFOp::create(nb, nl, a, x);
  };
  Value laneMax = pass(negInfVec, maximum, maximum);
  Value rowMax = vector::ReductionOp::create(b, loc, vector::CombiningKind::MAXIMUMF,
                                             laneMax);
  // A row of nothing but -inf sums to 0 (exp(x − 0) of -inf).
  Value allNegInf = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, rowMax,
                                          negInfScalar);
  Value shift = arith::SelectOp::create(b, loc, allNegInf, floatConstant(0.0), rowMax);
  Value shiftVec = vector::BroadcastOp::create(b, loc, vecType, shift);
  auto expSum = [&](OpBuilder &nb, Location nl, Value a, Value x) -> Value {
    Value term = math::ExpOp::create(nb, nl, arith::SubFOp::create(nb, nl, x, shiftVec));
    return arith::AddFOp::create(nb, nl, a, term);
  };
  auto add = [](OpBuilder &nb, Location nl, Value a, Value x) -> Value {
    return arith::AddFOp::create(nb, nl, a, x);
  };
  Value laneSum = pass(zeroVec, expSum, add);
  Value rowSum = vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, laneSum);

  // Each row's statistics go into a one-element slice of the shared
  // outputs, so that bufferization stores them in place (a fresh
  // one-element tensor would be an allocation and a copy per row).
  SmallVector<OpFoldResult> offsets = {row}, sizes = {b.getIndexAttr(1)},
                            strides = {b.getIndexAttr(1)};
  auto one = floatTensor({1});
  SmallVector<Value> elements;
  for (auto [shared, value] :
       llvm::zip(forall.getRegionIterArgs(), ValueRange{rowMax, rowSum})) {
    Value slice = tensor::ExtractSliceOp::create(b, loc, one, shared, offsets,
                                                 sizes, strides);
    elements.push_back(
        tensor::InsertOp::create(b, loc, value, slice, ValueRange{index(0)}));
  }
  b.setInsertionPointToStart(forall.getTerminator().getBody());
  for (auto [element, shared] : llvm::zip(elements, forall.getRegionIterArgs()))
    tensor::ParallelInsertSliceOp::create(b, loc, element, shared, offsets,
                                          sizes, strides);
  return {forall.getResult(0), forall.getResult(1)};
}
