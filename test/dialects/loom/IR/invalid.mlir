// RUN: loom-opt %s -split-input-file -verify-diagnostics

// One case per error of every loom op's verifier (and of the type constraints
// and traits its ODS definition declares), of the custom activation parser
// and of the #loom.init attribute. Grouped by op family, in the order of
// LoomOps.td.

//===----------------------------------------------------------------------===//
// loom.matmul
//===----------------------------------------------------------------------===//

func.func @matmul_rank1(%a: tensor<4xf32>, %b: tensor<4x3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{'loom.matmul' op operands must have at least 2 dimensions: lhs is 4 and rhs is 4x3}}
  %0 = loom.matmul %a, %b : (tensor<4xf32>, tensor<4x3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @matmul_rhs_rank1(%a: tensor<8x4xf32>, %b: tensor<4xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{'loom.matmul' op operands must have at least 2 dimensions: lhs is 8x4 and rhs is 4}}
  %0 = loom.matmul %a, %b : (tensor<8x4xf32>, tensor<4xf32>) -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

func.func @matmul_inner_mismatch(%a: tensor<8x4xf32>, %b: tensor<5x3xf32>) -> tensor<8x3xf32> {
  // expected-error @+1 {{'loom.matmul' op inner dimensions differ: lhs is 8x4 and rhs is 5x3}}
  %0 = loom.matmul %a, %b : (tensor<8x4xf32>, tensor<5x3xf32>) -> tensor<8x3xf32>
  return %0 : tensor<8x3xf32>
}

// -----

func.func @matmul_batched_inner_mismatch(%a: tensor<2x8x4xf32>, %b: tensor<5x3xf32>) -> tensor<2x8x3xf32> {
  // expected-error @+1 {{'loom.matmul' op inner dimensions differ: lhs is 2x8x4 and rhs is 5x3}}
  %0 = loom.matmul %a, %b : (tensor<2x8x4xf32>, tensor<5x3xf32>) -> tensor<2x8x3xf32>
  return %0 : tensor<2x8x3xf32>
}

// -----

func.func @matmul_rhs_not_matrix(%a: tensor<2x8x4xf32>, %b: tensor<2x4x3xf32>) -> tensor<2x8x3xf32> {
  // expected-error @+1 {{'loom.matmul' op the right operand must be a matrix: lhs is 2x8x4 and rhs is 2x4x3}}
  %0 = loom.matmul %a, %b : (tensor<2x8x4xf32>, tensor<2x4x3xf32>) -> tensor<2x8x3xf32>
  return %0 : tensor<2x8x3xf32>
}

// -----

func.func @matmul_transpose_rhs_not_matrix(%a: tensor<2x8x3xf32>, %b: tensor<2x4x3xf32>) -> tensor<2x8x4xf32> {
  // expected-error @+1 {{'loom.matmul' op the right operand must be a matrix: lhs is 2x8x3 and rhs is 2x4x3}}
  %0 = loom.matmul %a, %b {transpose_rhs} : (tensor<2x8x3xf32>, tensor<2x4x3xf32>) -> tensor<2x8x4xf32>
  return %0 : tensor<2x8x4xf32>
}

// -----

func.func @matmul_transpose_rhs_inner_mismatch(%a: tensor<8x4xf32>, %b: tensor<4x3xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'loom.matmul' op inner dimensions differ after transposition: lhs is 8x4 and rhs is 4x3}}
  %0 = loom.matmul %a, %b {transpose_rhs} : (tensor<8x4xf32>, tensor<4x3xf32>) -> tensor<8x4xf32>
  return %0 : tensor<8x4xf32>
}

// -----

func.func @matmul_transpose_lhs_rows(%a: tensor<8x4xf32>, %b: tensor<6x3xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{'loom.matmul' op the rows of both operands must agree to contract over them: lhs is 8x4 and rhs is 6x3}}
  %0 = loom.matmul %a, %b {transpose_lhs} : (tensor<8x4xf32>, tensor<6x3xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

// xᵀ·y over [B, T, ·] rows needs both operands batched the same way.
func.func @matmul_transpose_lhs_ranks(%a: tensor<2x8x4xf32>, %b: tensor<16x3xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{'loom.matmul' op the rows of both operands must agree to contract over them: lhs is 2x8x4 and rhs is 16x3}}
  %0 = loom.matmul %a, %b {transpose_lhs} : (tensor<2x8x4xf32>, tensor<16x3xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @matmul_transpose_lhs_batched_rows(%a: tensor<2x8x4xf32>, %b: tensor<2x7x3xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{'loom.matmul' op the rows of both operands must agree to contract over them: lhs is 2x8x4 and rhs is 2x7x3}}
  %0 = loom.matmul %a, %b {transpose_lhs} : (tensor<2x8x4xf32>, tensor<2x7x3xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @matmul_both_transposed_batched(%a: tensor<2x4x8xf32>, %b: tensor<3x4xf32>) -> tensor<8x3xf32> {
  // expected-error @+1 {{'loom.matmul' op with both operands transposed, both must be matrices: lhs is 2x4x8 and rhs is 3x4}}
  %0 = loom.matmul %a, %b {transpose_lhs, transpose_rhs} : (tensor<2x4x8xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  return %0 : tensor<8x3xf32>
}

// -----

func.func @matmul_both_transposed_inner_mismatch(%a: tensor<4x8xf32>, %b: tensor<3x5xf32>) -> tensor<8x3xf32> {
  // expected-error @+1 {{'loom.matmul' op inner dimensions differ after transposition: lhs is 4x8 and rhs is 3x5}}
  %0 = loom.matmul %a, %b {transpose_lhs, transpose_rhs} : (tensor<4x8xf32>, tensor<3x5xf32>) -> tensor<8x3xf32>
  return %0 : tensor<8x3xf32>
}

// -----

func.func @matmul_wrong_result(%a: tensor<8x4xf32>, %b: tensor<4x3xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'loom.matmul' op result must be 8x3, the shape of the product, not 8x4}}
  %0 = loom.matmul %a, %b : (tensor<8x4xf32>, tensor<4x3xf32>) -> tensor<8x4xf32>
  return %0 : tensor<8x4xf32>
}

// -----

func.func @matmul_wrong_batched_result(%a: tensor<2x8x4xf32>, %b: tensor<4x3xf32>) -> tensor<16x3xf32> {
  // expected-error @+1 {{'loom.matmul' op result must be 2x8x3, the shape of the product, not 16x3}}
  %0 = loom.matmul %a, %b : (tensor<2x8x4xf32>, tensor<4x3xf32>) -> tensor<16x3xf32>
  return %0 : tensor<16x3xf32>
}

// -----

func.func @matmul_wrong_transpose_lhs_result(%a: tensor<2x8x4xf32>, %b: tensor<2x8x3xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{'loom.matmul' op result must be 4x3, the shape of the product, not 3x4}}
  %0 = loom.matmul %a, %b {transpose_lhs} : (tensor<2x8x4xf32>, tensor<2x8x3xf32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

func.func @matmul_integer(%a: tensor<8x4xi32>, %b: tensor<4x3xf32>) -> tensor<8x3xf32> {
  // expected-error @+1 {{'loom.matmul' op operand #0 must be ranked tensor of 32-bit float or 64-bit float values, but got 'tensor<8x4xi32>'}}
  %0 = loom.matmul %a, %b : (tensor<8x4xi32>, tensor<4x3xf32>) -> tensor<8x3xf32>
  return %0 : tensor<8x3xf32>
}

// -----

//===----------------------------------------------------------------------===//
// loom.add
//===----------------------------------------------------------------------===//

func.func @add_no_broadcast(%a: tensor<8x4xf32>, %b: tensor<8xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'loom.add' op operand shapes 8x4 and 8 do not broadcast: the lower-rank operand must equal the trailing dimensions of the other}}
  %0 = loom.add %a, %b : (tensor<8x4xf32>, tensor<8xf32>) -> tensor<8x4xf32>
  return %0 : tensor<8x4xf32>
}

// -----

func.func @add_equal_rank_mismatch(%a: tensor<8x4xf32>, %b: tensor<8x3xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'loom.add' op operand shapes 8x4 and 8x3 do not broadcast: the lower-rank operand must equal the trailing dimensions of the other}}
  %0 = loom.add %a, %b : (tensor<8x4xf32>, tensor<8x3xf32>) -> tensor<8x4xf32>
  return %0 : tensor<8x4xf32>
}

// -----

// No broadcasting of size-1 dimensions: only whole trailing shapes.
func.func @add_no_unit_broadcast(%a: tensor<2x8x4xf32>, %b: tensor<1x8x4xf32>) -> tensor<2x8x4xf32> {
  // expected-error @+1 {{'loom.add' op operand shapes 2x8x4 and 1x8x4 do not broadcast: the lower-rank operand must equal the trailing dimensions of the other}}
  %0 = loom.add %a, %b : (tensor<2x8x4xf32>, tensor<1x8x4xf32>) -> tensor<2x8x4xf32>
  return %0 : tensor<2x8x4xf32>
}

// -----

func.func @add_wrong_result(%a: tensor<8x4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'loom.add' op result must be 8x4, the broadcast shape, not 4}}
  %0 = loom.add %a, %b : (tensor<8x4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @add_wrong_result_lhs_lower(%a: tensor<4xf32>, %b: tensor<2x8x4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'loom.add' op result must be 2x8x4, the broadcast shape, not 8x4}}
  %0 = loom.add %a, %b : (tensor<4xf32>, tensor<2x8x4xf32>) -> tensor<8x4xf32>
  return %0 : tensor<8x4xf32>
}

// -----

