// RUN: loom-opt %s -loom-lower-to-linalg=profile=true | FileCheck %s

// With --profile, every loom op lowered is named in loom.profiled_ops and
// costed in loom.profiled_costs, in the same order: the FLOP of its matrix
// products (2·M·N·K) and the bytes of its tensors, each counted once.
// matmul [8, 4]·[4, 3]: 2·8·3·4 = 192 FLOP; (32 + 12 + 24)·4 = 272 bytes.
// add [8, 3] + [3]: no products; (24 + 3 + 24)·4 = 204 bytes.
// gelu [8, 3] in f64: (24 + 24)·8 = 384 bytes.

// CHECK: module attributes {
// CHECK-SAME: loom.profiled_costs = array<f64: 1.920000e+02, 2.720000e+02, 0.000000e+00, 2.040000e+02, 0.000000e+00, 3.840000e+02>
// CHECK-SAME: loom.profiled_ops = ["matmul\09profile-costs.mlir:{{[0-9]+}} in costs (M=8 N=3 K=4)", "add\09profile-costs.mlir:{{[0-9]+}} in costs", "gelu\09profile-costs.mlir:{{[0-9]+}} in costs"]
func.func @costs(%x: tensor<8x4xf32>, %w: tensor<4x3xf32>, %b: tensor<3xf32>,
                 %h: tensor<8x3xf64>) -> (tensor<8x3xf32>, tensor<8x3xf64>) {
  %y = loom.matmul %x, %w : (tensor<8x4xf32>, tensor<4x3xf32>) -> tensor<8x3xf32>
  %z = loom.add %y, %b : (tensor<8x3xf32>, tensor<3xf32>) -> tensor<8x3xf32>
  %g = loom.gelu %h : tensor<8x3xf64>
  return %z, %g : tensor<8x3xf32>, tensor<8x3xf64>
}
