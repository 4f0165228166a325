"""Put LookupFFN into a Hugging Face transformers model: replace, report, train briefly, save.

The model comes from a local directory (a config.json, with or without weights) or a model
type name plus overrides; nothing is downloaded. Every recognised FFN is replaced, by name
or by structure (any in-projection, activation, out-projection MLP: GPT-NeoX, BLOOM, Falcon,
Phi-3, T5...); the report gives, per layer, the rule used and how it was found, the norms
that stay, the parameter and FFN-FLOP change, and any dropout inside an MLP that was dropped.
``--filter`` replaces only the FFNs whose module path matches. Then a short run on local text
(``--data FILE``, else the standard library's sources):

- fine-tune (default): the causal, masked or sequence-to-sequence LM loss on byte tokens
  (vocabulary >= 256; masked LM >= 257 for its [MASK]; seq2seq (T5): the decoder rebuilds
  the input);
- distil (``--distil``, needs saved weights): match the original model's logits (KL), on
  the local text through the directory's tokenizer (bytes when there is none).

The result is saved with ``save_pretrained`` (its tables quantized with ``--table-format int8``
or ``int4``), with the directory's tokenizer when it has one; reload it with
``lookup_tvm.hf.from_pretrained``.

Examples:
  lookup-tvm replace-hf gpt2 --set n_layer=4,n_embd=256,n_head=4,vocab_size=256 --out build/gpt2-lookup
  lookup-tvm replace-hf bert --set hidden_size=256,num_hidden_layers=4,num_attention_heads=4,vocab_size=260 \\
      --config h=64 --steps 200 --out build/bert-lookup
  lookup-tvm replace-hf gpt_neox \\
      --set hidden_size=256,num_hidden_layers=4,num_attention_heads=4,vocab_size=256 --out build/neox-lookup
  lookup-tvm replace-hf path/to/saved-model --distil --steps 200 --out build/distilled
"""
from __future__ import annotations

import argparse
import copy
import dataclasses
import json
import sys
from pathlib import Path

from lookup_tvm.cpu.threads import add_threads_argument, use_threads


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help="a local model directory (config.json) or a transformers model type (gpt2, bert...)")
    p.add_argument("--set", default="", help="config overrides key=value,... (ints, floats, true/false)")
    p.add_argument("--out", type=Path, required=True, help="where save_pretrained writes the converted model")
    p.add_argument("--config", default="h=64,tau=8,b=64",
                   help='the LookupFFN layer shape, as for tune and export: "h=64,tau=8,b=64" (tables, bits per '
                        "code, BH4 block) and projection=bh4|dense; d and d_out come from the model (default "
                        "h=64,tau=8,b=64)")
    p.add_argument("--json", type=Path, default=None, help="also write the replacement report as JSON here")
    p.add_argument("--distil", action="store_true", help="distil from the original model instead of fine-tuning")
    p.add_argument("--steps", type=int, default=100, help="training steps (default 100; 0 only converts)")
    p.add_argument("--batch", type=int, default=8, help="sequences per step (default 8)")
    p.add_argument("--context", type=int, default=64, help="tokens per sequence (default 64)")
    p.add_argument("--lr", type=float, default=1e-3, help="AdamW learning rate (default 1e-3)")
    p.add_argument("--data", type=Path, default=None,
                   help="a UTF-8 text file to train on (default: the Python standard library's sources)")
    p.add_argument("--filter", action="append", default=None, metavar="PATTERN",
                   help="replace only the FFNs whose module path matches this fnmatch pattern (repeatable)")
    p.add_argument("--table-format", choices=["float", "int8", "int4"], default="float",
                   help="store the tables quantized after training (default float)")
    add_threads_argument(p)
    return p.parse_args(argv)


def _value(text: str):
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return {"true": True, "false": False}.get(text.lower(), text)


def load_model(name: str, overrides: str, distil: bool):
    """(model, task, tokenizer or None): from a directory (its weights if any) or a model type."""
    import transformers

    sets = dict(item.split("=", 1) for item in overrides.split(",") if item)
    fields = {k.strip(): _value(v.strip()) for k, v in sets.items()}
    directory = Path(name)
    if directory.is_dir():
        config = transformers.AutoConfig.from_pretrained(directory, **fields)
    else:
        config = transformers.AutoConfig.for_model(name, **fields)
    if type(config) in transformers.MODEL_FOR_CAUSAL_LM_MAPPING:
        task, auto = "causal-lm", transformers.AutoModelForCausalLM
    elif type(config) in transformers.MODEL_FOR_MASKED_LM_MAPPING:
        task, auto = "masked-lm", transformers.AutoModelForMaskedLM
    elif type(config) in transformers.MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING:
        task, auto = "seq2seq", transformers.AutoModelForSeq2SeqLM
        if getattr(config, "decoder_start_token_id", None) is None:  # T5's configs leave it to the checkpoint
            config.decoder_start_token_id = getattr(config, "pad_token_id", None) or 0
    else:
        raise SystemExit(f"{type(config).__name__} has no causal, masked or sequence-to-sequence LM head "
                         "in transformers")
    has_weights = directory.is_dir() and any((directory / f).exists() for f in (
        "model.safetensors", "model.safetensors.index.json", "pytorch_model.bin"))
    if distil and not has_weights:
        raise SystemExit("--distil needs a directory with saved weights to distil from")
    model = auto.from_pretrained(directory, config=config) if has_weights else auto.from_config(config)
    tokenizer = None
    if directory.is_dir() and (directory / "tokenizer_config.json").exists():
        tokenizer = transformers.AutoTokenizer.from_pretrained(directory)
    return model.float(), task, tokenizer


