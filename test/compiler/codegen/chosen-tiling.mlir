// RUN: split-file %s %t
// RUN: loom-opt %t/products.mlir -split-input-file -pass-pipeline='builtin.module(func.func(loom-tile-and-vectorize{vector-width=16}))' | FileCheck %t/products.mlir
// RUN: not loom-opt %t/malformed.mlir -split-input-file -pass-pipeline='builtin.module(func.func(loom-tile-and-vectorize{vector-width=16}))' 2>&1 | FileCheck %t/malformed.mlir
// RUN: loom-opt %t/apply.mlir -pass-pipeline='builtin.module(loom-lower-to-linalg, loom-apply-tuning{file=%t/table.json})' | FileCheck %t/apply.mlir
// RUN: not loom-opt %t/apply.mlir -pass-pipeline='builtin.module(loom-lower-to-linalg, loom-apply-tuning{file=%t/bad-table.json})' 2>&1 | FileCheck %t/apply.mlir --check-prefix=BAD
// RUN: not loom-opt %t/apply.mlir -pass-pipeline='builtin.module(loom-lower-to-linalg, loom-apply-tuning{file=%t/absent.json})' 2>&1 | FileCheck %t/apply.mlir --check-prefix=ABSENT

// A product carrying a tiling (loom.tiling: block rows, block columns,
// register rows, register columns, reduction block) is tiled with it
// rather than with the policy's rules.

//--- products.mlir

// The rules would give 64 x 128 blocks of 8 x 32 tiles, k = 512 whole;
// the chosen tiling is 128 x 64 blocks, 4 x 64 tiles, k in blocks of 128.
// CHECK-LABEL: func.func @chosen
// CHECK: scf.forall (%{{.+}}, %{{.+}}) = (0, 0) to (256, 128) step (128, 64)
// CHECK: scf.for %{{.+}} = %c0 to %c512 step %c128
// CHECK: scf.for %{{.+}} = %c0 to %c128 step %c4
// CHECK: vector<4x64xf32>
func.func @chosen(%x: tensor<256x512xf32>, %w: tensor<512x128xf32>) -> tensor<256x128xf32> {
  %cst = arith.constant 0.000000e+00 : f32
  %0 = tensor.empty() : tensor<256x128xf32>
  %1 = linalg.fill ins(%cst : f32) outs(%0 : tensor<256x128xf32>) -> tensor<256x128xf32>
  %2 = linalg.matmul {loom.tiling = array<i64: 128, 64, 4, 64, 128>} ins(%x, %w : tensor<256x512xf32>, tensor<512x128xf32>) outs(%1 : tensor<256x128xf32>) -> tensor<256x128xf32>
  return %2 : tensor<256x128xf32>
}

// -----

// Without one, the rules: 64-row blocks, 8 x 32 tiles, k whole.
// CHECK-LABEL: func.func @rules
// CHECK: scf.forall (%{{.+}}) = (0) to (256) step (64)
// CHECK-NOT: step %c128
// CHECK: vector<8x32xf32>
func.func @rules(%x: tensor<256x512xf32>, %w: tensor<512x128xf32>) -> tensor<256x128xf32> {
  %cst = arith.constant 0.000000e+00 : f32
  %0 = tensor.empty() : tensor<256x128xf32>
  %1 = linalg.fill ins(%cst : f32) outs(%0 : tensor<256x128xf32>) -> tensor<256x128xf32>
  %2 = linalg.matmul ins(%x, %w : tensor<256x512xf32>, tensor<512x128xf32>) outs(%1 : tensor<256x128xf32>) -> tensor<256x128xf32>
  return %2 : tensor<256x128xf32>
}

// -----

// A product whose columns are no whole number of the chosen blocks is
// split into whole blocks (of the chosen 96 columns) and the rest.
// CHECK-LABEL: func.func @split
// CHECK: tensor.extract_slice %{{.+}}[0, 0] [64, 192] [1, 1]
// CHECK: scf.forall (%{{.+}}) = (0) to (192) step (96)
// CHECK: tensor.extract_slice %{{.+}}[0, 192] [64, 8] [1, 1]
func.func @split(%x: tensor<64x64xf32>, %w: tensor<64x200xf32>) -> tensor<64x200xf32> {
  %cst = arith.constant 0.000000e+00 : f32
  %0 = tensor.empty() : tensor<64x200xf32>
  %1 = linalg.fill ins(%cst : f32) outs(%0 : tensor<64x200xf32>) -> tensor<64x200xf32>
  %2 = linalg.matmul {loom.tiling = array<i64: 64, 96, 8, 32, 0>} ins(%x, %w : tensor<64x64xf32>, tensor<64x200xf32>) outs(%1 : tensor<64x200xf32>) -> tensor<64x200xf32>
  return %2 : tensor<64x200xf32>
}

