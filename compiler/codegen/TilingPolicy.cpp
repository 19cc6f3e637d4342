//===- TilingPolicy.cpp - Block and tile sizes for a loop nest ------------===//
//
// Each rule carries the measurement that chose it.
//
//===----------------------------------------------------------------------===//

#include "compiler/codegen/TilingPolicy.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/MathExtras.h"
#include <algorithm>

using namespace loomc::codegen;

// Thread blocks of products: rows x columns, and the k extent of a plain
// product's block.
static constexpr int64_t kBlockRows = kWholeBlockRows;
static constexpr int64_t kBlockColumns = kWholeBlockColumns;
static constexpr int64_t kPackedBlockRows = 256;
// The fewest thread blocks a product of at least kBalancedWork
// multiply-adds is cut into when its shape allows.
static constexpr int64_t kMinBlocks = 8;
static constexpr int64_t kBalancedWork = int64_t(1) << 26;
// A product of fewer multiply-adds runs in one thread block: spread over
// threads, starting them would cost more than they save (2^20 take ~10 µs
// on one core).
static constexpr int64_t kThreadedWork = int64_t(1) << 20;
// Blocks of such large products are taller: a block reads its slice of the
// right operand (256 x 256 floats, from L3 once the product's columns
// outgrow L2) for twice the work. GPT-2 small's step is ~2 % faster, its
// 256-row products x.W 5-10 %, mini's step unchanged; the quick-start
// model's small products were ~2 % slower with them (interleaved runs).
static constexpr int64_t kLargeBlockRows = 128;

// A loop whose length is known only at run time (an optimizer update over a
// ZeRO-1 shard) is cut into thread blocks of this many iterations: 64 KB of
// each operand, and a block count that grows with the length.
static constexpr int64_t kRunTimeLengthBlock = 16384;

static bool isDynamic(int64_t range) { return range == kDynamicRange; }

static bool anyDynamic(llvm::ArrayRef<int64_t> ranges) {
  return llvm::any_of(ranges, isDynamic);
}

static int64_t product(llvm::ArrayRef<int64_t> ranges) {
  int64_t result = 1;
  for (int64_t range : ranges)
    result *= range;
  return result;
}

int64_t loomc::codegen::divisorTile(int64_t size, int64_t limit,
                                    int64_t multiple) {
  if (size <= limit)
    return size;
  for (int64_t t = limit; t >= multiple; --t)
    if (size % t == 0 && t % multiple == 0)
      return t;
  for (int64_t t = limit; t >= 1; --t)
    if (size % t == 0)
      return t;
  return 1;
}

int64_t loomc::codegen::registerTile(int64_t size, int64_t target) {
  if (isDynamic(size))
    return target; // a partial block, peeled to static shapes later
  return size <= target ? size : target;
}

// An AMX tile product: 16 rows of 64 bytes each, so a bf16 tile holds 16
// rows of 16 pairs of k and an f32 tile 16 x 16 accumulators.
static constexpr int64_t kAmxTileRows = 16, kAmxTileColumns = 16, kAmxTileDepth = 32;

// A tiling chosen for the product's shape, applied as it is: its blocks
// (the largest divisors of the ranges not above them that are whole
// register tiles, as for the rules' blocks), its register tiles, and its
// reduction block where k is longer.
static void planChosenProduct(const LoopNest &nest, const ProductTiling &chosen,
                              const TileTarget &target, TilePlan &plan) {
  llvm::ArrayRef<int64_t> ranges = nest.ranges;
  plan.threadTiles[0] =
      isDynamic(ranges[0]) ? chosen.blockRows
                           : divisorTile(ranges[0], chosen.blockRows, chosen.registerRows);
  plan.threadTiles[1] =
      isDynamic(ranges[1])
          ? chosen.blockColumns
          : divisorTile(ranges[1], chosen.blockColumns, target.vectorWidth);
  plan.registerTiles[0] = registerTile(plan.threadTiles[0], chosen.registerRows);
  plan.registerTiles[1] = registerTile(plan.threadTiles[1], chosen.registerColumns);
  plan.matmulReductionStep = nest.pairedReduction ? 2 : 1;
  llvm::ArrayRef<int64_t> mnk = nest.productRanges;
  if (chosen.reductionBlock > 0 && mnk.size() == 3 && !isDynamic(mnk[2]) &&
      mnk[2] > chosen.reductionBlock)
    plan.matmulReductionBlock = chosen.reductionBlock;
}

