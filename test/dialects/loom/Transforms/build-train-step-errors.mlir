// RUN: loom-opt %s -split-input-file -loom-build-train-step -verify-diagnostics

// expected-error @+1 {{no function has a gradient (a NAME_grad function); run -loom-autodiff first}}
module {
  func.func @single_parameter_model(%x: tensor<4xf32> {loom.param = "x"}) -> tensor<f32> {
    %l = loom.mse %x, %x : tensor<4xf32>
    return %l : tensor<f32>
  }
}

// -----

// The functions the pass creates must not exist already, the updates
// included.
module {
  func.func @existing_update_model(%x: tensor<4xf32> {loom.param = "x"}) -> tensor<f32> {
    %l = loom.mse %x, %x : tensor<4xf32>
    return %l : tensor<f32>
  }
  // expected-error @+1 {{a function named 'update_adamw' already exists}}
  func.func @existing_update_model_grad(%x: tensor<4xf32> {loom.param = "x"}) -> (tensor<f32>, tensor<4xf32>) {
    %l = loom.mse %x, %x : tensor<4xf32>
    return %l, %x : tensor<f32>, tensor<4xf32>
  }
  func.func @update_adamw() {
    return
  }
}

// -----

// Two models, each with its gradient: which one the step is for is not
// guessed.
// expected-error @+1 {{several functions have gradients (first_model, second_model); name the model with -loom-build-train-step=function=NAME}}
module {
  func.func @first_model(%x: tensor<4xf32> {loom.param = "x"}) -> tensor<f32> {
    %l = loom.mse %x, %x : tensor<4xf32>
    return %l : tensor<f32>
  }
  func.func @first_model_grad(%x: tensor<4xf32> {loom.param = "x"}) -> (tensor<f32>, tensor<4xf32>) {
    %l = loom.mse %x, %x : tensor<4xf32>
    return %l, %x : tensor<f32>, tensor<4xf32>
  }
  func.func @second_model(%x: tensor<4xf32> {loom.param = "x"}) -> tensor<f32> {
    %l = loom.mse %x, %x : tensor<4xf32>
    return %l : tensor<f32>
  }
  func.func @second_model_grad(%x: tensor<4xf32> {loom.param = "x"}) -> (tensor<f32>, tensor<4xf32>) {
    %l = loom.mse %x, %x : tensor<4xf32>
    return %l, %x : tensor<f32>, tensor<4xf32>
  }
}
