// RUN: loom-opt %s -split-input-file -loom-roll-repeated-calls | FileCheck %s

// Three layers of a block after memory planning: each reads the previous
// layer's output (the first, the embedding's) from the arena and writes its
// own there, with its parameter and gradient from the runtime's table, and
// says its gradient ready with its number. One loop: the arena offsets and
// table positions in one index table, the gradient numbers in an i32 one;
// the entry function takes the runtime's table.

func.func private @block(%x: memref<4xf32>, %w: memref<4xf32>, %out: memref<4xf32>, %dw: memref<4xf32>) attributes {loom.entry = "step"} {
  memref.copy %w, %out : memref<4xf32> to memref<4xf32>
  memref.copy %x, %dw : memref<4xf32> to memref<4xf32>
  return
}
func.func private @loom_gradient_ready(i32)

// CHECK-LABEL: func.func @step
// CHECK-NOT: loom.table_index
// CHECK-SAME: %[[TABLE:[^:]+]]: !llvm.ptr {loom.buffer_table})
// CHECK: %[[ARENA:.+]] = memref.alloc()
// CHECK-DAG: %[[INDICES:.+]] = memref.get_global @step.layers : memref<3x4xindex>
// CHECK-DAG: %[[NUMBERS:.+]] = memref.get_global @step.layers_0 : memref<3x1xi32>
// CHECK: scf.for %[[LAYER:[^ ]+]] = %{{.+}} to %{{.+}} step
// CHECK: %[[OUT:.+]] = memref.view %[[ARENA]][%{{.+}}][]
// CHECK: %[[IN:.+]] = memref.view %[[ARENA]][%{{.+}}][]
// CHECK: %[[W:.+]] = loom.table_buffer %[[TABLE]][%{{.+}}] : !llvm.ptr -> memref<4xf32>
// CHECK: %[[DW:.+]] = loom.table_buffer %[[TABLE]][%{{.+}}] : !llvm.ptr -> memref<4xf32>
// CHECK: func.call @block(%[[IN]], %[[W]], %[[OUT]], %[[DW]]) :
// CHECK: %[[NUMBER:.+]] = memref.load %[[NUMBERS]][%[[LAYER]], %{{.+}}] : memref<3x1xi32>
// CHECK: func.call @loom_gradient_ready(%[[NUMBER]])
// CHECK-NEXT: }
// CHECK-NEXT: memref.dealloc %[[ARENA]]
// CHECK-NOT: call @block
// CHECK: memref.global "private" constant @step.layers : memref<3x4xindex> = dense<{{\[}}[0, 48, 0, 3], [16, 0, 1, 4], [32, 16, 2, 5]]>
// CHECK: memref.global "private" constant @step.layers_0 : memref<3x1xi32> = dense<{{\[}}[2], [1], [0]]>
func.func @step(%w0: memref<4xf32> {loom.param = "h.0.w", loom.table_index = 0 : i64},
                %w1: memref<4xf32> {loom.param = "h.1.w", loom.table_index = 1 : i64},
                %w2: memref<4xf32> {loom.param = "h.2.w", loom.table_index = 2 : i64},
                %dw0: memref<4xf32> {loom.grad = "h.0.w", loom.table_index = 3 : i64},
                %dw1: memref<4xf32> {loom.grad = "h.1.w", loom.table_index = 4 : i64},
                %dw2: memref<4xf32> {loom.grad = "h.2.w", loom.table_index = 5 : i64}) {
  %arena = memref.alloc() : memref<64xi8>
  %c48 = arith.constant 48 : index
  %x = memref.view %arena[%c48][] : memref<64xi8> to memref<4xf32>
  %c0 = arith.constant 0 : index
  %v0 = memref.view %arena[%c0][] : memref<64xi8> to memref<4xf32>
  call @block(%x, %w0, %v0, %dw0) {loom.instance = "h.0"} : (memref<4xf32>, memref<4xf32>, memref<4xf32>, memref<4xf32>) -> ()
  %g0 = arith.constant 2 : i32
  call @loom_gradient_ready(%g0) : (i32) -> ()
  %c16 = arith.constant 16 : index
  %v1 = memref.view %arena[%c16][] : memref<64xi8> to memref<4xf32>
  call @block(%v0, %w1, %v1, %dw1) {loom.instance = "h.1"} : (memref<4xf32>, memref<4xf32>, memref<4xf32>, memref<4xf32>) -> ()
  %g1 = arith.constant 1 : i32
  call @loom_gradient_ready(%g1) : (i32) -> ()
  %c32 = arith.constant 32 : index
  %v2 = memref.view %arena[%c32][] : memref<64xi8> to memref<4xf32>
  call @block(%v1, %w2, %v2, %dw2) {loom.instance = "h.2"} : (memref<4xf32>, memref<4xf32>, memref<4xf32>, memref<4xf32>) -> ()
  %g2 = arith.constant 0 : i32
  call @loom_gradient_ready(%g2) : (i32) -> ()
  memref.dealloc %arena : memref<64xi8>
  return
}

// -----

