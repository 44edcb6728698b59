#!/usr/bin/python3
"""Qwen2 decode at one stream in PyTorch eager (Debian python3-torch), on the same safetensors the worker serves.

usage: eager_qwen2.py <model dir> <prompt tokens> <new tokens> <runs>
Reads bfloat16/float32 safetensors with the standard library, computes in float32 (as the worker does on the CPU):
RMSNorm, rotary positions, grouped-query attention with a key/value cache, SwiGLU, tied head, written from
Hugging Face's modeling_qwen2.py. Prints one JSON line per run: {"load_s", "tokens_per_s"}.
"""
import json
import struct
import sys
import time

import torch


def load(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        base = 8 + n
        out = {}
        for name, meta in header.items():
            if name == "__metadata__":
                continue
            start, end = meta["data_offsets"]
            f.seek(base + start)
            raw = bytearray(f.read(end - start))
            if meta["dtype"] == "BF16":
                t = torch.frombuffer(raw, dtype=torch.int16).view(torch.bfloat16).float()
            else:
                t = torch.frombuffer(raw, dtype=torch.float32).clone()
            out[name] = t.reshape(meta["shape"])
        return out


def main():
    model_dir, prompt_n, new_n, runs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    cfg = json.load(open(model_dir + "/config.json"))
    t0 = time.time()
    w = load(model_dir + "/model.safetensors")
    load_s = time.time() - t0
    h, heads, kv, layers = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"], cfg["num_hidden_layers"]
    d = h // heads
    eps = cfg["rms_norm_eps"]
    inv = 1.0 / (cfg["rope_theta"] ** (torch.arange(0, d, 2).float() / d))

    def rms(x, g):
        return g * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))

    def rot(x):
        return torch.cat((-x[..., d // 2:], x[..., : d // 2]), dim=-1)

    def forward(ids, pos, cache):
        x = w["model.embed_tokens.weight"][ids][None]
        n = len(ids)
        freqs = torch.tensor(pos).float()[:, None] * inv[None]
        emb = torch.cat((freqs, freqs), -1)
        cos, sin = emb.cos()[None, None], emb.sin()[None, None]
        for i in range(layers):
            p = "model.layers.%d." % i
            y = rms(x, w[p + "input_layernorm.weight"])
            q = torch.nn.functional.linear(y, w[p + "self_attn.q_proj.weight"], w[p + "self_attn.q_proj.bias"])
            k = torch.nn.functional.linear(y, w[p + "self_attn.k_proj.weight"], w[p + "self_attn.k_proj.bias"])
            v = torch.nn.functional.linear(y, w[p + "self_attn.v_proj.weight"], w[p + "self_attn.v_proj.bias"])
            q = q.view(1, n, heads, d).transpose(1, 2)
            k = k.view(1, n, kv, d).transpose(1, 2)
            v = v.view(1, n, kv, d).transpose(1, 2)
            q, k = q * cos + rot(q) * sin, k * cos + rot(k) * sin
            if cache[i] is not None:
                k = torch.cat((cache[i][0], k), 2)
                v = torch.cat((cache[i][1], v), 2)
            cache[i] = (k, v)
            kk = k.repeat_interleave(heads // kv, 1)
            vv = v.repeat_interleave(heads // kv, 1)
            s = q @ kk.transpose(2, 3) / d ** 0.5
            if n > 1:
                s = s + torch.full((n, n), float("-inf")).triu(1)
            a = (torch.softmax(s, -1) @ vv).transpose(1, 2).reshape(1, n, h)
            x = x + torch.nn.functional.linear(a, w[p + "self_attn.o_proj.weight"])
            y = rms(x, w[p + "post_attention_layernorm.weight"])
            g = torch.nn.functional.linear(y, w[p + "mlp.gate_proj.weight"])
            u = torch.nn.functional.linear(y, w[p + "mlp.up_proj.weight"])
            x = x + torch.nn.functional.linear(torch.nn.functional.silu(g) * u, w[p + "mlp.down_proj.weight"])
        x = rms(x[:, -1], w["model.norm.weight"])
        return torch.nn.functional.linear(x, w["model.embed_tokens.weight"])

    torch.manual_seed(0)
    with torch.no_grad():
        for _ in range(runs):
            cache = [None] * layers
            ids = torch.randint(0, 30000, (prompt_n,)).tolist()
            token = int(forward(ids, list(range(prompt_n)), cache).argmax())
            start = time.time()
            for step in range(new_n):
                token = int(forward([token], [prompt_n + step], cache).argmax())
            print(json.dumps({"load_s": load_s, "tokens_per_s": new_n / (time.time() - start)}), flush=True)


if __name__ == "__main__":
    main()
