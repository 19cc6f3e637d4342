// RUN: loom-opt %s -split-input-file -pass-pipeline='builtin.module(loom-lower-to-linalg, func.func(loom-tile-and-vectorize{vector-width=16}))' | FileCheck %s

// A fused linear layer becomes one loop nest: thread blocks of 64 rows, each
// split into 8x32 register tiles whose k loop accumulates x·W in a vector;
// bias and GELU are applied to that vector, and the output and the
// pre-activation are each stored once. Nothing is left as a linalg op.

// CHECK-LABEL: func.func @fused_layer
// CHECK: scf.forall (%[[BLOCK:.+]]) = (0) to (128) step (64)
// CHECK: scf.for %{{.+}} = %c0 to %c64 step %c8
// CHECK: scf.for %{{.+}} = %c0 to %c64 step %c32
// CHECK: %[[ACC:.+]] = scf.for %{{.+}} = %c0 to %c32 step %c1 iter_args(%{{.+}} = %{{.+}}) -> (vector<8x32xf32>)
// CHECK: vector.contract {{.+}} : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// CHECK: %[[PRE:.+]] = arith.addf %[[ACC]], %{{.+}} : vector<8x32xf32>
// CHECK: math.tanh %{{.+}} : vector<8x32xf32>
// CHECK-DAG: vector.transfer_write %{{.+}} : vector<8x32xf32>, tensor<64x64xf32>
// CHECK-DAG: vector.transfer_write %[[PRE]], %{{.+}} : vector<8x32xf32>, tensor<64x64xf32>
// CHECK: scf.forall.in_parallel
// CHECK-NOT: linalg.
func.func @fused_layer(%x: tensor<128x32xf32>, %w: tensor<32x64xf32>, %b: tensor<64xf32>) -> (tensor<128x64xf32>, tensor<128x64xf32>) {
  %y, %pre = loom.fused_linear gelu %x, %w, %b : (tensor<128x32xf32>, tensor<32x64xf32>, tensor<64xf32>) -> (tensor<128x64xf32>, tensor<128x64xf32>)
  return %y, %pre : tensor<128x64xf32>, tensor<128x64xf32>
}

// -----

// Unfused, the product and the epilogue are two loop nests: the bias and the
// GELU are not applied inside the matmul's nest.

// CHECK-LABEL: func.func @unfused_layer
// CHECK: scf.forall
// CHECK: vector.contract
// CHECK-NOT: math.tanh
// CHECK: scf.forall.in_parallel
// CHECK: scf.forall
// CHECK-NOT: vector.contract
// CHECK: arith.addf
// CHECK: scf.forall
// CHECK-NOT: vector.contract
// CHECK: math.tanh
func.func @unfused_layer(%x: tensor<128x32xf32>, %w: tensor<32x64xf32>, %b: tensor<64xf32>) -> tensor<128x64xf32> {
  %0 = loom.matmul %x, %w : (tensor<128x32xf32>, tensor<32x64xf32>) -> tensor<128x64xf32>
  %1 = loom.add %0, %b : (tensor<128x64xf32>, tensor<64xf32>) -> tensor<128x64xf32>
  %2 = loom.gelu %1 : tensor<128x64xf32>
  return %2 : tensor<128x64xf32>
}

// -----

// Sizes that the register tile does not divide are peeled: 12 rows are a
// tile of 8 and one of 4, with static vector shapes; 10 columns fit one
// tile.

// CHECK-LABEL: func.func @odd_sizes
// CHECK-DAG: vector.contract {{.+}} into vector<8x10xf32>
// CHECK-DAG: vector.contract {{.+}} into vector<4x10xf32>
// CHECK-NOT: linalg.matmul
func.func @odd_sizes(%x: tensor<12x5xf32>, %w: tensor<5x10xf32>) -> tensor<12x10xf32> {
  %0 = loom.matmul %x, %w : (tensor<12x5xf32>, tensor<5x10xf32>) -> tensor<12x10xf32>
  return %0 : tensor<12x10xf32>
}

// -----

// A plain product whose columns are not a whole number of 256-column blocks
// is split: 256 columns in full blocks, the remaining 44 in a part of their
// own (never blocks of the largest divisor of 300). With k longer than 512
// it walks k in blocks of 256; the partial last block of 88 is peeled.

