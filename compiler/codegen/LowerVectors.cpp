//===- LowerVectors.cpp - Vector ops to what LLVM turns into FMAs ---------===//

#include "compiler/codegen/Passes.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace loomc {
#define GEN_PASS_DEF_LOOMLOWERVECTORSPASS
#include "compiler/codegen/Passes.h.inc"
} // namespace loomc

using namespace mlir;

namespace {
struct LoomLowerVectorsPass
    : public ::loomc::impl::LoomLowerVectorsPassBase<LoomLowerVectorsPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    func::FuncOp function = getOperation();

    // 1. Contractions (a register tile's k step) become outer products, then
    //    one FMA per accumulator row; a bf16 tile's k pair becomes dot
    //    products.
    {
      RewritePatternSet patterns(ctx);
      loomc::codegen::populateBf16DotProductPatterns(patterns);
      // A product over pairs reads its right tile as [1, N, 2] bf16, N
      // pairs side by side in memory: one 1-D read, not N reads of one
      // pair. (Only transfers whose last dimension is narrower than 64
      // bits: an f32 tile's last dimension is a vector, or a single
      // element of a column, which is not contiguous.)
      vector::populateFlattenVectorTransferPatterns(patterns,
                                                    /*targetVectorBitwidth=*/64);
      vector::populateVectorContractLoweringPatterns(
          patterns, vector::VectorContractLowering::OuterProduct);
      vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
      vector::populateVectorMultiReductionLoweringPatterns(
          patterns, vector::VectorMultiReductionLowering::InnerParallel);
      if (failed(applyPatternsGreedily(function, std::move(patterns))))
        return signalPassFailure();
    }
    // 2. Everything left to 1-D vectors: outer products, transfers,
    //    broadcasts, transposes and shape casts.
    {
      RewritePatternSet patterns(ctx);
      vector::populateVectorOuterProductLoweringPatterns(patterns);
      vector::populateVectorTransferLoweringPatterns(patterns,
                                                     /*maxTransferRank=*/1);
      vector::populateVectorBroadcastLoweringPatterns(patterns);
      vector::populateVectorTransposeLoweringPatterns(
          patterns, vector::VectorTransposeLowering::EltWise);
      vector::populateVectorShapeCastLoweringPatterns(patterns);
      vector::populateVectorMaskOpLoweringPatterns(patterns);
      vector::populateVectorInsertExtractStridedSliceTransforms(patterns);
      if (failed(applyPatternsGreedily(function, std::move(patterns))))
        return signalPassFailure();
    }
    // 3. tanh, exp, log and erf as polynomials, which vectorize; libm
    //    calls would not (and the llvm dialect has no erf at all).
    {
      RewritePatternSet patterns(ctx);
      populateMathPolynomialApproximationPatterns(
          patterns, [](StringRef name) {
            return name == "math.tanh" || name == "math.exp" ||
                   name == "math.log" || name == "math.erf";
          });
      if (failed(applyPatternsGreedily(function, std::move(patterns))))
        return signalPassFailure();
    }
  }
};
} // namespace
