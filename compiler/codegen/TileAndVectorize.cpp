//===- TileAndVectorize.cpp - Parallel loop nests of vector code ----------===//
//
// Every linalg op on tensors is tiled twice, into thread blocks (scf.forall)
// and register tiles (scf.for), fusing the producers of its fusion group at
// both levels, then vectorized; reduction loops keep their accumulators in
// registers. See Passes.td for the steps. The sizes come from the tiling
// policy (TilingPolicy.cpp); this file only applies them.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/LinalgBuilder.h"
#include "compiler/codegen/Passes.h"
#include "compiler/codegen/TileAndVectorize.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/Patterns.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace loomc {
#define GEN_PASS_DEF_LOOMTILEANDVECTORIZEPASS
#include "compiler/codegen/Passes.h.inc"
} // namespace loomc

using namespace mlir;

using loomc::codegen::LoopNest;
using loomc::codegen::TilePlan;
using loomc::codegen::TileTarget;
using loomc::codegen::registerTile;
static_assert(loomc::codegen::kDynamicRange == ShapedType::kDynamic,
              "the policy's dynamic range is MLIR's");

static std::optional<int64_t> fusionGroup(Operation *op) {
  if (auto attr = op->getAttrOfType<IntegerAttr>(mlir::loom::kFusionGroupAttr))
    return attr.getInt();
  return std::nullopt;
}

static bool isProduct(Operation *op) {
  return loomc::codegen::LinalgBuilder::isProduct(op);
}

// A product's tile sizes for tiles of m, n and k rows and columns (k a
// multiple of 2 for a product over pairs, whose last loop, the pair,
// stays whole).
static SmallVector<int64_t> productTiles(Operation *product, int64_t m, int64_t n,
                                         int64_t k) {
  if (loomc::codegen::LinalgBuilder::isPairedProduct(product))
    return {m, n, k / 2, 0};
  return {m, n, k};
}

// The product whose epilogue `op` is (bias, activation: a consumer in its
// fusion group), or null.
static linalg::LinalgOp groupMatmul(Operation *op) {
  std::optional<int64_t> group = fusionGroup(op);
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op);
  if (!group || !linalgOp || isProduct(op))
    return nullptr;
  for (Value input : linalgOp.getDpsInputs())
    if (Operation *producer = input.getDefiningOp())
      if (isProduct(producer) && fusionGroup(producer) == group)
        return cast<linalg::LinalgOp>(producer);
  return nullptr;
}

// Whether `op` is the product, or the epilogue of a product in its fusion
// group: such roots get matmul register tiles.
static bool isMatmulKernel(linalg::LinalgOp op) {
  return isProduct(op) || groupMatmul(op);
}

// Whether the right operand of a product is a packed copy (or a slice of
// one), to be computed inside the product's reduction blocks.
static bool readsPackedOperand(linalg::LinalgOp matmul) {
  Value rhs = matmul.getDpsInputs()[1];
  if (auto slice = rhs.getDefiningOp<tensor::ExtractSliceOp>())
    rhs = slice.getSource();
  Operation *producer = rhs.getDefiningOp();
  return producer && producer->hasAttr(mlir::loom::kPackAttr);
}

// The tiling chosen for `product` (its loom.tiling attribute), if any;
// fails, having said why, on a malformed one.
static FailureOr<std::optional<loomc::codegen::ProductTiling>>
chosenTiling(Operation *product, int64_t vectorWidth) {
  Attribute attr = product->getAttr(mlir::loom::kTilingAttr);
  if (!attr)
    return std::optional<loomc::codegen::ProductTiling>();
  auto values = dyn_cast<DenseI64ArrayAttr>(attr);
  if (!values)
    return product->emitError() << mlir::loom::kTilingAttr.name
                                << " must be an array of i64 (array<i64: ...>)";
  loomc::codegen::ProductTiling tiling;
  std::string why = loomc::codegen::parseTiling(values.asArrayRef(), vectorWidth, tiling);
  if (!why.empty())
    return product->emitError() << mlir::loom::kTilingAttr.name << ": " << why;
  return std::optional(tiling);
}