func.func @add_integer(%a: tensor<8xi32>, %b: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{'loom.add' op operand #0 must be ranked tensor of 32-bit float or 64-bit float values, but got 'tensor<8xi32>'}}
  %0 = loom.add %a, %b : (tensor<8xi32>, tensor<8xf32>) -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Activations: gelu, gelu_erf, relu, tanh, silu, swiglu
//===----------------------------------------------------------------------===//

func.func @gelu_shape_change(%a: tensor<8x4xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'loom.gelu' op all non-scalar operands/results must have the same shape and base type}}
  %0 = "loom.gelu"(%a) : (tensor<8x4xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @gelu_erf_shape_change(%a: tensor<8x4xf32>) -> tensor<32xf32> {
  // expected-error @+1 {{'loom.gelu_erf' op all non-scalar operands/results must have the same shape and base type}}
  %0 = "loom.gelu_erf"(%a) : (tensor<8x4xf32>) -> tensor<32xf32>
  return %0 : tensor<32xf32>
}

// -----

func.func @relu_shape_change(%a: tensor<8x4xf32>) -> tensor<8x3xf32> {
  // expected-error @+1 {{'loom.relu' op all non-scalar operands/results must have the same shape and base type}}
  %0 = "loom.relu"(%a) : (tensor<8x4xf32>) -> tensor<8x3xf32>
  return %0 : tensor<8x3xf32>
}

// -----

func.func @tanh_shape_change(%a: tensor<8x4xf32>) -> tensor<8x3xf32> {
  // expected-error @+1 {{'loom.tanh' op all non-scalar operands/results must have the same shape and base type}}
  %0 = "loom.tanh"(%a) : (tensor<8x4xf32>) -> tensor<8x3xf32>
  return %0 : tensor<8x3xf32>
}

// -----

func.func @silu_shape_change(%a: tensor<8x4xf32>) -> tensor<8x3xf32> {
  // expected-error @+1 {{'loom.silu' op all non-scalar operands/results must have the same shape and base type}}
  %0 = "loom.silu"(%a) : (tensor<8x4xf32>) -> tensor<8x3xf32>
  return %0 : tensor<8x3xf32>
}

// -----

func.func @relu_integer(%a: tensor<8xi32>) -> tensor<8xi32> {
  // expected-error @+1 {{'loom.relu' op operand #0 must be ranked tensor of 32-bit float or 64-bit float values, but got 'tensor<8xi32>'}}
  %0 = loom.relu %a : tensor<8xi32>
  return %0 : tensor<8xi32>
}

// -----

func.func @swiglu_types(%g: tensor<8x4xf32>, %u: tensor<8x3xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'loom.swiglu' op failed to verify that all of {gate, up, result} have same type}}
  %0 = "loom.swiglu"(%g, %u) : (tensor<8x4xf32>, tensor<8x3xf32>) -> tensor<8x4xf32>
  return %0 : tensor<8x4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// loom.activation_grad, loom.swiglu_grad and the custom activation parser
//===----------------------------------------------------------------------===//

func.func @activation_grad_none(%x: tensor<8x4xf32>, %dy: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'loom.activation_grad' op needs an activation other than 'none'}}
  %0 = loom.activation_grad none %x, %dy : tensor<8x4xf32>
  return %0 : tensor<8x4xf32>
}

// -----

func.func @activation_grad_unknown(%x: tensor<8x4xf32>, %dy: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{expected an activation (none, gelu, gelu_erf, relu, tanh or silu), got 'swish'}}
  %0 = loom.activation_grad swish %x, %dy : tensor<8x4xf32>
  return %0 : tensor<8x4xf32>
}

// -----

func.func @fused_linear_unknown_activation(%x: tensor<8x4xf32>, %w: tensor<4x3xf32>) -> tensor<8x3xf32> {
  // expected-error @+1 {{expected an activation (none, gelu, gelu_erf, relu, tanh or silu), got 'sigmoid'}}
  %y = loom.fused_linear sigmoid %x, %w : (tensor<8x4xf32>, tensor<4x3xf32>) -> tensor<8x3xf32>
  return %y : tensor<8x3xf32>
}

// -----

func.func @activation_grad_unknown_generic(%x: tensor<8x4xf32>) -> tensor<8x4xf32> {
  // expected-error @+2 {{expected ::mlir::loom::Activation to be one of: none, gelu, relu, tanh, gelu_erf, silu}}
  // expected-error @+1 {{failed to parse Loom_ActivationAttr parameter 'value' which is to be a `::mlir::loom::Activation`}}
  %0 = "loom.activation_grad"(%x, %x) {activation = #loom<activation swish>} : (tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<8x4xf32>
  return %0 : tensor<8x4xf32>
}

// -----

func.func @activation_grad_types(%x: tensor<8x4xf32>, %dy: tensor<4x8xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'loom.activation_grad' op failed to verify that all of {saved, output_grad, result} have same type}}
  %0 = "loom.activation_grad"(%x, %dy) {activation = #loom<activation gelu>} : (tensor<8x4xf32>, tensor<4x8xf32>) -> tensor<8x4xf32>
  return %0 : tensor<8x4xf32>
}

// -----

func.func @swiglu_grad_types(%g: tensor<8x4xf32>, %dy: tensor<8x3xf32>) {
  // expected-error @+1 {{'loom.swiglu_grad' op failed to verify that all of {gate, up, output_grad, gate_grad, up_grad} have same type}}
  %0:2 = "loom.swiglu_grad"(%g, %g, %dy) : (tensor<8x4xf32>, tensor<8x4xf32>, tensor<8x3xf32>) -> (tensor<8x4xf32>, tensor<8x4xf32>)
  return
}

// -----

//===----------------------------------------------------------------------===//
// loom.reduce_sum, loom.zeros
//===----------------------------------------------------------------------===//

func.func @reduce_sum_not_trailing(%x: tensor<8x4xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{'loom.reduce_sum' op result shape 8 must be the trailing dimensions of the input shape 8x4}}
  %0 = loom.reduce_sum %x : (tensor<8x4xf32>) -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

func.func @reduce_sum_higher_rank(%x: tensor<4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'loom.reduce_sum' op result shape 8x4 must be the trailing dimensions of the input shape 4}}
  %0 = loom.reduce_sum %x : (tensor<4xf32>) -> tensor<8x4xf32>
  return %0 : tensor<8x4xf32>
}

// -----

func.func @reduce_sum_from_scalar(%x: tensor<f32>) -> tensor<1xf32> {
  // expected-error @+1 {{'loom.reduce_sum' op result shape 1 must be the trailing dimensions of the input shape scalar}}
  %0 = loom.reduce_sum %x : (tensor<f32>) -> tensor<1xf32>
  return %0 : tensor<1xf32>
}

// -----

func.func @zeros_integer() -> tensor<4xi32> {
  // expected-error @+1 {{'loom.zeros' op result #0 must be ranked tensor of 32-bit float or 64-bit float values, but got 'tensor<4xi32>'}}
  %0 = loom.zeros : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

//===----------------------------------------------------------------------===//
// loom.layer_norm, loom.rms_norm
//===----------------------------------------------------------------------===//

func.func @layer_norm_gain(%x: tensor<8x4xf32>, %g: tensor<3xf32>, %b: tensor<3xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'loom.layer_norm' op gain must have 4 elements, one per feature of the input 8x4, not 3}}
  %0 = loom.layer_norm %x, %g, %b epsilon(1.0e-05) : tensor<8x4xf32>, tensor<3xf32>
  return %0 : tensor<8x4xf32>
}

// -----

// The bias has the gain's type.
func.func @layer_norm_bias(%x: tensor<2x8x4xf32>, %g: tensor<4xf32>, %b: tensor<8xf32>) -> tensor<2x8x4xf32> {
  // expected-error @+1 {{'loom.layer_norm' op failed to verify that all of {gain, bias} have same type}}
  %0 = "loom.layer_norm"(%x, %g, %b) <{epsilon = 1.0e-05 : f32}> : (tensor<2x8x4xf32>, tensor<4xf32>, tensor<8xf32>) -> tensor<2x8x4xf32>
  return %0 : tensor<2x8x4xf32>
}

// -----

// A scalar input has no features.
func.func @layer_norm_scalar_input(%x: tensor<f32>, %g: tensor<4xf32>) -> tensor<f32> {
  // expected-error @+1 {{'loom.layer_norm' op needs an input with a dimension to normalize over, not a scalar}}
  %0 = loom.layer_norm %x, %g, %g epsilon(1.0e-05) : tensor<f32>, tensor<4xf32>
  return %0 : tensor<f32>
}

// -----

func.func @layer_norm_gain_rank(%x: tensor<8x4xf32>, %g: tensor<1x4xf32>, %b: tensor<4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'loom.layer_norm' op operand #1 must be 1D tensor of 32-bit float or 64-bit float values, but got 'tensor<1x4xf32>'}}
  %0 = "loom.layer_norm"(%x, %g, %b) <{epsilon = 1.0e-05 : f32}> : (tensor<8x4xf32>, tensor<1x4xf32>, tensor<4xf32>) -> tensor<8x4xf32>
  return %0 : tensor<8x4xf32>
}

// -----

func.func @layer_norm_zero_epsilon(%x: tensor<8x4xf32>, %g: tensor<4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'loom.layer_norm' op epsilon must be positive}}
  %0 = loom.layer_norm %x, %g, %g epsilon(0.0) : tensor<8x4xf32>, tensor<4xf32>
  return %0 : tensor<8x4xf32>
}

// -----

func.func @layer_norm_nan_epsilon(%x: tensor<8x4xf32>, %g: tensor<4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'loom.layer_norm' op epsilon must be positive}}
  %0 = loom.layer_norm %x, %g, %g epsilon(0x7FC00000) : tensor<8x4xf32>, tensor<4xf32>
  return %0 : tensor<8x4xf32>
}

// -----

func.func @layer_norm_result(%x: tensor<8x4xf32>, %g: tensor<4xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'loom.layer_norm' op failed to verify that all of {input, result} have same type}}
  %0 = "loom.layer_norm"(%x, %g, %g) <{epsilon = 1.0e-05 : f32}> : (tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

func.func @rms_norm_gain(%x: tensor<2x8x4xf32>, %g: tensor<8xf32>) -> tensor<2x8x4xf32> {
  // expected-error @+1 {{'loom.rms_norm' op gain must have 4 elements, one per feature of the input 2x8x4, not 8}}
  %0 = loom.rms_norm %x, %g epsilon(1.0e-06) : tensor<2x8x4xf32>, tensor<8xf32>
  return %0 : tensor<2x8x4xf32>
}

// -----

func.func @rms_norm_negative_epsilon(%x: tensor<8x4xf32>, %g: tensor<4xf32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'loom.rms_norm' op epsilon must be positive}}
  %0 = loom.rms_norm %x, %g epsilon(-1.0e-06) : tensor<8x4xf32>, tensor<4xf32>
  return %0 : tensor<8x4xf32>
}

// -----

func.func @rms_norm_result(%x: tensor<2x8x4xf32>, %g: tensor<4xf32>) -> tensor<16x4xf32> {
  // expected-error @+1 {{'loom.rms_norm' op failed to verify that all of {input, result} have same type}}
  %0 = "loom.rms_norm"(%x, %g) <{epsilon = 1.0e-06 : f32}> : (tensor<2x8x4xf32>, tensor<4xf32>) -> tensor<16x4xf32>
  return %0 : tensor<16x4xf32>
}

// -----

//===----------------------------------------------------------------------===//
// loom.layer_norm_grad, loom.rms_norm_grad
//===----------------------------------------------------------------------===//

