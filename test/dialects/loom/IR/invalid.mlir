// RUN: loom-opt %s -split-input-file -verify-diagnostics

func.func @matmul_inner_mismatch(%a: tensor<8x4xf32>, %b: tensor<5x3xf32>) -> tensor<8x3xf32> {
  // expected-error @+1 {{'loom.matmul' op inner dimensions differ: lhs is 8x4 and rhs is 5x3 after transposition}}
  %0 = loom.matmul %a, %b : (tensor<8x4xf32>, tensor<5x3xf32>) -> tensor<8x3xf32>
  return %0 : tensor<8x3xf32>
}

// -----

func.func @matmul_transposed_inner_mismatch(%a: tensor<8x4xf32>, %b: tensor<4x3xf32>) -> tensor<8x3xf32> {
  // expected-error @+1 {{'loom.matmul' op inner dimensions differ: lhs is 4x8 and rhs is 4x3 after transposition}}
  %0 = loom.matmul %a, %b {transpose_lhs} : (tensor<8x4xf32>, tensor<4x3xf32>) -> tensor<8x3xf32>
  return %0 : tensor<8x3xf32>
}

// -----

func.func @matmul_wrong_result(%a: tensor<8x4xf32>, %b: tensor<4x3xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'loom.matmul' op result must be 8x3, the shape of the product, not 8x4}}
  %0 = loom.matmul %a, %b : (tensor<8x4xf32>, tensor<4x3xf32>) -> tensor<8x4xf32>
  return %0 : tensor<8x4xf32>
}

// -----

func.func @matmul_rank(%a: tensor<2x8x4xf32>, %b: tensor<4x3xf32>) -> tensor<8x3xf32> {
  // expected-error @+1 {{'loom.matmul' op operand #0 must be 2D tensor of 32-bit float values}}
  %0 = loom.matmul %a, %b : (tensor<2x8x4xf32>, tensor<4x3xf32>) -> tensor<8x3xf32>
  return %0 : tensor<8x3xf32>
}

// -----

func.func @add_no_broadcast(%a: tensor<8x4xf32>, %b: tensor<8xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'loom.add' op operand shapes 8x4 and 8 do not broadcast: the lower-rank operand must equal the trailing dimensions of the other}}
  %0 = loom.add %a, %b : (tensor<8x4xf32>, tensor<8xf32>) -> tensor<8x4xf32>
  return %0 : tensor<8x4xf32>
}

// -----

