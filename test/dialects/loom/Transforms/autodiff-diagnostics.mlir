// RUN: loom-opt %s -split-input-file -loom-autodiff -verify-diagnostics

// A parameter that does not influence the loss gets a zero gradient and a
// warning, not an error.
func.func @unused_parameter(%p: tensor<4xf32> {loom.param = "p"}, %t: tensor<4xf32> {loom.input = "t"},
                   // expected-warning @+1 {{parameter 'unused' does not influence the loss; its gradient is zero}}
                   %unused: tensor<3xf32> {loom.param = "unused"}) -> tensor<f32> {
  %l = loom.mse %p, %t : tensor<4xf32>
  return %l : tensor<f32>
}

// -----

// An op without a gradient rule on the path to the loss is an error that
// names the op.
func.func @no_gradient_rule(%x: tensor<4xf32> {loom.param = "x"}, %dy: tensor<4xf32> {loom.input = "dy"}) -> tensor<f32> {
  // expected-error @+1 {{'loom.activation_grad' has no gradient rule, so the loss cannot be differentiated through it}}
  %g = loom.activation_grad gelu %x, %dy : tensor<4xf32>
  %l = loom.mse %g, %dy : tensor<4xf32>
  return %l : tensor<f32>
}

// -----

// expected-error @+1 {{can only differentiate a function that returns one scalar loss, tensor<f32>; 'loss_not_scalar' returns 'tensor<4xf32>'}}
func.func @loss_not_scalar(%x: tensor<4xf32> {loom.param = "x"}) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// -----

// A module whose functions have no parameters has nothing to differentiate.
// expected-error @+1 {{no function with loom.param arguments to differentiate}}
module {
  func.func @model(%x: tensor<4xf32>) -> tensor<f32> {
    %l = loom.mse %x, %x : tensor<4xf32>
    return %l : tensor<f32>
  }
}
