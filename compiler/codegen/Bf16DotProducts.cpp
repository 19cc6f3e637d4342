//===- Bf16DotProducts.cpp - bf16 register tiles as vdpbf16ps -------------===//
//
// A bf16 product's register tile steps k in pairs (TilingPolicy.cpp), so
// its vector.contract multiplies an [M, 2] tile of the left operand by a
// [2, N] tile of the right one into an [M, N] f32 accumulator (or, for a
// product over pairs, [M, 1, 2] by [1, N, 2], the right tile's pairs
// interleaved already by its pack, LinalgBuilder::bf16Matmul). AVX512-BF16's
// dot product (vdpbf16ps, x86vector.avx512.dot) does exactly that for 16
// columns of one row at once: lane j adds a0·b0[j] + a1·b1[j], reading the
// pair (a0, a1) from every 32-bit element of one operand and the pairs
// (b0[j], b1[j]) interleaved in the other. So, per k pair:
//
//   - the two rows of the right tile are interleaved, 16 columns at a time,
//     with a shuffle (one vpermt2w per 16 columns, shared by all M rows),
//     unless its pack interleaved them (then 16 columns are one load);
//   - each row's pair of the left tile is one 32-bit value, broadcast;
//   - each (row, 16 columns) of the accumulator takes one dot product.
//
// That is M·N/16 dot products, each worth 32 multiply-adds, where the f32
// outer products take M·N/16 FMAs for 16 each; on AMD Zen 4 the dot product
// issues at the FMA's rate, so the tile does twice the work per cycle.
// Contractions of any other shape (the odd last k of a peeled tile) are
// left to the f32 lowering, which extends them: slower, never wrong.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/Passes.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;

namespace {

constexpr int64_t kDotLanes = 16; // f32 lanes of one vdpbf16ps zmm

// The bf16 vector that `value` extends, or `value` itself when it is bf16.
Value bf16Source(Value value) {
  if (auto extend = value.getDefiningOp<arith::ExtFOp>())
    value = extend.getIn();
  auto type = dyn_cast<VectorType>(value.getType());
  return type && type.getElementType().isBF16() ? value : Value();
}

// The shapes of a k pair's contraction the dot products take, in either
// layout: a linalg.matmul's tile, (m, k) by (k, n), whose right tile has
// the pair in two rows; or a product over pairs' tile (LinalgBuilder::
// bf16Matmul), (m, pair, k) by (pair, n, k), whose right tile has the pair
// interleaved already.
enum class PairLayout { rows, interleaved };

std::optional<PairLayout> pairLayout(vector::ContractionOp contract, Value lhs) {
  MLIRContext *ctx = contract.getContext();
  SmallVector<AffineMap> maps = contract.getIndexingMapsArray();
  AffineExpr m, n, k, pair;
  bindDims(ctx, m, n, k);
  ArrayRef<int64_t> lhsShape = cast<VectorType>(lhs.getType()).getShape();
  if (maps == AffineMap::inferFromExprList(
                  ArrayRef<ArrayRef<AffineExpr>>{{m, k}, {k, n}, {m, n}}, ctx))
    return lhsShape[1] == 2 ? std::optional(PairLayout::rows) : std::nullopt;
  bindDims(ctx, m, n, pair, k);
  if (maps == AffineMap::inferFromExprList(
                  ArrayRef<ArrayRef<AffineExpr>>{{m, pair, k}, {pair, n, k}, {m, n}}, ctx))
    return lhsShape[1] == 1 && lhsShape[2] == 2
               ? std::optional(PairLayout::interleaved)
               : std::nullopt;
  return std::nullopt;
}

struct Bf16ContractionToDots : OpRewritePattern<vector::ContractionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(vector::ContractionOp contract,
                                PatternRewriter &rewriter) const override {
    Value lhs = bf16Source(contract.getLhs());
    Value rhs = bf16Source(contract.getRhs());
    auto accType = dyn_cast<VectorType>(contract.getAccType());
    if (!lhs || !rhs || !accType || !accType.getElementType().isF32() ||
        contract.getKind() != vector::CombiningKind::ADD)
      return rewriter.notifyMatchFailure(contract, "not a bf16 product into f32");
    std::optional<PairLayout> layout = pairLayout(contract, lhs);
    ArrayRef<int64_t> accShape = accType.getShape();
    int64_t rows = accShape[0], columns = accShape[1];
    if (!layout || columns % kDotLanes != 0)
      return rewriter.notifyMatchFailure(contract, "not one k pair of a row-major "
                                                   "product in whole dot products");
    Location loc = contract.getLoc();
    Type bf16 = rewriter.getBF16Type();
    auto pairsType = VectorType::get({2 * kDotLanes}, bf16);
    auto lanesType = VectorType::get({kDotLanes}, rewriter.getF32Type());

    // The right tile's pairs, 16 columns at a time: interleaved from its
    // two rows, or as they lie.
    SmallVector<Value> interleaved;
    if (*layout == PairLayout::rows) {
      Value first = vector::ExtractOp::create(rewriter, loc, rhs, int64_t(0));
      Value second = vector::ExtractOp::create(rewriter, loc, rhs, int64_t(1));
      for (int64_t start = 0; start < columns; start += kDotLanes) {
        SmallVector<int64_t> mask;
        for (int64_t j = 0; j < kDotLanes; ++j) {
          mask.push_back(start + j);
          mask.push_back(columns + start + j);
        }
        interleaved.push_back(
            vector::ShuffleOp::create(rewriter, loc, first, second, mask));
      }
    } else {
      Value flat = vector::ShapeCastOp::create(
          rewriter, loc, VectorType::get({2 * columns}, bf16), rhs);
      for (int64_t start = 0; start < columns; start += kDotLanes)
        interleaved.push_back(vector::ExtractStridedSliceOp::create(
            rewriter, loc, flat, ArrayRef<int64_t>{2 * start},
            ArrayRef<int64_t>{2 * kDotLanes}, ArrayRef<int64_t>{1}));
    }

    Value result = contract.getAcc();
    for (int64_t row = 0; row < rows; ++row) {
      // The row's pair (a0, a1), as one i32 broadcast to every lane.
      Value pair = *layout == PairLayout::rows
                       ? vector::ExtractOp::create(rewriter, loc, lhs, row)
                       : vector::ExtractOp::create(rewriter, loc, lhs,
                                                   ArrayRef<int64_t>{row, 0});
      Value bits = vector::BitCastOp::create(
          rewriter, loc, VectorType::get({1}, rewriter.getI32Type()), pair);
      Value word = vector::ExtractOp::create(rewriter, loc, bits, int64_t(0));
      Value broadcast = vector::BroadcastOp::create(
          rewriter, loc, VectorType::get({kDotLanes}, rewriter.getI32Type()), word);
      Value pairs = vector::BitCastOp::create(rewriter, loc, pairsType, broadcast);
      Value accRow = vector::ExtractOp::create(rewriter, loc, result, row);
      for (auto [index, columnPairs] : llvm::enumerate(interleaved)) {
        int64_t offset = index * kDotLanes;
        Value lanes = vector::ExtractStridedSliceOp::create(
            rewriter, loc, accRow, ArrayRef<int64_t>{offset},
            ArrayRef<int64_t>{kDotLanes}, ArrayRef<int64_t>{1});
        Value dot = x86vector::DotBF16Op::create(rewriter, loc, lanesType, lanes,
                                                 pairs, columnPairs);
        accRow = vector::InsertStridedSliceOp::create(
            rewriter, loc, dot, accRow, ArrayRef<int64_t>{offset},
            ArrayRef<int64_t>{1});
      }
      result = vector::InsertOp::create(rewriter, loc, accRow, result, row);
    }
    rewriter.replaceOp(contract, result);
    return success();
  }
};

