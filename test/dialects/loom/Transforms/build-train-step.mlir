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
// elements: only the gradients, read-only, each passed with the ranges and
// its row in them to the kernel for its shape; parameters are not
// arguments and nothing is written.
// CHECK-LABEL: func.func @grad_norm
// CHECK-SAME: (%[[DW:[^:]+]]: memref<4x3xf32> {loom.grad = "w"}, %[[DB:[^:]+]]: memref<3xf32> {loom.grad = "b"}, %[[R:[^:]+]]: memref<2x2xi64> {loom.hyper = "ranges"}) -> f32 {
// CHECK-NOT: writable
// CHECK: %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[P0:.+]] = arith.constant 0 : index
// CHECK: %[[SW:.+]] = call @sum_squares.range.4x3(%[[DW]], %[[R]], %[[P0]]) : (memref<4x3xf32>, memref<2x2xi64>, index) -> f32
// CHECK: %[[ACC:.+]] = arith.addf %[[ZERO]], %[[SW]] : f32
// CHECK: %[[P1:.+]] = arith.constant 1 : index
// CHECK: %[[SB:.+]] = call @sum_squares.range.3(%[[DB]], %[[R]], %[[P1]]) : (memref<3xf32>, memref<2x2xi64>, index) -> f32
// CHECK: %[[TOTAL:.+]] = arith.addf %[[ACC]], %[[SB]] : f32
// CHECK: %[[NORM:.+]] = math.sqrt %[[TOTAL]] : f32
// CHECK-NOT: materialize_in_destination
// CHECK: return %[[NORM]] : f32

// update_sgd(params, grads, momentum buffers, lr, momentum, grad_scale,
// ranges): per parameter, a call of the kernel for its shape with its
// parameter, gradient and state buffers, the hyperparameters, the ranges
// and its row in them. No step argument, no result.
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
// CHECK: %[[P0:.+]] = arith.constant 0 : index
// CHECK: call @sgd.range.4x3(%[[W]], %[[DW]], %[[VW]], %[[LR]], %[[MU]], %[[S]], %[[R]], %[[P0]])
// CHECK: %[[P1:.+]] = arith.constant 1 : index
// CHECK: call @sgd.range.3(%[[B]], %[[DB]], %[[VB]], %[[LR]], %[[MU]], %[[S]], %[[R]], %[[P1]])
// CHECK: return{{$}}

// update_adamw(params, grads, exp_avg..., exp_avg_sq..., lr, beta1, beta2,
// eps, weight_decay, grad_scale, step, ranges): the weight goes to the
// kernel that decays by the weight_decay argument, the rank-1 bias to one
// that decays by a constant 0.
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
// CHECK: call @adamw.range.4x3.decay(%[[W]], %[[DW]], %[[MW]], %[[VW]], %[[LR]], %[[B1]], %[[B2]], %[[EPS]], %[[WD]], %[[S]], %[[STEP]], %[[R]], %{{.+}})
// CHECK: call @adamw.range.3(%[[B]], %[[DB]], %[[MB]], %[[VB]], %[[LR]], %[[B1]], %[[B2]], %[[EPS]], %[[WD]], %[[S]], %[[STEP]], %[[R]], %{{.+}})
// CHECK: return{{$}}

