// RUN: loom-opt %s -split-input-file -loom-outline-blocks | FileCheck %s
// RUN: loom-opt %s -split-input-file -loom-outline-blocks=recompute-blocks | FileCheck %s --check-prefix=REMAT

// Two instances of a block: their runs become calls of one private
// function (the second instance's is the same up to locations and is
// dropped), in destination-passing style: a fresh allocation for the value
// computed for the caller, the gradient's buffer written by the callee,
// which said ready after the call.
// CHECK-LABEL: func.func @step
// CHECK-SAME: (%[[X:[^:]+]]: tensor<4x8xf32>, %[[W0:[^:]+]]: tensor<8x8xf32>, %[[W1:[^:]+]]: tensor<8x8xf32>, %[[G0:[^:]+]]: memref<8x8xf32> {loom.grad = "h.0.w"}, %[[G1:[^:]+]]: memref<8x8xf32> {loom.grad = "h.1.w"})
// CHECK-NOT: loom.
// CHECK: %[[D0:.+]] = bufferization.alloc_tensor() : tensor<4x8xf32>
// CHECK-NEXT: %[[H0:.+]] = call @step.h.0.0(%[[X]], %[[W0]], %[[D0]], %[[G0]]) {loom.instance = "h.0"} : (tensor<4x8xf32>, tensor<8x8xf32>, tensor<4x8xf32>, memref<8x8xf32>) -> tensor<4x8xf32>
// CHECK-NEXT: loom.gradient_ready %[[G0]]
// CHECK-NEXT: %[[D1:.+]] = bufferization.alloc_tensor() : tensor<4x8xf32>
// CHECK-NEXT: %[[H1:.+]] = call @step.h.0.0(%[[H0]], %[[W1]], %[[D1]], %[[G1]]) {loom.instance = "h.1"}
// CHECK-NEXT: loom.gradient_ready %[[G1]]
// CHECK-NOT: materialize_in_destination
// CHECK: return %[[H1]]
// CHECK-NOT: @step.h.1
// CHECK-LABEL: func.func private @step.h.0.0
// CHECK-SAME: (%[[IN:[^:]+]]: tensor<4x8xf32>, %[[W:[^:]+]]: tensor<8x8xf32>, %[[DEST:[^:]+]]: tensor<4x8xf32>, %[[G:[^:]+]]: memref<8x8xf32>) -> tensor<4x8xf32> attributes {loom.entry = "step", no_inline}
// CHECK: %[[A:.+]] = loom.matmul %[[IN]], %[[W]]
// CHECK: %[[B:.+]] = loom.gelu %[[A]]
// CHECK: %[[D:.+]] = loom.matmul %[[IN]], %[[B]] {transpose_lhs}
// CHECK: %[[OUT:.+]] = bufferization.materialize_in_destination %[[B]] in %[[DEST]]
// CHECK: bufferization.materialize_in_destination %[[D]] in restrict writable %[[G]]
// CHECK: return %[[OUT]]
// CHECK-NOT: func.func
module attributes {loom.repeats = ["h"]} {
  func.func @step(%x: tensor<4x8xf32>, %w0: tensor<8x8xf32>, %w1: tensor<8x8xf32>,
                  %g0: memref<8x8xf32> {loom.grad = "h.0.w"}, %g1: memref<8x8xf32> {loom.grad = "h.1.w"}) -> tensor<4x8xf32> {
    %a0 = loom.matmul %x, %w0 : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32> loc("h.0"("m.loom":3:5))
    %b0 = loom.gelu %a0 : tensor<4x8xf32> loc("h.0.mlp"("m.loom":4:5))
    %d0 = loom.matmul %x, %b0 {transpose_lhs} : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<8x8xf32> loc("h.0"("m.loom":5:5))
    loom.gradient_ready %g0 : memref<8x8xf32> loc("h.0"("m.loom":5:5))
    %a1 = loom.matmul %b0, %w1 : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32> loc("h.1"("m.loom":3:5))
    %b1 = loom.gelu %a1 : tensor<4x8xf32> loc("h.1.mlp"("m.loom":4:5))
    %d1 = loom.matmul %b0, %b1 {transpose_lhs} : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<8x8xf32> loc("h.1"("m.loom":5:5))
    loom.gradient_ready %g1 : memref<8x8xf32> loc("h.1"("m.loom":5:5))
    bufferization.materialize_in_destination %d0 in restrict writable %g0 : (tensor<8x8xf32>, memref<8x8xf32>) -> ()
    bufferization.materialize_in_destination %d1 in restrict writable %g1 : (tensor<8x8xf32>, memref<8x8xf32>) -> ()
    return %b1 : tensor<4x8xf32>
  }
}

