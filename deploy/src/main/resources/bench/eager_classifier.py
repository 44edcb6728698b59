#!/usr/bin/env python3
"""The starter classifier in PyTorch eager, as a user would run it instead of LMaaS (lmaas bench worker).

usage: eager_classifier.py <dir with model.safetensors and inputs.json> <heads> <layers> <seconds>
Prints matmul_gflops=<n> (this PyTorch build's fp32 1024^3 matmul rate) and then sentences_per_second=<n> for
batch 32, single-threaded like the worker (OMP_NUM_THREADS).
"""
import json
import os
import struct
import sys
import time

import torch


def read_safetensors(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for name, meta in header.items():
        if name != "__metadata__":
            s, e = meta["data_offsets"]
            out[name] = torch.frombuffer(bytearray(data[8 + n + s:8 + n + e]), dtype=torch.float32).reshape(meta["shape"])
    return out


def layer_norm(x, g, b):
    return torch.nn.functional.layer_norm(x, (x.shape[-1],), g, b, 1e-5)


def classify(w, ids, keep, heads, layers):
    b, t = ids.shape
    d = w["trunk.token_embedding"].shape[1]
    hs = d // heads
    mask = ((1.0 - keep) * -1e9).reshape(b, 1, 1, t)
    x = w["trunk.token_embedding"][ids] + w["trunk.position_embedding"][:t]
    for i in range(layers):
        p = "trunk.layer%d." % i
        h = layer_norm(x, w[p + "ln1_gamma"], w[p + "ln1_beta"])
        q, k, v = (h @ w[p + "qkv_weight"] + w[p + "qkv_bias"]).split(d, dim=2)
        q = q.reshape(b, t, heads, hs).transpose(1, 2)
        k = k.reshape(b, t, heads, hs).transpose(1, 2)
        v = v.reshape(b, t, heads, hs).transpose(1, 2)
        a = torch.softmax(q @ k.transpose(-1, -2) / hs ** 0.5 + mask, -1) @ v
        x = x + a.transpose(1, 2).reshape(b, t, d) @ w[p + "out_weight"] + w[p + "out_bias"]
        h = layer_norm(x, w[p + "ln2_gamma"], w[p + "ln2_beta"])
        x = x + torch.nn.functional.gelu(h @ w[p + "ffn_in_weight"] + w[p + "ffn_in_bias"]) @ w[p + "ffn_out_weight"] + w[p + "ffn_out_bias"]
    x = layer_norm(x, w["trunk.ln_gamma"], w["trunk.ln_beta"])
    pooled = (x * keep.unsqueeze(-1)).sum(1) / keep.sum(1, keepdim=True)
    return pooled @ w["head_weight"] + w["head_bias"]


def main():
    root, heads, layers, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    w = read_safetensors(os.path.join(root, "model.safetensors"))
    inputs = json.load(open(os.path.join(root, "inputs.json")))
    batches = []
    for i in range(0, len(inputs), 32):
        chunk = inputs[i:i + 32]
        longest = max(len(s) for s in chunk)
        ids = torch.tensor([s + [0] * (longest - len(s)) for s in chunk], dtype=torch.int64)
        keep = torch.tensor([[1.0] * len(s) + [0.0] * (longest - len(s)) for s in chunk])
        batches.append((ids, keep))
    with torch.no_grad():
        a, b = torch.rand(1024, 1024), torch.rand(1024, 1024)
        for _ in range(3):
            a @ b
        n = 0
        start = time.perf_counter()
        while time.perf_counter() - start < min(seconds, 3.0):
            a @ b
            n += 1
        print("matmul_gflops=%f" % (n * 2 * 1024 ** 3 / (time.perf_counter() - start) / 1e9))
        for ids, keep in batches:
            classify(w, ids, keep, heads, layers)
        n = 0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            ids, keep = batches[n % len(batches)]
            classify(w, ids, keep, heads, layers)
            n += 1
        print("sentences_per_second=%f" % (n * 32 / (time.perf_counter() - start)))


if __name__ == "__main__":
    main()