// Loops (m, n[, k]): thread blocks of up to 64 (or 128) x 256, register
// tiles of rows x vectors, k stepped one at a time (an outer product per
// step), or two at a time for bf16 operands (one dot product per pair).
static void planProduct(const LoopNest &nest, const TileTarget &target,
                        TilePlan &plan) {
  llvm::ArrayRef<int64_t> ranges = nest.ranges;
  if (nest.chosen && !(nest.pairedReduction && target.amxTiles)) {
    planChosenProduct(nest, *nest.chosen, target, plan);
    return;
  }
  llvm::ArrayRef<int64_t> productRanges = nest.productRanges;
  // AMX tiles only for products of whole tiles: a partial tile would need
  // its own tile shape (and remainders of several pairs, vector code that
  // LLVM 22 cannot select for an AMX target); other products keep the
  // vector registers' tiles.
  llvm::ArrayRef<int64_t> mnk = nest.productRanges;
  bool wholeTiles = mnk.size() == 3 && !anyDynamic(mnk) && mnk[0] % kAmxTileRows == 0 &&
                    mnk[1] % kAmxTileColumns == 0 && mnk[2] % kAmxTileDepth == 0;
  bool amx = nest.pairedReduction && target.amxTiles && wholeTiles;
  int64_t rowTile = amx ? kAmxTileRows : target.registerRows;
  int64_t vectorTile = amx ? kAmxTileColumns : target.vectorWidth * target.registerVectors;
  bool large = !productRanges.empty() && !anyDynamic(productRanges) &&
               product(productRanges) >= kBalancedWork;
  plan.threadTiles[0] =
      divisorTile(ranges[0], large ? kLargeBlockRows : kBlockRows, rowTile);
  plan.threadTiles[1] =
      divisorTile(ranges[1], kBlockColumns, target.vectorWidth);
  // A block packs its slice of a packed operand itself: taller blocks pack
  // each slice fewer times.
  if (nest.readsPackedOperand)
    plan.threadTiles[0] = divisorTile(ranges[0], kPackedBlockRows, rowTile);
  // Enough blocks for the threads to share evenly: a product of 256 rows and
  // 768 columns in blocks of 256 x 256 is 3 blocks, and 2 threads would
  // spend a third of its time with one of them idle. Blocks of a large
  // product narrow, then shorten, until there are kMinBlocks of them (or
  // one per thread, if more), while they stay whole register tiles. A
  // smaller product gets one block per thread: in one block, the others
  // would wait (the quick-start model's x·Wᵀ of 256 x 128 x 128 ran 1.9x
  // faster in two blocks than in one on 2 cores, measured by loomc --tune);
  // below kThreadedWork, one block.
  auto blocks = [&] {
    return llvm::divideCeil(ranges[0], plan.threadTiles[0]) *
           llvm::divideCeil(ranges[1], plan.threadTiles[1]);
  };
  bool staticRanges = !anyDynamic(ranges);
  bool balance = staticRanges && product(ranges) >= kBalancedWork;
  bool threaded = !productRanges.empty() && !anyDynamic(productRanges) &&
                  product(productRanges) >= kThreadedWork;
  int64_t wanted = balance    ? std::max(kMinBlocks, target.threads)
                   : threaded ? target.threads
                              : 1;
  for (unsigned d : {1u, 0u}) {
    if (!staticRanges)
      break;
    int64_t unit = d == 1 ? vectorTile : rowTile;
    while (blocks() < wanted && plan.threadTiles[d] / 2 >= unit) {
      int64_t narrower = divisorTile(ranges[d], plan.threadTiles[d] / 2, unit);
      if (narrower % unit != 0 || narrower >= plan.threadTiles[d])
        break;
      plan.threadTiles[d] = narrower;
    }
  }
  plan.registerTiles[0] = registerTile(plan.threadTiles[0], rowTile);
  plan.registerTiles[1] = registerTile(plan.threadTiles[1], vectorTile);
  plan.matmulReductionStep = amx ? kAmxTileDepth : nest.pairedReduction ? 2 : 1;
  // A long k is walked in blocks of 256: a block's slice of the right
  // operand stays in L2 while every register tile of the block reads it,
  // however long k is (the lm_head's backward contracts over the whole
  // vocabulary). A partial last block is peeled. For a product with an
  // epilogue, the epilogue then runs over the thread block's finished
  // product, tile by tile, while it is still in cache.
  if (productRanges.size() == 3 && productRanges[2] > 2 * target.reductionBlock)
    plan.matmulReductionBlock = target.reductionBlock;
}

