// RUN: loom-opt %s -split-input-file -loom-autodiff -loom-build-train-step | FileCheck %s
// RUN: loom-opt %s -split-input-file -loom-autodiff -loom-build-train-step | FileCheck %s --check-prefix=FUNCS --implicit-check-not='{{func.func @[a-z0-9_]+_model(_grad)?\(}}'

// The model and its gradient function are consumed; the five functions of
// the training step replace them, in each module.
// FUNCS: func.func @eval_loss(
// FUNCS: func.func @forward_backward(
// FUNCS: func.func @grad_norm(
// FUNCS: func.func @update_sgd(
// FUNCS: func.func @update_adamw(
// FUNCS: {{^//}} -----
// FUNCS: func.func @eval_loss(
// FUNCS: func.func @forward_backward(
// FUNCS: func.func @grad_norm(
// FUNCS: func.func @update_sgd(
// FUNCS: func.func @update_adamw(

// A linear layer: a weight (rank 2) and a bias (rank 1), with the inputs
// interleaved with the parameters in forward's signature.

// eval_loss is forward on buffers, in forward's argument order: it reads
// every buffer (none writable), computes no gradient and writes nothing.
// CHECK-LABEL: func.func @eval_loss
// CHECK-SAME: (%[[X:[^:]+]]: memref<8x4xf32> {loom.input = "x"}, %[[W:[^:]+]]: memref<4x3xf32> {loom.init = #loom.init<normal(0.5)>, loom.param = "w"}, %[[T:[^:]+]]: memref<8x3xf32> {loom.input = "t"}, %[[B:[^:]+]]: memref<3xf32> {loom.init = #loom.init<zeros>, loom.param = "b"}) -> f32 {
// CHECK-DAG: %[[XT:.+]] = bufferization.to_tensor %[[X]] restrict :
// CHECK-DAG: %[[WT:.+]] = bufferization.to_tensor %[[W]] restrict :
// CHECK-DAG: %[[TT:.+]] = bufferization.to_tensor %[[T]] restrict :
// CHECK-DAG: %[[BT:.+]] = bufferization.to_tensor %[[B]] restrict :
// CHECK: %[[Y:.+]] = loom.matmul %[[XT]], %[[WT]] :
// CHECK: %[[Z:.+]] = loom.add %[[Y]], %[[BT]] :
// CHECK: %[[L:.+]] = loom.mse %[[Z]], %[[TT]] :
// CHECK-NOT: _grad
// CHECK-NOT: materialize_in_destination
// CHECK-NOT: _update
// CHECK: %[[LOSS:.+]] = tensor.extract %[[L]][] : tensor<f32>
// CHECK-NEXT: return %[[LOSS]] : f32

// forward_backward(params, grads, inputs) -> loss: parameters and inputs are
// read-only; each gradient is said ready right where the backward pass has
// computed it -- the bias's before the weight's product is even computed --
// and computed directly into its own buffer (`restrict writable`), written
// at the end; nothing is written into a parameter.
// CHECK-LABEL: func.func @forward_backward
// CHECK-SAME: (%[[W:[^:]+]]: memref<4x3xf32> {loom.init = #loom.init<normal(0.5)>, loom.param = "w"},
// CHECK-SAME: %[[B:[^:]+]]: memref<3xf32> {loom.init = #loom.init<zeros>, loom.param = "b"},
// CHECK-SAME: %[[DW:[^:]+]]: memref<4x3xf32> {loom.grad = "w"},
// CHECK-SAME: %[[DB:[^:]+]]: memref<3xf32> {loom.grad = "b"},
// CHECK-SAME: %[[X:[^:]+]]: memref<8x4xf32> {loom.input = "x"},
// CHECK-SAME: %[[T:[^:]+]]: memref<8x3xf32> {loom.input = "t"}) -> f32 {
// CHECK-NOT: to_tensor {{.*}}writable
// CHECK-DAG: %[[WT:.+]] = bufferization.to_tensor %[[W]] restrict :
// CHECK-DAG: %[[BT:.+]] = bufferization.to_tensor %[[B]] restrict :
// CHECK-DAG: %[[XT:.+]] = bufferization.to_tensor %[[X]] restrict :
// CHECK-DAG: %[[TT:.+]] = bufferization.to_tensor %[[T]] restrict :
// CHECK-NOT: to_tensor {{.*}}writable
// CHECK: %[[Y:.+]] = loom.matmul %[[XT]], %[[WT]] :
// CHECK: %[[Z:.+]] = loom.add %[[Y]], %[[BT]] :
// CHECK: %[[L:.+]] = loom.mse %[[Z]], %[[TT]] :
// CHECK-NOT: gradient_ready
// CHECK: %[[DZ:.+]] = loom.mse_grad %[[Z]], %[[TT]], %{{.+}} :
// CHECK-NEXT: %[[GB:.+]] = loom.reduce_sum %[[DZ]] :
// CHECK-NEXT: loom.gradient_ready %[[DB]] : memref<3xf32>
// CHECK-NEXT: %[[GW:.+]] = loom.matmul %[[XT]], %[[DZ]] {transpose_lhs} :
// CHECK-NEXT: loom.gradient_ready %[[DW]] : memref<4x3xf32>
// CHECK-NOT: _update
// CHECK-NOT: in {{(restrict )?}}writable %[[W]] :
// CHECK-NOT: in {{(restrict )?}}writable %[[B]] :
// CHECK-NEXT: bufferization.materialize_in_destination %[[GW]] in restrict writable %[[DW]] : (tensor<4x3xf32>, memref<4x3xf32>) -> ()
// CHECK-NEXT: bufferization.materialize_in_destination %[[GB]] in restrict writable %[[DB]] : (tensor<3xf32>, memref<3xf32>) -> ()
// CHECK-NEXT: %[[LOSS:.+]] = tensor.extract %[[L]][] : tensor<f32>
// CHECK-NEXT: return %[[LOSS]] : f32

