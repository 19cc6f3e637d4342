// RUN: loom-opt %s -split-input-file -loom-rematerialize | FileCheck %s

// A pre-norm layer after fusion. The backward pass (everything after the
// cross_entropy whose loss the function returns) reads the layer norm's
// output and the GELU layer's output; both are recomputed right before
// their first backward use, from values the backward pass reads anyway
// (x, for the layer norm's gradient; the pre-activation, for GELU's
// derivative). Forward uses keep the forward values.

// CHECK-LABEL: func.func @pre_norm_layer
// CHECK-SAME: (%[[X:[^:]+]]: tensor<8x4xf32>, %{{[^:]+}}: tensor<8xi32>, %[[G:[^:]+]]: tensor<4xf32>, %[[B:[^:]+]]: tensor<4xf32>, %[[W1:[^:]+]]: tensor<4x16xf32>, %[[W2:[^:]+]]: tensor<16x4xf32>)
// CHECK: %[[N:.+]] = loom.layer_norm %[[X]], %[[G]], %[[B]]
// CHECK: %[[H:.+]], %[[PRE:.+]] = loom.fused_linear gelu %[[N]], %[[W1]]
// CHECK: %[[Y:.+]] = loom.fused_linear none %[[H]], %[[W2]]
// CHECK: %[[LOSS:.+]] = loom.cross_entropy %[[Y]]
// CHECK: %[[DY:.+]] = loom.cross_entropy_grad
// CHECK-NEXT: %[[H2:.+]] = loom.gelu %[[PRE]] {loom.recomputed} : tensor<8x16xf32>
// CHECK-NEXT: %[[G2:.+]]:2 = loom.fused_linear_grad none %[[DY]], %[[H2]] weight %[[W2]]
// CHECK-NEXT: %[[N2:.+]] = loom.layer_norm %[[X]], %[[G]], %[[B]] epsilon({{.+}}) {loom.recomputed}
// CHECK-NEXT: %[[G1:.+]]:2 = loom.fused_linear_grad gelu %[[G2]]#0, %[[N2]] weight %[[W1]] saved %[[PRE]]
// CHECK-NEXT: loom.layer_norm_grad %[[X]], %[[G]], %[[G1]]#0
// CHECK-NOT: loom.layer_norm %
// CHECK-NOT: loom.gelu
// CHECK: return %[[LOSS]]
func.func @pre_norm_layer(%x: tensor<8x4xf32>, %labels: tensor<8xi32>, %g: tensor<4xf32>, %b: tensor<4xf32>,
                          %w1: tensor<4x16xf32>, %w2: tensor<16x4xf32>)
    -> (tensor<f32>, tensor<8x4xf32>, tensor<4x16xf32>, tensor<16x4xf32>) {
  %n = loom.layer_norm %x, %g, %b epsilon(1.0e-5) : tensor<8x4xf32>, tensor<4xf32>
  %h, %pre = loom.fused_linear gelu %n, %w1 : (tensor<8x4xf32>, tensor<4x16xf32>) -> (tensor<8x16xf32>, tensor<8x16xf32>)
  %y = loom.fused_linear none %h, %w2 : (tensor<8x16xf32>, tensor<16x4xf32>) -> tensor<8x4xf32>
  %loss = loom.cross_entropy %y, %labels : tensor<8x4xf32>, tensor<8xi32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %dy = loom.cross_entropy_grad %y, %labels, %one : tensor<8x4xf32>, tensor<8xi32>
  %g2:2 = loom.fused_linear_grad none %dy, %h weight %w2 : (tensor<8x4xf32>, tensor<8x16xf32>, tensor<16x4xf32>) -> (tensor<8x16xf32>, tensor<16x4xf32>)
  %g1:2 = loom.fused_linear_grad gelu %g2#0, %n weight %w1 saved %pre : (tensor<8x16xf32>, tensor<8x4xf32>, tensor<4x16xf32>, tensor<8x16xf32>) -> (tensor<8x4xf32>, tensor<4x16xf32>)
  %dx, %dg, %db = loom.layer_norm_grad %x, %g, %g1#0 epsilon(1.0e-5) : tensor<8x4xf32>, tensor<4xf32>
  return %loss, %dx, %g1#1, %g2#1 : tensor<f32>, tensor<8x4xf32>, tensor<4x16xf32>, tensor<16x4xf32>
}

// -----

// Left alone: a normalization whose input the backward pass does not read
// (recomputing it would keep that input alive instead), a value with no
// backward use, and an activation whose output is what its derivative
// reads (relu: no pre-activation to recompute it from).

// CHECK-LABEL: func.func @nothing_to_gain
// CHECK: loom.rms_norm
// CHECK: loom.fused_linear relu
// CHECK: loom.cross_entropy
// CHECK-NOT: loom.rms_norm
// CHECK-NOT: loom.relu
// CHECK-NOT: loom.gelu
// CHECK: return
func.func @nothing_to_gain(%x: tensor<8x4xf32>, %labels: tensor<8xi32>, %g: tensor<4xf32>, %w: tensor<4x4xf32>)
    -> (tensor<f32>, tensor<4x4xf32>) {
  %a = loom.add %x, %x : (tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<8x4xf32>
  %n = loom.rms_norm %a, %g epsilon(1.0e-5) : tensor<8x4xf32>, tensor<4xf32>
  %r = loom.fused_linear relu %n, %w : (tensor<8x4xf32>, tensor<4x4xf32>) -> tensor<8x4xf32>
  %loss = loom.cross_entropy %r, %labels : tensor<8x4xf32>, tensor<8xi32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %dr = loom.cross_entropy_grad %r, %labels, %one : tensor<8x4xf32>, tensor<8xi32>
  %gw:1 = loom.fused_linear_grad relu %dr, %n saved %r : (tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>) -> (tensor<4x4xf32>)
  return %loss, %gw#0 : tensor<f32>, tensor<4x4xf32>
}

// -----

// A function without a backward pass (eval_loss) is unchanged.

// CHECK-LABEL: func.func @eval_loss
// CHECK-COUNT-1: loom.layer_norm
// CHECK-NOT: loom.layer_norm
func.func @eval_loss(%x: tensor<8x4xf32>, %labels: tensor<8xi32>, %g: tensor<4xf32>, %b: tensor<4xf32>) -> f32 {
  %n = loom.layer_norm %x, %g, %b epsilon(1.0e-5) : tensor<8x4xf32>, tensor<4xf32>
  %loss = loom.cross_entropy %n, %labels : tensor<8x4xf32>, tensor<8xi32>
  %l = tensor.extract %loss[] : tensor<f32>
  return %l : f32
}
