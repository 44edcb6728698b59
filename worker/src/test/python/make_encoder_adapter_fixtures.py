#!/usr/bin/python3
"""PEFT LoRA adapters for the tiny encoder checkpoints, and the logits of the merged models, for the encoder-adapter test.

Run after make_encoder_fixtures.py, with Debian's python3-torch (/usr/bin/python3):
    /usr/bin/python3 worker/src/test/python/make_encoder_adapter_fixtures.py worker/src/test/resources/encoder-fixtures

For BERT, RoBERTa and DistilBERT it writes `<family>-adapter/` in PEFT's layout for a sequence-classification adapter
(task_type SEQ_CLS): `adapter_config.json`, `adapter_model.safetensors` with the low-rank factors under PEFT's names
(`base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight`, A (r, in), B (out, r)) and the new head
PEFT saves as `modules_to_save` (`base_model.model.classifier.weight`, ...) for a label set of its own (2 labels; the base
has 3), and `config.json` with the head's `id2label` (what `model.config.save_pretrained` writes beside an adapter). It
also writes `adapters-expected.json`: for each family, the logits of the merged model (W + alpha / r * B @ A on every
targeted projection, the head replaced), as PEFT's merge_and_unload computes them, on the base fixture's inputs. The
forward passes are the reference ones of make_encoder_fixtures.py (written from Hugging Face's modeling code).
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_encoder_fixtures as ref  # noqa: E402

torch.manual_seed(20261201)
RANK, ALPHA, LABELS = 4, 8, 2

# family: (encoder prefix, layer path, target leaf names, in-layer projections as (path, in, out), head tensors (name, in, out))
FAMILIES = {
    "bert": ("bert.", "encoder.layer.", ["query", "value", "dense"],
             [("attention.self.query", 32, 32), ("attention.self.key", 32, 32), ("attention.self.value", 32, 32),
              ("attention.output.dense", 32, 32), ("intermediate.dense", 32, 64), ("output.dense", 64, 32)],
             [("classifier", 32, LABELS)], ["classifier"]),
    "roberta": ("roberta.", "encoder.layer.", ["query", "key"],
                [("attention.self.query", 32, 32), ("attention.self.key", 32, 32), ("attention.self.value", 32, 32),
                 ("attention.output.dense", 32, 32), ("intermediate.dense", 32, 64), ("output.dense", 64, 32)],
                [("classifier.dense", 32, 32), ("classifier.out_proj", 32, LABELS)], ["classifier"]),
    "distilbert": ("distilbert.", "transformer.layer.", ["q_lin", "v_lin", "lin1", "lin2"],
                   [("attention.q_lin", 32, 32), ("attention.k_lin", 32, 32), ("attention.v_lin", 32, 32),
                    ("attention.out_lin", 32, 32), ("ffn.lin1", 32, 64), ("ffn.lin2", 64, 32)],
                   [("pre_classifier", 32, 32), ("classifier", 32, LABELS)], ["pre_classifier", "classifier"]),
}


def make(root, family, expected):
    prefix, layers, targets, projections, head, saved = FAMILIES[family]
    base_dir = os.path.join(root, family)
    base = ref.read_safetensors(os.path.join(base_dir, "model.safetensors"))
    config = json.load(open(os.path.join(base_dir, "config.json")))
    inputs = json.load(open(os.path.join(base_dir, "expected.json")))["inputs"]
    tensors, merged = {}, dict(base)
    scaling = ALPHA / RANK
    for i in range(ref.LAYERS):
        for path, n_in, n_out in projections:
            if path.split(".")[-1] not in targets:
                continue
            key = prefix + layers + "%d." % i + path
            a = ref.rand(RANK, n_in)
            b = ref.rand(n_out, RANK)
            tensors["base_model.model." + key + ".lora_A.weight"] = a
            tensors["base_model.model." + key + ".lora_B.weight"] = b
            merged[key + ".weight"] = base[key + ".weight"] + scaling * (b @ a)
    for name, n_in, n_out in head:
        w, bias = ref.rand(n_out, n_in), ref.rand(n_out)
        tensors["base_model.model." + name + ".weight"] = w
        tensors["base_model.model." + name + ".bias"] = bias
        merged[name + ".weight"] = w
        merged[name + ".bias"] = bias
    out = os.path.join(root, family + "-adapter")
    os.makedirs(out, exist_ok=True)
    ref.write_safetensors(os.path.join(out, "adapter_model.safetensors"), tensors)
    with open(os.path.join(out, "adapter_config.json"), "w") as f:
        json.dump({"peft_type": "LORA", "task_type": "SEQ_CLS", "base_model_name_or_path": "tiny-" + family, "r": RANK,
                   "lora_alpha": ALPHA, "lora_dropout": 0.1, "target_modules": targets, "modules_to_save": saved,
                   "bias": "none", "fan_in_fan_out": False, "use_rslora": False, "use_dora": False}, f, indent=2)
    labels = {"0": "negative", "1": "positive"}
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump({"id2label": labels, "label2id": {v: int(k) for k, v in labels.items()}}, f, indent=2)

    pad = config.get("pad_token_id", 0)
    lengths = [len(r["ids"]) for r in inputs]
    longest = max(lengths)
    ids = torch.full((len(inputs), longest), pad, dtype=torch.long)
    mask = torch.zeros((len(inputs), longest), dtype=torch.long)
    types = torch.zeros((len(inputs), longest), dtype=torch.long)
    for b, r in enumerate(inputs):
        n = len(r["ids"])
        ids[b, :n] = torch.tensor(r["ids"])
        mask[b, :n] = 1
        types[b, :n] = torch.tensor(r["types"])
    with torch.no_grad():
        if family == "distilbert":
            _, logits = ref.distilbert(ids, mask, merged)
        else:
            _, logits = ref.bert_like(family, ids, mask, types, merged, prefix, config["layer_norm_eps"], pad)
    expected[family] = {"labels": [labels["0"], labels["1"]], "logits": logits.tolist()}


if __name__ == "__main__":
    root = sys.argv[1]
    expected = {}
    for family in FAMILIES:
        make(root, family, expected)
    with open(os.path.join(root, "adapters-expected.json"), "w") as f:
        json.dump(expected, f)
