// RUN: loom-opt %s -split-input-file -loom-autodiff -loom-fuse-linear 2>/dev/null | FileCheck %s
// RUN: loom-opt %s -split-input-file -loom-autodiff -loom-fuse-linear -verify-diagnostics -o /dev/null

// A GELU layer on an input and a linear read-out: both fuse forward; the
// GELU layer keeps its pre-activation for the backward pass, which fuses the
// GELU derivative, the bias reduction and the weight-gradient product (no
// input gradient: x is an input). The read-out's backward fuses the bias
// reduction with both products.

// CHECK-LABEL: func.func @gelu_layer_and_readout_grad
// CHECK-SAME: %[[X:[^:]+]]: tensor<8x4xf32> {loom.input = "x"}
// CHECK-SAME: %[[W1:[^:]+]]: tensor<4x16xf32> {loom.param = "fc1.weight"}, %[[B1:[^:]+]]: tensor<16xf32> {loom.param = "fc1.bias"}
// CHECK-SAME: %[[W2:[^:]+]]: tensor<16x3xf32> {loom.param = "fc2.weight"}, %[[B2:[^:]+]]: tensor<3xf32> {loom.param = "fc2.bias"}
// CHECK: %[[H:.+]], %[[PRE:.+]] = loom.fused_linear gelu %[[X]], %[[W1]], %[[B1]] : (tensor<8x4xf32>, tensor<4x16xf32>, tensor<16xf32>) -> (tensor<8x16xf32>, tensor<8x16xf32>)
// CHECK: %[[Z:.+]] = loom.fused_linear none %[[H]], %[[W2]], %[[B2]] : (tensor<8x16xf32>, tensor<16x3xf32>, tensor<3xf32>) -> tensor<8x3xf32>
// CHECK-NOT: loom.matmul
// CHECK: %[[DZ:.+]] = loom.cross_entropy_grad %[[Z]]
// CHECK: %[[G2:.+]]:3 = loom.fused_linear_grad none %[[DZ]], %[[H]] weight %[[W2]] {with_bias} : (tensor<8x3xf32>, tensor<8x16xf32>, tensor<16x3xf32>) -> (tensor<8x16xf32>, tensor<16x3xf32>, tensor<3xf32>)
// CHECK: %[[G1:.+]]:2 = loom.fused_linear_grad gelu %[[G2]]#0, %[[X]] saved %[[PRE]] {with_bias} : (tensor<8x16xf32>, tensor<8x4xf32>, tensor<8x16xf32>) -> (tensor<4x16xf32>, tensor<16xf32>)
// CHECK-NOT: loom.activation_grad
// CHECK-NOT: loom.reduce_sum
// CHECK-NOT: loom.matmul
// CHECK: return %{{.+}}, %[[G1]]#0, %[[G1]]#1, %[[G2]]#1, %[[G2]]#2
func.func @gelu_layer_and_readout(%x: tensor<8x4xf32> {loom.input = "x"}, %labels: tensor<8xi32> {loom.input = "labels"},
                   %w1: tensor<4x16xf32> {loom.param = "fc1.weight"}, %b1: tensor<16xf32> {loom.param = "fc1.bias"},
                   %w2: tensor<16x3xf32> {loom.param = "fc2.weight"}, %b2: tensor<3xf32> {loom.param = "fc2.bias"}) -> tensor<f32> {
  // expected-remark @+2 {{fused matmul + bias + gelu (forward)}}
  // expected-remark @+1 {{fused gelu derivative + bias gradient + weight gradient (backward)}}
  %0 = loom.matmul %x, %w1 : (tensor<8x4xf32>, tensor<4x16xf32>) -> tensor<8x16xf32>
  %1 = loom.add %0, %b1 : (tensor<8x16xf32>, tensor<16xf32>) -> tensor<8x16xf32>
  %2 = loom.gelu %1 : tensor<8x16xf32>
  // expected-remark @+2 {{fused matmul + bias (forward)}}
  // expected-remark @+1 {{fused output gradient + bias gradient + weight gradient + input gradient (backward)}}
  %3 = loom.matmul %2, %w2 : (tensor<8x16xf32>, tensor<16x3xf32>) -> tensor<8x3xf32>
  %4 = loom.add %3, %b2 : (tensor<8x3xf32>, tensor<3xf32>) -> tensor<8x3xf32>
  %l = loom.cross_entropy %4, %labels : tensor<8x3xf32>, tensor<8xi32>
  return %l : tensor<f32>
}