def token_stream(tokenizer, vocab: int, data: Path | None):
    """The training text (``data``, else the standard library's sources) as token ids: the
    tokenizer's, else bytes."""
    import torch

    from studies.corpus import stdlib_text
    from studies.lm import MASK_TOKEN

    text = data.read_bytes() if data is not None else stdlib_text(2_000_000)
    if not text:
        raise SystemExit(f"{data} is empty")
    if tokenizer is not None:
        ids = tokenizer(text.decode("utf-8", "replace"))["input_ids"]
        return torch.tensor(ids), getattr(tokenizer, "mask_token_id", None)
    if vocab < 256:
        raise SystemExit(f"byte tokens need vocab_size >= 256, the config has {vocab}; pass --set vocab_size=256")
    return torch.frombuffer(bytearray(text), dtype=torch.uint8).long(), MASK_TOKEN if vocab > MASK_TOKEN else None


def main(argv=None) -> int:
    args = parse_args(argv)
    use_threads(args.threads)
    import torch
    from tabulate import tabulate

    from lookup_tvm import hf
    from studies.corpus import batches
    from studies.lm import mask_tokens

    model, task, tokenizer = load_model(args.model, args.set, args.distil)
    teacher = copy.deepcopy(model).eval() if args.distil else None
    params_before = sum(p.numel() for p in model.parameters())
    from lookup_tvm.config import layer_options

    try:
        options = layer_options(args.config)
    except ValueError as err:
        raise SystemExit(f"--config: {err}") from None
    report = hf.replace_ffn(model, filter=args.filter, **options)
    rows = [[r.path, r.kind, r.found_by, ", ".join(n.rpartition(".")[2] for n in r.model_norms) or "-",
             f"{r.params_before:,} -> {r.params_after:,}", f"{r.flops_before:,} -> {r.flops_after:,}",
             f"{r.flops_after / r.flops_before:.2f}x"] for r in report]
    print(tabulate(rows, headers=["layer", "rule", "found by", "norms kept", "parameters", "FFN FLOPs/token",
                                  "FLOPs ratio"], tablefmt="github"))
    for note in sorted({f"{r.path}: {n}" for r in report for n in r.notes}):
        print(note)
    params_after = sum(p.numel() for p in model.parameters())
    print(f"\nmodel parameters {params_before:,} -> {params_after:,} ({params_after / params_before:.1f}x)")
    if args.json:
        args.json.write_text(json.dumps({"replaced": [dataclasses.asdict(r) for r in report],
                                         "parameters": [params_before, params_after]}, indent=1))

    stream, mask_id = token_stream(tokenizer, model.config.vocab_size, args.data)
    if stream.numel() <= args.context:
        raise SystemExit(f"the training text has {stream.numel()} tokens; --context {args.context} needs more")
    if task == "masked-lm" and mask_id is None and not args.distil:
        raise SystemExit("masked-LM fine-tuning on bytes needs vocab_size >= 257 (token 256 is [MASK])")
    gen = torch.Generator().manual_seed(0)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr)
    model.train()
    for step in range(1, args.steps + 1):
        window, _ = batches(stream, args.batch, args.context, gen)
        if args.distil:
            with torch.no_grad():
                target = torch.log_softmax(teacher(window).logits, -1)
            student = torch.log_softmax(model(window).logits, -1)
            loss = torch.nn.functional.kl_div(student, target, log_target=True, reduction="batchmean")
        elif task == "masked-lm":
            inputs, labels = mask_tokens(window, gen)
            loss = model(input_ids=inputs.masked_fill(inputs == 256, mask_id), labels=labels).loss
        else:  # causal LM (shifts its labels itself); seq2seq: the decoder rebuilds the input
            loss = model(input_ids=window, labels=window).loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step == 1 or step % max(1, args.steps // 10) == 0 or step == args.steps:
            print(f"step {step}/{args.steps} {'KL' if args.distil else 'loss'} {loss.item():.4f}", flush=True)
    if args.table_format != "float":
        from lookup_tvm import quantize_tables

        quantize_tables(model, args.table_format)
    model.eval().save_pretrained(args.out)
    if tokenizer is not None:
        tokenizer.save_pretrained(args.out)
    print(f"saved {args.out}{' with its tokenizer' if tokenizer is not None else ''}; reload with "
          f"lookup_tvm.hf.from_pretrained({str(args.out)!r})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