// A running sum over the layers (grad_norm's squares): carried by the loop,
// whose result the code after it reads.

func.func private @sum_squares(%g: memref<4xf32>) -> f32 attributes {loom.entry = "norm"} {
  %c0 = arith.constant 0 : index
  %0 = memref.load %g[%c0] : memref<4xf32>
  return %0 : f32
}

// CHECK-LABEL: func.func @norm
// CHECK: %[[ZERO:.+]] = arith.constant 0.0
// CHECK: %[[SUM:.+]] = scf.for %{{.+}} = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%[[RUNNING:.+]] = %[[ZERO]]) -> (f32) {
// CHECK: %[[G:.+]] = loom.table_buffer
// CHECK: %[[SQUARES:.+]] = func.call @sum_squares(%[[G]])
// CHECK: %[[NEXT:.+]] = arith.addf %[[RUNNING]], %[[SQUARES]] : f32
// CHECK: scf.yield %[[NEXT]] : f32
// CHECK: %[[ROOT:.+]] = math.sqrt %[[SUM]] : f32
// CHECK: return %[[ROOT]]
func.func @norm(%g0: memref<4xf32> {loom.grad = "h.0.w", loom.table_index = 3 : i64},
                %g1: memref<4xf32> {loom.grad = "h.1.w", loom.table_index = 4 : i64},
                %g2: memref<4xf32> {loom.grad = "h.2.w", loom.table_index = 5 : i64}) -> f32 {
  %zero = arith.constant 0.0 : f32
  %s0 = call @sum_squares(%g0) : (memref<4xf32>) -> f32
  %a0 = arith.addf %zero, %s0 : f32
  %s1 = call @sum_squares(%g1) : (memref<4xf32>) -> f32
  %a1 = arith.addf %a0, %s1 : f32
  %s2 = call @sum_squares(%g2) : (memref<4xf32>) -> f32
  %a2 = arith.addf %a1, %s2 : f32
  %root = math.sqrt %a2 : f32
  return %root : f32
}

// -----

// Must not roll: an argument the runtime's table does not hold (no
// loom.table_index), which differs from layer to layer.

func.func private @block(%w: memref<4xf32>) attributes {loom.entry = "untabled"} {
  return
}

// CHECK-LABEL: func.func @untabled
// CHECK-NOT: scf.for
// CHECK-NOT: !llvm.ptr
// CHECK: call @block(%{{.+}}) {loom.instance = "h.0"}
// CHECK: call @block(%{{.+}}) {loom.instance = "h.1"}
func.func @untabled(%w0: memref<4xf32>, %w1: memref<4xf32>) {
  call @block(%w0) {loom.instance = "h.0"} : (memref<4xf32>) -> ()
  call @block(%w1) {loom.instance = "h.1"} : (memref<4xf32>) -> ()
  return
}

// -----

// Must not roll: a layer's result read two layers later (not carried from
// one stretch to the next), and calls that differ in an attribute.

func.func private @block(%x: f32) -> f32 attributes {loom.entry = "skip"} {
  return %x : f32
}

// CHECK-LABEL: func.func @skip
// CHECK-NOT: scf.for
// CHECK-COUNT-3: call @block
// CHECK-LABEL: func.func @attributes
// CHECK-NOT: scf.for
// CHECK-COUNT-2: call @block
func.func @skip(%x: f32) -> f32 {
  %0 = call @block(%x) {loom.instance = "h.0"} : (f32) -> f32
  %1 = call @block(%0) {loom.instance = "h.1"} : (f32) -> f32
  %2 = call @block(%1) {loom.instance = "h.2"} : (f32) -> f32
  %3 = arith.addf %0, %2 : f32
  return %3 : f32
}

func.func @attributes(%x: f32) {
  %0 = call @block(%x) {no_inline} : (f32) -> f32
  %1 = call @block(%x) : (f32) -> f32
  return
}

// -----

// Must not roll: private functions (a block's own body; only entry
// functions get the runtime's table), a single call, and calls of a
// function without a body (the runtime's loom_gradient_ready).

func.func private @kernel(%w: memref<4xf32>) attributes {loom.entry = "once"} {
  return
}

// CHECK-LABEL: func.func private @inner
// CHECK-NOT: scf.for
// CHECK-LABEL: func.func @once
// CHECK-NOT: scf.for
func.func private @inner(%w: memref<4xf32> {loom.table_index = 0 : i64}) {
  call @kernel(%w) : (memref<4xf32>) -> ()
  call @kernel(%w) : (memref<4xf32>) -> ()
  return
}

func.func private @loom_gradient_ready(i32)

func.func @once(%w: memref<4xf32> {loom.table_index = 0 : i64}) {
  call @kernel(%w) : (memref<4xf32>) -> ()
  call @inner(%w) : (memref<4xf32>) -> ()
  %g0 = arith.constant 0 : i32
  call @loom_gradient_ready(%g0) : (i32) -> ()
  %g1 = arith.constant 1 : i32
  call @loom_gradient_ready(%g1) : (i32) -> ()
  return
}