// grad_norm(grads, ranges) -> √(Σ g²) over each gradient's range of
// elements: only the gradients, read-only, each through a 1-D view of its
// range (a matrix collapsed first); parameters are not arguments and
// nothing is written.
// CHECK-LABEL: func.func @grad_norm
// CHECK-SAME: (%[[DW:[^:]+]]: memref<4x3xf32> {loom.grad = "w"}, %[[DB:[^:]+]]: memref<3xf32> {loom.grad = "b"}, %[[R:[^:]+]]: memref<2x2xi64> {loom.hyper = "ranges"}) -> f32 {
// CHECK-NOT: writable
// CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: memref.load %[[R]][%{{.+}}, %{{.+}}] : memref<2x2xi64>
// CHECK: memref.load %[[R]][%{{.+}}, %{{.+}}] : memref<2x2xi64>
// CHECK: %[[DWFLAT:.+]] = memref.collapse_shape %[[DW]] {{\[\[}}0, 1]] : memref<4x3xf32> into memref<12xf32>
// CHECK: %[[DWR:.+]] = memref.subview %[[DWFLAT]][%{{.+}}] [%{{.+}}] [1] : memref<12xf32> to memref<?xf32, strided<[1], offset: ?>>
// CHECK: %[[DWT:.+]] = bufferization.to_tensor %[[DWR]] restrict :
// CHECK: %[[SW:.+]] = loom.sum_squares %[[DWT]] : tensor<?xf32>
// CHECK: %[[EW:.+]] = tensor.extract %[[SW]][]
// CHECK: %[[ACC:.+]] = arith.addf %[[ZERO]], %[[EW]] : f32
// CHECK: %[[DBR:.+]] = memref.subview %[[DB]][%{{.+}}] [%{{.+}}] [1] : memref<3xf32> to memref<?xf32, strided<[1], offset: ?>>
// CHECK: %[[DBT:.+]] = bufferization.to_tensor %[[DBR]] restrict :
// CHECK: %[[SB:.+]] = loom.sum_squares %[[DBT]] : tensor<?xf32>
// CHECK: %[[EB:.+]] = tensor.extract %[[SB]][]
// CHECK: %[[TOTAL:.+]] = arith.addf %[[ACC]], %[[EB]] : f32
// CHECK: %[[NORM:.+]] = math.sqrt %[[TOTAL]] : f32
// CHECK-NOT: materialize_in_destination
// CHECK: return %[[NORM]] : f32