// CHECK-LABEL: func.func @split_and_blocked_k
// CHECK: scf.for %{{.+}} = %c0 to %c512 step %c256 iter_args(%{{.+}}) -> (tensor<64x256xf32>)
// CHECK: scf.for %{{.+}} = %c0 to %c256 step %c1 iter_args(%{{.+}}) -> (vector<8x32xf32>)
// CHECK: vector.contract {{.+}} : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// CHECK: %[[WHOLE:.+]] = scf.for %{{.+}} = %c0 to %c64 step %c8 iter_args(%{{.+}}) -> (tensor<64x256xf32>)
// CHECK: scf.for %{{.+}} = %c0 to %c88 step %c1 iter_args(%{{.+}}) -> (vector<8x32xf32>)
// CHECK: tensor.insert_slice %[[WHOLE]] into %{{.+}}[0, 0] [64, 256] [1, 1]
// CHECK: scf.for %{{.+}} = %c0 to %c512 step %c256 iter_args(%{{.+}}) -> (tensor<64x44xf32>)
// CHECK: vector<8x32xf32>
// CHECK: vector<8x12xf32>
// CHECK: tensor.insert_slice %{{.+}} into %{{.+}}[0, 256] [64, 44] [1, 1]
// CHECK-NOT: linalg.matmul
func.func @split_and_blocked_k(%x: tensor<64x600xf32>, %w: tensor<600x300xf32>) -> tensor<64x300xf32> {
  %y = loom.matmul %x, %w : (tensor<64x600xf32>, tensor<600x300xf32>) -> tensor<64x300xf32>
  return %y : tensor<64x300xf32>
}

// -----

// A fused layer with k longer than 512 walks k in blocks of 256 over the
// whole thread block first (register tiles inside each block, the partial
// last block of 88 peeled), then applies bias and GELU tile by tile to the
// block's finished product; k is never walked whole per register tile.

// CHECK-LABEL: func.func @fused_long_k
// CHECK: %[[BLOCKS:.+]] = scf.for %{{.+}} = %c0 to %c512 step %c256 iter_args(%{{.+}}) -> (tensor<64x256xf32>)
// CHECK: scf.for %{{.+}} = %c0 to %c256 step %c1 iter_args(%{{.+}}) -> (vector<8x32xf32>)
// CHECK: vector.contract
// CHECK: %[[PRODUCT:.+]] = scf.for %{{.+}} = %c0 to %c64 step %c8 iter_args(%{{.+}} = %[[BLOCKS]])
// CHECK: scf.for %{{.+}} = %c0 to %c88 step %c1 iter_args(%{{.+}}) -> (vector<8x32xf32>)
// CHECK: scf.for %{{.+}} = %c0 to %c64 step %c8 iter_args
// CHECK: vector.transfer_read %[[PRODUCT]]
// CHECK: math.tanh %{{.+}} : vector<8x32xf32>
// CHECK-NOT: scf.for %{{.+}} = %c0 to %c600
func.func @fused_long_k(%x: tensor<64x600xf32>, %w: tensor<600x256xf32>, %b: tensor<256xf32>) -> (tensor<64x256xf32>, tensor<64x256xf32>) {
  %y, %pre = loom.fused_linear gelu %x, %w, %b : (tensor<64x600xf32>, tensor<600x256xf32>, tensor<256xf32>) -> (tensor<64x256xf32>, tensor<64x256xf32>)
  return %y, %pre : tensor<64x256xf32>, tensor<64x256xf32>
}

// -----

// Inside attention's own thread blocks (one per head, loom.thread_block)
// nothing is split between threads again: the block's products become 8x32
// register tiles stepping k by one (8x16 when the head is 16 wide), its row
// kernels vector rows, all in the head's loops over query and key blocks.

