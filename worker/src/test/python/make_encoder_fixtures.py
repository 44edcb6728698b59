#!/usr/bin/python3
"""Tiny random-weight Hugging Face checkpoints and their reference outputs, for the encoder-family fidelity test.

Run with Debian's python3-torch (`apt-get install python3-torch`; /usr/bin/python3):
    /usr/bin/python3 worker/src/test/python/make_encoder_fixtures.py worker/src/test/resources/encoder-fixtures

For BERT, RoBERTa, XLM-RoBERTa and DistilBERT sequence classifiers it writes, per family, a directory with
`config.json` and `model.safetensors` in exact Hugging Face naming, and `expected.json` with the logits and last
hidden states for a batch of inputs of mixed lengths (right-padded). The forward passes below are written from
Hugging Face's modeling code (modeling_bert.py, modeling_roberta.py, modeling_distilbert.py: embeddings with their
position rules, self-attention with the additive mask, post-norm residual blocks, the classification heads), with
torch only; the Java side shares no code with them.
"""
import json
import math
import os
import struct
import sys

import torch

torch.manual_seed(20261130)
HIDDEN, LAYERS, HEADS, INTERMEDIATE, VOCAB, POSITIONS, LABELS = 32, 2, 4, 64, 120, 40, 3


def rand(*shape):
    return torch.randn(*shape) * 0.2


def linear(tensors, name, n_in, n_out):
    tensors[name + ".weight"] = rand(n_out, n_in)
    tensors[name + ".bias"] = rand(n_out)