// update_sgd(params, grads, momentum buffers, lr, momentum, grad_scale,
// ranges): one sgd_update per parameter on its range [begin, end) of
// elements: parameter and gradient through views at begin, the state
// buffer (which holds the range alone) from its start; parameter and state
// are read through writable tensors and written back into the same views;
// gradients are read-only. No step argument, no result.
// CHECK-LABEL: func.func @update_sgd
// CHECK-SAME: (%[[W:[^:]+]]: memref<4x3xf32> {loom.init = #loom.init<normal(0.5)>, loom.param = "w"},
// CHECK-SAME: %[[B:[^:]+]]: memref<3xf32> {loom.init = #loom.init<zeros>, loom.param = "b"},
// CHECK-SAME: %[[DW:[^:]+]]: memref<4x3xf32> {loom.grad = "w"},
// CHECK-SAME: %[[DB:[^:]+]]: memref<3xf32> {loom.grad = "b"},
// CHECK-SAME: %[[VW:[^:]+]]: memref<4x3xf32> {loom.state = "w.momentum_buffer"},
// CHECK-SAME: %[[VB:[^:]+]]: memref<3xf32> {loom.state = "b.momentum_buffer"},
// CHECK-SAME: %[[LR:[^:]+]]: f32 {loom.hyper = "lr"},
// CHECK-SAME: %[[MU:[^:]+]]: f32 {loom.hyper = "momentum"},
// CHECK-SAME: %[[S:[^:]+]]: f32 {loom.hyper = "grad_scale"},
// CHECK-SAME: %[[R:[^:]+]]: memref<2x2xi64> {loom.hyper = "ranges"}) {
// CHECK: %[[BEGIN:.+]] = arith.index_cast %{{.+}} : i64 to index
// CHECK: %[[END:.+]] = arith.index_cast %{{.+}} : i64 to index
// CHECK: %[[N:.+]] = arith.subi %[[END]], %[[BEGIN]] : index
// CHECK: %[[WFLAT:.+]] = memref.collapse_shape %[[W]]
// CHECK: %[[WR:.+]] = memref.subview %[[WFLAT]][%[[BEGIN]]] [%[[N]]] [1]
// CHECK: %[[DWFLAT:.+]] = memref.collapse_shape %[[DW]]
// CHECK: %[[DWR:.+]] = memref.subview %[[DWFLAT]][%[[BEGIN]]] [%[[N]]] [1]
// CHECK: %[[VWFLAT:.+]] = memref.collapse_shape %[[VW]]
// CHECK: %[[VWR:.+]] = memref.subview %[[VWFLAT]][0] [%[[N]]] [1]
// CHECK-DAG: %[[VWT:.+]] = bufferization.to_tensor %[[VWR]] restrict writable :
// CHECK-DAG: %[[WT:.+]] = bufferization.to_tensor %[[WR]] restrict writable :
// CHECK-DAG: %[[DWT:.+]] = bufferization.to_tensor %[[DWR]] restrict :
// CHECK: %[[NW:.+]], %[[NVW:.+]] = loom.sgd_update %[[WT]], %[[DWT]], %[[VWT]], lr %[[LR]], momentum %[[MU]], scale %[[S]] : tensor<?xf32>
// CHECK-DAG: bufferization.materialize_in_destination %[[NW]] in writable %[[WR]] :
// CHECK-DAG: bufferization.materialize_in_destination %[[NVW]] in writable %[[VWR]] :
// CHECK: %[[BR:.+]] = memref.subview %[[B]][%{{.+}}] [%[[NB:.+]]] [1]
// CHECK: %[[DBR:.+]] = memref.subview %[[DB]][%{{.+}}] [%[[NB]]] [1]
// CHECK: %[[VBR:.+]] = memref.subview %[[VB]][0] [%[[NB]]] [1]
// CHECK: loom.sgd_update {{.+}} : tensor<?xf32>
// CHECK-DAG: bufferization.materialize_in_destination %{{.+}} in writable %[[BR]] :
// CHECK-DAG: bufferization.materialize_in_destination %{{.+}} in writable %[[VBR]] :
// CHECK-NOT: in {{(restrict )?}}writable %[[DWR]] :
// CHECK-NOT: in {{(restrict )?}}writable %[[DBR]] :
// CHECK: return{{$}}