// CHECK-LABEL: func.func @flash_blocks
// CHECK: scf.forall (%{{.+}}) in (4)
// CHECK-NOT: scf.forall
// CHECK: scf.for %{{.+}} = %c0 to %c2 step %c1
// CHECK: scf.for %{{.+}} = %c0 to %{{.+}} step %c1 iter_args
// CHECK-NOT: scf.forall
// CHECK: scf.for %{{.+}} = %c0 to %c32 step %c8
// CHECK: scf.for %{{.+}} = %c0 to %c16 step %c1 iter_args(%{{.+}}) -> (vector<8x32xf32>)
// CHECK: vector.contract {{.+}} : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// CHECK: vector.multi_reduction <maximumf>, {{.+}} : vector<1x32xf32> to vector<1xf32>
// CHECK: math.exp %{{.+}} : vector<1x32xf32>
// CHECK: vector.multi_reduction <add>, {{.+}} : vector<1x32xf32> to vector<1xf32>
// CHECK: scf.for %{{.+}} = %c0 to %c32 step %c1 iter_args(%{{.+}}) -> (vector<8x16xf32>)
// CHECK: vector.contract {{.+}} : vector<8x1xf32>, vector<1x16xf32> into vector<8x16xf32>
// CHECK: } {loom.thread_block}
// CHECK-NOT: linalg.matmul
// CHECK-NOT: linalg.batch_matmul
func.func @flash_blocks(%q: tensor<2x64x32xf32>) -> (tensor<2x64x32xf32>, tensor<2x2x64xf32>) {
  %o, %lse = loom.attention %q, %q, %q heads(2, 2) : tensor<2x64x32xf32>, tensor<2x64x32xf32> -> tensor<2x2x64xf32>
  return %o, %lse : tensor<2x64x32xf32>, tensor<2x2x64xf32>
}

// -----

// A weight read transposed (x·Wᵀ) is never copied whole: each thread
// block packs its slice, one reduction block (256 of k) at a time, right
// before the register tiles read it, reading and writing 16x16 tiles.

// CHECK-LABEL: func.func @packed_weight
// CHECK: scf.forall (%{{.+}}) = (0) to (512) step (256)
// CHECK: scf.for %{{.+}} = %c0 to %c512 step %c256
// CHECK: scf.for %{{.+}} = %c0 to %c256 step %c16
// CHECK: scf.for %{{.+}} = %c0 to %c256 step %c16
// CHECK: vector.transfer_read %{{.+}} {in_bounds = [true, true], permutation_map = #{{.+}}} : tensor<600x600xf32>, vector<16x16xf32>
// CHECK: vector.transfer_write {{.+}} : vector<16x16xf32>, tensor<256x256xf32>
// CHECK: scf.for %{{.+}} = %c0 to %c128 step %c8
// CHECK: vector.contract {{.+}} : vector<8x1xf32>, vector<1x32xf32> into vector<8x32xf32>
// The last 88 of k: their own packed block.
// CHECK: vector.transfer_write {{.+}} : vector<16x16xf32>, tensor<88x256xf32>
// CHECK-NOT: linalg.transpose
func.func @packed_weight(%x: tensor<128x600xf32>, %w: tensor<600x600xf32>) -> tensor<128x600xf32> {
  %y = loom.matmul %x, %w {transpose_rhs} : (tensor<128x600xf32>, tensor<600x600xf32>) -> tensor<128x600xf32>
  return %y : tensor<128x600xf32>
}

// -----

// A large product that whole blocks would cut into too few for the threads
// to share evenly (GPT-2 small's c_attn input gradient: 256 x 768 in
// packed blocks of 256 x 256 is 3 blocks) gets narrower blocks: 12 of
// 256 x 64.

// CHECK-LABEL: func.func @few_blocks
// CHECK: scf.forall (%{{.+}}) = (0) to (768) step (64) shared_outs(%{{.+}}) -> (tensor<256x768xf32>)
func.func @few_blocks(%dy: tensor<256x2304xf32>, %w: tensor<768x2304xf32>) -> tensor<256x768xf32> {
  %dx = loom.matmul %dy, %w {transpose_rhs} : (tensor<256x2304xf32>, tensor<768x2304xf32>) -> tensor<256x768xf32>
  return %dx : tensor<256x768xf32>
}

// -----

// A product of at least 2^26 multiply-adds gets blocks of 128 rows (a small
// one, like @fused_layer's, keeps 64): each block reads its slice of the
// right operand for twice the work. 512 x 512 x 256 is 2^26.

