"""Whole-model numbers: Hugging Face GPT-2- and Llama-shaped models built from configs (nothing
downloaded, weights random: speed does not depend on them), with their FFNs as they are (fp32,
bf16, dynamic int8) or replaced by LookupFFN (float or int8 tables).

Prefill: one forward of a 512-token sequence, tokens/s. Decode: ``generate()`` of
:data:`DECODE_NEW_TOKENS` new tokens (greedy, cache on) after a 32-token prompt at batch 1 and 8,
new tokens/s over the whole call. Variants are timed interleaved, the order rotating per round
(:func:`lookup_tvm.timing.interleaved`); each thread count in its own process.
"""
from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import sys
import warnings
from typing import Any, Callable

import torch

MODELS = ("gpt2", "llama")
PREFILL_TOKENS = 512
PROMPT_TOKENS = 32
DECODE_NEW_TOKENS = 32
DECODE_BATCHES = (1, 8)
LOOKUP_OPTIONS = {"num_tables": 64, "code_bits": 8, "block_size": 64}


def build(name: str):
    """The model (eval, fp32) of a shape: GPT-2 small's (12 layers, d=768, FFN 3072) or a
    Llama-style one of about the same size (12 layers, d=768, gated FFN 2048)."""
    import transformers

    if name == "gpt2":
        config = transformers.GPT2Config(n_layer=12, n_embd=768, n_head=12, vocab_size=50257, n_positions=1024)
        model = transformers.GPT2LMHeadModel(config)
    elif name == "llama":
        config = transformers.LlamaConfig(hidden_size=768, intermediate_size=2048, num_hidden_layers=12,
                                          num_attention_heads=12, num_key_value_heads=12, vocab_size=32000,
                                          max_position_embeddings=1024, bos_token_id=1, eos_token_id=2,
                                          pad_token_id=0)
        model = transformers.LlamaForCausalLM(config)
    else:
        raise ValueError(f"unknown model shape {name!r}: one of {MODELS}")
    return model.eval()


def _ffn_linears(model) -> set[str]:
    """The names of the Linear-like layers inside the model's FFNs (for int8: only those)."""
    from lookup_tvm.integration import replace_ffn

    probe = copy.deepcopy(model)
    paths = [r.path for r in replace_ffn(probe, **LOOKUP_OPTIONS)]
    return {name for name, module in model.named_modules()
            if any(name.startswith(p + ".") for p in paths) and isinstance(module, torch.nn.Linear)}


def variants(name: str) -> dict[str, torch.nn.Module]:
    """The model with its own FFN in fp32, bf16 and dynamic int8 (the FFN's Linear layers only;
    GPT-2's Conv1D layers are converted to Linear first), and with LookupFFN in fp32, bf16 and
    with int8 tables."""
    from lookup_tvm import quantize_tables, replace_ffn

    base = build(name)
    if name == "gpt2":
        _conv1d_to_linear(base)
    out = {"FFN fp32": base, "FFN bf16": copy.deepcopy(base).bfloat16()}
    linears = _ffn_linears(base)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.backends.quantized.engine = "x86"
        out["FFN int8 dynamic"] = torch.ao.quantization.quantize_dynamic(copy.deepcopy(base), linears,
                                                                         dtype=torch.qint8)
    lookup = copy.deepcopy(base)
    replace_ffn(lookup, **LOOKUP_OPTIONS)
    out["LookupFFN fp32"] = lookup
    out["LookupFFN bf16"] = copy.deepcopy(lookup).bfloat16()
    quantized = copy.deepcopy(lookup)
    quantize_tables(quantized, "int8")
    out["LookupFFN int8 tables"] = quantized
    return out


def _conv1d_to_linear(model) -> None:
    """GPT-2's ``Conv1D`` layers as ``nn.Linear`` (same function), so dynamic quantization reaches them."""
    from transformers.pytorch_utils import Conv1D

    for name, module in list(model.named_modules()):
        if isinstance(module, Conv1D):
            linear = torch.nn.Linear(module.weight.shape[0], module.weight.shape[1])
            with torch.no_grad():
                linear.weight.copy_(module.weight.t())
                linear.bias.copy_(module.bias)
            parent, _, child = name.rpartition(".")
            setattr(model.get_submodule(parent) if parent else model, child, linear)