func.func @add_wrong_result(%a: tensor<8x4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'loom.add' op result must be 8x4, the broadcast shape, not 4}}
  %0 = loom.add %a, %b : (tensor<8x4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @add_integer(%a: tensor<8xi32>, %b: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{'loom.add' op operand #0 must be ranked tensor of 32-bit float values}}
  %0 = loom.add %a, %b : (tensor<8xi32>, tensor<8xf32>) -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

func.func @gelu_type_change(%a: tensor<8x4xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'loom.gelu' op all non-scalar operands/results must have the same shape and base type}}
  %0 = "loom.gelu"(%a) : (tensor<8x4xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @cross_entropy_label_count(%z: tensor<8x10xf32>, %l: tensor<6xi32>) -> tensor<f32> {
  // expected-error @+1 {{'loom.cross_entropy' op has 6 labels for 8 rows of logits}}
  %0 = loom.cross_entropy %z, %l : (tensor<8x10xf32>, tensor<6xi32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @cross_entropy_float_labels(%z: tensor<8x10xf32>, %l: tensor<8xf32>) -> tensor<f32> {
  // expected-error @+1 {{'loom.cross_entropy' op operand #1 must be 1D tensor of 32-bit signless integer values}}
  %0 = loom.cross_entropy %z, %l : (tensor<8x10xf32>, tensor<8xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @cross_entropy_grad_type(%z: tensor<8x10xf32>, %l: tensor<8xi32>, %d: tensor<f32>) -> tensor<8x9xf32> {
  // expected-error @+1 {{'loom.cross_entropy_grad' op result must have the logits' type 'tensor<8x10xf32>'}}
  %0 = loom.cross_entropy_grad %z, %l, %d : (tensor<8x10xf32>, tensor<8xi32>, tensor<f32>) -> tensor<8x9xf32>
  return %0 : tensor<8x9xf32>
}

// -----

func.func @mse_shapes(%p: tensor<8x4xf32>, %t: tensor<8x3xf32>) -> tensor<f32> {
  // expected-error @+1 {{'loom.mse' op prediction and target must have one shape, got 8x4 and 8x3}}
  %0 = loom.mse %p, %t : (tensor<8x4xf32>, tensor<8x3xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @mse_grad_types(%p: tensor<8x4xf32>, %t: tensor<8x4xf32>, %d: tensor<f32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'loom.mse_grad' op prediction, target and result must have one type, got 'tensor<8x4xf32>', 'tensor<8x4xf32>' and 'tensor<4x8xf32>'}}
  %0 = loom.mse_grad %p, %t, %d : (tensor<8x4xf32>, tensor<8x4xf32>, tensor<f32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @activation_grad_none(%x: tensor<8x4xf32>, %dy: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'loom.activation_grad' op needs an activation other than 'none'}}
  %0 = loom.activation_grad none %x, %dy : tensor<8x4xf32>
  return %0 : tensor<8x4xf32>
}

// -----

func.func @activation_grad_unknown(%x: tensor<8x4xf32>, %dy: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{expected an activation (none, gelu, relu or tanh), got 'swish'}}
  %0 = loom.activation_grad swish %x, %dy : tensor<8x4xf32>
  return %0 : tensor<8x4xf32>
}

// -----

func.func @activation_grad_types(%x: tensor<8x4xf32>, %dy: tensor<4x8xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'loom.activation_grad' op failed to verify that all of {saved, output_grad, result} have same type}}
  %0 = "loom.activation_grad"(%x, %dy) {activation = #loom<activation gelu>} : (tensor<8x4xf32>, tensor<4x8xf32>) -> tensor<8x4xf32>
  return %0 : tensor<8x4xf32>
}

// -----

func.func @reduce_sum_not_trailing(%x: tensor<8x4xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{'loom.reduce_sum' op result shape 8 must be the trailing dimensions of the input shape 8x4}}
  %0 = loom.reduce_sum %x : (tensor<8x4xf32>) -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

func.func @sgd_types(%p: tensor<4x3xf32>, %g: tensor<3x4xf32>, %v: tensor<4x3xf32>, %lr: f32, %mu: f32) {
  // expected-error @+1 {{'loom.sgd_update' op failed to verify that all of {param, grad, velocity, new_param, new_velocity} have same type}}
  %p2, %v2 = "loom.sgd_update"(%p, %g, %v, %lr, %mu) : (tensor<4x3xf32>, tensor<3x4xf32>, tensor<4x3xf32>, f32, f32) -> (tensor<4x3xf32>, tensor<4x3xf32>)
  return
}

// -----

func.func @init_bad_std() attributes {loom.init = #loom.init<normal(-1.0)>} {
  // expected-error @-1 {{normal initializer needs a non-negative std, got -1}}
  return
}

// -----

func.func @init_bad_range() attributes {loom.init = #loom.init<uniform(1.0, 0.5)>} {
  // expected-error @-1 {{uniform initializer needs low < high, got [1, 0.5)}}
  return
}

// -----

func.func @init_unknown() attributes {loom.init = #loom.init<xavier>} {
  // expected-error @-1 {{expected an initializer (normal, uniform, zeros or ones), got 'xavier'}}
  return
}

// -----

func.func @fused_linear_chain(%x: tensor<8x4xf32>, %w: tensor<5x3xf32>) -> tensor<8x3xf32> {
  // expected-error @+1 {{'loom.fused_linear' op input 8x4 and weight 5x3 do not chain: input columns must equal weight rows}}
  %y = loom.fused_linear relu %x, %w : (tensor<8x4xf32>, tensor<5x3xf32>) -> tensor<8x3xf32>
  return %y : tensor<8x3xf32>
}

// -----

func.func @fused_linear_bias(%x: tensor<8x4xf32>, %w: tensor<4x3xf32>, %b: tensor<4xf32>) -> tensor<8x3xf32> {
  // expected-error @+1 {{'loom.fused_linear' op bias must have 3 elements (one per output column), not 4}}
  %y = loom.fused_linear relu %x, %w, %b : (tensor<8x4xf32>, tensor<4x3xf32>, tensor<4xf32>) -> tensor<8x3xf32>
  return %y : tensor<8x3xf32>
}

// -----

func.func @fused_linear_needless_pre(%x: tensor<8x4xf32>, %w: tensor<4x3xf32>) -> tensor<8x3xf32> {
  // expected-error @+1 {{'loom.fused_linear' op keeps a pre-activation result, but the gradient of tanh needs only the output}}
  %y, %pre = loom.fused_linear tanh %x, %w : (tensor<8x4xf32>, tensor<4x3xf32>) -> (tensor<8x3xf32>, tensor<8x3xf32>)
  return %y : tensor<8x3xf32>
}

// -----

func.func @fused_linear_grad_missing_saved(%x: tensor<8x4xf32>, %dy: tensor<8x3xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{'loom.fused_linear_grad' op needs a saved forward value for the derivative of gelu}}
  %dw = loom.fused_linear_grad gelu %dy, %x : (tensor<8x3xf32>, tensor<8x4xf32>) -> tensor<4x3xf32>
  return %dw : tensor<4x3xf32>
}

// -----

func.func @fused_linear_grad_rows(%x: tensor<6x4xf32>, %dy: tensor<8x3xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{'loom.fused_linear_grad' op input 6x4 and output gradient 8x3 must have one row count}}
  %dw = loom.fused_linear_grad none %dy, %x : (tensor<8x3xf32>, tensor<6x4xf32>) -> tensor<4x3xf32>
  return %dw : tensor<4x3xf32>
}

// -----

func.func @fused_linear_grad_weight_shape(%x: tensor<8x4xf32>, %w: tensor<3x4xf32>, %dy: tensor<8x3xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{'loom.fused_linear_grad' op weight must be 4x3, not 3x4}}
  %dx, %dw = loom.fused_linear_grad none %dy, %x weight %w : (tensor<8x3xf32>, tensor<8x4xf32>, tensor<3x4xf32>) -> (tensor<8x4xf32>, tensor<4x3xf32>)
  return %dw : tensor<4x3xf32>
}

// -----

func.func @fused_linear_grad_result_count(%x: tensor<8x4xf32>, %dy: tensor<8x3xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{'loom.fused_linear_grad' op must have 2 results (input gradient: no, weight gradient, bias gradient: yes), got 1}}
  %dw = loom.fused_linear_grad none %dy, %x {with_bias} : (tensor<8x3xf32>, tensor<8x4xf32>) -> tensor<4x3xf32>
  return %dw : tensor<4x3xf32>
}

// -----

func.func @fused_linear_grad_weight_type(%x: tensor<8x4xf32>, %dy: tensor<8x3xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{'loom.fused_linear_grad' op weight gradient must be 4x3, not 3x4}}
  %dw = loom.fused_linear_grad none %dy, %x : (tensor<8x3xf32>, tensor<8x4xf32>) -> tensor<3x4xf32>
  return %dw : tensor<3x4xf32>
}