// What the tiling policy needs to know about a root's loop nest (its
// product's loom.tiling already checked).
LoopNest loomc::codegen::loopNestOf(linalg::LinalgOp op, int64_t vectorWidth) {
  LoopNest nest;
  nest.ranges = op.getStaticLoopRanges();
  for (utils::IteratorType iterator : op.getIteratorTypesArray())
    nest.parallel.push_back(iterator == utils::IteratorType::parallel);
  if (isMatmulKernel(op)) {
    nest.kind = LoopNest::Kind::product;
    linalg::LinalgOp product = isProduct(op) ? op : groupMatmul(op);
    if (product) {
      // (m, n, k) for the policy; a product over pairs has k/2 pairs.
      nest.productRanges = product.getStaticLoopRanges();
      if (loomc::codegen::LinalgBuilder::isPairedProduct(product)) {
        int64_t pairs = nest.productRanges[2];
        nest.productRanges.pop_back();
        nest.productRanges.back() = ShapedType::isDynamic(pairs) ? pairs : 2 * pairs;
      }
      nest.pairedReduction =
          getElementTypeOrSelf(product.getDpsInputs()[0].getType()).isBF16();
      FailureOr<std::optional<loomc::codegen::ProductTiling>> chosen =
          chosenTiling(product, vectorWidth);
      if (succeeded(chosen))
        nest.chosen = *chosen;
    }
    if (isProduct(op))
      nest.readsPackedOperand = readsPackedOperand(op);
  } else if ((isa<linalg::TransposeOp>(op) || op->hasAttr(mlir::loom::kPackAttr)) &&
             nest.ranges.size() == 2) {
    nest.kind = LoopNest::Kind::transpose;
  }
  return nest;
}

static SmallVector<OpFoldResult> asFoldResults(OpBuilder &b,
                                               ArrayRef<int64_t> sizes) {
  SmallVector<OpFoldResult> results;
  for (int64_t size : sizes)
    results.push_back(b.getIndexAttr(size));
  return results;
}

// Fuses a producer into the tiles of its consumer when it belongs to the
// consumer's fusion group, or when it is the linalg.fill that initializes an
// accumulator -- unless the tiles step through a reduction, where fusing the
// fill would zero the accumulator at every step.
static scf::SCFTileAndFuseOptions::ControlFnTy
fusionControl(Operation *root, bool tilesReduction, bool fusePacks) {
  std::optional<int64_t> group = fusionGroup(root);
  return [group, tilesReduction, fusePacks](tensor::ExtractSliceOp,
                                            OpResult producer, bool isDestination)
             -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
    Operation *op = producer.getOwner();
    if (op->hasAttr(mlir::loom::kPackAttr))
      return fusePacks ? std::optional(scf::SCFTileAndFuseOptions::ControlFnResult{})
                       : std::nullopt;
    if (isa<linalg::FillOp>(op))
      return tilesReduction ? std::nullopt
                            : std::optional(
                                  scf::SCFTileAndFuseOptions::ControlFnResult{});
    if (group && fusionGroup(op) == group)
      return scf::SCFTileAndFuseOptions::ControlFnResult{};
    return std::nullopt;
  };
}

// Tiles `root` with `tiles`, fusing its group's producers; returns the tiled
// root, or the root itself when no loop is tiled.
static FailureOr<Operation *> tileAndFuse(RewriterBase &rewriter,
                                          TilingInterface root,
                                          ArrayRef<int64_t> tiles,
                                          scf::SCFTilingOptions::LoopType loopType,
                                          bool fusePacks = false) {
  if (llvm::all_of(tiles, [](int64_t t) { return t == 0; }))
    return root.getOperation();
  scf::SCFTileAndFuseOptions options;
  options.tilingOptions.setLoopType(loopType).setTileSizes(
      asFoldResults(rewriter, tiles));
  SmallVector<utils::IteratorType> iterators =
      cast<linalg::LinalgOp>(root.getOperation()).getIteratorTypesArray();
  bool tilesReduction = llvm::any_of(llvm::enumerate(tiles), [&](auto tile) {
    return tile.value() != 0 &&
           iterators[tile.index()] == utils::IteratorType::reduction;
  });
  options.setFusionControlFn(fusionControl(root, tilesReduction, fusePacks));
  rewriter.setInsertionPoint(root);
  FailureOr<scf::SCFTileAndFuseResult> result =
      scf::tileConsumerAndFuseProducersUsingSCF(rewriter, root, options);
  if (failed(result))
    return failure();
  for (OpResult value : root->getResults())
    if (Value replacement = result->replacements.lookup(value))
      rewriter.replaceAllUsesWith(value, replacement);
  Operation *tiled = result->tiledAndFusedOps.front();
  // The untiled producers are dead now, and so is the root.
  SmallVector<Operation *> dead(result->fusedProducers.begin(),
                                result->fusedProducers.end());
  dead.push_back(root);
  for (Operation *op : llvm::reverse(dead))
    if (op->use_empty())
      rewriter.eraseOp(op);
  return tiled;
}