// The kernels, one per optimizer, parameter shape and decay, never
// inlined. AdamW's: [begin, end) from the ranges' row p; 1-D views of
// parameter and gradient at begin, of the state buffers (which hold the
// range alone) from their start; parameter and state are read through
// writable tensors and written back into the same views; the gradient is
// read-only.
// CHECK-LABEL: func.func private @adamw.range.4x3.decay
// CHECK-SAME: (%[[P:[^:]+]]: memref<4x3xf32>, %[[G:[^:]+]]: memref<4x3xf32>, %[[M:[^:]+]]: memref<4x3xf32>, %[[V:[^:]+]]: memref<4x3xf32>, %[[LR:[^:]+]]: f32, %[[B1:[^:]+]]: f32, %[[B2:[^:]+]]: f32, %[[EPS:[^:]+]]: f32, %[[WD:[^:]+]]: f32, %[[S:[^:]+]]: f32, %[[STEP:[^:]+]]: i64, %[[R:[^:]+]]: memref<2x2xi64>, %[[ROW:[^:]+]]: index) attributes {loom.entry = "update_adamw", no_inline} {
// CHECK: %[[BEGIN64:.+]] = memref.load %[[R]][%[[ROW]], %{{.+}}] : memref<2x2xi64>
// CHECK: %[[BEGIN:.+]] = arith.index_cast %[[BEGIN64]] : i64 to index
// CHECK: %[[END64:.+]] = memref.load %[[R]][%[[ROW]], %{{.+}}] : memref<2x2xi64>
// CHECK: %[[END:.+]] = arith.index_cast %[[END64]] : i64 to index
// CHECK: %[[N:.+]] = arith.subi %[[END]], %[[BEGIN]] : index
// CHECK: %[[PFLAT:.+]] = memref.collapse_shape %[[P]] {{\[\[}}0, 1]] : memref<4x3xf32> into memref<12xf32>
// CHECK: %[[PR:.+]] = memref.subview %[[PFLAT]][%[[BEGIN]]] [%[[N]]] [1]
// CHECK: %[[GFLAT:.+]] = memref.collapse_shape %[[G]]
// CHECK: %[[GR:.+]] = memref.subview %[[GFLAT]][%[[BEGIN]]] [%[[N]]] [1]
// CHECK: %[[MFLAT:.+]] = memref.collapse_shape %[[M]]
// CHECK: %[[MR:.+]] = memref.subview %[[MFLAT]][0] [%[[N]]] [1]
// CHECK: %[[MT:.+]] = bufferization.to_tensor %[[MR]] restrict writable :
// CHECK: %[[VFLAT:.+]] = memref.collapse_shape %[[V]]
// CHECK: %[[VR:.+]] = memref.subview %[[VFLAT]][0] [%[[N]]] [1]
// CHECK: %[[VT:.+]] = bufferization.to_tensor %[[VR]] restrict writable :
// CHECK-DAG: %[[PT:.+]] = bufferization.to_tensor %[[PR]] restrict writable :
// CHECK-DAG: %[[GT:.+]] = bufferization.to_tensor %[[GR]] restrict :
// CHECK: %[[NP:.+]], %[[NM:.+]], %[[NV:.+]] = loom.adamw_update %[[PT]], %[[GT]], %[[MT]], %[[VT]], lr %[[LR]], betas %[[B1]], %[[B2]], eps %[[EPS]], weight_decay %[[WD]], step %[[STEP]], scale %[[S]] : tensor<?xf32>
// CHECK-DAG: bufferization.materialize_in_destination %[[NP]] in writable %[[PR]] :
// CHECK-DAG: bufferization.materialize_in_destination %[[NM]] in writable %[[MR]] :
// CHECK-DAG: bufferization.materialize_in_destination %[[NV]] in writable %[[VR]] :
// CHECK-NOT: in {{(restrict )?}}writable %[[GR]] :
// CHECK: return{{$}}
// CHECK-LABEL: func.func private @adamw.range.3(
// CHECK: %[[NODECAY:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: loom.adamw_update {{.+}} weight_decay %[[NODECAY]], {{.+}} : tensor<?xf32>
// SGD has no decay: one kernel per shape.
// CHECK-LABEL: func.func private @sgd.range.4x3(
// CHECK: %[[PR:.+]] = memref.subview %{{.+}}[%{{.+}}] [%[[N:.+]]] [1]
// CHECK: %[[GR:.+]] = memref.subview %{{.+}}[%{{.+}}] [%[[N]]] [1]
// CHECK: %[[VR:.+]] = memref.subview %{{.+}}[0] [%[[N]]] [1]
// CHECK: %[[NP:.+]], %[[NV:.+]] = loom.sgd_update
// CHECK-DAG: bufferization.materialize_in_destination %[[NP]] in writable %[[PR]] :
// CHECK-DAG: bufferization.materialize_in_destination %[[NV]] in writable %[[VR]] :
// CHECK-NOT: in {{(restrict )?}}writable %[[GR]] :
// CHECK: return{{$}}
// CHECK-LABEL: func.func private @sum_squares.range.4x3(
// CHECK-SAME: %[[G:[^:]+]]: memref<4x3xf32>, %[[R:[^:]+]]: memref<2x2xi64>, %[[ROW:[^:]+]]: index) -> f32 attributes {loom.entry = "grad_norm", no_inline} {
// CHECK: memref.load %[[R]][%[[ROW]],
// CHECK: %[[GFLAT:.+]] = memref.collapse_shape %[[G]]
// CHECK: %[[GR:.+]] = memref.subview %[[GFLAT]][
// CHECK: %[[GT:.+]] = bufferization.to_tensor %[[GR]] restrict :
// CHECK: loom.sum_squares %[[GT]] : tensor<?xf32>

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
// decayed like a matrix, a rank-0 one (a scalar offset) is not. Their
// kernels update them through 1-D rows: the rank-3 one collapsed, the
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
// CHECK: call @adamw.range.2x4x3.decay(%[[P]], {{.+}}, %[[WD]], %{{.+}}, %[[STEP]], %{{.+}}, %{{.+}})
// CHECK: call @adamw.range.scalar(%[[Q]], {{.+}}, %[[WD]], %{{.+}}, %[[STEP]], %{{.+}}, %{{.+}})
// CHECK: return{{$}}
// CHECK-LABEL: func.func private @adamw.range.2x4x3.decay(
// CHECK-SAME: %{{[^:]+}}: f32, %[[KWD:[^:]+]]: f32, %{{[^:]+}}: f32, %{{[^:]+}}: i64,
// CHECK: memref.collapse_shape %{{.+}} {{\[\[}}0, 1, 2]] : memref<2x4x3xf32> into memref<24xf32>
// CHECK: loom.adamw_update {{.+}} weight_decay %[[KWD]], {{.+}} : tensor<?xf32>
// CHECK-LABEL: func.func private @adamw.range.scalar(
// CHECK: memref.expand_shape %{{.+}} [] output_shape [1] : memref<f32> into memref<1xf32>
// CHECK: %[[NODECAY:.+]] = arith.constant 0.000000e+00 : f32
// CHECK: loom.adamw_update {{.+}} weight_decay %[[NODECAY]], {{.+}} : tensor<?xf32>

func.func @rank3_and_scalar_model(%x: tensor<2x4x3xf32> {loom.input = "x"},
                   %p: tensor<2x4x3xf32> {loom.param = "p"},
                   %q: tensor<f32> {loom.param = "q"}) -> tensor<f32> {
  %y = loom.add %x, %p : (tensor<2x4x3xf32>, tensor<2x4x3xf32>) -> tensor<2x4x3xf32>
  %z = loom.add %y, %q : (tensor<2x4x3xf32>, tensor<f32>) -> tensor<2x4x3xf32>
  %l = loom.mse %z, %x : tensor<2x4x3xf32>
  return %l : tensor<f32>
}