// A 2-D transpose (a packed copy of a weight that a product reads
// transposed): square register tiles of one vector each way, read along the
// input's rows and written along the output's, so that both sides use whole
// cache lines (a column at a time would touch a new line, and for a
// vocabulary-sized table a new page, per element).
static void planTranspose(const LoopNest &nest, const TileTarget &target,
                          TilePlan &plan) {
  llvm::ArrayRef<int64_t> ranges = nest.ranges;
  for (unsigned d = 0; d < 2; ++d)
    plan.registerTiles[d] = registerTile(ranges[d], target.vectorWidth);
  plan.threadTiles[0] = divisorTile(
      ranges[0], std::max<int64_t>(ranges[0] / 8, target.vectorWidth),
      plan.registerTiles[0]);
  if (plan.threadTiles[0] == ranges[0])
    plan.threadTiles[0] = 0;
}

// Other nests: the innermost loop is the vector dimension, up to four
// vectors wide; every other loop steps one at a time, so that a reduction
// over rows adds one row per step into a vector accumulator, and the
// elementwise work of an activation derivative has few live vectors.
// Threads split the outermost parallel loop, in blocks of
// kRunTimeLengthBlock when its length is known only at run time.
static void planOther(const LoopNest &nest, const TileTarget &target,
                      TilePlan &plan) {
  llvm::ArrayRef<int64_t> ranges = nest.ranges;
  unsigned loops = ranges.size();
  unsigned inner = loops - 1;
  plan.registerTiles[inner] =
      registerTile(ranges[inner], 4 * target.vectorWidth);
  for (unsigned d = 0; d < inner; ++d)
    plan.registerTiles[d] = 1;
  for (unsigned d = 0; d < loops; ++d) {
    if (nest.parallel[d] && isDynamic(ranges[d])) {
      plan.threadTiles[d] = kRunTimeLengthBlock;
      break;
    }
    if (!nest.parallel[d] || ranges[d] < 2)
      continue;
    if (d == inner && loops > 1 && nest.parallel[0] && ranges[0] >= 2)
      continue;
    // Blocks of at least a register tile, at most an eighth of the loop.
    int64_t unit = plan.registerTiles[d] ? plan.registerTiles[d] : 1;
    int64_t limit = std::max<int64_t>(ranges[d] / 8, unit);
    plan.threadTiles[d] = divisorTile(ranges[d], limit, unit);
    if (plan.threadTiles[d] == ranges[d])
      plan.threadTiles[d] = 0;
    break;
  }
}