// Steps the reduction loop k of a product by `step`; `tiled`, when given,
// receives the product inside the new loop.
static LogicalResult tileMatmulReduction(RewriterBase &rewriter,
                                         linalg::LinalgOp matmul, int64_t step,
                                         Operation **tiled = nullptr) {
  scf::SCFTilingOptions options;
  options.setTileSizes(asFoldResults(rewriter, productTiles(matmul, 0, 0, step)));
  rewriter.setInsertionPoint(matmul);
  FailureOr<scf::SCFTilingResult> result =
      scf::tileUsingSCF(rewriter, cast<TilingInterface>(matmul.getOperation()),
                        options);
  if (failed(result))
    return failure();
  rewriter.replaceOp(matmul, result->replacements);
  if (tiled)
    *tiled = result->tiledOps.front();
  return success();
}

// Steps the reduction loop of every matmul inside `scope` (register tiles)
// by `step`.
static LogicalResult stepMatmulReductions(RewriterBase &rewriter,
                                          Operation *scope, int64_t step) {
  SmallVector<linalg::LinalgOp> matmuls;
  scope->walk([&](linalg::LinalgOp op) {
    if (isProduct(op))
      matmuls.push_back(op);
  });
  for (linalg::LinalgOp matmul : matmuls)
    if (failed(tileMatmulReduction(rewriter, matmul, step)))
      return matmul.emitError("tiling the reduction of a matmul failed");
  return success();
}

static bool isAccumulatorFill(linalg::FillOp fill) {
  return llvm::all_of(fill->getUses(), [](OpOperand &use) {
    auto consumer = dyn_cast<DestinationStyleOpInterface>(use.getOwner());
    return consumer && consumer.isDpsInit(&use) &&
           isa<linalg::LinalgOp>(use.getOwner());
  }) && !fill->use_empty();
}

// Whether `op` is a root: a linalg op that no other op of its fusion group
// consumes, except for accumulator fills, which their consumers fuse.
static bool isRoot(Operation &op) {
  if (!isa<linalg::LinalgOp>(op))
    return false;
  if (auto fill = dyn_cast<linalg::FillOp>(&op); fill && isAccumulatorFill(fill))
    return false;
  // Packed copies are computed inside their products' tiles (the few
  // left over are tiled on their own afterwards).
  if (op.hasAttr(mlir::loom::kPackAttr))
    return false;
  std::optional<int64_t> group = fusionGroup(&op);
  return !group || llvm::none_of(op.getUsers(), [&](Operation *user) {
    return fusionGroup(user) == group;
  });
}

// The roots at the top of the function, tiled into thread blocks and then
// register tiles; and those inside a lowering's own thread blocks
// (kThreadBlockAttr), tiled into register tiles only.
static void findRoots(func::FuncOp function, SmallVectorImpl<linalg::LinalgOp> &roots,
                      SmallVectorImpl<linalg::LinalgOp> &blockRoots) {
  for (Operation &op : function.getBody().front()) {
    if (isRoot(op))
      roots.push_back(cast<linalg::LinalgOp>(op));
    if (op.hasAttr(mlir::loom::kThreadBlockAttr))
      op.walk([&](linalg::LinalgOp inner) {
        if (isRoot(*inner))
          blockRoots.push_back(inner);
      });
  }
}

