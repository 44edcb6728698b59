#!/usr/bin/python3
"""Tiny random-weight Hugging Face decoder checkpoints and their reference logits, for the decoder fidelity test.

Run with Debian's python3-torch (`apt-get install python3-torch`; /usr/bin/python3):
    /usr/bin/python3 worker/src/test/python/make_decoder_fixtures.py worker/src/test/resources/decoder-fixtures

For GPT-2 (Conv1D weights, learned positions, gelu_new, tied head), Llama (llama3 rope scaling, grouped-query
attention), Qwen2 (q/k/v biases, tied embeddings, theta 1e6) and Mistral (an explicit head_dim unequal to
hidden/heads) it writes, per family, a directory with `config.json`,
`generation_config.json` and `model.safetensors` in exact Hugging Face naming, and `expected.json`: token sequences and
the logits at every position of each, by a full causal forward pass (no cache). The forward below is written from
Hugging Face's modeling code (modeling_gpt2.py, modeling_llama.py, modeling_qwen2.py, modeling_mistral.py, modeling_rope_utils.py:
RMSNorm in float32, rotate_half rotary embeddings, repeat_kv grouped-query attention, SwiGLU), with torch only; the
Java side shares no code with it.
"""
import json
import math
import os
import struct
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_encoder_fixtures import read_safetensors  # noqa: E402  (imported before this script seeds its generator)

torch.manual_seed(20261201)
VOCAB, HIDDEN, LAYERS, HEADS, KV_HEADS, INTERMEDIATE, POSITIONS = 96, 32, 2, 4, 2, 48, 64

FAMILIES = {
    "llama": dict(architectures=["LlamaForCausalLM"], model_type="llama", head_dim=8, rope_theta=10000.0,
                  rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                                "original_max_position_embeddings": 16},
                  tie_word_embeddings=False, attention_bias=False, bias_qkv=False),
    "qwen2": dict(architectures=["Qwen2ForCausalLM"], model_type="qwen2", head_dim=8, rope_theta=1000000.0, rope_scaling=None,
                  tie_word_embeddings=True, bias_qkv=True),
    "mistral": dict(architectures=["MistralForCausalLM"], model_type="mistral", head_dim=16, rope_theta=10000.0,
                    rope_scaling=None, tie_word_embeddings=False, bias_qkv=False, sliding_window=None),
}

SEQUENCES = [[1, 5, 9, 17, 33, 2, 8, 40, 41, 42, 43, 44], [1, 77, 3], [1, 12, 13, 14, 15, 16, 90, 91, 92, 93, 94, 95, 11, 10,
             9, 8, 7, 6], [1, 50]]


def rand(*shape):
    return torch.randn(*shape) * 0.2


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


def default_inv_freq(theta, dim):
    return 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))


def llama3_inv_freq(theta, dim, s):
    inv_freq = default_inv_freq(theta, dim)
    factor, low, high, old = s["factor"], s["low_freq_factor"], s["high_freq_factor"], s["original_max_position_embeddings"]
    low_freq_wavelen = old / low
    high_freq_wavelen = old / high
    wavelen = 2 * math.pi / inv_freq
    inv_freq_llama = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
    smooth_factor = (old / wavelen - low) / (high - low)
    smoothed_inv_freq = (1 - smooth_factor) * inv_freq_llama / factor + smooth_factor * inv_freq_llama
    is_medium_freq = ~(wavelen < high_freq_wavelen) * ~(wavelen > low_freq_wavelen)
    return torch.where(is_medium_freq, smoothed_inv_freq, inv_freq_llama)


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def rms_norm(x, weight, eps):
    variance = x.to(torch.float32).pow(2).mean(-1, keepdim=True)
    return weight * (x * torch.rsqrt(variance + eps))


def repeat_kv(x, n_rep):
    b, h, n, d = x.shape
    if n_rep == 1:
        return x
    return x[:, :, None, :, :].expand(b, h, n_rep, n, d).reshape(b, h * n_rep, n, d)


