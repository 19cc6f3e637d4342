//===- ElementwiseOps.td - Sums, activations, reductions ---*- tablegen -*-===//

def Loom_AddOp : Loom_DifferentiableOp<"add"> {
  let summary = "Elementwise sum, broadcasting the lower-rank operand";
  let description = [{
    `result = lhs + rhs`. When the ranks differ, the lower-rank operand's
    shape must equal the trailing dimensions of the other's, and it is
    broadcast along the leading ones (a bias `[N]` added to activations
    `[M, N]`, positions `[T, C]` added to token embeddings `[B, T, C]`). Its
    adjoint is then summed over the broadcast dimensions. A residual
    connection is an add of equal shapes.

    ```mlir
    %y = loom.add %xw, %b : (tensor<256x128xf32>, tensor<128xf32>) -> tensor<256x128xf32>
    ```
  }];
  let arguments = (ins Loom_FloatTensor:$lhs, Loom_FloatTensor:$rhs);
  let results = (outs Loom_FloatTensor:$result);
  let assemblyFormat = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

// An activation of kind `kind` (a case of Loom_Activation); `readsInput`:
// its gradient reads x (and so x is worth keeping and y cheap to
// recompute), else y.
class Loom_ActivationOp<string mnemonic, string kind, bit readsInput,
                        string formula>
    : Loom_DifferentiableOp<mnemonic,
        !listconcat([Elementwise, SameOperandsAndResultType,
                     Loom_ActivationOpInterface],
                    !if(readsInput, [Loom_CheapToRecompute], []))> {
  let summary = "Elementwise " # formula;
  let arguments = (ins Loom_FloatTensor:$input);
  let results = (outs Loom_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let extraClassDeclaration = [{
    static ::mlir::loom::Activation getKind() {
      return ::mlir::loom::Activation::}] # kind # [{;
    }
    static bool gradientReadsInput() { return }] #
        !if(readsInput, "true", "false") # [{; }
  }];
}

def Loom_GeluOp : Loom_ActivationOp<"gelu", "gelu", 1,
    "GELU, tanh approximation: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))"> {
  let description = [{
    ```mlir
    %y = loom.gelu %x : tensor<256x128xf32>
    ```
    Its gradient needs the input `x`, which is kept from the forward pass.
  }];
}

def Loom_GeluErfOp : Loom_ActivationOp<"gelu_erf", "gelu_erf", 1,
    "exact GELU: 0.5·x·(1 + erf(x/√2))"> {
  let description = [{
    ```mlir
    %y = loom.gelu_erf %x : tensor<256x128xf32>
    ```
    Its gradient needs the input `x`.
  }];
}

def Loom_ReluOp : Loom_ActivationOp<"relu", "relu", 0, "max(x, 0)"> {
  let description = [{
    ```mlir
    %y = loom.relu %x : tensor<256x128xf32>
    ```
    Its gradient needs only the output (`y > 0` exactly where `x > 0`).
  }];
}

def Loom_TanhOp : Loom_ActivationOp<"tanh", "tanh", 0, "tanh(x)"> {
  let description = [{
    ```mlir
    %y = loom.tanh %x : tensor<256x128xf32>
    ```
    Its gradient needs only the output: `dx = dy·(1 − y²)`.
  }];
}

def Loom_SiluOp : Loom_ActivationOp<"silu", "silu", 1, "SiLU: x·σ(x)"> {
  let description = [{
    ```mlir
    %y = loom.silu %x : tensor<256x128xf32>
    ```
    Its gradient needs the input `x`.
  }];
}

def Loom_SwigluOp : Loom_DifferentiableOp<"swiglu",
    [Elementwise, AllTypesMatch<["gate", "up", "result"]>, Loom_CheapToRecompute]> {
  let summary = "SwiGLU: silu(gate)·up";
  let description = [{
    The gated unit of a Llama MLP, `down_proj(silu(gate_proj(x)) ·
    up_proj(x))`, as one elementwise op.

    ```mlir
    %h = loom.swiglu %gate, %up : tensor<4x37x344xf32>
    ```
    Its gradient needs both operands.
  }];
  let arguments = (ins Loom_FloatTensor:$gate, Loom_FloatTensor:$up);
  let results = (outs Loom_FloatTensor:$result);
  let assemblyFormat = "$gate `,` $up attr-dict `:` type($result)";
}

//===----------------------------------------------------------------------===//
// Gradient ops
//===----------------------------------------------------------------------===//

def Loom_ActivationGradOp : Loom_Op<"activation_grad",
    [AllTypesMatch<["saved", "output_grad", "result"]>]> {
  let summary = "Adjoint of an activation's input: dy · f'(x)";
  let description = [{
    `saved` is what the activation's gradient needs from the forward pass:
    its input `x` for `gelu`, `gelu_erf` and `silu`, its output `y` for
    `relu` and `tanh`.

    ```mlir
    %dx = loom.activation_grad gelu %x, %dy : tensor<256x128xf32>
    ```
  }];
  let arguments = (ins Loom_ActivationAttr:$activation, Loom_FloatTensor:$saved,
                       Loom_FloatTensor:$output_grad);
  let results = (outs Loom_FloatTensor:$result);
  let assemblyFormat =
      "custom<Activation>($activation) $saved `,` $output_grad attr-dict `:` type($result)";
  let hasVerifier = 1;
}

def Loom_SwigluGradOp : Loom_Op<"swiglu_grad",
    [AllTypesMatch<["gate", "up", "output_grad", "gate_grad", "up_grad"]>]> {
  let summary = "Adjoints of SwiGLU's operands";
  let description = [{
    `dgate = dy·up·silu'(gate)`, `dup = dy·silu(gate)`, in one pass.

    ```mlir
    %dg, %du = loom.swiglu_grad %gate, %up, %dy : tensor<4x37x344xf32>
    ```
  }];
  let arguments = (ins Loom_FloatTensor:$gate, Loom_FloatTensor:$up,
                       Loom_FloatTensor:$output_grad);
  let results = (outs Loom_FloatTensor:$gate_grad, Loom_FloatTensor:$up_grad);
  let assemblyFormat = "$gate `,` $up `,` $output_grad attr-dict `:` type($gate)";
}

def Loom_ReduceSumOp : Loom_Op<"reduce_sum"> {
  let summary = "Sum over leading dimensions";
  let description = [{
    Sums `input` over its leading dimensions so that the result has the
    shape of its trailing ones: the adjoint of a broadcast operand of
    `loom.add` (a bias gradient `db[n] = Σ_m dy[m, n]`).

    ```mlir
    %db = loom.reduce_sum %dy : (tensor<256x128xf32>) -> tensor<128xf32>
    ```
  }];
  let arguments = (ins Loom_FloatTensor:$input);
  let results = (outs Loom_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Loom_ZerosOp : Loom_Op<"zeros"> {
  let summary = "A tensor of zeros";
  let description = [{
    The gradient of a parameter that does not influence the loss.

    ```mlir
    %z = loom.zeros : tensor<64x128xf32>
    ```
  }];
  let results = (outs Loom_FloatTensor:$result);
  let assemblyFormat = "attr-dict `:` type($result)";
}
