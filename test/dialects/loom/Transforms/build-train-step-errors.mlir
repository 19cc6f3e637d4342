// RUN: loom-opt %s -loom-build-train-step -verify-diagnostics

// expected-error @+1 {{no gradient function 'forward_grad'; run -loom-autodiff first}}
module {
  func.func @forward(%x: tensor<4xf32> {loom.param = "x"}) -> tensor<f32> {
    %l = loom.mse %x, %x : (tensor<4xf32>, tensor<4xf32>) -> tensor<f32>
    return %l : tensor<f32>
  }
}
