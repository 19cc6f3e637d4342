// RUN: loom-opt %s -loom-autodiff -loom-build-train-step | FileCheck %s
// RUN: not loom-opt %s -loom-autodiff -loom-build-train-step=optimizer=adam 2>&1 | FileCheck %s --check-prefix=OPTIMIZER
// OPTIMIZER: error: unknown optimizer 'adam'; expected sgd

// The forward function becomes eval_loss on the same buffers, read-only.
// CHECK-LABEL: func.func @eval_loss
// CHECK-SAME: (%{{[^:]+}}: memref<8x4xf32> {loom.input = "x"}, %{{[^:]+}}: memref<4x3xf32> {loom.init = #loom.init<normal(0.5)>, loom.param = "w"}, %{{[^:]+}}: memref<8x3xf32> {loom.input = "t"}) -> f32
// CHECK-NOT: writable
// CHECK: return

// train_step takes parameters, gradients, optimizer state, inputs and
// hyperparameters as buffers and scalars; parameters and state are read
// through writable tensors and updated in place, gradients are written into
// their buffers, and the loss is returned as a plain f32.

// CHECK-LABEL: func.func @train_step
// CHECK-SAME: %[[W:[^:]+]]: memref<4x3xf32> {loom.init = #loom.init<normal(0.5)>, loom.param = "w"}
// CHECK-SAME: %[[DW:[^:]+]]: memref<4x3xf32> {loom.grad = "w"}
// CHECK-SAME: %[[V:[^:]+]]: memref<4x3xf32> {loom.state = "w.momentum_buffer"}
// CHECK-SAME: %[[X:[^:]+]]: memref<8x4xf32> {loom.input = "x"}
// CHECK-SAME: %[[T:[^:]+]]: memref<8x3xf32> {loom.input = "t"}
// CHECK-SAME: %[[LR:[^:]+]]: f32 {loom.hyper = "lr"}, %[[MU:[^:]+]]: f32 {loom.hyper = "momentum"}, %{{[^:]+}}: i64 {loom.hyper = "step"}
// CHECK-SAME: -> f32
// CHECK-DAG: %[[WT:.+]] = bufferization.to_tensor %[[W]] restrict writable
// CHECK-DAG: %[[VT:.+]] = bufferization.to_tensor %[[V]] restrict writable
// CHECK-DAG: %[[XT:.+]] = bufferization.to_tensor %[[X]] restrict :
// CHECK: %[[L:.+]] = loom.mse
// CHECK: %[[G:.+]] = loom.matmul %[[XT]], %{{.+}} {transpose_lhs}
// CHECK: bufferization.materialize_in_destination %[[G]] in restrict writable %[[DW]]
// CHECK: %[[NEWW:.+]], %[[NEWV:.+]] = loom.sgd_update %[[WT]], %[[G]], %[[VT]], lr %[[LR]], momentum %[[MU]]
// CHECK: bufferization.materialize_in_destination %[[NEWW]] in writable %[[W]]
// CHECK: bufferization.materialize_in_destination %[[NEWV]] in writable %[[V]]
// CHECK: %[[LOSS:.+]] = tensor.extract %[[L]][]
// CHECK: return %[[LOSS]] : f32
// CHECK-NOT: func.func @forward

func.func @forward(%x: tensor<8x4xf32> {loom.input = "x"},
                   %w: tensor<4x3xf32> {loom.param = "w", loom.init = #loom.init<normal(0.5)>},
                   %t: tensor<8x3xf32> {loom.input = "t"}) -> tensor<f32> {
  %y = loom.matmul %x, %w : (tensor<8x4xf32>, tensor<4x3xf32>) -> tensor<8x3xf32>
  %l = loom.mse %y, %t : (tensor<8x3xf32>, tensor<8x3xf32>) -> tensor<f32>
  return %l : tensor<f32>
}
