//===- AttentionOps.td - Causal self-attention and RoPE ----*- tablegen -*-===//

def Loom_AttentionOp : Loom_DifferentiableOp<"attention",
    [AllTypesMatch<["query", "output"]>, AllTypesMatch<["key", "value"]>]> {
  let summary = "Causal multi-head scaled dot-product attention";
  let description = [{
    Queries `[B, T, H·D]`, keys and values `[B, T, Hkv·D]`, heads laid out
    side by side in the last dimension (head `h` is columns `h·D` to
    `h·D + D − 1`), as the projections produce them, so no reshape or
    transpose is ever materialized. For each batch row and head:
    `P = softmax(Q·Kᵀ/√D + causal mask)`, `O = P·V`. Query head `h` reads
    key/value head `h / (H / Hkv)` (grouped-query attention when
    `kv_heads < heads`).

    The second result is each query's log-sum-exp of its scaled, masked
    scores, `L = log Σ_j exp(S_ij)`, `[B, H, T]`: with `O` it is all that
    the backward pass keeps from the forward pass, which recomputes
    `P = exp(S − L)` block by block instead of keeping `T²` probabilities
    per head.

    ```mlir
    %o, %lse = loom.attention %q, %k, %v heads(3, 3) : tensor<4x37x96xf32>, tensor<4x37x96xf32> -> tensor<4x3x37xf32>
    ```
  }];
  let arguments = (ins 3DTensorOf<[F32]>:$query, 3DTensorOf<[F32]>:$key,
                       3DTensorOf<[F32]>:$value, I64Attr:$heads, I64Attr:$kv_heads);
  let results = (outs 3DTensorOf<[F32]>:$output, 3DTensorOf<[F32]>:$logsumexp);
  let assemblyFormat = [{
    $query `,` $key `,` $value `heads` `(` $heads `,` $kv_heads `)` attr-dict `:` type($query) `,` type($key) `->` type($logsumexp)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    int64_t getHeadDim();
  }];
}

def Loom_RopeOp : Loom_DifferentiableOp<"rope", [SameOperandsAndResultType]> {
  let summary = "Rotary position embedding, rotate-half convention";
  let description = [{
    Rotates each head's `[x₁, x₂]` halves (`D/2` columns each) at position
    `t` by the angles `t·θ^(−2i/D)`, `i < D/2`, as Hugging Face Llama's
    `q·cos + rotate_half(q)·sin`: `[x₁·cos − x₂·sin, x₂·cos + x₁·sin]`.
    `inverse` rotates by the opposite angles: that is the gradient.

    ```mlir
    %qr = loom.rope %q heads(3) theta(10000.0) : tensor<4x37x96xf32>
    ```
  }];
  let arguments = (ins 3DTensorOf<[F32]>:$input, I64Attr:$heads, F64Attr:$theta,
                       UnitAttr:$inverse);
  let results = (outs 3DTensorOf<[F32]>:$result);
  let assemblyFormat = [{
    $input `heads` `(` $heads `)` `theta` `(` $theta `)` attr-dict `:` type($input)
  }];
  let hasVerifier = 1;
}

def Loom_AttentionGradOp : Loom_Op<"attention_grad",
    [AllTypesMatch<["query", "output", "output_grad", "query_grad"]>,
     AllTypesMatch<["key", "value", "key_grad", "value_grad"]>]> {
  let summary = "Adjoints of attention's queries, keys and values";
  let description = [{
    From the forward pass's output `O` and log-sum-exps `L`, and `dO`, per
    batch row and head: `P = exp(Q·Kᵀ/√D − L)` (causally masked),
    `dV += Pᵀ·dO`, `dP = dO·Vᵀ`, `dS = P ⊙ (dP − rowsum(dO ⊙ O))`,
    `dQ = dS·K/√D`, `dK += dSᵀ·Q/√D` (summed over the query heads that share
    a key/value head). `rowsum(dO ⊙ O)` equals `rowsum(dP ⊙ P)`.

    ```mlir
    %dq, %dk, %dv = loom.attention_grad %q, %k, %v, %o, %lse, %do heads(3, 3) : tensor<4x37x96xf32>, tensor<4x37x96xf32>, tensor<4x3x37xf32>
    ```
  }];
  let arguments = (ins 3DTensorOf<[F32]>:$query, 3DTensorOf<[F32]>:$key,
                       3DTensorOf<[F32]>:$value, 3DTensorOf<[F32]>:$output,
                       3DTensorOf<[F32]>:$logsumexp,
                       3DTensorOf<[F32]>:$output_grad, I64Attr:$heads,
                       I64Attr:$kv_heads);
  let results = (outs 3DTensorOf<[F32]>:$query_grad, 3DTensorOf<[F32]>:$key_grad,
                      3DTensorOf<[F32]>:$value_grad);
  let assemblyFormat = [{
    $query `,` $key `,` $value `,` $output `,` $logsumexp `,` $output_grad `heads` `(` $heads `,` $kv_heads `)` attr-dict `:` type($query) `,` type($key) `,` type($logsumexp)
  }];
  let hasVerifier = 1;
}
