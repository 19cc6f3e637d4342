// RUN: not loom-opt %s -split-input-file -loom-build-inference="context=9" 2>&1 | FileCheck %s --check-prefix=TABLE
// RUN: not loom-opt %s -split-input-file -loom-build-inference="prefill-length=9" 2>&1 | FileCheck %s --check-prefix=PREFILL
// RUN: not loom-opt %s -split-input-file -loom-build-inference="sample-batch=0" 2>&1 | FileCheck %s --check-prefix=BATCH

// A cache longer than the position table has rows for would read past it.
// TABLE: error: the inference context of 9 positions exceeds the 8 rows of the model's position table
// PREFILL: error: the prefill length must be 1 to the context (8), got 9
// BATCH: error: the sample batch must be at least 1, got 0
module attributes {loom.context = 8 : i64} {
  func.func @forward(%tokens: tensor<1x4xi32> {loom.input = "tokens"},
                     %targets: tensor<1x4xi32> {loom.input = "targets"},
                     %wte: tensor<10x8xf32> {loom.param = "wte"},
                     %wpe: tensor<8x8xf32> {loom.param = "wpe"}) -> tensor<f32> {
    %e = loom.embedding %wte, %tokens : (tensor<10x8xf32>, tensor<1x4xi32>) -> tensor<1x4x8xf32>
    %p = loom.slice %wpe dim(0) offset(0) {loom.positions} : (tensor<8x8xf32>) -> tensor<4x8xf32>
    %x = loom.add %e, %p : (tensor<1x4x8xf32>, tensor<4x8xf32>) -> tensor<1x4x8xf32>
    %o, %lse = loom.attention %x, %x, %x heads(2, 2) : tensor<1x4x8xf32>, tensor<1x4x8xf32> -> tensor<1x2x4xf32>
    %logits = loom.matmul %o, %wte {transpose_rhs} : (tensor<1x4x8xf32>, tensor<10x8xf32>) -> tensor<1x4x10xf32>
    %loss = loom.cross_entropy %logits, %targets : tensor<1x4x10xf32>, tensor<1x4xi32>
    return %loss : tensor<f32>
  }
}
