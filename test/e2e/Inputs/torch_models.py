"""GPT-2 and Llama in plain PyTorch, written from the papers and Hugging
Face's modeling code, over a dict of tensors named as Hugging Face names
them. The independent reference Loom's compiled models are checked
against."""
import math

import torch
import torch.nn.functional as F


def causal_attention(q, k, v):
    """q: [B, H, T, D]; k, v: [B, H, T, D] (key/value heads already
    repeated for grouped-query attention)."""
    T, D = q.shape[2], q.shape[3]
    scores = q @ k.transpose(-2, -1) / math.sqrt(D)
    mask = torch.ones(T, T, dtype=torch.bool).tril()
    scores = scores.masked_fill(~mask, float("-inf"))
    return F.softmax(scores, dim=-1) @ v


def split_heads(x, heads):
    B, T, C = x.shape
    return x.view(B, T, heads, C // heads).transpose(1, 2)


def merge_heads(x):
    B, H, T, D = x.shape
    return x.transpose(1, 2).reshape(B, T, H * D)


def gpt2_logits(p, tokens, cfg):
    """Pre-norm blocks, learned positions, tanh GELU, lm_head tied to wte.
    Conv1D weights are [in, out]."""
    C, H = cfg["dim"], cfg["heads"]
    T = tokens.shape[1]
    x = p["wte.weight"][tokens] + p["wpe.weight"][:T]
    for layer in range(cfg["layers"]):
        n = f"h.{layer}."
        h = F.layer_norm(x, (C,), p[n + "ln_1.weight"], p[n + "ln_1.bias"], 1e-5)
        qkv = h @ p[n + "attn.c_attn.weight"] + p[n + "attn.c_attn.bias"]
        q, k, v = qkv.split(C, dim=2)
        y = merge_heads(causal_attention(split_heads(q, H), split_heads(k, H),
                                         split_heads(v, H)))
        x = x + y @ p[n + "attn.c_proj.weight"] + p[n + "attn.c_proj.bias"]
        h = F.layer_norm(x, (C,), p[n + "ln_2.weight"], p[n + "ln_2.bias"], 1e-5)
        h = F.gelu(h @ p[n + "mlp.c_fc.weight"] + p[n + "mlp.c_fc.bias"],
                   approximate="tanh")
        x = x + h @ p[n + "mlp.c_proj.weight"] + p[n + "mlp.c_proj.bias"]
    x = F.layer_norm(x, (C,), p["ln_f.weight"], p["ln_f.bias"], 1e-5)
    return x @ p["wte.weight"].T


def rms_norm(x, weight, eps):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def rope(x, theta):
    """x: [B, H, T, D]; Hugging Face Llama's rotate-half convention."""
    T, D = x.shape[2], x.shape[3]
    inv_freq = 1.0 / (theta ** (torch.arange(0, D, 2, dtype=x.dtype) / D))
    freqs = torch.outer(torch.arange(T, dtype=x.dtype), inv_freq)
    angles = torch.cat((freqs, freqs), dim=-1)
    return x * angles.cos() + rotate_half(x) * angles.sin()


def llama_logits(p, tokens, cfg):
    """RMSNorm, rotary embeddings, grouped-query attention, SwiGLU, no
    biases; nn.Linear weights are [out, in]."""
    H, Hkv, eps, theta = cfg["heads"], cfg["kv_heads"], cfg["eps"], cfg["theta"]
    x = p["model.embed_tokens.weight"][tokens]
    for layer in range(cfg["layers"]):
        n = f"model.layers.{layer}."
        h = rms_norm(x, p[n + "input_layernorm.weight"], eps)
        q = split_heads(h @ p[n + "self_attn.q_proj.weight"].T, H)
        k = split_heads(h @ p[n + "self_attn.k_proj.weight"].T, Hkv)
        v = split_heads(h @ p[n + "self_attn.v_proj.weight"].T, Hkv)
        q, k = rope(q, theta), rope(k, theta)
        # repeat_kv: query head i reads key/value head i // (H / Hkv).
        k = k.repeat_interleave(H // Hkv, dim=1)
        v = v.repeat_interleave(H // Hkv, dim=1)
        y = merge_heads(causal_attention(q, k, v))
        x = x + y @ p[n + "self_attn.o_proj.weight"].T
        h = rms_norm(x, p[n + "post_attention_layernorm.weight"], eps)
        gate = h @ p[n + "mlp.gate_proj.weight"].T
        up = h @ p[n + "mlp.up_proj.weight"].T
        x = x + (F.silu(gate) * up) @ p[n + "mlp.down_proj.weight"].T
    x = rms_norm(x, p["model.norm.weight"], eps)
    return x @ p["lm_head.weight"].T


LOGITS = {"gpt2": gpt2_logits, "llama": llama_logits}


def loss(model, params, tokens, targets, cfg):
    logits = LOGITS[model](params, tokens, cfg)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
