// RUN: loom-opt %s | loom-opt | FileCheck %s
// RUN: loom-opt %s --mlir-print-op-generic | loom-opt | FileCheck %s

// Every loom op prints in its custom form and parses back to the same IR.

// CHECK-LABEL: func.func @forward_ops
// CHECK-SAME: loom.init = #loom.init<normal(0.02)>, loom.param = "fc.weight"
// CHECK-SAME: loom.init = #loom.init<uniform(-0.5, 0.5)>, loom.param = "fc.bias"
func.func @forward_ops(%x: tensor<8x4xf32> {loom.input = "x"},
                       %w: tensor<4x3xf32> {loom.param = "fc.weight", loom.init = #loom.init<normal(0.02)>},
                       %b: tensor<3xf32> {loom.param = "fc.bias", loom.init = #loom.init<uniform(-0.5, 0.5)>},
                       %labels: tensor<8xi32> {loom.input = "labels"},
                       %target: tensor<8x3xf32>) -> (tensor<f32>, tensor<f32>) {
  // CHECK: %[[XW:.+]] = loom.matmul %{{.+}}, %{{.+}} : (tensor<8x4xf32>, tensor<4x3xf32>) -> tensor<8x3xf32>
  %0 = loom.matmul %x, %w : (tensor<8x4xf32>, tensor<4x3xf32>) -> tensor<8x3xf32>
  // CHECK: loom.matmul %{{.+}}, %{{.+}} {transpose_lhs, transpose_rhs} : (tensor<4x8xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  %xt = loom.zeros : tensor<4x8xf32>
  %wt = loom.zeros : tensor<3x4xf32>
  %t = loom.matmul %xt, %wt {transpose_lhs, transpose_rhs} : (tensor<4x8xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  // CHECK: %[[PRE:.+]] = loom.add %[[XW]], %{{.+}} : (tensor<8x3xf32>, tensor<3xf32>) -> tensor<8x3xf32>
  %1 = loom.add %0, %b : (tensor<8x3xf32>, tensor<3xf32>) -> tensor<8x3xf32>
  // CHECK: loom.gelu %[[PRE]] : tensor<8x3xf32>
  %2 = loom.gelu %1 : tensor<8x3xf32>
  // CHECK: loom.relu %{{.+}} : tensor<8x3xf32>
  %3 = loom.relu %2 : tensor<8x3xf32>
  // CHECK: loom.tanh %{{.+}} : tensor<8x3xf32>
  %4 = loom.tanh %3 : tensor<8x3xf32>
  // CHECK: loom.cross_entropy %{{.+}}, %{{.+}} : (tensor<8x3xf32>, tensor<8xi32>) -> tensor<f32>
  %ce = loom.cross_entropy %4, %labels : (tensor<8x3xf32>, tensor<8xi32>) -> tensor<f32>
  // CHECK: loom.mse %{{.+}}, %{{.+}} : (tensor<8x3xf32>, tensor<8x3xf32>) -> tensor<f32>
  %mse = loom.mse %t, %target : (tensor<8x3xf32>, tensor<8x3xf32>) -> tensor<f32>
  return %ce, %mse : tensor<f32>, tensor<f32>
}

// CHECK-LABEL: func.func @gradient_ops
func.func @gradient_ops(%x: tensor<8x3xf32>, %dy: tensor<8x3xf32>, %labels: tensor<8xi32>,
                        %dl: tensor<f32>) -> (tensor<8x3xf32>, tensor<3xf32>, tensor<8x3xf32>, tensor<8x3xf32>, tensor<8x3xf32>) {
  // CHECK: loom.activation_grad gelu %{{.+}}, %{{.+}} : tensor<8x3xf32>
  %0 = loom.activation_grad gelu %x, %dy : tensor<8x3xf32>
  // CHECK: loom.activation_grad tanh %{{.+}}, %{{.+}} : tensor<8x3xf32>
  %1 = loom.activation_grad tanh %x, %0 : tensor<8x3xf32>
  // CHECK: loom.reduce_sum %{{.+}} : (tensor<8x3xf32>) -> tensor<3xf32>
  %2 = loom.reduce_sum %1 : (tensor<8x3xf32>) -> tensor<3xf32>
  // CHECK: loom.cross_entropy_grad %{{.+}}, %{{.+}}, %{{.+}} : (tensor<8x3xf32>, tensor<8xi32>, tensor<f32>) -> tensor<8x3xf32>
  %3 = loom.cross_entropy_grad %x, %labels, %dl : (tensor<8x3xf32>, tensor<8xi32>, tensor<f32>) -> tensor<8x3xf32>
  // CHECK: loom.mse_grad %{{.+}}, %{{.+}}, %{{.+}} : (tensor<8x3xf32>, tensor<8x3xf32>, tensor<f32>) -> tensor<8x3xf32>
  %4 = loom.mse_grad %x, %dy, %dl : (tensor<8x3xf32>, tensor<8x3xf32>, tensor<f32>) -> tensor<8x3xf32>
  // CHECK: loom.zeros : tensor<8x3xf32>
  %5 = loom.zeros : tensor<8x3xf32>
  return %1, %2, %3, %4, %5 : tensor<8x3xf32>, tensor<3xf32>, tensor<8x3xf32>, tensor<8x3xf32>, tensor<8x3xf32>
}

// CHECK-LABEL: func.func @sgd_update
func.func @sgd_update(%p: tensor<4x3xf32>, %g: tensor<4x3xf32>, %v: tensor<4x3xf32>,
                      %lr: f32, %mu: f32) -> (tensor<4x3xf32>, tensor<4x3xf32>) {
  // CHECK: loom.sgd_update %{{.+}}, %{{.+}}, %{{.+}}, lr %{{.+}}, momentum %{{.+}} : tensor<4x3xf32>
  %p2, %v2 = loom.sgd_update %p, %g, %v, lr %lr, momentum %mu : tensor<4x3xf32>
  return %p2, %v2 : tensor<4x3xf32>, tensor<4x3xf32>
}

// CHECK-LABEL: func.func @fused_ops
func.func @fused_ops(%x: tensor<8x4xf32>, %w: tensor<4x3xf32>, %b: tensor<3xf32>,
                     %dy: tensor<8x3xf32>) -> (tensor<8x3xf32>, tensor<8x3xf32>, tensor<4x3xf32>) {
  // CHECK: loom.fused_linear gelu %{{.+}}, %{{.+}}, %{{.+}} : (tensor<8x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> (tensor<8x3xf32>, tensor<8x3xf32>)
  %y, %pre = loom.fused_linear gelu %x, %w, %b : (tensor<8x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> (tensor<8x3xf32>, tensor<8x3xf32>)
  // CHECK: loom.fused_linear none %{{.+}}, %{{.+}} : (tensor<8x4xf32>, tensor<4x3xf32>) -> tensor<8x3xf32>
  %z = loom.fused_linear none %x, %w : (tensor<8x4xf32>, tensor<4x3xf32>) -> tensor<8x3xf32>
  // CHECK: loom.fused_linear_grad gelu %{{.+}}, %{{.+}} weight %{{.+}} saved %{{.+}} {with_bias} : (tensor<8x3xf32>, tensor<8x4xf32>, tensor<4x3xf32>, tensor<8x3xf32>) -> (tensor<8x4xf32>, tensor<4x3xf32>, tensor<3xf32>)
  %dx, %dw, %db = loom.fused_linear_grad gelu %dy, %x weight %w saved %pre {with_bias} : (tensor<8x3xf32>, tensor<8x4xf32>, tensor<4x3xf32>, tensor<8x3xf32>) -> (tensor<8x4xf32>, tensor<4x3xf32>, tensor<3xf32>)
  // CHECK: loom.fused_linear_grad none %{{.+}}, %{{.+}} : (tensor<8x3xf32>, tensor<8x4xf32>) -> tensor<4x3xf32>
  %dw2 = loom.fused_linear_grad none %dy, %x : (tensor<8x3xf32>, tensor<8x4xf32>) -> tensor<4x3xf32>
  return %y, %z, %dw2 : tensor<8x3xf32>, tensor<8x3xf32>, tensor<4x3xf32>
}
