// RUN: loom-opt %s -split-input-file -loom-compute-in-f64 | FileCheck %s
// RUN: loom-opt %s -split-input-file -loom-compute-in-f64="functions=eval_loss" | FileCheck %s --check-prefix=NAMED

// An entry point after -loom-build-train-step: what it reads from buffers
// is widened once, where it is read; every op computes in f64, constants
// included; what it stores is rounded to the buffer's f32; the loss is
// returned in f64. Integer tensors (labels) are left as they are.

// CHECK-LABEL: func.func @forward_backward
// CHECK-SAME: -> f64
// CHECK: %[[XT:.+]] = bufferization.to_tensor %{{.+}} : memref<8x5xf32> to tensor<8x5xf32>
// CHECK-NEXT: %[[X:.+]] = arith.extf %[[XT]] : tensor<8x5xf32> to tensor<8x5xf64>
// CHECK: %[[WT:.+]] = bufferization.to_tensor %{{.+}} : memref<5x3xf32> to tensor<5x3xf32>
// CHECK-NEXT: %[[W:.+]] = arith.extf %[[WT]] : tensor<5x3xf32> to tensor<5x3xf64>
// CHECK: %[[L:.+]] = bufferization.to_tensor %{{.+}} : memref<8xi32> to tensor<8xi32>
// CHECK-NOT: arith.extf
// CHECK: %[[Y:.+]] = loom.matmul %[[X]], %[[W]] : (tensor<8x5xf64>, tensor<5x3xf64>) -> tensor<8x3xf64>
// CHECK: %[[LOSS:.+]] = loom.cross_entropy %[[Y]], %[[L]] : tensor<8x3xf64>, tensor<8xi32>
// CHECK: %[[ONE:.+]] = arith.constant dense<1.000000e+00> : tensor<f64>
// CHECK: %[[DY:.+]] = loom.cross_entropy_grad %[[Y]], %[[L]], %[[ONE]] : tensor<8x3xf64>, tensor<8xi32>
// CHECK: %[[DW:.+]] = loom.matmul %[[X]], %[[DY]] {transpose_lhs} : (tensor<8x5xf64>, tensor<8x3xf64>) -> tensor<5x3xf64>
// CHECK: %[[ROUNDED:.+]] = arith.truncf %[[DW]] : tensor<5x3xf64> to tensor<5x3xf32>
// CHECK-NEXT: bufferization.materialize_in_destination %[[ROUNDED]] in restrict writable %{{.+}} : (tensor<5x3xf32>, memref<5x3xf32>)
// CHECK: %[[SCALAR:.+]] = tensor.extract %[[LOSS]][] : tensor<f64>
// CHECK: return %[[SCALAR]] : f64
func.func @forward_backward(%w: memref<5x3xf32> {loom.param = "w"}, %dw: memref<5x3xf32> {loom.grad = "w"},
                            %x: memref<8x5xf32> {loom.input = "x"}, %labels: memref<8xi32> {loom.input = "labels"}) -> f32 {
  %xt = bufferization.to_tensor %x restrict : memref<8x5xf32> to tensor<8x5xf32>
  %wt = bufferization.to_tensor %w restrict : memref<5x3xf32> to tensor<5x3xf32>
  %l = bufferization.to_tensor %labels restrict : memref<8xi32> to tensor<8xi32>
  %y = loom.matmul %xt, %wt : (tensor<8x5xf32>, tensor<5x3xf32>) -> tensor<8x3xf32>
  %loss = loom.cross_entropy %y, %l : tensor<8x3xf32>, tensor<8xi32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %dy = loom.cross_entropy_grad %y, %l, %one : tensor<8x3xf32>, tensor<8xi32>
  %g = loom.matmul %xt, %dy {transpose_lhs} : (tensor<8x5xf32>, tensor<8x3xf32>) -> tensor<5x3xf32>
  loom.gradient_ready %dw : memref<5x3xf32>
  bufferization.materialize_in_destination %g in restrict writable %dw : (tensor<5x3xf32>, memref<5x3xf32>) -> ()
  %s = tensor.extract %loss[] : tensor<f32>
  return %s : f32
}

// What it must not touch: other functions (the optimizer's, here), which
// update the f32 masters.
// CHECK-LABEL: func.func @update_sgd
// CHECK-NOT: f64
// CHECK: return
func.func @update_sgd(%p: memref<5x3xf32> {loom.param = "w"}, %lr: f32 {loom.hyper = "lr"}) {
  %t = bufferization.to_tensor %p restrict : memref<5x3xf32> to tensor<5x3xf32>
  %c = arith.constant 2.0 : f32
  return
}

// With `functions`, only those named; a name the module lacks is skipped.
// NAMED-LABEL: func.func @forward_backward
// NAMED-SAME: -> f32
// NAMED-NOT: f64
// NAMED-LABEL: func.func @update_sgd

// -----

// Constants of every kind are widened: splats, dense tensors, scalars;
// nested regions' block arguments too.
// CHECK-LABEL: func.func @eval_loss
// CHECK-SAME: -> f64
// CHECK: arith.constant dense<[1.000000e+00, 2.500000e-01]> : tensor<2xf64>
// CHECK: arith.constant 5.000000e-01 : f64
// CHECK: scf.for {{.+}} iter_args(%{{.+}} = %{{.+}}) -> (f64)
// CHECK: ^bb1(%{{.+}}: f64
// NAMED-LABEL: func.func @eval_loss
// NAMED-SAME: -> f64
func.func @eval_loss(%x: memref<2xf32> {loom.input = "x"}) -> f32 {
  %xt = bufferization.to_tensor %x restrict : memref<2xf32> to tensor<2xf32>
  %c = arith.constant dense<[1.0, 0.25]> : tensor<2xf32>
  %y = loom.add %xt, %c : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xf32>
  %loss = loom.mse %y, %xt : tensor<2xf32>
  %s = tensor.extract %loss[] : tensor<f32>
  %half = arith.constant 0.5 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %sum = scf.for %i = %c0 to %c2 step %c1 iter_args(%acc = %s) -> (f32) {
    %next = arith.addf %acc, %half : f32
    scf.yield %next : f32
  }
  %r = scf.execute_region -> f32 {
    cf.br ^bb0(%sum : f32)
  ^bb0(%v: f32):
    scf.yield %v : f32
  }
  return %r : f32
}
