// RUN: loom-opt %s -split-input-file -pass-pipeline='builtin.module(func.func(loom-reshape-destinations))' | FileCheck %s

// An expanded value written into a destination: the source written into
// the collapsed destination, the result expanded back.
// CHECK-LABEL: func.func @expanded
// CHECK-SAME: (%[[X:[^:]+]]: tensor<12x4xf32>, %[[DEST:[^:]+]]: tensor<3x4x4xf32>)
// CHECK: %[[D:.+]] = tensor.collapse_shape %[[DEST]] {{\[\[}}0, 1], [2]] : tensor<3x4x4xf32> into tensor<12x4xf32>
// CHECK: %[[W:.+]] = bufferization.materialize_in_destination %[[X]] in %[[D]] : (tensor<12x4xf32>, tensor<12x4xf32>) -> tensor<12x4xf32>
// CHECK: %[[R:.+]] = tensor.expand_shape %[[W]] {{\[\[}}0, 1], [2]] output_shape [3, 4, 4] : tensor<12x4xf32> into tensor<3x4x4xf32>
// CHECK: return %[[R]]
func.func @expanded(%x: tensor<12x4xf32>, %dest: tensor<3x4x4xf32>) -> tensor<3x4x4xf32> {
  %e = tensor.expand_shape %x [[0, 1], [2]] output_shape [3, 4, 4] : tensor<12x4xf32> into tensor<3x4x4xf32>
  %r = bufferization.materialize_in_destination %e in %dest : (tensor<3x4x4xf32>, tensor<3x4x4xf32>) -> tensor<3x4x4xf32>
  return %r : tensor<3x4x4xf32>
}

// -----

// A collapsed value, under a second reshape: both moved, innermost last.
// CHECK-LABEL: func.func @two_reshapes
// CHECK-SAME: (%[[X:[^:]+]]: tensor<2x6x4xf32>, %[[DEST:[^:]+]]: tensor<3x4x4xf32>)
// CHECK: %[[D1:.+]] = tensor.collapse_shape %[[DEST]] {{.*}} into tensor<12x4xf32>
// CHECK: %[[D2:.+]] = tensor.expand_shape %[[D1]] {{.*}} into tensor<2x6x4xf32>
// CHECK: %[[W:.+]] = bufferization.materialize_in_destination %[[X]] in %[[D2]] : (tensor<2x6x4xf32>, tensor<2x6x4xf32>) -> tensor<2x6x4xf32>
// CHECK: %[[B1:.+]] = tensor.collapse_shape %[[W]] {{.*}} into tensor<12x4xf32>
// CHECK: %[[B2:.+]] = tensor.expand_shape %[[B1]] {{.*}} into tensor<3x4x4xf32>
// CHECK: return %[[B2]]
func.func @two_reshapes(%x: tensor<2x6x4xf32>, %dest: tensor<3x4x4xf32>) -> tensor<3x4x4xf32> {
  %c = tensor.collapse_shape %x [[0, 1], [2]] : tensor<2x6x4xf32> into tensor<12x4xf32>
  %e = tensor.expand_shape %c [[0, 1], [2]] output_shape [3, 4, 4] : tensor<12x4xf32> into tensor<3x4x4xf32>
  %r = bufferization.materialize_in_destination %e in %dest : (tensor<3x4x4xf32>, tensor<3x4x4xf32>) -> tensor<3x4x4xf32>
  return %r : tensor<3x4x4xf32>
}

// -----

// Left alone: a write into a buffer (a gradient), a value that is no
// reshape, and a reshape of a dynamic shape.
// CHECK-LABEL: func.func @left_alone
// CHECK: %[[E:.+]] = tensor.expand_shape %{{.+}} {{.*}} into tensor<3x4x4xf32>
// CHECK: bufferization.materialize_in_destination %[[E]] in restrict writable %{{.+}} : (tensor<3x4x4xf32>, memref<3x4x4xf32>) -> ()
// CHECK: bufferization.materialize_in_destination %{{.+}} in %{{.+}} : (tensor<3x4x4xf32>, tensor<3x4x4xf32>)
// CHECK: %[[DE:.+]] = tensor.expand_shape %{{.+}} {{.*}} into tensor<?x4x4xf32>
// CHECK: bufferization.materialize_in_destination %[[DE]] in %{{.+}} : (tensor<?x4x4xf32>, tensor<?x4x4xf32>)
// CHECK-NOT: tensor.collapse_shape
func.func @left_alone(%x: tensor<12x4xf32>, %grad: memref<3x4x4xf32>, %y: tensor<3x4x4xf32>,
                      %dest: tensor<3x4x4xf32>, %dx: tensor<?x4xf32>, %ddest: tensor<?x4x4xf32>, %n: index)
    -> (tensor<3x4x4xf32>, tensor<?x4x4xf32>) {
  %e = tensor.expand_shape %x [[0, 1], [2]] output_shape [3, 4, 4] : tensor<12x4xf32> into tensor<3x4x4xf32>
  bufferization.materialize_in_destination %e in restrict writable %grad : (tensor<3x4x4xf32>, memref<3x4x4xf32>) -> ()
  %r = bufferization.materialize_in_destination %y in %dest : (tensor<3x4x4xf32>, tensor<3x4x4xf32>) -> tensor<3x4x4xf32>
  %de = tensor.expand_shape %dx [[0, 1], [2]] output_shape [%n, 4, 4] : tensor<?x4xf32> into tensor<?x4x4xf32>
  %dr = bufferization.materialize_in_destination %de in %ddest : (tensor<?x4x4xf32>, tensor<?x4x4xf32>) -> tensor<?x4x4xf32>
  return %r, %dr : tensor<3x4x4xf32>, tensor<?x4x4xf32>
}