std::string loomc::codegen::parseTiling(llvm::ArrayRef<int64_t> values,
                                        int64_t vectorWidth, ProductTiling &tiling) {
  if (values.size() != 5)
    return "a tiling has 5 sizes (block rows, block columns, register rows, "
           "register columns, reduction block), not " +
           std::to_string(values.size());
  tiling = {values[0], values[1], values[2], values[3], values[4]};
  if (llvm::any_of(values.take_front(4), [](int64_t v) { return v <= 0 || v > (1 << 20); }))
    return "a tiling's block and register sizes must be between 1 and 2^20";
  if (tiling.reductionBlock < 0 || tiling.reductionBlock > (1 << 20))
    return "a tiling's reduction block must be between 0 (k whole) and 2^20";
  if (tiling.registerRows > tiling.blockRows || tiling.registerColumns > tiling.blockColumns)
    return "a tiling's register tile must fit in its block";
  if (vectorWidth == 0) // not known yet
    return "";
  // A product narrower than a vector register's tile (10 classes) has
  // tiles as wide as itself.
  if (tiling.registerColumns % vectorWidth != 0 &&
      tiling.registerColumns != tiling.blockColumns)
    return "a tiling's register columns must be whole vectors of " +
           std::to_string(vectorWidth) + " lanes, or its block's whole width";
  if (tiling.registerRows * llvm::divideCeil(tiling.registerColumns, vectorWidth) > 28)
    return "a tiling's register tile of " + std::to_string(tiling.registerRows) + " x " +
           std::to_string(tiling.registerColumns) +
           " needs more accumulators than there are vector registers";
  return "";
}

ProductTiling loomc::codegen::tilingOf(const LoopNest &nest, const TilePlan &plan) {
  auto whole = [&](int64_t tile, unsigned loop) {
    return tile == 0 ? nest.ranges[loop] : tile;
  };
  ProductTiling tiling;
  tiling.blockRows = whole(plan.threadTiles[0], 0);
  tiling.blockColumns = whole(plan.threadTiles[1], 1);
  tiling.registerRows = plan.registerTiles[0];
  tiling.registerColumns = plan.registerTiles[1];
  tiling.reductionBlock = plan.matmulReductionBlock;
  return tiling;
}

// Register tiles are rows x 2 vectors: a row of the right operand's tile is
// two whole cache lines. Their accumulators must keep every FMA port busy
// through the FMA's latency, twice over (2 x latency x ports independent
// sums: 8 on Zen 4, 16 with two ports), and there are at least 8 rows, the
// tile measured fastest on Zen 4 (each row's broadcast of the left operand
// serves 2 FMAs, each vector of the right one 8). The accumulators, a row
// of the right operand and a broadcast must fit in the vector registers:
// 32 with AVX-512 allow 14 rows, AVX2's 16 allow 6.
//
// The k block: a thread block's slice of the right operand, k x 256
// columns of f32, gets a quarter of L2 (the rest holds the left operand's
// slice, the packed copy and the epilogue's data): 256 with Zen 4's and
// Zen 5's 1 MiB, the size measured fastest on Zen 4; 512 with Sapphire
// Rapids' 2 MiB. A power of two between 128 and 1024.
TileTarget loomc::codegen::tileTargetFor(const CpuDescription &cpu) {
  TileTarget target;
  target.threads = std::max<int64_t>(1, cpu.cores);
  target.vectorWidth = cpu.vectorWidth;
  target.amxTiles = cpu.amxTiles;
  target.registerVectors = 2;
  int64_t chains = 2 * cpu.fmaLatency * cpu.fmaPorts;
  int64_t rows = std::max<int64_t>(8, llvm::divideCeil(chains, target.registerVectors));
  int64_t fitting = (cpu.vectorRegisters - target.registerVectors - 1) / target.registerVectors;
  target.registerRows = std::max<int64_t>(1, std::min(rows, fitting));
  int64_t columnBytes = kBlockColumns * int64_t(sizeof(float));
  int64_t block = cpu.l2Bytes / 4 / columnBytes;
  target.reductionBlock =
      std::clamp<int64_t>(block > 0 ? int64_t(llvm::bit_floor(uint64_t(block))) : 0, 128, 1024);
  return target;
}

TilePlan loomc::codegen::planTiles(const LoopNest &nest,
                                   const TileTarget &target) {
  unsigned loops = nest.ranges.size();
  TilePlan plan;
  plan.threadTiles.assign(loops, 0);
  plan.registerTiles.assign(loops, 0);
  if (loops == 0)
    return plan;
  switch (nest.kind) {
  case LoopNest::Kind::product:
    planProduct(nest, target, plan);
    break;
  case LoopNest::Kind::transpose:
    planTranspose(nest, target, plan);
    break;
  case LoopNest::Kind::other:
    planOther(nest, target, plan);
    break;
  }
  return plan;
}