@dataclasses.dataclass
class ModelRow:
    """One model, phase and batch at one thread count: tokens/s of every variant."""

    model: str
    phase: str
    batch: int
    threads: int
    tokens_per_s: dict[str, float]
    rejected: int = 0

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def measure(name: str, threads: int, rounds: int, log: Callable[[str], None]) -> list[ModelRow]:
    """Prefill and decode rows of one model shape at this process's thread count."""
    from lookup_tvm.timing import ParallelismProbe, interleaved

    models = variants(name)
    vocab = models["FFN fp32"].config.vocab_size
    gen = torch.Generator().manual_seed(0)
    probe = ParallelismProbe() if threads > 1 else None
    rows = []
    with torch.inference_mode():
        prompt = torch.randint(3, vocab, (1, PREFILL_TOKENS), generator=gen)
        log(f"{name}: prefill, {len(models)} variants, {threads} thread(s)")
        samples = interleaved({v: (lambda m=m: m(prompt)) for v, m in models.items()}, rounds=rounds, warmup=1,
                              probe=probe)
        rows.append(ModelRow(name, f"prefill {PREFILL_TOKENS}", 1, threads,
                             {v: PREFILL_TOKENS / s for v, s in samples.medians().items()}, samples.rejected))
        for batch in DECODE_BATCHES:
            start = torch.randint(3, vocab, (batch, PROMPT_TOKENS), generator=gen)
            log(f"{name}: decode at batch {batch}, {threads} thread(s)")

            def decode(model, start=start):
                return lambda: model.generate(start, max_new_tokens=DECODE_NEW_TOKENS,
                                              min_new_tokens=DECODE_NEW_TOKENS, do_sample=False,
                                              pad_token_id=0)
            samples = interleaved({v: decode(m) for v, m in models.items()}, rounds=rounds, warmup=1, probe=probe)
            rows.append(ModelRow(name, f"decode {DECODE_NEW_TOKENS} tokens", batch, threads,
                                 {v: batch * DECODE_NEW_TOKENS / s for v, s in samples.medians().items()},
                                 samples.rejected))
    if probe:
        probe.close()
    return rows


def format_model_rows(rows: list[ModelRow], markdown: bool = False) -> str:
    """tokens/s per variant, and LookupFFN's ratio against each of the model's own FFNs."""
    from tabulate import tabulate

    names = list(dict.fromkeys(v for r in rows for v in r.tokens_per_s))
    table = []
    for r in rows:
        t = r.tokens_per_s
        ratios = "; ".join(f"{t[look] / t[own]:.2f}x {own}" for look in ("LookupFFN int8 tables",)
                           for own in ("FFN fp32", "FFN bf16", "FFN int8 dynamic"))
        table.append([r.model, r.phase, r.batch, r.threads, *(f"{t[v]:.1f}" for v in names), ratios, r.rejected])
    headers = ["model", "phase", "batch", "threads", *(f"{v} tok/s" for v in names),
               "LookupFFN int8 tables vs", "rejected rounds"]
    return tabulate(table, headers=headers, tablefmt="github" if markdown else "simple", disable_numparse=True)


def _worker_main(argv: list[str]) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--models", required=True)
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    rows = [r for name in args.models.split(",")
            for r in measure(name, args.threads, args.rounds, lambda m: print(m, file=sys.stderr, flush=True))]
    print(json.dumps([r.to_json() for r in rows]))


def run_models(models: list[str], threads: list[int], rounds: int) -> list[ModelRow]:
    """Each thread count in a fresh process (TVM sizes its pool once)."""
    from lookup_tvm.cpu.threads import run_json_worker, worker_environment

    rows = []
    for count in threads:
        env = worker_environment(count, OMP_WAIT_POLICY="PASSIVE")
        rows += [ModelRow(**r) for r in run_json_worker(
            "benchmarks.models", ["--models", ",".join(models), "--threads", str(count), "--rounds", str(rounds)],
            env, f"whole models, {count} thread(s)")]
    return rows


if __name__ == "__main__":
    _worker_main(sys.argv[1:])