// CHECK-LABEL: func.func @large_product
// CHECK: scf.forall (%{{.+}}, %{{.+}}) = (0, 0) to (512, 512) step (128, 256)
// CHECK: scf.for %{{.+}} = %c0 to %c128 step %c8
func.func @large_product(%x: tensor<512x256xf32>, %w: tensor<256x512xf32>) -> tensor<512x512xf32> {
  %0 = loom.matmul %x, %w : (tensor<512x256xf32>, tensor<256x512xf32>) -> tensor<512x512xf32>
  return %0 : tensor<512x512xf32>
}

// -----

// An update over a range whose length is known only at run time (a ZeRO-1
// shard): thread blocks of 16384 elements, each cut into whole register
// tiles of 4 vectors, which vectorize, and a partial one, which stays a
// scalar generic; no tile is left with a run-time length in the vector
// loop.

// CHECK-LABEL: func.func @update_of_a_range
// CHECK: scf.forall (%{{.+}}) = (0) to (%{{.+}}) step (16384)
// CHECK: %[[WHOLE:.+]] = affine.apply
// CHECK: scf.for %{{.+}} = %c0 to %[[WHOLE]] step %c64
// CHECK-NOT: linalg.generic
// CHECK: arith.subf %{{.+}} : vector<64xf32>
// CHECK: vector.transfer_write %{{.+}} : vector<64xf32>, tensor<?xf32>
// CHECK: scf.for %{{.+}} = %[[WHOLE]] to
// CHECK: linalg.generic
// CHECK-NOT: scf.for
// CHECK: scf.forall.in_parallel
func.func @update_of_a_range(%p: tensor<?xf32>, %g: tensor<?xf32>, %v: tensor<?xf32>, %lr: f32) -> (tensor<?xf32>, tensor<?xf32>) {
  %0:2 = loom.sgd_update %p, %g, %v, lr %lr, momentum %lr, scale %lr : tensor<?xf32>
  return %0#0, %0#1 : tensor<?xf32>, tensor<?xf32>
}

// -----

// A sum along rows (layer norm's statistics: 64 columns at a time) adds
// each tile into a vector of partial sums, lane by lane; the lanes are
// summed once, after the loop, not at every step.

// CHECK-LABEL: func.func @row_sums
// CHECK: scf.for %{{.+}} = %c0 to %c256 step %c64 iter_args(%[[SUM:.+]] = %{{.+}}, %[[SQUARES:.+]] = %{{.+}}) -> (vector<1x64xf32>, vector<1x64xf32>)
// CHECK-NOT: vector.multi_reduction
// CHECK: arith.addf %[[SUM]], %{{.+}} : vector<1x64xf32>
// CHECK: arith.addf %[[SQUARES]], %{{.+}} : vector<1x64xf32>
// CHECK: scf.yield
// CHECK: vector.multi_reduction <add>, %{{.+}}, %{{.+}} [1] : vector<1x64xf32> to vector<1xf32>
// CHECK: vector.multi_reduction <add>, %{{.+}}, %{{.+}} [1] : vector<1x64xf32> to vector<1xf32>
func.func @row_sums(%x: tensor<64x256xf32>, %g: tensor<256xf32>, %b: tensor<256xf32>) -> tensor<64x256xf32> {
  %0 = loom.layer_norm %x, %g, %b epsilon(1.0e-05) : tensor<64x256xf32>, tensor<256xf32>
  return %0 : tensor<64x256xf32>
}

// -----

// A sum over rows (a bias gradient) already adds whole vectors: nothing is
// summed across lanes, and its loops carry what they did.

// CHECK-LABEL: func.func @column_sums
// CHECK-NOT: vector.multi_reduction
// CHECK: scf.for %{{.+}} = %c0 to %c16 step %c1 iter_args(%[[PARTIAL:.+]] = %{{.+}}) -> (vector<64xf32>)
// CHECK: arith.addf %[[PARTIAL]], %{{.+}} : vector<64xf32>
// CHECK-NOT: vector.multi_reduction
func.func @column_sums(%dy: tensor<64x256xf32>) -> tensor<256xf32> {
  %0 = loom.reduce_sum %dy : (tensor<64x256xf32>) -> tensor<256xf32>
  return %0 : tensor<256xf32>
}
