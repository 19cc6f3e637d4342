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

// -----

// A bf16 register tile's k pair (--precision=bf16): the right tile's two
// rows interleaved 16 columns at a time (one shuffle each, shared by every
// row), each row's pair of the left tile broadcast as one i32, and one
// AVX512-BF16 dot product per row and 16 columns; no contraction or FMA is
// left.

// CHECK-LABEL: func.func @bf16_register_tile_k_pair
// CHECK-SAME: (%[[A:[^:]+]]: vector<2x2xbf16>, %[[B:[^:]+]]: vector<2x32xbf16>, %[[C:[^:]+]]: vector<2x32xf32>)
// CHECK-NOT: vector.contract
// CHECK: %[[K0:.+]] = vector.extract %[[B]][0] : vector<32xbf16> from vector<2x32xbf16>
// CHECK: %[[K1:.+]] = vector.extract %[[B]][1] : vector<32xbf16> from vector<2x32xbf16>
// CHECK: %[[LO:.+]] = vector.shuffle %[[K0]], %[[K1]] [0, 32, 1, 33, 2, 34, 3, 35, 4, 36, 5, 37, 6, 38, 7, 39, 8, 40, 9, 41, 10, 42, 11, 43, 12, 44, 13, 45, 14, 46, 15, 47]
// CHECK: %[[HI:.+]] = vector.shuffle %[[K0]], %[[K1]] [16, 48, 17, 49, 18, 50, 19, 51, 20, 52, 21, 53, 22, 54, 23, 55, 24, 56, 25, 57, 26, 58, 27, 59, 28, 60, 29, 61, 30, 62, 31, 63]
// CHECK: %[[P0:.+]] = vector.extract %[[A]][0] : vector<2xbf16> from vector<2x2xbf16>
// CHECK: %[[W0:.+]] = vector.bitcast %[[P0]] : vector<2xbf16> to vector<1xi32>
// CHECK: %[[I0:.+]] = vector.extract %[[W0]][0] : i32 from vector<1xi32>
// CHECK: %[[S0:.+]] = vector.broadcast %[[I0]] : i32 to vector<16xi32>
// CHECK: %[[R0:.+]] = vector.bitcast %[[S0]] : vector<16xi32> to vector<32xbf16>
// CHECK: x86vector.avx512.dot %{{.+}}, %[[R0]], %[[LO]] : vector<32xbf16> -> vector<16xf32>
// CHECK: x86vector.avx512.dot %{{.+}}, %[[R0]], %[[HI]] : vector<32xbf16> -> vector<16xf32>
// CHECK: vector.extract %[[A]][1] : vector<2xbf16> from vector<2x2xbf16>
// CHECK-COUNT-2: x86vector.avx512.dot
// CHECK-NOT: x86vector.avx512.dot
// CHECK-NOT: vector.fma
// CHECK: return
#mk = affine_map<(m, n, k) -> (m, k)>
#kn = affine_map<(m, n, k) -> (k, n)>
#mn = affine_map<(m, n, k) -> (m, n)>
func.func @bf16_register_tile_k_pair(%a: vector<2x2xbf16>, %b: vector<2x32xbf16>, %c: vector<2x32xf32>) -> vector<2x32xf32> {
  %0 = vector.contract {indexing_maps = [#mk, #kn, #mn], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %a, %b, %c : vector<2x2xbf16>, vector<2x32xbf16> into vector<2x32xf32>
  return %0 : vector<2x32xf32>
}

// -----

// The operands may come extended to f32 (as linalg's vectorizer may write
// them): the same dot products read the bf16 vectors.

// CHECK-LABEL: func.func @bf16_extended_operands
// CHECK-NOT: arith.extf
// CHECK: x86vector.avx512.dot
// CHECK-NOT: vector.fma
#mk1 = affine_map<(m, n, k) -> (m, k)>
#kn1 = affine_map<(m, n, k) -> (k, n)>
#mn1 = affine_map<(m, n, k) -> (m, n)>
func.func @bf16_extended_operands(%a: vector<1x2xbf16>, %b: vector<2x16xbf16>, %c: vector<1x16xf32>) -> vector<1x16xf32> {
  %ea = arith.extf %a : vector<1x2xbf16> to vector<1x2xf32>
  %eb = arith.extf %b : vector<2x16xbf16> to vector<2x16xf32>
  %0 = vector.contract {indexing_maps = [#mk1, #kn1, #mn1], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %ea, %eb, %c : vector<1x2xf32>, vector<2x16xf32> into vector<1x16xf32>
  return %0 : vector<1x16xf32>
}

// -----

// What a dot product cannot take stays f32 FMAs on extended operands: an
// odd last k (one of a pair), 10 columns (not 16), a transposed left tile.

// CHECK-LABEL: func.func @bf16_not_dot_products
// CHECK-NOT: x86vector.avx512.dot
// CHECK: vector.fma
// CHECK-NOT: x86vector.avx512.dot
// CHECK: return
#mk2 = affine_map<(m, n, k) -> (m, k)>
#km2 = affine_map<(m, n, k) -> (k, m)>
#kn2 = affine_map<(m, n, k) -> (k, n)>
#mn2 = affine_map<(m, n, k) -> (m, n)>
func.func @bf16_not_dot_products(%odd: vector<2x1xbf16>, %oddB: vector<1x16xbf16>, %c16: vector<2x16xf32>,
                                 %a: vector<2x2xbf16>, %b10: vector<2x10xbf16>, %c10: vector<2x10xf32>,
                                 %at: vector<2x2xbf16>, %b16: vector<2x16xbf16>) -> (vector<2x16xf32>, vector<2x10xf32>, vector<2x16xf32>) {
  %0 = vector.contract {indexing_maps = [#mk2, #kn2, #mn2], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %odd, %oddB, %c16 : vector<2x1xbf16>, vector<1x16xbf16> into vector<2x16xf32>
  %1 = vector.contract {indexing_maps = [#mk2, #kn2, #mn2], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %a, %b10, %c10 : vector<2x2xbf16>, vector<2x10xbf16> into vector<2x10xf32>
  %2 = vector.contract {indexing_maps = [#km2, #kn2, #mn2], iterator_types = ["parallel", "parallel", "reduction"], kind = #vector.kind<add>} %at, %b16, %c16 : vector<2x2xbf16>, vector<2x16xbf16> into vector<2x16xf32>
  return %0, %1, %2 : vector<2x16xf32>, vector<2x10xf32>, vector<2x16xf32>
}

// -----

// A tile of a product over pairs (m, n, pair, k): the right tile's pairs
// are interleaved already, 16 columns' pairs one contiguous half of it (no
// lane moves: a zmm register each), where the row layout needs a vpermt2w;
// its read of [1, 32, 2] pairs is flattened into one read of 64 elements.

// CHECK-LABEL: func.func @bf16_paired_tile
// CHECK-SAME: (%[[A:[^:]+]]: vector<2x1x2xbf16>, %[[MEM:[^:]+]]: memref<4x32x2xbf16>, %[[P:[^:]+]]: index, %[[C:[^:]+]]: vector<2x32xf32>)
// CHECK: %[[FLAT:.+]] = memref.collapse_shape %[[MEM]] {{\[\[}}0], [1, 2]] : memref<4x32x2xbf16> into memref<4x64xbf16>
// CHECK: %[[B:.+]] = vector.load %[[FLAT]][%[[P]], %{{.+}}] : memref<4x64xbf16>, vector<64xbf16>
// CHECK: %[[LO:.+]] = vector.shuffle %[[B]], %[[B]] [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31] : vector<64xbf16>, vector<64xbf16>
// CHECK: %[[HI:.+]] = vector.shuffle %[[B]], %[[B]] [32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63] : vector<64xbf16>, vector<64xbf16>
// CHECK: vector.extract %[[A]][0, 0] : vector<2xbf16> from vector<2x1x2xbf16>
// CHECK: x86vector.avx512.dot %{{.+}}, %{{.+}}, %[[LO]]
// CHECK: x86vector.avx512.dot %{{.+}}, %{{.+}}, %[[HI]]
// CHECK: x86vector.avx512.dot %{{.+}}, %{{.+}}, %[[LO]]
// CHECK: x86vector.avx512.dot %{{.+}}, %{{.+}}, %[[HI]]
// CHECK-NOT: x86vector.avx512.dot
// CHECK-NOT: vector.fma
// CHECK: return
#a = affine_map<(m, n, p, k) -> (m, p, k)>
#b = affine_map<(m, n, p, k) -> (p, n, k)>
#c = affine_map<(m, n, p, k) -> (m, n)>
func.func @bf16_paired_tile(%a: vector<2x1x2xbf16>, %mem: memref<4x32x2xbf16>, %p: index, %c: vector<2x32xf32>) -> vector<2x32xf32> {
  %c0 = arith.constant 0 : index
  %pad = arith.constant 0.0 : bf16
  %b = vector.transfer_read %mem[%p, %c0, %c0], %pad {in_bounds = [true, true, true]} : memref<4x32x2xbf16>, vector<1x32x2xbf16>
  %0 = vector.contract {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction", "reduction"], kind = #vector.kind<add>} %a, %b, %c : vector<2x1x2xbf16>, vector<1x32x2xbf16> into vector<2x32xf32>
  return %0 : vector<2x32xf32>
}

// -----

// A tile of pairs too narrow for dot products (a remainder of 3 columns)
// becomes a matmul tile of one k pair, which the f32 lowering takes.

// CHECK-LABEL: func.func @bf16_paired_remainder
// CHECK-NOT: x86vector.avx512.dot
// CHECK-NOT: vector.contract
// CHECK: vector.fma
#a2 = affine_map<(m, n, p, k) -> (m, p, k)>
#b2 = affine_map<(m, n, p, k) -> (p, n, k)>
#c2 = affine_map<(m, n, p, k) -> (m, n)>
func.func @bf16_paired_remainder(%a: vector<2x1x2xbf16>, %b: vector<1x3x2xbf16>, %c: vector<2x3xf32>) -> vector<2x3xf32> {
  %0 = vector.contract {indexing_maps = [#a2, #b2, #c2], iterator_types = ["parallel", "parallel", "reduction", "reduction"], kind = #vector.kind<add>} %a, %b, %c : vector<2x1x2xbf16>, vector<1x3x2xbf16> into vector<2x3xf32>
  return %0 : vector<2x3xf32>
}

// -----

// A transfer of one element as a vector of unit dimensions (a one-column
// remainder tile) becomes a scalar load or store; it must not reach MLIR
// 22's flattening patterns, whose contiguity check compares (size_t)-8
// bytes for it. A transfer of more than one element, or of one as a 1-D
// vector (which those patterns leave alone), is left to the usual
// lowering. (Loom's tiling makes no one-element transfer that may be out of
// bounds; one would still reach that check.)

// CHECK-LABEL: func.func @one_element_transfers
// CHECK-SAME: (%[[M:[^:]+]]: memref<4x8xf32>, %[[OUT:[^:]+]]: memref<4x8xf32>, %[[I:[^:]+]]: index)
// CHECK: %[[X:.+]] = memref.load %[[M]][%[[I]], %[[I]]] : memref<4x8xf32>
// CHECK: memref.store %[[X]], %[[OUT]][%[[I]], %[[I]]] : memref<4x8xf32>
// CHECK-NOT: vector.transfer_read
// CHECK-NOT: vector.transfer_write
// CHECK: return
func.func @one_element_transfers(%m: memref<4x8xf32>, %out: memref<4x8xf32>, %i: index) {
  %pad = arith.constant 0.0 : f32
  %v = vector.transfer_read %m[%i, %i], %pad {in_bounds = [true, true]} : memref<4x8xf32>, vector<1x1xf32>
  vector.transfer_write %v, %out[%i, %i] {in_bounds = [true, true]} : vector<1x1xf32>, memref<4x8xf32>
  return
}

// CHECK-LABEL: func.func @not_one_element
// CHECK-NOT: memref.load
// CHECK-NOT: memref.store
// CHECK: return
func.func @not_one_element(%m: memref<4x8xf32>, %out: memref<4x8xf32>, %i: index) {
  %pad = arith.constant 0.0 : f32
  %v = vector.transfer_read %m[%i, %i], %pad {in_bounds = [true, true]} : memref<4x8xf32>, vector<1x2xf32>
  vector.transfer_write %v, %out[%i, %i] {in_bounds = [true, true]} : vector<1x2xf32>, memref<4x8xf32>
  %w = vector.transfer_read %m[%i, %i], %pad {in_bounds = [true]} : memref<4x8xf32>, vector<1xf32>
  vector.transfer_write %w, %out[%i, %i] {in_bounds = [true]} : vector<1xf32>, memref<4x8xf32>
  return
}
