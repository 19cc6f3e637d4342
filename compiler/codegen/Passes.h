//===- Passes.h - Lowering loom to native code ------------------*- C++ -*-===//

#ifndef LOOM_COMPILER_CODEGEN_PASSES_H
#define LOOM_COMPILER_CODEGEN_PASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "dialects/loom/IR/DiscardableAttributes.h"
#include "mlir/Pass/Pass.h"

namespace loomc {

#define GEN_PASS_DECL
#include "compiler/codegen/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "compiler/codegen/Passes.h.inc"

namespace codegen {
// A bf16 product's register tiles (vector.contract of [M, 2] by [2, N]
// bf16 into f32) as AVX512-BF16 dot products (Bf16DotProducts.cpp); part
// of -loom-lower-vectors.
void populateBf16DotProductPatterns(mlir::RewritePatternSet &patterns);
} // namespace codegen

} // namespace loomc

#endif // LOOM_COMPILER_CODEGEN_PASSES_H
