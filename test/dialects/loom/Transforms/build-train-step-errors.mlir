// RUN: loom-opt %s -split-input-file -loom-build-train-step -verify-diagnostics

// expected-error @+1 {{no gradient function 'forward_grad'; run -loom-autodiff first}}
module {
  func.func @forward(%x: tensor<4xf32> {loom.param = "x"}) -> tensor<f32> {
    %l = loom.mse %x, %x : tensor<4xf32>
    return %l : tensor<f32>
  }
}

// -----

// The functions the pass creates must not exist already, the updates
// included.
module {
  func.func @forward(%x: tensor<4xf32> {loom.param = "x"}) -> tensor<f32> {
    %l = loom.mse %x, %x : tensor<4xf32>
    return %l : tensor<f32>
  }
  // expected-error @+1 {{a function named 'update_adamw' already exists}}
  func.func @forward_grad(%x: tensor<4xf32> {loom.param = "x"}) -> (tensor<f32>, tensor<4xf32>) {
    %l = loom.mse %x, %x : tensor<4xf32>
    return %l, %x : tensor<f32>, tensor<4xf32>
  }
  func.func @update_adamw() {
    return
  }
}
