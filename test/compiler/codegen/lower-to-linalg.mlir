// RUN: loom-opt %s -split-input-file -loom-lower-to-linalg | FileCheck %s
// RUN: loom-opt %s -split-input-file -loom-lower-to-linalg | FileCheck %s --check-prefix=NOLOOM

// No loom op survives the lowering, in any function (loom.fusion_group
// attributes do), but loom.gradient_ready, which is lowered after
// bufferization.
// NOLOOM-NOT: {{^ *(%[^ ]+ = )?"?loom\.([a-fh-z]|g[^r])}}

//===----------------------------------------------------------------------===//
// Products
//===----------------------------------------------------------------------===//

// A product zero-fills its accumulator; a transposed right operand is first
// copied into its transpose; a transposed left one is read through the map,
// never copied.

// CHECK-LABEL: func.func @matmuls
// CHECK-SAME: (%[[A:[^:]+]]: tensor<8x4xf32>, %[[B:[^:]+]]: tensor<4x3xf32>, %[[BT:[^:]+]]: tensor<3x4xf32>, %[[AT:[^:]+]]: tensor<4x8xf32>)
// CHECK: %[[FILL:.+]] = linalg.fill
// CHECK: linalg.matmul ins(%[[A]], %[[B]] : tensor<8x4xf32>, tensor<4x3xf32>) outs(%[[FILL]] : tensor<8x3xf32>)
// CHECK: %[[T:.+]] = linalg.transpose ins(%[[BT]] : tensor<3x4xf32>) outs(%{{.+}} : tensor<4x3xf32>) permutation = [1, 0]
// CHECK: linalg.matmul ins(%[[A]], %[[T]] : tensor<8x4xf32>, tensor<4x3xf32>)
// CHECK-NOT: linalg.transpose
// CHECK: linalg.matmul indexing_maps = [#{{.+}}, #{{.+}}, #{{.+}}] ins(%[[AT]], %[[B]] : tensor<4x8xf32>, tensor<4x3xf32>)
// CHECK-NOT: loom.
func.func @matmuls(%a: tensor<8x4xf32>, %b: tensor<4x3xf32>, %bt: tensor<3x4xf32>, %at: tensor<4x8xf32>)
    -> (tensor<8x3xf32>, tensor<8x3xf32>, tensor<8x3xf32>) {
  %0 = loom.matmul %a, %b : (tensor<8x4xf32>, tensor<4x3xf32>) -> tensor<8x3xf32>
  %1 = loom.matmul %a, %bt {transpose_rhs} : (tensor<8x4xf32>, tensor<3x4xf32>) -> tensor<8x3xf32>
  %2 = loom.matmul %at, %b {transpose_lhs} : (tensor<4x8xf32>, tensor<4x3xf32>) -> tensor<8x3xf32>
  return %0, %1, %2 : tensor<8x3xf32>, tensor<8x3xf32>, tensor<8x3xf32>
}

// -----

// A few rows (at most 4: a decode step's) by a transposed right operand are
// dot products of rows as stored: threads split the 5 columns, k goes in
// steps of 64 lanes (one FMA per row per step, reading w once for both
// rows) and a zero-padded last step for the 6 left of 70; the lanes add up
// as a tree. Nothing is packed.

// CHECK-LABEL: func.func @few_rows_transposed
// CHECK-SAME: (%[[X:[^:]+]]: tensor<2x70xf32>, %[[W:[^:]+]]: tensor<5x70xf32>)
// CHECK-NOT: linalg.transpose
// CHECK-NOT: linalg.matmul
// CHECK: scf.forall (%[[N:.+]]) in (5) shared_outs(%[[OUT:.+]] = %{{.+}}) -> (tensor<2x5xf32>)
// CHECK: scf.for %[[K:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args
// CHECK: vector.transfer_read %[[W]][%[[N]], %[[K]]], %{{.+}} {in_bounds = [true]} : tensor<5x70xf32>, vector<64xf32>
// CHECK: vector.transfer_read %[[X]][%{{.+}}, %[[K]]], %{{.+}} {in_bounds = [true]} : tensor<2x70xf32>, vector<64xf32>
// CHECK: vector.fma
// CHECK: vector.transfer_read %[[X]][%{{.+}}, %[[K]]], %{{.+}} {in_bounds = [true]} : tensor<2x70xf32>, vector<64xf32>
// CHECK: vector.fma
// CHECK: scf.yield
// CHECK: vector.transfer_read %[[W]][%[[N]], %{{.+}}], %{{.+}} : tensor<5x70xf32>, vector<64xf32>
// CHECK-COUNT-2: vector.fma
// CHECK: vector.reduction <add>, %{{.+}} fastmath<reassoc> : vector<64xf32> into f32
// CHECK: vector.reduction <add>, %{{.+}} fastmath<reassoc> : vector<64xf32> into f32
// CHECK: tensor.parallel_insert_slice %{{.+}} into %[[OUT]][0, %[[N]]] [2, 1] [1, 1] : tensor<2x1xf32> into tensor<2x5xf32>
func.func @few_rows_transposed(%x: tensor<2x70xf32>, %w: tensor<5x70xf32>) -> tensor<2x5xf32> {
  %y = loom.matmul %x, %w {transpose_rhs} : (tensor<2x70xf32>, tensor<5x70xf32>) -> tensor<2x5xf32>
  return %y : tensor<2x5xf32>
}

// -----

// A few rows by W [K, N] stored as is: threads split k into 7 slices of 3
// (8 would leave the last one empty), and each adds x[r, k]·W[k, :] into its
// partial product, sweeping each row of W whole: 64 lanes at a time, and a
// masked step for the 6 columns left of 70. The partials are summed after.

// CHECK-LABEL: func.func @few_rows_sweep
// CHECK-SAME: (%[[X:[^:]+]]: tensor<2x20xf32>, %[[W:[^:]+]]: tensor<20x70xf32>)
// CHECK-NOT: linalg.matmul
// CHECK: %[[ZEROS:.+]] = linalg.fill {{.+}} -> tensor<7x2x70xf32>
// CHECK: %[[PARTIALS:.+]] = scf.forall (%[[S:.+]]) in (7) shared_outs(%[[SHARED:.+]] = %[[ZEROS]])
// CHECK: %[[PARTIAL:.+]] = tensor.extract_slice %[[SHARED]][%[[S]], 0, 0] [1, 2, 70] [1, 1, 1]
// CHECK: scf.for %[[K:.+]] = %{{.+}} to %{{.+}} step %{{.+}} iter_args(%{{.+}} = %[[PARTIAL]])
// CHECK: tensor.extract %[[X]][%{{.+}}, %[[K]]]
// CHECK: tensor.extract %[[X]][%{{.+}}, %[[K]]]
// CHECK: scf.for
// CHECK: vector.transfer_read %[[W]][%[[K]], %{{.+}}], %{{.+}} {in_bounds = [true]} : tensor<20x70xf32>, vector<64xf32>
// CHECK-COUNT-2: vector.transfer_write
// CHECK: scf.yield
// CHECK: vector.transfer_read %[[W]][%[[K]], %{{.+}}], %{{.+}} : tensor<20x70xf32>, vector<64xf32>
// CHECK-COUNT-2: vector.transfer_write %{{.+}} : vector<64xf32>, tensor<2x70xf32>
// CHECK: tensor.parallel_insert_slice %{{.+}} into %[[SHARED]][%[[S]], 0, 0] [1, 2, 70] [1, 1, 1]
// CHECK: linalg.generic {{.+}} iterator_types = ["reduction", "parallel", "parallel"]} ins(%[[PARTIALS]] : tensor<7x2x70xf32>) outs(%{{.+}} : tensor<2x70xf32>)
func.func @few_rows_sweep(%x: tensor<2x20xf32>, %w: tensor<20x70xf32>) -> tensor<2x70xf32> {
  %y = loom.matmul %x, %w : (tensor<2x20xf32>, tensor<20x70xf32>) -> tensor<2x70xf32>
  return %y : tensor<2x70xf32>
}

// -----

// Four rows are still few; five are a product with a packed operand (and,
// by W as stored, a plain matmul). A depth that is whole steps has no
// padded step.

// CHECK-LABEL: func.func @few_rows_boundary
// CHECK: scf.forall
// CHECK-COUNT-4: vector.fma
// CHECK: scf.yield
// CHECK-NOT: vector.transfer_read
// CHECK: vector.reduction
// CHECK: scf.forall.in_parallel
// CHECK: linalg.transpose
// CHECK: linalg.matmul
// CHECK-NOT: scf.forall
// CHECK: linalg.matmul ins(%{{.+}}, %{{.+}} : tensor<5x128xf32>, tensor<128x3xf32>)
// CHECK-NOT: scf.forall
func.func @few_rows_boundary(%x4: tensor<4x128xf32>, %x5: tensor<5x128xf32>, %w: tensor<3x128xf32>, %wk: tensor<128x3xf32>)
    -> (tensor<4x3xf32>, tensor<5x3xf32>, tensor<5x3xf32>) {
  %y4 = loom.matmul %x4, %w {transpose_rhs} : (tensor<4x128xf32>, tensor<3x128xf32>) -> tensor<4x3xf32>
  %y5 = loom.matmul %x5, %w {transpose_rhs} : (tensor<5x128xf32>, tensor<3x128xf32>) -> tensor<5x3xf32>
  %z5 = loom.matmul %x5, %wk : (tensor<5x128xf32>, tensor<128x3xf32>) -> tensor<5x3xf32>
  return %y4, %y5, %z5 : tensor<4x3xf32>, tensor<5x3xf32>, tensor<5x3xf32>
}

// -----

// Batch-like leading dimensions are rows: [2, 5, K] is a [10, K] matrix (a
// reassociation, no copy), the product is one 2-D linalg.matmul, and the
// result is expanded back. xᵀ·dy sums over all 10 rows in one product.

// CHECK-DAG: #[[KM:.+]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-DAG: #[[KN:.+]] = affine_map<(d0, d1, d2) -> (d2, d1)>
// CHECK-DAG: #[[MN:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @batched_rows
// CHECK-SAME: (%[[X:[^:]+]]: tensor<2x5x4xf32>, %[[W:[^:]+]]: tensor<4x3xf32>, %[[WT:[^:]+]]: tensor<4x3xf32>, %[[DY:[^:]+]]: tensor<2x5x3xf32>)
// CHECK-NOT: linalg.batch_matmul
// CHECK-NOT: linalg.generic
// CHECK: %[[XR:.+]] = tensor.collapse_shape %[[X]] {{\[\[}}0, 1], [2]] : tensor<2x5x4xf32> into tensor<10x4xf32>
// CHECK: %[[Y:.+]] = linalg.matmul ins(%[[XR]], %[[W]] : tensor<10x4xf32>, tensor<4x3xf32>) outs(%{{.+}} : tensor<10x3xf32>)
// CHECK: %[[YO:.+]] = tensor.expand_shape %[[Y]] {{\[\[}}0, 1], [2]] output_shape [2, 5, 3] : tensor<10x3xf32> into tensor<2x5x3xf32>
// CHECK: %[[DYR:.+]] = tensor.collapse_shape %[[DY]] {{\[\[}}0, 1], [2]] : tensor<2x5x3xf32> into tensor<10x3xf32>
// CHECK: %[[WTT:.+]] = linalg.transpose ins(%[[WT]] : tensor<4x3xf32>) outs(%{{.+}} : tensor<3x4xf32>) permutation = [1, 0]
// CHECK: %[[DX:.+]] = linalg.matmul ins(%[[DYR]], %[[WTT]] : tensor<10x3xf32>, tensor<3x4xf32>) outs(%{{.+}} : tensor<10x4xf32>)
// CHECK: %[[DXO:.+]] = tensor.expand_shape %[[DX]] {{\[\[}}0, 1], [2]] output_shape [2, 5, 4] : tensor<10x4xf32> into tensor<2x5x4xf32>
// CHECK-DAG: %[[XR2:.+]] = tensor.collapse_shape %[[X]] {{\[\[}}0, 1], [2]] : tensor<2x5x4xf32> into tensor<10x4xf32>
// CHECK-DAG: %[[DYR2:.+]] = tensor.collapse_shape %[[DY]] {{\[\[}}0, 1], [2]] : tensor<2x5x3xf32> into tensor<10x3xf32>
// CHECK-NOT: linalg.transpose
// CHECK: %[[DW:.+]] = linalg.matmul indexing_maps = [#[[KM]], #[[KN]], #[[MN]]] ins(%[[XR2]], %[[DYR2]] : tensor<10x4xf32>, tensor<10x3xf32>) outs(%{{.+}} : tensor<4x3xf32>)
// CHECK-NOT: linalg.generic
// CHECK-NOT: linalg.batch_matmul
// CHECK: return %[[YO]], %[[DXO]], %[[DW]]
func.func @batched_rows(%x: tensor<2x5x4xf32>, %w: tensor<4x3xf32>, %wt: tensor<4x3xf32>, %dy: tensor<2x5x3xf32>)
    -> (tensor<2x5x3xf32>, tensor<2x5x4xf32>, tensor<4x3xf32>) {
  %y = loom.matmul %x, %w : (tensor<2x5x4xf32>, tensor<4x3xf32>) -> tensor<2x5x3xf32>
  %dx = loom.matmul %dy, %wt {transpose_rhs} : (tensor<2x5x3xf32>, tensor<4x3xf32>) -> tensor<2x5x4xf32>
  %dw = loom.matmul %x, %dy {transpose_lhs} : (tensor<2x5x4xf32>, tensor<2x5x3xf32>) -> tensor<4x3xf32>
  return %y, %dx, %dw : tensor<2x5x3xf32>, tensor<2x5x4xf32>, tensor<4x3xf32>
}

// -----

// A fused linear is the matmul and its bias + GELU epilogue, marked as one
// fusion group; the epilogue also yields the pre-activation.

