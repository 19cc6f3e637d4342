// RUN: loom-opt %s -split-input-file -loom-lower-gradient-ready | FileCheck %s

// After bufferization: a gradient computed in place is said ready right
// after the loop that writes it, with its position among the gradients
// (the parameter before it does not count).

// CHECK-LABEL: func.func @computed_in_place
// CHECK-SAME: %[[DW:[^:]+]]: memref<4xf32> {loom.grad = "w"}, %[[DB:[^:]+]]: memref<4xf32> {loom.grad = "b"}
// CHECK: scf.for
// CHECK: memref.store %{{.+}}, %[[DB]][
// CHECK: }
// CHECK-NEXT: %[[ONE:.+]] = arith.constant 1 : i32
// CHECK-NEXT: call @loom_gradient_ready(%[[ONE]]) : (i32) -> ()
// CHECK-NOT: loom.gradient_ready
// CHECK: func.func private @loom_gradient_ready(i32)
func.func @computed_in_place(%w: memref<4xf32> {loom.param = "w"},
                             %dw: memref<4xf32> {loom.grad = "w"},
                             %db: memref<4xf32> {loom.grad = "b"}, %v: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  loom.gradient_ready %db : memref<4xf32>
  scf.for %i = %c0 to %c4 step %c1 {
    memref.store %v, %db[%i] : memref<4xf32>
  }
  return
}

// -----

// A gradient copied into its buffer later, through a view, and a buffer
// read as scratch after its value is complete: each call moves after the
// last access, so that the runtime never reduces a buffer the pass still
// writes or reads. The other gradient stays where it was said ready.

// CHECK-LABEL: func.func @copied_in_and_read_later
// CHECK-SAME: %[[DA:[^:]+]]: memref<2x4xf32> {loom.grad = "a"}, %[[DB:[^:]+]]: memref<4xf32> {loom.grad = "b"}, %[[DC:[^:]+]]: memref<4xf32> {loom.grad = "c"}
// CHECK: %[[TWO:.+]] = arith.constant 2 : i32
// CHECK-NEXT: call @loom_gradient_ready(%[[TWO]])
// CHECK: %[[FLAT:.+]] = memref.collapse_shape %[[DA]]
// CHECK: memref.copy %{{.+}}, %[[FLAT]]
// CHECK-NEXT: %[[ZERO:.+]] = arith.constant 0 : i32
// CHECK-NEXT: call @loom_gradient_ready(%[[ZERO]])
// CHECK: memref.copy %[[DB]], %{{.+}}
// CHECK-NEXT: %[[ONE:.+]] = arith.constant 1 : i32
// CHECK-NEXT: call @loom_gradient_ready(%[[ONE]])
// CHECK-NEXT: return
func.func @copied_in_and_read_later(%da: memref<2x4xf32> {loom.grad = "a"},
                                    %db: memref<4xf32> {loom.grad = "b"},
                                    %dc: memref<4xf32> {loom.grad = "c"},
                                    %value: memref<8xf32>, %scratch: memref<4xf32>) {
  loom.gradient_ready %da : memref<2x4xf32>
  loom.gradient_ready %db : memref<4xf32>
  loom.gradient_ready %dc : memref<4xf32>
  %flat = memref.collapse_shape %da [[0, 1]] : memref<2x4xf32> into memref<8xf32>
  memref.copy %value, %flat : memref<8xf32> to memref<8xf32>
  memref.copy %db, %scratch : memref<4xf32> to memref<4xf32>
  return
}

// -----

// A function without the op is left alone; no hook is declared.

// CHECK-LABEL: func.func @no_gradients
// CHECK-NOT: loom_gradient_ready
func.func @no_gradients(%x: memref<4xf32>) {
  return
}
