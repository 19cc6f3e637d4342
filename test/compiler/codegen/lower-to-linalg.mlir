// RUN: loom-opt %s -split-input-file -loom-lower-to-linalg | FileCheck %s

// A product zero-fills its accumulator; a transposed right operand is first
// copied into its transpose; a transposed left one is read through the map.

// CHECK-LABEL: func.func @matmuls
// CHECK: %[[FILL:.+]] = linalg.fill
// CHECK: linalg.matmul ins(%{{.+}}, %{{.+}} : tensor<8x4xf32>, tensor<4x3xf32>) outs(%[[FILL]] : tensor<8x3xf32>)
// CHECK: %[[T:.+]] = linalg.transpose ins(%{{.+}} : tensor<3x4xf32>) outs(%{{.+}} : tensor<4x3xf32>) permutation = [1, 0]
// CHECK: linalg.matmul ins(%{{.+}}, %[[T]] : tensor<8x4xf32>, tensor<4x3xf32>)
// CHECK: linalg.matmul indexing_maps = [#{{.+}}, #{{.+}}, #{{.+}}] ins(%{{.+}}, %{{.+}} : tensor<4x8xf32>, tensor<4x3xf32>)
// CHECK-NOT: loom.
func.func @matmuls(%a: tensor<8x4xf32>, %b: tensor<4x3xf32>, %bt: tensor<3x4xf32>, %at: tensor<4x8xf32>)
    -> (tensor<8x3xf32>, tensor<8x3xf32>, tensor<8x3xf32>) {
  %0 = loom.matmul %a, %b : (tensor<8x4xf32>, tensor<4x3xf32>) -> tensor<8x3xf32>
  %1 = loom.matmul %a, %bt {transpose_rhs} : (tensor<8x4xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  %2 = loom.matmul %at, %b {transpose_lhs} : (tensor<4x8xf32>, tensor<4x3xf32>) -> tensor<8x3xf32>
  return %0, %1, %2 : tensor<8x3xf32>, tensor<8x3xf32>, tensor<8x3xf32>
}

// -----

// A broadcast add reads the bias through a trailing-dimension map; a
// reduction over rows is a generic with a leading reduction iterator.

// CHECK-DAG: #[[FULL:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[COL:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @add_and_reduce
// CHECK: linalg.generic {indexing_maps = [#[[FULL]], #[[COL]], #[[FULL]]], iterator_types = ["parallel", "parallel"]}
// CHECK: arith.addf
// CHECK: linalg.generic {indexing_maps = [#[[FULL]], #[[COL]]], iterator_types = ["reduction", "parallel"]}
func.func @add_and_reduce(%x: tensor<8x3xf32>, %b: tensor<3xf32>) -> (tensor<8x3xf32>, tensor<3xf32>) {
  %0 = loom.add %x, %b : (tensor<8x3xf32>, tensor<3xf32>) -> tensor<8x3xf32>
  %1 = loom.reduce_sum %x : (tensor<8x3xf32>) -> tensor<3xf32>
  return %0, %1 : tensor<8x3xf32>, tensor<3xf32>
}

// -----

// The SGD update writes into the parameter's and the velocity's own tensors.

// CHECK-LABEL: func.func @sgd
// CHECK-SAME: (%[[P:[^:]+]]: tensor<4xf32>, %[[G:[^:]+]]: tensor<4xf32>, %[[V:[^:]+]]: tensor<4xf32>
// CHECK: linalg.generic {{.+}} ins(%[[G]] : tensor<4xf32>) outs(%[[P]], %[[V]] : tensor<4xf32>, tensor<4xf32>)
func.func @sgd(%p: tensor<4xf32>, %g: tensor<4xf32>, %v: tensor<4xf32>, %lr: f32, %mu: f32) -> (tensor<4xf32>, tensor<4xf32>) {
  %p2, %v2 = loom.sgd_update %p, %g, %v, lr %lr, momentum %mu : tensor<4xf32>
  return %p2, %v2 : tensor<4xf32>, tensor<4xf32>
}

// -----

// A fused linear is the matmul and its bias + GELU epilogue, marked as one
// fusion group; the epilogue also yields the pre-activation.

// CHECK-LABEL: func.func @fused_linear
// CHECK: %[[MM:.+]] = linalg.matmul {loom.fusion_group = [[GROUP:[0-9]+]] : i64}
// CHECK: linalg.generic {{.+}} ins(%[[MM]], %{{.+}} : tensor<8x3xf32>, tensor<3xf32>) outs(%{{.+}}, %{{.+}} : tensor<8x3xf32>, tensor<8x3xf32>) attrs = {loom.fusion_group = [[GROUP]] : i64}
// CHECK: math.tanh
// CHECK: linalg.yield %{{.+}}, %{{.+}} : f32, f32
func.func @fused_linear(%x: tensor<8x4xf32>, %w: tensor<4x3xf32>, %b: tensor<3xf32>) -> (tensor<8x3xf32>, tensor<8x3xf32>) {
  %y, %pre = loom.fused_linear gelu %x, %w, %b : (tensor<8x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> (tensor<8x3xf32>, tensor<8x3xf32>)
  return %y, %pre : tensor<8x3xf32>, tensor<8x3xf32>
}

// -----

// The fused backward: one generic computes dz and the bias gradient in a
// single pass (rows are its reduction dimension), then the two products
// read dz.

// CHECK-LABEL: func.func @fused_linear_grad
// CHECK: %[[PASS:.+]]:2 = linalg.generic {{.+}} iterator_types = ["reduction", "parallel"]} ins(%{{.+}}, %{{.+}} : tensor<8x3xf32>, tensor<8x3xf32>) outs(%{{.+}}, %{{.+}} : tensor<8x3xf32>, tensor<3xf32>) attrs = {loom.fusion_group
// CHECK: %[[WT:.+]] = linalg.transpose
// CHECK: linalg.matmul ins(%[[PASS]]#0, %[[WT]]
// CHECK: linalg.matmul indexing_maps = {{.+}} ins(%{{.+}}, %[[PASS]]#0
func.func @fused_linear_grad(%dy: tensor<8x3xf32>, %x: tensor<8x4xf32>, %w: tensor<4x3xf32>, %pre: tensor<8x3xf32>)
    -> (tensor<8x4xf32>, tensor<4x3xf32>, tensor<3xf32>) {
  %dx, %dw, %db = loom.fused_linear_grad gelu %dy, %x weight %w saved %pre {with_bias} : (tensor<8x3xf32>, tensor<8x4xf32>, tensor<4x3xf32>, tensor<8x3xf32>) -> (tensor<8x4xf32>, tensor<4x3xf32>, tensor<3xf32>)
  return %dx, %dw, %db : tensor<8x4xf32>, tensor<4x3xf32>, tensor<3xf32>
}