// A part of a split product reads a slice of its packed operand; the
// pack of the matching slice of the original operand gives the same values
// as a pack of its own, which the part's tiles can take in.
static void repackSlicedOperand(RewriterBase &rewriter, linalg::LinalgOp part) {
  OpOperand &rhs = part->getOpOperand(1);
  auto slice = rhs.get().getDefiningOp<tensor::ExtractSliceOp>();
  auto pack = slice ? slice.getSource().getDefiningOp<linalg::LinalgOp>()
                    : linalg::LinalgOp();
  if (!pack || !pack->hasAttr(mlir::loom::kPackAttr) || pack.getNumDpsInputs() != 1 ||
      pack.getNumDpsInits() != 1 || !slice.hasUnitStride() ||
      slice.getSourceType().getRank() != slice.getType().getRank())
    return;
  // A pack reads its source through a permutation of its loops, and
  // writes its result in their order.
  SmallVector<AffineMap> maps = pack.getIndexingMapsArray();
  if (!maps[0].isPermutation() || !maps[1].isIdentity())
    return;
  rewriter.setInsertionPoint(part);
  Location loc = part.getLoc();
  SmallVector<OpFoldResult> offsets = slice.getMixedOffsets();
  SmallVector<OpFoldResult> sizes = slice.getMixedSizes();
  SmallVector<OpFoldResult> sourceOffsets, sourceSizes;
  for (unsigned i = 0; i < maps[0].getNumResults(); ++i) {
    unsigned loop = maps[0].getDimPosition(i);
    sourceOffsets.push_back(offsets[loop]);
    sourceSizes.push_back(sizes[loop]);
  }
  Value source = tensor::ExtractSliceOp::create(
      rewriter, loc, pack.getDpsInputs()[0], sourceOffsets, sourceSizes,
      SmallVector<OpFoldResult>(sourceSizes.size(), rewriter.getIndexAttr(1)));
  auto sliceType = cast<RankedTensorType>(slice.getType());
  Value init = tensor::EmptyOp::create(rewriter, loc, sliceType.getShape(),
                                       sliceType.getElementType());
  Operation *repacked = rewriter.clone(*pack.getOperation());
  repacked->setOperands({source, init});
  repacked->getResult(0).setType(sliceType);
  rewriter.modifyOpInPlace(part, [&] { rhs.set(repacked->getResult(0)); });
  if (slice->use_empty())
    rewriter.eraseOp(slice);
  if (pack->use_empty())
    rewriter.eraseOp(pack);
}

// Splits a matmul kernel whose rows or columns are not a whole number of
// thread blocks into a part that is and a remainder (a vocabulary of 50257
// columns: 196 blocks of 256 and 81 columns), so that the blocks of the
// large part are full-size rather than the largest divisor of the extent.
//
// Only a plain product is split: a root that fuses producers of its group
// would read them through the split's slices, which tiling cannot fuse
// through.
static SmallVector<linalg::LinalgOp> splitIntoWholeBlocks(RewriterBase &rewriter,
                                                          linalg::LinalgOp root,
                                                          int64_t vectorWidth) {
  SmallVector<linalg::LinalgOp> parts = {root};
  if (!isProduct(root) || fusionGroup(root))
    return parts;
  auto [rows, columns] =
      loomc::codegen::wholeBlocksOf(loomc::codegen::loopNestOf(root, vectorWidth));
  const int64_t blocks[] = {rows, columns};
  for (auto [dim, block] : llvm::enumerate(blocks)) {
    SmallVector<linalg::LinalgOp> next;
    for (linalg::LinalgOp part : parts) {
      int64_t range = part.getStaticLoopRanges()[dim];
      if (range <= block || range % block == 0 || ShapedType::isDynamic(range)) {
        next.push_back(part);
        continue;
      }
      rewriter.setInsertionPoint(part);
      auto [whole, rest] = linalg::splitOp(
          rewriter, cast<TilingInterface>(part.getOperation()), dim,
          rewriter.getIndexAttr(range - range % block));
      if (!whole) {
        next.push_back(part);
        continue;
      }
      // The parts keep the fusion group, so that each fuses its own slice
      // of the group's producers.
      for (TilingInterface piece : {whole, rest})
        if (piece)
          next.push_back(cast<linalg::LinalgOp>(piece.getOperation()));
    }
    parts = std::move(next);
  }
  for (linalg::LinalgOp part : parts)
    repackSlicedOperand(rewriter, part);
  return parts;
}