// -----

// ReLU and tanh need only their output in the backward pass: no
// pre-activation result. A chain without bias fuses too.

// CHECK-LABEL: func.func @relu_and_tanh_layers_grad
// CHECK: %[[R:.+]] = loom.fused_linear relu %{{.+}}, %{{.+}}, %{{.+}} : (tensor<8x4xf32>, tensor<4x4xf32>, tensor<4xf32>) -> tensor<8x4xf32>
// CHECK: %[[T:.+]] = loom.fused_linear tanh %[[R]], %{{.+}} : (tensor<8x4xf32>, tensor<4x2xf32>) -> tensor<8x2xf32>
// CHECK: %[[DT:.+]] = loom.mse_grad %[[T]]
// CHECK: %[[G2:.+]]:2 = loom.fused_linear_grad tanh %[[DT]], %[[R]] weight %{{.+}} saved %[[T]] : (tensor<8x2xf32>, tensor<8x4xf32>, tensor<4x2xf32>, tensor<8x2xf32>) -> (tensor<8x4xf32>, tensor<4x2xf32>)
// CHECK: loom.fused_linear_grad relu %[[G2]]#0, %{{.+}} saved %[[R]] {with_bias}
func.func @relu_and_tanh_layers(%x: tensor<8x4xf32> {loom.input = "x"}, %t: tensor<8x2xf32> {loom.input = "t"},
                   %w1: tensor<4x4xf32> {loom.param = "w1"}, %b1: tensor<4xf32> {loom.param = "b1"},
                   %w2: tensor<4x2xf32> {loom.param = "w2"}) -> tensor<f32> {
  // expected-remark @+2 {{fused matmul + bias + relu (forward)}}
  // expected-remark @+1 {{fused relu derivative + bias gradient + weight gradient (backward)}}
  %0 = loom.matmul %x, %w1 : (tensor<8x4xf32>, tensor<4x4xf32>) -> tensor<8x4xf32>
  %1 = loom.add %0, %b1 : (tensor<8x4xf32>, tensor<4xf32>) -> tensor<8x4xf32>
  %2 = loom.relu %1 : tensor<8x4xf32>
  // expected-remark @+2 {{fused matmul + tanh (forward)}}
  // expected-remark @+1 {{fused tanh derivative + weight gradient + input gradient (backward)}}
  %3 = loom.matmul %2, %w2 : (tensor<8x4xf32>, tensor<4x2xf32>) -> tensor<8x2xf32>
  %4 = loom.tanh %3 : tensor<8x2xf32>
  %l = loom.mse %4, %t : tensor<8x2xf32>
  return %l : tensor<f32>
}

// -----

// Must not fuse: the pre-activation value also feeds the loss, so it would
// be stored anyway, and its gradient is the sum of two adjoints. Both
// directions stay unfused and say why.

