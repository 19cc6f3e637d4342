// RUN: loom-opt %s -split-input-file -loom-autodiff | FileCheck %s

// The gradient function returns the loss, then one gradient per parameter in
// argument order. x is an input, so no dX product is built for it.

// CHECK-LABEL: func.func @linear_layer_grad
// CHECK-SAME: (%[[X:.+]]: tensor<8x4xf32> {loom.input = "x"}, %[[W:.+]]: tensor<4x3xf32> {loom.param = "w"}, %[[T:.+]]: tensor<8x3xf32> {loom.input = "t"})
// CHECK-SAME: -> (tensor<f32>, tensor<4x3xf32> {loom.grad = "w"})
// CHECK: %[[Y:.+]] = loom.matmul %[[X]], %[[W]]
// CHECK: %[[L:.+]] = loom.mse %[[Y]], %[[T]]
// CHECK: %[[ONE:.+]] = arith.constant dense<1.000000e+00> : tensor<f32>
// CHECK: %[[DY:.+]] = loom.mse_grad %[[Y]], %[[T]], %[[ONE]]
// CHECK-NOT: loom.matmul %[[DY]], %[[W]] {transpose_rhs}
// CHECK: %[[DW:.+]] = loom.matmul %[[X]], %[[DY]] {transpose_lhs} : (tensor<8x4xf32>, tensor<8x3xf32>) -> tensor<4x3xf32>
// CHECK: return %[[L]], %[[DW]]
func.func @linear_layer(%x: tensor<8x4xf32> {loom.input = "x"}, %w: tensor<4x3xf32> {loom.param = "w"},
                   %t: tensor<8x3xf32> {loom.input = "t"}) -> tensor<f32> {
  %y = loom.matmul %x, %w : (tensor<8x4xf32>, tensor<4x3xf32>) -> tensor<8x3xf32>
  %l = loom.mse %y, %t : tensor<8x3xf32>
  return %l : tensor<f32>
}

// -----

// Matmul with both operands parameters, and transposed: each transpose case
// differentiates without building a transposed copy.

// CHECK-LABEL: func.func @transposed_products_grad
// CHECK-SAME: %[[A:[^:]+]]: tensor<4x8xf32> {loom.param = "a"}, %[[B:[^:]+]]: tensor<3x4xf32> {loom.param = "b"}
// CHECK: %[[C:.+]] = loom.matmul %[[A]], %[[B]] {transpose_lhs, transpose_rhs}
// CHECK: %[[DC:.+]] = loom.mse_grad
// CHECK-DAG: loom.matmul %[[B]], %[[DC]] {transpose_lhs, transpose_rhs} : (tensor<3x4xf32>, tensor<8x3xf32>) -> tensor<4x8xf32>
// CHECK-DAG: loom.matmul %[[DC]], %[[A]] {transpose_lhs, transpose_rhs} : (tensor<8x3xf32>, tensor<4x8xf32>) -> tensor<3x4xf32>
func.func @transposed_products(%a: tensor<4x8xf32> {loom.param = "a"}, %b: tensor<3x4xf32> {loom.param = "b"},
                   %t: tensor<8x3xf32> {loom.input = "t"}) -> tensor<f32> {
  %c = loom.matmul %a, %b {transpose_lhs, transpose_rhs} : (tensor<4x8xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  %l = loom.mse %c, %t : tensor<8x3xf32>
  return %l : tensor<f32>
}

// -----

// A broadcast bias gets its adjoint summed over rows; GELU saves its input,
// tanh and ReLU their outputs.

// CHECK-LABEL: func.func @bias_and_activations_grad
// CHECK: %[[PRE:.+]] = loom.add %{{.+}}, %[[BIAS:.+]] : (tensor<8x3xf32>, tensor<3xf32>)
// CHECK: %[[G:.+]] = loom.gelu %[[PRE]]
// CHECK: %[[R:.+]] = loom.relu %[[G]]
// CHECK: %[[T:.+]] = loom.tanh %[[R]]
// CHECK: %[[DT:.+]] = loom.mse_grad %[[T]]
// CHECK: %[[DR:.+]] = loom.activation_grad tanh %[[T]], %[[DT]]
// CHECK: %[[DG:.+]] = loom.activation_grad relu %[[R]], %[[DR]]
// CHECK: %[[DPRE:.+]] = loom.activation_grad gelu %[[PRE]], %[[DG]]
// CHECK: %[[DB:.+]] = loom.reduce_sum %[[DPRE]] : (tensor<8x3xf32>) -> tensor<3xf32>
// CHECK: return %{{.+}}, %[[DB]]
func.func @bias_and_activations(%x: tensor<8x3xf32> {loom.input = "x"}, %b: tensor<3xf32> {loom.param = "b"},
                   %t: tensor<8x3xf32> {loom.input = "t"}) -> tensor<f32> {
  %pre = loom.add %x, %b : (tensor<8x3xf32>, tensor<3xf32>) -> tensor<8x3xf32>
  %g = loom.gelu %pre : tensor<8x3xf32>
  %r = loom.relu %g : tensor<8x3xf32>
  %h = loom.tanh %r : tensor<8x3xf32>
  %l = loom.mse %h, %t : tensor<8x3xf32>
  return %l : tensor<f32>
}

// -----

// A value with two uses gets the sum of both adjoints. Cross-entropy's labels
// get no gradient.

// CHECK-LABEL: func.func @value_used_twice_grad
// CHECK: %[[H:.+]] = loom.gelu %[[W:[^ ]+]]
// CHECK: %[[S:.+]] = loom.add %[[H]], %[[H]]
// CHECK: %[[DS:.+]] = loom.cross_entropy_grad %[[S]], %{{.+}}, %{{.+}} : tensor<8x3xf32>, tensor<8xi32>
// CHECK: %[[DH:.+]] = loom.add %[[DS]], %[[DS]]
// CHECK: %[[DW:.+]] = loom.activation_grad gelu %[[W]], %[[DH]]
// CHECK: return %{{.+}}, %[[DW]]
func.func @value_used_twice(%w: tensor<8x3xf32> {loom.param = "w"}, %labels: tensor<8xi32> {loom.input = "labels"}) -> tensor<f32> {
  %h = loom.gelu %w : tensor<8x3xf32>
  %s = loom.add %h, %h : (tensor<8x3xf32>, tensor<8x3xf32>) -> tensor<8x3xf32>
  %l = loom.cross_entropy %s, %labels : tensor<8x3xf32>, tensor<8xi32>
  return %l : tensor<f32>
}

// -----

// mse differentiates both of its operands when both depend on parameters.

// CHECK-LABEL: func.func @mse_of_two_parameters_grad
// CHECK-SAME: %[[P:[^:]+]]: tensor<4xf32> {loom.param = "p"}, %[[Q:[^:]+]]: tensor<4xf32> {loom.param = "q"}
// CHECK-DAG: %[[DP:.+]] = loom.mse_grad %[[P]], %[[Q]]
// CHECK-DAG: %[[DQ:.+]] = loom.mse_grad %[[Q]], %[[P]]
// CHECK: return %{{.+}}, %[[DP]], %[[DQ]]
func.func @mse_of_two_parameters(%p: tensor<4xf32> {loom.param = "p"}, %q: tensor<4xf32> {loom.param = "q"}) -> tensor<f32> {
  %l = loom.mse %p, %q : tensor<4xf32>
  return %l : tensor<f32>
}