static LogicalResult tileRoot(RewriterBase &rewriter, linalg::LinalgOp root,
                              const TileTarget &target, bool insideBlock = false) {
  TilePlan plan =
      loomc::codegen::planTiles(loomc::codegen::loopNestOf(root, target.vectorWidth), target);
  // Inside a lowering's own thread block already: register tiles only,
  // each walking k whole (attention's blocks are a few register tiles).
  if (insideBlock) {
    plan.threadTiles.assign(plan.threadTiles.size(), 0);
    plan.matmulReductionBlock = 0;
  }
  // A packed operand is computed block by block, never whole.
  FailureOr<Operation *> block =
      tileAndFuse(rewriter, cast<TilingInterface>(root.getOperation()),
                  plan.threadTiles, scf::SCFTilingOptions::LoopType::ForallOp,
                  /*fusePacks=*/true);
  if (failed(block))
    return root.emitError("tiling into thread blocks failed");
  // The reduction blocks of a plain matmul; a packed operand (a weight's
  // transpose), fused into the thread block above, is computed block by
  // block inside them, where it stays in cache for every register tile that
  // reads it.
  Operation *blockMatmul = isProduct(*block) ? *block : nullptr;
  if (blockMatmul && plan.matmulReductionBlock > 0) {
    FailureOr<Operation *> kTile = tileAndFuse(
        rewriter, cast<TilingInterface>(blockMatmul),
        productTiles(blockMatmul, 0, 0, plan.matmulReductionBlock),
        scf::SCFTilingOptions::LoopType::ForOp,
        /*fusePacks=*/true);
    if (failed(kTile))
      return root.emitError("tiling the reduction of a matmul into blocks failed");
    block = kTile;
  }
  // A pack fused into the block is a copy (a transpose, a rounding) of a
  // whole block; it is copied in register tiles like any transpose.
  auto tilePacks = [&](Operation *scope) -> LogicalResult {
    SmallVector<linalg::LinalgOp> packs;
    scope->walk([&](linalg::LinalgOp pack) {
      if (pack->hasAttr(mlir::loom::kPackAttr))
        packs.push_back(pack);
    });
    for (linalg::LinalgOp pack : packs) {
      SmallVector<int64_t> ranges = pack.getStaticLoopRanges();
      SmallVector<int64_t> tiles = {registerTile(ranges[0], target.vectorWidth),
                                    registerTile(ranges[1], target.vectorWidth)};
      // A pack of pairs (k/2, n, 2): a few pairs of rows by a vector of
      // columns, each pair whole.
      if (ranges.size() == 3)
        tiles = {registerTile(ranges[0], 8), registerTile(ranges[1], target.vectorWidth), 0};
      if (failed(tileAndFuse(rewriter, cast<TilingInterface>(pack.getOperation()),
                             tiles, scf::SCFTilingOptions::LoopType::ForOp)))
        return pack.emitError("tiling a packed operand failed");
    }
    return success();
  };
  if (blockMatmul && !isa<func::FuncOp>((*block)->getParentOp()) &&
      failed(tilePacks((*block)->getParentOp())))
    return failure();
  // An epilogue over a product with a long k: the product's reduction blocks
  // and register tiles first, over the whole thread block, then the
  // epilogue's own register tiles read the block's product from cache.
  if (linalg::LinalgOp product = blockMatmul ? nullptr : groupMatmul(*block);
      product && plan.matmulReductionBlock > 0) {
    FailureOr<Operation *> kTile = tileAndFuse(
        rewriter, cast<TilingInterface>(product.getOperation()),
        productTiles(product, 0, 0, plan.matmulReductionBlock),
        scf::SCFTilingOptions::LoopType::ForOp,
        /*fusePacks=*/true);
    if (failed(kTile) || failed(tilePacks((*kTile)->getParentOp())))
      return root.emitError("tiling the reduction of a fused matmul into blocks failed");
    FailureOr<Operation *> productTile = tileAndFuse(
        rewriter, cast<TilingInterface>(*kTile),
        productTiles(*kTile, plan.registerTiles[0], plan.registerTiles[1], 0),
        scf::SCFTilingOptions::LoopType::ForOp);
    if (failed(productTile))
      return root.emitError("tiling a fused matmul into register tiles failed");
    if (failed(stepMatmulReductions(rewriter, (*productTile)->getParentOp(),
                                    plan.matmulReductionStep)))
      return failure();
  }
  FailureOr<Operation *> tile =
      tileAndFuse(rewriter, cast<TilingInterface>(*block), plan.registerTiles,
                  scf::SCFTilingOptions::LoopType::ForOp);
  if (failed(tile))
    return root.emitError("tiling into register tiles failed");
  if (plan.matmulReductionStep == 0)
    return success();
  // The matmul of the tile: the root itself, or the group's producer fused
  // next to it.
  return stepMatmulReductions(rewriter, (*tile)->getParentOp(),
                              plan.matmulReductionStep);
}

