#!/usr/bin/env python3
"""A BERT sentence encoder (all-MiniLM-L6-v2's Hugging Face directory) in PyTorch eager, written from Hugging Face's
BertModel code, as a Python user would run it instead of LMaaS (lmaas bench embeddings).

usage: eager_bert.py <model dir> <inputs.json: token-id lists of one length> <batch> <seconds>
Prints matmul_gflops=<n> (this build's fp32 1024^3 matmul rate), then sentences_per_second=<n>: mean-pooled,
normalised embeddings of the inputs in batches of <batch>, threads as OMP_NUM_THREADS.
"""
import json
import math
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
        if name != "__metadata__" and meta["dtype"] == "F32":
            s, e = meta["data_offsets"]
            out[name] = torch.frombuffer(bytearray(data[8 + n + s:8 + n + e]), dtype=torch.float32).reshape(meta["shape"])
    return out


def embed(w, c, ids):
    b, t = ids.shape
    d, heads = c["hidden_size"], c["num_attention_heads"]
    hs = d // heads
    eps = c.get("layer_norm_eps", 1e-12)
    lin = torch.nn.functional.linear
    ln = lambda x, p: torch.nn.functional.layer_norm(x, (d,), w[p + ".weight"], w[p + ".bias"], eps)
    x = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:t] \
        + w["embeddings.token_type_embeddings.weight"][0]
    x = ln(x, "embeddings.LayerNorm")
    for i in range(c["num_hidden_layers"]):
        p = "encoder.layer.%d." % i
        q, k, v = (lin(x, w[p + "attention.self.%s.weight" % n], w[p + "attention.self.%s.bias" % n])
                   .reshape(b, t, heads, hs).transpose(1, 2) for n in ("query", "key", "value"))
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(hs), -1) @ v
        a = lin(a.transpose(1, 2).reshape(b, t, d), w[p + "attention.output.dense.weight"], w[p + "attention.output.dense.bias"])
        x = ln(a + x, p + "attention.output.LayerNorm")
        h = torch.nn.functional.gelu(lin(x, w[p + "intermediate.dense.weight"], w[p + "intermediate.dense.bias"]))
        x = ln(lin(h, w[p + "output.dense.weight"], w[p + "output.dense.bias"]) + x, p + "output.LayerNorm")
    return torch.nn.functional.normalize(x.mean(1), dim=1)


def main():
    root, inputs, batch, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    w = read_safetensors(os.path.join(root, "model.safetensors"))
    c = json.load(open(os.path.join(root, "config.json")))
    rows = json.load(open(inputs))
    batches = [torch.tensor(rows[i:i + batch], dtype=torch.int64) for i in range(0, len(rows) - batch + 1, batch)]
    with torch.no_grad():
        a, b = torch.rand(1024, 1024), torch.rand(1024, 1024)
        for _ in range(3):
            a @ b
        n = 0
        start = time.perf_counter()
        while time.perf_counter() - start < min(seconds, 3.0):
            a @ b
            n += 1
        print("matmul_gflops=%f" % (n * 2 * 1024 ** 3 / (time.perf_counter() - start) / 1e9), flush=True)
        for ids in batches[:2]:
            embed(w, c, ids)
        n = 0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            embed(w, c, batches[n % len(batches)])
            n += 1
        print("sentences_per_second=%f" % (n * batch / (time.perf_counter() - start)), flush=True)


if __name__ == "__main__":
    main()
