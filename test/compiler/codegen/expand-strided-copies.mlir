// RUN: loom-opt %s -split-input-file -loom-expand-strided-copies | FileCheck %s

// A copy into a column range of a packed buffer (the k part of a q|k|v
// gradient) would need MLIR's memrefCopy runtime routine: it becomes a
// linalg.copy between the same buffers, and no memref.copy is left.

// CHECK-LABEL: func.func @into_column_range
// CHECK-SAME: (%[[SRC:[^:]+]]: memref<2x5x8xf32>, %[[PACKED:[^:]+]]: memref<2x5x24xf32>)
// CHECK: %[[VIEW:.+]] = memref.subview %[[PACKED]][0, 0, 8] [2, 5, 8] [1, 1, 1]
// CHECK-NOT: memref.copy
// CHECK: linalg.copy ins(%[[SRC]] : memref<2x5x8xf32>) outs(%[[VIEW]] : memref<2x5x8xf32, strided<[120, 24, 1], offset: 8>>)
// CHECK-NOT: memref.copy
// CHECK: return
func.func @into_column_range(%src: memref<2x5x8xf32>, %packed: memref<2x5x24xf32>) {
  %view = memref.subview %packed[0, 0, 8] [2, 5, 8] [1, 1, 1] : memref<2x5x24xf32> to memref<2x5x8xf32, strided<[120, 24, 1], offset: 8>>
  memref.copy %src, %view : memref<2x5x8xf32> to memref<2x5x8xf32, strided<[120, 24, 1], offset: 8>>
  return
}

// -----

// A strided source is expanded too, whatever the target.

// CHECK-LABEL: func.func @from_column_range
// CHECK-SAME: (%[[SRC:[^:]+]]: memref<4x8xf32, strided<[16, 1]>>, %[[DST:[^:]+]]: memref<4x8xf32>)
// CHECK-NOT: memref.copy
// CHECK: linalg.copy ins(%[[SRC]] : memref<4x8xf32, strided<[16, 1]>>) outs(%[[DST]] : memref<4x8xf32>)
// CHECK-NOT: memref.copy
// CHECK: return
func.func @from_column_range(%src: memref<4x8xf32, strided<[16, 1]>>, %dst: memref<4x8xf32>) {
  memref.copy %src, %dst : memref<4x8xf32, strided<[16, 1]>> to memref<4x8xf32>
  return
}

// -----

// Copies nested in loops (as bufferization leaves them in a thread block)
// are found as well, and judged by their own types: a block of 2 rows into
// a column range is strided, one row into one row is contiguous.

// CHECK-LABEL: func.func @in_a_loop
// CHECK-SAME: (%[[SRC:[^:]+]]: memref<4x8xf32>, %[[PACKED:[^:]+]]: memref<4x24xf32>)
// CHECK: scf.forall (%[[I:.+]]) = (0) to (4) step (2)
// CHECK-DAG: %[[BLOCK:.+]] = memref.subview %[[SRC]][%[[I]], 0] [2, 8] [1, 1]
// CHECK-DAG: %[[VIEW:.+]] = memref.subview %[[PACKED]][%[[I]], 16] [2, 8] [1, 1]
// CHECK-DAG: %[[ROW:.+]] = memref.subview %[[SRC]][%[[I]], 0] [1, 8] [1, 1]
// CHECK-DAG: %[[ROWVIEW:.+]] = memref.subview %[[PACKED]][%[[I]], 16] [1, 8] [1, 1]
// CHECK-NOT: memref.copy %[[BLOCK]]
// CHECK: linalg.copy ins(%[[BLOCK]] : memref<2x8xf32, strided<[8, 1], offset: ?>>) outs(%[[VIEW]] : memref<2x8xf32, strided<[24, 1], offset: ?>>)
// CHECK-NOT: linalg.copy
// CHECK: memref.copy %[[ROW]], %[[ROWVIEW]] : memref<1x8xf32, strided<[8, 1], offset: ?>> to memref<1x8xf32, strided<[24, 1], offset: ?>>
// CHECK-NOT: linalg.copy
// CHECK: return
func.func @in_a_loop(%src: memref<4x8xf32>, %packed: memref<4x24xf32>) {
  scf.forall (%i) = (0) to (4) step (2) {
    %block = memref.subview %src[%i, 0] [2, 8] [1, 1] : memref<4x8xf32> to memref<2x8xf32, strided<[8, 1], offset: ?>>
    %view = memref.subview %packed[%i, 16] [2, 8] [1, 1] : memref<4x24xf32> to memref<2x8xf32, strided<[24, 1], offset: ?>>
    %row = memref.subview %src[%i, 0] [1, 8] [1, 1] : memref<4x8xf32> to memref<1x8xf32, strided<[8, 1], offset: ?>>
    %rowview = memref.subview %packed[%i, 16] [1, 8] [1, 1] : memref<4x24xf32> to memref<1x8xf32, strided<[24, 1], offset: ?>>
    memref.copy %block, %view : memref<2x8xf32, strided<[8, 1], offset: ?>> to memref<2x8xf32, strided<[24, 1], offset: ?>>
    memref.copy %row, %rowview : memref<1x8xf32, strided<[8, 1], offset: ?>> to memref<1x8xf32, strided<[24, 1], offset: ?>>
  }
  return
}

