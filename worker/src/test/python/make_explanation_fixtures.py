#!/usr/bin/python3
"""Reference integrated gradients for the encoder fixtures, for the explanations fidelity test.

Run with Debian's python3-torch (`apt-get install python3-torch`; /usr/bin/python3) after make_encoder_fixtures.py:
    /usr/bin/python3 worker/src/test/python/make_explanation_fixtures.py worker/src/test/resources/encoder-fixtures

For each family's checkpoint (read back from its model.safetensors) and three of its inputs, it writes
`explanations.json`: per input and per step count (32, 64), the predicted label, its probability, each token's
attribution and the completeness gap. The definition (the worker computes the same, in Java, on DJL):
  - x: the input's word embeddings (positions and token types stay as they are); baseline: zeros;
  - f: the softmax probability of the label predicted for x;
  - attribution of token t: sum over the hidden size of (x - baseline)[t] * mean over k of df/dx at
    baseline + a_k (x - baseline), with a_k = (k + 0.5) / steps (the midpoint rule);
  - gap: sum of the attributions - (f(x) - f(baseline)).
Computed in float64 from the fixtures' float32 weights.
"""
import json
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_encoder_fixtures as enc  # noqa: E402  (the forward passes written from Hugging Face's modeling code)

ROWS = (0, 2, 4)
STEPS = (32, 64)


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        a, b = meta["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[a:b]), dtype=torch.float32).reshape(meta["shape"]).double()
    return out


def explain(directory, family):
    t = read_safetensors(os.path.join(directory, "model.safetensors"))
    config = json.load(open(os.path.join(directory, "config.json")))
    expected = json.load(open(os.path.join(directory, "expected.json")))
    pad = config.get("pad_token_id", 0)
    eps = config.get("layer_norm_eps", 1e-12)
    p = {"bert": "bert.", "roberta": "roberta.", "xlm-roberta": "roberta.", "distilbert": "distilbert."}[family]

    def probabilities(words, ids, types):
        n = words.shape[0]
        ids_b, types_b = ids.expand(n, -1), types.expand(n, -1)
        mask = torch.ones_like(ids_b)
        if family == "distilbert":
            _, logits = enc.distilbert(ids_b, mask, t, words=words)
        else:
            _, logits = enc.bert_like(family, ids_b, mask, types_b, t, p, eps, pad, words=words)
        return torch.softmax(logits, dim=-1)

    results = []
    for row in ROWS:
        ids = torch.tensor([expected["inputs"][row]["ids"]])
        types = torch.tensor([expected["inputs"][row]["types"]])
        x = t[p + "embeddings.word_embeddings.weight"][ids]  # [1, T, H]
        with torch.no_grad():
            probs = probabilities(x, ids, types)[0]
        label = int(torch.argmax(probs))
        per_steps = {}
        for steps in STEPS:
            alphas = (torch.arange(steps, dtype=torch.float64) + 0.5) / steps
            scaled = (alphas[:, None, None] * x).detach().requires_grad_(True)  # baseline zeros
            f = probabilities(scaled, ids, types)[:, label]
            (grads,) = torch.autograd.grad(f.sum(), scaled)
            attributions = (x[0] * grads.mean(dim=0)).sum(dim=-1)
            with torch.no_grad():
                f_x = probabilities(x, ids, types)[0, label]
                f_0 = probabilities(torch.zeros_like(x), ids, types)[0, label]
            gap = float(attributions.sum() - (f_x - f_0))
            per_steps[str(steps)] = {"attributions": attributions.tolist(), "gap": gap}
        results.append({"row": row, "label": label, "score": float(probs[label]), "steps": per_steps})
    with open(os.path.join(directory, "explanations.json"), "w") as f:
        json.dump({"inputs": results}, f)


if __name__ == "__main__":
    root = sys.argv[1]
    for family in ("bert", "roberta", "xlm-roberta", "distilbert"):
        explain(os.path.join(root, family), family)