// -----

// Every value a run computes for the caller gets its own destination, even
// of one type (one buffer for two results would hold only the last), and
// the gradients are written in the caller's order.
// CHECK-LABEL: func.func @two_results
// CHECK: %[[D0:.+]] = bufferization.alloc_tensor() : tensor<4x8xf32>
// CHECK-NEXT: %[[D1:.+]] = bufferization.alloc_tensor() : tensor<4x8xf32>
// CHECK-NEXT: %{{.+}}:2 = call @two_results.h.0.0(%{{.+}}, %[[D0]], %[[D1]], %{{.+}}, %{{.+}})
// CHECK-NOT: materialize_in_destination
// CHECK-LABEL: func.func private @two_results.h.0.0
// CHECK-SAME: %[[GB:[^:]+]]: memref<4x8xf32>, %[[GA:[^:]+]]: memref<4x8xf32>)
// CHECK: %[[C:.+]] = loom.add %[[A:.+]], %[[B:[^ ]+]] :
// CHECK: %[[D:.+]] = loom.add %[[B]], %[[A]] :
// CHECK: materialize_in_destination %[[A]] in %
// CHECK: materialize_in_destination %[[B]] in %
// CHECK: materialize_in_destination %[[D]] in restrict writable %[[GB]]
// CHECK: materialize_in_destination %[[C]] in restrict writable %[[GA]]
module attributes {loom.repeats = ["h"]} {
  func.func @two_results(%x: tensor<4x8xf32>,
                         %ga: memref<4x8xf32> {loom.grad = "h.0.a"}, %gb: memref<4x8xf32> {loom.grad = "h.0.b"}) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
    %a = loom.gelu %x : tensor<4x8xf32> loc("h.0"("m.loom":3:5))
    %b = loom.tanh %x : tensor<4x8xf32> loc("h.0"("m.loom":4:5))
    %c = loom.add %a, %b : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32> loc("h.0"("m.loom":5:5))
    %d = loom.add %b, %a : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32> loc("h.0"("m.loom":6:5))
    bufferization.materialize_in_destination %d in restrict writable %gb : (tensor<4x8xf32>, memref<4x8xf32>) -> ()
    bufferization.materialize_in_destination %c in restrict writable %ga : (tensor<4x8xf32>, memref<4x8xf32>) -> ()
    return %a, %b : tensor<4x8xf32>, tensor<4x8xf32>
  }
}

// -----