// -----

// Copies between contiguous row-major buffers lower to one memcpy and are
// left alone: identity layouts, a block of whole rows at an offset, a single
// row of a wider buffer (the stride of a unit dimension is irrelevant), and
// a 0-d buffer.

// CHECK-LABEL: func.func @contiguous
// CHECK-SAME: (%[[A:[^:]+]]: memref<4x8xf32>, %[[B:[^:]+]]: memref<4x8xf32>, %[[C:[^:]+]]: memref<2x8xf32, strided<[8, 1], offset: 16>>, %[[D:[^:]+]]: memref<1x8xf32, strided<[100, 1], offset: ?>>, %[[E:[^:]+]]: memref<f32>, %[[F:[^:]+]]: memref<f32>)
// CHECK-NOT: linalg.copy
// CHECK: memref.copy %[[A]], %[[B]] : memref<4x8xf32> to memref<4x8xf32>
// CHECK: %[[ROWS:.+]] = memref.subview %[[A]][2, 0] [2, 8] [1, 1]
// CHECK: memref.copy %[[ROWS]], %[[C]] : memref<2x8xf32, strided<[8, 1], offset: 16>> to memref<2x8xf32, strided<[8, 1], offset: 16>>
// CHECK: %[[ROW:.+]] = memref.subview %[[A]][1, 0] [1, 8] [1, 1]
// CHECK: memref.copy %[[ROW]], %[[D]] : memref<1x8xf32, strided<[8, 1], offset: 8>> to memref<1x8xf32, strided<[100, 1], offset: ?>>
// CHECK: memref.copy %[[E]], %[[F]] : memref<f32> to memref<f32>
// CHECK-NOT: linalg.copy
// CHECK: return
func.func @contiguous(%a: memref<4x8xf32>, %b: memref<4x8xf32>,
                      %c: memref<2x8xf32, strided<[8, 1], offset: 16>>,
                      %d: memref<1x8xf32, strided<[100, 1], offset: ?>>,
                      %e: memref<f32>, %f: memref<f32>) {
  memref.copy %a, %b : memref<4x8xf32> to memref<4x8xf32>
  %rows = memref.subview %a[2, 0] [2, 8] [1, 1] : memref<4x8xf32> to memref<2x8xf32, strided<[8, 1], offset: 16>>
  memref.copy %rows, %c : memref<2x8xf32, strided<[8, 1], offset: 16>> to memref<2x8xf32, strided<[8, 1], offset: 16>>
  %row = memref.subview %a[1, 0] [1, 8] [1, 1] : memref<4x8xf32> to memref<1x8xf32, strided<[8, 1], offset: 8>>
  memref.copy %row, %d : memref<1x8xf32, strided<[8, 1], offset: 8>> to memref<1x8xf32, strided<[100, 1], offset: ?>>
  memref.copy %e, %f : memref<f32> to memref<f32>
  return
}
