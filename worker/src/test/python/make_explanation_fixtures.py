#!/usr/bin/python3
"""Reference integrated gradients for the encoder fixtures, for the explanations fidelity test.

Run with Debian's python3-torch (`apt-get install python3-torch`; /usr/bin/python3) after make_encoder_fixtures.py:
    /usr/bin/python3 worker/src/test/python/make_explanation_fixtures.py worker/src/test/resources/encoder-fixtures

For each family's checkpoint (read back from its model.safetensors) and three of its inputs, and for the starter
classifier fixture (LMaaS's own architecture, reference.py's forward; pass its fixtures directory as a second
argument), it writes `explanations.json`: per input and per step count (32, 64), the predicted label, its probability, each token's
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
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_encoder_fixtures as enc  # noqa: E402  (the forward passes written from Hugging Face's modeling code)
import reference  # noqa: E402  (the starter architectures' forward passes)

ROWS = (0, 2, 4)
STEPS = (32, 64)


def read_safetensors(path):
    return {name: t.double() for name, t in enc.read_safetensors(path).items()}


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
        per_steps = {str(s): integrate(lambda words: probabilities(words, ids, types), x, s, label) for s in STEPS}
        results.append({"row": row, "label": label, "score": float(probs[label]), "steps": per_steps})
    with open(os.path.join(directory, "explanations.json"), "w") as f:
        json.dump({"inputs": results}, f)


def integrate(probabilities, x, steps, label):
    """Attributions and gap of integrated gradients from a zero baseline; probabilities(words) -> [rows, labels]."""
    alphas = (torch.arange(steps, dtype=torch.float64) + 0.5) / steps
    scaled = (alphas[:, None, None] * x).detach().requires_grad_(True)
    (grads,) = torch.autograd.grad(probabilities(scaled)[:, label].sum(), scaled)
    attributions = (x[0] * grads.mean(dim=0)).sum(dim=-1)
    with torch.no_grad():
        gap = attributions.sum() - (probabilities(x)[0, label] - probabilities(torch.zeros_like(x))[0, label])
    return {"attributions": attributions.tolist(), "gap": float(gap)}


def explain_starter(directory):
    props = reference.read_properties(os.path.join(directory, "serving.properties"))
    weights = {k: v.double() for k, v in reference.read_safetensors(os.path.join(directory, "model.safetensors")).items()}
    model = reference.EncoderClassifier(weights, int(props["heads"]), int(props["layers"])).double().eval()
    results = []
    for row in (0, 2):
        ids = torch.tensor([reference.CLASSIFIER_INPUTS[row]])
        x = model.trunk.w("trunk.token_embedding")[ids].detach()

        def probabilities(words):
            keep = torch.ones(words.shape[0], words.shape[1], dtype=torch.float64)
            return torch.softmax(model.logits_from_embeddings(words, keep), dim=-1)

        with torch.no_grad():
            probs = probabilities(x)[0]
        label = int(torch.argmax(probs))
        results.append({"row": row, "ids": ids[0].tolist(), "label": label, "score": float(probs[label]),
                        "steps": {str(s): integrate(probabilities, x, s, label) for s in STEPS}})
    with open(os.path.join(directory, "explanations.json"), "w") as f:
        json.dump({"inputs": results}, f)


if __name__ == "__main__":
    root = sys.argv[1]
    for family in ("bert", "roberta", "xlm-roberta", "distilbert"):
        explain(os.path.join(root, family), family)
    if len(sys.argv) > 2:
        explain_starter(os.path.join(sys.argv[2], "tiny-classifier"))