// A product over pairs' tile that dot products cannot take (a peeled
// remainder of fewer than 16 columns, or several pairs at once: an AMX
// tile's remainder) as a matmul tile of its k, (m, k) by (k, n), whose
// pairs are consecutive k: the f32 lowering's outer products take that.
struct PairedContractionToRows : OpRewritePattern<vector::ContractionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(vector::ContractionOp contract,
                                PatternRewriter &rewriter) const override {
    MLIRContext *ctx = contract.getContext();
    AffineExpr m, n, k, pair;
    bindDims(ctx, m, n, pair, k);
    if (contract.getIndexingMapsArray() !=
        AffineMap::inferFromExprList(
            ArrayRef<ArrayRef<AffineExpr>>{{m, pair, k}, {pair, n, k}, {m, n}}, ctx))
      return rewriter.notifyMatchFailure(contract, "not a tile of pairs");
    Location loc = contract.getLoc();
    auto lhsType = cast<VectorType>(contract.getLhs().getType());
    auto rhsType = cast<VectorType>(contract.getRhs().getType());
    int64_t rows = lhsType.getDimSize(0), pairs = lhsType.getDimSize(1),
            width = lhsType.getDimSize(2), columns = rhsType.getDimSize(1);
    // [M, P, 2] is [M, 2P] as it lies; [P, N, 2] is [2P, N] once its
    // pairs are moved in front of the columns.
    Value lhs = vector::ShapeCastOp::create(
        rewriter, loc, VectorType::get({rows, pairs * width}, lhsType.getElementType()),
        contract.getLhs());
    Value pairsFirst = vector::TransposeOp::create(rewriter, loc, contract.getRhs(),
                                                   ArrayRef<int64_t>{0, 2, 1});
    Value rhs = vector::ShapeCastOp::create(
        rewriter, loc, VectorType::get({pairs * width, columns}, rhsType.getElementType()),
        pairsFirst);
    bindDims(ctx, m, n, k);
    rewriter.replaceOpWithNewOp<vector::ContractionOp>(
        contract, lhs, rhs, contract.getAcc(),
        rewriter.getAffineMapArrayAttr(AffineMap::inferFromExprList(
            ArrayRef<ArrayRef<AffineExpr>>{{m, k}, {k, n}, {m, n}}, ctx)),
        rewriter.getArrayAttr(
            {vector::IteratorTypeAttr::get(ctx, vector::IteratorType::parallel),
             vector::IteratorTypeAttr::get(ctx, vector::IteratorType::parallel),
             vector::IteratorTypeAttr::get(ctx, vector::IteratorType::reduction)}));
    return success();
  }
};

} // namespace

void loomc::codegen::populateBf16DotProductPatterns(RewritePatternSet &patterns) {
  patterns.add<Bf16ContractionToDots>(patterns.getContext(), /*benefit=*/3);
  patterns.add<PairedContractionToRows>(patterns.getContext(), /*benefit=*/2);
}
