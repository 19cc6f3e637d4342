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
  let arguments = (ins 3DTensorOf<[F32, F64]>:$query, 3DTensorOf<[F32, F64]>:$key,
                       3DTensorOf<[F32, F64]>:$value, I64Attr:$heads, I64Attr:$kv_heads);
  let results = (outs 3DTensorOf<[F32, F64]>:$output, 3DTensorOf<[F32, F64]>:$logsumexp);
  let assemblyFormat = [{
    $query `,` $key `,` $value `heads` `(` $heads `,` $kv_heads `)` attr-dict `:` type($query) `,` type($key) `->` type($logsumexp)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    int64_t getHeadDim();
  }];
}

def Loom_RopeOp : Loom_DifferentiableOp<"rope", [AllTypesMatch<["input", "result"]>]> {
  let summary = "Rotary position embedding, rotate-half convention";
  let description = [{
    Rotates each head's `[x₁, x₂]` halves (`D/2` columns each) at position
    `t` by the angles `t·θ^(−2i/D)`, `i < D/2`, as Hugging Face Llama's
    `q·cos + rotate_half(q)·sin`: `[x₁·cos − x₂·sin, x₂·cos + x₁·sin]`.
    `inverse` rotates by the opposite angles: that is the gradient.

    Row `t` of the input is at position `t`, or, in the inference entry
    points, at `position + t` for a run-time `position`; `positions(N)`
    then bounds the positions (`position + T ≤ N`, which the caller
    guarantees), so that the angles can be tabulated at compile time.

    ```mlir
    %qr = loom.rope %q heads(3) theta(10000.0) : tensor<4x37x96xf32>
    %qd = loom.rope %q1 at %pos positions(64) heads(3) theta(10000.0) : tensor<1x1x96xf32>
    ```
  }];
  let arguments = (ins 3DTensorOf<[F32, F64]>:$input, Optional<Index>:$position,
                       OptionalAttr<I64Attr>:$positions, I64Attr:$heads,
                       F64Attr:$theta, UnitAttr:$inverse);
  let results = (outs 3DTensorOf<[F32, F64]>:$result);
  let assemblyFormat = [{
    $input (`at` $position^ `positions` `(` $positions `)`)? `heads` `(` $heads `)` `theta` `(` $theta `)` attr-dict `:` type($input)
  }];
  let hasVerifier = 1;
}

def Loom_CachedAttentionOp : Loom_Op<"cached_attention",
    [AllTypesMatch<["query", "output"]>, AllTypesMatch<["key", "value"]>,
     AllTypesMatch<["key_cache", "value_cache", "new_key_cache",
                    "new_value_cache"]>]> {
  let summary = "Causal attention of new tokens over a key/value cache";
  let description = [{
    The inference form of `loom.attention`: queries `[B, T, H·D]` and keys
    and values `[B, T, Hkv·D]` of `T` new tokens at positions
    `position … position + T − 1`, and caches `[B, C, Hkv·D]` holding the
    keys and values of the positions before them. The new keys and values
    are written into the caches at their positions (the results
    `new_key_cache`, `new_value_cache`; bufferized in place), and the query
    at position `p` attends to the cached positions `0 … p`:
    `O = softmax(q·Kᵀ/√D)·V` per head, query head `h` reading key/value
    head `h / (H / Hkv)`. The caller guarantees `position + T ≤ C` and
    that positions below `position` hold what earlier calls wrote. Not
    differentiable: inference only.

    ```mlir
    %o, %kc2, %vc2 = loom.cached_attention %q, %k, %v into %kc, %vc at %pos heads(4, 2) : tensor<1x1x64xf32>, tensor<1x1x32xf32>, tensor<1x128x32xf32>
    ```
  }];
  let arguments = (ins 3DTensorOf<[F32, F64]>:$query, 3DTensorOf<[F32, F64]>:$key,
                       3DTensorOf<[F32, F64]>:$value, 3DTensorOf<[F32, F64]>:$key_cache,
                       3DTensorOf<[F32, F64]>:$value_cache, Index:$position,
                       I64Attr:$heads, I64Attr:$kv_heads);
  let results = (outs 3DTensorOf<[F32, F64]>:$output,
                      3DTensorOf<[F32, F64]>:$new_key_cache,
                      3DTensorOf<[F32, F64]>:$new_value_cache);
  let assemblyFormat = [{
    $query `,` $key `,` $value `into` $key_cache `,` $value_cache `at` $position `heads` `(` $heads `,` $kv_heads `)` attr-dict `:` type($query) `,` type($key) `,` type($key_cache)
  }];
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    int64_t getHeadDim();
  }];
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
  let arguments = (ins 3DTensorOf<[F32, F64]>:$query, 3DTensorOf<[F32, F64]>:$key,
                       3DTensorOf<[F32, F64]>:$value, 3DTensorOf<[F32, F64]>:$output,
                       3DTensorOf<[F32, F64]>:$logsumexp,
                       3DTensorOf<[F32, F64]>:$output_grad, I64Attr:$heads,
                       I64Attr:$kv_heads);
  let results = (outs 3DTensorOf<[F32, F64]>:$query_grad, 3DTensorOf<[F32, F64]>:$key_grad,
                      3DTensorOf<[F32, F64]>:$value_grad);
  let assemblyFormat = [{
    $query `,` $key `,` $value `,` $output `,` $logsumexp `,` $output_grad `heads` `(` $heads `,` $kv_heads `)` attr-dict `:` type($query) `,` type($key) `,` type($logsumexp)
  }];
  let hasVerifier = 1;
}
