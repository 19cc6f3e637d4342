// RUN: loom-opt %s -loom-lower-buffer-tables | FileCheck %s
// RUN: loom-opt %s -loom-lower-buffer-tables -finalize-memref-to-llvm \
// RUN:   -convert-arith-to-llvm -convert-func-to-llvm -reconcile-unrealized-casts \
// RUN:   | FileCheck %s --check-prefix=LLVM

// The i-th pointer of the runtime's table, in the descriptor of a dense
// row-major 2x3 buffer: offset 0, sizes [2, 3], strides [3, 1].

// CHECK-LABEL: func.func @second_buffer
// CHECK-SAME: (%[[I:[^:]+]]: index, %[[TABLE:[^:]+]]: !llvm.ptr {loom.buffer_table})
// CHECK: %[[I64:.+]] = arith.index_cast %[[I]] : index to i64
// CHECK: %[[SLOT:.+]] = llvm.getelementptr %[[TABLE]][%[[I64]]] : (!llvm.ptr, i64) -> !llvm.ptr, !llvm.ptr
// CHECK: %[[DATA:.+]] = llvm.load %[[SLOT]] : !llvm.ptr -> !llvm.ptr
// CHECK: llvm.insertvalue %[[DATA]], %{{.+}}[0]
// CHECK: llvm.insertvalue %[[DATA]], %{{.+}}[1]
// CHECK: llvm.mlir.constant(3 : index)
// CHECK: %[[BUFFER:.+]] = builtin.unrealized_conversion_cast %{{.+}} : !llvm.struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)> to memref<2x3xf32>
// CHECK: memref.load %[[BUFFER]]
// CHECK-NOT: loom.table_buffer

// LLVM-LABEL: llvm.func @second_buffer
// LLVM-NOT: unrealized_conversion_cast
// LLVM: llvm.load %{{.+}} : !llvm.ptr -> f32
func.func @second_buffer(%i: index, %table: !llvm.ptr {loom.buffer_table}) -> f32 {
  %buffer = loom.table_buffer %table[%i] : !llvm.ptr -> memref<2x3xf32>
  %c1 = arith.constant 1 : index
  %value = memref.load %buffer[%c1, %c1] : memref<2x3xf32>
  return %value : f32
}
