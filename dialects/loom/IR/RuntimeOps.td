//===- RuntimeOps.td - What compiled code tells its runtime -*- tablegen -*-===//
//
// Ops with an effect outside the tensors: they hand the runtime that calls
// an entry point (abi.h) a fact it can act on before the call returns.

// A loom op that reads or writes memory the runtime shares, declared by its
// operands' effects; unlike the tensor ops, never Pure.
class Loom_RuntimeOp<string mnemonic, list<Trait> traits = []>
    : Op<Loom_Dialect, mnemonic, traits>;

def Loom_GradientReadyOp : Loom_RuntimeOp<"gradient_ready"> {
  let summary = "a gradient buffer holds its final value for this call";
  let description = [{
    Placed by `-loom-build-train-step` in `forward_backward` right after the
    op that computes the final value of a gradient, whose buffer (a
    `loom.grad` argument) receives it. After bufferization,
    `-loom-lower-gradient-ready` moves it after the last access to that
    buffer and lowers it to a call of the runtime's
    `loom_gradient_ready(g)`, `g` being the buffer's position among the
    function's `loom.grad` arguments: from the call on, the backward pass
    neither writes nor reads the buffer, and the runtime may reduce the
    gradient over ranks, in place, while the pass goes on
    (docs/distributed.md). The operand's effects say that the runtime reads
    and rewrites the buffer.

    ```mlir
    loom.gradient_ready %grad_w : memref<64x128xf32>
    ```
  }];
  let arguments = (ins Arg<F32MemRef, "the gradient buffer",
                           [MemRead, MemWrite]>:$gradient);
  let assemblyFormat = "$gradient attr-dict `:` type($gradient)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    // The operand's position among the enclosing function's loom.grad
    // arguments: the index loom_gradient_ready receives.
    unsigned getGradientIndex();
  }];
}

def Loom_TableBufferOp : Loom_RuntimeOp<"table_buffer", [Pure]> {
  let summary = "one of the runtime's buffers, chosen at run time";
  let description = [{
    The buffer of tensor `index` of the runtime's table (abi.h's
    `buffers`: one pointer per tensor of the model's tensor table), as a
    memref of the tensor's static shape. `table` is the entry function's
    argument marked `loom.buffer_table`, through which the runtime passes
    the table itself.

    `-loom-roll-repeated-calls` builds it when it turns the calls of a
    repeated block, one per layer, into a loop over the layers: the
    parameters and gradients of layer `i` are the buffers at the table
    positions a constant array holds for `i`. Pure: the table does not
    change during a call of the entry point.

    ```mlir
    %w = loom.table_buffer %table[%index] : memref<768x2304xf32>
    ```
  }];
  let arguments = (ins AnyType:$table, Index:$index);
  let results = (outs AnyStaticShapeMemRef:$buffer);
  let assemblyFormat =
      "$table `[` $index `]` attr-dict `:` type($table) `->` type($buffer)";
  let hasVerifier = 1;
}
