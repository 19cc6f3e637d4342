// RUN: loom-opt %s -split-input-file -loom-order-constant-globals | FileCheck %s

// Bufferization's constants, named in an order the functions do not read
// them in, get the names and places of the order of their first read.

// CHECK-LABEL: module @tables_read_out_of_order
// CHECK: memref.global "private" constant @__constant_4xf32 : memref<4xf32> = dense<1.000000e+00>
// CHECK-NEXT: memref.global "private" constant @__constant_4xf32_0 : memref<4xf32> = dense<2.000000e+00>
// CHECK-NEXT: memref.global "private" constant @__constant_xf32 : memref<f32> = dense<5.000000e-01>
// CHECK-NEXT: memref.global "private" constant @__constant_4xf32_1 : memref<4xf32> = dense<3.000000e+00>
// CHECK-LABEL: func.func @first
// CHECK: memref.get_global @__constant_4xf32 : memref<4xf32>
// CHECK: memref.get_global @__constant_4xf32_0 : memref<4xf32>
// CHECK: memref.get_global @__constant_xf32 : memref<f32>
// CHECK-LABEL: func.func @second
// CHECK: memref.get_global @__constant_4xf32_1 : memref<4xf32>
// CHECK: memref.get_global @__constant_4xf32 : memref<4xf32>
module @tables_read_out_of_order {
  memref.global "private" constant @__constant_4xf32_1 : memref<4xf32> = dense<1.0>
  memref.global "private" constant @__constant_xf32 : memref<f32> = dense<0.5>
  memref.global "private" constant @__constant_4xf32 : memref<4xf32> = dense<2.0>
  memref.global "private" constant @__constant_4xf32_0 : memref<4xf32> = dense<3.0>
  func.func @first() -> (memref<4xf32>, memref<4xf32>, memref<f32>) {
    %a = memref.get_global @__constant_4xf32_1 : memref<4xf32>
    %b = memref.get_global @__constant_4xf32 : memref<4xf32>
    %c = memref.get_global @__constant_xf32 : memref<f32>
    return %a, %b, %c : memref<4xf32>, memref<4xf32>, memref<f32>
  }
  func.func @second() -> (memref<4xf32>, memref<4xf32>) {
    %a = memref.get_global @__constant_4xf32_0 : memref<4xf32>
    %b = memref.get_global @__constant_4xf32_1 : memref<4xf32>
    return %a, %b : memref<4xf32>, memref<4xf32>
  }
}

// -----

// Constants already in read order, and globals that are not bufferization's
// constants (a variable, another name, one nothing reads), stay as they are.

// CHECK-LABEL: module @left_alone
// CHECK: memref.global "private" @__constant_2xf32 : memref<2xf32> = dense<0.000000e+00>
// CHECK-NEXT: memref.global "private" constant @table : memref<2xf32> = dense<1.000000e+00>
// CHECK-NEXT: memref.global "private" constant @__constant_8xf32 : memref<8xf32> = dense<4.000000e+00>
// CHECK-NEXT: memref.global "private" constant @__constant_2xf32_0 : memref<2xf32> = dense<2.000000e+00>
// CHECK-NEXT: memref.global "private" constant @__constant_2xf32_1 : memref<2xf32> = dense<3.000000e+00>
// CHECK-LABEL: func.func @reads
// CHECK: memref.get_global @__constant_2xf32 : memref<2xf32>
// CHECK: memref.get_global @table : memref<2xf32>
// CHECK: memref.get_global @__constant_2xf32_0 : memref<2xf32>
// CHECK: memref.get_global @__constant_2xf32_1 : memref<2xf32>
module @left_alone {
  memref.global "private" @__constant_2xf32 : memref<2xf32> = dense<0.0>
  memref.global "private" constant @table : memref<2xf32> = dense<1.0>
  memref.global "private" constant @__constant_8xf32 : memref<8xf32> = dense<4.0>
  memref.global "private" constant @__constant_2xf32_0 : memref<2xf32> = dense<2.0>
  memref.global "private" constant @__constant_2xf32_1 : memref<2xf32> = dense<3.0>
  func.func @reads() -> (memref<2xf32>, memref<2xf32>, memref<2xf32>, memref<2xf32>) {
    %a = memref.get_global @__constant_2xf32 : memref<2xf32>
    %b = memref.get_global @table : memref<2xf32>
    %c = memref.get_global @__constant_2xf32_0 : memref<2xf32>
    %d = memref.get_global @__constant_2xf32_1 : memref<2xf32>
    return %a, %b, %c, %d : memref<2xf32>, memref<2xf32>, memref<2xf32>, memref<2xf32>
  }
}
