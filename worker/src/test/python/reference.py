#!/usr/bin/env python3
"""Reference implementation of LMaaS's built-in architectures in PyTorch (Debian python3-torch).

Reads the tiny fixture model versions (safetensors), computes their logits on fixed inputs with plain
PyTorch eager ops, writes them to reference.json (the Java fidelity test compares the worker's logits
with them, within 1e-4), and exports each network as TorchScript (torchscript-* fixtures, which the
worker must serve with the same results).

    /usr/bin/python3 reference.py <fixtures dir>
"""
import json
import math
import os
import shutil
import struct
import sys

import torch

DTYPES = {"F32": torch.float32, "F64": torch.float64, "I64": torch.int64, "I32": torch.int32}


def read_safetensors(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    tensors = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        start, end = meta["data_offsets"]
        buf = bytearray(data[8 + n + start:8 + n + end])
        t = torch.frombuffer(buf, dtype=DTYPES[meta["dtype"]]).reshape(meta["shape"])
        tensors[name] = t.clone()
    return tensors


def read_properties(path):
    props = {}
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            k, v = line.split("=", 1)
            props[k.strip()] = v.strip()
    return props


class Trunk(torch.nn.Module):
    """Token + position embeddings, pre-LayerNorm layers (multi-head attention, GELU MLP), final LayerNorm."""

    def __init__(self, w, heads: int, layers: int):
        super().__init__()
        self.heads = heads
        self.layers = layers
        self.p = torch.nn.ParameterDict({k.replace(".", "__"): torch.nn.Parameter(v, requires_grad=False)
                                         for k, v in w.items()})

    def w(self, name: str) -> torch.Tensor:
        return self.p[name.replace(".", "__")]

    @staticmethod
    def layer_norm(x, g, b):
        mean = x.mean(-1, keepdim=True)
        centered = x - mean
        var = (centered * centered).mean(-1, keepdim=True)
        return centered / torch.sqrt(var + 1e-5) * g + b

    def forward(self, ids, mask):
        return self.encode(self.w("trunk.token_embedding")[ids], mask)

    def encode(self, tokens, mask):
        """The hidden states from token embeddings (explanations scale them); positions are added here."""
        b = tokens.shape[0]
        t = tokens.shape[1]
        d = self.w("trunk.token_embedding").shape[1]
        hs = d // self.heads
        x = tokens + self.w("trunk.position_embedding")[torch.arange(t)]
        for i in range(self.layers):
            pre = "trunk.layer" + str(i) + "."
            h = self.layer_norm(x, self.w(pre + "ln1_gamma"), self.w(pre + "ln1_beta"))
            qkv = h @ self.w(pre + "qkv_weight") + self.w(pre + "qkv_bias")
            q, k, v = qkv.split(d, dim=2)
            q = q.reshape(b, t, self.heads, hs).permute(0, 2, 1, 3)
            k = k.reshape(b, t, self.heads, hs).permute(0, 2, 1, 3)
            v = v.reshape(b, t, self.heads, hs).permute(0, 2, 1, 3)
            scores = q @ k.transpose(-1, -2) / math.sqrt(hs) + mask
            ctx = torch.softmax(scores, dim=-1) @ v
            ctx = ctx.permute(0, 2, 1, 3).reshape(b, t, d)
            x = x + ctx @ self.w(pre + "out_weight") + self.w(pre + "out_bias")
            h2 = self.layer_norm(x, self.w(pre + "ln2_gamma"), self.w(pre + "ln2_beta"))
            ffn = torch.nn.functional.gelu(h2 @ self.w(pre + "ffn_in_weight") + self.w(pre + "ffn_in_bias"))
            x = x + ffn @ self.w(pre + "ffn_out_weight") + self.w(pre + "ffn_out_bias")
        return self.layer_norm(x, self.w("trunk.ln_gamma"), self.w("trunk.ln_beta"))


class EncoderClassifier(torch.nn.Module):
    """forward(ids (B, T) int64, keep (B, T) float32) -> logits (B, classes)."""

    def __init__(self, w, heads: int, layers: int):
        super().__init__()
        self.trunk = Trunk(w, heads, layers)
        self.head_weight = torch.nn.Parameter(w["head_weight"], requires_grad=False)
        self.head_bias = torch.nn.Parameter(w["head_bias"], requires_grad=False)

    def forward(self, ids, keep):
        mask = ((1.0 - keep) * -1e9).reshape(keep.shape[0], 1, 1, keep.shape[1])
        return self.head(self.trunk(ids, mask), keep)

    def head(self, x, keep):
        pooled = (x * keep.unsqueeze(-1)).sum(1) / keep.sum(1, keepdim=True)
        return pooled @ self.head_weight + self.head_bias

    def logits_from_embeddings(self, tokens, keep):
        mask = ((1.0 - keep) * -1e9).reshape(keep.shape[0], 1, 1, keep.shape[1])
        return self.head(self.trunk.encode(tokens, mask), keep)


class DecoderLm(torch.nn.Module):
    """forward(ids (B, T) int64) -> logits (B, T, vocab)."""

    def __init__(self, w, heads: int, layers: int):
        super().__init__()
        self.trunk = Trunk(w, heads, layers)
        self.head_weight = torch.nn.Parameter(w["head_weight"], requires_grad=False)
        self.head_bias = torch.nn.Parameter(w["head_bias"], requires_grad=False)

    def forward(self, ids):
        t = ids.shape[1]
        pos = torch.arange(t)
        mask = (pos.reshape(1, t) > pos.reshape(t, 1)).to(torch.float32).mul(-1e9).reshape(1, 1, t, t)
        return self.trunk(ids, mask) @ self.head_weight + self.head_bias


CLASSIFIER_INPUTS = [[5, 17, 42, 8], [9, 3], [250, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], [0]]
GENERATOR_INPUTS = [[0], [5, 6, 7], [11, 22, 33, 44, 55, 66, 77, 88, 99, 110, 121, 132, 143, 154, 165, 176]]


def main(root):
    torch.manual_seed(0)
    out = {}
    cdir = os.path.join(root, "tiny-classifier")
    props = read_properties(os.path.join(cdir, "serving.properties"))
    classifier = EncoderClassifier(read_safetensors(os.path.join(cdir, "model.safetensors")),
                                   int(props["heads"]), int(props["layers"])).eval()
    longest = max(len(i) for i in CLASSIFIER_INPUTS)
    ids = torch.tensor([i + [0] * (longest - len(i)) for i in CLASSIFIER_INPUTS], dtype=torch.int64)
    keep = torch.tensor([[1.0] * len(i) + [0.0] * (longest - len(i)) for i in CLASSIFIER_INPUTS])
    with torch.no_grad():
        out["classifier"] = {"inputs": CLASSIFIER_INPUTS, "logits": classifier(ids, keep).tolist()}
    export(torch.jit.script(classifier), cdir, os.path.join(root, "torchscript-classifier"))

    gdir = os.path.join(root, "tiny-generator")
    props = read_properties(os.path.join(gdir, "serving.properties"))
    generator = DecoderLm(read_safetensors(os.path.join(gdir, "model.safetensors")),
                          int(props["heads"]), int(props["layers"])).eval()
    rows = []
    with torch.no_grad():
        for window in GENERATOR_INPUTS:
            rows.append(generator(torch.tensor([window], dtype=torch.int64))[0].tolist())
    out["generator"] = {"inputs": GENERATOR_INPUTS, "logits": rows}
    export(torch.jit.script(generator), gdir, os.path.join(root, "torchscript-generator"))

    out["made_with"] = "torch " + torch.__version__
    with open(os.path.join(root, "reference.json"), "w") as f:
        json.dump(out, f)


def export(scripted, source, target):
    os.makedirs(target, exist_ok=True)
    scripted.save(os.path.join(target, "model.pt"))
    shutil.copy(os.path.join(source, "tokenizer.json"), target)
    lines = []
    for line in open(os.path.join(source, "serving.properties"), encoding="utf-8"):
        if line.startswith("format="):
            line = "format=torchscript\n"
        elif line.startswith("weights="):
            line = "weights=model.pt\n"
        lines.append(line)
    open(os.path.join(target, "serving.properties"), "w", encoding="utf-8").writelines(lines)


if __name__ == "__main__":
    main(sys.argv[1])
