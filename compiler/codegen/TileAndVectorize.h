//===- TileAndVectorize.h - What the tiling pass tells its policy -*- C++ -*-===//
//
// The loop nest -loom-tile-and-vectorize hands the tiling policy for a root
// linalg op, for the tuner to plan its candidates exactly as the pass will.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_COMPILER_CODEGEN_TILEANDVECTORIZE_H
#define LOOM_COMPILER_CODEGEN_TILEANDVECTORIZE_H

#include "compiler/codegen/TilingPolicy.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace loomc::codegen {

// The nest of `op` (a product, its fused epilogue, a transpose or any other
// linalg op), with its product's loom.tiling when it has a well-formed one.
LoopNest loopNestOf(mlir::linalg::LinalgOp op, int64_t vectorWidth);

} // namespace loomc::codegen

#endif // LOOM_COMPILER_CODEGEN_TILEANDVECTORIZE_H