// Splits the last, partial iteration off every loop whose step does not
// divide its range, so that every tile has a static shape. With
// `runTimeRanges`, a loop whose range is known only at run time is split
// the same way when it holds a tile (a linalg op): its whole tiles
// vectorize, the rest stays scalar. (Once: the two loops a split leaves
// have run-time ranges too.)
static void peelPartialTiles(RewriterBase &rewriter, func::FuncOp function,
                             bool runTimeRanges) {
  SmallVector<scf::ForOp> loops;
  function.walk([&](scf::ForOp loop) { loops.push_back(loop); });
  for (scf::ForOp loop : loops) {
    std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound());
    std::optional<int64_t> ub = getConstantIntValue(loop.getUpperBound());
    std::optional<int64_t> step = getConstantIntValue(loop.getStep());
    if (!step)
      continue;
    if (lb && ub && ((*ub - *lb) % *step == 0 || *ub - *lb < *step))
      continue;
    if ((!lb || !ub) &&
        (!runTimeRanges ||
         !loop->walk([](linalg::LinalgOp) { return WalkResult::interrupt(); })
              .wasInterrupted()))
      continue;
    scf::ForOp partial;
    (void)scf::peelForLoopAndSimplifyBounds(rewriter, loop, partial);
  }
}

static void canonicalize(func::FuncOp function) {
  MLIRContext *ctx = function.getContext();
  RewritePatternSet patterns(ctx);
  for (Dialect *dialect : ctx->getLoadedDialects())
    dialect->getCanonicalizationPatterns(patterns);
  for (RegisteredOperationName op : ctx->getRegisteredOperations())
    op.getCanonicalizationPatterns(patterns, ctx);
  tensor::populateFoldTensorSubsetIntoVectorTransferPatterns(patterns);
  // Tile sizes min(t, ub − iv) inside loops whose step divides their range
  // are just t: static shapes, which vectorize.
  scf::populateSCFForLoopCanonicalizationPatterns(patterns);
  // A tile of a zero-filled accumulator is a zero-filled tile: the full-size
  // fill is never materialized.
  linalg::populateSwapExtractSliceWithFillPatterns(patterns);
  (void)applyPatternsGreedily(function, std::move(patterns));
}

// A generic that indexes a tensor by a loaded value (cross-entropy's label
// lookup) would become a gather; it stays scalar.
static bool readsByIndex(linalg::LinalgOp op) {
  bool found = false;
  op->walk([&](tensor::ExtractOp) { found = true; });
  return found;
}

