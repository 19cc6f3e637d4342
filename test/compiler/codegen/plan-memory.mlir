// RUN: loom-opt %s -split-input-file -loom-plan-memory | FileCheck %s

// Two buffers that are never live together share bytes of the arena; a
// buffer live alongside both (the first one, placed first) has its own. Deallocations (at the
// end of the body, as ownership-based deallocation leaves them) go, and one
// deallocation of the arena comes before the return.

// CHECK-LABEL: func.func @reuse
// CHECK-SAME: loom.allocs_left = 0 : i64, loom.arena_buffers = 3 : i64, loom.arena_bytes = 2048 : i64, loom.arena_lower_bound_bytes = 2048 : i64, loom.largest_left_bytes = 0 : i64, loom.unplanned_bytes = 3072 : i64
// CHECK: %[[ARENA:.+]] = memref.alloc() {alignment = 64 : i64} : memref<2048xi8>
// CHECK: %[[C0:.+]] = arith.constant 0 : index
// CHECK: %[[KEPT:.+]] = memref.view %[[ARENA]][%[[C0]]][] : memref<2048xi8> to memref<256xf32>
// CHECK: %[[C1024:.+]] = arith.constant 1024 : index
// CHECK: %[[A:.+]] = memref.view %[[ARENA]][%[[C1024]]][] : memref<2048xi8> to memref<256xf32>
// CHECK: %[[C1024B:.+]] = arith.constant 1024 : index
// CHECK: %[[B:.+]] = memref.view %[[ARENA]][%[[C1024B]]][] : memref<2048xi8> to memref<256xf32>
// CHECK-NOT: memref.dealloc %[[KEPT]]
// CHECK-NOT: memref.dealloc %[[A]]
// CHECK-NOT: memref.dealloc %[[B]]
// CHECK: memref.dealloc %[[ARENA]] : memref<2048xi8>
// CHECK-NEXT: return
func.func @reuse(%in: memref<256xf32>, %out: memref<256xf32>) {
  %kept = memref.alloc() {alignment = 64 : i64} : memref<256xf32>
  memref.copy %in, %kept : memref<256xf32> to memref<256xf32>
  %a = memref.alloc() {alignment = 64 : i64} : memref<256xf32>
  memref.copy %kept, %a : memref<256xf32> to memref<256xf32>
  memref.copy %a, %out : memref<256xf32> to memref<256xf32>
  %b = memref.alloc() {alignment = 64 : i64} : memref<256xf32>
  memref.copy %out, %b : memref<256xf32> to memref<256xf32>
  memref.copy %b, %kept : memref<256xf32> to memref<256xf32>
  memref.copy %kept, %out : memref<256xf32> to memref<256xf32>
  memref.dealloc %kept : memref<256xf32>
  memref.dealloc %a : memref<256xf32>
  memref.dealloc %b : memref<256xf32>
  return
}

// -----

// A buffer lives until the last use of any view of it, and a use inside a
// loop counts at the loop: %first is read through a reshaped subview inside
// the loop, so %second, allocated before the loop, cannot take its place.
// Element sizes are rounded up to 64-byte slots.

// CHECK-LABEL: func.func @views_and_loops
// CHECK-SAME: loom.arena_buffers = 2 : i64, loom.arena_bytes = 128 : i64
// CHECK: memref.view %{{.+}}[%{{.+}}][] : memref<128xi8> to memref<2x3xf32>
// CHECK: memref.view %{{.+}}[%{{.+}}][] : memref<128xi8> to memref<6xi8>
func.func @views_and_loops(%out: memref<3xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %first = memref.alloc() : memref<2x3xf32>
  %second = memref.alloc() : memref<6xi8>
  %flat = memref.collapse_shape %first [[0, 1]] : memref<2x3xf32> into memref<6xf32>
  %part = memref.subview %flat[3] [3] [1] : memref<6xf32> to memref<3xf32, strided<[1], offset: 3>>
  scf.for %i = %c0 to %c2 step %c1 {
    memref.copy %part, %out : memref<3xf32, strided<[1], offset: 3>> to memref<3xf32>
  }
  memref.dealloc %first : memref<2x3xf32>
  memref.dealloc %second : memref<6xi8>
  return
}

// -----

// What the arena must not take: a buffer the function returns, one it never
// frees, one of dynamic size, one allocated inside a loop (counted in
// loom.allocs_left) and one passed through a loop's iteration arguments.

// CHECK-LABEL: func.func @left_alone
// CHECK-SAME: loom.allocs_left = 5 : i64, loom.arena_buffers = 0 : i64, loom.arena_bytes = 0 : i64, loom.arena_lower_bound_bytes = 0 : i64, loom.largest_left_bytes = 128 : i64
// CHECK-NOT: memref.view
// CHECK-NOT: memref<0xi8>
// CHECK: memref.alloc() : memref<4xf32>
// CHECK: memref.alloc() : memref<8xf32>
// CHECK: memref.alloc(%{{.+}}) : memref<?xf32>
// CHECK: memref.alloc() : memref<16xf32>
// CHECK: memref.alloc() : memref<32xf32>
// CHECK: memref.dealloc %{{.+}} : memref<?xf32>
// CHECK: memref.dealloc %{{.+}} : memref<32xf32>
// CHECK-NEXT: return
func.func @left_alone(%n: index) -> memref<4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %returned = memref.alloc() : memref<4xf32>
  %never_freed = memref.alloc() : memref<8xf32>
  %dynamic = memref.alloc(%n) : memref<?xf32>
  scf.for %i = %c0 to %n step %c1 {
    %inner = memref.alloc() : memref<16xf32>
    memref.dealloc %inner : memref<16xf32>
  }
  %carried = memref.alloc() : memref<32xf32>
  %result = scf.for %i = %c0 to %n step %c1 iter_args(%buffer = %carried) -> (memref<32xf32>) {
    scf.yield %buffer : memref<32xf32>
  }
  memref.dealloc %dynamic : memref<?xf32>
  memref.dealloc %carried : memref<32xf32>
  return %returned : memref<4xf32>
}
