// RUN: loom-opt %s -split-input-file -loom-build-inference | FileCheck %s
// RUN: loom-opt %s -split-input-file -loom-build-inference="sample-batch=2 context=6 prefill-length=3" | FileCheck %s --check-prefix=SIZED

// A one-layer language model with learned positions: embedding + position
// rows, a packed q|k|v projection sliced into heads' parts, attention, the
// logits of a tied output layer, and cross_entropy against the targets.
module attributes {loom.model = "tiny", loom.context = 8 : i64} {
  func.func @forward(%tokens: tensor<2x4xi32> {loom.input = "tokens"},
                     %targets: tensor<2x4xi32> {loom.input = "targets"},
                     %wte: tensor<10x8xf32> {loom.param = "wte"},
                     %wpe: tensor<8x8xf32> {loom.param = "wpe"},
                     %w: tensor<8x24xf32> {loom.param = "c_attn"},
                     %b: tensor<24xf32> {loom.param = "c_attn.bias"},
                     %g: tensor<8xf32> {loom.param = "ln.weight"},
                     %gb: tensor<8xf32> {loom.param = "ln.bias"}) -> tensor<f32> {
    %e = loom.embedding %wte, %tokens : (tensor<10x8xf32>, tensor<2x4xi32>) -> tensor<2x4x8xf32>
    %p = loom.slice %wpe dim(0) offset(0) {loom.positions} : (tensor<8x8xf32>) -> tensor<4x8xf32>
    %x = loom.add %e, %p : (tensor<2x4x8xf32>, tensor<4x8xf32>) -> tensor<2x4x8xf32>
    %n = loom.layer_norm %x, %g, %gb epsilon(1.0e-05) : tensor<2x4x8xf32>, tensor<8xf32>
    %y = loom.matmul %n, %w : (tensor<2x4x8xf32>, tensor<8x24xf32>) -> tensor<2x4x24xf32>
    %qkv = loom.add %y, %b : (tensor<2x4x24xf32>, tensor<24xf32>) -> tensor<2x4x24xf32>
    %q = loom.slice %qkv dim(2) offset(0) : (tensor<2x4x24xf32>) -> tensor<2x4x8xf32>
    %k = loom.slice %qkv dim(2) offset(8) : (tensor<2x4x24xf32>) -> tensor<2x4x8xf32>
    %v = loom.slice %qkv dim(2) offset(16) : (tensor<2x4x24xf32>) -> tensor<2x4x8xf32>
    %o, %lse = loom.attention %q, %k, %v heads(2, 2) : tensor<2x4x8xf32>, tensor<2x4x8xf32> -> tensor<2x2x4xf32>
    %h = loom.add %x, %o : (tensor<2x4x8xf32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
    %logits = loom.matmul %h, %wte {transpose_rhs} : (tensor<2x4x8xf32>, tensor<10x8xf32>) -> tensor<2x4x10xf32>
    %loss = loom.cross_entropy %logits, %targets : tensor<2x4x10xf32>, tensor<2x4xi32>
    return %loss : tensor<f32>
  }
}

// The forward function stays (autodiff and the training step need it);
// decode and prefill follow it, the cache's length from loom.context.
// CHECK: module attributes {loom.context = 8 : i64, loom.model = "tiny"}
// CHECK: func.func @forward(

// Prefill takes the training window (4 tokens) per call: parameters, then
// the caches of the one attention, then tokens, position and logits. The
// targets and the loss are gone.
// CHECK-LABEL: func.func @prefill
// CHECK-SAME: %[[WTE:[^:]+]]: memref<10x8xf32> {loom.param = "wte"}, %[[WPE:[^:]+]]: memref<8x8xf32> {loom.param = "wpe"}
// CHECK-SAME: %[[KC:[^:]+]]: memref<1x8x8xf32> {loom.cache = "cache.0.key"}, %[[VC:[^:]+]]: memref<1x8x8xf32> {loom.cache = "cache.0.value"}
// CHECK-SAME: %[[TOK:[^:]+]]: memref<1x4xi32> {loom.inference = "tokens"}, %[[POS:[^:]+]]: i64 {loom.inference = "position"}, %[[LOGITS:[^:]+]]: memref<1x4x10xf32> {loom.inference = "logits"})
// CHECK-NOT: loom.cross_entropy
// CHECK-DAG: %[[KCT:.+]] = bufferization.to_tensor %[[KC]] restrict writable
// CHECK-DAG: %[[VCT:.+]] = bufferization.to_tensor %[[VC]] restrict writable
// CHECK-DAG: %[[AT:.+]] = arith.index_cast %[[POS]] : i64 to index
// CHECK: loom.embedding %{{.+}}, %{{.+}} : (tensor<10x8xf32>, tensor<1x4xi32>) -> tensor<1x4x8xf32>
// Learned positions: the rows from the run-time position on.
// CHECK: loom.slice %{{.+}} dim(0) offset(0) at %[[AT]] {loom.positions} : (tensor<8x8xf32>) -> tensor<4x8xf32>
// CHECK: loom.layer_norm %{{.+}} : tensor<1x4x8xf32>, tensor<8xf32>
// CHECK: loom.matmul %{{.+}} : (tensor<1x4x8xf32>, tensor<8x24xf32>) -> tensor<1x4x24xf32>
// CHECK: %[[O:.+]], %[[NK:.+]], %[[NV:.+]] = loom.cached_attention %{{.+}}, %{{.+}}, %{{.+}} into %[[KCT]], %[[VCT]] at %[[AT]] heads(2, 2) : tensor<1x4x8xf32>, tensor<1x4x8xf32>, tensor<1x8x8xf32>
// CHECK-NOT: loom.attention
// CHECK: %[[L:.+]] = loom.matmul %{{.+}}, %{{.+}} {transpose_rhs} : (tensor<1x4x8xf32>, tensor<10x8xf32>) -> tensor<1x4x10xf32>
// CHECK: bufferization.materialize_in_destination %[[L]] in restrict writable %[[LOGITS]]
// CHECK: bufferization.materialize_in_destination %[[NK]] in writable %[[KC]]
// CHECK: bufferization.materialize_in_destination %[[NV]] in writable %[[VC]]
// CHECK-NEXT: return

// Decode: one token per sequence.
// CHECK-LABEL: func.func @decode
// CHECK-SAME: memref<1x8x8xf32> {loom.cache = "cache.0.key"}
// CHECK-SAME: memref<1x1xi32> {loom.inference = "tokens"}, %{{.+}}: i64 {loom.inference = "position"}, %{{.+}}: memref<1x1x10xf32> {loom.inference = "logits"})
// CHECK: loom.slice %{{.+}} dim(0) offset(0) at %{{.+}} {loom.positions} : (tensor<8x8xf32>) -> tensor<1x8xf32>
// CHECK: loom.cached_attention {{.+}} : tensor<1x1x8xf32>, tensor<1x1x8xf32>, tensor<1x8x8xf32>

// The options: two sequences side by side, a cache of 6 positions, and
// prefills of 3 tokens; the module records the context used.
// SIZED: module attributes {loom.context = 6 : i64
// SIZED-LABEL: func.func @prefill
// SIZED-SAME: memref<2x6x8xf32> {loom.cache = "cache.0.key"}
// SIZED-SAME: memref<2x3xi32> {loom.inference = "tokens"}
// SIZED-SAME: memref<2x3x10xf32> {loom.inference = "logits"}
// SIZED-LABEL: func.func @decode
// SIZED-SAME: memref<2x1xi32> {loom.inference = "tokens"}

// -----

// Rotary positions and grouped-query attention, no position table and no
// ctx: the cache holds the training window. Rope rotates by the angles of
// the run-time position, bounded by the context; the cache holds the kv
// heads only.
module attributes {loom.model = "rotary"} {
  func.func @forward(%tokens: tensor<1x5xi32> {loom.input = "tokens"},
                     %targets: tensor<1x5xi32> {loom.input = "targets"},
                     %wte: tensor<10x8xf32> {loom.param = "embed"},
                     %wq: tensor<8x8xf32> {loom.param = "q"},
                     %wk: tensor<8x4xf32> {loom.param = "k"},
                     %wout: tensor<10x8xf32> {loom.param = "lm_head"}) -> tensor<f32> {
    %e = loom.embedding %wte, %tokens : (tensor<10x8xf32>, tensor<1x5xi32>) -> tensor<1x5x8xf32>
    %q0 = loom.matmul %e, %wq : (tensor<1x5x8xf32>, tensor<8x8xf32>) -> tensor<1x5x8xf32>
    %k0 = loom.matmul %e, %wk : (tensor<1x5x8xf32>, tensor<8x4xf32>) -> tensor<1x5x4xf32>
    %q = loom.rope %q0 heads(2) theta(10000.0) : tensor<1x5x8xf32>
    %k = loom.rope %k0 heads(1) theta(10000.0) : tensor<1x5x4xf32>
    %o, %lse = loom.attention %q, %k, %k0 heads(2, 1) : tensor<1x5x8xf32>, tensor<1x5x4xf32> -> tensor<1x2x5xf32>
    %a = loom.silu %o : tensor<1x5x8xf32>
    %logits = loom.matmul %a, %wout {transpose_rhs} : (tensor<1x5x8xf32>, tensor<10x8xf32>) -> tensor<1x5x10xf32>
    %loss = loom.cross_entropy %logits, %targets : tensor<1x5x10xf32>, tensor<1x5xi32>
    return %loss : tensor<f32>
  }
}

// CHECK: module attributes {loom.context = 5 : i64, loom.model = "rotary"}
// CHECK-LABEL: func.func @prefill
// CHECK-SAME: memref<1x5x4xf32> {loom.cache = "cache.0.key"}
// CHECK: loom.rope %{{.+}} at %[[AT:[^ ]+]] positions(5) heads(2) theta(1.000000e+04) : tensor<1x5x8xf32>
// CHECK: loom.rope %{{.+}} at %[[AT]] positions(5) heads(1) theta(1.000000e+04) : tensor<1x5x4xf32>
// CHECK: loom.cached_attention {{.+}} heads(2, 1) : tensor<1x5x8xf32>, tensor<1x5x4xf32>, tensor<1x5x4xf32>
// CHECK: loom.silu %{{.+}} : tensor<1x5x8xf32>
// CHECK-LABEL: func.func @decode
// CHECK: loom.rope %{{.+}} at %{{.+}} positions(5) heads(2) theta(1.000000e+04) : tensor<1x1x8xf32>

// -----

// Not a language model: a regression with mse. No entry points, the reason
// on the module, the forward function untouched.
module {
  func.func @forward(%x: tensor<8x4xf32> {loom.input = "x"}, %t: tensor<8x3xf32> {loom.input = "t"},
                     %w: tensor<4x3xf32> {loom.param = "w"}) -> tensor<f32> {
    %y = loom.matmul %x, %w : (tensor<8x4xf32>, tensor<4x3xf32>) -> tensor<8x3xf32>
    %l = loom.mse %y, %t : tensor<8x3xf32>
    return %l : tensor<f32>
  }
}
// CHECK: module attributes {loom.no_inference = "the loss is not cross_entropy of logits: not a language model"}
// CHECK-NOT: func.func @prefill
// CHECK-NOT: func.func @decode

// -----

// Mixing positions other than by attention: a product over the tokens
// (xᵀ·x) cannot be computed one token at a time.
module {
  func.func @forward(%tokens: tensor<1x4xi32> {loom.input = "tokens"},
                     %targets: tensor<1x4xi32> {loom.input = "targets"},
                     %wte: tensor<10x8xf32> {loom.param = "wte"}) -> tensor<f32> {
    %e = loom.embedding %wte, %tokens : (tensor<10x8xf32>, tensor<1x4xi32>) -> tensor<1x4x8xf32>
    %o, %lse = loom.attention %e, %e, %e heads(2, 2) : tensor<1x4x8xf32>, tensor<1x4x8xf32> -> tensor<1x2x4xf32>
    %g = loom.matmul %o, %e {transpose_lhs} : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<8x8xf32>
    %m = loom.matmul %o, %g : (tensor<1x4x8xf32>, tensor<8x8xf32>) -> tensor<1x4x8xf32>
    %logits = loom.matmul %m, %wte {transpose_rhs} : (tensor<1x4x8xf32>, tensor<10x8xf32>) -> tensor<1x4x10xf32>
    %loss = loom.cross_entropy %logits, %targets : tensor<1x4x10xf32>, tensor<1x4xi32>
    return %loss : tensor<f32>
  }
}
// CHECK: module attributes {loom.no_inference = "'loom.matmul' at {{.+}} multiplies across tokens"}
// CHECK-NOT: func.func @prefill

// -----

// A language model without attention has nothing to cache.
module {
  func.func @forward(%tokens: tensor<1x4xi32> {loom.input = "tokens"},
                     %targets: tensor<1x4xi32> {loom.input = "targets"},
                     %wte: tensor<10x8xf32> {loom.param = "wte"}) -> tensor<f32> {
    %e = loom.embedding %wte, %tokens : (tensor<10x8xf32>, tensor<1x4xi32>) -> tensor<1x4x8xf32>
    %logits = loom.matmul %e, %wte {transpose_rhs} : (tensor<1x4x8xf32>, tensor<10x8xf32>) -> tensor<1x4x10xf32>
    %loss = loom.cross_entropy %logits, %targets : tensor<1x4x10xf32>, tensor<1x4xi32>
    return %loss : tensor<f32>
  }
}
// CHECK: module attributes {loom.no_inference = "the model has no attention: nothing to cache"}
// CHECK-NOT: func.func @prefill