def norm(tensors, name):
    tensors[name + ".weight"] = 1.0 + rand(HIDDEN) * 0.5
    tensors[name + ".bias"] = rand(HIDDEN)


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, t in tensors.items():
        data = t.contiguous().to(torch.float32).numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    raw = json.dumps(header).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    """The float32 tensors of a safetensors file, by name (its metadata left out)."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        start, end = meta["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[start:end]), dtype=torch.float32).reshape(meta["shape"]).clone()
    return out


def layer_norm(x, t, name, eps):
    return torch.nn.functional.layer_norm(x, (HIDDEN,), t[name + ".weight"], t[name + ".bias"], eps)


def lin(x, t, name):
    return torch.nn.functional.linear(x, t[name + ".weight"], t[name + ".bias"])


def attention(x, mask, t, q, k, v, scale_query_first):
    b, n, _ = x.shape
    d = HIDDEN // HEADS

    def heads(y):
        return y.view(b, n, HEADS, d).transpose(1, 2)

    qh, kh, vh = heads(lin(x, t, q)), heads(lin(x, t, k)), heads(lin(x, t, v))
    if scale_query_first:  # DistilBERT: q / sqrt(d), then q @ k^T, masked_fill with the dtype's minimum
        scores = (qh / math.sqrt(d)) @ kh.transpose(-1, -2)
        scores = scores.masked_fill((mask == 0).view(b, 1, 1, n), torch.finfo(scores.dtype).min)
    else:  # BERT: q @ k^T / sqrt(d) + (1 - mask) * min
        scores = qh @ kh.transpose(-1, -2) / math.sqrt(d)
        scores = scores + (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
    probs = torch.softmax(scores, dim=-1)
    return (probs @ vh).transpose(1, 2).reshape(b, n, HIDDEN)


def bert_like(family, ids, mask, types, t, p, eps, pad, words=None):
    """words: the word embeddings to use instead of looking ids up (integrated gradients scales them)."""
    if family in ("roberta", "xlm-roberta"):  # create_position_ids_from_input_ids
        m = ids.ne(pad).int()
        positions = (torch.cumsum(m, dim=1) * m).long() + pad
    else:
        positions = torch.arange(ids.shape[1]).expand_as(ids)
    words = t[p + "embeddings.word_embeddings.weight"][ids] if words is None else words
    x = words + t[p + "embeddings.position_embeddings.weight"][positions]
    x = x + t[p + "embeddings.token_type_embeddings.weight"][types]
    x = layer_norm(x, t, p + "embeddings.LayerNorm", eps)
    for i in range(LAYERS):
        l = p + "encoder.layer.%d." % i
        a = attention(x, mask, t, l + "attention.self.query", l + "attention.self.key", l + "attention.self.value", False)
        a = layer_norm(lin(a, t, l + "attention.output.dense") + x, t, l + "attention.output.LayerNorm", eps)
        h = torch.nn.functional.gelu(lin(a, t, l + "intermediate.dense"))
        x = layer_norm(lin(h, t, l + "output.dense") + a, t, l + "output.LayerNorm", eps)
    first = x[:, 0]
    if family == "bert":  # BertPooler + classifier
        logits = lin(torch.tanh(lin(first, t, p + "pooler.dense")), t, "classifier")
    else:  # RobertaClassificationHead
        logits = lin(torch.tanh(lin(first, t, "classifier.dense")), t, "classifier.out_proj")
    return x, logits


def distilbert(ids, mask, t, words=None):
    p = "distilbert."
    positions = torch.arange(ids.shape[1]).expand_as(ids)
    words = t[p + "embeddings.word_embeddings.weight"][ids] if words is None else words
    x = words + t[p + "embeddings.position_embeddings.weight"][positions]
    x = layer_norm(x, t, p + "embeddings.LayerNorm", 1e-12)
    for i in range(LAYERS):
        l = p + "transformer.layer.%d." % i
        a = lin(attention(x, mask, t, l + "attention.q_lin", l + "attention.k_lin", l + "attention.v_lin", True), t,
                l + "attention.out_lin")
        a = layer_norm(a + x, t, l + "sa_layer_norm", 1e-12)
        h = lin(torch.nn.functional.gelu(lin(a, t, l + "ffn.lin1")), t, l + "ffn.lin2")
        x = layer_norm(h + a, t, l + "output_layer_norm", 1e-12)
    logits = lin(torch.relu(lin(x[:, 0], t, "pre_classifier")), t, "classifier")
    return x, logits


def make(out, family):
    labels = {str(i): "label_%d" % i for i in range(LABELS)}
    t = {}
    if family == "distilbert":
        p = "distilbert."
        config = {"architectures": ["DistilBertForSequenceClassification"], "model_type": "distilbert", "dim": HIDDEN,
                  "n_layers": LAYERS, "n_heads": HEADS, "hidden_dim": INTERMEDIATE, "activation": "gelu",
                  "max_position_embeddings": POSITIONS, "vocab_size": VOCAB, "pad_token_id": 0, "id2label": labels}
        t[p + "embeddings.word_embeddings.weight"] = rand(VOCAB, HIDDEN)
        t[p + "embeddings.position_embeddings.weight"] = rand(POSITIONS, HIDDEN)
        norm(t, p + "embeddings.LayerNorm")
        for i in range(LAYERS):
            l = p + "transformer.layer.%d." % i
            for n in ("q_lin", "k_lin", "v_lin", "out_lin"):
                linear(t, l + "attention." + n, HIDDEN, HIDDEN)
            norm(t, l + "sa_layer_norm")
            linear(t, l + "ffn.lin1", HIDDEN, INTERMEDIATE)
            linear(t, l + "ffn.lin2", INTERMEDIATE, HIDDEN)
            norm(t, l + "output_layer_norm")
        linear(t, "pre_classifier", HIDDEN, HIDDEN)
        linear(t, "classifier", HIDDEN, LABELS)
        pad, eps, types_n = 0, 1e-12, 0
    else:
        roberta = family != "bert"
        p = "roberta." if roberta else "bert."
        pad, eps = (1, 1e-5) if roberta else (0, 1e-12)
        types_n = 1 if roberta else 2
        arch = {"bert": "BertForSequenceClassification", "roberta": "RobertaForSequenceClassification",
                "xlm-roberta": "XLMRobertaForSequenceClassification"}[family]
        config = {"architectures": [arch], "model_type": family, "hidden_size": HIDDEN, "num_hidden_layers": LAYERS,
                  "num_attention_heads": HEADS, "intermediate_size": INTERMEDIATE, "hidden_act": "gelu",
                  "max_position_embeddings": POSITIONS, "type_vocab_size": types_n, "vocab_size": VOCAB,
                  "layer_norm_eps": eps, "pad_token_id": pad, "position_embedding_type": "absolute", "id2label": labels}
        t[p + "embeddings.word_embeddings.weight"] = rand(VOCAB, HIDDEN)
        t[p + "embeddings.position_embeddings.weight"] = rand(POSITIONS, HIDDEN)
        t[p + "embeddings.token_type_embeddings.weight"] = rand(types_n, HIDDEN)
        norm(t, p + "embeddings.LayerNorm")
        for i in range(LAYERS):
            l = p + "encoder.layer.%d." % i
            for n in ("query", "key", "value"):
                linear(t, l + "attention.self." + n, HIDDEN, HIDDEN)
            linear(t, l + "attention.output.dense", HIDDEN, HIDDEN)
            norm(t, l + "attention.output.LayerNorm")
            linear(t, l + "intermediate.dense", HIDDEN, INTERMEDIATE)
            linear(t, l + "output.dense", INTERMEDIATE, HIDDEN)
            norm(t, l + "output.LayerNorm")
        if roberta:
            linear(t, "classifier.dense", HIDDEN, HIDDEN)
            linear(t, "classifier.out_proj", HIDDEN, LABELS)
        else:
            linear(t, p + "pooler.dense", HIDDEN, HIDDEN)
            linear(t, "classifier", HIDDEN, LABELS)

    lengths = [7, 3, 12, 1, 30]
    longest = max(lengths)
    g = torch.Generator().manual_seed(len(family))
    ids = torch.full((len(lengths), longest), pad, dtype=torch.long)
    mask = torch.zeros((len(lengths), longest), dtype=torch.long)
    types = torch.zeros((len(lengths), longest), dtype=torch.long)
    rows = []
    for b, n in enumerate(lengths):
        row = torch.randint(pad + 1, VOCAB, (n,), generator=g)
        ids[b, :n] = row
        mask[b, :n] = 1
        if types_n > 1:
            types[b, n // 2:n] = 1
        rows.append({"ids": row.tolist(), "types": types[b, :n].tolist()})
    with torch.no_grad():
        if family == "distilbert":
            hidden, logits = distilbert(ids, mask, t)
        else:
            hidden, logits = bert_like(family, ids, mask, types, t, p, eps, pad)
    os.makedirs(out, exist_ok=True)
    write_safetensors(os.path.join(out, "model.safetensors"), t)
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    expected = {"inputs": rows, "logits": logits.tolist(),
                "hidden": [hidden[b, :n].tolist() for b, n in enumerate(lengths)]}
    with open(os.path.join(out, "expected.json"), "w") as f:
        json.dump(expected, f)


if __name__ == "__main__":
    root = sys.argv[1]
    for family in ("bert", "roberta", "xlm-roberta", "distilbert"):
        make(os.path.join(root, family), family)