func.func @layer_norm_grad_gain(%x: tensor<8x4xf32>, %g: tensor<3xf32>) {
  // expected-error @+1 {{'loom.layer_norm_grad' op gain must have 4 elements, one per feature of the input 8x4, not 3}}
  %0:3 = loom.layer_norm_grad %x, %g, %x epsilon(1.0e-05) : tensor<8x4xf32>, tensor<3xf32>
  return
}

// -----

func.func @layer_norm_grad_output_grad(%x: tensor<8x4xf32>, %g: tensor<4xf32>, %dy: tensor<2x8x4xf32>) {
  // expected-error @+1 {{'loom.layer_norm_grad' op failed to verify that all of {input, output_grad, input_grad} have same type}}
  %0:3 = "loom.layer_norm_grad"(%x, %g, %dy) <{epsilon = 1.0e-05 : f32}> : (tensor<8x4xf32>, tensor<4xf32>, tensor<2x8x4xf32>) -> (tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @layer_norm_grad_input_grad(%x: tensor<8x4xf32>, %g: tensor<4xf32>) {
  // expected-error @+1 {{'loom.layer_norm_grad' op failed to verify that all of {input, output_grad, input_grad} have same type}}
  %0:3 = "loom.layer_norm_grad"(%x, %g, %x) <{epsilon = 1.0e-05 : f32}> : (tensor<8x4xf32>, tensor<4xf32>, tensor<8x4xf32>) -> (tensor<4x8xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @layer_norm_grad_gain_grad(%x: tensor<8x4xf32>, %g: tensor<4xf32>) {
  // expected-error @+1 {{'loom.layer_norm_grad' op failed to verify that all of {gain, gain_grad, bias_grad} have same type}}
  %0:3 = "loom.layer_norm_grad"(%x, %g, %x) <{epsilon = 1.0e-05 : f32}> : (tensor<8x4xf32>, tensor<4xf32>, tensor<8x4xf32>) -> (tensor<8x4xf32>, tensor<8xf32>, tensor<4xf32>)
  return
}

// -----

func.func @layer_norm_grad_bias_grad(%x: tensor<8x4xf32>, %g: tensor<4xf32>) {
  // expected-error @+1 {{'loom.layer_norm_grad' op failed to verify that all of {gain, gain_grad, bias_grad} have same type}}
  %0:3 = "loom.layer_norm_grad"(%x, %g, %x) <{epsilon = 1.0e-05 : f32}> : (tensor<8x4xf32>, tensor<4xf32>, tensor<8x4xf32>) -> (tensor<8x4xf32>, tensor<4xf32>, tensor<3xf32>)
  return
}

// -----

func.func @rms_norm_grad_gain(%x: tensor<2x8x4xf32>, %g: tensor<8xf32>) {
  // expected-error @+1 {{'loom.rms_norm_grad' op gain must have 4 elements, one per feature of the input 2x8x4, not 8}}
  %0:2 = loom.rms_norm_grad %x, %g, %x epsilon(1.0e-06) : tensor<2x8x4xf32>, tensor<8xf32>
  return
}

// -----

func.func @rms_norm_grad_output_grad(%x: tensor<8x4xf32>, %g: tensor<4xf32>, %dy: tensor<8x3xf32>) {
  // expected-error @+1 {{'loom.rms_norm_grad' op failed to verify that all of {input, output_grad, input_grad} have same type}}
  %0:2 = "loom.rms_norm_grad"(%x, %g, %dy) <{epsilon = 1.0e-06 : f32}> : (tensor<8x4xf32>, tensor<4xf32>, tensor<8x3xf32>) -> (tensor<8x4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @rms_norm_grad_input_grad(%x: tensor<8x4xf32>, %g: tensor<4xf32>) {
  // expected-error @+1 {{'loom.rms_norm_grad' op failed to verify that all of {input, output_grad, input_grad} have same type}}
  %0:2 = "loom.rms_norm_grad"(%x, %g, %x) <{epsilon = 1.0e-06 : f32}> : (tensor<8x4xf32>, tensor<4xf32>, tensor<8x4xf32>) -> (tensor<2x4x4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @rms_norm_grad_gain_grad(%x: tensor<8x4xf32>, %g: tensor<4xf32>) {
  // expected-error @+1 {{'loom.rms_norm_grad' op failed to verify that all of {gain, gain_grad} have same type}}
  %0:2 = "loom.rms_norm_grad"(%x, %g, %x) <{epsilon = 1.0e-06 : f32}> : (tensor<8x4xf32>, tensor<4xf32>, tensor<8x4xf32>) -> (tensor<8x4xf32>, tensor<2xf32>)
  return
}

// -----

//===----------------------------------------------------------------------===//
// loom.attention
//===----------------------------------------------------------------------===//

func.func @attention_zero_heads(%q: tensor<2x8x12xf32>) {
  // expected-error @+1 {{'loom.attention' op needs positive heads and kv_heads, kv_heads dividing heads; got 0 and 3}}
  %0:2 = loom.attention %q, %q, %q heads(0, 3) : tensor<2x8x12xf32>, tensor<2x8x12xf32> -> tensor<2x3x8xf32>
  return
}

// -----

func.func @attention_negative_kv_heads(%q: tensor<2x8x12xf32>) {
  // expected-error @+1 {{'loom.attention' op needs positive heads and kv_heads, kv_heads dividing heads; got 3 and -1}}
  %0:2 = loom.attention %q, %q, %q heads(3, -1) : tensor<2x8x12xf32>, tensor<2x8x12xf32> -> tensor<2x3x8xf32>
  return
}

// -----

func.func @attention_zero_kv_heads(%q: tensor<2x8x12xf32>) {
  // expected-error @+1 {{'loom.attention' op needs positive heads and kv_heads, kv_heads dividing heads; got 3 and 0}}
  %0:2 = loom.attention %q, %q, %q heads(3, 0) : tensor<2x8x12xf32>, tensor<2x8x12xf32> -> tensor<2x3x8xf32>
  return
}

// -----

func.func @attention_kv_heads_not_dividing(%q: tensor<2x8x12xf32>, %kv: tensor<2x8x8xf32>) {
  // expected-error @+1 {{'loom.attention' op needs positive heads and kv_heads, kv_heads dividing heads; got 3 and 2}}
  %0:2 = loom.attention %q, %kv, %kv heads(3, 2) : tensor<2x8x12xf32>, tensor<2x8x8xf32> -> tensor<2x3x8xf32>
  return
}

// -----

func.func @attention_more_kv_heads(%q: tensor<2x8x16xf32>) {
  // expected-error @+1 {{'loom.attention' op needs positive heads and kv_heads, kv_heads dividing heads; got 2 and 4}}
  %0:2 = loom.attention %q, %q, %q heads(2, 4) : tensor<2x8x16xf32>, tensor<2x8x16xf32> -> tensor<2x2x8xf32>
  return
}

// -----

func.func @attention_width(%q: tensor<2x8x10xf32>) {
  // expected-error @+1 {{'loom.attention' op query width 10 is not a multiple of 4 heads}}
  %0:2 = loom.attention %q, %q, %q heads(4, 4) : tensor<2x8x10xf32>, tensor<2x8x10xf32> -> tensor<2x4x8xf32>
  return
}

// -----

func.func @attention_kv_width(%q: tensor<2x8x16xf32>, %kv: tensor<2x8x16xf32>) {
  // expected-error @+1 {{'loom.attention' op keys and values must be 2x8x8 (2 heads of width 4), got 2x8x16}}
  %0:2 = loom.attention %q, %kv, %kv heads(4, 2) : tensor<2x8x16xf32>, tensor<2x8x16xf32> -> tensor<2x4x8xf32>
  return
}

// -----

func.func @attention_key_value_differ(%q: tensor<2x8x12xf32>, %v: tensor<2x8x6xf32>) {
  // expected-error @+1 {{'loom.attention' op failed to verify that all of {key, value} have same type}}
  %0:2 = "loom.attention"(%q, %q, %v) <{heads = 3 : i64, kv_heads = 3 : i64}> : (tensor<2x8x12xf32>, tensor<2x8x12xf32>, tensor<2x8x6xf32>) -> (tensor<2x8x12xf32>, tensor<2x3x8xf32>)
  return
}

// -----

func.func @attention_kv_batch(%q: tensor<2x8x12xf32>, %kv: tensor<4x8x12xf32>) {
  // expected-error @+1 {{'loom.attention' op keys and values must be 2x8x12 (3 heads of width 4), got 4x8x12}}
  %0:2 = loom.attention %q, %kv, %kv heads(3, 3) : tensor<2x8x12xf32>, tensor<4x8x12xf32> -> tensor<2x3x8xf32>
  return
}

// -----

func.func @attention_kv_sequence(%q: tensor<2x8x12xf32>, %kv: tensor<2x7x12xf32>) {
  // expected-error @+1 {{'loom.attention' op keys and values must be 2x8x12 (3 heads of width 4), got 2x7x12}}
  %0:2 = loom.attention %q, %kv, %kv heads(3, 3) : tensor<2x8x12xf32>, tensor<2x7x12xf32> -> tensor<2x3x8xf32>
  return
}

// -----

func.func @attention_output(%q: tensor<2x8x12xf32>) {
  // expected-error @+1 {{'loom.attention' op failed to verify that all of {query, output} have same type}}
  %0:2 = "loom.attention"(%q, %q, %q) <{heads = 3 : i64, kv_heads = 3 : i64}> : (tensor<2x8x12xf32>, tensor<2x8x12xf32>, tensor<2x8x12xf32>) -> (tensor<2x8x4xf32>, tensor<2x3x8xf32>)
  return
}

// -----

func.func @attention_logsumexp(%q: tensor<2x8x16xf32>, %kv: tensor<2x8x8xf32>) {
  // expected-error @+1 {{'loom.attention' op logsumexp must be 2x4x8 (batch, heads, queries), not 2x2x8}}
  %0:2 = loom.attention %q, %kv, %kv heads(4, 2) : tensor<2x8x16xf32>, tensor<2x8x8xf32> -> tensor<2x2x8xf32>
  return
}

// -----

func.func @attention_rank(%q: tensor<8x12xf32>) {
  // expected-error @+1 {{'loom.attention' op operand #0 must be 3D tensor of 32-bit float or 64-bit float values, but got 'tensor<8x12xf32>'}}
  %0:2 = loom.attention %q, %q, %q heads(3, 3) : tensor<8x12xf32>, tensor<8x12xf32> -> tensor<1x3x8xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// loom.attention_grad
//===----------------------------------------------------------------------===//

func.func @attention_grad_heads(%q: tensor<2x8x12xf32>, %kv: tensor<2x8x8xf32>, %p: tensor<2x3x8xf32>) {
  // expected-error @+1 {{'loom.attention_grad' op needs positive heads and kv_heads, kv_heads dividing heads; got 3 and 2}}
  %0:3 = loom.attention_grad %q, %kv, %kv, %q, %p, %q heads(3, 2) : tensor<2x8x12xf32>, tensor<2x8x8xf32>, tensor<2x3x8xf32>
  return
}

// -----

func.func @attention_grad_width(%q: tensor<2x8x12xf32>, %p: tensor<2x5x8xf32>) {
  // expected-error @+1 {{'loom.attention_grad' op query width 12 is not a multiple of 5 heads}}
  %0:3 = loom.attention_grad %q, %q, %q, %q, %p, %q heads(5, 5) : tensor<2x8x12xf32>, tensor<2x8x12xf32>, tensor<2x5x8xf32>
  return
}

// -----

func.func @attention_grad_kv(%q: tensor<2x8x16xf32>, %kv: tensor<2x8x8xf32>, %p: tensor<2x4x8xf32>) {
  // expected-error @+1 {{'loom.attention_grad' op keys and values must be 2x8x4 (1 head of width 4), got 2x8x8}}
  %0:3 = loom.attention_grad %q, %kv, %kv, %q, %p, %q heads(4, 1) : tensor<2x8x16xf32>, tensor<2x8x8xf32>, tensor<2x4x8xf32>
  return
}

// -----

func.func @attention_grad_logsumexp(%q: tensor<2x8x12xf32>, %p: tensor<2x3x7xf32>) {
  // expected-error @+1 {{'loom.attention_grad' op logsumexp must be 2x3x8 (batch, heads, queries), not 2x3x7}}
  %0:3 = loom.attention_grad %q, %q, %q, %q, %p, %q heads(3, 3) : tensor<2x8x12xf32>, tensor<2x8x12xf32>, tensor<2x3x7xf32>
  return
}

// -----

func.func @attention_grad_output_grad(%q: tensor<2x8x12xf32>, %p: tensor<2x3x8xf32>, %do: tensor<2x8x6xf32>) {
  // expected-error @+1 {{'loom.attention_grad' op failed to verify that all of {query, output, output_grad, query_grad} have same type}}
  %0:3 = "loom.attention_grad"(%q, %q, %q, %q, %p, %do) <{heads = 3 : i64, kv_heads = 3 : i64}> : (tensor<2x8x12xf32>, tensor<2x8x12xf32>, tensor<2x8x12xf32>, tensor<2x8x12xf32>, tensor<2x3x8xf32>, tensor<2x8x6xf32>) -> (tensor<2x8x12xf32>, tensor<2x8x12xf32>, tensor<2x8x12xf32>)
  return
}

// -----

func.func @attention_grad_query_grad(%q: tensor<2x8x12xf32>, %p: tensor<2x3x8xf32>) {
  // expected-error @+1 {{'loom.attention_grad' op failed to verify that all of {query, output, output_grad, query_grad} have same type}}
  %0:3 = "loom.attention_grad"(%q, %q, %q, %q, %p, %q) <{heads = 3 : i64, kv_heads = 3 : i64}> : (tensor<2x8x12xf32>, tensor<2x8x12xf32>, tensor<2x8x12xf32>, tensor<2x8x12xf32>, tensor<2x3x8xf32>, tensor<2x8x12xf32>) -> (tensor<2x8x4xf32>, tensor<2x8x12xf32>, tensor<2x8x12xf32>)
  return
}

// -----

// With grouped-query attention the key and value gradients have the
// key/value heads' width, not the queries'.
func.func @attention_grad_key_grad(%q: tensor<2x8x16xf32>, %kv: tensor<2x8x8xf32>, %p: tensor<2x4x8xf32>) {
  // expected-error @+1 {{'loom.attention_grad' op failed to verify that all of {key, value, key_grad, value_grad} have same type}}
  %0:3 = "loom.attention_grad"(%q, %kv, %kv, %q, %p, %q) <{heads = 4 : i64, kv_heads = 2 : i64}> : (tensor<2x8x16xf32>, tensor<2x8x8xf32>, tensor<2x8x8xf32>, tensor<2x8x16xf32>, tensor<2x4x8xf32>, tensor<2x8x16xf32>) -> (tensor<2x8x16xf32>, tensor<2x8x16xf32>, tensor<2x8x8xf32>)
  return
}

// -----

func.func @attention_grad_value_grad(%q: tensor<2x8x16xf32>, %kv: tensor<2x8x8xf32>, %p: tensor<2x4x8xf32>) {
  // expected-error @+1 {{'loom.attention_grad' op failed to verify that all of {key, value, key_grad, value_grad} have same type}}
  %0:3 = "loom.attention_grad"(%q, %kv, %kv, %q, %p, %q) <{heads = 4 : i64, kv_heads = 2 : i64}> : (tensor<2x8x16xf32>, tensor<2x8x8xf32>, tensor<2x8x8xf32>, tensor<2x8x16xf32>, tensor<2x4x8xf32>, tensor<2x8x16xf32>) -> (tensor<2x8x16xf32>, tensor<2x8x8xf32>, tensor<2x8x16xf32>)
  return
}

// -----

//===----------------------------------------------------------------------===//
// loom.rope
//===----------------------------------------------------------------------===//

func.func @rope_width_not_multiple(%x: tensor<2x8x12xf32>) -> tensor<2x8x12xf32> {
  // expected-error @+1 {{'loom.rope' op width 12 must be 5 heads of an even number of columns}}
  %0 = loom.rope %x heads(5) theta(10000.0) : tensor<2x8x12xf32>
  return %0 : tensor<2x8x12xf32>
}

// -----

func.func @rope_odd_head_dim(%x: tensor<2x8x12xf32>) -> tensor<2x8x12xf32> {
  // expected-error @+1 {{'loom.rope' op width 12 must be 4 heads of an even number of columns}}
  %0 = loom.rope %x heads(4) theta(10000.0) : tensor<2x8x12xf32>
  return %0 : tensor<2x8x12xf32>
}

// -----

func.func @rope_zero_heads(%x: tensor<2x8x12xf32>) -> tensor<2x8x12xf32> {
  // expected-error @+1 {{'loom.rope' op needs a positive number of heads, got 0}}
  %0 = loom.rope %x heads(0) theta(10000.0) : tensor<2x8x12xf32>
  return %0 : tensor<2x8x12xf32>
}

// -----

func.func @rope_negative_heads(%x: tensor<2x8x12xf32>) -> tensor<2x8x12xf32> {
  // expected-error @+1 {{'loom.rope' op needs a positive number of heads, got -3}}
  %0 = loom.rope %x heads(-3) theta(10000.0) : tensor<2x8x12xf32>
  return %0 : tensor<2x8x12xf32>
}

// -----

func.func @rope_theta(%x: tensor<2x8x12xf32>) -> tensor<2x8x12xf32> {
  // expected-error @+1 {{'loom.rope' op theta must be positive}}
  %0 = loom.rope %x heads(3) theta(0.0) : tensor<2x8x12xf32>
  return %0 : tensor<2x8x12xf32>
}

// -----

func.func @rope_negative_theta(%x: tensor<2x8x12xf32>) -> tensor<2x8x12xf32> {
  // expected-error @+1 {{'loom.rope' op theta must be positive}}
  %0 = loom.rope %x heads(3) theta(-10000.0) {inverse} : tensor<2x8x12xf32>
  return %0 : tensor<2x8x12xf32>
}

// -----

func.func @rope_type_change(%x: tensor<2x8x12xf32>) -> tensor<2x8x24xf32> {
  // expected-error @+1 {{'loom.rope' op failed to verify that all of {input, result} have same type}}
  %0 = "loom.rope"(%x) <{heads = 3 : i64, theta = 1.0e4 : f64}> : (tensor<2x8x12xf32>) -> tensor<2x8x24xf32>
  return %0 : tensor<2x8x24xf32>
}

// -----

func.func @rope_rank(%x: tensor<8x12xf32>) -> tensor<8x12xf32> {
  // expected-error @+1 {{'loom.rope' op operand #0 must be 3D tensor of 32-bit float or 64-bit float values, but got 'tensor<8x12xf32>'}}
  %0 = loom.rope %x heads(3) theta(10000.0) : tensor<8x12xf32>
  return %0 : tensor<8x12xf32>
}

// -----

//===----------------------------------------------------------------------===//
// loom.embedding, loom.embedding_grad
//===----------------------------------------------------------------------===//

func.func @embedding_width(%t: tensor<50x12xf32>, %ids: tensor<2x8xi32>) -> tensor<2x8x8xf32> {
  // expected-error @+1 {{'loom.embedding' op result must be 2x8x12, a row of 12 for each id, not 2x8x8}}
  %0 = loom.embedding %t, %ids : (tensor<50x12xf32>, tensor<2x8xi32>) -> tensor<2x8x8xf32>
  return %0 : tensor<2x8x8xf32>
}

// -----

func.func @embedding_rows(%t: tensor<50x12xf32>, %ids: tensor<2x8xi32>) -> tensor<16x12xf32> {
  // expected-error @+1 {{'loom.embedding' op result must be 2x8x12, a row of 12 for each id, not 16x12}}
  %0 = loom.embedding %t, %ids : (tensor<50x12xf32>, tensor<2x8xi32>) -> tensor<16x12xf32>
  return %0 : tensor<16x12xf32>
}

// -----

func.func @embedding_float_ids(%t: tensor<50x12xf32>, %ids: tensor<8xf32>) -> tensor<8x12xf32> {
  // expected-error @+1 {{'loom.embedding' op operand #1 must be ranked tensor of 32-bit signless integer values, but got 'tensor<8xf32>'}}
  %0 = loom.embedding %t, %ids : (tensor<50x12xf32>, tensor<8xf32>) -> tensor<8x12xf32>
  return %0 : tensor<8x12xf32>
}

// -----

func.func @embedding_table_rank(%t: tensor<50xf32>, %ids: tensor<8xi32>) -> tensor<8x1xf32> {
  // expected-error @+1 {{'loom.embedding' op operand #0 must be 2D tensor of 32-bit float or 64-bit float values, but got 'tensor<50xf32>'}}
  %0 = loom.embedding %t, %ids : (tensor<50xf32>, tensor<8xi32>) -> tensor<8x1xf32>
  return %0 : tensor<8x1xf32>
}

// -----

func.func @embedding_grad_rows(%ids: tensor<2x8xi32>, %dy: tensor<2x7x12xf32>) -> tensor<50x12xf32> {
  // expected-error @+1 {{'loom.embedding_grad' op output gradient must be 2x8x12, a row for each id, not 2x7x12}}
  %0 = loom.embedding_grad %ids, %dy : (tensor<2x8xi32>, tensor<2x7x12xf32>) -> tensor<50x12xf32>
  return %0 : tensor<50x12xf32>
}

// -----

func.func @embedding_grad_width(%ids: tensor<8xi32>, %dy: tensor<8x12xf32>) -> tensor<50x16xf32> {
  // expected-error @+1 {{'loom.embedding_grad' op output gradient must be 8x16, a row for each id, not 8x12}}
  %0 = loom.embedding_grad %ids, %dy : (tensor<8xi32>, tensor<8x12xf32>) -> tensor<50x16xf32>
  return %0 : tensor<50x16xf32>
}

// -----

func.func @embedding_grad_result_rank(%ids: tensor<8xi32>, %dy: tensor<8x12xf32>) -> tensor<2x50x12xf32> {
  // expected-error @+1 {{'loom.embedding_grad' op result #0 must be 2D tensor of 32-bit float or 64-bit float values, but got 'tensor<2x50x12xf32>'}}
  %0 = loom.embedding_grad %ids, %dy : (tensor<8xi32>, tensor<8x12xf32>) -> tensor<2x50x12xf32>
  return %0 : tensor<2x50x12xf32>
}

// -----

//===----------------------------------------------------------------------===//
// loom.slice, loom.slice_grad
//===----------------------------------------------------------------------===//

func.func @slice_dim_out_of_range(%x: tensor<2x8x36xf32>) -> tensor<2x8x36xf32> {
  // expected-error @+1 {{'loom.slice' op dimension 3 must be one of the 3 dimensions of both tensors}}
  %0 = loom.slice %x dim(3) offset(0) : (tensor<2x8x36xf32>) -> tensor<2x8x36xf32>
  return %0 : tensor<2x8x36xf32>
}

// -----

func.func @slice_negative_dim(%x: tensor<2x8x36xf32>) -> tensor<2x8x12xf32> {
  // expected-error @+1 {{'loom.slice' op dimension -1 must be one of the 3 dimensions of both tensors}}
  %0 = loom.slice %x dim(-1) offset(0) : (tensor<2x8x36xf32>) -> tensor<2x8x12xf32>
  return %0 : tensor<2x8x12xf32>
}

// -----

func.func @slice_rank_change(%x: tensor<2x8x36xf32>) -> tensor<16x12xf32> {
  // expected-error @+1 {{'loom.slice' op dimension 2 must be one of the 3 dimensions of both tensors}}
  %0 = loom.slice %x dim(2) offset(0) : (tensor<2x8x36xf32>) -> tensor<16x12xf32>
  return %0 : tensor<16x12xf32>
}

// -----

func.func @slice_scalar(%x: tensor<f32>) -> tensor<f32> {
  // expected-error @+1 {{'loom.slice' op dimension 0 must be one of the 0 dimensions of both tensors}}
  %0 = loom.slice %x dim(0) offset(0) : (tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @slice_other_dim_differs(%x: tensor<2x8x36xf32>) -> tensor<2x4x12xf32> {
  // expected-error @+1 {{'loom.slice' op shapes 2x8x36 and 2x4x12 may differ only in dimension 2}}
  %0 = loom.slice %x dim(2) offset(0) : (tensor<2x8x36xf32>) -> tensor<2x4x12xf32>
  return %0 : tensor<2x4x12xf32>
}

// -----

func.func @slice_past_end(%x: tensor<2x8x36xf32>) -> tensor<2x8x12xf32> {
  // expected-error @+1 {{'loom.slice' op a range of 12 at offset 30 exceeds dimension 2 of size 36}}
  %0 = loom.slice %x dim(2) offset(30) : (tensor<2x8x36xf32>) -> tensor<2x8x12xf32>
  return %0 : tensor<2x8x12xf32>
}

// -----

func.func @slice_negative_offset(%x: tensor<2x8x36xf32>) -> tensor<2x8x12xf32> {
  // expected-error @+1 {{'loom.slice' op a range of 12 at offset -1 exceeds dimension 2 of size 36}}
  %0 = loom.slice %x dim(2) offset(-1) : (tensor<2x8x36xf32>) -> tensor<2x8x12xf32>
  return %0 : tensor<2x8x12xf32>
}

// -----

func.func @slice_larger_result(%x: tensor<16x12xf32>) -> tensor<32x12xf32> {
  // expected-error @+1 {{'loom.slice' op a range of 32 at offset 0 exceeds dimension 0 of size 16}}
  %0 = loom.slice %x dim(0) offset(0) : (tensor<16x12xf32>) -> tensor<32x12xf32>
  return %0 : tensor<32x12xf32>
}

// -----

func.func @slice_grad_dim(%dy: tensor<2x8x12xf32>) -> tensor<2x8x36xf32> {
  // expected-error @+1 {{'loom.slice_grad' op dimension 5 must be one of the 3 dimensions of both tensors}}
  %0 = loom.slice_grad %dy dim(5) offset(0) : (tensor<2x8x12xf32>) -> tensor<2x8x36xf32>
  return %0 : tensor<2x8x36xf32>
}

// -----

// The operand is the slice, the result the full tensor: shapes print in
// (full, sliced) order.
func.func @slice_grad_other_dim_differs(%dy: tensor<2x8x12xf32>) -> tensor<2x9x36xf32> {
  // expected-error @+1 {{'loom.slice_grad' op shapes 2x9x36 and 2x8x12 may differ only in dimension 2}}
  %0 = loom.slice_grad %dy dim(2) offset(0) : (tensor<2x8x12xf32>) -> tensor<2x9x36xf32>
  return %0 : tensor<2x9x36xf32>
}

// -----

func.func @slice_grad_past_end(%dy: tensor<2x8x12xf32>) -> tensor<2x8x36xf32> {
  // expected-error @+1 {{'loom.slice_grad' op a range of 12 at offset 25 exceeds dimension 2 of size 36}}
  %0 = loom.slice_grad %dy dim(2) offset(25) : (tensor<2x8x12xf32>) -> tensor<2x8x36xf32>
  return %0 : tensor<2x8x36xf32>
}

// -----

//===----------------------------------------------------------------------===//
// loom.cross_entropy, loom.cross_entropy_grad
//===----------------------------------------------------------------------===//

func.func @cross_entropy_label_count(%z: tensor<8x10xf32>, %l: tensor<6xi32>) -> tensor<f32> {
  // expected-error @+1 {{'loom.cross_entropy' op needs one label per row of logits: logits 8x10 take labels 8, not 6}}
  %0 = loom.cross_entropy %z, %l : tensor<8x10xf32>, tensor<6xi32>
  return %0 : tensor<f32>
}

// -----

func.func @cross_entropy_batched_labels(%z: tensor<2x8x10xf32>, %l: tensor<16xi32>) -> tensor<f32> {
  // expected-error @+1 {{'loom.cross_entropy' op needs one label per row of logits: logits 2x8x10 take labels 2x8, not 16}}
  %0 = loom.cross_entropy %z, %l : tensor<2x8x10xf32>, tensor<16xi32>
  return %0 : tensor<f32>
}

// -----

func.func @cross_entropy_labels_per_class(%z: tensor<8x10xf32>, %l: tensor<8x10xi32>) -> tensor<f32> {
  // expected-error @+1 {{'loom.cross_entropy' op needs one label per row of logits: logits 8x10 take labels 8, not 8x10}}
  %0 = loom.cross_entropy %z, %l : tensor<8x10xf32>, tensor<8x10xi32>
  return %0 : tensor<f32>
}

// -----

// Logits need rows.
func.func @cross_entropy_logits_rank1(%z: tensor<10xf32>, %l: tensor<i32>) -> tensor<f32> {
  // expected-error @+1 {{'loom.cross_entropy' op needs logits with rows of class scores, at least 2 dimensions, not 10}}
  %0 = loom.cross_entropy %z, %l : tensor<10xf32>, tensor<i32>
  return %0 : tensor<f32>
}

// -----

func.func @cross_entropy_float_labels(%z: tensor<8x10xf32>, %l: tensor<8xf32>) -> tensor<f32> {
  // expected-error @+1 {{'loom.cross_entropy' op operand #1 must be ranked tensor of 32-bit signless integer values, but got 'tensor<8xf32>'}}
  %0 = loom.cross_entropy %z, %l : tensor<8x10xf32>, tensor<8xf32>
  return %0 : tensor<f32>
}

// -----

func.func @cross_entropy_loss_not_scalar(%z: tensor<8x10xf32>, %l: tensor<8xi32>) -> tensor<8xf32> {
  // expected-error @+1 {{'loom.cross_entropy' op result #0 must be 0D tensor of 32-bit float or 64-bit float values, but got 'tensor<8xf32>'}}
  %0 = "loom.cross_entropy"(%z, %l) : (tensor<8x10xf32>, tensor<8xi32>) -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

func.func @cross_entropy_grad_type(%z: tensor<8x10xf32>, %l: tensor<8xi32>, %d: tensor<f32>) -> tensor<8x9xf32> {
  // expected-error @+1 {{'loom.cross_entropy_grad' op failed to verify that all of {logits, result} have same type}}
  %0 = "loom.cross_entropy_grad"(%z, %l, %d) : (tensor<8x10xf32>, tensor<8xi32>, tensor<f32>) -> tensor<8x9xf32>
  return %0 : tensor<8x9xf32>
}

// -----

func.func @cross_entropy_grad_labels(%z: tensor<2x8x10xf32>, %l: tensor<2x7xi32>, %d: tensor<f32>) -> tensor<2x8x10xf32> {
  // expected-error @+1 {{'loom.cross_entropy_grad' op needs one label per row of logits: logits 2x8x10 take labels 2x8, not 2x7}}
  %0 = loom.cross_entropy_grad %z, %l, %d : tensor<2x8x10xf32>, tensor<2x7xi32>
  return %0 : tensor<2x8x10xf32>
}

// -----

func.func @cross_entropy_grad_loss_grad(%z: tensor<8x10xf32>, %l: tensor<8xi32>, %d: tensor<1xf32>) -> tensor<8x10xf32> {
  // expected-error @+1 {{'loom.cross_entropy_grad' op operand #2 must be 0D tensor of 32-bit float or 64-bit float values, but got 'tensor<1xf32>'}}
  %0 = "loom.cross_entropy_grad"(%z, %l, %d) : (tensor<8x10xf32>, tensor<8xi32>, tensor<1xf32>) -> tensor<8x10xf32>
  return %0 : tensor<8x10xf32>
}

// -----

//===----------------------------------------------------------------------===//
// loom.mse, loom.mse_grad
//===----------------------------------------------------------------------===//

func.func @mse_shapes(%p: tensor<8x4xf32>, %t: tensor<8x3xf32>) -> tensor<f32> {
  // expected-error @+1 {{'loom.mse' op failed to verify that all of {prediction, target} have same type}}
  %0 = "loom.mse"(%p, %t) : (tensor<8x4xf32>, tensor<8x3xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// No broadcasting in mse.
func.func @mse_ranks(%p: tensor<8x4xf32>, %t: tensor<4xf32>) -> tensor<f32> {
  // expected-error @+1 {{'loom.mse' op failed to verify that all of {prediction, target} have same type}}
  %0 = "loom.mse"(%p, %t) : (tensor<8x4xf32>, tensor<4xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

func.func @mse_grad_target(%p: tensor<8x4xf32>, %t: tensor<4x8xf32>, %d: tensor<f32>) -> tensor<8x4xf32> {
  // expected-error @+1 {{'loom.mse_grad' op failed to verify that all of {prediction, target, result} have same type}}
  %0 = "loom.mse_grad"(%p, %t, %d) : (tensor<8x4xf32>, tensor<4x8xf32>, tensor<f32>) -> tensor<8x4xf32>
  return %0 : tensor<8x4xf32>
}

// -----

func.func @mse_grad_result(%p: tensor<8x4xf32>, %t: tensor<8x4xf32>, %d: tensor<f32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'loom.mse_grad' op failed to verify that all of {prediction, target, result} have same type}}
  %0 = "loom.mse_grad"(%p, %t, %d) : (tensor<8x4xf32>, tensor<8x4xf32>, tensor<f32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

//===----------------------------------------------------------------------===//
// loom.sgd_update, loom.adamw_update, loom.sum_squares
//===----------------------------------------------------------------------===//

func.func @sgd_types(%p: tensor<4x3xf32>, %g: tensor<3x4xf32>, %v: tensor<4x3xf32>, %lr: f32, %mu: f32, %s: f32) {
  // expected-error @+1 {{'loom.sgd_update' op failed to verify that all of {param, grad, velocity, new_param, new_velocity} have same type}}
  %p2, %v2 = "loom.sgd_update"(%p, %g, %v, %lr, %mu, %s) : (tensor<4x3xf32>, tensor<3x4xf32>, tensor<4x3xf32>, f32, f32, f32) -> (tensor<4x3xf32>, tensor<4x3xf32>)
  return
}

// -----

// The gradient scale is an operand: an update without it is malformed.
func.func @sgd_operand_count(%p: tensor<4x3xf32>, %lr: f32, %mu: f32) {
  // expected-error @+1 {{'loom.sgd_update' op expected 6 operands, but found 5}}
  %p2, %v2 = "loom.sgd_update"(%p, %p, %p, %lr, %mu) : (tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>, f32, f32) -> (tensor<4x3xf32>, tensor<4x3xf32>)
  return
}

// -----

func.func @sgd_missing_scale(%p: tensor<4x3xf32>, %lr: f32, %mu: f32) {
  // expected-error @+1 {{expected ','}}
  %p2, %v2 = loom.sgd_update %p, %p, %p, lr %lr, momentum %mu : tensor<4x3xf32>
  return
}

// -----

func.func @sgd_hyper_type(%p: tensor<4x3xf32>, %lr: f64, %mu: f32, %s: f32) {
  // expected-error @+1 {{'loom.sgd_update' op operand #3 must be 32-bit float, but got 'f64'}}
  %p2, %v2 = "loom.sgd_update"(%p, %p, %p, %lr, %mu, %s) : (tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>, f64, f32, f32) -> (tensor<4x3xf32>, tensor<4x3xf32>)
  return
}

// -----

func.func @adamw_types(%p: tensor<4x3xf32>, %m: tensor<3xf32>, %f: f32, %t: i64) {
  // expected-error @+1 {{'loom.adamw_update' op failed to verify that all of {param, grad, exp_avg, exp_avg_sq, new_param, new_exp_avg, new_exp_avg_sq} have same type}}
  %0:3 = "loom.adamw_update"(%p, %p, %m, %p, %f, %f, %f, %f, %f, %t, %f) : (tensor<4x3xf32>, tensor<4x3xf32>, tensor<3xf32>, tensor<4x3xf32>, f32, f32, f32, f32, f32, i64, f32) -> (tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>)
  return
}

// -----

func.func @adamw_result_types(%p: tensor<4x3xf32>, %f: f32, %t: i64) {
  // expected-error @+1 {{'loom.adamw_update' op failed to verify that all of {param, grad, exp_avg, exp_avg_sq, new_param, new_exp_avg, new_exp_avg_sq} have same type}}
  %0:3 = "loom.adamw_update"(%p, %p, %p, %p, %f, %f, %f, %f, %f, %t, %f) : (tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>, f32, f32, f32, f32, f32, i64, f32) -> (tensor<4x3xf32>, tensor<4x3xf32>, tensor<12xf32>)
  return
}

// -----

func.func @adamw_step_type(%p: tensor<4x3xf32>, %f: f32) {
  // expected-error @+1 {{'loom.adamw_update' op operand #9 must be 64-bit signless integer, but got 'f32'}}
  %0:3 = "loom.adamw_update"(%p, %p, %p, %p, %f, %f, %f, %f, %f, %f, %f) : (tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>, f32, f32, f32, f32, f32, f32, f32) -> (tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>)
  return
}

// -----

func.func @sum_squares_not_scalar(%g: tensor<4x3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{'loom.sum_squares' op result #0 must be 0D tensor of 32-bit float values, but got 'tensor<3xf32>'}}
  %0 = "loom.sum_squares"(%g) : (tensor<4x3xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

//===----------------------------------------------------------------------===//
// loom.fused_linear
//===----------------------------------------------------------------------===//

func.func @fused_linear_input_rank(%x: tensor<4xf32>, %w: tensor<4x3xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{'loom.fused_linear' op input must have rows: at least 2 dimensions, not 4}}
  %y = loom.fused_linear none %x, %w : (tensor<4xf32>, tensor<4x3xf32>) -> tensor<3xf32>
  return %y : tensor<3xf32>
}

// -----

func.func @fused_linear_residual(%x: tensor<8x4xf32>, %w: tensor<4x3xf32>, %r: tensor<3xf32>) -> tensor<8x3xf32> {
  // expected-error @+1 {{'loom.fused_linear' op residual 3 must have the output's shape 8x3}}
  %y = loom.fused_linear none %x, %w residual %r : (tensor<8x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> tensor<8x3xf32>
  return %y : tensor<8x3xf32>
}

// -----

func.func @fused_linear_chain(%x: tensor<8x4xf32>, %w: tensor<5x3xf32>) -> tensor<8x3xf32> {
  // expected-error @+1 {{'loom.fused_linear' op input 8x4 and weight 5x3 do not chain: input columns must equal the weight's rows}}
  %y = loom.fused_linear relu %x, %w : (tensor<8x4xf32>, tensor<5x3xf32>) -> tensor<8x3xf32>
  return %y : tensor<8x3xf32>
}

// -----

func.func @fused_linear_chain_transposed(%x: tensor<2x8x4xf32>, %w: tensor<4x3xf32>) -> tensor<2x8x4xf32> {
  // expected-error @+1 {{'loom.fused_linear' op input 2x8x4 and weight 4x3 do not chain: input columns must equal the weight's columns (it is transposed)}}
  %y = loom.fused_linear none %x, %w {transpose_weight} : (tensor<2x8x4xf32>, tensor<4x3xf32>) -> tensor<2x8x4xf32>
  return %y : tensor<2x8x4xf32>
}

// -----

func.func @fused_linear_bias(%x: tensor<8x4xf32>, %w: tensor<4x3xf32>, %b: tensor<4xf32>) -> tensor<8x3xf32> {
  // expected-error @+1 {{'loom.fused_linear' op bias must have 3 elements (one per output column), not 4}}
  %y = loom.fused_linear relu %x, %w, %b : (tensor<8x4xf32>, tensor<4x3xf32>, tensor<4xf32>) -> tensor<8x3xf32>
  return %y : tensor<8x3xf32>
}

// -----

func.func @fused_linear_bias_transposed(%x: tensor<8x4xf32>, %w: tensor<3x4xf32>, %b: tensor<4xf32>) -> tensor<8x3xf32> {
  // expected-error @+1 {{'loom.fused_linear' op bias must have 3 elements (one per output column), not 4}}
  %y = loom.fused_linear none %x, %w, %b {transpose_weight} : (tensor<8x4xf32>, tensor<3x4xf32>, tensor<4xf32>) -> tensor<8x3xf32>
  return %y : tensor<8x3xf32>
}

// -----

func.func @fused_linear_weight_rank(%x: tensor<8x4xf32>, %w: tensor<2x4x3xf32>) -> tensor<8x3xf32> {
  // expected-error @+1 {{'loom.fused_linear' op operand #1 must be 2D tensor of 32-bit float or 64-bit float values, but got 'tensor<2x4x3xf32>'}}
  %y = loom.fused_linear none %x, %w : (tensor<8x4xf32>, tensor<2x4x3xf32>) -> tensor<8x3xf32>
  return %y : tensor<8x3xf32>
}

// -----

func.func @fused_linear_output(%x: tensor<2x8x4xf32>, %w: tensor<4x3xf32>) -> tensor<16x3xf32> {
  // expected-error @+1 {{'loom.fused_linear' op output must be 2x8x3, not 16x3}}
  %y = loom.fused_linear relu %x, %w : (tensor<2x8x4xf32>, tensor<4x3xf32>) -> tensor<16x3xf32>
  return %y : tensor<16x3xf32>
}

// -----

func.func @fused_linear_needless_pre_tanh(%x: tensor<8x4xf32>, %w: tensor<4x3xf32>) -> tensor<8x3xf32> {
  // expected-error @+1 {{'loom.fused_linear' op keeps a pre-activation result, which only the gradients of gelu, gelu_erf and silu need, not that of activation tanh}}
  %y, %pre = loom.fused_linear tanh %x, %w : (tensor<8x4xf32>, tensor<4x3xf32>) -> (tensor<8x3xf32>, tensor<8x3xf32>)
  return %y : tensor<8x3xf32>
}

// -----

func.func @fused_linear_needless_pre_relu(%x: tensor<8x4xf32>, %w: tensor<4x3xf32>) -> tensor<8x3xf32> {
  // expected-error @+1 {{'loom.fused_linear' op keeps a pre-activation result, which only the gradients of gelu, gelu_erf and silu need, not that of activation relu}}
  %y, %pre = loom.fused_linear relu %x, %w : (tensor<8x4xf32>, tensor<4x3xf32>) -> (tensor<8x3xf32>, tensor<8x3xf32>)
  return %y : tensor<8x3xf32>
}

// -----

func.func @fused_linear_needless_pre_none(%x: tensor<8x4xf32>, %w: tensor<4x3xf32>) -> tensor<8x3xf32> {
  // expected-error @+1 {{'loom.fused_linear' op keeps a pre-activation result, which only the gradients of gelu, gelu_erf and silu need, not that of activation none}}
  %y, %pre = loom.fused_linear none %x, %w : (tensor<8x4xf32>, tensor<4x3xf32>) -> (tensor<8x3xf32>, tensor<8x3xf32>)
  return %y : tensor<8x3xf32>
}

// -----

func.func @fused_linear_pre_type(%x: tensor<8x4xf32>, %w: tensor<4x3xf32>) -> tensor<8x3xf32> {
  // expected-error @+1 {{'loom.fused_linear' op pre-activation result must have the output's type}}
  %y, %pre = loom.fused_linear gelu %x, %w : (tensor<8x4xf32>, tensor<4x3xf32>) -> (tensor<8x3xf32>, tensor<3x8xf32>)
  return %y : tensor<8x3xf32>
}

// -----

//===----------------------------------------------------------------------===//
// loom.fused_linear_grad
//===----------------------------------------------------------------------===//

func.func @fused_linear_grad_input_rank(%x: tensor<4xf32>, %dy: tensor<3xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{'loom.fused_linear_grad' op input must have rows: at least 2 dimensions, not 4}}
  %dw = loom.fused_linear_grad none %dy, %x : (tensor<3xf32>, tensor<4xf32>) -> tensor<4x3xf32>
  return %dw : tensor<4x3xf32>
}

// -----

func.func @fused_linear_grad_rows(%x: tensor<6x4xf32>, %dy: tensor<8x3xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{'loom.fused_linear_grad' op input 6x4 and output gradient 8x3 must have the same rows}}
  %dw = loom.fused_linear_grad none %dy, %x : (tensor<8x3xf32>, tensor<6x4xf32>) -> tensor<4x3xf32>
  return %dw : tensor<4x3xf32>
}

// -----

func.func @fused_linear_grad_row_ranks(%x: tensor<2x8x4xf32>, %dy: tensor<16x3xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{'loom.fused_linear_grad' op input 2x8x4 and output gradient 16x3 must have the same rows}}
  %dw = loom.fused_linear_grad none %dy, %x : (tensor<16x3xf32>, tensor<2x8x4xf32>) -> tensor<4x3xf32>
  return %dw : tensor<4x3xf32>
}

// -----

func.func @fused_linear_grad_weight_shape(%x: tensor<8x4xf32>, %w: tensor<3x4xf32>, %dy: tensor<8x3xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{'loom.fused_linear_grad' op weight must be 4x3, not 3x4}}
  %dx, %dw = loom.fused_linear_grad none %dy, %x weight %w : (tensor<8x3xf32>, tensor<8x4xf32>, tensor<3x4xf32>) -> (tensor<8x4xf32>, tensor<4x3xf32>)
  return %dw : tensor<4x3xf32>
}

// -----

func.func @fused_linear_grad_transposed_weight_shape(%x: tensor<8x4xf32>, %w: tensor<4x3xf32>, %dy: tensor<8x3xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{'loom.fused_linear_grad' op weight must be 3x4, not 4x3}}
  %dx, %dw = loom.fused_linear_grad none %dy, %x weight %w {transpose_weight} : (tensor<8x3xf32>, tensor<8x4xf32>, tensor<4x3xf32>) -> (tensor<8x4xf32>, tensor<3x4xf32>)
  return %dw : tensor<3x4xf32>
}

// -----

func.func @fused_linear_grad_missing_saved(%x: tensor<8x4xf32>, %dy: tensor<8x3xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{'loom.fused_linear_grad' op needs a saved forward value for the derivative of gelu}}
  %dw = loom.fused_linear_grad gelu %dy, %x : (tensor<8x3xf32>, tensor<8x4xf32>) -> tensor<4x3xf32>
  return %dw : tensor<4x3xf32>
}

// -----

func.func @fused_linear_grad_missing_saved_relu(%x: tensor<8x4xf32>, %w: tensor<4x3xf32>, %dy: tensor<8x3xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{'loom.fused_linear_grad' op needs a saved forward value for the derivative of relu}}
  %dx, %dw = loom.fused_linear_grad relu %dy, %x weight %w : (tensor<8x3xf32>, tensor<8x4xf32>, tensor<4x3xf32>) -> (tensor<8x4xf32>, tensor<4x3xf32>)
  return %dw : tensor<4x3xf32>
}

// -----

func.func @fused_linear_grad_needless_saved(%x: tensor<8x4xf32>, %dy: tensor<8x3xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{'loom.fused_linear_grad' op takes no saved value with activation none}}
  %dw = loom.fused_linear_grad none %dy, %x saved %dy : (tensor<8x3xf32>, tensor<8x4xf32>, tensor<8x3xf32>) -> tensor<4x3xf32>
  return %dw : tensor<4x3xf32>
}

// -----

func.func @fused_linear_grad_saved_shape(%x: tensor<8x4xf32>, %dy: tensor<8x3xf32>, %pre: tensor<8x4xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{'loom.fused_linear_grad' op saved value must be 8x3, not 8x4}}
  %dw = loom.fused_linear_grad silu %dy, %x saved %pre : (tensor<8x3xf32>, tensor<8x4xf32>, tensor<8x4xf32>) -> tensor<4x3xf32>
  return %dw : tensor<4x3xf32>
}

// -----

func.func @fused_linear_grad_result_count(%x: tensor<8x4xf32>, %dy: tensor<8x3xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{'loom.fused_linear_grad' op must have 2 results (input gradient: no, weight gradient, bias gradient: yes), got 1}}
  %dw = loom.fused_linear_grad none %dy, %x {with_bias} : (tensor<8x3xf32>, tensor<8x4xf32>) -> tensor<4x3xf32>
  return %dw : tensor<4x3xf32>
}

// -----

func.func @fused_linear_grad_too_many_results(%x: tensor<8x4xf32>, %w: tensor<4x3xf32>, %dy: tensor<8x3xf32>) {
  // expected-error @+1 {{'loom.fused_linear_grad' op must have 2 results (input gradient: yes, weight gradient, bias gradient: no), got 3}}
  %0:3 = loom.fused_linear_grad none %dy, %x weight %w : (tensor<8x3xf32>, tensor<8x4xf32>, tensor<4x3xf32>) -> (tensor<8x4xf32>, tensor<4x3xf32>, tensor<3xf32>)
  return
}

// -----

func.func @fused_linear_grad_no_results(%x: tensor<8x4xf32>, %dy: tensor<8x3xf32>) {
  // expected-error @+1 {{'loom.fused_linear_grad' op must have 1 results (input gradient: no, weight gradient, bias gradient: no), got 0}}
  "loom.fused_linear_grad"(%dy, %x) <{activation = #loom<activation none>, operandSegmentSizes = array<i32: 1, 1, 0, 0>}> : (tensor<8x3xf32>, tensor<8x4xf32>) -> ()
  return
}

// -----

func.func @fused_linear_grad_input_grad(%x: tensor<8x4xf32>, %w: tensor<4x3xf32>, %dy: tensor<8x3xf32>) {
  // expected-error @+1 {{'loom.fused_linear_grad' op input gradient must have the input's type 'tensor<8x4xf32>'}}
  %0:2 = loom.fused_linear_grad none %dy, %x weight %w : (tensor<8x3xf32>, tensor<8x4xf32>, tensor<4x3xf32>) -> (tensor<4x8xf32>, tensor<4x3xf32>)
  return
}

// -----

func.func @fused_linear_grad_weight_grad(%x: tensor<8x4xf32>, %dy: tensor<8x3xf32>) -> tensor<3x4xf32> {
  // expected-error @+1 {{'loom.fused_linear_grad' op weight gradient must be 4x3, not 3x4}}
  %dw = loom.fused_linear_grad none %dy, %x : (tensor<8x3xf32>, tensor<8x4xf32>) -> tensor<3x4xf32>
  return %dw : tensor<3x4xf32>
}

// -----

func.func @fused_linear_grad_transposed_weight_grad(%x: tensor<8x4xf32>, %dy: tensor<8x3xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{'loom.fused_linear_grad' op weight gradient must be 3x4, not 4x3}}
  %dw = loom.fused_linear_grad none %dy, %x {transpose_weight} : (tensor<8x3xf32>, tensor<8x4xf32>) -> tensor<4x3xf32>
  return %dw : tensor<4x3xf32>
}

// -----

func.func @fused_linear_grad_bias_grad(%x: tensor<8x4xf32>, %dy: tensor<8x3xf32>) {
  // expected-error @+1 {{'loom.fused_linear_grad' op bias gradient must have 3 elements (one per output column), not 4}}
  %0:2 = loom.fused_linear_grad none %dy, %x {with_bias} : (tensor<8x3xf32>, tensor<8x4xf32>) -> (tensor<4x3xf32>, tensor<4xf32>)
  return
}

// -----

func.func @fused_linear_grad_bias_grad_rank(%x: tensor<8x4xf32>, %dy: tensor<8x3xf32>) {
  // expected-error @+1 {{'loom.fused_linear_grad' op bias gradient must have 3 elements (one per output column), not 1x3}}
  %0:2 = loom.fused_linear_grad none %dy, %x {with_bias} : (tensor<8x3xf32>, tensor<8x4xf32>) -> (tensor<4x3xf32>, tensor<1x3xf32>)
  return
}

// -----

//===----------------------------------------------------------------------===//
// #loom.init
//===----------------------------------------------------------------------===//

// expected-error @+1 {{normal initializer needs a non-negative std, got -1}}
func.func @init_negative_std(%w: tensor<4xf32> {loom.param = "w", loom.init = #loom.init<normal(-1.0)>}) {
  return
}

// -----

// expected-error @+1 {{uniform initializer needs low < high, got [1.0, 0.5)}}
func.func @init_bad_range(%w: tensor<4xf32> {loom.param = "w", loom.init = #loom.init<uniform(1.0, 0.5)>}) {
  return
}

// -----

// expected-error @+1 {{uniform initializer needs low < high, got [0.25, 0.25)}}
func.func @init_empty_range(%w: tensor<4xf32> {loom.param = "w", loom.init = #loom.init<uniform(0.25, 0.25)>}) {
  return
}

// -----

// expected-error @+1 {{expected an initializer (normal, uniform, zeros or ones), got 'xavier'}}
func.func @init_unknown(%w: tensor<4xf32> {loom.param = "w", loom.init = #loom.init<xavier>}) {
  return
}

// -----

// expected-error @+1 {{expected '('}}
func.func @init_missing_std(%w: tensor<4xf32> {loom.param = "w", loom.init = #loom.init<normal>}) {
  return
}

// -----

// expected-error @+1 {{expected ','}}
func.func @init_missing_high(%w: tensor<4xf32> {loom.param = "w", loom.init = #loom.init<uniform(-0.5)>}) {
  return
}

// -----

// MLIR float syntax: an integer literal is not accepted as a float.
// expected-error @+2 {{unexpected decimal integer literal for a floating point value}}
// expected-note @+1 {{add a trailing dot to make the literal a float}}
func.func @init_integer_std(%w: tensor<4xf32> {loom.param = "w", loom.init = #loom.init<normal(1)>}) {
  return
}

// -----

// Scalar logits: no rows and no classes (this once crashed the verifier).
func.func @cross_entropy_scalar_logits(%z: tensor<f32>, %l: tensor<i32>) -> tensor<f32> {
  // expected-error @+1 {{'loom.cross_entropy' op needs logits with rows of class scores, at least 2 dimensions, not scalar}}
  %0 = loom.cross_entropy %z, %l : tensor<f32>, tensor<i32>
  return %0 : tensor<f32>
}

// -----

// offset + size would overflow int64: still out of range, not wrapped.
func.func @slice_offset_overflow(%x: tensor<2x8x12xf32>) -> tensor<2x8x4xf32> {
  // expected-error @+1 {{'loom.slice' op a range of 4 at offset 9223372036854775807 exceeds dimension 2 of size 12}}
  %0 = loom.slice %x dim(2) offset(9223372036854775807) : (tensor<2x8x12xf32>) -> tensor<2x8x4xf32>
  return %0 : tensor<2x8x4xf32>
}

// -----

func.func @layer_norm_grad_epsilon(%x: tensor<8x4xf32>, %g: tensor<4xf32>) -> (tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>) {
  // expected-error @+1 {{'loom.layer_norm_grad' op epsilon must be positive and finite}}
  %dx, %dg, %db = loom.layer_norm_grad %x, %g, %x epsilon(-1.0) : tensor<8x4xf32>, tensor<4xf32>
  return %dx, %dg, %db : tensor<8x4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

func.func @attention_grad_output(%q: tensor<2x8x12xf32>, %o: tensor<2x8x6xf32>, %lse: tensor<2x3x8xf32>) {
  // expected-error @+1 {{'loom.attention_grad' op failed to verify that all of {query, output, output_grad, query_grad} have same type}}
  %0:3 = "loom.attention_grad"(%q, %q, %q, %o, %lse, %q) <{heads = 3 : i64, kv_heads = 3 : i64}> : (tensor<2x8x12xf32>, tensor<2x8x12xf32>, tensor<2x8x12xf32>, tensor<2x8x6xf32>, tensor<2x3x8xf32>, tensor<2x8x12xf32>) -> (tensor<2x8x12xf32>, tensor<2x8x12xf32>, tensor<2x8x12xf32>)
  return
}

// -----

//===----------------------------------------------------------------------===//
// loom.rope at a run-time position, loom.cached_attention
//===----------------------------------------------------------------------===//

func.func @rope_position_without_bound(%x: tensor<1x1x12xf32>, %pos: index) -> tensor<1x1x12xf32> {
  // expected-error @+1 {{'loom.rope' op a run-time position and positions(N), its bound, come together}}
  %0 = "loom.rope"(%x, %pos) <{heads = 3 : i64, theta = 1.0e4 : f64}> : (tensor<1x1x12xf32>, index) -> tensor<1x1x12xf32>
  return %0 : tensor<1x1x12xf32>
}

// -----

func.func @rope_bound_without_position(%x: tensor<1x1x12xf32>) -> tensor<1x1x12xf32> {
  // expected-error @+1 {{'loom.rope' op a run-time position and positions(N), its bound, come together}}
  %0 = "loom.rope"(%x) <{heads = 3 : i64, positions = 8 : i64, theta = 1.0e4 : f64}> : (tensor<1x1x12xf32>) -> tensor<1x1x12xf32>
  return %0 : tensor<1x1x12xf32>
}

// -----

func.func @rope_bound_below_rows(%x: tensor<1x9x12xf32>, %pos: index) -> tensor<1x9x12xf32> {
  // expected-error @+1 {{'loom.rope' op positions(8) cannot hold the 9 rows of the input}}
  %0 = loom.rope %x at %pos positions(8) heads(3) theta(10000.0) : tensor<1x9x12xf32>
  return %0 : tensor<1x9x12xf32>
}

// -----

func.func @cached_attention_heads(%q: tensor<1x1x12xf32>, %kv: tensor<1x1x8xf32>, %c: tensor<1x16x8xf32>, %pos: index) {
  // expected-error @+1 {{'loom.cached_attention' op needs positive heads and kv_heads, kv_heads dividing heads; got 3 and 2}}
  %0:3 = loom.cached_attention %q, %kv, %kv into %c, %c at %pos heads(3, 2) : tensor<1x1x12xf32>, tensor<1x1x8xf32>, tensor<1x16x8xf32>
  return
}

// -----

func.func @cached_attention_cache_width(%q: tensor<1x1x16xf32>, %kv: tensor<1x1x8xf32>, %c: tensor<1x16x16xf32>, %pos: index) {
  // expected-error @+1 {{'loom.cached_attention' op caches must be 1xCx8 (batch, positions, key/value width), got 1x16x16}}
  %0:3 = loom.cached_attention %q, %kv, %kv into %c, %c at %pos heads(4, 2) : tensor<1x1x16xf32>, tensor<1x1x8xf32>, tensor<1x16x16xf32>
  return
}

// -----

func.func @cached_attention_cache_batch(%q: tensor<1x1x16xf32>, %kv: tensor<1x1x8xf32>, %c: tensor<2x16x8xf32>, %pos: index) {
  // expected-error @+1 {{'loom.cached_attention' op caches must be 1xCx8 (batch, positions, key/value width), got 2x16x8}}
  %0:3 = loom.cached_attention %q, %kv, %kv into %c, %c at %pos heads(4, 2) : tensor<1x1x16xf32>, tensor<1x1x8xf32>, tensor<2x16x8xf32>
  return
}

// -----

func.func @cached_attention_cache_short(%q: tensor<1x5x16xf32>, %kv: tensor<1x5x8xf32>, %c: tensor<1x4x8xf32>, %pos: index) {
  // expected-error @+1 {{'loom.cached_attention' op caches of 4 positions cannot hold 5 new tokens}}
  %0:3 = loom.cached_attention %q, %kv, %kv into %c, %c at %pos heads(4, 2) : tensor<1x5x16xf32>, tensor<1x5x8xf32>, tensor<1x4x8xf32>
  return
}

//===----------------------------------------------------------------------===//
// loom.gradient_ready
//===----------------------------------------------------------------------===//

// -----

func.func @gradient_ready_of_a_parameter(%w: memref<4x3xf32> {loom.param = "w"}) {
  // expected-error @+1 {{'loom.gradient_ready' op operand must be a gradient buffer (an argument marked loom.grad), not argument #0}}
  loom.gradient_ready %w : memref<4x3xf32>
  return
}

// -----

func.func @gradient_ready_of_a_temporary() {
  %buffer = memref.alloc() : memref<4x3xf32>
  // expected-error @+1 {{'loom.gradient_ready' op operand must be an argument of the enclosing function, the buffer the runtime passes}}
  loom.gradient_ready %buffer : memref<4x3xf32>
  return
}

// -----

func.func @gradient_ready_of_integers(%ids: memref<4xi32> {loom.grad = "w"}) {
  // expected-error @+1 {{'loom.gradient_ready' op operand #0 must be memref of 32-bit float values, but got 'memref<4xi32>'}}
  loom.gradient_ready %ids : memref<4xi32>
  return
}

//===----------------------------------------------------------------------===//
// loom.table_buffer
//===----------------------------------------------------------------------===//

// -----

func.func @table_buffer_from_an_unmarked_argument(%table: !llvm.ptr, %i: index) {
  // expected-error @+1 {{'loom.table_buffer' op table must be the enclosing function's argument marked loom.buffer_table, which the runtime passes}}
  %0 = loom.table_buffer %table[%i] : !llvm.ptr -> memref<4xf32>
  return
}

// -----

func.func @table_buffer_from_a_memref(%table: memref<8xindex> {loom.buffer_table}, %i: index) {
  // expected-error @+1 {{'loom.table_buffer' op table must be an !llvm.ptr, not 'memref<8xindex>'}}
  %0 = loom.table_buffer %table[%i] : memref<8xindex> -> memref<4xf32>
  return
}

// -----

func.func @table_buffer_strided(%table: !llvm.ptr {loom.buffer_table}, %i: index) {
  // expected-error @+1 {{'loom.table_buffer' op the buffer must be dense and row-major (an identity layout), as the runtime's buffers are, not 'memref<4xf32, strided<[2]>>'}}
  %0 = loom.table_buffer %table[%i] : !llvm.ptr -> memref<4xf32, strided<[2]>>
  return
}

// -----

func.func @table_buffer_of_a_dynamic_shape(%table: !llvm.ptr {loom.buffer_table}, %i: index) {
  // expected-error @+1 {{'loom.table_buffer' op result #0 must be statically shaped memref of any type values, but got 'memref<?xf32>'}}
  %0 = loom.table_buffer %table[%i] : !llvm.ptr -> memref<?xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// One element type per op (Loom_SameFloatElementType)
//===----------------------------------------------------------------------===//

func.func @mixed_precision_operands(%a: tensor<8x4xf32>, %b: tensor<4x3xf64>) -> tensor<8x3xf64> {
  // expected-error @+1 {{'loom.matmul' op operand #1 has element type 'f64', but the op's first floating-point tensor has 'f32': an op computes in one precision}}
  %0 = loom.matmul %a, %b : (tensor<8x4xf32>, tensor<4x3xf64>) -> tensor<8x3xf64>
  return %0 : tensor<8x3xf64>
}

// -----

func.func @mixed_precision_result(%a: tensor<8x4xf64>) -> tensor<4xf32> {
  // expected-error @+1 {{'loom.reduce_sum' op result #0 has element type 'f32', but the op's first floating-point tensor has 'f64': an op computes in one precision}}
  %0 = loom.reduce_sum %a : (tensor<8x4xf64>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @bf16_operands(%a: tensor<8x4xbf16>) -> tensor<8x4xbf16> {
  // expected-error @+1 {{'loom.gelu' op operand #0 must be ranked tensor of 32-bit float or 64-bit float values}}
  %0 = loom.gelu %a : tensor<8x4xbf16>
  return %0 : tensor<8x4xbf16>
}
