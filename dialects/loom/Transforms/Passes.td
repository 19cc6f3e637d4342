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

def LoomAutodiffPass : Pass<"loom-autodiff", "::mlir::ModuleOp"> {
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
    Option<"functionName", "function", "std::string", "",
           "Name of the forward function to differentiate (default: every "
           "function with loom.param arguments)">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def LoomBuildTrainStepPass : Pass<"loom-build-train-step", "::mlir::ModuleOp"> {
  let summary = "Build the in-place training step from the gradient function";
  let description = [{
    Turns `F` and `F_grad` (from -loom-autodiff) into the functions of a
    training step, over buffers (memrefs) owned by the caller:

    - `forward_backward(params, grads, inputs) -> loss` computes the loss
      and writes every gradient into its buffer, with a
      `loom.gradient_ready` on that buffer where the backward pass has
      computed the gradient;
    - `grad_norm(grads, ranges) -> ‖g‖₂`, the norm that gradient clipping
      needs between the backward pass and the update;
    - one `update_<optimizer>(params, grads, state, hyperparameters,
      grad_scale[, step], ranges)` per optimizer (`sgd`: SGD with momentum,
      `adamw`: AdamW), which updates parameters and that optimizer's state
      in place;
    - `eval_loss(inputs, params) -> loss`, `F` on the same buffers,
      changing nothing.

    `ranges` (`memref<Px2xi64>`, `loom.hyper = "ranges"`) holds, for each
    parameter p, the elements [begin, end) of it (row-major) that the
    function reads: the whole parameter, or the shard whose optimizer state
    a rank holds under ZeRO-1. An update's state buffers hold the range's
    elements alone, state element j being parameter element begin + j.

    ```mlir
    // forward_backward: the gradient of %w is final after the op that
    // computes it; the buffers are written at the end
    %dw = loom.matmul %x, %dz {transpose_lhs} : ...
    loom.gradient_ready %dw_buf : memref<64x128xf32>
    ...
    bufferization.materialize_in_destination %dw in restrict writable %dw_buf
    // update_sgd: the range [%b, %b + %n) of %w
    %w_flat = memref.collapse_shape %w_buf [[0, 1]]
    %w_range = memref.subview %w_flat[%b] [%n] [1]
    %w = bufferization.to_tensor %w_range restrict writable
    %w2, %v2 = loom.sgd_update %w, %dw, %v, lr %lr, momentum %mu, scale %s : tensor<?xf32>
    bufferization.materialize_in_destination %w2 in writable %w_range
    ```
    Gradients are computed directly in their buffers (empty-tensor
    elimination); updates are lowered to write into the tensors of the
    parameter and the state, so their write-backs are no-ops and no second
    copy of a parameter exists. Splitting the step lets the runtime reduce
    gradients over ranks (starting with each as soon as it is ready) and
    clip them between backward and update.
    Hyperparameters and the step number are scalar arguments
    (`loom.hyper`): changing them never recompiles. AdamW decays only
    parameters of rank 2 or more. `F` and `F_grad` are removed.
  }];
  let options = [
    Option<"functionName", "function", "std::string", "",
           "Name of the forward function whose `_grad` is consumed (default: "
           "the one function that has a `_grad`)">,
  ];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::memref::MemRefDialect"];
}

def LoomComputeInF64Pass : Pass<"loom-compute-in-f64", "::mlir::ModuleOp"> {
  let summary = "Compute the forward and backward passes in f64 behind an f32 interface";
  let description = [{
    `loomc --precision=fp64`, for checking rather than speed: in the entry
    points named by `functions` (by default the loss, the gradients and
    inference), every floating-point value becomes f64. The buffers stay
    f32, as abi.h and the runtime hold them: each f32 tensor read from a
    buffer (`bufferization.to_tensor`) is widened once with `arith.extf`,
    and each tensor written into one (`materialize_in_destination`) is
    rounded with `arith.truncf`. A returned loss is returned as f64.

    ```mlir
    %w = bufferization.to_tensor %arg0 : memref<5x7xf32> to tensor<5x7xf32>
    %y = loom.matmul %x, %w : (tensor<8x5xf32>, tensor<5x7xf32>) -> tensor<8x7xf32>
    // =>
    %w = bufferization.to_tensor %arg0 : memref<5x7xf32> to tensor<5x7xf32>
    %w64 = arith.extf %w : tensor<5x7xf32> to tensor<5x7xf64>
    %y = loom.matmul %x64, %w64 : (tensor<8x5xf64>, tensor<5x7xf64>) -> tensor<8x7xf64>
    ```

    The optimizer's functions are left alone: they update the f32 masters.
    Run it after -loom-build-train-step; every later pass sees f64 there.
  }];
  let options = [
    ListOption<"functions", "functions", "std::string",
               "The functions to compute in f64 (default: forward_backward, "
               "eval_loss, prefill, decode; those missing are skipped)">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def LoomOutlineBlocksPass : Pass<"loom-outline-blocks", "::mlir::ModuleOp"> {
  let summary = "Compile the code of a repeated block once, called per instance";
  let description = [{
    A model's `repeat(layers, block, x)` builds its instances with locations
    named `h.0`, `h.1`, ... (the module's `loom.repeats` lists the scopes),
    so every entry function holds `layers` copies of the block's forward
    ops, and of its backward ops. Compiling each copy makes the compile time
    grow with depth. In each public function, every run of consecutive ops
    of one instance (constants and `loom.gradient_ready` aside) becomes a
    call of a private function, in destination-passing style: the function
    takes what the run reads (parameters, activations), a destination
    tensor for each value it computes for outside (a
    `bufferization.alloc_tensor` of the caller's, so that the caller's
    memory plan holds it; `tensor.empty` ones would be merged by CSE), and
    the buffer of each gradient the run computes, which it writes itself,
    in the caller's order of writes; the gradients said ready in the run
    are said so after the call, which is marked `loom.instance`. The
    functions are `no_inline` and marked `loom.entry`. Then the
    functions that are the same up to locations -- every instance's forward
    ops, and every instance's backward ops -- are one:

    ```mlir
    %h1 = loom.fused_linear ... loc("h.0")     ...   loc("h.0")
    %h2 = loom.fused_linear ... loc("h.1")     ...   loc("h.1")
    // =>
    %d0 = bufferization.alloc_tensor() : tensor<...>
    %h1 = call @forward_backward.h.0.0(%h0, %w0, ..., %d0) {loom.instance = "h.0"}
    %d1 = bufferization.alloc_tensor() : tensor<...>
    %h2 = call @forward_backward.h.0.0(%h1, %w1, ..., %d1) {loom.instance = "h.1"}
    ```

    Slices at fixed offsets that together cover their source (attention's
    q, k and v of one packed projection) are returned as the source and
    sliced again where read; a run that reads a slice takes its source and
    slices it inside (a slice passed to a function as a strided view would
    be copied).

    Fusion has run already, inside each instance. Runs that differ (the
    first block when its input needs no gradient, say) keep functions of
    their own.

    With `recompute-blocks` (loomc `--remat-blocks`), an instance's backward
    call no longer reads what its forward call saved: the forward call is
    made again, from the block's input, right before the backward one, so
    that of each layer's forward pass only the block's output stays alive
    until the backward pass (MaxText's full rematerialization).
  }];
  let options = [
    Option<"recomputeBlocks", "recompute-blocks", "bool", /*default=*/"false",
           "Recompute each instance's forward call right before its "
           "backward call instead of keeping what the forward call saved">
  ];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::func::FuncDialect"];
}

def LoomBuildInferencePass : Pass<"loom-build-inference", "::mlir::ModuleOp"> {
  let summary = "Build prefill and decode, with a key/value cache, from the forward pass";
  let description = [{
    From the forward function of a causal language model (token ids
    `[B, T]` → logits `[B, T, V]` → `cross_entropy`), builds the inference
    entry points over caller-owned buffers:

    - `prefill(params, caches, tokens [Bs, P], position, logits [Bs, P, V])`
    - `decode(params, caches, tokens [Bs, 1], position, logits [Bs, 1, V])`

    Only what the logits need is kept; the loss and the targets are not.
    Each attention becomes `loom.cached_attention`, whose key/value caches
    `[Bs, C, Hkv·D]` are arguments (`loom.cache = "cache.N.key"`, `".value"`)
    read and written in place; `rope` rotates by the angles of
    `position + t`; the rows of a learned position table (a `loom.slice`
    marked `loom.positions`) start at `position`. Every other op must work
    on each position on its own (embedding, add, norms, activations,
    products of a token's row by a weight, slices of features): otherwise
    no entry points are built and the reason is kept in the module's `loom.no_inference` for the executable to report.
    Training is never affected.

    The cache holds `C` positions: `context`, else the module's
    `loom.context` (the model's `ctx` constant), else the rows of its
    position table, else its training window; at most the table's rows.
    The chosen `C` is written back to `loom.context`.
  }];
  let options = [
    Option<"functionName", "function", "std::string", "\"forward\"",
           "Name of the forward function">,
    Option<"sampleBatch", "sample-batch", "int64_t", "1",
           "Sequences decoded side by side">,
    Option<"context", "context", "int64_t", "0",
           "Positions the key/value cache holds (0: the model's)">,
    Option<"prefillLength", "prefill-length", "int64_t", "0",
           "Tokens one prefill call takes (0: the training window, at most "
           "the context)">,
  ];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect",
                           "::mlir::arith::ArithDialect"];
}

def LoomFuseLinearPass : Pass<"loom-fuse-linear", "::mlir::ModuleOp"> {
  let summary = "Fuse weight-bias-activation chains, forward and backward";
  let description = [{
    Forward: `act(matmul(x, W) + b) => fused_linear act(x, W, b)`, also for a
    chain without bias or without activation. When the backward pass needs
    the pre-activation value (GELU), the fused op returns it as well. A sum
    `output + r` that is the output's only use, `r` of the output's type (a
    residual stream) and not the output itself, becomes the fused op's
    `residual` operand, added in the same epilogue; the fused op then sits
    where the sum was, so the sum must be in the same block and come before
    every other use of the pre-activation (its gradient).

    Backward: with `dz = activation_grad(saved, dy)` (or `dz = dy` without
    activation),
    `matmul(dz, W)ᵀ, matmul(x, dz)ᵀ, reduce_sum(dz) => fused_linear_grad`.

    A chain is left alone, and a remark says why, when an intermediate value
    has a use outside the chain (the matmul result or the pre-activation
    value used elsewhere, or the pre-activation gradient consumed by another
    op), since fusing it would recompute or store that value after all.
    Every fused chain is reported with a remark as well.

    The statistics count chains once each, although the training step and
    `eval_loss` both hold a forward chain. In an LLVM built without
    assertions (Debian's) `Pass::Statistic` counts nothing, so the same
    counts also reach a caller of `createLoomFuseLinearPass(FusionStatistics
    &)`, which is how loomc prints its summary.
  }];
  let statistics = [
    Statistic<"fusedChains", "fused-chains",
              "Chains fused, forward and backward">,
    Statistic<"unfusedSeveralActivations", "unfused-several-activations",
              "Forward chains left alone: the pre-activation feeds several activations">,
    Statistic<"unfusedProductUses", "unfused-product-uses",
              "Forward chains left alone: the product x·W has other uses">,
    Statistic<"unfusedPreActivationUses", "unfused-pre-activation-uses",
              "Forward chains left alone: the pre-activation has another use">,
    Statistic<"unfusedGradientUses", "unfused-gradient-uses",
              "Backward chains left alone: the pre-activation gradient feeds another op">,
    Statistic<"unfusedOperandOrder", "unfused-operand-order",
              "Backward chains left alone: an operand is computed after the gradient products start">,
  ];
}

def LoomRematerializePass : Pass<"loom-rematerialize", "::mlir::ModuleOp"> {
  let summary = "Recompute cheap forward values in the backward pass instead of keeping them";
  let description = [{
    In a function that returns a loss and then computes gradients (the
    backward pass: every op after the one producing the loss), a forward
    value the backward pass reads is recomputed right before its first
    backward use when that is cheap and keeps nothing new alive: the output
    of `layer_norm`, `rms_norm`, `gelu`, `gelu_erf`, `silu` or `swiglu`,
    whose inputs the backward pass reads anyway (their gradients do), and
    the activated output of a `fused_linear` that also returns its
    pre-activation (recomputed as the activation of it). Backward uses then
    read the recomputed value, and the forward one dies with its last
    forward use, which lowers the memory peak at the turn from forward to
    backward.

    ```mlir
    %y = loom.layer_norm %x, %g, %b ...        // forward
    ... (loss) ...
    %dw = loom.matmul %y, %dz {transpose_lhs}  // backward
    // =>
    %y = loom.layer_norm %x, %g, %b ...
    ... (loss) ...
    %y2 = loom.layer_norm %x, %g, %b ...
    %dw = loom.matmul %y2, %dz {transpose_lhs}
    ```

    Values whose recomputation would read something the backward pass does
    not otherwise keep are left alone. Recomputations carry the unit
    attribute `loom.recomputed`, which the lowering passes on to their linalg
    ops, so that CSE does not merge them back into the forward ops.
  }];
}

#endif // LOOM_TRANSFORMS_PASSES_TD