//--- malformed.mlir

// CHECK: error: loom.tiling: a tiling has 5 sizes (block rows, block columns, register rows, register columns, reduction block), not 3
func.func @short(%x: tensor<64x64xf32>, %w: tensor<64x64xf32>, %acc: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %0 = linalg.matmul {loom.tiling = array<i64: 64, 64, 8>} ins(%x, %w : tensor<64x64xf32>, tensor<64x64xf32>) outs(%acc : tensor<64x64xf32>) -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

// CHECK: error: loom.tiling: a tiling's register columns must be whole vectors of 16 lanes, or its block's whole width
func.func @partial_vectors(%x: tensor<64x64xf32>, %w: tensor<64x64xf32>, %acc: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %0 = linalg.matmul {loom.tiling = array<i64: 64, 64, 8, 24, 0>} ins(%x, %w : tensor<64x64xf32>, tensor<64x64xf32>) outs(%acc : tensor<64x64xf32>) -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

// CHECK: error: loom.tiling: a tiling's register tile of 16 x 64 needs more accumulators than there are vector registers
func.func @too_many_accumulators(%x: tensor<64x64xf32>, %w: tensor<64x64xf32>, %acc: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %0 = linalg.matmul {loom.tiling = array<i64: 64, 64, 16, 64, 0>} ins(%x, %w : tensor<64x64xf32>, tensor<64x64xf32>) outs(%acc : tensor<64x64xf32>) -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

// -----

// CHECK: error: 'loom.tiling' must be an array of i64 (array<i64: ...>)
func.func @wrong_type(%x: tensor<64x64xf32>, %w: tensor<64x64xf32>, %acc: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %0 = linalg.matmul {loom.tiling = array<i32: 64, 64, 8, 32, 0>} ins(%x, %w : tensor<64x64xf32>, tensor<64x64xf32>) outs(%acc : tensor<64x64xf32>) -> tensor<64x64xf32>
  return %0 : tensor<64x64xf32>
}

//--- apply.mlir

// The table's shapes get its tilings; x·Wᵀ's key names B transposed (its
// packed copy), Aᵀ·B's names A transposed (the map), and a shape the table
// lacks is left to the rules.
// CHECK-LABEL: func.func @apply
// CHECK: linalg.matmul {loom.tiling = array<i64: 32, 64, 8, 32, 0>}
// CHECK: linalg.matmul {loom.tiling = array<i64: 64, 32, 4, 32, 128>}
// CHECK: linalg.matmul indexing_maps = {{.+}} {loom.tiling = array<i64: 16, 16, 8, 16, 0>}
// CHECK: linalg.matmul ins
// CHECK-NOT: loom.tiling
// BAD: error: -loom-apply-tuning: {{.+}}bad-table.json: product "f32 64x64x64 A.B": a tiling has 5 sizes
// ABSENT: error: -loom-apply-tuning: {{.+}}absent.json: No such file or directory
func.func @apply(%x: tensor<64x64xf32>, %w: tensor<64x64xf32>, %v: tensor<64x48xf32>) -> (tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x48xf32>) {
  %0 = loom.matmul %x, %w : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32>
  %1 = loom.matmul %x, %w {transpose_rhs} : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32>
  %2 = loom.matmul %x, %w {transpose_lhs} : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32>
  %3 = loom.matmul %x, %v : (tensor<64x64xf32>, tensor<64x48xf32>) -> tensor<64x48xf32>
  return %0, %1, %2, %3 : tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x48xf32>
}

//--- table.json
{
  "format": "loom-tuning-1",
  "cpu": "a test",
  "features": "",
  "products": {
    "f32 64x64x64 A.B": {"tiling": [32, 64, 8, 32, 0], "gflops": 2, "default_gflops": 1},
    "f32 64x64x64 A.B^T": {"tiling": [64, 32, 4, 32, 128]},
    "f32 64x64x64 A^T.B": {"tiling": [16, 16, 8, 16, 0]}
  }
}

//--- bad-table.json
{
  "format": "loom-tuning-1",
  "products": {"f32 64x64x64 A.B": {"tiling": [32, 64, 8]}}
}
