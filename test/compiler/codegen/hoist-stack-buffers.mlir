// RUN: loom-opt %s -split-input-file -loom-hoist-stack-buffers | FileCheck %s

// A stack buffer inside a loop is allocated once, in the function's entry
// block, and the loop uses it at every iteration.

// CHECK-LABEL: func.func @in_a_loop
// CHECK-NEXT: %[[BUF:.+]] = memref.alloca() : memref<16x16xf32>
// CHECK: scf.for
// CHECK-NOT: memref.alloca
// CHECK: memref.store %{{.+}}, %[[BUF]]
func.func @in_a_loop(%n: index, %x: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    %buf = memref.alloca() : memref<16x16xf32>
    memref.store %x, %buf[%c0, %c0] : memref<16x16xf32>
  }
  return
}

// -----

// Inside a parallel region it goes to the region's entry block: one per
// thread, never shared between threads.

// CHECK-LABEL: func.func @in_a_parallel_region
// CHECK-NEXT: arith.constant
// CHECK-NEXT: arith.constant
// CHECK-NEXT: omp.parallel {
// CHECK-NEXT: %[[BUF:.+]] = memref.alloca() : memref<4xf32>
// CHECK: scf.for
// CHECK-NOT: memref.alloca
// CHECK: memref.store %{{.+}}, %[[BUF]]
func.func @in_a_parallel_region(%n: index, %x: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  omp.parallel {
    scf.for %i = %c0 to %n step %c1 {
      %buf = memref.alloca() : memref<4xf32>
      memref.store %x, %buf[%c0] : memref<4xf32>
    }
    omp.terminator
  }
  return
}

// -----

// What it must not move: a buffer of a run-time size, and one that an
// alloca scope releases at each iteration.

// CHECK-LABEL: func.func @left_in_place
// CHECK: scf.for
// CHECK: memref.alloca(%{{.+}}) : memref<?xf32>
// CHECK: memref.alloca_scope {
// CHECK-NEXT: memref.alloca() : memref<8xf32>
func.func @left_in_place(%n: index, %x: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    %dyn = memref.alloca(%i) : memref<?xf32>
    memref.alloca_scope {
      %buf = memref.alloca() : memref<8xf32>
      memref.store %x, %buf[%c0] : memref<8xf32>
    }
  }
  return
}