// CHECK-LABEL: func.func @pre_activation_feeds_the_loss_grad
// CHECK-NOT: loom.fused_linear
// CHECK: loom.matmul
// CHECK: loom.add
// CHECK: loom.gelu
// CHECK: loom.activation_grad gelu
// CHECK: loom.reduce_sum
// CHECK: loom.matmul %{{.+}}, %{{.+}} {transpose_lhs}
// CHECK-NOT: loom.fused_linear
func.func @pre_activation_feeds_the_loss(%x: tensor<8x4xf32> {loom.input = "x"}, %t: tensor<8x4xf32> {loom.input = "t"},
                   %w: tensor<4x4xf32> {loom.param = "w"}, %b: tensor<4xf32> {loom.param = "b"}) -> tensor<f32> {
  // expected-remark-re @+1 {{not fused (forward): the pre-activation value has another use, 'loom.add' at {{.*}}}}
  %0 = loom.matmul %x, %w : (tensor<8x4xf32>, tensor<4x4xf32>) -> tensor<8x4xf32>
  %1 = loom.add %0, %b : (tensor<8x4xf32>, tensor<4xf32>) -> tensor<8x4xf32>
  // expected-remark-re @+1 {{not fused (backward): the pre-activation gradient also feeds 'loom.add' at {{.*}}}}
  %2 = loom.gelu %1 : tensor<8x4xf32>
  %3 = loom.add %2, %1 : (tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<8x4xf32>
  %l = loom.mse %3, %t : tensor<8x4xf32>
  return %l : tensor<f32>
}

// -----

// Must not fuse: the product x·W itself has a second use.

// CHECK-LABEL: func.func @product_used_twice_grad
// CHECK-NOT: loom.fused_linear
func.func @product_used_twice(%x: tensor<8x4xf32> {loom.input = "x"}, %t: tensor<8x4xf32> {loom.input = "t"},
                   %w: tensor<4x4xf32> {loom.param = "w"}, %b: tensor<4xf32> {loom.param = "b"}) -> tensor<f32> {
  // expected-remark @+1 {{not fused (forward): the product x·W has 2 uses, so it would have to be stored anyway}}
  %0 = loom.matmul %x, %w : (tensor<8x4xf32>, tensor<4x4xf32>) -> tensor<8x4xf32>
  %1 = loom.add %0, %b : (tensor<8x4xf32>, tensor<4xf32>) -> tensor<8x4xf32>
  %2 = loom.add %1, %0 : (tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<8x4xf32>
  %l = loom.mse %2, %t : tensor<8x4xf32>
  return %l : tensor<f32>
}

// -----

// Nothing to fuse: a plain matmul is left alone without a remark.

// CHECK-LABEL: func.func @plain_matmul_grad
// CHECK: loom.matmul %{{.+}}, %{{.+}} :
// CHECK-NOT: loom.fused_linear
func.func @plain_matmul(%x: tensor<8x4xf32> {loom.input = "x"}, %t: tensor<8x4xf32> {loom.input = "t"},
                   %w: tensor<4x4xf32> {loom.param = "w"}) -> tensor<f32> {
  %0 = loom.matmul %x, %w : (tensor<8x4xf32>, tensor<4x4xf32>) -> tensor<8x4xf32>
  %l = loom.mse %0, %t : tensor<8x4xf32>
  return %l : tensor<f32>
}

// -----

// A residual connection, y = x + (x·W + b): the sum is the layer's
// epilogue (the residual added to the tile in registers). The output's
// gradient feeds both the layer's backward and the skip path's sum; the
// layer's gradient chain still fuses: it reads the gradient without
// consuming it.

// CHECK-LABEL: func.func @residual_connection(
// CHECK-LABEL: func.func @residual_connection_grad
// CHECK-SAME: %[[X:[^:]+]]: tensor<2x5x4xf32> {loom.param = "x"}
// CHECK-SAME: %[[W:[^:]+]]: tensor<4x4xf32> {loom.param = "fc.weight"}, %[[B:[^:]+]]: tensor<4xf32> {loom.param = "fc.bias"}
// CHECK: %[[Z:.+]] = loom.fused_linear none %[[X]], %[[W]], %[[B]] residual %[[X]]
// CHECK-NOT: loom.add
// CHECK: loom.mse %[[Z]]
// CHECK: %[[DY:.+]] = loom.mse_grad
// CHECK: %[[G:.+]]:3 = loom.fused_linear_grad none %[[DY]], %[[X]] weight %[[W]] {with_bias}
// CHECK-NOT: loom.matmul
// CHECK-NOT: loom.reduce_sum
// CHECK: %[[DX:.+]] = loom.add %[[DY]], %[[G]]#0
// CHECK: return %{{.+}}, %[[DX]], %[[G]]#1, %[[G]]#2
func.func @residual_connection(%x: tensor<2x5x4xf32> {loom.param = "x"},
                   %w: tensor<4x4xf32> {loom.param = "fc.weight"}, %b: tensor<4xf32> {loom.param = "fc.bias"},
                   %t: tensor<2x5x4xf32> {loom.input = "t"}) -> tensor<f32> {
  // expected-remark @+2 {{fused matmul + bias + residual (forward)}}
  // expected-remark @+1 {{fused output gradient + bias gradient + weight gradient + input gradient (backward)}}
  %0 = loom.matmul %x, %w : (tensor<2x5x4xf32>, tensor<4x4xf32>) -> tensor<2x5x4xf32>
  %1 = loom.add %0, %b : (tensor<2x5x4xf32>, tensor<4xf32>) -> tensor<2x5x4xf32>
  %2 = loom.add %x, %1 : (tensor<2x5x4xf32>, tensor<2x5x4xf32>) -> tensor<2x5x4xf32>
  %3 = loom.mse %2, %t : tensor<2x5x4xf32>
  return %3 : tensor<f32>
}

// -----

// A GELU layer whose output is added to a residual computed after the
// layer: the fused layer moves down to the sum (where the residual
// exists) and still keeps its pre-activation for the GELU derivative.

// CHECK-LABEL: func.func @residual_computed_after_the_layer_grad
// CHECK: %[[R:.+]] = loom.add %{{.+}}, %{{.+}} : (tensor<6x4xf32>, tensor<6x4xf32>)
// CHECK-NEXT: %[[Y:.+]], %[[PRE:.+]] = loom.fused_linear gelu %{{.+}}, %{{.+}}, %{{.+}} residual %[[R]]
// CHECK: loom.fused_linear_grad gelu %{{.+}}, %{{.+}} weight %{{.+}} saved %[[PRE]] {with_bias}
func.func @residual_computed_after_the_layer(%x: tensor<6x4xf32> {loom.param = "x"},
                   %w: tensor<4x4xf32> {loom.param = "fc.weight"}, %b: tensor<4xf32> {loom.param = "fc.bias"},
                   %t: tensor<6x4xf32> {loom.input = "t"}) -> tensor<f32> {
  // expected-remark @+2 {{fused matmul + bias + gelu + residual (forward)}}
  // expected-remark @+1 {{fused gelu derivative + bias gradient + weight gradient + input gradient (backward)}}
  %0 = loom.matmul %x, %w : (tensor<6x4xf32>, tensor<4x4xf32>) -> tensor<6x4xf32>
  %1 = loom.add %0, %b : (tensor<6x4xf32>, tensor<4xf32>) -> tensor<6x4xf32>
  %2 = loom.gelu %1 : tensor<6x4xf32>
  %r = loom.add %t, %t : (tensor<6x4xf32>, tensor<6x4xf32>) -> tensor<6x4xf32>
  %3 = loom.add %2, %r : (tensor<6x4xf32>, tensor<6x4xf32>) -> tensor<6x4xf32>
  %4 = loom.mse %3, %t : tensor<6x4xf32>
  return %4 : tensor<f32>
}

// -----

// What stays a sum: a layer output that is used again (in the training
// step, a ReLU's output, which its derivative reads; the forward function
// alone adds it in the epilogue), and a sum that broadcasts ([5, 4] onto
// [2, 5, 4]), which is not an elementwise residual of the layer's shape.

// CHECK-LABEL: func.func @sums_that_stay_sums(
// CHECK: loom.fused_linear relu %{{.+}} residual
// CHECK-LABEL: func.func @sums_that_stay_sums_grad
// CHECK: %[[RELU:.+]] = loom.fused_linear relu
// CHECK-NOT: residual
// CHECK: loom.add %[[RELU]], %{{.+}}
// CHECK: %[[PROJ:.+]] = loom.fused_linear none
// CHECK-NOT: residual
// CHECK: loom.add %[[PROJ]], %{{.+}} : (tensor<2x5x4xf32>, tensor<5x4xf32>)
func.func @sums_that_stay_sums(%x: tensor<2x5x4xf32> {loom.param = "x"},
                   %w: tensor<4x4xf32> {loom.param = "fc.weight"}, %b: tensor<4xf32> {loom.param = "fc.bias"},
                   %r: tensor<5x4xf32> {loom.param = "r"},
                   %t: tensor<2x5x4xf32> {loom.input = "t"}) -> tensor<f32> {
  // expected-remark @+3 {{fused matmul + bias + relu + residual (forward)}}
  // expected-remark @+2 {{fused matmul + bias + relu (forward)}}
  // expected-remark @+1 {{fused relu derivative + bias gradient + weight gradient + input gradient (backward)}}
  %0 = loom.matmul %x, %w : (tensor<2x5x4xf32>, tensor<4x4xf32>) -> tensor<2x5x4xf32>
  %1 = loom.add %0, %b : (tensor<2x5x4xf32>, tensor<4xf32>) -> tensor<2x5x4xf32>
  %2 = loom.relu %1 : tensor<2x5x4xf32>
  %3 = loom.add %2, %x : (tensor<2x5x4xf32>, tensor<2x5x4xf32>) -> tensor<2x5x4xf32>
  // expected-remark @+2 {{fused matmul + bias (forward)}}
  // expected-remark @+1 {{fused output gradient + bias gradient + weight gradient + input gradient (backward)}}
  %4 = loom.matmul %3, %w : (tensor<2x5x4xf32>, tensor<4x4xf32>) -> tensor<2x5x4xf32>
  %5 = loom.add %4, %b : (tensor<2x5x4xf32>, tensor<4xf32>) -> tensor<2x5x4xf32>
  %6 = loom.add %5, %r : (tensor<2x5x4xf32>, tensor<5x4xf32>) -> tensor<2x5x4xf32>
  %7 = loom.mse %6, %t : tensor<2x5x4xf32>
  return %7 : tensor<f32>
}

// -----

// A layer output added to itself, and one added to two residuals: the
// sums stay sums.

// CHECK-LABEL: func.func @layer_output_added_to_itself(
// CHECK: %[[TWICE:.+]] = loom.fused_linear none %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}} :
// CHECK-NEXT: loom.add %[[TWICE]], %[[TWICE]]
// CHECK: %[[SHARED:.+]] = loom.fused_linear none %{{[^ ]+}}, %{{[^ ]+}}, %{{[^ ]+}} :
// CHECK-DAG: loom.add %[[SHARED]], %{{.+}}
// CHECK-DAG: loom.add %{{.+}}, %[[SHARED]]
func.func @layer_output_added_to_itself(%x: tensor<6x4xf32> {loom.param = "x"},
                   %w: tensor<4x4xf32> {loom.param = "fc.weight"}, %b: tensor<4xf32> {loom.param = "fc.bias"},
                   %t: tensor<6x4xf32> {loom.input = "t"}) -> tensor<f32> {
  // expected-remark @+2 {{fused matmul + bias (forward)}}
  // expected-remark @+1 {{fused output gradient + bias gradient + weight gradient + input gradient (backward)}}
  %0 = loom.matmul %x, %w : (tensor<6x4xf32>, tensor<4x4xf32>) -> tensor<6x4xf32>
  %1 = loom.add %0, %b : (tensor<6x4xf32>, tensor<4xf32>) -> tensor<6x4xf32>
  %2 = loom.add %1, %1 : (tensor<6x4xf32>, tensor<6x4xf32>) -> tensor<6x4xf32>
  // expected-remark @+2 {{fused matmul + bias (forward)}}
  // expected-remark @+1 {{fused output gradient + bias gradient + weight gradient + input gradient (backward)}}
  %3 = loom.matmul %2, %w : (tensor<6x4xf32>, tensor<4x4xf32>) -> tensor<6x4xf32>
  %4 = loom.add %3, %b : (tensor<6x4xf32>, tensor<4xf32>) -> tensor<6x4xf32>
  %5 = loom.add %4, %x : (tensor<6x4xf32>, tensor<6x4xf32>) -> tensor<6x4xf32>
  %6 = loom.add %t, %4 : (tensor<6x4xf32>, tensor<6x4xf32>) -> tensor<6x4xf32>
  %7 = loom.add %5, %6 : (tensor<6x4xf32>, tensor<6x4xf32>) -> tensor<6x4xf32>
  %8 = loom.mse %7, %t : tensor<6x4xf32>
  return %8 : tensor<f32>
}
