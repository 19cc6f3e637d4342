// RUN: loom-opt %s | loom-opt | FileCheck %s
// RUN: loom-opt %s --mlir-print-op-generic | loom-opt | FileCheck %s

// Every loom op prints in its custom form and parses back to the same IR,
// attributes included; the second RUN line goes through the generic form.
// Function-argument attributes (the model signature) survive both,
// initializers with whole or tiny values included (1.0, 1.0e-10).

//===----------------------------------------------------------------------===//
// Model signature: argument attributes
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @signature
// CHECK-SAME: %{{[^:]+}}: tensor<8x4xf32> {loom.input = "x"}
// CHECK-SAME: %{{[^:]+}}: tensor<4x3xf32> {loom.init = #loom.init<normal(0.02)>, loom.param = "fc.weight"}
// CHECK-SAME: %{{[^:]+}}: tensor<3xf32> {loom.init = #loom.init<uniform(-0.5, 0.5)>, loom.param = "fc.bias"}
// CHECK-SAME: %{{[^:]+}}: tensor<3xf32> {loom.init = #loom.init<ones>, loom.param = "ln.weight"}
// CHECK-SAME: %{{[^:]+}}: tensor<3xf32> {loom.init = #loom.init<zeros>, loom.param = "ln.bias"}
// CHECK-SAME: %{{[^:]+}}: tensor<3xf32> {loom.init = #loom.init<normal(0.0015)>, loom.param = "small_std"}
// CHECK-SAME: %{{[^:]+}}: tensor<3xf32> {loom.init = #loom.init<normal(1.0)>, loom.param = "unit_std"}
// CHECK-SAME: %{{[^:]+}}: tensor<3xf32> {loom.init = #loom.init<uniform(-1.0e-10, 2.0)>, loom.param = "whole_bounds"}
// CHECK-SAME: %{{[^:]+}}: tensor<4x3xf32> {loom.grad = "fc.weight"}
// CHECK-SAME: %{{[^:]+}}: tensor<4x3xf32> {loom.state = "fc.weight.momentum_buffer"}
// CHECK-SAME: %{{[^:]+}}: tensor<4x3xf32> {loom.init = #loom.init<zeros>, loom.state = "fc.weight.exp_avg"}
// CHECK-SAME: %{{[^:]+}}: f32 {loom.hyper = "lr"}
// CHECK-SAME: %{{[^:]+}}: tensor<8xi32> {loom.input = "labels"})
func.func @signature(%x: tensor<8x4xf32> {loom.input = "x"},
                     %w: tensor<4x3xf32> {loom.param = "fc.weight", loom.init = #loom.init<normal(0.02)>},
                     %b: tensor<3xf32> {loom.param = "fc.bias", loom.init = #loom.init<uniform(-0.5, 0.5)>},
                     %g: tensor<3xf32> {loom.param = "ln.weight", loom.init = #loom.init<ones>},
                     %beta: tensor<3xf32> {loom.param = "ln.bias", loom.init = #loom.init<zeros>},
                     %z: tensor<3xf32> {loom.param = "small_std", loom.init = #loom.init<normal(1.5e-03)>},
                     %u: tensor<3xf32> {loom.param = "unit_std", loom.init = #loom.init<normal(1.0)>},
                     %v: tensor<3xf32> {loom.param = "whole_bounds", loom.init = #loom.init<uniform(-1.0e-10, 2.0)>},
                     %dw: tensor<4x3xf32> {loom.grad = "fc.weight"},
                     %mom: tensor<4x3xf32> {loom.state = "fc.weight.momentum_buffer"},
                     %m: tensor<4x3xf32> {loom.state = "fc.weight.exp_avg", loom.init = #loom.init<zeros>},
                     %lr: f32 {loom.hyper = "lr"},
                     %labels: tensor<8xi32> {loom.input = "labels"}) {
  return
}

//===----------------------------------------------------------------------===//
// LinearAlgebraOps: loom.matmul
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @matmul
// CHECK-SAME: (%[[A:[^:]+]]: tensor<8x4xf32>, %[[W:[^:]+]]: tensor<4x3xf32>, %[[WT:[^:]+]]: tensor<3x4xf32>, %[[Y:[^:]+]]: tensor<8x3xf32>, %[[AT:[^:]+]]: tensor<4x8xf32>, %[[X3:[^:]+]]: tensor<2x8x4xf32>, %[[Y3:[^:]+]]: tensor<2x8x3xf32>, %[[X4:[^:]+]]: tensor<2x5x8x4xf32>)
func.func @matmul(%a: tensor<8x4xf32>, %w: tensor<4x3xf32>, %wt: tensor<3x4xf32>,
                  %y: tensor<8x3xf32>, %at: tensor<4x8xf32>,
                  %x3: tensor<2x8x4xf32>, %y3: tensor<2x8x3xf32>,
                  %x4: tensor<2x5x8x4xf32>) {
  // No flags: [M, K] · [K, N] and rows of any rank.
  // CHECK: loom.matmul %[[A]], %[[W]] : (tensor<8x4xf32>, tensor<4x3xf32>) -> tensor<8x3xf32>
  %0 = loom.matmul %a, %w : (tensor<8x4xf32>, tensor<4x3xf32>) -> tensor<8x3xf32>
  // CHECK: loom.matmul %[[X3]], %[[W]] : (tensor<2x8x4xf32>, tensor<4x3xf32>) -> tensor<2x8x3xf32>
  %1 = loom.matmul %x3, %w : (tensor<2x8x4xf32>, tensor<4x3xf32>) -> tensor<2x8x3xf32>
  // CHECK: loom.matmul %[[X4]], %[[W]] : (tensor<2x5x8x4xf32>, tensor<4x3xf32>) -> tensor<2x5x8x3xf32>
  %2 = loom.matmul %x4, %w : (tensor<2x5x8x4xf32>, tensor<4x3xf32>) -> tensor<2x5x8x3xf32>

  // transpose_rhs: x · Wᵀ, [L..., N] · [K, N]ᵀ -> [L..., K].
  // CHECK: loom.matmul %[[Y]], %[[W]] {transpose_rhs} : (tensor<8x3xf32>, tensor<4x3xf32>) -> tensor<8x4xf32>
  %3 = loom.matmul %y, %w {transpose_rhs} : (tensor<8x3xf32>, tensor<4x3xf32>) -> tensor<8x4xf32>
  // CHECK: loom.matmul %[[X3]], %[[WT]] {transpose_rhs} : (tensor<2x8x4xf32>, tensor<3x4xf32>) -> tensor<2x8x3xf32>
  %4 = loom.matmul %x3, %wt {transpose_rhs} : (tensor<2x8x4xf32>, tensor<3x4xf32>) -> tensor<2x8x3xf32>

  // transpose_lhs: xᵀ · y, summed over all rows.
  // CHECK: loom.matmul %[[A]], %[[Y]] {transpose_lhs} : (tensor<8x4xf32>, tensor<8x3xf32>) -> tensor<4x3xf32>
  %5 = loom.matmul %a, %y {transpose_lhs} : (tensor<8x4xf32>, tensor<8x3xf32>) -> tensor<4x3xf32>
  // CHECK: loom.matmul %[[X3]], %[[Y3]] {transpose_lhs} : (tensor<2x8x4xf32>, tensor<2x8x3xf32>) -> tensor<4x3xf32>
  %6 = loom.matmul %x3, %y3 {transpose_lhs} : (tensor<2x8x4xf32>, tensor<2x8x3xf32>) -> tensor<4x3xf32>

  // Both: Aᵀ · Bᵀ, matrices only.
  // CHECK: loom.matmul %[[AT]], %[[WT]] {transpose_lhs, transpose_rhs} : (tensor<4x8xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  %7 = loom.matmul %at, %wt {transpose_lhs, transpose_rhs} : (tensor<4x8xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  // The flags may be written in either order and as explicit unit attributes.
  // CHECK: loom.matmul %[[AT]], %[[WT]] {transpose_lhs, transpose_rhs} : (tensor<4x8xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  %8 = loom.matmul %at, %wt {transpose_rhs = unit, transpose_lhs} : (tensor<4x8xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  return
}

//===----------------------------------------------------------------------===//
// ElementwiseOps: add, activations, swiglu and their gradient ops
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @add
// CHECK-SAME: (%[[X:[^:]+]]: tensor<2x8x4xf32>, %[[M:[^:]+]]: tensor<8x4xf32>, %[[V:[^:]+]]: tensor<4xf32>, %[[S:[^:]+]]: tensor<f32>)
func.func @add(%x: tensor<2x8x4xf32>, %m: tensor<8x4xf32>, %v: tensor<4xf32>, %s: tensor<f32>) {
  // Equal shapes (a residual connection).
  // CHECK: loom.add %[[X]], %[[X]] : (tensor<2x8x4xf32>, tensor<2x8x4xf32>) -> tensor<2x8x4xf32>
  %0 = loom.add %x, %x : (tensor<2x8x4xf32>, tensor<2x8x4xf32>) -> tensor<2x8x4xf32>
  // A bias broadcast over rows.
  // CHECK: loom.add %[[M]], %[[V]] : (tensor<8x4xf32>, tensor<4xf32>) -> tensor<8x4xf32>
  %1 = loom.add %m, %v : (tensor<8x4xf32>, tensor<4xf32>) -> tensor<8x4xf32>
  // Positions [T, C] broadcast over the batch, and a bias over [B, T].
  // CHECK: loom.add %[[X]], %[[M]] : (tensor<2x8x4xf32>, tensor<8x4xf32>) -> tensor<2x8x4xf32>
  %2 = loom.add %x, %m : (tensor<2x8x4xf32>, tensor<8x4xf32>) -> tensor<2x8x4xf32>
  // CHECK: loom.add %[[X]], %[[V]] : (tensor<2x8x4xf32>, tensor<4xf32>) -> tensor<2x8x4xf32>
  %3 = loom.add %x, %v : (tensor<2x8x4xf32>, tensor<4xf32>) -> tensor<2x8x4xf32>
  // The lower-rank operand may come first.
  // CHECK: loom.add %[[V]], %[[M]] : (tensor<4xf32>, tensor<8x4xf32>) -> tensor<8x4xf32>
  %4 = loom.add %v, %m : (tensor<4xf32>, tensor<8x4xf32>) -> tensor<8x4xf32>
  // A scalar broadcasts to anything; scalars add.
  // CHECK: loom.add %[[M]], %[[S]] : (tensor<8x4xf32>, tensor<f32>) -> tensor<8x4xf32>
  %5 = loom.add %m, %s : (tensor<8x4xf32>, tensor<f32>) -> tensor<8x4xf32>
  // CHECK: loom.add %[[S]], %[[S]] : (tensor<f32>, tensor<f32>) -> tensor<f32>
  %6 = loom.add %s, %s : (tensor<f32>, tensor<f32>) -> tensor<f32>
  return
}

// CHECK-LABEL: func.func @activations
// CHECK-SAME: (%[[X:[^:]+]]: tensor<8x4xf32>, %[[X3:[^:]+]]: tensor<2x8x4xf32>, %[[V:[^:]+]]: tensor<4xf32>)
func.func @activations(%x: tensor<8x4xf32>, %x3: tensor<2x8x4xf32>, %v: tensor<4xf32>) {
  // CHECK: %[[GELU:.+]] = loom.gelu %[[X]] : tensor<8x4xf32>
  %0 = loom.gelu %x : tensor<8x4xf32>
  // CHECK: loom.gelu_erf %[[GELU]] : tensor<8x4xf32>
  %1 = loom.gelu_erf %0 : tensor<8x4xf32>
  // CHECK: loom.relu %[[X]] : tensor<8x4xf32>
  %2 = loom.relu %x : tensor<8x4xf32>
  // CHECK: loom.tanh %[[X]] : tensor<8x4xf32>
  %3 = loom.tanh %x : tensor<8x4xf32>
  // CHECK: loom.silu %[[X]] : tensor<8x4xf32>
  %4 = loom.silu %x : tensor<8x4xf32>
  // Any rank.
  // CHECK: loom.gelu %[[X3]] : tensor<2x8x4xf32>
  %5 = loom.gelu %x3 : tensor<2x8x4xf32>
  // CHECK: loom.gelu_erf %[[X3]] : tensor<2x8x4xf32>
  %6 = loom.gelu_erf %x3 : tensor<2x8x4xf32>
  // CHECK: loom.relu %[[X3]] : tensor<2x8x4xf32>
  %7 = loom.relu %x3 : tensor<2x8x4xf32>
  // CHECK: loom.tanh %[[X3]] : tensor<2x8x4xf32>
  %8 = loom.tanh %x3 : tensor<2x8x4xf32>
  // CHECK: loom.silu %[[V]] : tensor<4xf32>
  %9 = loom.silu %v : tensor<4xf32>
  // CHECK: loom.swiglu %[[X]], %[[GELU]] : tensor<8x4xf32>
  %10 = loom.swiglu %x, %0 : tensor<8x4xf32>
  // CHECK: loom.swiglu %[[X3]], %[[X3]] : tensor<2x8x4xf32>
  %11 = loom.swiglu %x3, %x3 : tensor<2x8x4xf32>
  return
}

// CHECK-LABEL: func.func @elementwise_gradients
// CHECK-SAME: (%[[X:[^:]+]]: tensor<2x8x4xf32>, %[[DY:[^:]+]]: tensor<2x8x4xf32>, %[[M:[^:]+]]: tensor<8x4xf32>)
func.func @elementwise_gradients(%x: tensor<2x8x4xf32>, %dy: tensor<2x8x4xf32>, %m: tensor<8x4xf32>) {
  // Every activation but `none`.
  // CHECK: loom.activation_grad gelu %[[X]], %[[DY]] : tensor<2x8x4xf32>
  %0 = loom.activation_grad gelu %x, %dy : tensor<2x8x4xf32>
  // CHECK: loom.activation_grad gelu_erf %[[X]], %[[DY]] : tensor<2x8x4xf32>
  %1 = loom.activation_grad gelu_erf %x, %dy : tensor<2x8x4xf32>
  // CHECK: loom.activation_grad relu %[[X]], %[[DY]] : tensor<2x8x4xf32>
  %2 = loom.activation_grad relu %x, %dy : tensor<2x8x4xf32>
  // CHECK: loom.activation_grad tanh %[[X]], %[[DY]] : tensor<2x8x4xf32>
  %3 = loom.activation_grad tanh %x, %dy : tensor<2x8x4xf32>
  // CHECK: loom.activation_grad silu %[[X]], %[[DY]] : tensor<2x8x4xf32>
  %4 = loom.activation_grad silu %x, %dy : tensor<2x8x4xf32>
  // CHECK: loom.activation_grad relu %[[M]], %[[M]] : tensor<8x4xf32>
  %5 = loom.activation_grad relu %m, %m : tensor<8x4xf32>
  // CHECK: %{{.+}}, %{{.+}} = loom.swiglu_grad %[[X]], %[[X]], %[[DY]] : tensor<2x8x4xf32>
  %dg, %du = loom.swiglu_grad %x, %x, %dy : tensor<2x8x4xf32>
  // CHECK: loom.swiglu_grad %[[M]], %[[M]], %[[M]] : tensor<8x4xf32>
  %dg2:2 = loom.swiglu_grad %m, %m, %m : tensor<8x4xf32>

  // reduce_sum down to any number of trailing dimensions, the whole shape
  // (no-op) or a scalar.
  // CHECK: loom.reduce_sum %[[M]] : (tensor<8x4xf32>) -> tensor<4xf32>
  %6 = loom.reduce_sum %m : (tensor<8x4xf32>) -> tensor<4xf32>
  // CHECK: loom.reduce_sum %[[DY]] : (tensor<2x8x4xf32>) -> tensor<4xf32>
  %7 = loom.reduce_sum %dy : (tensor<2x8x4xf32>) -> tensor<4xf32>
  // CHECK: loom.reduce_sum %[[DY]] : (tensor<2x8x4xf32>) -> tensor<8x4xf32>
  %8 = loom.reduce_sum %dy : (tensor<2x8x4xf32>) -> tensor<8x4xf32>
  // CHECK: loom.reduce_sum %[[DY]] : (tensor<2x8x4xf32>) -> tensor<2x8x4xf32>
  %9 = loom.reduce_sum %dy : (tensor<2x8x4xf32>) -> tensor<2x8x4xf32>
  // CHECK: loom.reduce_sum %[[DY]] : (tensor<2x8x4xf32>) -> tensor<f32>
  %10 = loom.reduce_sum %dy : (tensor<2x8x4xf32>) -> tensor<f32>

  // CHECK: loom.zeros : tensor<64x128xf32>
  %11 = loom.zeros : tensor<64x128xf32>
  // CHECK: loom.zeros : tensor<2x8x4xf32>
  %12 = loom.zeros : tensor<2x8x4xf32>
  // CHECK: loom.zeros : tensor<f32>
  %13 = loom.zeros : tensor<f32>
  return
}

//===----------------------------------------------------------------------===//
// NormalizationOps: layer_norm, rms_norm and their gradient ops
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @normalization
// CHECK-SAME: (%[[X:[^:]+]]: tensor<2x8x4xf32>, %[[M:[^:]+]]: tensor<8x4xf32>, %[[G:[^:]+]]: tensor<4xf32>, %[[B:[^:]+]]: tensor<4xf32>, %[[DY:[^:]+]]: tensor<2x8x4xf32>)
func.func @normalization(%x: tensor<2x8x4xf32>, %m: tensor<8x4xf32>, %g: tensor<4xf32>,
                         %b: tensor<4xf32>, %dy: tensor<2x8x4xf32>) {
  // CHECK: loom.layer_norm %[[X]], %[[G]], %[[B]] epsilon(9.99999974E-6) : tensor<2x8x4xf32>, tensor<4xf32>
  %0 = loom.layer_norm %x, %g, %b epsilon(1.0e-05) : tensor<2x8x4xf32>, tensor<4xf32>
  // CHECK: loom.layer_norm %[[M]], %[[G]], %[[B]] epsilon(5.000000e-01) : tensor<8x4xf32>, tensor<4xf32>
  %1 = loom.layer_norm %m, %g, %b epsilon(0.5) : tensor<8x4xf32>, tensor<4xf32>
  // CHECK: loom.layer_norm %[[G]], %[[G]], %[[B]] epsilon(1.000000e+00) : tensor<4xf32>, tensor<4xf32>
  %2 = loom.layer_norm %g, %g, %b epsilon(1.0) : tensor<4xf32>, tensor<4xf32>
  // CHECK: loom.rms_norm %[[X]], %[[G]] epsilon(9.99999997E-7) : tensor<2x8x4xf32>, tensor<4xf32>
  %3 = loom.rms_norm %x, %g epsilon(1.0e-06) : tensor<2x8x4xf32>, tensor<4xf32>
  // CHECK: loom.rms_norm %[[M]], %[[G]] epsilon(2.500000e-01) : tensor<8x4xf32>, tensor<4xf32>
  %4 = loom.rms_norm %m, %g epsilon(0.25) : tensor<8x4xf32>, tensor<4xf32>

  // CHECK: %{{.+}}, %{{.+}}, %{{.+}} = loom.layer_norm_grad %[[X]], %[[G]], %[[DY]] epsilon(9.99999974E-6) : tensor<2x8x4xf32>, tensor<4xf32>
  %dx, %dg, %db = loom.layer_norm_grad %x, %g, %dy epsilon(1.0e-05) : tensor<2x8x4xf32>, tensor<4xf32>
  // CHECK: loom.layer_norm_grad %[[M]], %[[G]], %[[M]] epsilon(5.000000e-01) : tensor<8x4xf32>, tensor<4xf32>
  %l2:3 = loom.layer_norm_grad %m, %g, %m epsilon(0.5) : tensor<8x4xf32>, tensor<4xf32>
  // CHECK: %{{.+}}, %{{.+}} = loom.rms_norm_grad %[[X]], %[[G]], %[[DY]] epsilon(9.99999997E-7) : tensor<2x8x4xf32>, tensor<4xf32>
  %rx, %rg = loom.rms_norm_grad %x, %g, %dy epsilon(1.0e-06) : tensor<2x8x4xf32>, tensor<4xf32>
  // CHECK: loom.rms_norm_grad %[[M]], %[[G]], %[[M]] epsilon(2.500000e-01) : tensor<8x4xf32>, tensor<4xf32>
  %r2:2 = loom.rms_norm_grad %m, %g, %m epsilon(0.25) : tensor<8x4xf32>, tensor<4xf32>
  return
}

//===----------------------------------------------------------------------===//
// AttentionOps: attention, rope, attention_grad
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @attention
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<2x8x12xf32>, %[[Q16:[^:]+]]: tensor<2x8x16xf32>, %[[KV8:[^:]+]]: tensor<2x8x8xf32>, %[[KV4:[^:]+]]: tensor<2x8x4xf32>, %[[LSE3:[^:]+]]: tensor<2x3x8xf32>, %[[LSE4:[^:]+]]: tensor<2x4x8xf32>)
func.func @attention(%q: tensor<2x8x12xf32>, %q16: tensor<2x8x16xf32>,
                     %kv8: tensor<2x8x8xf32>, %kv4: tensor<2x8x4xf32>,
                     %lse3: tensor<2x3x8xf32>, %lse4: tensor<2x4x8xf32>) {
  // Multi-head: 3 heads of 4 for queries, keys and values.
  // CHECK: %{{.+}}, %{{.+}} = loom.attention %[[Q]], %[[Q]], %[[Q]] heads(3, 3) : tensor<2x8x12xf32>, tensor<2x8x12xf32> -> tensor<2x3x8xf32>
  %o, %lse = loom.attention %q, %q, %q heads(3, 3) : tensor<2x8x12xf32>, tensor<2x8x12xf32> -> tensor<2x3x8xf32>
  // Grouped-query: 4 query heads of 4 share 2 key/value heads.
  // CHECK: loom.attention %[[Q16]], %[[KV8]], %[[KV8]] heads(4, 2) : tensor<2x8x16xf32>, tensor<2x8x8xf32> -> tensor<2x4x8xf32>
  %gqa:2 = loom.attention %q16, %kv8, %kv8 heads(4, 2) : tensor<2x8x16xf32>, tensor<2x8x8xf32> -> tensor<2x4x8xf32>
  // Multi-query: one key/value head.
  // CHECK: loom.attention %[[Q16]], %[[KV4]], %[[KV4]] heads(4, 1) : tensor<2x8x16xf32>, tensor<2x8x4xf32> -> tensor<2x4x8xf32>
  %mqa:2 = loom.attention %q16, %kv4, %kv4 heads(4, 1) : tensor<2x8x16xf32>, tensor<2x8x4xf32> -> tensor<2x4x8xf32>

  // CHECK: %{{.+}}, %{{.+}}, %{{.+}} = loom.attention_grad %[[Q]], %[[Q]], %[[Q]], %[[Q]], %[[LSE3]], %[[Q]] heads(3, 3) : tensor<2x8x12xf32>, tensor<2x8x12xf32>, tensor<2x3x8xf32>
  %dq, %dk, %dv = loom.attention_grad %q, %q, %q, %q, %lse3, %q heads(3, 3) : tensor<2x8x12xf32>, tensor<2x8x12xf32>, tensor<2x3x8xf32>
  // CHECK: loom.attention_grad %[[Q16]], %[[KV8]], %[[KV8]], %[[Q16]], %[[LSE4]], %[[Q16]] heads(4, 2) : tensor<2x8x16xf32>, tensor<2x8x8xf32>, tensor<2x4x8xf32>
  %g2:3 = loom.attention_grad %q16, %kv8, %kv8, %q16, %lse4, %q16 heads(4, 2) : tensor<2x8x16xf32>, tensor<2x8x8xf32>, tensor<2x4x8xf32>
  // CHECK: loom.attention_grad %[[Q16]], %[[KV4]], %[[KV4]], %[[Q16]], %[[LSE4]], %[[Q16]] heads(4, 1) : tensor<2x8x16xf32>, tensor<2x8x4xf32>, tensor<2x4x8xf32>
  %g1:3 = loom.attention_grad %q16, %kv4, %kv4, %q16, %lse4, %q16 heads(4, 1) : tensor<2x8x16xf32>, tensor<2x8x4xf32>, tensor<2x4x8xf32>

  // RoPE and its inverse (the gradient).
  // CHECK: loom.rope %[[Q]] heads(3) theta(1.000000e+04) : tensor<2x8x12xf32>
  %r0 = loom.rope %q heads(3) theta(10000.0) : tensor<2x8x12xf32>
  // CHECK: loom.rope %[[Q]] heads(3) theta(1.000000e+04) {inverse} : tensor<2x8x12xf32>
  %r1 = loom.rope %q heads(3) theta(10000.0) {inverse} : tensor<2x8x12xf32>
  // CHECK: loom.rope %[[KV8]] heads(2) theta(5.000000e+05) : tensor<2x8x8xf32>
  %r2 = loom.rope %kv8 heads(2) theta(500000.0) : tensor<2x8x8xf32>
  // CHECK: loom.rope %[[KV4]] heads(2) theta(1.000000e+04) {inverse} : tensor<2x8x4xf32>
  %r3 = loom.rope %kv4 heads(2) theta(1.0e+04) {inverse} : tensor<2x8x4xf32>
  return
}

// The inference forms: rope at a run-time position, attention over a
// key/value cache (grouped-query too), a slice of position rows.
// CHECK-LABEL: func.func @inference_ops
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<1x3x16xf32>, %[[KV:[^:]+]]: tensor<1x3x8xf32>, %[[KC:[^:]+]]: tensor<1x20x8xf32>, %[[VC:[^:]+]]: tensor<1x20x8xf32>, %[[TABLE:[^:]+]]: tensor<32x16xf32>, %[[POS:[^:]+]]: index)
func.func @inference_ops(%q: tensor<1x3x16xf32>, %kv: tensor<1x3x8xf32>,
                         %kc: tensor<1x20x8xf32>, %vc: tensor<1x20x8xf32>,
                         %table: tensor<32x16xf32>, %pos: index) {
  // CHECK: loom.rope %[[Q]] at %[[POS]] positions(20) heads(4) theta(1.000000e+04) : tensor<1x3x16xf32>
  %r = loom.rope %q at %pos positions(20) heads(4) theta(10000.0) : tensor<1x3x16xf32>
  // CHECK: loom.rope %[[KV]] at %[[POS]] positions(20) heads(2) theta(1.000000e+04) {inverse} : tensor<1x3x8xf32>
  %ri = loom.rope %kv at %pos positions(20) heads(2) theta(10000.0) {inverse} : tensor<1x3x8xf32>
  // CHECK: %{{.+}}, %{{.+}}, %{{.+}} = loom.cached_attention %[[Q]], %[[KV]], %[[KV]] into %[[KC]], %[[VC]] at %[[POS]] heads(4, 2) : tensor<1x3x16xf32>, tensor<1x3x8xf32>, tensor<1x20x8xf32>
  %o, %kc2, %vc2 = loom.cached_attention %q, %kv, %kv into %kc, %vc at %pos heads(4, 2) : tensor<1x3x16xf32>, tensor<1x3x8xf32>, tensor<1x20x8xf32>
  // CHECK: loom.slice %[[TABLE]] dim(0) offset(0) at %[[POS]] : (tensor<32x16xf32>) -> tensor<3x16xf32>
  %rows = loom.slice %table dim(0) offset(0) at %pos : (tensor<32x16xf32>) -> tensor<3x16xf32>
  // CHECK: loom.slice_grad %{{.+}} dim(0) offset(2) at %[[POS]] : (tensor<3x16xf32>) -> tensor<32x16xf32>
  %back = loom.slice_grad %rows dim(0) offset(2) at %pos : (tensor<3x16xf32>) -> tensor<32x16xf32>
  return
}

//===----------------------------------------------------------------------===//
// ShapeOps: embedding, slice and their gradient ops
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @shape_ops
// CHECK-SAME: (%[[TABLE:[^:]+]]: tensor<50x12xf32>, %[[IDS2:[^:]+]]: tensor<2x8xi32>, %[[IDS1:[^:]+]]: tensor<8xi32>, %[[X:[^:]+]]: tensor<2x8x12xf32>, %[[QKV:[^:]+]]: tensor<2x8x36xf32>, %[[K:[^:]+]]: tensor<2x8x12xf32>, %[[POS:[^:]+]]: tensor<16x12xf32>)
func.func @shape_ops(%table: tensor<50x12xf32>, %ids2: tensor<2x8xi32>, %ids1: tensor<8xi32>,
                     %x: tensor<2x8x12xf32>, %qkv: tensor<2x8x36xf32>,
                     %k: tensor<2x8x12xf32>, %pos: tensor<16x12xf32>) {
  // CHECK: loom.embedding %[[TABLE]], %[[IDS2]] : (tensor<50x12xf32>, tensor<2x8xi32>) -> tensor<2x8x12xf32>
  %0 = loom.embedding %table, %ids2 : (tensor<50x12xf32>, tensor<2x8xi32>) -> tensor<2x8x12xf32>
  // CHECK: loom.embedding %[[TABLE]], %[[IDS1]] : (tensor<50x12xf32>, tensor<8xi32>) -> tensor<8x12xf32>
  %1 = loom.embedding %table, %ids1 : (tensor<50x12xf32>, tensor<8xi32>) -> tensor<8x12xf32>
  // CHECK: loom.embedding_grad %[[IDS2]], %[[X]] : (tensor<2x8xi32>, tensor<2x8x12xf32>) -> tensor<50x12xf32>
  %2 = loom.embedding_grad %ids2, %x : (tensor<2x8xi32>, tensor<2x8x12xf32>) -> tensor<50x12xf32>
  // CHECK: loom.embedding_grad %[[IDS1]], %{{.+}} : (tensor<8xi32>, tensor<8x12xf32>) -> tensor<50x12xf32>
  %3 = loom.embedding_grad %ids1, %1 : (tensor<8xi32>, tensor<8x12xf32>) -> tensor<50x12xf32>

  // The query, key and value parts of a packed projection.
  // CHECK: loom.slice %[[QKV]] dim(2) offset(0) : (tensor<2x8x36xf32>) -> tensor<2x8x12xf32>
  %4 = loom.slice %qkv dim(2) offset(0) : (tensor<2x8x36xf32>) -> tensor<2x8x12xf32>
  // CHECK: loom.slice %[[QKV]] dim(2) offset(12) : (tensor<2x8x36xf32>) -> tensor<2x8x12xf32>
  %5 = loom.slice %qkv dim(2) offset(12) : (tensor<2x8x36xf32>) -> tensor<2x8x12xf32>
  // CHECK: loom.slice %[[QKV]] dim(2) offset(24) : (tensor<2x8x36xf32>) -> tensor<2x8x12xf32>
  %6 = loom.slice %qkv dim(2) offset(24) : (tensor<2x8x36xf32>) -> tensor<2x8x12xf32>
  // The first T rows of a learned position table; slices along the others.
  // CHECK: loom.slice %[[POS]] dim(0) offset(0) : (tensor<16x12xf32>) -> tensor<8x12xf32>
  %7 = loom.slice %pos dim(0) offset(0) : (tensor<16x12xf32>) -> tensor<8x12xf32>
  // CHECK: loom.slice %[[X]] dim(1) offset(3) : (tensor<2x8x12xf32>) -> tensor<2x5x12xf32>
  %8 = loom.slice %x dim(1) offset(3) : (tensor<2x8x12xf32>) -> tensor<2x5x12xf32>
  // CHECK: loom.slice %[[X]] dim(0) offset(1) : (tensor<2x8x12xf32>) -> tensor<1x8x12xf32>
  %9 = loom.slice %x dim(0) offset(1) : (tensor<2x8x12xf32>) -> tensor<1x8x12xf32>

  // CHECK: loom.slice_grad %[[K]] dim(2) offset(12) : (tensor<2x8x12xf32>) -> tensor<2x8x36xf32>
  %10 = loom.slice_grad %k dim(2) offset(12) : (tensor<2x8x12xf32>) -> tensor<2x8x36xf32>
  // CHECK: loom.slice_grad %[[K]] dim(2) offset(24) : (tensor<2x8x12xf32>) -> tensor<2x8x36xf32>
  %11 = loom.slice_grad %k dim(2) offset(24) : (tensor<2x8x12xf32>) -> tensor<2x8x36xf32>
  // CHECK: loom.slice_grad %{{.+}} dim(0) offset(0) : (tensor<8x12xf32>) -> tensor<16x12xf32>
  %12 = loom.slice_grad %7 dim(0) offset(0) : (tensor<8x12xf32>) -> tensor<16x12xf32>
  // CHECK: loom.slice_grad %{{.+}} dim(1) offset(3) : (tensor<2x5x12xf32>) -> tensor<2x8x12xf32>
  %13 = loom.slice_grad %8 dim(1) offset(3) : (tensor<2x5x12xf32>) -> tensor<2x8x12xf32>
  return
}

//===----------------------------------------------------------------------===//
// LossOps: cross_entropy, mse and their gradient ops
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @losses
// CHECK-SAME: (%[[Z2:[^:]+]]: tensor<8x10xf32>, %[[L1:[^:]+]]: tensor<8xi32>, %[[Z3:[^:]+]]: tensor<2x8x10xf32>, %[[L2:[^:]+]]: tensor<2x8xi32>, %[[P:[^:]+]]: tensor<8x3xf32>, %[[T:[^:]+]]: tensor<8x3xf32>, %[[DL:[^:]+]]: tensor<f32>)
func.func @losses(%z2: tensor<8x10xf32>, %l1: tensor<8xi32>,
                  %z3: tensor<2x8x10xf32>, %l2: tensor<2x8xi32>,
                  %p: tensor<8x3xf32>, %t: tensor<8x3xf32>, %dl: tensor<f32>) {
  // CHECK: loom.cross_entropy %[[Z2]], %[[L1]] : tensor<8x10xf32>, tensor<8xi32>
  %0 = loom.cross_entropy %z2, %l1 : tensor<8x10xf32>, tensor<8xi32>
  // CHECK: loom.cross_entropy %[[Z3]], %[[L2]] : tensor<2x8x10xf32>, tensor<2x8xi32>
  %1 = loom.cross_entropy %z3, %l2 : tensor<2x8x10xf32>, tensor<2x8xi32>
  // CHECK: loom.cross_entropy_grad %[[Z2]], %[[L1]], %[[DL]] : tensor<8x10xf32>, tensor<8xi32>
  %2 = loom.cross_entropy_grad %z2, %l1, %dl : tensor<8x10xf32>, tensor<8xi32>
  // CHECK: loom.cross_entropy_grad %[[Z3]], %[[L2]], %[[DL]] : tensor<2x8x10xf32>, tensor<2x8xi32>
  %3 = loom.cross_entropy_grad %z3, %l2, %dl : tensor<2x8x10xf32>, tensor<2x8xi32>

  // CHECK: loom.mse %[[P]], %[[T]] : tensor<8x3xf32>
  %4 = loom.mse %p, %t : tensor<8x3xf32>
  // CHECK: loom.mse %[[Z3]], %[[Z3]] : tensor<2x8x10xf32>
  %5 = loom.mse %z3, %z3 : tensor<2x8x10xf32>
  // CHECK: loom.mse_grad %[[P]], %[[T]], %[[DL]] : tensor<8x3xf32>
  %6 = loom.mse_grad %p, %t, %dl : tensor<8x3xf32>
  // The target's adjoint: the same op with the operands swapped.
  // CHECK: loom.mse_grad %[[T]], %[[P]], %[[DL]] : tensor<8x3xf32>
  %7 = loom.mse_grad %t, %p, %dl : tensor<8x3xf32>
  return
}

//===----------------------------------------------------------------------===//
// OptimizerOps: sgd_update, adamw_update, sum_squares
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @optimizer
// CHECK-SAME: (%[[P:[^:]+]]: tensor<4x3xf32>, %[[G:[^:]+]]: tensor<4x3xf32>, %[[V:[^:]+]]: tensor<4x3xf32>, %[[M:[^:]+]]: tensor<4x3xf32>, %[[B:[^:]+]]: tensor<3xf32>, %[[LR:[^:]+]]: f32, %[[MU:[^:]+]]: f32, %[[B1:[^:]+]]: f32, %[[B2:[^:]+]]: f32, %[[EPS:[^:]+]]: f32, %[[WD:[^:]+]]: f32, %[[STEP:[^:]+]]: i64, %[[S:[^:]+]]: f32)
func.func @optimizer(%p: tensor<4x3xf32>, %g: tensor<4x3xf32>, %v: tensor<4x3xf32>,
                     %m: tensor<4x3xf32>, %b: tensor<3xf32>,
                     %lr: f32, %mu: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32,
                     %step: i64, %s: f32) {
  // CHECK: %{{.+}}, %{{.+}} = loom.sgd_update %[[P]], %[[G]], %[[V]], lr %[[LR]], momentum %[[MU]], scale %[[S]] : tensor<4x3xf32>
  %p2, %v2 = loom.sgd_update %p, %g, %v, lr %lr, momentum %mu, scale %s : tensor<4x3xf32>
  // CHECK: loom.sgd_update %[[B]], %[[B]], %[[B]], lr %[[LR]], momentum %[[MU]], scale %[[S]] : tensor<3xf32>
  %sb:2 = loom.sgd_update %b, %b, %b, lr %lr, momentum %mu, scale %s : tensor<3xf32>
  // CHECK: %{{.+}}, %{{.+}}, %{{.+}} = loom.adamw_update %[[P]], %[[G]], %[[M]], %[[V]], lr %[[LR]], betas %[[B1]], %[[B2]], eps %[[EPS]], weight_decay %[[WD]], step %[[STEP]], scale %[[S]] : tensor<4x3xf32>
  %p3, %m3, %v3 = loom.adamw_update %p, %g, %m, %v, lr %lr, betas %b1, %b2, eps %eps, weight_decay %wd, step %step, scale %s : tensor<4x3xf32>
  // CHECK: loom.adamw_update %[[B]], %[[B]], %[[B]], %[[B]], lr %[[LR]], betas %[[B1]], %[[B2]], eps %[[EPS]], weight_decay %[[WD]], step %[[STEP]], scale %[[S]] : tensor<3xf32>
  %ab:3 = loom.adamw_update %b, %b, %b, %b, lr %lr, betas %b1, %b2, eps %eps, weight_decay %wd, step %step, scale %s : tensor<3xf32>
  // CHECK: loom.sum_squares %[[G]] : tensor<4x3xf32>
  %0 = loom.sum_squares %g : tensor<4x3xf32>
  // CHECK: loom.sum_squares %[[B]] : tensor<3xf32>
  %1 = loom.sum_squares %b : tensor<3xf32>
  return
}

//===----------------------------------------------------------------------===//
// FusedOps: fused_linear, fused_linear_grad
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @fused_linear
// CHECK-SAME: (%[[X:[^:]+]]: tensor<8x4xf32>, %[[X3:[^:]+]]: tensor<2x8x4xf32>, %[[W:[^:]+]]: tensor<4x3xf32>, %[[WT:[^:]+]]: tensor<3x4xf32>, %[[B:[^:]+]]: tensor<3xf32>)
func.func @fused_linear(%x: tensor<8x4xf32>, %x3: tensor<2x8x4xf32>, %w: tensor<4x3xf32>,
                        %wt: tensor<3x4xf32>, %b: tensor<3xf32>) {
  // No activation, no bias: just the product.
  // CHECK: loom.fused_linear none %[[X]], %[[W]] : (tensor<8x4xf32>, tensor<4x3xf32>) -> tensor<8x3xf32>
  %0 = loom.fused_linear none %x, %w : (tensor<8x4xf32>, tensor<4x3xf32>) -> tensor<8x3xf32>
  // CHECK: loom.fused_linear none %[[X]], %[[W]], %[[B]] : (tensor<8x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<8x3xf32>
  %1 = loom.fused_linear none %x, %w, %b : (tensor<8x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<8x3xf32>
  // A residual added in the epilogue, with or without a bias.
  // CHECK: %[[H:.+]] = loom.fused_linear none %[[X]], %[[W]], %[[B]] residual %{{.+}} : (tensor<8x4xf32>, tensor<4x3xf32>, tensor<3xf32>, tensor<8x3xf32>) -> tensor<8x3xf32>
  %h = loom.fused_linear none %x, %w, %b residual %1 : (tensor<8x4xf32>, tensor<4x3xf32>, tensor<3xf32>, tensor<8x3xf32>) -> tensor<8x3xf32>
  // CHECK: loom.fused_linear gelu %[[X]], %[[W]] residual %[[H]] : (tensor<8x4xf32>, tensor<4x3xf32>, tensor<8x3xf32>) -> (tensor<8x3xf32>, tensor<8x3xf32>)
  %hg:2 = loom.fused_linear gelu %x, %w residual %h : (tensor<8x4xf32>, tensor<4x3xf32>, tensor<8x3xf32>) -> (tensor<8x3xf32>, tensor<8x3xf32>)
  // Activations whose gradient needs the output: no pre-activation result.
  // CHECK: loom.fused_linear relu %[[X]], %[[W]], %[[B]] : (tensor<8x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<8x3xf32>
  %2 = loom.fused_linear relu %x, %w, %b : (tensor<8x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<8x3xf32>
  // CHECK: loom.fused_linear tanh %[[X]], %[[W]] : (tensor<8x4xf32>, tensor<4x3xf32>) -> tensor<8x3xf32>
  %3 = loom.fused_linear tanh %x, %w : (tensor<8x4xf32>, tensor<4x3xf32>) -> tensor<8x3xf32>
  // Activations whose gradient needs the input keep the pre-activation.
  // CHECK: %{{.+}}, %{{.+}} = loom.fused_linear gelu %[[X]], %[[W]], %[[B]] : (tensor<8x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> (tensor<8x3xf32>, tensor<8x3xf32>)
  %y, %pre = loom.fused_linear gelu %x, %w, %b : (tensor<8x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> (tensor<8x3xf32>, tensor<8x3xf32>)
  // CHECK: loom.fused_linear gelu_erf %[[X]], %[[W]] : (tensor<8x4xf32>, tensor<4x3xf32>) -> (tensor<8x3xf32>, tensor<8x3xf32>)
  %4:2 = loom.fused_linear gelu_erf %x, %w : (tensor<8x4xf32>, tensor<4x3xf32>) -> (tensor<8x3xf32>, tensor<8x3xf32>)
  // CHECK: loom.fused_linear silu %[[X3]], %[[W]], %[[B]] : (tensor<2x8x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> (tensor<2x8x3xf32>, tensor<2x8x3xf32>)
  %5:2 = loom.fused_linear silu %x3, %w, %b : (tensor<2x8x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> (tensor<2x8x3xf32>, tensor<2x8x3xf32>)
  // ...which is optional (an inference-only forward pass).
  // CHECK: loom.fused_linear gelu %[[X]], %[[W]] : (tensor<8x4xf32>, tensor<4x3xf32>) -> tensor<8x3xf32>
  %6 = loom.fused_linear gelu %x, %w : (tensor<8x4xf32>, tensor<4x3xf32>) -> tensor<8x3xf32>
  // Batch-like rows, and the [out, in] weight layout.
  // CHECK: loom.fused_linear relu %[[X3]], %[[W]] : (tensor<2x8x4xf32>, tensor<4x3xf32>) -> tensor<2x8x3xf32>
  %7 = loom.fused_linear relu %x3, %w : (tensor<2x8x4xf32>, tensor<4x3xf32>) -> tensor<2x8x3xf32>
  // CHECK: loom.fused_linear none %[[X]], %[[WT]] {transpose_weight} : (tensor<8x4xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  %8 = loom.fused_linear none %x, %wt {transpose_weight} : (tensor<8x4xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  // CHECK: loom.fused_linear silu %[[X3]], %[[WT]], %[[B]] {transpose_weight} : (tensor<2x8x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> (tensor<2x8x3xf32>, tensor<2x8x3xf32>)
  %9:2 = loom.fused_linear silu %x3, %wt, %b {transpose_weight} : (tensor<2x8x4xf32>, tensor<3x4xf32>, tensor<3xf32>) -> (tensor<2x8x3xf32>, tensor<2x8x3xf32>)
  return
}

// CHECK-LABEL: func.func @fused_linear_grad
// CHECK-SAME: (%[[X:[^:]+]]: tensor<8x4xf32>, %[[X3:[^:]+]]: tensor<2x8x4xf32>, %[[W:[^:]+]]: tensor<4x3xf32>, %[[WT:[^:]+]]: tensor<3x4xf32>, %[[DY:[^:]+]]: tensor<8x3xf32>, %[[DY3:[^:]+]]: tensor<2x8x3xf32>, %[[SV:[^:]+]]: tensor<8x3xf32>, %[[SV3:[^:]+]]: tensor<2x8x3xf32>)
func.func @fused_linear_grad(%x: tensor<8x4xf32>, %x3: tensor<2x8x4xf32>, %w: tensor<4x3xf32>,
                             %wt: tensor<3x4xf32>, %dy: tensor<8x3xf32>, %dy3: tensor<2x8x3xf32>,
                             %saved: tensor<8x3xf32>, %saved3: tensor<2x8x3xf32>) {
  // Only the weight gradient (a first layer: the input needs no adjoint).
  // CHECK: loom.fused_linear_grad none %[[DY]], %[[X]] : (tensor<8x3xf32>, tensor<8x4xf32>) -> tensor<4x3xf32>
  %0 = loom.fused_linear_grad none %dy, %x : (tensor<8x3xf32>, tensor<8x4xf32>) -> tensor<4x3xf32>
  // Weight and bias gradients.
  // CHECK: loom.fused_linear_grad none %[[DY]], %[[X]] {with_bias} : (tensor<8x3xf32>, tensor<8x4xf32>) -> (tensor<4x3xf32>, tensor<3xf32>)
  %1:2 = loom.fused_linear_grad none %dy, %x {with_bias} : (tensor<8x3xf32>, tensor<8x4xf32>) -> (tensor<4x3xf32>, tensor<3xf32>)
  // Input and weight gradients.
  // CHECK: loom.fused_linear_grad none %[[DY]], %[[X]] weight %[[W]] : (tensor<8x3xf32>, tensor<8x4xf32>, tensor<4x3xf32>) -> (tensor<8x4xf32>, tensor<4x3xf32>)
  %2:2 = loom.fused_linear_grad none %dy, %x weight %w : (tensor<8x3xf32>, tensor<8x4xf32>, tensor<4x3xf32>) -> (tensor<8x4xf32>, tensor<4x3xf32>)
  // All three, through each activation's derivative.
  // Variadic results print as one name with a count.
  // CHECK: %{{.+}}:3 = loom.fused_linear_grad gelu %[[DY]], %[[X]] weight %[[W]] saved %[[SV]] {with_bias} : (tensor<8x3xf32>, tensor<8x4xf32>, tensor<4x3xf32>, tensor<8x3xf32>) -> (tensor<8x4xf32>, tensor<4x3xf32>, tensor<3xf32>)
  %dx, %dw, %db = loom.fused_linear_grad gelu %dy, %x weight %w saved %saved {with_bias} : (tensor<8x3xf32>, tensor<8x4xf32>, tensor<4x3xf32>, tensor<8x3xf32>) -> (tensor<8x4xf32>, tensor<4x3xf32>, tensor<3xf32>)
  // CHECK: loom.fused_linear_grad gelu_erf %[[DY]], %[[X]] weight %[[W]] saved %[[SV]] {with_bias} : (tensor<8x3xf32>, tensor<8x4xf32>, tensor<4x3xf32>, tensor<8x3xf32>) -> (tensor<8x4xf32>, tensor<4x3xf32>, tensor<3xf32>)
  %3:3 = loom.fused_linear_grad gelu_erf %dy, %x weight %w saved %saved {with_bias} : (tensor<8x3xf32>, tensor<8x4xf32>, tensor<4x3xf32>, tensor<8x3xf32>) -> (tensor<8x4xf32>, tensor<4x3xf32>, tensor<3xf32>)
  // CHECK: loom.fused_linear_grad relu %[[DY]], %[[X]] weight %[[W]] saved %[[SV]] {with_bias} : (tensor<8x3xf32>, tensor<8x4xf32>, tensor<4x3xf32>, tensor<8x3xf32>) -> (tensor<8x4xf32>, tensor<4x3xf32>, tensor<3xf32>)
  %4:3 = loom.fused_linear_grad relu %dy, %x weight %w saved %saved {with_bias} : (tensor<8x3xf32>, tensor<8x4xf32>, tensor<4x3xf32>, tensor<8x3xf32>) -> (tensor<8x4xf32>, tensor<4x3xf32>, tensor<3xf32>)
  // CHECK: loom.fused_linear_grad tanh %[[DY]], %[[X]] saved %[[SV]] : (tensor<8x3xf32>, tensor<8x4xf32>, tensor<8x3xf32>) -> tensor<4x3xf32>
  %5 = loom.fused_linear_grad tanh %dy, %x saved %saved : (tensor<8x3xf32>, tensor<8x4xf32>, tensor<8x3xf32>) -> tensor<4x3xf32>
  // CHECK: loom.fused_linear_grad silu %[[DY]], %[[X]] saved %[[SV]] {with_bias} : (tensor<8x3xf32>, tensor<8x4xf32>, tensor<8x3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>)
  %6:2 = loom.fused_linear_grad silu %dy, %x saved %saved {with_bias} : (tensor<8x3xf32>, tensor<8x4xf32>, tensor<8x3xf32>) -> (tensor<4x3xf32>, tensor<3xf32>)
  // Batch-like rows.
  // CHECK: loom.fused_linear_grad gelu %[[DY3]], %[[X3]] weight %[[W]] saved %[[SV3]] {with_bias} : (tensor<2x8x3xf32>, tensor<2x8x4xf32>, tensor<4x3xf32>, tensor<2x8x3xf32>) -> (tensor<2x8x4xf32>, tensor<4x3xf32>, tensor<3xf32>)
  %7:3 = loom.fused_linear_grad gelu %dy3, %x3 weight %w saved %saved3 {with_bias} : (tensor<2x8x3xf32>, tensor<2x8x4xf32>, tensor<4x3xf32>, tensor<2x8x3xf32>) -> (tensor<2x8x4xf32>, tensor<4x3xf32>, tensor<3xf32>)
  // The [out, in] weight layout: the weight gradient is transposed too.
  // CHECK: loom.fused_linear_grad none %[[DY]], %[[X]] weight %[[WT]] {transpose_weight} : (tensor<8x3xf32>, tensor<8x4xf32>, tensor<3x4xf32>) -> (tensor<8x4xf32>, tensor<3x4xf32>)
  %8:2 = loom.fused_linear_grad none %dy, %x weight %wt {transpose_weight} : (tensor<8x3xf32>, tensor<8x4xf32>, tensor<3x4xf32>) -> (tensor<8x4xf32>, tensor<3x4xf32>)
  // CHECK: loom.fused_linear_grad silu %[[DY3]], %[[X3]] weight %[[WT]] saved %[[SV3]] {transpose_weight, with_bias} : (tensor<2x8x3xf32>, tensor<2x8x4xf32>, tensor<3x4xf32>, tensor<2x8x3xf32>) -> (tensor<2x8x4xf32>, tensor<3x4xf32>, tensor<3xf32>)
  %9:3 = loom.fused_linear_grad silu %dy3, %x3 weight %wt saved %saved3 {with_bias, transpose_weight} : (tensor<2x8x3xf32>, tensor<2x8x4xf32>, tensor<3x4xf32>, tensor<2x8x3xf32>) -> (tensor<2x8x4xf32>, tensor<3x4xf32>, tensor<3xf32>)
  // CHECK: loom.fused_linear_grad none %[[DY3]], %[[X3]] {transpose_weight} : (tensor<2x8x3xf32>, tensor<2x8x4xf32>) -> tensor<3x4xf32>
  %10 = loom.fused_linear_grad none %dy3, %x3 {transpose_weight} : (tensor<2x8x3xf32>, tensor<2x8x4xf32>) -> tensor<3x4xf32>
  return
}

//===----------------------------------------------------------------------===//
// RuntimeOps: gradient_ready
//===----------------------------------------------------------------------===//

// The updates also run on 1-D tensors of a length known at run time (a
// ZeRO-1 shard of a parameter).
// CHECK-LABEL: func.func @update_of_a_shard
// CHECK: loom.adamw_update {{.+}} : tensor<?xf32>
// CHECK: loom.sgd_update {{.+}} : tensor<?xf32>
// CHECK: loom.sum_squares %{{.+}} : tensor<?xf32>
func.func @update_of_a_shard(%p: tensor<?xf32>, %lr: f32, %step: i64) {
  %0:3 = loom.adamw_update %p, %p, %p, %p, lr %lr, betas %lr, %lr, eps %lr, weight_decay %lr, step %step, scale %lr : tensor<?xf32>
  %1:2 = loom.sgd_update %p, %p, %p, lr %lr, momentum %lr, scale %lr : tensor<?xf32>
  %2 = loom.sum_squares %p : tensor<?xf32>
  return
}

// CHECK-LABEL: func.func @gradient_ready
// CHECK-SAME: (%{{[^:]+}}: memref<4x3xf32> {loom.param = "w"}, %[[DW:[^:]+]]: memref<4x3xf32> {loom.grad = "w"})
// CHECK: loom.gradient_ready %[[DW]] : memref<4x3xf32>
func.func @gradient_ready(%w: memref<4x3xf32> {loom.param = "w"},
                          %dw: memref<4x3xf32> {loom.grad = "w"}) {
  loom.gradient_ready %dw : memref<4x3xf32>
  return
}

// CHECK-LABEL: func.func @table_buffer
// CHECK-SAME: %[[TABLE:[^:]+]]: !llvm.ptr {loom.buffer_table}
// CHECK: loom.table_buffer %[[TABLE]][%{{.+}}] : !llvm.ptr -> memref<4x3xf32>
// CHECK: loom.table_buffer %[[TABLE]][%{{.+}}] : !llvm.ptr -> memref<f32>
func.func @table_buffer(%i: index, %table: !llvm.ptr {loom.buffer_table}) {
  %0 = loom.table_buffer %table[%i] : !llvm.ptr -> memref<4x3xf32>
  %1 = loom.table_buffer %table[%i] : !llvm.ptr -> memref<f32>
  return
}

// f64, as -loom-compute-in-f64 leaves an fp64 build's entry points: the
// same ops, the loss's scalar type inferred from its operand.
// CHECK-LABEL: func.func @in_f64
// CHECK: loom.matmul %{{.+}}, %{{.+}} : (tensor<8x4xf64>, tensor<4x10xf64>) -> tensor<8x10xf64>
// CHECK: loom.layer_norm %{{.+}}, %{{.+}}, %{{.+}} epsilon({{.+}}) : tensor<8x10xf64>, tensor<10xf64>
// CHECK: %[[LOSS:.+]] = loom.cross_entropy %{{.+}}, %{{.+}} : tensor<8x10xf64>, tensor<8xi32>
// CHECK: loom.cross_entropy_grad %{{.+}}, %{{.+}}, %[[LOSS]] : tensor<8x10xf64>, tensor<8xi32>
// CHECK: loom.mse %{{.+}}, %{{.+}} : tensor<8x10xf64>
// CHECK: return %[[LOSS]] : tensor<f64>
func.func @in_f64(%x: tensor<8x4xf64>, %w: tensor<4x10xf64>, %g: tensor<10xf64>,
                  %b: tensor<10xf64>, %labels: tensor<8xi32>) -> tensor<f64> {
  %y = loom.matmul %x, %w : (tensor<8x4xf64>, tensor<4x10xf64>) -> tensor<8x10xf64>
  %n = loom.layer_norm %y, %g, %b epsilon(1.0e-05) : tensor<8x10xf64>, tensor<10xf64>
  %loss = loom.cross_entropy %n, %labels : tensor<8x10xf64>, tensor<8xi32>
  %dn = loom.cross_entropy_grad %n, %labels, %loss : tensor<8x10xf64>, tensor<8xi32>
  %m = loom.mse %n, %dn : tensor<8x10xf64>
  return %loss : tensor<f64>
}
