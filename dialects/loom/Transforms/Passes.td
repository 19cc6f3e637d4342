//===- Passes.td - The loom dialect's own transformations --*- tablegen -*-===//
//
// Organization: the passes run in the order they appear here. Autodiff turns
// the forward function into one that also returns every parameter's gradient;
// the train-step builder adds the optimizer update and makes parameters,
// gradients and optimizer state in-place buffers; fusion then rewrites
// weight-bias-activation chains, forward and backward, into fused ops.
//
//===----------------------------------------------------------------------===//

#ifndef LOOM_TRANSFORMS_PASSES_TD
#define LOOM_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def LoomAutodiff : Pass<"loom-autodiff", "::mlir::ModuleOp"> {
  let summary = "Derive the gradient of a scalar loss by reverse-mode autodiff";
  let description = [{
    Clones the forward function `F(params, inputs) -> loss` into
    `F_grad(params, inputs) -> (loss, dloss/dparam...)`, one gradient per
    argument marked `loom.param`, in argument order.

    The backward pass visits the forward ops in reverse and asks each for its
    gradient rule (`DifferentiableOpInterface`). Adjoints of a value with
    several uses are summed. Only operands that depend on a parameter get
    adjoints, so inputs never cost a gradient. For example:

    ```mlir
    %y = loom.matmul %x, %w          // x: input, w: param
    %l = loom.mse %y, %t
    ```
    becomes, after the forward ops,
    ```mlir
    %one = arith.constant dense<1.0> : tensor<f32>
    %dy = loom.mse_grad %y, %t, %one
    %dw = loom.matmul %x, %dy {transpose_lhs}   // no dX: x is an input
    ```
    A parameter that does not influence the loss gets `loom.zeros` as its
    gradient and a warning. An op without a gradient rule is an error that
    names the op.
  }];
  let options = [
    Option<"functionName", "function", "std::string", "\"forward\"",
           "Name of the forward function to differentiate">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def LoomBuildTrainStep : Pass<"loom-build-train-step", "::mlir::ModuleOp"> {
  let summary = "Build the in-place training step from the gradient function";
  let description = [{
    Turns `F_grad` (from -loom-autodiff) into
    `train_step(params, grads, optimizer state, inputs, hyperparameters) -> loss`
    whose buffers are memrefs owned by the caller. Each step computes the
    loss and the gradients, writes the gradients into their buffers and
    updates parameters and optimizer state in place:

    ```mlir
    %w = bufferization.to_tensor %w_buf restrict writable
    %v = bufferization.to_tensor %v_buf restrict writable
    ...                                              // forward and backward
    bufferization.materialize_in_destination %dw in restrict writable %dw_buf
    %w2, %v2 = loom.sgd_update %w, %dw, %v, lr %lr, momentum %mu
    bufferization.materialize_in_destination %w2 in writable %w_buf
    bufferization.materialize_in_destination %v2 in writable %v_buf
    ```
    Gradients are computed directly in their buffers (empty-tensor
    elimination); the update is lowered to write into the tensors of `%w` and
    `%v`, so its write-back is a no-op and no second copy of a parameter
    exists. The learning rate, the optimizer's other hyperparameters and the
    step number are scalar arguments (`loom.hyper`): changing them never
    recompiles.

    `F` itself becomes `eval_loss(params, inputs) -> loss` on the same
    buffers, which reads them and changes nothing. `F` and `F_grad` are
    removed.
  }];
  let options = [
    Option<"functionName", "function", "std::string", "\"forward\"",
           "Name of the forward function whose `_grad` is consumed">,
    Option<"optimizer", "optimizer", "std::string", "\"sgd\"",
           "Optimizer of the update: sgd (with momentum)">,
  ];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect",
                           "::mlir::tensor::TensorDialect"];
}

def LoomFuseLinear : Pass<"loom-fuse-linear", "::mlir::ModuleOp"> {
  let summary = "Fuse weight-bias-activation chains, forward and backward";
  let description = [{
    Forward: `act(matmul(x, W) + b) => fused_linear act(x, W, b)`, also for a
    chain without bias or without activation. When the backward pass needs
    the pre-activation value (GELU), the fused op returns it as well.

    Backward: with `dz = activation_grad(saved, dy)` (or `dz = dy` without
    activation),
    `matmul(dz, W)ᵀ, matmul(x, dz)ᵀ, reduce_sum(dz) => fused_linear_grad`.

    A chain is left alone, and a remark says why, when an intermediate value
    has a use outside the chain (the matmul result or the pre-activation
    value used elsewhere, or the pre-activation gradient consumed by another
    op), since fusing it would recompute or store that value after all.
    Every fused chain is reported with a remark as well.
  }];
}

#endif // LOOM_TRANSFORMS_PASSES_TD