// What stays: ops of no instance, and ops of other dialects, which end a
// run (the ops of h.0 after the extract are a run of their own); instances
// that differ (here in an attribute) keep functions of their own.
// CHECK-LABEL: func.func @stays
// CHECK: %[[E:.+]] = loom.gelu %{{.+}} : tensor<4x8xf32>
// CHECK: %[[T:.+]] = call @stays.h.0.0(%[[E]],
// CHECK: tensor.extract %[[T]]
// CHECK: call @stays.h.0.1(
// CHECK: call @stays.h.1.2(
// CHECK-LABEL: func.func private @stays.h.0.0
// CHECK: loom.tanh
// CHECK-LABEL: func.func private @stays.h.0.1
// CHECK: loom.matmul %{{.+}}, %{{.+}} :
// CHECK-LABEL: func.func private @stays.h.1.2
// CHECK: loom.matmul %{{.+}}, %{{.+}} {transpose_rhs}
module attributes {loom.repeats = ["h"]} {
  func.func @stays(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>) -> (tensor<4x8xf32>, f32) {
    %e = loom.gelu %x : tensor<4x8xf32> loc("m.loom":2:5)
    %a = loom.tanh %e : tensor<4x8xf32> loc("h.0"("m.loom":3:5))
    %c0 = arith.constant 0 : index
    %s = tensor.extract %a[%c0, %c0] : tensor<4x8xf32>
    %b = loom.matmul %a, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32> loc("h.0"("m.loom":4:5))
    %c = loom.matmul %b, %w {transpose_rhs} : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32> loc("h.1"("m.loom":4:5))
    return %c, %s : tensor<4x8xf32>, f32
  }
}

// -----

// A run that computes a value of a shape known only at run time stays: the
// caller could not allocate its destination.
// CHECK-LABEL: func.func @dynamic
// CHECK: loom.gelu %{{.+}} : tensor<?xf32>
// CHECK-NOT: call
module attributes {loom.repeats = ["h"]} {
  func.func @dynamic(%x: tensor<?xf32>) -> tensor<?xf32> {
    %a = loom.gelu %x : tensor<?xf32> loc("h.0"("m.loom":3:5))
    return %a : tensor<?xf32>
  }
}

// -----

// Without loom.repeats (a model with no repeat) nothing changes.
// CHECK-LABEL: func.func @no_repeats
// CHECK-NEXT: loom.gelu
// CHECK-NOT: call
module {
  func.func @no_repeats(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
    %a = loom.gelu %x : tensor<4x8xf32> loc("h.0"("m.loom":3:5))
    return %a : tensor<4x8xf32>
  }
}

// -----

// With recompute-blocks, a forward call whose results a backward call of
// the same instance reads is made again, into new destinations, right
// before it; the backward call reads the recomputation, and the first
// forward call's results only the next instance (its output). Without the
// option, the backward calls read the first forward calls'.
// CHECK-LABEL: func.func @fwd_bwd
// CHECK-NOT: loom.recomputed
// CHECK: return
// REMAT-LABEL: func.func @fwd_bwd
// REMAT-SAME: (%[[X:[^:]+]]: tensor<4x8xf32>, %[[W0:[^:]+]]: tensor<8x8xf32>, %[[W1:[^:]+]]: tensor<8x8xf32>,
// REMAT: %[[F0:.+]]:2 = call @fwd_bwd.h.0.0(%[[X]], %[[W0]], %{{.+}}, %{{.+}}) {loom.instance = "h.0"}
// REMAT: %[[F1:.+]]:2 = call @fwd_bwd.h.0.0(%[[F0]]#1, %[[W1]], %{{.+}}, %{{.+}}) {loom.instance = "h.1"}
// REMAT: %[[R1:.+]]:2 = call @fwd_bwd.h.0.0(%[[F0]]#1, %[[W1]], %{{.+}}, %{{.+}}) {loom.instance = "h.1", loom.recomputed}
// REMAT-NEXT: %[[B1:.+]] = call @fwd_bwd.h.1.{{[0-9]+}}({{.*}}%[[R1]]#0{{.*}}) {loom.instance = "h.1"}
// REMAT: %[[R0:.+]]:2 = call @fwd_bwd.h.0.0(%[[X]], %[[W0]], %{{.+}}, %{{.+}}) {loom.instance = "h.0", loom.recomputed}
// REMAT-NEXT: call @fwd_bwd.h.0.{{[0-9]+}}({{.*}}%[[R0]]#0{{.*}}) {loom.instance = "h.0"}
module attributes {loom.repeats = ["h"]} {
  func.func @fwd_bwd(%x: tensor<4x8xf32>, %w0: tensor<8x8xf32>, %w1: tensor<8x8xf32>,
                     %g0: memref<8x8xf32> {loom.grad = "h.0.w"}, %g1: memref<8x8xf32> {loom.grad = "h.1.w"}) -> tensor<4x8xf32> {
    %a0 = loom.matmul %x, %w0 : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32> loc("h.0"("m.loom":3:5))
    %b0 = loom.gelu %a0 : tensor<4x8xf32> loc("h.0"("m.loom":4:5))
    %a1 = loom.matmul %b0, %w1 : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32> loc("h.1"("m.loom":3:5))
    %b1 = loom.gelu %a1 : tensor<4x8xf32> loc("h.1"("m.loom":4:5))
    %l = loom.tanh %b1 : tensor<4x8xf32> loc("m.loom":6:5)
    %da1 = loom.activation_grad gelu %a1, %l : tensor<4x8xf32> loc("h.1"("m.loom":4:5))
    %dw1 = loom.matmul %b0, %da1 {transpose_lhs} : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<8x8xf32> loc("h.1"("m.loom":3:5))
    %db0 = loom.matmul %da1, %w1 {transpose_rhs} : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32> loc("h.1"("m.loom":3:5))
    %da0 = loom.activation_grad gelu %a0, %db0 : tensor<4x8xf32> loc("h.0"("m.loom":4:5))
    %dw0 = loom.matmul %x, %da0 {transpose_lhs} : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<8x8xf32> loc("h.0"("m.loom":3:5))
    bufferization.materialize_in_destination %dw1 in restrict writable %g1 : (tensor<8x8xf32>, memref<8x8xf32>) -> ()
    bufferization.materialize_in_destination %dw0 in restrict writable %g0 : (tensor<8x8xf32>, memref<8x8xf32>) -> ()
    return %l : tensor<4x8xf32>
  }
}

