// RUN: loom-opt %s -split-input-file -loom-lower-vectors | FileCheck %s

// A register tile's k step, the contraction of a 2x1 column of the left
// operand with a 1x16 row of the right one: one FMA per accumulator row,
// the left operand's element broadcast; no contraction or outer product
// is left.

// CHECK-LABEL: func.func @register_tile_k_step
// CHECK-SAME: (%[[A:[^:]+]]: vector<2x1xf32>, %[[B:[^:]+]]: vector<1x16xf32>, %[[C:[^:]+]]: vector<2x16xf32>)
// CHECK-NOT: vector.contract
// CHECK-NOT: vector.outerproduct
// CHECK: %[[ROW:.+]] = vector.extract %[[B]][0] : vector<16xf32> from vector<1x16xf32>
// CHECK: %[[A0:.+]] = vector.extract %[[A]][0, 0] : f32 from vector<2x1xf32>
// CHECK: %[[S0:.+]] = vector.broadcast %[[A0]] : f32 to vector<16xf32>
// CHECK: %[[C0:.+]] = vector.extract %[[C]][0] : vector<16xf32> from vector<2x16xf32>
// CHECK: vector.fma %[[S0]], %[[ROW]], %[[C0]] : vector<16xf32>
// CHECK: %[[A1:.+]] = vector.extract %[[A]][1, 0] : f32 from vector<2x1xf32>
// CHECK: %[[S1:.+]] = vector.broadcast %[[A1]] : f32 to vector<16xf32>
// CHECK: %[[C1:.+]] = vector.extract %[[C]][1] : vector<16xf32> from vector<2x16xf32>
// CHECK: vector.fma %[[S1]], %[[ROW]], %[[C1]] : vector<16xf32>
// CHECK-NOT: vector.contract
#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
func.func @register_tile_k_step(%a: vector<2x1xf32>, %b: vector<1x16xf32>, %c: vector<2x16xf32>) -> vector<2x16xf32> {
  %0 = vector.contract {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %a, %b, %c : vector<2x1xf32>, vector<1x16xf32> into vector<2x16xf32>
  return %0 : vector<2x16xf32>
}

// -----

// A reduction over rows (a bias gradient's block) adds row by row into the
// vector accumulator, in order.

// CHECK-LABEL: func.func @row_sums
// CHECK-SAME: (%[[V:[^:]+]]: vector<4x16xf32>, %[[ACC:[^:]+]]: vector<16xf32>)
// CHECK-NOT: vector.multi_reduction
// CHECK: %[[R0:.+]] = vector.extract %[[V]][0]
// CHECK: %[[S0:.+]] = arith.addf %[[R0]], %[[ACC]] : vector<16xf32>
// CHECK: %[[R1:.+]] = vector.extract %[[V]][1]
// CHECK: %[[S1:.+]] = arith.addf %[[R1]], %[[S0]] : vector<16xf32>
// CHECK: %[[R2:.+]] = vector.extract %[[V]][2]
// CHECK: %[[S2:.+]] = arith.addf %[[R2]], %[[S1]] : vector<16xf32>
// CHECK: %[[R3:.+]] = vector.extract %[[V]][3]
// CHECK: %[[S3:.+]] = arith.addf %[[R3]], %[[S2]] : vector<16xf32>
// CHECK: return %[[S3]]
func.func @row_sums(%v: vector<4x16xf32>, %acc: vector<16xf32>) -> vector<16xf32> {
  %0 = vector.multi_reduction <add>, %v, %acc [0] : vector<4x16xf32> to vector<16xf32>
  return %0 : vector<16xf32>
}

// -----

// 1-D transfers of whole rows become plain loads and stores; 2-D ones are
// left for convert-vector-to-scf, which unrolls them into 1-D ones (the
// pipeline runs this pass again after it).

// CHECK-LABEL: func.func @row_transfers
// CHECK: %[[ROW:.+]] = vector.load %{{.+}}[%{{.+}}, %{{.+}}] : memref<8x16xf32>, vector<16xf32>
// CHECK: vector.store %[[ROW]], %{{.+}}[%{{.+}}, %{{.+}}] : memref<8x16xf32>, vector<16xf32>
// CHECK-NOT: vector.transfer
func.func @row_transfers(%m: memref<8x16xf32>, %i: index) {
  %c0 = arith.constant 0 : index
  %p = arith.constant 0.0 : f32
  %v = vector.transfer_read %m[%i, %c0], %p {in_bounds = [true]} : memref<8x16xf32>, vector<16xf32>
  vector.transfer_write %v, %m[%i, %c0] {in_bounds = [true]} : vector<16xf32>, memref<8x16xf32>
  return
}

// CHECK-LABEL: func.func @tile_transfers
// CHECK: vector.transfer_read %{{.+}} : memref<8x16xf32>, vector<2x16xf32>
// CHECK: vector.transfer_write %{{.+}} : vector<2x16xf32>, memref<8x16xf32>
func.func @tile_transfers(%m: memref<8x16xf32>) {
  %c0 = arith.constant 0 : index
  %p = arith.constant 0.0 : f32
  %v = vector.transfer_read %m[%c0, %c0], %p {in_bounds = [true, true]} : memref<8x16xf32>, vector<2x16xf32>
  vector.transfer_write %v, %m[%c0, %c0] {in_bounds = [true, true]} : vector<2x16xf32>, memref<8x16xf32>
  return
}

// -----

// tanh, exp, log and erf become polynomials of FMAs, which vectorize
// (libm calls would not); sqrt, which LLVM lowers to an instruction, stays.

// CHECK-LABEL: func.func @transcendentals
// CHECK-NOT: math.tanh
// CHECK-NOT: math.exp
// CHECK-NOT: math.log
// CHECK-NOT: math.erf
// CHECK: math.fma
// CHECK-NOT: math.tanh
// CHECK-NOT: math.exp
// CHECK-NOT: math.log
// CHECK-NOT: math.erf
// CHECK: math.sqrt %{{.+}} : vector<16xf32>
// CHECK-NOT: math.tanh
// CHECK-NOT: math.exp
// CHECK-NOT: math.log
// CHECK-NOT: math.erf
// CHECK: return
func.func @transcendentals(%x: vector<16xf32>) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
  %t = math.tanh %x : vector<16xf32>
  %e = math.exp %x : vector<16xf32>
  %l = math.log %x : vector<16xf32>
  %r = math.erf %x : vector<16xf32>
  %s = math.sqrt %x : vector<16xf32>
  return %t, %e, %l, %r, %s : vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>
}