static void vectorizeTiles(RewriterBase &rewriter, func::FuncOp function) {
  SmallVector<linalg::LinalgOp> candidates;
  function.walk([&](linalg::LinalgOp op) { candidates.push_back(op); });
  for (linalg::LinalgOp op : candidates) {
    if (op.hasDynamicShape() || readsByIndex(op))
      continue;
    // Guard against an untiled op becoming one enormous vector; a pack's
    // register tiles are at most 16 x 16 (a whole pack left untiled, of a
    // product too small for thread blocks, permutes lanes one by one when
    // vectorized: thousands of scalar moves that LLVM takes minutes over).
    int64_t elements = computeProduct(op.getStaticLoopRanges());
    if (elements > 8192 || (op->hasAttr(mlir::loom::kPackAttr) && elements > 512))
      continue;
    rewriter.setInsertionPoint(op);
    FailureOr<linalg::VectorizationResult> result = linalg::vectorize(
        rewriter, op, /*inputVectorSizes=*/{}, /*inputScalableVecDims=*/{},
        /*vectorizeNDExtract=*/false, /*flatten1DDepthwiseConv=*/false,
        /*assumeDynamicDimsMatchVecSizes=*/false,
        /*createNamedContraction=*/true);
    if (succeeded(result))
      rewriter.replaceOp(op, result->replacements);
  }
}

// Moves the accumulator of every reduction loop out of it: read before the
// loop, carried in registers, written after it. Except, with AMX, for a
// bf16 product's k loop: an AMX tile product reads its accumulator tile
// from memory and stores it back (vector-to-amx's patterns), and a vector
// carried across iterations would pass through a stack buffer each time.
static void hoistAccumulators(RewriterBase &rewriter, func::FuncOp function,
                              bool amxTiles) {
  SmallVector<scf::ForOp> loops;
  function.walk<WalkOrder::PostOrder>([&](scf::ForOp loop) { loops.push_back(loop); });
  for (scf::ForOp loop : loops) {
    bool amxProduct =
        amxTiles && llvm::any_of(loop.getBody()->getOperations(), [](Operation &op) {
          // An AMX tile: several pairs of k at a time.
          auto contract = dyn_cast<vector::ContractionOp>(op);
          return contract && contract.getIteratorTypes().size() == 4 &&
                 contract.getLhsType().getDimSize(1) > 1;
        });
    if (!amxProduct)
      hoistLoopInvariantSubsets(rewriter, cast<LoopLikeOpInterface>(loop.getOperation()));
  }
}

// A sum along a row's vector tiles (layer norm's statistics: a reduction
// loop over a row's columns, 64 at a time) reduces each tile across its
// lanes into the running sum, a chain of shuffles and adds that every
// iteration waits for. Instead, the loop adds the tiles lane by lane into
// a vector of partial sums, and one horizontal reduction follows it. (The
// sum's order changes: 64 partial sums, then their total.)
static void sumRowsInVectors(RewriterBase &rewriter, func::FuncOp function) {
  SmallVector<scf::ForOp> loops;
  function.walk([&](scf::ForOp loop) { loops.push_back(loop); });
  for (scf::ForOp loop : loops) {
    for (unsigned i = 0; i < loop.getNumRegionIterArgs(); ++i) {
      BlockArgument carried = loop.getRegionIterArgs()[i];
      if (!carried.hasOneUse())
        continue;
      auto reduction = dyn_cast<vector::MultiDimReductionOp>(*carried.getUsers().begin());
      auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
      if (!reduction || reduction.getAcc() != carried ||
          reduction.getKind() != vector::CombiningKind::ADD ||
          !reduction.getResult().hasOneUse() ||
          yield.getOperand(i) != reduction.getResult() ||
          !isa<FloatType>(reduction.getSourceVectorType().getElementType()))
        continue;
      // Only where lanes are summed across: reduced dimensions longer than 1.
      VectorType source = reduction.getSourceVectorType();
      bool acrossLanes = llvm::any_of(reduction.getReductionDims(), [&](int64_t dim) {
        return source.getDimSize(dim) > 1;
      });
      if (!acrossLanes)
        continue;
      rewriter.setInsertionPoint(loop);
      Value zeros = arith::ConstantOp::create(
          rewriter, loop.getLoc(), source,
          DenseElementsAttr::get(source, rewriter.getFloatAttr(source.getElementType(), 0.0)));
      Value tile = reduction.getSource();
      SmallVector<bool> mask = reduction.getReductionMask();
      FailureOr<LoopLikeOpInterface> widened =
          cast<LoopLikeOpInterface>(loop.getOperation())
              .replaceWithAdditionalYields(
                  rewriter, ValueRange{zeros}, /*replaceInitOperandUsesInLoop=*/false,
                  [&](OpBuilder &b, Location loc, ArrayRef<BlockArgument> partials) {
                    return SmallVector<Value>{
                        arith::AddFOp::create(b, loc, partials[0], tile)};
                  });
      if (failed(widened))
        continue;
      loop = cast<scf::ForOp>(widened->getOperation());
      // The old running sum passes through the loop unchanged; the partial
      // sums are reduced onto it after the loop.
      auto newYield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
      rewriter.modifyOpInPlace(newYield, [&] {
        newYield->setOperand(i, loop.getRegionIterArgs()[i]);
      });
      rewriter.eraseOp(reduction);
      rewriter.setInsertionPointAfter(loop);
      Value total = vector::MultiDimReductionOp::create(
          rewriter, loop.getLoc(), loop.getResults().back(), loop.getResult(i), mask,
          vector::CombiningKind::ADD);
      rewriter.replaceAllUsesExcept(loop.getResult(i), total, total.getDefiningOp());
    }
  }
}