def forward(t, cfg, ids):
    d = cfg["head_dim"]
    eps = cfg["rms_norm_eps"]
    n = len(ids)
    x = t["model.embed_tokens.weight"][torch.tensor(ids)][None]
    if cfg["rope_scaling"]:
        inv_freq = llama3_inv_freq(cfg["rope_theta"], d, cfg["rope_scaling"])
    else:
        inv_freq = default_inv_freq(cfg["rope_theta"], d)
    positions = torch.arange(n).float()
    freqs = positions[:, None] * inv_freq[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos()[None, None], emb.sin()[None, None]
    causal = torch.full((n, n), torch.finfo(torch.float32).min).triu(1)[None, None]

    def lin(y, name, bias):
        return torch.nn.functional.linear(y, t[name + ".weight"], t.get(name + ".bias") if bias else None)

    for i in range(LAYERS):
        p = "model.layers.%d." % i
        h = rms_norm(x, t[p + "input_layernorm.weight"], eps)
        q = lin(h, p + "self_attn.q_proj", cfg["bias_qkv"]).view(1, n, HEADS, d).transpose(1, 2)
        k = lin(h, p + "self_attn.k_proj", cfg["bias_qkv"]).view(1, n, KV_HEADS, d).transpose(1, 2)
        v = lin(h, p + "self_attn.v_proj", cfg["bias_qkv"]).view(1, n, KV_HEADS, d).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k, v = repeat_kv(k, HEADS // KV_HEADS), repeat_kv(v, HEADS // KV_HEADS)
        scores = torch.matmul(q, k.transpose(2, 3)) * (d ** -0.5) + causal
        probs = torch.softmax(scores.float(), dim=-1)
        context = torch.matmul(probs, v).transpose(1, 2).reshape(1, n, HEADS * d)
        x = x + lin(context, p + "self_attn.o_proj", False)
        h = rms_norm(x, t[p + "post_attention_layernorm.weight"], eps)
        gate = lin(h, p + "mlp.gate_proj", False)
        up = lin(h, p + "mlp.up_proj", False)
        x = x + lin(torch.nn.functional.silu(gate) * up, p + "mlp.down_proj", False)
    x = rms_norm(x, t["model.norm.weight"], eps)
    head = t["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else t["lm_head.weight"]
    return torch.nn.functional.linear(x, head)[0]


def make(out, family, spec):
    d = spec["head_dim"]
    cfg = dict(spec)
    cfg.update(vocab_size=VOCAB, hidden_size=HIDDEN, intermediate_size=INTERMEDIATE, num_hidden_layers=LAYERS,
               num_attention_heads=HEADS, num_key_value_heads=KV_HEADS, max_position_embeddings=POSITIONS,
               rms_norm_eps=1e-5, hidden_act="silu", bos_token_id=1, eos_token_id=2, torch_dtype="float32")
    t = {"model.embed_tokens.weight": rand(VOCAB, HIDDEN)}
    for i in range(LAYERS):
        p = "model.layers.%d." % i
        t[p + "input_layernorm.weight"] = 1.0 + rand(HIDDEN)
        t[p + "self_attn.q_proj.weight"] = rand(HEADS * d, HIDDEN)
        t[p + "self_attn.k_proj.weight"] = rand(KV_HEADS * d, HIDDEN)
        t[p + "self_attn.v_proj.weight"] = rand(KV_HEADS * d, HIDDEN)
        if spec["bias_qkv"]:
            t[p + "self_attn.q_proj.bias"] = rand(HEADS * d)
            t[p + "self_attn.k_proj.bias"] = rand(KV_HEADS * d)
            t[p + "self_attn.v_proj.bias"] = rand(KV_HEADS * d)
        t[p + "self_attn.o_proj.weight"] = rand(HIDDEN, HEADS * d)
        t[p + "post_attention_layernorm.weight"] = 1.0 + rand(HIDDEN)
        t[p + "mlp.gate_proj.weight"] = rand(INTERMEDIATE, HIDDEN)
        t[p + "mlp.up_proj.weight"] = rand(INTERMEDIATE, HIDDEN)
        t[p + "mlp.down_proj.weight"] = rand(HIDDEN, INTERMEDIATE)
    t["model.norm.weight"] = 1.0 + rand(HIDDEN)
    if not spec["tie_word_embeddings"]:
        t["lm_head.weight"] = rand(VOCAB, HIDDEN)
    directory = os.path.join(out, family)
    os.makedirs(directory, exist_ok=True)
    write_safetensors(os.path.join(directory, "model.safetensors"), t)
    config = {k: v for k, v in cfg.items() if k != "bias_qkv"}
    if family == "llama":
        config["attention_bias"] = False
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(directory, "generation_config.json"), "w") as f:
        json.dump({"bos_token_id": 1, "eos_token_id": [2, 3], "temperature": 0.6, "top_p": 0.9, "do_sample": True}, f, indent=2)
    write_tokenizer(directory)
    with torch.no_grad():
        logits = [forward(t, cfg, s).tolist() for s in SEQUENCES]
    with open(os.path.join(directory, "expected.json"), "w") as f:
        json.dump({"sequences": SEQUENCES, "logits": logits}, f)


def write_tokenizer(directory):
    """A word-level tokenizer over the vocabulary (w4 .. w95), with <unk>, <s>, </s> and <|end|> as special tokens."""
    specials = ["<unk>", "<s>", "</s>", "<|end|>"]
    vocab = {tok: i for i, tok in enumerate(specials)}
    vocab.update({"w%d" % i: i for i in range(len(specials), VOCAB)})
    added = [{"id": i, "content": tok, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False,
              "special": True} for i, tok in enumerate(specials)]
    tokenizer = {"version": "1.0", "truncation": None, "padding": None, "added_tokens": added, "normalizer": None,
                 "pre_tokenizer": {"type": "Whitespace"}, "post_processor": None, "decoder": None,
                 "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "<unk>"}}
    with open(os.path.join(directory, "tokenizer.json"), "w") as f:
        json.dump(tokenizer, f, indent=1)
    template = ("{{ bos_token }}{% for m in messages %}{{ m['role'] }} {{ m['content'] }} {{ '<|end|>' }} {% endfor %}"
                "{% if add_generation_prompt %}assistant {% endif %}")
    with open(os.path.join(directory, "tokenizer_config.json"), "w") as f:
        json.dump({"bos_token": "<s>", "eos_token": "</s>", "model_max_length": 48, "chat_template": template}, f, indent=1)


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def gpt2_forward(t, ids):
    """modeling_gpt2.py: learned positions, pre-norm blocks, Conv1D (x @ W + b, W stored (in, out)), gelu_new, tied head."""
    n = len(ids)
    d = HIDDEN // HEADS
    x = t["transformer.wte.weight"][torch.tensor(ids)] + t["transformer.wpe.weight"][torch.arange(n)]
    x = x[None]
    causal = torch.tril(torch.ones(n, n, dtype=torch.bool))[None, None]

    def conv1d(y, name):
        return y @ t[name + ".weight"] + t[name + ".bias"]

    def ln(y, name):
        return torch.nn.functional.layer_norm(y, (HIDDEN,), t[name + ".weight"], t[name + ".bias"], 1e-5)

    for i in range(LAYERS):
        p = "transformer.h.%d." % i
        q, k, v = conv1d(ln(x, p + "ln_1"), p + "attn.c_attn").split(HIDDEN, dim=2)
        q, k, v = [y.view(1, n, HEADS, d).transpose(1, 2) for y in (q, k, v)]
        w = torch.matmul(q, k.transpose(-1, -2)) / (d ** 0.5)
        w = torch.where(causal, w, torch.tensor(torch.finfo(w.dtype).min))
        w = torch.softmax(w, dim=-1)
        a = torch.matmul(w, v).transpose(1, 2).reshape(1, n, HIDDEN)
        x = x + conv1d(a, p + "attn.c_proj")
        x = x + conv1d(gelu_new(conv1d(ln(x, p + "ln_2"), p + "mlp.c_fc")), p + "mlp.c_proj")
    x = ln(x, "transformer.ln_f")
    return (x @ t["transformer.wte.weight"].T)[0]


def make_gpt2(out):
    t = {"transformer.wte.weight": rand(VOCAB, HIDDEN), "transformer.wpe.weight": rand(POSITIONS, HIDDEN)}
    for i in range(LAYERS):
        p = "transformer.h.%d." % i
        for norm in ("ln_1", "ln_2"):
            t[p + norm + ".weight"] = 1.0 + rand(HIDDEN)
            t[p + norm + ".bias"] = rand(HIDDEN)
        for name, n_in, n_out in (("attn.c_attn", HIDDEN, 3 * HIDDEN), ("attn.c_proj", HIDDEN, HIDDEN),
                                  ("mlp.c_fc", HIDDEN, 4 * HIDDEN), ("mlp.c_proj", 4 * HIDDEN, HIDDEN)):
            t[p + name + ".weight"] = rand(n_in, n_out)
            t[p + name + ".bias"] = rand(n_out)
    t["transformer.ln_f.weight"] = 1.0 + rand(HIDDEN)
    t["transformer.ln_f.bias"] = rand(HIDDEN)
    directory = os.path.join(out, "gpt2")
    os.makedirs(directory, exist_ok=True)
    write_safetensors(os.path.join(directory, "model.safetensors"), t)
    config = {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "vocab_size": VOCAB, "n_embd": HIDDEN,
              "n_layer": LAYERS, "n_head": HEADS, "n_positions": POSITIONS, "n_inner": None, "activation_function": "gelu_new",
              "layer_norm_epsilon": 1e-5, "bos_token_id": 1, "eos_token_id": 2, "tie_word_embeddings": True}
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(directory, "generation_config.json"), "w") as f:
        json.dump({"bos_token_id": 1, "eos_token_id": [2, 3], "temperature": 0.6, "top_p": 0.9, "do_sample": True}, f, indent=2)
    write_tokenizer(directory)
    with torch.no_grad():
        logits = [gpt2_forward(t, s).tolist() for s in SEQUENCES]
    with open(os.path.join(directory, "expected.json"), "w") as f:
        json.dump({"sequences": SEQUENCES, "logits": logits}, f)


ADAPTERS = {
    # name: (rank, alpha, target modules, use_rslora)
    "adapter-a": (4, 8, ["q_proj", "v_proj", "o_proj", "gate_proj", "down_proj"], False),
    "adapter-b": (2, 4, ["k_proj", "up_proj", "q_proj"], True),
}
MODULE_SHAPES = {"q_proj": lambda d: (HEADS * d, HIDDEN), "k_proj": lambda d: (KV_HEADS * d, HIDDEN),
                 "v_proj": lambda d: (KV_HEADS * d, HIDDEN), "o_proj": lambda d: (HIDDEN, HEADS * d),
                 "gate_proj": lambda d: (INTERMEDIATE, HIDDEN), "up_proj": lambda d: (INTERMEDIATE, HIDDEN),
                 "down_proj": lambda d: (HIDDEN, INTERMEDIATE)}


def make_adapters(out):
    """PEFT LoRA adapters on the tiny Llama, in PEFT's layout (adapter_config.json + adapter_model.safetensors, names
    base_model.model.<module>.lora_A.weight (r, in) / lora_B.weight (out, r)), and the logits of the merged model
    (W + scaling * B @ A, scaling = alpha / r, or alpha / sqrt(r) with use_rslora), as PEFT's merge_and_unload computes."""
    base_dir = os.path.join(out, "llama")
    cfg = json.load(open(os.path.join(base_dir, "config.json")))
    cfg["bias_qkv"] = False
    base = read_safetensors(os.path.join(base_dir, "model.safetensors"))
    d = cfg["head_dim"]
    expected = {}
    for name, (rank, alpha, targets, rslora) in ADAPTERS.items():
        directory = os.path.join(out, "llama-" + name)
        os.makedirs(directory, exist_ok=True)
        tensors, merged = {}, dict(base)
        scaling = alpha / math.sqrt(rank) if rslora else alpha / rank
        for i in range(LAYERS):
            for module in targets:
                parent = "mlp" if module.endswith("_proj") and module in ("gate_proj", "up_proj", "down_proj") else "self_attn"
                key = "model.layers.%d.%s.%s" % (i, parent, module)
                n_out, n_in = MODULE_SHAPES[module](d)
                a = rand(rank, n_in)
                b = rand(n_out, rank)
                tensors["base_model.model." + key + ".lora_A.weight"] = a
                tensors["base_model.model." + key + ".lora_B.weight"] = b
                merged[key + ".weight"] = base[key + ".weight"] + scaling * (b @ a)
        write_safetensors(os.path.join(directory, "adapter_model.safetensors"), tensors)
        with open(os.path.join(directory, "adapter_config.json"), "w") as f:
            json.dump({"peft_type": "LORA", "task_type": "CAUSAL_LM", "base_model_name_or_path": "tiny-llama", "r": rank,
                       "lora_alpha": alpha, "lora_dropout": 0.05, "target_modules": targets, "bias": "none",
                       "fan_in_fan_out": False, "use_rslora": rslora, "use_dora": False}, f, indent=2)
        with torch.no_grad():
            expected[name] = [forward(merged, cfg, seq).tolist() for seq in SEQUENCES[:2]]
    with open(os.path.join(out, "llama-adapters-expected.json"), "w") as f:
        json.dump({"sequences": SEQUENCES[:2], "logits": expected}, f)


def main():
    out = sys.argv[1]
    for family, spec in FAMILIES.items():
        make(out, family, spec)
    make_gpt2(out)
    make_adapters(out)


if __name__ == "__main__":
    main()