// -----

// Slices that cover their source (q, k and v of one packed projection) are
// not returned one by one (each would be copied into a destination): the
// call returns the source, and a later call that reads the slices takes
// the source and slices it inside.
// CHECK-LABEL: func.func @slices
// CHECK: %[[P:.+]] = call @slices.h.0.0(%{{.+}}, %{{.+}}, %{{.+}}) {loom.instance = "h.0"} : (tensor<4x8xf32>, tensor<8x24xf32>, tensor<4x24xf32>) -> tensor<4x24xf32>
// CHECK-NOT: loom.slice
// CHECK: call @slices.h.0.1(%[[P]], %{{.+}}) {loom.instance = "h.0"} : (tensor<4x24xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
// CHECK-LABEL: func.func private @slices.h.0.0
// CHECK: loom.matmul
// CHECK-NOT: loom.slice
// CHECK: return
// CHECK-LABEL: func.func private @slices.h.0.1
// CHECK-COUNT-3: loom.slice
module attributes {loom.repeats = ["h"]} {
  func.func @slices(%x: tensor<4x8xf32>, %w: tensor<8x24xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
    %p = loom.matmul %x, %w : (tensor<4x8xf32>, tensor<8x24xf32>) -> tensor<4x24xf32> loc("h.0"("m.loom":3:5))
    %q = loom.slice %p dim(1) offset(0) : (tensor<4x24xf32>) -> tensor<4x8xf32> loc("h.0"("m.loom":4:5))
    %k = loom.slice %p dim(1) offset(8) : (tensor<4x24xf32>) -> tensor<4x8xf32> loc("h.0"("m.loom":4:5))
    %v = loom.slice %p dim(1) offset(16) : (tensor<4x24xf32>) -> tensor<4x8xf32> loc("h.0"("m.loom":4:5))
    %t = loom.tanh %x : tensor<4x8xf32> loc("m.loom":6:5)
    %a = loom.add %q, %k : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32> loc("h.0"("m.loom":7:5))
    %b = loom.add %a, %v : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32> loc("h.0"("m.loom":8:5))
    return %b, %t : tensor<4x8xf32>, tensor<4x8xf32>
  }
}