// update_adamw(params, grads, exp_avg..., exp_avg_sq..., lr, beta1, beta2,
// eps, weight_decay, grad_scale, step, ranges): the weight is decayed by
// the weight_decay argument, the rank-1 bias by a constant 0.
// CHECK-LABEL: func.func @update_adamw
// CHECK-SAME: (%[[W:[^:]+]]: memref<4x3xf32> {loom.init = #loom.init<normal(0.5)>, loom.param = "w"},
// CHECK-SAME: %[[B:[^:]+]]: memref<3xf32> {loom.init = #loom.init<zeros>, loom.param = "b"},
// CHECK-SAME: %[[DW:[^:]+]]: memref<4x3xf32> {loom.grad = "w"},
// CHECK-SAME: %[[DB:[^:]+]]: memref<3xf32> {loom.grad = "b"},
// CHECK-SAME: %[[MW:[^:]+]]: memref<4x3xf32> {loom.state = "w.exp_avg"},
// CHECK-SAME: %[[MB:[^:]+]]: memref<3xf32> {loom.state = "b.exp_avg"},
// CHECK-SAME: %[[VW:[^:]+]]: memref<4x3xf32> {loom.state = "w.exp_avg_sq"},
// CHECK-SAME: %[[VB:[^:]+]]: memref<3xf32> {loom.state = "b.exp_avg_sq"},
// CHECK-SAME: %[[LR:[^:]+]]: f32 {loom.hyper = "lr"},
// CHECK-SAME: %[[B1:[^:]+]]: f32 {loom.hyper = "beta1"},
// CHECK-SAME: %[[B2:[^:]+]]: f32 {loom.hyper = "beta2"},
// CHECK-SAME: %[[EPS:[^:]+]]: f32 {loom.hyper = "eps"},
// CHECK-SAME: %[[WD:[^:]+]]: f32 {loom.hyper = "weight_decay"},
// CHECK-SAME: %[[S:[^:]+]]: f32 {loom.hyper = "grad_scale"},
// CHECK-SAME: %[[STEP:[^:]+]]: i64 {loom.hyper = "step"},
// CHECK-SAME: %[[R:[^:]+]]: memref<2x2xi64> {loom.hyper = "ranges"}) {
// CHECK: %[[WR:.+]] = memref.subview %{{.+}}[%[[BEGIN:.+]]] [%[[N:.+]]] [1]
// CHECK: %[[DWR:.+]] = memref.subview %{{.+}}[%[[BEGIN]]] [%[[N]]] [1]
// CHECK: %[[MWR:.+]] = memref.subview %{{.+}}[0] [%[[N]]] [1]
// CHECK: %[[MWT:.+]] = bufferization.to_tensor %[[MWR]] restrict writable :
// CHECK: %[[VWR:.+]] = memref.subview %{{.+}}[0] [%[[N]]] [1]
// CHECK: %[[VWT:.+]] = bufferization.to_tensor %[[VWR]] restrict writable :
// CHECK-DAG: %[[WT:.+]] = bufferization.to_tensor %[[WR]] restrict writable :
// CHECK-DAG: %[[DWT:.+]] = bufferization.to_tensor %[[DWR]] restrict :
// CHECK: %[[NW:.+]], %[[NMW:.+]], %[[NVW:.+]] = loom.adamw_update %[[WT]], %[[DWT]], %[[MWT]], %[[VWT]], lr %[[LR]], betas %[[B1]], %[[B2]], eps %[[EPS]], weight_decay %[[WD]], step %[[STEP]], scale %[[S]] : tensor<?xf32>
// CHECK-DAG: bufferization.materialize_in_destination %[[NW]] in writable %[[WR]] :
// CHECK-DAG: bufferization.materialize_in_destination %[[NMW]] in writable %[[MWR]] :
// CHECK-DAG: bufferization.materialize_in_destination %[[NVW]] in writable %[[VWR]] :
// CHECK: %[[BR:.+]] = memref.subview %[[B]][
// CHECK: %[[DBR:.+]] = memref.subview %[[DB]][
// CHECK: %[[MBR:.+]] = memref.subview %[[MB]][0]
// CHECK: %[[VBR:.+]] = memref.subview %[[VB]][0]
// CHECK-DAG: %[[NODECAY:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[NB:.+]], %[[NMB:.+]], %[[NVB:.+]] = loom.adamw_update %{{.+}}, %{{.+}}, %{{.+}}, %{{.+}}, lr %[[LR]], betas %[[B1]], %[[B2]], eps %[[EPS]], weight_decay %[[NODECAY]], step %[[STEP]], scale %[[S]] : tensor<?xf32>
// CHECK-DAG: bufferization.materialize_in_destination %[[NB]] in writable %[[BR]] :
// CHECK-DAG: bufferization.materialize_in_destination %[[NMB]] in writable %[[MBR]] :
// CHECK-DAG: bufferization.materialize_in_destination %[[NVB]] in writable %[[VBR]] :
// CHECK-NOT: in {{(restrict )?}}writable %[[DWR]] :
// CHECK-NOT: in {{(restrict )?}}writable %[[DBR]] :
// CHECK: return{{$}}