// CHECK-LABEL: func.func @fused_linear
// CHECK: %[[MM:.+]] = linalg.matmul {loom.fusion_group = [[GROUP:[0-9]+]] : i64}
// CHECK: linalg.generic {{.+}} ins(%[[MM]], %{{.+}} : tensor<8x3xf32>, tensor<3xf32>) outs(%{{.+}}, %{{.+}} : tensor<8x3xf32>, tensor<8x3xf32>) attrs = {loom.fusion_group = [[GROUP]] : i64}
// CHECK: math.tanh
// CHECK: linalg.yield %{{.+}}, %{{.+}} : f32, f32
func.func @fused_linear(%x: tensor<8x4xf32>, %w: tensor<4x3xf32>, %b: tensor<3xf32>) -> (tensor<8x3xf32>, tensor<8x3xf32>) {
  %y, %pre = loom.fused_linear gelu %x, %w, %b : (tensor<8x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> (tensor<8x3xf32>, tensor<8x3xf32>)
  return %y, %pre : tensor<8x3xf32>, tensor<8x3xf32>
}

// -----

// A residual is one more input of the epilogue, added after the
// activation (as the unfused sum adds it), in the same fusion group.

// CHECK-LABEL: func.func @fused_linear_residual
// CHECK-SAME: (%[[X:[^:]+]]: tensor<2x4x4xf32>, %[[W:[^:]+]]: tensor<4x3xf32>, %[[B:[^:]+]]: tensor<3xf32>, %[[R:[^:]+]]: tensor<2x4x3xf32>)
// CHECK: %[[MM:.+]] = linalg.matmul {loom.fusion_group = [[GROUP:[0-9]+]] : i64}
// CHECK: %[[RR:.+]] = tensor.collapse_shape %[[R]] {{\[\[}}0, 1], [2]] : tensor<2x4x3xf32> into tensor<8x3xf32>
// CHECK: linalg.generic {{.+}} ins(%[[MM]], %[[B]], %[[RR]] : tensor<8x3xf32>, tensor<3xf32>, tensor<8x3xf32>) outs(%{{.+}}, %{{.+}} : tensor<8x3xf32>, tensor<8x3xf32>) attrs = {loom.fusion_group = [[GROUP]] : i64}
// CHECK-NEXT: ^bb0(%[[P:[^:]+]]: f32, %[[BI:[^:]+]]: f32, %[[RI:[^:]+]]: f32,
// CHECK-NEXT: %[[PRE:.+]] = arith.addf %[[P]], %[[BI]] : f32
// CHECK: math.tanh
// CHECK: %[[OUT:.+]] = arith.addf %[[RI]], %{{.+}} : f32
// CHECK-NEXT: linalg.yield %[[OUT]], %[[PRE]] : f32, f32
func.func @fused_linear_residual(%x: tensor<2x4x4xf32>, %w: tensor<4x3xf32>, %b: tensor<3xf32>, %r: tensor<2x4x3xf32>) -> (tensor<2x4x3xf32>, tensor<2x4x3xf32>) {
  %y, %pre = loom.fused_linear gelu %x, %w, %b residual %r : (tensor<2x4x4xf32>, tensor<4x3xf32>, tensor<3xf32>, tensor<2x4x3xf32>) -> (tensor<2x4x3xf32>, tensor<2x4x3xf32>)
  return %y, %pre : tensor<2x4x3xf32>, tensor<2x4x3xf32>
}

// -----

// With a [out, in] weight (transpose_weight), rows of a rank-3 input, no
// bias and no saved pre-activation: the product reads the transposed weight
// and the epilogue applies SiLU alone, one result.

// CHECK-LABEL: func.func @fused_linear_transposed
// CHECK-SAME: (%[[X:[^:]+]]: tensor<2x5x4xf32>, %[[W:[^:]+]]: tensor<3x4xf32>)
// CHECK: %[[XR:.+]] = tensor.collapse_shape %[[X]] {{\[\[}}0, 1], [2]] : tensor<2x5x4xf32> into tensor<10x4xf32>
// CHECK: %[[WT:.+]] = linalg.transpose ins(%[[W]] : tensor<3x4xf32>) outs(%{{.+}} : tensor<4x3xf32>)
// CHECK: %[[MM:.+]] = linalg.matmul {loom.fusion_group = [[GROUP:[0-9]+]] : i64} ins(%[[XR]], %[[WT]] : tensor<10x4xf32>, tensor<4x3xf32>)
// CHECK: %[[EPI:.+]] = linalg.generic {{.+}} ins(%[[MM]] : tensor<10x3xf32>) outs(%{{.+}} : tensor<10x3xf32>) attrs = {loom.fusion_group = [[GROUP]] : i64}
// CHECK: math.exp
// CHECK: arith.divf
// CHECK: linalg.yield %{{[^,]+}} : f32
// CHECK: %[[Y:.+]] = tensor.expand_shape %[[EPI]] {{\[\[}}0, 1], [2]] output_shape [2, 5, 3]
// CHECK: return %[[Y]]
func.func @fused_linear_transposed(%x: tensor<2x5x4xf32>, %w: tensor<3x4xf32>) -> tensor<2x5x3xf32> {
  %y = loom.fused_linear silu %x, %w {transpose_weight} : (tensor<2x5x4xf32>, tensor<3x4xf32>) -> tensor<2x5x3xf32>
  return %y : tensor<2x5x3xf32>
}

// -----

// A fused linear over one row with a transposed weight (a decode step's
// Llama projection): the product is dot products, which tiling cannot fuse,
// so neither it nor the epilogue carries a fusion group.

// CHECK-LABEL: func.func @fused_linear_one_row
// CHECK-NOT: loom.fusion_group
// CHECK: %[[DOTS:.+]] = scf.forall
// CHECK: linalg.generic {{.+}} ins(%[[DOTS]] : tensor<1x3xf32>) outs(%{{.+}} : tensor<1x3xf32>) {
// CHECK-NOT: loom.fusion_group
func.func @fused_linear_one_row(%x: tensor<1x1x4xf32>, %w: tensor<3x4xf32>) -> tensor<1x1x3xf32> {
  %y = loom.fused_linear silu %x, %w {transpose_weight} : (tensor<1x1x4xf32>, tensor<3x4xf32>) -> tensor<1x1x3xf32>
  return %y : tensor<1x1x3xf32>
}

// -----

// So with a weight stored [in, out] and a bias (GPT-2's): the partials'
// sum, then the epilogue, neither in a fusion group.

// CHECK-LABEL: func.func @fused_linear_one_row_bias
// CHECK-NOT: loom.fusion_group
// CHECK: scf.forall
// CHECK: %[[SUM:.+]] = linalg.generic {{.+}} ins(%{{.+}} : tensor<4x1x3xf32>) outs(%{{.+}} : tensor<1x3xf32>) {
// CHECK: linalg.generic {{.+}} ins(%[[SUM]], %{{.+}} : tensor<1x3xf32>, tensor<3xf32>) outs(%{{.+}}, %{{.+}} : tensor<1x3xf32>, tensor<1x3xf32>) {
// CHECK-NOT: loom.fusion_group
func.func @fused_linear_one_row_bias(%x: tensor<1x4xf32>, %w: tensor<4x3xf32>, %b: tensor<3xf32>) -> (tensor<1x3xf32>, tensor<1x3xf32>) {
  %y, %pre = loom.fused_linear gelu %x, %w, %b : (tensor<1x4xf32>, tensor<4x3xf32>, tensor<3xf32>) -> (tensor<1x3xf32>, tensor<1x3xf32>)
  return %y, %pre : tensor<1x3xf32>, tensor<1x3xf32>
}

// -----

// The fused backward: one generic computes dz and the bias gradient in a
// single pass over blocks of consecutive rows (32 rows: 16 blocks of 2;
// threads split the blocks, so each streams whole rows), each block
// summing its rows into a partial bias gradient; the 16 partials are
// summed, and the two products read dz.

// CHECK-LABEL: func.func @fused_linear_grad
// CHECK: %[[PASS:.+]]:2 = linalg.generic {{.+}} iterator_types = ["parallel", "reduction", "parallel"]} ins(%{{.+}}, %{{.+}} : tensor<16x2x3xf32>, tensor<16x2x3xf32>) outs(%{{.+}}, %{{.+}} : tensor<16x2x3xf32>, tensor<16x3xf32>) attrs = {loom.fusion_group
// CHECK: %[[DZ:.+]] = tensor.collapse_shape %[[PASS]]#0 {{\[\[}}0, 1], [2]] : tensor<16x2x3xf32> into tensor<32x3xf32>
// CHECK: %[[DB:.+]] = linalg.generic {{.+}} iterator_types = ["reduction", "parallel"]} ins(%[[PASS]]#1 : tensor<16x3xf32>) outs(%{{.+}} : tensor<3xf32>)
// CHECK: %[[WT:.+]] = linalg.transpose
// CHECK: linalg.matmul ins(%[[DZ]], %[[WT]]
// CHECK: linalg.matmul indexing_maps = {{.+}} ins(%{{.+}}, %[[DZ]]
// CHECK: return %{{.+}}, %{{.+}}, %[[DB]]
func.func @fused_linear_grad(%dy: tensor<32x3xf32>, %x: tensor<32x4xf32>, %w: tensor<4x3xf32>, %pre: tensor<32x3xf32>)
    -> (tensor<32x4xf32>, tensor<4x3xf32>, tensor<3xf32>) {
  %dx, %dw, %db = loom.fused_linear_grad gelu %dy, %x weight %w saved %pre {with_bias} : (tensor<32x3xf32>, tensor<32x4xf32>, tensor<4x3xf32>, tensor<32x3xf32>) -> (tensor<32x4xf32>, tensor<4x3xf32>, tensor<3xf32>)
  return %dx, %dw, %db : tensor<32x4xf32>, tensor<4x3xf32>, tensor<3xf32>
}

// -----

// Without an activation dz is dy itself: the pass only reduces the bias
// gradient (by blocks of rows), and nothing is copied. A [out, in] weight
// needs no transpose for dX (dz·W) and gets dzᵀ·x for dW.

// CHECK-LABEL: func.func @fused_linear_grad_no_activation
// CHECK-SAME: (%[[DY:[^:]+]]: tensor<32x3xf32>, %[[X:[^:]+]]: tensor<32x4xf32>, %[[W:[^:]+]]: tensor<3x4xf32>)
// CHECK-NOT: tensor.empty() : tensor<32x3xf32>
// CHECK: %[[BLOCKS:.+]] = tensor.expand_shape %[[DY]] {{\[\[}}0, 1], [2]] output_shape [16, 2, 3] : tensor<32x3xf32> into tensor<16x2x3xf32>
// CHECK: %[[PARTIAL:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "reduction", "parallel"]} ins(%[[BLOCKS]] : tensor<16x2x3xf32>) outs(%{{.+}} : tensor<16x3xf32>) attrs = {loom.fusion_group
// CHECK: %[[DB:.+]] = linalg.generic {{.+}} ins(%[[PARTIAL]] : tensor<16x3xf32>) outs(%{{.+}} : tensor<3xf32>)
// CHECK-NOT: linalg.transpose
// CHECK-NOT: linalg.generic
// CHECK: %[[DX:.+]] = linalg.matmul ins(%[[DY]], %[[W]] : tensor<32x3xf32>, tensor<3x4xf32>) outs(%{{.+}} : tensor<32x4xf32>)
// CHECK: %[[DW:.+]] = linalg.matmul indexing_maps = {{.+}} ins(%[[DY]], %[[X]] : tensor<32x3xf32>, tensor<32x4xf32>) outs(%{{.+}} : tensor<3x4xf32>)
// CHECK: return %[[DX]], %[[DW]], %[[DB]]
func.func @fused_linear_grad_no_activation(%dy: tensor<32x3xf32>, %x: tensor<32x4xf32>, %w: tensor<3x4xf32>)
    -> (tensor<32x4xf32>, tensor<3x4xf32>, tensor<3xf32>) {
  %dx, %dw, %db = loom.fused_linear_grad none %dy, %x weight %w {with_bias, transpose_weight} : (tensor<32x3xf32>, tensor<32x4xf32>, tensor<3x4xf32>) -> (tensor<32x4xf32>, tensor<3x4xf32>, tensor<3xf32>)
  return %dx, %dw, %db : tensor<32x4xf32>, tensor<3x4xf32>, tensor<3xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Elementwise ops and reductions
//===----------------------------------------------------------------------===//

// A broadcast add reads the bias through a trailing-dimension map. A sum
// over all rows (a bias gradient) goes by blocks of rows, as the fused
// backward's: partial sums per block (8 rows: 8 blocks of 1), then over
// the blocks. A sum over the leading dimension only, of a rank-3 input, is
// one generic with a leading reduction iterator.

// CHECK-DAG: #[[FULL:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[COL:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[FULL3:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[BLOCK3:.+]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[TRAIL3:.+]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func.func @add_and_reduce
// CHECK: linalg.generic {indexing_maps = [#[[FULL]], #[[COL]], #[[FULL]]], iterator_types = ["parallel", "parallel"]}
// CHECK: arith.addf
// CHECK: %[[PARTIAL:.+]] = linalg.generic {indexing_maps = [#[[FULL3]], #[[BLOCK3]]], iterator_types = ["parallel", "reduction", "parallel"]} ins(%{{.+}} : tensor<8x1x3xf32>) outs(%{{.+}} : tensor<8x3xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[FULL]], #[[COL]]], iterator_types = ["reduction", "parallel"]} ins(%[[PARTIAL]] : tensor<8x3xf32>) outs(%{{.+}} : tensor<3xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[FULL3]], #[[TRAIL3]]], iterator_types = ["reduction", "parallel", "parallel"]} ins(%{{.+}} : tensor<2x5x3xf32>) outs(%{{.+}} : tensor<5x3xf32>)
func.func @add_and_reduce(%x: tensor<8x3xf32>, %b: tensor<3xf32>, %y: tensor<2x5x3xf32>) -> (tensor<8x3xf32>, tensor<3xf32>, tensor<5x3xf32>) {
  %0 = loom.add %x, %b : (tensor<8x3xf32>, tensor<3xf32>) -> tensor<8x3xf32>
  %1 = loom.reduce_sum %x : (tensor<8x3xf32>) -> tensor<3xf32>
  %2 = loom.reduce_sum %y : (tensor<2x5x3xf32>) -> tensor<5x3xf32>
  return %0, %1, %2 : tensor<8x3xf32>, tensor<3xf32>, tensor<5x3xf32>
}

// -----

// Exact GELU uses erf, not the tanh approximation; SiLU is x/(1 + e^-x).
// Their gradients read the saved input.

// CHECK-LABEL: func.func @activations
// CHECK-SAME: (%[[X:[^:]+]]: tensor<4x8xf32>, %[[DY:[^:]+]]: tensor<4x8xf32>)
// CHECK: %[[GELU:.+]] = linalg.generic {{.+}} ins(%[[X]] : tensor<4x8xf32>)
// CHECK-NEXT: ^bb0(%[[XI:[^:]+]]: f32, %{{[^:]+}}: f32):
// CHECK-NEXT: %[[RSQRT2:.+]] = arith.constant 0.707106769 : f32
// CHECK-NEXT: %[[U:.+]] = arith.mulf %[[XI]], %[[RSQRT2]] : f32
// CHECK-NEXT: %[[ERF:.+]] = math.erf %[[U]] : f32
// CHECK-NOT: math.tanh
// CHECK: linalg.yield
// CHECK: %[[SILU:.+]] = linalg.generic {{.+}} ins(%[[X]] : tensor<4x8xf32>)
// CHECK-NEXT: ^bb0(%[[XI:[^:]+]]: f32, %{{[^:]+}}: f32):
// CHECK-NEXT: %[[NEG:.+]] = arith.negf %[[XI]] : f32
// CHECK-NEXT: %[[E:.+]] = math.exp %[[NEG]] : f32
// CHECK-NEXT: %[[ONE:.+]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[DEN:.+]] = arith.addf %[[ONE]], %[[E]] : f32
// CHECK-NEXT: %[[S:.+]] = arith.divf %[[XI]], %[[DEN]] : f32
// CHECK-NEXT: linalg.yield %[[S]] : f32
// CHECK: %[[DGELU:.+]] = linalg.generic {{.+}} ins(%[[X]], %[[DY]] : tensor<4x8xf32>, tensor<4x8xf32>)
// CHECK: math.exp
// CHECK: math.erf
// CHECK-NOT: math.tanh
// CHECK: linalg.yield
// CHECK: %[[DSILU:.+]] = linalg.generic {{.+}} ins(%[[X]], %[[DY]] : tensor<4x8xf32>, tensor<4x8xf32>)
// CHECK: math.exp
// CHECK: linalg.yield
// CHECK: return %[[GELU]], %[[SILU]], %[[DGELU]], %[[DSILU]]
func.func @activations(%x: tensor<4x8xf32>, %dy: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %a = loom.gelu_erf %x : tensor<4x8xf32>
  %b = loom.silu %x : tensor<4x8xf32>
  %da = loom.activation_grad gelu_erf %x, %dy : tensor<4x8xf32>
  %db = loom.activation_grad silu %x, %dy : tensor<4x8xf32>
  return %a, %b, %da, %db : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// SwiGLU is one elementwise pass, silu(gate)·up; its gradient computes both
// adjoints in one pass too (two outputs, one generic).

// CHECK-LABEL: func.func @swiglu
// CHECK-SAME: (%[[GATE:[^:]+]]: tensor<2x5x8xf32>, %[[UP:[^:]+]]: tensor<2x5x8xf32>, %[[DY:[^:]+]]: tensor<2x5x8xf32>)
// CHECK: %[[H:.+]] = linalg.generic {{.+}} ins(%[[GATE]], %[[UP]] : tensor<2x5x8xf32>, tensor<2x5x8xf32>) outs(%{{.+}} : tensor<2x5x8xf32>)
// CHECK-NEXT: ^bb0(%[[G:[^:]+]]: f32, %[[U:[^:]+]]: f32, %{{[^:]+}}: f32):
// CHECK: %[[SG:.+]] = arith.divf %[[G]], %{{.+}} : f32
// CHECK-NEXT: %[[HI:.+]] = arith.mulf %[[SG]], %[[U]] : f32
// CHECK-NEXT: linalg.yield %[[HI]] : f32
// CHECK-NOT: linalg.generic
// CHECK: %[[GRADS:.+]]:2 = linalg.generic {{.+}} ins(%[[GATE]], %[[UP]], %[[DY]] : tensor<2x5x8xf32>, tensor<2x5x8xf32>, tensor<2x5x8xf32>) outs(%{{.+}}, %{{.+}} : tensor<2x5x8xf32>, tensor<2x5x8xf32>)
// CHECK: linalg.yield %{{.+}}, %{{.+}} : f32, f32
// CHECK-NOT: linalg.generic
// CHECK: return %[[H]], %[[GRADS]]#0, %[[GRADS]]#1
func.func @swiglu(%g: tensor<2x5x8xf32>, %u: tensor<2x5x8xf32>, %dy: tensor<2x5x8xf32>) -> (tensor<2x5x8xf32>, tensor<2x5x8xf32>, tensor<2x5x8xf32>) {
  %h = loom.swiglu %g, %u : tensor<2x5x8xf32>
  %dg, %du = loom.swiglu_grad %g, %u, %dy : tensor<2x5x8xf32>
  return %h, %dg, %du : tensor<2x5x8xf32>, tensor<2x5x8xf32>, tensor<2x5x8xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Normalization: one pass over each row for its statistics
//===----------------------------------------------------------------------===//

// layer_norm: one reduction loop over each row carries both sums (of
// x − x[r, 0] and of its square) at once; a loop over the rows turns them
// into mean and 1/√(var + ε); one elementwise loop applies them with gain
// and bias. No [rows, C] temporary exists besides the result: neither
// x − mean nor its square is ever materialized, and mean and variance are
// not separate passes over x.

// CHECK-DAG: #[[FULL:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[FIRST:.+]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-DAG: #[[ROW:.+]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[COL:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @layer_norm
// CHECK-SAME: (%[[X:[^:]+]]: tensor<2x5x8xf32>, %[[G:[^:]+]]: tensor<8xf32>, %[[B:[^:]+]]: tensor<8xf32>)
// CHECK: %[[ROWS:.+]] = tensor.collapse_shape %[[X]] {{\[\[}}0, 1], [2]] : tensor<2x5x8xf32> into tensor<10x8xf32>
// CHECK-NOT: linalg.generic
// CHECK: %[[SUMS:.+]]:2 = linalg.generic {indexing_maps = [#[[FULL]], #[[FIRST]], #[[ROW]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[ROWS]], %[[ROWS]] : tensor<10x8xf32>, tensor<10x8xf32>) outs(%{{.+}}, %{{.+}} : tensor<10xf32>, tensor<10xf32>)
// CHECK-NEXT: ^bb0(%[[XI:[^:]+]]: f32, %[[X0:[^:]+]]: f32, %[[S:[^:]+]]: f32, %[[SS:[^:]+]]: f32):
// CHECK-NEXT: %[[D:.+]] = arith.subf %[[XI]], %[[X0]] : f32
// CHECK-NEXT: %[[NS:.+]] = arith.addf %[[S]], %[[D]] : f32
// CHECK-NEXT: %[[D2:.+]] = arith.mulf %[[D]], %[[D]] : f32
// CHECK-NEXT: %[[NSS:.+]] = arith.addf %[[SS]], %[[D2]] : f32
// CHECK-NEXT: linalg.yield %[[NS]], %[[NSS]] : f32, f32
// CHECK-NOT: tensor<10x8xf32>
// CHECK: %[[STATS:.+]]:2 = linalg.generic {{.+}} iterator_types = ["parallel"]} ins(%[[SUMS]]#0, %[[SUMS]]#1, %[[ROWS]] : tensor<10xf32>, tensor<10xf32>, tensor<10x8xf32>) outs(%{{.+}}, %{{.+}} : tensor<10xf32>, tensor<10xf32>)
// CHECK-NEXT: ^bb0(%[[SUM:[^:]+]]: f32, %[[SQ:[^:]+]]: f32, %[[FIRSTX:[^:]+]]: f32, %{{[^:]+}}: f32, %{{[^:]+}}: f32):
// CHECK-NEXT: %[[INV:.+]] = arith.constant 1.250000e-01 : f32
// CHECK-NEXT: %[[SHIFTED:.+]] = arith.mulf %[[SUM]], %[[INV]] : f32
// CHECK-NEXT: %[[MSQ:.+]] = arith.mulf %[[SQ]], %[[INV]] : f32
// CHECK-NEXT: %[[SH2:.+]] = arith.mulf %[[SHIFTED]], %[[SHIFTED]] : f32
// CHECK-NEXT: %[[VAR:.+]] = arith.subf %[[MSQ]], %[[SH2]] : f32
// CHECK-NEXT: %[[EPS:.+]] = arith.constant 9.99999974E-6 : f32
// CHECK-NEXT: %[[VE:.+]] = arith.addf %[[VAR]], %[[EPS]] : f32
// CHECK-NEXT: %[[RSTD:.+]] = math.rsqrt %[[VE]] : f32
// CHECK-NEXT: %[[MEAN:.+]] = arith.addf %[[FIRSTX]], %[[SHIFTED]] : f32
// CHECK-NEXT: linalg.yield %[[MEAN]], %[[RSTD]] : f32, f32
// CHECK-NOT: linalg.generic
// CHECK: %[[Y:.+]] = linalg.generic {indexing_maps = [#[[FULL]], #[[ROW]], #[[ROW]], #[[COL]], #[[COL]], #[[FULL]]], iterator_types = ["parallel", "parallel"]} ins(%[[ROWS]], %[[STATS]]#0, %[[STATS]]#1, %[[G]], %[[B]] : tensor<10x8xf32>, tensor<10xf32>, tensor<10xf32>, tensor<8xf32>, tensor<8xf32>) outs(%{{.+}} : tensor<10x8xf32>)
// CHECK-NEXT: ^bb0(%[[XI:[^:]+]]: f32, %[[MI:[^:]+]]: f32, %[[RI:[^:]+]]: f32, %[[GI:[^:]+]]: f32, %[[BI:[^:]+]]: f32, %{{[^:]+}}: f32):
// CHECK-NEXT: %[[XC:.+]] = arith.subf %[[XI]], %[[MI]] : f32
// CHECK-NEXT: %[[XH:.+]] = arith.mulf %[[XC]], %[[RI]] : f32
// CHECK-NEXT: %[[XG:.+]] = arith.mulf %[[XH]], %[[GI]] : f32
// CHECK-NEXT: %[[YI:.+]] = arith.addf %[[XG]], %[[BI]] : f32
// CHECK-NEXT: linalg.yield %[[YI]] : f32
// CHECK-NOT: linalg.generic
// CHECK: %[[OUT:.+]] = tensor.expand_shape %[[Y]] {{\[\[}}0, 1], [2]] output_shape [2, 5, 8] : tensor<10x8xf32> into tensor<2x5x8xf32>
// CHECK-NEXT: return %[[OUT]]
func.func @layer_norm(%x: tensor<2x5x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>) -> tensor<2x5x8xf32> {
  %y = loom.layer_norm %x, %g, %b epsilon(1.0e-05) : tensor<2x5x8xf32>, tensor<8xf32>
  return %y : tensor<2x5x8xf32>
}

// -----

// rms_norm: Σx² in one reduction loop per row (the square is not a pass of
// its own), 1/√(mean + ε) per row, then one elementwise loop γ·(x·r).

// CHECK-DAG: #[[FULL:.+]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.+]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[COL:.+]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @rms_norm
// CHECK-SAME: (%[[X:[^:]+]]: tensor<2x5x8xf32>, %[[G:[^:]+]]: tensor<8xf32>)
// CHECK: %[[ROWS:.+]] = tensor.collapse_shape %[[X]] {{\[\[}}0, 1], [2]] : tensor<2x5x8xf32> into tensor<10x8xf32>
// CHECK-NOT: linalg.generic
// CHECK: %[[SQ:.+]] = linalg.generic {indexing_maps = [#[[FULL]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[ROWS]] : tensor<10x8xf32>) outs(%{{.+}} : tensor<10xf32>)
// CHECK-NEXT: ^bb0(%[[XI:[^:]+]]: f32, %[[ACC:[^:]+]]: f32):
// CHECK-NEXT: %[[X2:.+]] = arith.mulf %[[XI]], %[[XI]] : f32
// CHECK-NEXT: %[[NACC:.+]] = arith.addf %[[ACC]], %[[X2]] : f32
// CHECK-NEXT: linalg.yield %[[NACC]] : f32
// CHECK-NOT: tensor<10x8xf32>
// CHECK: %[[R:.+]] = linalg.generic {{.+}} iterator_types = ["parallel"]} ins(%[[SQ]] : tensor<10xf32>) outs(%{{.+}} : tensor<10xf32>)
// CHECK-NEXT: ^bb0(%[[SI:[^:]+]]: f32, %{{[^:]+}}: f32):
// CHECK-NEXT: %[[INV:.+]] = arith.constant 1.250000e-01 : f32
// CHECK-NEXT: %[[MS:.+]] = arith.mulf %[[SI]], %[[INV]] : f32
// CHECK-NEXT: %[[EPS:.+]] = arith.constant 9.99999997E-7 : f32
// CHECK-NEXT: %[[ME:.+]] = arith.addf %[[MS]], %[[EPS]] : f32
// CHECK-NEXT: %[[RI:.+]] = math.rsqrt %[[ME]] : f32
// CHECK-NEXT: linalg.yield %[[RI]] : f32
// CHECK-NOT: linalg.generic
// CHECK: %[[Y:.+]] = linalg.generic {indexing_maps = [#[[FULL]], #[[ROW]], #[[COL]], #[[FULL]]], iterator_types = ["parallel", "parallel"]} ins(%[[ROWS]], %[[R]], %[[G]] : tensor<10x8xf32>, tensor<10xf32>, tensor<8xf32>) outs(%{{.+}} : tensor<10x8xf32>)
// CHECK-NEXT: ^bb0(%[[XI:[^:]+]]: f32, %[[RI:[^:]+]]: f32, %[[GI:[^:]+]]: f32, %{{[^:]+}}: f32):
// CHECK-NEXT: %[[N:.+]] = arith.mulf %[[XI]], %[[RI]] : f32
// CHECK-NEXT: %[[YI:.+]] = arith.mulf %[[GI]], %[[N]] : f32
// CHECK-NEXT: linalg.yield %[[YI]] : f32
// CHECK-NOT: linalg.generic
// CHECK: %[[OUT:.+]] = tensor.expand_shape %[[Y]] {{\[\[}}0, 1], [2]] output_shape [2, 5, 8]
// CHECK-NEXT: return %[[OUT]]
func.func @rms_norm(%x: tensor<2x5x8xf32>, %g: tensor<8xf32>) -> tensor<2x5x8xf32> {
  %y = loom.rms_norm %x, %g epsilon(1.0e-06) : tensor<2x5x8xf32>, tensor<8xf32>
  return %y : tensor<2x5x8xf32>
}

// -----

// layer_norm_grad recomputes the statistics in the same single pass, then
// reduces each row's Σg and Σg·x̂ (g = dy·γ) together in one loop, writes dx
// in one loop, and reduces dγ and dβ over rows together in one loop: four
// passes over [rows, C], with dx the only [rows, C] tensor produced.

// CHECK-LABEL: func.func @layer_norm_grad
// CHECK-SAME: (%[[X:[^:]+]]: tensor<2x5x8xf32>, %[[G:[^:]+]]: tensor<8xf32>, %[[DY:[^:]+]]: tensor<2x5x8xf32>)
// CHECK-DAG: %[[ROWS:.+]] = tensor.collapse_shape %[[X]] {{\[\[}}0, 1], [2]] : tensor<2x5x8xf32> into tensor<10x8xf32>
// CHECK-DAG: %[[DYROWS:.+]] = tensor.collapse_shape %[[DY]] {{\[\[}}0, 1], [2]] : tensor<2x5x8xf32> into tensor<10x8xf32>
// CHECK-NOT: linalg.generic
// CHECK: %[[SUMS:.+]]:2 = linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]} ins(%[[ROWS]], %[[ROWS]] : tensor<10x8xf32>, tensor<10x8xf32>) outs(%{{.+}}, %{{.+}} : tensor<10xf32>, tensor<10xf32>)
// CHECK-NOT: tensor<10x8xf32>
// CHECK: %[[STATS:.+]]:2 = linalg.generic {{.+}} iterator_types = ["parallel"]} ins(%[[SUMS]]#0, %[[SUMS]]#1, %[[ROWS]] :
// CHECK: math.rsqrt
// CHECK-NOT: tensor<10x8xf32>
// CHECK: %[[RS:.+]]:2 = linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]} ins(%[[ROWS]], %[[DYROWS]], %[[STATS]]#0, %[[STATS]]#1, %[[G]] : tensor<10x8xf32>, tensor<10x8xf32>, tensor<10xf32>, tensor<10xf32>, tensor<8xf32>) outs(%{{.+}}, %{{.+}} : tensor<10xf32>, tensor<10xf32>)
// CHECK-NEXT: ^bb0(%[[XI:[^:]+]]: f32, %[[DYI:[^:]+]]: f32, %[[MI:[^:]+]]: f32, %[[RI:[^:]+]]: f32, %[[GI:[^:]+]]: f32, %[[A1:[^:]+]]: f32, %[[A2:[^:]+]]: f32):
// CHECK-NEXT: %[[GG:.+]] = arith.mulf %[[DYI]], %[[GI]] : f32
// CHECK-NEXT: %[[XC:.+]] = arith.subf %[[XI]], %[[MI]] : f32
// CHECK-NEXT: %[[XH:.+]] = arith.mulf %[[XC]], %[[RI]] : f32
// CHECK-NEXT: %[[GXH:.+]] = arith.mulf %[[GG]], %[[XH]] : f32
// CHECK-NEXT: %[[N1:.+]] = arith.addf %[[A1]], %[[GG]] : f32
// CHECK-NEXT: %[[N2:.+]] = arith.addf %[[A2]], %[[GXH]] : f32
// CHECK-NEXT: linalg.yield %[[N1]], %[[N2]] : f32, f32
// CHECK-NOT: linalg.generic
// CHECK: %[[DX:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "parallel"]} ins(%[[ROWS]], %[[DYROWS]], %[[STATS]]#0, %[[STATS]]#1, %[[G]], %[[RS]]#0, %[[RS]]#1 : {{.+}}) outs(%{{.+}} : tensor<10x8xf32>)
// CHECK-NEXT: ^bb0(%[[XI:[^:]+]]: f32, %[[DYI:[^:]+]]: f32, %[[MI:[^:]+]]: f32, %[[RI:[^:]+]]: f32, %[[GI:[^:]+]]: f32, %[[SG:[^:]+]]: f32, %[[SGXH:[^:]+]]: f32, %{{[^:]+}}: f32):
// CHECK-NEXT: %[[INV:.+]] = arith.constant 1.250000e-01 : f32
// CHECK-NEXT: %[[GG:.+]] = arith.mulf %[[DYI]], %[[GI]] : f32
// CHECK-NEXT: %[[XC:.+]] = arith.subf %[[XI]], %[[MI]] : f32
// CHECK-NEXT: %[[XH:.+]] = arith.mulf %[[XC]], %[[RI]] : f32
// CHECK-NEXT: %[[MG:.+]] = arith.mulf %[[SG]], %[[INV]] : f32
// CHECK-NEXT: %[[MGXH:.+]] = arith.mulf %[[SGXH]], %[[INV]] : f32
// CHECK-NEXT: %[[T1:.+]] = arith.subf %[[GG]], %[[MG]] : f32
// CHECK-NEXT: %[[T2:.+]] = arith.mulf %[[XH]], %[[MGXH]] : f32
// CHECK-NEXT: %[[T3:.+]] = arith.subf %[[T1]], %[[T2]] : f32
// CHECK-NEXT: %[[DXI:.+]] = arith.mulf %[[RI]], %[[T3]] : f32
// CHECK-NEXT: linalg.yield %[[DXI]] : f32
// CHECK-NOT: linalg.generic
// CHECK: %[[COLS:.+]]:2 = linalg.generic {{.+}} iterator_types = ["reduction", "parallel"]} ins(%[[ROWS]], %[[DYROWS]], %[[STATS]]#0, %[[STATS]]#1 : tensor<10x8xf32>, tensor<10x8xf32>, tensor<10xf32>, tensor<10xf32>) outs(%{{.+}}, %{{.+}} : tensor<8xf32>, tensor<8xf32>)
// CHECK-NEXT: ^bb0(%[[XI:[^:]+]]: f32, %[[DYI:[^:]+]]: f32, %[[MI:[^:]+]]: f32, %[[RI:[^:]+]]: f32, %[[AG:[^:]+]]: f32, %[[AB:[^:]+]]: f32):
// CHECK-NEXT: %[[XC:.+]] = arith.subf %[[XI]], %[[MI]] : f32
// CHECK-NEXT: %[[XH:.+]] = arith.mulf %[[XC]], %[[RI]] : f32
// CHECK-NEXT: %[[P:.+]] = arith.mulf %[[DYI]], %[[XH]] : f32
// CHECK-NEXT: %[[NG:.+]] = arith.addf %[[AG]], %[[P]] : f32
// CHECK-NEXT: %[[NB:.+]] = arith.addf %[[AB]], %[[DYI]] : f32
// CHECK-NEXT: linalg.yield %[[NG]], %[[NB]] : f32, f32
// CHECK-NOT: linalg.generic
// CHECK: %[[DXOUT:.+]] = tensor.expand_shape %[[DX]] {{\[\[}}0, 1], [2]] output_shape [2, 5, 8]
// CHECK-NEXT: return %[[DXOUT]], %[[COLS]]#0, %[[COLS]]#1
func.func @layer_norm_grad(%x: tensor<2x5x8xf32>, %g: tensor<8xf32>, %dy: tensor<2x5x8xf32>) -> (tensor<2x5x8xf32>, tensor<8xf32>, tensor<8xf32>) {
  %dx, %dg, %db = loom.layer_norm_grad %x, %g, %dy epsilon(1.0e-05) : tensor<2x5x8xf32>, tensor<8xf32>
  return %dx, %dg, %db : tensor<2x5x8xf32>, tensor<8xf32>, tensor<8xf32>
}

// -----

// rms_norm_grad: r recomputed (Σx² in one pass), Σ g·x per row in one pass
// (g = dy·γ, not materialized), dx = r·g − x·r³·mean(g·x) in one loop, and
// dγ = Σ_rows dy·x·r in one loop; dx is the only [rows, C] tensor produced.

// CHECK-LABEL: func.func @rms_norm_grad
// CHECK-SAME: (%[[X:[^:]+]]: tensor<2x5x8xf32>, %[[G:[^:]+]]: tensor<8xf32>, %[[DY:[^:]+]]: tensor<2x5x8xf32>)
// CHECK-DAG: %[[ROWS:.+]] = tensor.collapse_shape %[[X]] {{\[\[}}0, 1], [2]] : tensor<2x5x8xf32> into tensor<10x8xf32>
// CHECK-DAG: %[[DYROWS:.+]] = tensor.collapse_shape %[[DY]] {{\[\[}}0, 1], [2]] : tensor<2x5x8xf32> into tensor<10x8xf32>
// CHECK-NOT: linalg.generic
// CHECK: %[[SQ:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]} ins(%[[ROWS]] : tensor<10x8xf32>) outs(%{{.+}} : tensor<10xf32>)
// CHECK-NOT: tensor<10x8xf32>
// CHECK: %[[R:.+]] = linalg.generic {{.+}} iterator_types = ["parallel"]} ins(%[[SQ]] : tensor<10xf32>)
// CHECK: math.rsqrt
// CHECK-NOT: tensor<10x8xf32>
// CHECK: %[[GX:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]} ins(%[[ROWS]], %[[DYROWS]], %[[G]] : tensor<10x8xf32>, tensor<10x8xf32>, tensor<8xf32>) outs(%{{.+}} : tensor<10xf32>)
// CHECK-NEXT: ^bb0(%[[XI:[^:]+]]: f32, %[[DYI:[^:]+]]: f32, %[[GI:[^:]+]]: f32, %[[ACC:[^:]+]]: f32):
// CHECK-NEXT: %[[GG:.+]] = arith.mulf %[[DYI]], %[[GI]] : f32
// CHECK-NEXT: %[[GGX:.+]] = arith.mulf %[[GG]], %[[XI]] : f32
// CHECK-NEXT: %[[NACC:.+]] = arith.addf %[[ACC]], %[[GGX]] : f32
// CHECK-NEXT: linalg.yield %[[NACC]] : f32
// CHECK-NOT: linalg.generic
// CHECK: %[[DX:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "parallel"]} ins(%[[ROWS]], %[[DYROWS]], %[[G]], %[[R]], %[[GX]] : tensor<10x8xf32>, tensor<10x8xf32>, tensor<8xf32>, tensor<10xf32>, tensor<10xf32>) outs(%{{.+}} : tensor<10x8xf32>)
// CHECK-NEXT: ^bb0(%[[XI:[^:]+]]: f32, %[[DYI:[^:]+]]: f32, %[[GI:[^:]+]]: f32, %[[RI:[^:]+]]: f32, %[[SGX:[^:]+]]: f32, %{{[^:]+}}: f32):
// CHECK-NEXT: %[[GG:.+]] = arith.mulf %[[DYI]], %[[GI]] : f32
// CHECK-NEXT: %[[R2:.+]] = arith.mulf %[[RI]], %[[RI]] : f32
// CHECK-NEXT: %[[R3:.+]] = arith.mulf %[[R2]], %[[RI]] : f32
// CHECK-NEXT: %[[INV:.+]] = arith.constant 1.250000e-01 : f32
// CHECK-NEXT: %[[MGX:.+]] = arith.mulf %[[SGX]], %[[INV]] : f32
// CHECK-NEXT: %[[XR3:.+]] = arith.mulf %[[XI]], %[[R3]] : f32
// CHECK-NEXT: %[[CORR:.+]] = arith.mulf %[[XR3]], %[[MGX]] : f32
// CHECK-NEXT: %[[RG:.+]] = arith.mulf %[[RI]], %[[GG]] : f32
// CHECK-NEXT: %[[DXI:.+]] = arith.subf %[[RG]], %[[CORR]] : f32
// CHECK-NEXT: linalg.yield %[[DXI]] : f32
// CHECK-NOT: linalg.generic
// CHECK: %[[DG:.+]] = linalg.generic {{.+}} iterator_types = ["reduction", "parallel"]} ins(%[[ROWS]], %[[DYROWS]], %[[R]] : tensor<10x8xf32>, tensor<10x8xf32>, tensor<10xf32>) outs(%{{.+}} : tensor<8xf32>)
// CHECK-NEXT: ^bb0(%[[XI:[^:]+]]: f32, %[[DYI:[^:]+]]: f32, %[[RI:[^:]+]]: f32, %[[ACC:[^:]+]]: f32):
// CHECK-NEXT: %[[N:.+]] = arith.mulf %[[XI]], %[[RI]] : f32
// CHECK-NEXT: %[[P:.+]] = arith.mulf %[[DYI]], %[[N]] : f32
// CHECK-NEXT: %[[NACC:.+]] = arith.addf %[[ACC]], %[[P]] : f32
// CHECK-NEXT: linalg.yield %[[NACC]] : f32
// CHECK-NOT: linalg.generic
// CHECK: %[[DXOUT:.+]] = tensor.expand_shape %[[DX]] {{\[\[}}0, 1], [2]] output_shape [2, 5, 8]
// CHECK-NEXT: return %[[DXOUT]], %[[DG]]
func.func @rms_norm_grad(%x: tensor<2x5x8xf32>, %g: tensor<8xf32>, %dy: tensor<2x5x8xf32>) -> (tensor<2x5x8xf32>, tensor<8xf32>) {
  %dx, %dg = loom.rms_norm_grad %x, %g, %dy epsilon(1.0e-06) : tensor<2x5x8xf32>, tensor<8xf32>
  return %dx, %dg : tensor<2x5x8xf32>, tensor<8xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Losses and attention
//===----------------------------------------------------------------------===//

// cross_entropy over [B, T, vocab] logits: all B·T = 10 rows are rows of the
// mean. Each row's maximum and normalizer come from two passes over the row
// (its maximum, then Σ exp(z − max): one exp per element), each carrying
// four independent 16-lane chains over whole groups of 64 columns, then
// one vector at a time over the rest (6 of 70 columns, read past the end
// as -inf), lanes combined at the end; the loss then reads each row's
// statistics and the label's logit. Neither the softmax nor exp(z − max) is
// ever materialized.

// CHECK-LABEL: func.func @cross_entropy
// CHECK-SAME: (%[[Z:[^:]+]]: tensor<2x5x70xf32>, %[[Y:[^:]+]]: tensor<2x5xi32>) -> tensor<f32>
// CHECK-DAG: %[[LOGITS:.+]] = tensor.collapse_shape %[[Z]] {{\[\[}}0, 1], [2]] : tensor<2x5x70xf32> into tensor<10x70xf32>
// CHECK-DAG: %[[LABELS:.+]] = tensor.collapse_shape %[[Y]] {{\[\[}}0, 1]] : tensor<2x5xi32> into tensor<10xi32>
// CHECK-NOT: linalg.generic
// CHECK-NOT: tensor<10x70xf32>)
// CHECK: %[[STATS:.+]]:2 = scf.forall (%[[ROW:[^)]+]]) in (10) shared_outs(%[[MAXES:[^ ]+]] = %{{[^,]+}}, %[[SUMS:[^ ]+]] = %{{[^)]+}}) -> (tensor<10xf32>, tensor<10xf32>) {
// CHECK: %[[CHAINS:.+]]:4 = scf.for %{{.+}} iter_args({{.+}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
// CHECK-COUNT-4: arith.maximumf
// CHECK: scf.yield
// CHECK: %[[M01:.+]] = arith.maximumf %[[CHAINS]]#0, %[[CHAINS]]#1 : vector<16xf32>
// CHECK: %[[LANEMAX:.+]] = scf.for %[[COL:[^ ]+]] = %{{[^ ]+}} to %{{[^ ]+}} step %{{[^ ]+}} iter_args(%[[VM:[^ ]+]] = %{{[^)]+}}) -> (vector<16xf32>) {
// CHECK-NEXT: %[[V:.+]] = vector.transfer_read %[[LOGITS]][%[[ROW]], %[[COL]]], %{{.+}} : tensor<10x70xf32>, vector<16xf32>
// CHECK-NEXT: %[[NM:.+]] = arith.maximumf %[[VM]], %[[V]] : vector<16xf32>
// CHECK-NEXT: scf.yield %[[NM]] : vector<16xf32>
// CHECK: %[[MAX:.+]] = vector.reduction <maximumf>, %[[LANEMAX]] : vector<16xf32> into f32
// CHECK: %[[SHIFT:.+]] = arith.select %{{.+}}, %{{.+}}, %[[MAX]] : f32
// CHECK: %[[SHIFTS:.+]] = vector.broadcast %[[SHIFT]] : f32 to vector<16xf32>
// CHECK: scf.for %{{.+}} iter_args({{.+}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>) {
// CHECK-COUNT-4: math.exp
// CHECK: scf.yield
// CHECK: %[[LANESUM:.+]] = scf.for %[[COL2:[^ ]+]] = %{{[^ ]+}} to %{{[^ ]+}} step %{{[^ ]+}} iter_args(%[[VL:[^ ]+]] = %{{[^)]+}}) -> (vector<16xf32>) {
// CHECK-NEXT: %[[V2:.+]] = vector.transfer_read %[[LOGITS]][%[[ROW]], %[[COL2]]], %{{.+}} : tensor<10x70xf32>, vector<16xf32>
// CHECK-NEXT: %[[D:.+]] = arith.subf %[[V2]], %[[SHIFTS]] : vector<16xf32>
// CHECK-NEXT: %[[E:.+]] = math.exp %[[D]] : vector<16xf32>
// CHECK-NEXT: %[[NL:.+]] = arith.addf %[[VL]], %[[E]] : vector<16xf32>
// CHECK-NEXT: scf.yield %[[NL]] : vector<16xf32>
// CHECK: %[[SUM:.+]] = vector.reduction <add>, %[[LANESUM]] : vector<16xf32> into f32
// CHECK: tensor.insert %[[MAX]]
// CHECK: tensor.insert %[[SUM]]
// CHECK: scf.forall.in_parallel
// CHECK-NEXT: tensor.parallel_insert_slice %{{.+}} into %[[MAXES]][%[[ROW]]] [1] [1]
// CHECK-NEXT: tensor.parallel_insert_slice %{{.+}} into %[[SUMS]][%[[ROW]]] [1] [1]
// CHECK-NOT: linalg.generic
// CHECK-NOT: tensor<10x70xf32>)
// CHECK: %[[LOSS:.+]] = linalg.generic {{.+}} iterator_types = ["reduction"]} ins(%[[STATS]]#0, %[[STATS]]#1, %[[LABELS]] : tensor<10xf32>, tensor<10xf32>, tensor<10xi32>) outs(%{{.+}} : tensor<f32>)
// CHECK-NEXT: ^bb0(%[[MI:[^:]+]]: f32, %[[LI:[^:]+]]: f32, %[[YI:[^:]+]]: i32, %[[ACC:[^:]+]]: f32):
// CHECK-NEXT: %[[R:.+]] = linalg.index 0 : index
// CHECK-NEXT: %[[YIDX:.+]] = arith.index_cast %[[YI]] : i32 to index
// CHECK-NEXT: %[[ZY:.+]] = tensor.extract %[[LOGITS]][%[[R]], %[[YIDX]]] : tensor<10x70xf32>
// CHECK-NEXT: %[[LOG:.+]] = math.log %[[LI]] : f32
// CHECK-NEXT: %[[LSE:.+]] = arith.addf %[[LOG]], %[[MI]] : f32
// CHECK-NEXT: %[[T:.+]] = arith.subf %[[LSE]], %[[ZY]] : f32
// CHECK-NEXT: %[[INVN:.+]] = arith.constant 1.000000e-01 : f32
// CHECK-NEXT: %[[TS:.+]] = arith.mulf %[[T]], %[[INVN]] : f32
// CHECK-NEXT: %[[NACC:.+]] = arith.addf %[[ACC]], %[[TS]] : f32
// CHECK-NEXT: linalg.yield %[[NACC]] : f32
// CHECK: return %[[LOSS]] : tensor<f32>
func.func @cross_entropy(%z: tensor<2x5x70xf32>, %y: tensor<2x5xi32>) -> tensor<f32> {
  %l = loom.cross_entropy %z, %y : tensor<2x5x70xf32>, tensor<2x5xi32>
  return %l : tensor<f32>
}

// -----

// cross_entropy_grad: the same two-pass statistics, each row's 1/sum once,
// then softmax − onehot (exp(z − max) times 1/sum: no division per
// element) written once, in one elementwise loop, scaled by dloss / (B·T).

// CHECK-LABEL: func.func @cross_entropy_grad
// CHECK-SAME: (%[[Z:[^:]+]]: tensor<2x5x7xf32>, %[[Y:[^:]+]]: tensor<2x5xi32>, %[[DL:[^:]+]]: tensor<f32>) -> tensor<2x5x7xf32>
// CHECK-DAG: %[[LOGITS:.+]] = tensor.collapse_shape %[[Z]] {{\[\[}}0, 1], [2]] : tensor<2x5x7xf32> into tensor<10x7xf32>
// CHECK-DAG: %[[LABELS:.+]] = tensor.collapse_shape %[[Y]] {{\[\[}}0, 1]] : tensor<2x5xi32> into tensor<10xi32>
// CHECK-NOT: linalg.generic
// CHECK: %[[STATS:.+]]:2 = scf.forall (%{{[^)]+}}) in (10) shared_outs
// CHECK: scf.for {{.+}} -> (vector<16xf32>) {
// CHECK: vector.transfer_read %[[LOGITS]]
// CHECK: arith.maximumf
// CHECK: vector.reduction <maximumf>
// CHECK: math.exp
// CHECK: vector.reduction <add>
// CHECK: scf.forall.in_parallel
// CHECK: %[[INV:.+]] = linalg.generic {{.+}} ins(%[[STATS]]#1 : tensor<10xf32>) outs(%{{.+}} : tensor<10xf32>)
// CHECK: arith.divf %{{.+}}, %{{.+}} : f32
// CHECK-NOT: linalg.generic
// CHECK: %[[D:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "parallel"]} ins(%[[LOGITS]], %[[STATS]]#0, %[[INV]], %[[LABELS]], %[[DL]] : tensor<10x7xf32>, tensor<10xf32>, tensor<10xf32>, tensor<10xi32>, tensor<f32>) outs(%{{.+}} : tensor<10x7xf32>)
// CHECK-NEXT: ^bb0(%[[ZI:[^:]+]]: f32, %[[MI:[^:]+]]: f32, %[[LI:[^:]+]]: f32, %[[YI:[^:]+]]: i32, %[[DLI:[^:]+]]: f32, %{{[^:]+}}: f32):
// CHECK-NEXT: %[[SH:.+]] = arith.subf %[[ZI]], %[[MI]] : f32
// CHECK-NEXT: %[[E:.+]] = math.exp %[[SH]] : f32
// CHECK-NEXT: %[[P:.+]] = arith.mulf %[[E]], %[[LI]] : f32
// CHECK-NEXT: %[[C:.+]] = linalg.index 1 : index
// CHECK-NEXT: %[[C32:.+]] = arith.index_cast %[[C]] : index to i32
// CHECK-NEXT: %[[HIT:.+]] = arith.cmpi eq, %[[C32]], %[[YI]] : i32
// CHECK-NEXT: %[[ONE:.+]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: %[[ONEHOT:.+]] = arith.select %[[HIT]], %[[ONE]], %[[ZERO]] : f32
// CHECK-NEXT: %[[INVN:.+]] = arith.constant 1.000000e-01 : f32
// CHECK-NEXT: %[[SCALE:.+]] = arith.mulf %[[DLI]], %[[INVN]] : f32
// CHECK-NEXT: %[[DIFF:.+]] = arith.subf %[[P]], %[[ONEHOT]] : f32
// CHECK-NEXT: %[[DZ:.+]] = arith.mulf %[[DIFF]], %[[SCALE]] : f32
// CHECK-NEXT: linalg.yield %[[DZ]] : f32
// CHECK-NOT: linalg.generic
// CHECK: %[[OUT:.+]] = tensor.expand_shape %[[D]] {{\[\[}}0, 1], [2]] output_shape [2, 5, 7] : tensor<10x7xf32> into tensor<2x5x7xf32>
// CHECK-NEXT: return %[[OUT]]
func.func @cross_entropy_grad(%z: tensor<2x5x7xf32>, %y: tensor<2x5xi32>, %dl: tensor<f32>) -> tensor<2x5x7xf32> {
  %d = loom.cross_entropy_grad %z, %y, %dl : tensor<2x5x7xf32>, tensor<2x5xi32>
  return %d : tensor<2x5x7xf32>
}

// -----

// MSE and its gradient: one reduction over all elements, one elementwise
// loop; zeros are a fill.

// CHECK-LABEL: func.func @mse_and_zeros
// CHECK-SAME: (%[[P:[^:]+]]: tensor<4x3xf32>, %[[T:[^:]+]]: tensor<4x3xf32>, %[[DL:[^:]+]]: tensor<f32>)
// CHECK: %[[L:.+]] = linalg.generic {{.+}} iterator_types = ["reduction", "reduction"]} ins(%[[P]], %[[T]] : tensor<4x3xf32>, tensor<4x3xf32>) outs(%{{.+}} : tensor<f32>)
// CHECK: arith.constant 0.0833333358 : f32
// CHECK: %[[D:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "parallel"]} ins(%[[P]], %[[T]], %[[DL]] : tensor<4x3xf32>, tensor<4x3xf32>, tensor<f32>) outs(%{{.+}} : tensor<4x3xf32>)
// CHECK: arith.constant 0.166666672 : f32
// CHECK: %[[Z:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<4x3xf32>)
// CHECK: return %[[L]], %[[D]], %[[Z]]
func.func @mse_and_zeros(%p: tensor<4x3xf32>, %t: tensor<4x3xf32>, %dl: tensor<f32>) -> (tensor<f32>, tensor<4x3xf32>, tensor<4x3xf32>) {
  %l = loom.mse %p, %t : tensor<4x3xf32>
  %d = loom.mse_grad %p, %t, %dl : tensor<4x3xf32>
  %z = loom.zeros : tensor<4x3xf32>
  return %l, %d, %z : tensor<f32>, tensor<4x3xf32>, tensor<4x3xf32>
}

// -----

// Causal flash attention, 3 heads of 4 columns, 24 positions in blocks of
// 8. Heads are read in place through [2, 24, 3, 4] views; one thread block
// per (batch row, head) = 6 of them copies only its Kᵀ [4, 24], then walks
// the query blocks, and for query block r only the key blocks 0..r (the
// causal triangle). Per key block: the scores are an 8x8 product, the row
// maxima and normalizers are updated online (α = exp(m − m') rescales the
// normalizer and the output accumulator in place), and P·V accumulates
// into the output block. The T×T scores never exist whole; what is saved
// is O and the rows' log-sum-exps m + log l.

// CHECK-LABEL: func.func @attention
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<2x24x12xf32>, %[[K:[^:]+]]: tensor<2x24x12xf32>, %[[V:[^:]+]]: tensor<2x24x12xf32>)
// CHECK: %[[Q4:.+]] = tensor.expand_shape %[[Q]] {{\[\[}}0], [1], [2, 3]] output_shape [2, 24, 3, 4] : tensor<2x24x12xf32> into tensor<2x24x3x4xf32>
// CHECK: %[[K4:.+]] = tensor.expand_shape %[[K]]
// CHECK: %[[V4:.+]] = tensor.expand_shape %[[V]]
// CHECK-NOT: linalg.transpose
// CHECK: %[[HEADS:.+]]:2 = scf.forall (%[[HEAD:[^)]+]]) in (6) shared_outs(%[[OUT4:[^ ]+]] = %{{[^,]+}}, %{{.+}}) -> (tensor<2x24x3x4xf32>, tensor<6x24xf32>)
// CHECK: %[[ROW:.+]] = arith.divui %[[HEAD]], %c3
// CHECK: %[[H:.+]] = arith.remui %[[HEAD]], %c3
// CHECK: %[[KVH:.+]] = arith.divui %[[H]], %c1
// CHECK: tensor.extract_slice %[[OUT4]][%[[ROW]], 0, %[[H]], 0] [1, 24, 1, 4] [1, 1, 1, 1] : tensor<2x24x3x4xf32> to tensor<24x4xf32>
// CHECK: %[[KHEAD:.+]] = tensor.extract_slice %[[K4]][%[[ROW]], 0, %[[KVH]], 0] [1, 24, 1, 4] [1, 1, 1, 1] : tensor<2x24x3x4xf32> to tensor<24x4xf32>
// CHECK: %[[KH:.+]] = linalg.transpose ins(%[[KHEAD]] : tensor<24x4xf32>) outs(%{{.+}} : tensor<4x24xf32>) permutation = [1, 0]
// CHECK: scf.for %[[R:[^ ]+]] = %{{[^ ]+}} to %c3{{(_[0-9]+)?}} step
// CHECK: %[[QSTART:.+]] = arith.muli %[[R]], %c8
// CHECK: %[[QB:.+]] = tensor.extract_slice %[[Q4]][%[[ROW]], %[[QSTART]], %[[H]], 0] [1, 8, 1, 4] [1, 1, 1, 1] : tensor<2x24x3x4xf32> to tensor<8x4xf32>
// CHECK: %[[THROUGH:.+]] = arith.addi %[[R]], %{{.+}} : index
// CHECK: %[[KEYS:.+]]:3 = scf.for %[[C:[^ ]+]] = %{{[^ ]+}} to %[[THROUGH]] step %{{[^ ]+}} iter_args(%[[ACC:[^ ]+]] = %{{[^,]+}}, %[[M:[^ ]+]] = %{{[^,]+}}, %[[L:[^ ]+]] = %{{[^)]+}}) -> (tensor<8x4xf32>, tensor<8xf32>, tensor<8xf32>)
// CHECK: %[[KSTART:.+]] = arith.muli %[[C]], %c8
// CHECK: %[[KB:.+]] = tensor.extract_slice %[[KH]][0, %[[KSTART]]] [4, 8] [1, 1] : tensor<4x24xf32> to tensor<4x8xf32>
// CHECK: %[[S:.+]] = linalg.matmul ins(%[[QB]], %[[KB]] : tensor<8x4xf32>, tensor<4x8xf32>) outs(%{{.+}} : tensor<8x8xf32>)
// CHECK: %[[BMAX:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]} ins(%[[S]] : tensor<8x8xf32>) outs(%{{.+}} : tensor<8xf32>)
// CHECK: arith.cmpi ule
// CHECK: arith.maximumf
// CHECK: %[[UPD:.+]]:2 = linalg.generic {{.+}} ins(%[[BMAX]] : tensor<8xf32>) outs(%[[M]], %{{.+}} : tensor<8xf32>, tensor<8xf32>)
// CHECK: %[[P:.+]] = linalg.generic {{.+}} ins(%[[S]], %[[UPD]]#0 : tensor<8x8xf32>, tensor<8xf32>) outs(%{{.+}} : tensor<8x8xf32>)
// CHECK: math.exp
// CHECK: arith.select
// CHECK: %[[PSUM:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]} ins(%[[P]] : tensor<8x8xf32>)
// CHECK: %[[NEWL:.+]] = linalg.generic {{.+}} ins(%[[UPD]]#1, %[[PSUM]] : tensor<8xf32>, tensor<8xf32>) outs(%[[L]] : tensor<8xf32>)
// CHECK: %[[RESCALED:.+]] = linalg.generic {{.+}} ins(%[[UPD]]#1 : tensor<8xf32>) outs(%[[ACC]] : tensor<8x4xf32>)
// CHECK: %[[VB:.+]] = tensor.extract_slice %[[V4]][%[[ROW]], %[[KSTART]], %[[KVH]], 0] [1, 8, 1, 4] [1, 1, 1, 1] : tensor<2x24x3x4xf32> to tensor<8x4xf32>
// CHECK: %[[NEWACC:.+]] = linalg.matmul ins(%[[P]], %[[VB]] : tensor<8x8xf32>, tensor<8x4xf32>) outs(%[[RESCALED]] : tensor<8x4xf32>)
// CHECK: scf.yield %[[NEWACC]], %[[UPD]]#0, %[[NEWL]]
// CHECK: arith.divf
// CHECK: math.log
// CHECK: tensor.insert_slice %{{.+}} into %{{.+}}[%[[QSTART]], 0] [8, 4] [1, 1] : tensor<8x4xf32> into tensor<24x4xf32>
// CHECK: tensor.insert_slice %{{.+}} into %{{.+}}[%[[QSTART]]] [8] [1] : tensor<8xf32> into tensor<24xf32>
// CHECK: scf.forall.in_parallel
// CHECK: tensor.parallel_insert_slice %{{.+}} into %[[OUT4]][%[[ROW]], 0, %[[H]], 0] [1, 24, 1, 4] [1, 1, 1, 1] : tensor<24x4xf32> into tensor<2x24x3x4xf32>
// CHECK: } {loom.thread_block}
// CHECK: %[[LSE:.+]] = tensor.expand_shape %[[HEADS]]#1 {{\[\[}}0, 1], [2]] output_shape [2, 3, 24] : tensor<6x24xf32> into tensor<2x3x24xf32>
// CHECK-NEXT: %[[OUT:.+]] = tensor.collapse_shape %[[HEADS]]#0 {{\[\[}}0], [1], [2, 3]] : tensor<2x24x3x4xf32> into tensor<2x24x12xf32>
// CHECK-NEXT: return %[[OUT]], %[[LSE]]
func.func @attention(%q: tensor<2x24x12xf32>, %k: tensor<2x24x12xf32>, %v: tensor<2x24x12xf32>) -> (tensor<2x24x12xf32>, tensor<2x3x24xf32>) {
  %o, %lse = loom.attention %q, %k, %v heads(3, 3) : tensor<2x24x12xf32>, tensor<2x24x12xf32> -> tensor<2x3x24xf32>
  return %o, %lse : tensor<2x24x12xf32>, tensor<2x3x24xf32>
}

// -----

// A length that 8, 16 and 32 do not divide goes in blocks of its largest
// divisor up to 64 (78: 2 blocks of 39).

// CHECK-LABEL: func.func @attention_odd_blocks
// CHECK: scf.forall (%{{[^)]+}}) in (6)
// CHECK: scf.for %{{.+}} = %{{.+}} to %c2{{(_[0-9]+)?}} step
// CHECK: linalg.matmul ins(%{{.+}}, %{{.+}} : tensor<39x4xf32>, tensor<4x39xf32>) outs(%{{.+}} : tensor<39x39xf32>)
func.func @attention_odd_blocks(%q: tensor<2x78x12xf32>) -> (tensor<2x78x12xf32>, tensor<2x3x78xf32>) {
  %o, %lse = loom.attention %q, %q, %q heads(3, 3) : tensor<2x78x12xf32>, tensor<2x78x12xf32> -> tensor<2x3x78xf32>
  return %o, %lse : tensor<2x78x12xf32>, tensor<2x3x78xf32>
}

// -----

// A length up to 64 that 8 does not divide (5) is one block: the key loop
// runs once per head, masking within the block.

// CHECK-LABEL: func.func @attention_one_block
// CHECK: scf.forall (%{{[^)]+}}) in (6)
// CHECK: scf.for %{{.+}} = %{{.+}} to %c1{{(_[0-9]+)?}} step
// CHECK: linalg.matmul ins(%{{.+}}, %{{.+}} : tensor<5x4xf32>, tensor<4x5xf32>) outs(%{{.+}} : tensor<5x5xf32>)
// CHECK: } {loom.thread_block}
func.func @attention_one_block(%q: tensor<2x5x12xf32>) -> (tensor<2x5x12xf32>, tensor<2x3x5xf32>) {
  %o, %lse = loom.attention %q, %q, %q heads(3, 3) : tensor<2x5x12xf32>, tensor<2x5x12xf32> -> tensor<2x3x5xf32>
  return %o, %lse : tensor<2x5x12xf32>, tensor<2x3x5xf32>
}

// -----

// Grouped-query attention (3 query heads, 1 key/value head): query head h
// reads key/value head h floordiv 3, in place; nothing is repeated.

// CHECK-LABEL: func.func @attention_grouped
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<2x5x12xf32>, %[[K:[^:]+]]: tensor<2x5x4xf32>, %[[V:[^:]+]]: tensor<2x5x4xf32>)
// CHECK: %[[K4:.+]] = tensor.expand_shape %[[K]] {{\[\[}}0], [1], [2, 3]] output_shape [2, 5, 1, 4] : tensor<2x5x4xf32> into tensor<2x5x1x4xf32>
// CHECK-NOT: linalg.generic
// CHECK: scf.forall (%[[HEAD:[^)]+]]) in (6)
// CHECK: %[[ROW:.+]] = arith.divui %[[HEAD]], %c3
// CHECK: %[[H:.+]] = arith.remui %[[HEAD]], %c3
// CHECK: %[[KVH:.+]] = arith.divui %[[H]], %c3
// CHECK: tensor.extract_slice %[[K4]][%[[ROW]], 0, %[[KVH]], 0] [1, 5, 1, 4] [1, 1, 1, 1] : tensor<2x5x1x4xf32> to tensor<5x4xf32>
// CHECK: return
func.func @attention_grouped(%q: tensor<2x5x12xf32>, %k: tensor<2x5x4xf32>, %v: tensor<2x5x4xf32>) -> (tensor<2x5x12xf32>, tensor<2x3x5xf32>) {
  %o, %lse = loom.attention %q, %k, %v heads(3, 1) : tensor<2x5x12xf32>, tensor<2x5x4xf32> -> tensor<2x3x5xf32>
  return %o, %lse : tensor<2x5x12xf32>, tensor<2x3x5xf32>
}

// -----

// attention_grad, flash style, heads read in place. One thread block per
// (batch row, head) copies its Kᵀ and Vᵀ, reduces Δ = rowsum(dO ⊙ O) over
// its rows, then walks the key blocks c and, for each, the query blocks r
// from c on (the causal triangle): P = exp(S/√D − L) is recomputed from Q,
// Kᵀ and the saved log-sum-exps, dV_c += Pᵀ·dO_r and dK_c += dSᵀ·Q_r
// accumulate in the key block's tiles (Pᵀ, dSᵀ read through the product's
// map, never copied), dQ_r += dS·K_c in the head's dQ. Key/value gradients
// are computed per query head and then summed over the 3 query heads that
// share a key/value head.

// CHECK-DAG: #[[LHST:.+]] = affine_map<(d0, d1, d2) -> (d2, d0)>
// CHECK-DAG: #[[GROUPED:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d4, d3)>
// CHECK-LABEL: func.func @attention_grad
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<2x24x12xf32>, %[[K:[^:]+]]: tensor<2x24x4xf32>, %[[V:[^:]+]]: tensor<2x24x4xf32>, %[[O:[^:]+]]: tensor<2x24x12xf32>, %[[LSE:[^:]+]]: tensor<2x3x24xf32>, %[[DO:[^:]+]]: tensor<2x24x12xf32>)
// CHECK: %[[LSEH:.+]] = tensor.collapse_shape %[[LSE]] {{\[\[}}0, 1], [2]] : tensor<2x3x24xf32> into tensor<6x24xf32>
// CHECK-NOT: linalg.transpose
// CHECK: scf.forall (%[[HEAD:[^)]+]]) in (6) shared_outs({{.+}}) -> (tensor<2x24x3x4xf32>, tensor<2x24x3x4xf32>, tensor<2x24x3x4xf32>)
// CHECK: %[[KT:.+]] = linalg.transpose ins(%{{.+}} : tensor<24x4xf32>) outs(%{{.+}} : tensor<4x24xf32>) permutation = [1, 0]
// CHECK: %[[VT:.+]] = linalg.transpose ins(%{{.+}} : tensor<24x4xf32>) outs(%{{.+}} : tensor<4x24xf32>) permutation = [1, 0]
// CHECK: %[[DELTA:.+]] = linalg.generic {{.+}} iterator_types = ["parallel", "reduction"]} ins(%{{.+}}, %{{.+}} : tensor<24x4xf32>, tensor<24x4xf32>) outs(%{{.+}} : tensor<24xf32>)
// CHECK: %[[LSEHEAD:.+]] = tensor.extract_slice %[[LSEH]][%[[HEAD]], 0] [1, 24] [1, 1] : tensor<6x24xf32> to tensor<24xf32>
// CHECK: linalg.fill {{.+}} -> tensor<24x4xf32>
// CHECK: scf.for %[[C:[^ ]+]] = %{{[^ ]+}} to %c3{{(_[0-9]+)?}} step
// CHECK: scf.for %[[R:[^ ]+]] = %[[C]] to %{{[^ ]+}} step %{{[^ ]+}} iter_args(%[[DQ:[^ ]+]] = %{{[^,]+}}, %[[DK:[^ ]+]] = %{{[^,]+}}, %[[DV:[^ ]+]] = %{{[^)]+}}) -> (tensor<24x4xf32>, tensor<8x4xf32>, tensor<8x4xf32>)
// CHECK: %[[S:.+]] = linalg.matmul ins(%{{.+}}, %{{.+}} : tensor<8x4xf32>, tensor<4x8xf32>) outs(%{{.+}} : tensor<8x8xf32>)
// CHECK: %[[LB:.+]] = tensor.extract_slice %[[LSEHEAD]][%{{.+}}] [8] [1] : tensor<24xf32> to tensor<8xf32>
// CHECK: %[[P:.+]] = linalg.generic {{.+}} ins(%[[S]], %[[LB]] : tensor<8x8xf32>, tensor<8xf32>)
// CHECK: math.exp
// CHECK: arith.select
// CHECK: %[[NEWDV:.+]] = linalg.matmul indexing_maps = [#[[LHST]], {{.+}}] ins(%[[P]], %{{.+}} : tensor<8x8xf32>, tensor<8x4xf32>) outs(%[[DV]] : tensor<8x4xf32>)
// CHECK: %[[DP:.+]] = linalg.matmul ins(%{{.+}}, %{{.+}} : tensor<8x4xf32>, tensor<4x8xf32>) outs(%{{.+}} : tensor<8x8xf32>)
// CHECK: %[[DB:.+]] = tensor.extract_slice %[[DELTA]][%{{.+}}] [8] [1] : tensor<24xf32> to tensor<8xf32>
// CHECK: %[[DS:.+]] = linalg.generic {{.+}} ins(%[[P]], %[[DP]], %[[DB]] : tensor<8x8xf32>, tensor<8x8xf32>, tensor<8xf32>)
// CHECK: %[[NEWDK:.+]] = linalg.matmul indexing_maps = [#[[LHST]], {{.+}}] ins(%[[DS]], %{{.+}} : tensor<8x8xf32>, tensor<8x4xf32>) outs(%[[DK]] : tensor<8x4xf32>)
// CHECK: %[[DQB:.+]] = tensor.extract_slice %[[DQ]]
// CHECK: %[[NEWDQB:.+]] = linalg.matmul ins(%[[DS]], %{{.+}} : tensor<8x8xf32>, tensor<8x4xf32>) outs(%[[DQB]] : tensor<8x4xf32>)
// CHECK: %[[NEWDQ:.+]] = tensor.insert_slice %[[NEWDQB]] into %[[DQ]]
// CHECK: scf.yield %[[NEWDQ]], %[[NEWDK]], %[[NEWDV]]
// CHECK: } {loom.thread_block}
// CHECK: %[[DK:.+]] = linalg.generic {indexing_maps = [#[[GROUPED]], #{{.+}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%{{.+}} : tensor<2x24x1x3x4xf32>) outs(%{{.+}} : tensor<2x24x1x4xf32>)
// CHECK: %[[DV:.+]] = linalg.generic {indexing_maps = [#[[GROUPED]], #{{.+}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction"]} ins(%{{.+}} : tensor<2x24x1x3x4xf32>) outs(%{{.+}} : tensor<2x24x1x4xf32>)
// CHECK: return
func.func @attention_grad(%q: tensor<2x24x12xf32>, %k: tensor<2x24x4xf32>, %v: tensor<2x24x4xf32>, %o: tensor<2x24x12xf32>, %lse: tensor<2x3x24xf32>, %do: tensor<2x24x12xf32>)
    -> (tensor<2x24x12xf32>, tensor<2x24x4xf32>, tensor<2x24x4xf32>) {
  %dq, %dk, %dv = loom.attention_grad %q, %k, %v, %o, %lse, %do heads(3, 1) : tensor<2x24x12xf32>, tensor<2x24x4xf32>, tensor<2x3x24xf32>
  return %dq, %dk, %dv : tensor<2x24x12xf32>, tensor<2x24x4xf32>, tensor<2x24x4xf32>
}

// -----

// RoPE: angles t·θ^(−2i/D) tabulated at compile time ([T, D/2] cos and sin
// tables); each head's halves are a dimension of a [B, T, H, 2, D/2] view,
// and one elementwise loop reads the element and its partner in the other
// half: [x₁·cos − x₂·sin, x₂·cos + x₁·sin]. The inverse negates the sines.

// CHECK-DAG: #[[SAME:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>
// CHECK-DAG: #[[OTHER:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, -d3 + 1, d4)>
// CHECK-DAG: #[[ANGLE:.+]] = affine_map<(d0, d1, d2, d3, d4) -> (d1, d4)>
// CHECK-LABEL: func.func @rope
// CHECK-SAME: (%[[X:[^:]+]]: tensor<2x5x12xf32>)
// CHECK: %[[COS:.+]] = arith.constant dense<{{\[\[}}1.000000e+00, 1.000000e+00], [0.540302277, 0.999949991], {{.+}}]> : tensor<5x2xf32>
// CHECK: %[[SIN:.+]] = arith.constant dense<{{\[\[}}0.000000e+00, 0.000000e+00], [0.841470957, 0.00999983306], {{.+}}]> : tensor<5x2xf32>
// CHECK: %[[H:.+]] = tensor.expand_shape %[[X]] {{\[\[}}0], [1], [2, 3, 4]] output_shape [2, 5, 3, 2, 2] : tensor<2x5x12xf32> into tensor<2x5x3x2x2xf32>
// CHECK: %[[R:.+]] = linalg.generic {indexing_maps = [#[[SAME]], #[[OTHER]], #[[ANGLE]], #[[ANGLE]], #[[SAME]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]} ins(%[[H]], %[[H]], %[[COS]], %[[SIN]] : tensor<2x5x3x2x2xf32>, tensor<2x5x3x2x2xf32>, tensor<5x2xf32>, tensor<5x2xf32>)
// CHECK-NEXT: ^bb0(%[[XI:[^:]+]]: f32, %[[XO:[^:]+]]: f32, %[[CI:[^:]+]]: f32, %[[SI:[^:]+]]: f32, %{{[^:]+}}: f32):
// CHECK-NEXT: %[[HALF:.+]] = linalg.index 3 : index
// CHECK-NEXT: %[[ZERO:.+]] = arith.constant 0 : index
// CHECK-NEXT: %[[FIRST:.+]] = arith.cmpi eq, %[[HALF]], %[[ZERO]] : index
// CHECK-NEXT: %[[NEG:.+]] = arith.negf %[[XO]] : f32
// CHECK-NEXT: %[[PARTNER:.+]] = arith.select %[[FIRST]], %[[NEG]], %[[XO]] : f32
// CHECK-NEXT: %[[XC:.+]] = arith.mulf %[[XI]], %[[CI]] : f32
// CHECK-NEXT: %[[PS:.+]] = arith.mulf %[[PARTNER]], %[[SI]] : f32
// CHECK-NEXT: %[[YI:.+]] = arith.addf %[[XC]], %[[PS]] : f32
// CHECK-NEXT: linalg.yield %[[YI]] : f32
// CHECK: %[[Y:.+]] = tensor.collapse_shape %[[R]] {{\[\[}}0], [1], [2, 3, 4]] : tensor<2x5x3x2x2xf32> into tensor<2x5x12xf32>
// CHECK: %[[ICOS:.+]] = arith.constant dense<{{\[\[}}1.000000e+00, 1.000000e+00], [0.540302277, 0.999949991], {{.+}}]> : tensor<5x2xf32>
// CHECK: %[[ISIN:.+]] = arith.constant dense<{{\[\[}}-0.000000e+00, -0.000000e+00], [-0.841470957, -0.00999983306], {{.+}}]> : tensor<5x2xf32>
// CHECK: %[[IR:.+]] = linalg.generic {{.+}} ins(%{{.+}}, %{{.+}}, %[[ICOS]], %[[ISIN]] :
// CHECK: %[[IY:.+]] = tensor.collapse_shape %[[IR]]
// CHECK: return %[[Y]], %[[IY]]
func.func @rope(%x: tensor<2x5x12xf32>) -> (tensor<2x5x12xf32>, tensor<2x5x12xf32>) {
  %y = loom.rope %x heads(3) theta(10000.0) : tensor<2x5x12xf32>
  %z = loom.rope %x heads(3) theta(10000.0) {inverse} : tensor<2x5x12xf32>
  return %y, %z : tensor<2x5x12xf32>, tensor<2x5x12xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Shape ops
//===----------------------------------------------------------------------===//

// An embedding is a gather (one table row per id, no one-hot product); its
// gradient adds the rows of dy into a zeroed table one id at a time, in
// order, 16 lanes at a time.

// CHECK-DAG: #[[IDMAP:.+]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[OUTMAP:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @embedding
// CHECK-SAME: (%[[TABLE:[^:]+]]: tensor<11x8xf32>, %[[IDS:[^:]+]]: tensor<2x5xi32>, %[[DY:[^:]+]]: tensor<2x5x8xf32>)
// CHECK-NOT: linalg.matmul
// CHECK: %[[X:.+]] = linalg.generic {indexing_maps = [#[[IDMAP]], #[[OUTMAP]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[IDS]] : tensor<2x5xi32>) outs(%{{.+}} : tensor<2x5x8xf32>)
// CHECK-NEXT: ^bb0(%[[ID:[^:]+]]: i32, %{{[^:]+}}: f32):
// CHECK-NEXT: %[[ROW:.+]] = arith.index_cast %[[ID]] : i32 to index
// CHECK-NEXT: %[[C:.+]] = linalg.index 2 : index
// CHECK-NEXT: %[[E:.+]] = tensor.extract %[[TABLE]][%[[ROW]], %[[C]]] : tensor<11x8xf32>
// CHECK-NEXT: linalg.yield %[[E]] : f32
// CHECK-DAG: %[[FLATIDS:.+]] = tensor.collapse_shape %[[IDS]] {{\[\[}}0, 1]] : tensor<2x5xi32> into tensor<10xi32>
// CHECK-DAG: %[[DYROWS:.+]] = tensor.collapse_shape %[[DY]] {{\[\[}}0, 1], [2]] : tensor<2x5x8xf32> into tensor<10x8xf32>
// CHECK-DAG: %[[ZEROS:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<11x8xf32>)
// CHECK-NOT: linalg.generic
// CHECK-NOT: linalg.matmul
// CHECK: %[[DT:.+]] = scf.for %[[N:[^ ]+]] = %{{[^ ]+}} to %{{[^ ]+}} step %{{[^ ]+}} iter_args(%[[ACC:[^ ]+]] = %[[ZEROS]]) -> (tensor<11x8xf32>) {
// CHECK-NEXT: %[[IDI:.+]] = tensor.extract %[[FLATIDS]][%[[N]]] : tensor<10xi32>
// CHECK-NEXT: %[[V:.+]] = arith.index_cast %[[IDI]] : i32 to index
// CHECK: scf.for %[[COL:[^ ]+]] = {{.+}} iter_args(%[[T:[^ ]+]] = %[[ACC]]) -> (tensor<11x8xf32>) {
// CHECK-NEXT: %[[G:.+]] = vector.transfer_read %[[DYROWS]][%[[N]], %[[COL]]], %{{.+}} : tensor<10x8xf32>, vector<16xf32>
// CHECK-NEXT: %[[OLD:.+]] = vector.transfer_read %[[T]][%[[V]], %[[COL]]], %{{.+}} : tensor<11x8xf32>, vector<16xf32>
// CHECK-NEXT: %[[NEW:.+]] = arith.addf %[[OLD]], %[[G]] : vector<16xf32>
// CHECK-NEXT: %[[W:.+]] = vector.transfer_write %[[NEW]], %[[T]][%[[V]], %[[COL]]] : vector<16xf32>, tensor<11x8xf32>
// CHECK-NEXT: scf.yield %[[W]] : tensor<11x8xf32>
// CHECK: return %[[X]], %[[DT]]
func.func @embedding(%t: tensor<11x8xf32>, %ids: tensor<2x5xi32>, %dy: tensor<2x5x8xf32>) -> (tensor<2x5x8xf32>, tensor<11x8xf32>) {
  %x = loom.embedding %t, %ids : (tensor<11x8xf32>, tensor<2x5xi32>) -> tensor<2x5x8xf32>
  %dt = loom.embedding_grad %ids, %dy : (tensor<2x5xi32>, tensor<2x5x8xf32>) -> tensor<11x8xf32>
  return %x, %dt : tensor<2x5x8xf32>, tensor<11x8xf32>
}

// -----

// A tied table's two gradients (token embedding and output layer): the
// embedding's rows are added straight into the other gradient, with no
// table of zeros and no sum, even when that gradient comes later.

// CHECK-LABEL: func.func @tied_table_gradient
// CHECK-SAME: (%[[IDS:[^:]+]]: tensor<2x5xi32>, %[[DY:[^:]+]]: tensor<2x5x8xf32>, %[[DOUT:[^:]+]]: tensor<11x8xf32>)
// CHECK-NOT: linalg.fill
// CHECK: %[[LATER:.+]] = linalg.generic {{.+}} ins(%[[DOUT]], %[[DOUT]] :
// CHECK: %[[DT:.+]] = scf.for %{{.+}} iter_args(%{{[^ ]+}} = %[[LATER]]) -> (tensor<11x8xf32>)
// CHECK-NOT: linalg.generic
// CHECK: return %[[DT]]
func.func @tied_table_gradient(%ids: tensor<2x5xi32>, %dy: tensor<2x5x8xf32>, %dout: tensor<11x8xf32>) -> tensor<11x8xf32> {
  %de = loom.embedding_grad %ids, %dy : (tensor<2x5xi32>, tensor<2x5x8xf32>) -> tensor<11x8xf32>
  %later = loom.add %dout, %dout : (tensor<11x8xf32>, tensor<11x8xf32>) -> tensor<11x8xf32>
  %sum = loom.add %de, %later : (tensor<11x8xf32>, tensor<11x8xf32>) -> tensor<11x8xf32>
  return %sum : tensor<11x8xf32>
}

// -----

// Not when the embedding's gradient is also used elsewhere: then it is
// computed into zeros and summed.

// CHECK-LABEL: func.func @embedding_gradient_used_twice
// CHECK: %[[ZEROS:.+]] = linalg.fill
// CHECK: %[[DE:.+]] = scf.for %{{.+}} iter_args(%{{[^ ]+}} = %[[ZEROS]])
// CHECK: %[[SUM:.+]] = linalg.generic {{.+}} ins(%[[DE]], %{{.+}} : tensor<11x8xf32>, tensor<11x8xf32>)
// CHECK: return %[[SUM]], %[[DE]]
func.func @embedding_gradient_used_twice(%ids: tensor<2x5xi32>, %dy: tensor<2x5x8xf32>, %dout: tensor<11x8xf32>) -> (tensor<11x8xf32>, tensor<11x8xf32>) {
  %de = loom.embedding_grad %ids, %dy : (tensor<2x5xi32>, tensor<2x5x8xf32>) -> tensor<11x8xf32>
  %sum = loom.add %de, %dout : (tensor<11x8xf32>, tensor<11x8xf32>) -> tensor<11x8xf32>
  return %sum, %de : tensor<11x8xf32>, tensor<11x8xf32>
}

// -----

// A slice is a tensor.extract_slice (a view after bufferization, no loop);
// its gradient places dy at the offset in zeros.

// CHECK-LABEL: func.func @slices
// CHECK-SAME: (%[[QKV:[^:]+]]: tensor<2x5x36xf32>, %[[DK:[^:]+]]: tensor<2x5x12xf32>)
// CHECK-NOT: linalg.generic
// CHECK-NOT: linalg.copy
// CHECK: %[[K:.+]] = tensor.extract_slice %[[QKV]][0, 0, 12] [2, 5, 12] [1, 1, 1] : tensor<2x5x36xf32> to tensor<2x5x12xf32>
// CHECK: %[[Z:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<2x5x36xf32>)
// CHECK: %[[D:.+]] = tensor.insert_slice %[[DK]] into %[[Z]][0, 0, 12] [2, 5, 12] [1, 1, 1] : tensor<2x5x12xf32> into tensor<2x5x36xf32>
// CHECK-NOT: linalg.generic
// CHECK-NOT: linalg.copy
// CHECK: return %[[K]], %[[D]]
func.func @slices(%qkv: tensor<2x5x36xf32>, %dk: tensor<2x5x12xf32>) -> (tensor<2x5x12xf32>, tensor<2x5x36xf32>) {
  %k = loom.slice %qkv dim(2) offset(12) : (tensor<2x5x36xf32>) -> tensor<2x5x12xf32>
  %d = loom.slice_grad %dk dim(2) offset(12) : (tensor<2x5x12xf32>) -> tensor<2x5x36xf32>
  return %k, %d : tensor<2x5x12xf32>, tensor<2x5x36xf32>
}

// -----

// The gradients of q, k and v sliced from one packed projection sum to the
// three placed side by side: inserted into one uninitialized tensor (they
// cover it), with no zeros and no sums.

// CHECK-LABEL: func.func @qkv_slice_gradients
// CHECK-SAME: (%[[DQ:[^:]+]]: tensor<2x5x12xf32>, %[[DK:[^:]+]]: tensor<2x5x12xf32>, %[[DV:[^:]+]]: tensor<2x5x12xf32>)
// CHECK-NOT: linalg.generic
// CHECK: %[[E:.+]] = tensor.empty() : tensor<2x5x36xf32>
// CHECK-NOT: linalg.fill ins(%{{.+}} : f32) outs(%[[E]]
// CHECK-DAG: tensor.insert_slice %[[DQ]] into %{{.+}}[0, 0, 0] [2, 5, 12] [1, 1, 1]
// CHECK-DAG: tensor.insert_slice %[[DK]] into %{{.+}}[0, 0, 12] [2, 5, 12] [1, 1, 1]
// CHECK-DAG: %[[D:.+]] = tensor.insert_slice %[[DV]] into %{{.+}}[0, 0, 24] [2, 5, 12] [1, 1, 1]
// CHECK-NOT: linalg.generic
// CHECK: return %[[D]]
func.func @qkv_slice_gradients(%dq: tensor<2x5x12xf32>, %dk: tensor<2x5x12xf32>, %dv: tensor<2x5x12xf32>) -> tensor<2x5x36xf32> {
  %gv = loom.slice_grad %dv dim(2) offset(24) : (tensor<2x5x12xf32>) -> tensor<2x5x36xf32>
  %gk = loom.slice_grad %dk dim(2) offset(12) : (tensor<2x5x12xf32>) -> tensor<2x5x36xf32>
  %vk = loom.add %gv, %gk : (tensor<2x5x36xf32>, tensor<2x5x36xf32>) -> tensor<2x5x36xf32>
  %gq = loom.slice_grad %dq dim(2) offset(0) : (tensor<2x5x12xf32>) -> tensor<2x5x36xf32>
  %d = loom.add %vk, %gq : (tensor<2x5x36xf32>, tensor<2x5x36xf32>) -> tensor<2x5x36xf32>
  return %d : tensor<2x5x36xf32>
}

// -----

// Pieces that leave part of the tensor uncovered go into zeros; pieces that
// overlap are summed as usual.

// CHECK-LABEL: func.func @partial_and_overlapping_pieces
// CHECK-SAME: (%[[A:[^:]+]]: tensor<2x5x12xf32>, %[[B:[^:]+]]: tensor<2x5x12xf32>)
// CHECK: %[[GA:.+]] = tensor.insert_slice %[[A]] into %{{.+}}[0, 0, 0]
// CHECK: %[[ZEROS:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<2x5x36xf32>)
// CHECK: %[[B24:.+]] = tensor.insert_slice %[[B]] into %[[ZEROS]][0, 0, 24]
// CHECK: %[[PARTIAL:.+]] = tensor.insert_slice %[[A]] into %[[B24]][0, 0, 0]
// CHECK: %[[GC:.+]] = tensor.insert_slice %[[B]] into %{{.+}}[0, 0, 6]
// CHECK: %[[OVERLAPPING:.+]] = linalg.generic {{.+}} ins(%[[GA]], %[[GC]] :
// CHECK: return %[[PARTIAL]], %[[OVERLAPPING]]
func.func @partial_and_overlapping_pieces(%a: tensor<2x5x12xf32>, %b: tensor<2x5x12xf32>) -> (tensor<2x5x36xf32>, tensor<2x5x36xf32>) {
  %ga = loom.slice_grad %a dim(2) offset(0) : (tensor<2x5x12xf32>) -> tensor<2x5x36xf32>
  %gb = loom.slice_grad %b dim(2) offset(24) : (tensor<2x5x12xf32>) -> tensor<2x5x36xf32>
  %partial = loom.add %ga, %gb : (tensor<2x5x36xf32>, tensor<2x5x36xf32>) -> tensor<2x5x36xf32>
  %gc = loom.slice_grad %b dim(2) offset(6) : (tensor<2x5x12xf32>) -> tensor<2x5x36xf32>
  %overlapping = loom.add %ga, %gc : (tensor<2x5x36xf32>, tensor<2x5x36xf32>) -> tensor<2x5x36xf32>
  return %partial, %overlapping : tensor<2x5x36xf32>, tensor<2x5x36xf32>
}

// -----

//===----------------------------------------------------------------------===//
// Optimizers
//===----------------------------------------------------------------------===//

// The SGD update writes into the parameter's and the velocity's own tensors
// (no new destination): g' = scale·g, v' = μ·v + g', p' = p − lr·v'.

// CHECK-LABEL: func.func @sgd
// CHECK-SAME: (%[[P:[^:]+]]: tensor<4x3xf32>, %[[G:[^:]+]]: tensor<4x3xf32>, %[[V:[^:]+]]: tensor<4x3xf32>, %[[LR:[^:]+]]: f32, %[[MU:[^:]+]]: f32, %[[S:[^:]+]]: f32)
// CHECK-NOT: tensor.empty
// CHECK: %[[R:.+]]:2 = linalg.generic {{.+}} iterator_types = ["parallel", "parallel"]} ins(%[[G]] : tensor<4x3xf32>) outs(%[[P]], %[[V]] : tensor<4x3xf32>, tensor<4x3xf32>)
// CHECK-NEXT: ^bb0(%[[GI:[^:]+]]: f32, %[[PI:[^:]+]]: f32, %[[VI:[^:]+]]: f32):
// CHECK-NEXT: %[[GS:.+]] = arith.mulf %[[GI]], %[[S]] : f32
// CHECK-NEXT: %[[MV:.+]] = arith.mulf %[[VI]], %[[MU]] : f32
// CHECK-NEXT: %[[NV:.+]] = arith.addf %[[MV]], %[[GS]] : f32
// CHECK-NEXT: %[[STEP:.+]] = arith.mulf %[[LR]], %[[NV]] : f32
// CHECK-NEXT: %[[NP:.+]] = arith.subf %[[PI]], %[[STEP]] : f32
// CHECK-NEXT: linalg.yield %[[NP]], %[[NV]] : f32, f32
// CHECK: return %[[R]]#0, %[[R]]#1
func.func @sgd(%p: tensor<4x3xf32>, %g: tensor<4x3xf32>, %v: tensor<4x3xf32>, %lr: f32, %mu: f32, %s: f32) -> (tensor<4x3xf32>, tensor<4x3xf32>) {
  %p2, %v2 = loom.sgd_update %p, %g, %v, lr %lr, momentum %mu, scale %s : tensor<4x3xf32>
  return %p2, %v2 : tensor<4x3xf32>, tensor<4x3xf32>
}

// -----

// AdamW, torch.optim.AdamW's arithmetic in torch's order: the per-step
// scalars (bias corrections, step size, decay factor) once, in double
// precision, outside the loop; then one generic that reads the gradient and
// updates parameter, exp_avg and exp_avg_sq in their own tensors. Σx² (the
// gradient norm's part) is one full reduction.

// CHECK-LABEL: func.func @adamw
// CHECK-SAME: (%[[P:[^:]+]]: tensor<4x3xf32>, %[[G:[^:]+]]: tensor<4x3xf32>, %[[M:[^:]+]]: tensor<4x3xf32>, %[[V:[^:]+]]: tensor<4x3xf32>, %[[LR:[^:]+]]: f32, %[[B1:[^:]+]]: f32, %[[B2:[^:]+]]: f32, %[[EPS:[^:]+]]: f32, %[[WD:[^:]+]]: f32, %[[T:[^:]+]]: i64, %[[S:[^:]+]]: f32)
// CHECK: %[[ONE:.+]] = arith.constant 1.000000e+00 : f64
// CHECK-NEXT: %[[TF:.+]] = arith.sitofp %[[T]] : i64 to f64
// CHECK-NEXT: %[[LR64:.+]] = arith.extf %[[LR]] : f32 to f64
// CHECK-NEXT: %[[B164:.+]] = arith.extf %[[B1]] : f32 to f64
// CHECK-NEXT: %[[B264:.+]] = arith.extf %[[B2]] : f32 to f64
// CHECK-NEXT: %[[POW1:.+]] = math.powf %[[B164]], %[[TF]] : f64
// CHECK-NEXT: %[[BC1:.+]] = arith.subf %[[ONE]], %[[POW1]] : f64
// CHECK-NEXT: %[[POW2:.+]] = math.powf %[[B264]], %[[TF]] : f64
// CHECK-NEXT: %[[BC2:.+]] = arith.subf %[[ONE]], %[[POW2]] : f64
// CHECK-NEXT: %[[SS64:.+]] = arith.divf %[[LR64]], %[[BC1]] : f64
// CHECK-NEXT: %[[STEPSIZE:.+]] = arith.truncf %[[SS64]] : f64 to f32
// CHECK-NEXT: %[[SQ64:.+]] = math.sqrt %[[BC2]] : f64
// CHECK-NEXT: %[[BC2SQRT:.+]] = arith.truncf %[[SQ64]] : f64 to f32
// CHECK-NEXT: %[[WD64:.+]] = arith.extf %[[WD]] : f32 to f64
// CHECK-NEXT: %[[LRWD:.+]] = arith.mulf %[[LR64]], %[[WD64]] : f64
// CHECK-NEXT: %[[DECAY64:.+]] = arith.subf %[[ONE]], %[[LRWD]] : f64
// CHECK-NEXT: %[[DECAY:.+]] = arith.truncf %[[DECAY64]] : f64 to f32
// CHECK-NEXT: %[[W164:.+]] = arith.subf %[[ONE]], %[[B164]] : f64
// CHECK-NEXT: %[[W1:.+]] = arith.truncf %[[W164]] : f64 to f32
// CHECK-NEXT: %[[W264:.+]] = arith.subf %[[ONE]], %[[B264]] : f64
// CHECK-NEXT: %[[W2:.+]] = arith.truncf %[[W264]] : f64 to f32
// CHECK-NEXT: %[[NEGSTEP:.+]] = arith.negf %[[STEPSIZE]] : f32
// CHECK-NEXT: %[[HALF:.+]] = arith.constant 5.000000e-01 : f32
// CHECK-NEXT: %[[SMALL:.+]] = arith.cmpf olt, %[[W1]], %[[HALF]] : f32
// CHECK-NEXT: %[[ONEF:.+]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT: %[[W1C:.+]] = arith.subf %[[ONEF]], %[[W1]] : f32
// CHECK-NOT: tensor.empty
// CHECK-NEXT: %[[R:.+]]:3 = linalg.generic {{.+}} iterator_types = ["parallel", "parallel"]} ins(%[[G]] : tensor<4x3xf32>) outs(%[[P]], %[[M]], %[[V]] : tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>)
// CHECK-NEXT: ^bb0(%[[GI:[^:]+]]: f32, %[[PI:[^:]+]]: f32, %[[MI:[^:]+]]: f32, %[[VI:[^:]+]]: f32):
// CHECK-NEXT: %[[GS:.+]] = arith.mulf %[[GI]], %[[S]] : f32
// CHECK-NEXT: %[[PD:.+]] = arith.mulf %[[PI]], %[[DECAY]] : f32
// CHECK-NEXT: %[[DIFF:.+]] = arith.subf %[[GS]], %[[MI]] : f32
// CHECK-NEXT: %[[WDIFF:.+]] = arith.mulf %[[W1]], %[[DIFF]] : f32
// CHECK-NEXT: %[[LOW:.+]] = arith.addf %[[MI]], %[[WDIFF]] : f32
// CHECK-NEXT: %[[CDIFF:.+]] = arith.mulf %[[DIFF]], %[[W1C]] : f32
// CHECK-NEXT: %[[HIGH:.+]] = arith.subf %[[GS]], %[[CDIFF]] : f32
// CHECK-NEXT: %[[NM:.+]] = arith.select %[[SMALL]], %[[LOW]], %[[HIGH]] : f32
// CHECK-NEXT: %[[VB:.+]] = arith.mulf %[[VI]], %[[B2]] : f32
// CHECK-NEXT: %[[WG:.+]] = arith.mulf %[[W2]], %[[GS]] : f32
// CHECK-NEXT: %[[WGG:.+]] = arith.mulf %[[WG]], %[[GS]] : f32
// CHECK-NEXT: %[[NV:.+]] = arith.addf %[[VB]], %[[WGG]] : f32
// CHECK-NEXT: %[[RT:.+]] = math.sqrt %[[NV]] : f32
// CHECK-NEXT: %[[RTC:.+]] = arith.divf %[[RT]], %[[BC2SQRT]] : f32
// CHECK-NEXT: %[[DEN:.+]] = arith.addf %[[RTC]], %[[EPS]] : f32
// CHECK-NEXT: %[[NUM:.+]] = arith.mulf %[[NEGSTEP]], %[[NM]] : f32
// CHECK-NEXT: %[[UPD:.+]] = arith.divf %[[NUM]], %[[DEN]] : f32
// CHECK-NEXT: %[[NP:.+]] = arith.addf %[[PD]], %[[UPD]] : f32
// CHECK-NEXT: linalg.yield %[[NP]], %[[NM]], %[[NV]] : f32, f32, f32
// CHECK-NOT: math.powf
// The sum of squares: the gradient as one row, 4 independent chains of
// 16-lane FMAs over whole steps of 64, the rest read with zero padding into
// the first chain, the chains' lanes added last.
// CHECK: %[[FLAT:.+]] = tensor.collapse_shape %[[G]] {{\[\[}}0, 1]] : tensor<4x3xf32> into tensor<12xf32>
// CHECK: %[[LEN:.+]] = tensor.dim %[[FLAT]], %{{.+}} : tensor<12xf32>
// CHECK: %[[WHOLE:.+]] = arith.subi %[[LEN]], %{{.+}} : index
// CHECK: %[[MAIN:.+]]:4 = scf.for %[[I:.+]] = %{{.+}} to %[[WHOLE]] step %{{.+}} iter_args({{.+}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK-COUNT-4: vector.fma
// CHECK: %[[TAIL:.+]] = scf.for %{{.+}} = %[[WHOLE]] to %[[LEN]] step %{{.+}} iter_args(%{{.+}} = %[[MAIN]]#0) -> (vector<16xf32>)
// CHECK: vector.transfer_read %[[FLAT]][%{{.+}}], %{{.+}} : tensor<12xf32>, vector<16xf32>
// CHECK: vector.fma
// CHECK: %[[S1:.+]] = arith.addf %[[TAIL]], %[[MAIN]]#1 : vector<16xf32>
// CHECK: %[[S2:.+]] = arith.addf %[[S1]], %[[MAIN]]#2 : vector<16xf32>
// CHECK: %[[S3:.+]] = arith.addf %[[S2]], %[[MAIN]]#3 : vector<16xf32>
// CHECK: %[[SUM:.+]] = vector.reduction <add>, %[[S3]] : vector<16xf32> into f32
// CHECK: %[[N:.+]] = tensor.from_elements %[[SUM]] : tensor<f32>
// CHECK: return %[[R]]#0, %[[R]]#1, %[[R]]#2, %[[N]]
func.func @adamw(%p: tensor<4x3xf32>, %g: tensor<4x3xf32>, %m: tensor<4x3xf32>, %v: tensor<4x3xf32>,
                 %lr: f32, %b1: f32, %b2: f32, %eps: f32, %wd: f32, %t: i64, %s: f32)
    -> (tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>, tensor<f32>) {
  %p2, %m2, %v2 = loom.adamw_update %p, %g, %m, %v, lr %lr, betas %b1, %b2, eps %eps, weight_decay %wd, step %t, scale %s : tensor<4x3xf32>
  %n = loom.sum_squares %g : tensor<4x3xf32>
  return %p2, %m2, %v2, %n : tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>, tensor<f32>
}

// -----

//===----------------------------------------------------------------------===//
// The runtime's hook and updates over ranges
//===----------------------------------------------------------------------===//

// loom.gradient_ready is left for -loom-lower-gradient-ready, after
// bufferization has placed the writes of its buffer.

// CHECK-LABEL: func.func @gradient_ready
// CHECK-SAME: %[[DB:[^:]+]]: memref<3xf32> {loom.grad = "b"}
// CHECK: linalg.generic
// CHECK: loom.gradient_ready %[[DB]] : memref<3xf32>
// CHECK-NOT: call
// CHECK: bufferization.materialize_in_destination %{{.+}} in restrict writable %[[DB]]
func.func @gradient_ready(%w: memref<3xf32> {loom.param = "w"},
                          %dw: memref<3xf32> {loom.grad = "w"},
                          %db: memref<3xf32> {loom.grad = "b"},
                          %x: tensor<3xf32>) {
  %y = loom.tanh %x : tensor<3xf32>
  loom.gradient_ready %db : memref<3xf32>
  bufferization.materialize_in_destination %y in restrict writable %db : (tensor<3xf32>, memref<3xf32>) -> ()
  return
}

// -----

// An update over a range of a length known at run time is one generic over
// 1-D tensors of that length.

// CHECK-LABEL: func.func @sgd_over_a_range
// CHECK: linalg.generic {{.+}} iterator_types = ["parallel"]} ins(%{{.+}} : tensor<?xf32>) outs(%{{.+}}, %{{.+}} : tensor<?xf32>, tensor<?xf32>)
func.func @sgd_over_a_range(%p: tensor<?xf32>, %g: tensor<?xf32>, %v: tensor<?xf32>, %lr: f32) -> (tensor<?xf32>, tensor<?xf32>) {
  %0:2 = loom.sgd_update %p, %g, %v, lr %lr, momentum %lr, scale %lr : tensor<?xf32>
  return %0#0, %0#1 : tensor<?xf32>, tensor<?xf32>
}