namespace {
struct LoomTileAndVectorizePass
    : public ::loomc::impl::LoomTileAndVectorizePassBase<LoomTileAndVectorizePass> {
  using Base::Base;
  void runOnOperation() override {
    func::FuncOp function = getOperation();
    if (function.isExternal())
      return;
    TileTarget target{vectorWidth, registerRows, registerVectors, amxTiles,
                      reductionBlock, threads};
    // Every chosen tiling (loom.tiling) is well formed, or the pass says
    // which is not and why.
    bool malformed = false;
    function.walk([&](Operation *op) {
      if (isProduct(op) && failed(chosenTiling(op, vectorWidth)))
        malformed = true;
    });
    if (malformed)
      return signalPassFailure();
    IRRewriter rewriter(&getContext());
    SmallVector<linalg::LinalgOp> topRoots, blockRoots, roots;
    findRoots(function, topRoots, blockRoots);
    for (linalg::LinalgOp root : topRoots)
      llvm::append_range(roots, splitIntoWholeBlocks(rewriter, root, vectorWidth));
    // A part reads its slice of a producer through two slices (the split's
    // and the tile's); merged into one, the producer fuses into the tiles.
    {
      RewritePatternSet patterns(&getContext());
      tensor::populateMergeConsecutiveInsertExtractSlicePatterns(patterns);
      (void)applyPatternsGreedily(function, std::move(patterns));
    }
    for (linalg::LinalgOp root : roots)
      if (failed(tileRoot(rewriter, root, target)))
        return signalPassFailure();
    for (linalg::LinalgOp root : blockRoots)
      if (failed(tileRoot(rewriter, root, target, /*insideBlock=*/true)))
        return signalPassFailure();
    // Packed copies that no product took in (one read by something other
    // than a plain matmul) are computed whole.
    SmallVector<linalg::LinalgOp> leftover;
    for (Operation &op : function.getBody().front())
      if (op.hasAttr(mlir::loom::kPackAttr) && isa<linalg::LinalgOp>(op))
        leftover.push_back(cast<linalg::LinalgOp>(op));
    for (linalg::LinalgOp pack : leftover)
      if (failed(tileRoot(rewriter, pack, target)))
        return signalPassFailure();
    canonicalize(function);
    // Peeling an outer loop gives the loops inside it constant bounds, which
    // may be peeled in turn.
    for (int round = 0; round < 3; ++round) {
      peelPartialTiles(rewriter, function, /*runTimeRanges=*/round == 0);
      canonicalize(function);
    }
    vectorizeTiles(rewriter, function);
    canonicalize(function);
    hoistAccumulators(rewriter, function, amxTiles);
    sumRowsInVectors(rewriter, function);
    canonicalize(function);
  }
};
} // namespace