func.func @linear_layer_model(%x: tensor<8x4xf32> {loom.input = "x"},
                   %w: tensor<4x3xf32> {loom.param = "w", loom.init = #loom.init<normal(0.5)>},
                   %t: tensor<8x3xf32> {loom.input = "t"},
                   %b: tensor<3xf32> {loom.param = "b", loom.init = #loom.init<zeros>}) -> tensor<f32> {
  %y = loom.matmul %x, %w : (tensor<8x4xf32>, tensor<4x3xf32>) -> tensor<8x3xf32>
  %z = loom.add %y, %b : (tensor<8x3xf32>, tensor<3xf32>) -> tensor<8x3xf32>
  %l = loom.mse %z, %t : tensor<8x3xf32>
  return %l : tensor<f32>
}

// -----

// AdamW's weight decay depends on the rank only: a rank-3 parameter is
// decayed like a matrix, a rank-0 one (a scalar offset) is not. Both are
// updated through 1-D views of their ranges: the rank-3 one collapsed, the
// scalar expanded to one element.

// CHECK-LABEL: func.func @update_adamw
// CHECK-SAME: (%[[P:[^:]+]]: memref<2x4x3xf32> {loom.param = "p"},
// CHECK-SAME: %[[Q:[^:]+]]: memref<f32> {loom.param = "q"},
// CHECK-SAME: %[[DP:[^:]+]]: memref<2x4x3xf32> {loom.grad = "p"},
// CHECK-SAME: %[[DQ:[^:]+]]: memref<f32> {loom.grad = "q"},
// CHECK-SAME: %{{[^:]+}}: memref<2x4x3xf32> {loom.state = "p.exp_avg"},
// CHECK-SAME: %{{[^:]+}}: memref<f32> {loom.state = "q.exp_avg"},
// CHECK-SAME: %{{[^:]+}}: memref<2x4x3xf32> {loom.state = "p.exp_avg_sq"},
// CHECK-SAME: %{{[^:]+}}: memref<f32> {loom.state = "q.exp_avg_sq"},
// CHECK-SAME: %[[WD:[^:]+]]: f32 {loom.hyper = "weight_decay"},
// CHECK-SAME: %[[STEP:[^:]+]]: i64 {loom.hyper = "step"},
// CHECK-SAME: %{{[^:]+}}: memref<2x2xi64> {loom.hyper = "ranges"}) {
// CHECK: %[[PFLAT:.+]] = memref.collapse_shape %[[P]] {{\[\[}}0, 1, 2]] : memref<2x4x3xf32> into memref<24xf32>
// CHECK: %[[PR:.+]] = memref.subview %[[PFLAT]][
// CHECK-DAG: %[[PT:.+]] = bufferization.to_tensor %[[PR]] restrict writable :
// CHECK: loom.adamw_update %[[PT]], {{.+}} weight_decay %[[WD]], step %[[STEP]], {{.+}} : tensor<?xf32>
// CHECK: %[[QFLAT:.+]] = memref.expand_shape %[[Q]] [] output_shape [1] : memref<f32> into memref<1xf32>
// CHECK: %[[QR:.+]] = memref.subview %[[QFLAT]][
// CHECK-DAG: %[[QT:.+]] = bufferization.to_tensor %[[QR]] restrict writable :
// CHECK-DAG: %[[NODECAY:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: loom.adamw_update %[[QT]], {{.+}} weight_decay %[[NODECAY]], step %[[STEP]], {{.+}} : tensor<?xf32>
// CHECK: return{{$}}

func.func @rank3_and_scalar_model(%x: tensor<2x4x3xf32> {loom.input = "x"},
                   %p: tensor<2x4x3xf32> {loom.param = "p"},
                   %q: tensor<f32> {loom.param = "q"}) -> tensor<f32> {
  %y = loom.add %x, %p : (tensor<2x4x3xf32>, tensor<2x4x3xf32>) -> tensor<2x4x3xf32>
  %z = loom.add %y, %q : (tensor<2x4x3xf32>, tensor<f32>) -> tensor<2x4x3xf32>
  %l = loom.mse %z, %x : tensor<2x4x3xf32>
  return %l : tensor<f32>
}
