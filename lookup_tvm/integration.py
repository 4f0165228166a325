"""replace_ffn: swap the feed-forward sub-blocks of common transformer modules for LookupFFN.

Recognised MLP shapes (the module named is the one that holds the FFN's layers), by name
first (the fast paths below), then by structure (:mod:`lookup_tvm.mlp_structure`: any module
whose own linear layers compute in-projection, elementwise activation, optionally times a
gate, then out-projection, checked on one traced forward: GPT-NeoX, BLOOM, Falcon, Phi-3's
fused gate-and-up, T5's dense and gated MLPs, a user's own):

- two layers with an activation attribute between them: ``linear1``/``linear2``
  (``torch.nn.TransformerEncoderLayer``), ``fc1``/``fc2`` (OPT, ViT, CLIP, Whisper),
  ``c_fc``/``c_proj`` (GPT-2's ``Conv1D``), ``lin1``/``lin2`` (DistilBERT). A module that holds
  only the MLP (ViT's, CLIP's, GPT-2's, DistilBERT's) is replaced whole. Where the layers sit
  next to attention (OPT and Whisper decoder layers, ``TransformerEncoderLayer``), the first
  layer becomes the LookupFFN and the activation and second layer ``nn.Identity``: the module
  keeps everything else (attention, dropout, norms, the residual);
- BERT style, ``intermediate.dense`` + ``output.dense`` (BERT, RoBERTa): ``intermediate``
  becomes the LookupFFN and ``output.dense`` an identity, so ``output`` still adds the residual
  and applies its LayerNorm;
- gated, ``gate_proj``/``up_proj``/``down_proj`` (Llama, Mistral, Qwen2): the MLP module is
  replaced as a whole, which needs it to hold nothing but the MLP.

The model's own norms and residuals stay where they are; LookupFFN adds its own pre-LayerNorm
(spec step 1) on its input. LookupFFN is not a numerical drop-in for trained FFN weights: a
swapped model is trained from scratch or distilled from the original.
"""
from __future__ import annotations

import dataclasses
import re
import fnmatch
import warnings
from typing import Any, Callable, Iterable, Iterator, Union

import torch
from torch import nn

from lookup_tvm.kit.checks import STORAGE_DTYPES
from lookup_tvm.mlp_structure import find_mlp, linear_widths, replace_in_place
from lookup_tvm.module import LookupFFN

PAIRS = (("linear1", "linear2"), ("fc1", "fc2"), ("c_fc", "c_proj"), ("lin1", "lin2"))
GATED = ("gate_proj", "up_proj", "down_proj")
_MLP_NAME = re.compile(r"MLP|FFN|FeedForward|Intermediate|DenseAct", re.IGNORECASE)


@dataclasses.dataclass
class Replacement:
    """One replaced FFN: where, which rule, its widths, and the change in parameters and
    FFN FLOPs per token (multiply-add = 2). ``model_norms`` are the paths of the norm
    modules of the enclosing layer: all of them stay. ``found_by``: "name" (a named rule) or
    "structure" (:mod:`lookup_tvm.mlp_structure`); ``notes``: what changed besides the FFN
    (dropout inside the MLP dropped or kept)."""

    path: str
    kind: str
    d_model: int
    hidden: int
    d_out: int
    params_before: int
    params_after: int
    flops_before: int
    flops_after: int
    model_norms: tuple[str, ...]
    found_by: str = "name"
    notes: tuple[str, ...] = ()


def _params(*modules: nn.Module) -> int:
    return sum(p.numel() for m in modules for p in m.parameters())


def _activation_attr(module: nn.Module) -> str | None:
    """The attribute holding the activation between the two layers (``act``, ``activation``,
    ``activation_fn``...): a callable whose name contains ``act``."""
    for name in [*module._modules, *(n for n in vars(module) if not n.startswith("_"))]:
        value = getattr(module, name, None)
        if "act" in name.lower() and callable(value) and linear_widths(value) is None:
            return name
    return None


def _norms(model: nn.Module, path: str, lookup: nn.Module) -> tuple[str, ...]:
    """Paths of the norm modules in the layer around a replaced FFN: inside the module at
    ``path`` or, if it has none, its parent (outside ``lookup``). All of them are kept."""
    inside = set(lookup.modules())
    for where in (path, path.rpartition(".")[0]):
        layer = model.get_submodule(where)
        found = tuple(f"{where}.{name}".lstrip(".") for name, m in layer.named_modules()
                      if m not in inside and "norm" in type(m).__name__.lower())
        if found or not where:
            return found
    return ()


def _holds_only(module: nn.Module, *layers: nn.Module) -> bool:
    """Whether ``module`` is a dedicated MLP: no parameters outside ``layers``."""
    return not any(_params(child) for child in module.children() if all(child is not layer for layer in layers))


def _parent(model: nn.Module, path: str) -> tuple[nn.Module, str]:
    if not path:
        raise ValueError("replace_ffn cannot replace the model itself; wrap it in a container")
    parent_path, _, name = path.rpartition(".")
    return model.get_submodule(parent_path) if parent_path else model, name


class _Builder:
    """Makes LookupFFN layers on the device and dtype of the layers they replace."""

    def __init__(self, options: dict[str, Any]):
        self.options = options

    def __call__(self, d_model: int, d_out: int, replaced: nn.Module) -> LookupFFN:
        layer = LookupFFN(d_model, d_out=d_out, **self.options)
        param = next(replaced.parameters(), None)
        if param is None:
            return layer
        dtype = param.dtype
        if dtype == torch.float16 and layer.backend == "tvm":
            warnings.warn("replace_ffn: the model's FFN is float16; LookupFFN(backend='tvm') runs float32 or bfloat16 "
                          "kernels, so the new layers are bfloat16 (as wide a range as float32, 8 significant bits). "
                          "Cast the model to bfloat16 too (model.bfloat16()) or run it under torch.autocast('cpu', "
                          "dtype=torch.bfloat16): a float16 input raises TypeError", stacklevel=3)
            dtype = torch.bfloat16
        elif dtype not in STORAGE_DTYPES and layer.backend == "tvm":
            raise TypeError(
                f"replace_ffn: the model's FFN is {dtype}; LookupFFN(backend='tvm') runs float32 or bfloat16 "
                "kernels. Convert the model (model.float() or model.bfloat16(); torch.autocast('cpu', "
                "dtype=torch.bfloat16) works too), or pass backend='reference' for a pure-PyTorch layer in this dtype")
        return layer.to(device=param.device, dtype=dtype)


def _replace_pair(model: nn.Module, path: str, module: nn.Module, build: _Builder) -> Replacement | None:
    act = _activation_attr(module)
    if act is None:
        return None
    for first_name, second_name in PAIRS:
        first, second = getattr(module, first_name, None), getattr(module, second_name, None)
        if first is None or second is None:
            continue
        first_w, second_w = linear_widths(first), linear_widths(second)
        if first_w is None or second_w is None or first_w[1] != second_w[0]:
            continue
        before = _params(first, second)
        lookup = build(first_w[0], second_w[1], first)
        if path and _holds_only(module, first, second):
            parent, name = _parent(model, path)
            setattr(parent, name, lookup)
        else:
            setattr(module, first_name, lookup)
            setattr(module, act, nn.Identity())
            setattr(module, second_name, nn.Identity())
            if isinstance(module, nn.TransformerEncoderLayer):
                module.activation_relu_or_gelu = 0  # its fused fast path would read linear1/linear2 weights
        kind = f"{first_name}/{act}/{second_name}"
        return _report(path, kind, first_w[0], first_w[1], second_w[1], before, lookup, 2,
                       _norms(model, path, lookup))
    return None


def _replace_bert(model: nn.Module, path: str, module: nn.Module, build: _Builder) -> Replacement | None:
    intermediate, output = getattr(module, "intermediate", None), getattr(module, "output", None)
    first = linear_widths(getattr(intermediate, "dense", None)) if intermediate is not None else None
    second = linear_widths(getattr(output, "dense", None)) if output is not None else None
    if first is None or second is None or first[1] != second[0]:
        return None
    before = _params(intermediate, output.dense)
    lookup = build(first[0], second[1], intermediate)
    module.intermediate = lookup
    output.dense = nn.Identity()
    return _report(path, "intermediate/output", first[0], first[1], second[1], before, lookup, 2,
                   _norms(model, path, lookup))


def _replace_gated(model: nn.Module, path: str, module: nn.Module, build: _Builder) -> Replacement | None:
    widths = [linear_widths(getattr(module, n, None)) if isinstance(getattr(module, n, None), nn.Module) else None
              for n in GATED]
    if any(w is None for w in widths):
        return None
    if not _holds_only(module, *(getattr(module, n) for n in GATED)):
        return None  # the MLP shares its module with other layers: replacing it whole would drop them
    parent, name = _parent(model, path)
    before = _params(module)
    lookup = build(widths[0][0], widths[2][1], module)
    setattr(parent, name, lookup)
    return _report(path, "/".join(GATED), widths[0][0], widths[0][1], widths[2][1], before, lookup, 3,
                   _norms(model, path, lookup))


def _replace_by_structure(model: nn.Module, path: str, module: nn.Module, build: _Builder) -> Replacement | None:
    """Any other MLP, told by its layers' shapes and one traced forward (:func:`find_mlp`):
    replaced whole where its output is the out-projection's, else in place (the in-projection
    becomes the LookupFFN, the activation and out-projection identities) where the module adds
    something of its own (BLOOM's residual), checked by running it again."""
    found = find_mlp(module)
    if found is None:
        return None
    first = getattr(module, found.inputs[0])
    before = _params(*(getattr(module, n) for n in (*found.inputs, found.output)))
    lookup = build(found.d_model, found.d_out, first)
    if found.whole:
        if not path:
            return None
        parent, name = _parent(model, path)
        setattr(parent, name, lookup)
        notes = tuple(f"dropout {n} (p={p}) inside the MLP dropped" for n, p in found.dropouts)
    else:
        replace_in_place(module, found, lookup)
        notes = tuple(f"dropout {n} (p={p}) kept, now on the LookupFFN output" for n, p in found.dropouts)
    matmuls = 3 if found.kind != "plain" else 2
    return _report(path, found.describe(), found.d_model, found.hidden, found.d_out, before, lookup, matmuls,
                   _norms(model, path, lookup), "structure", notes)


RULES: tuple[Callable[[nn.Module, str, nn.Module, _Builder], Replacement | None], ...] = (
    _replace_pair, _replace_bert, _replace_gated, _replace_by_structure)


def _report(path: str, kind: str, d_model: int, hidden: int, d_out: int, before: int, lookup: LookupFFN,
            matmuls: int, norms: tuple[str, ...], found_by: str = "name", notes: tuple[str, ...] = ()) -> Replacement:
    flops_before = 2 * d_model * hidden * (matmuls - 1) + 2 * hidden * d_out
    return Replacement(path, kind, d_model, hidden, d_out, before, _params(lookup), flops_before,
                       lookup.config.flops_per_token(), norms, found_by, notes)


def _mlp_like(model: nn.Module) -> Iterator[str]:
    """Descriptions of modules that look like an MLP: two or more linear children, or an
    MLP-like class name."""
    for _, module in model.named_modules():
        linear = [n for n, c in module.named_children() if linear_widths(c) is not None]
        if len(linear) >= 2 or _MLP_NAME.search(type(module).__name__):
            yield f"{type(module).__name__}({', '.join(linear) or 'no linear children'})"


LayerFilter = Union[Callable[[str, nn.Module], bool], str, Iterable[str], None]
"""Which layers an operation applies to: a callable ``(path, module) -> bool``, or ``fnmatch``
patterns on the module path (``"model.layers.*"``; one string or several), or None for all."""


def selected(path: str, module: nn.Module, filter: LayerFilter) -> bool:
    """Whether the module at ``path`` passes ``filter`` (:data:`LayerFilter`)."""
    if filter is None:
        return True
    if callable(filter):
        return bool(filter(path, module))
    patterns = [filter] if isinstance(filter, str) else list(filter)
    return any(fnmatch.fnmatchcase(path, pattern) for pattern in patterns)


def replace_ffn(model: nn.Module, *, strict: bool = True, filter: LayerFilter = None,
                **lookup_options: Any) -> list[Replacement]:
    """Replace every recognised FFN in ``model`` in place (those ``filter`` selects, by the
    path of the module that holds the FFN: a callable ``(path, module) -> bool`` or ``fnmatch``
    patterns such as ``"model.layers.1*"``); returns what was replaced.

    ``lookup_options`` go to :class:`LookupFFN` (num_tables, code_bits, projection,
    block_size, backend, tables). Each LookupFFN is created on the device and dtype of the layers
    it replaces; with ``backend="tvm"`` a float16 model gets bfloat16 layers (with a warning: cast
    the model to bfloat16 too) and other dtypes but float32 and bfloat16 raise TypeError. With
    ``strict`` (the default), a model in which nothing is replaced raises ValueError listing the
    MLP-like modules it holds.
    """
    build = _Builder(lookup_options)
    report: list[Replacement] = []
    for path, module in list(model.named_modules()):
        if isinstance(module, LookupFFN) or any(path.startswith(r.path + ".") for r in report):
            continue
        if not selected(path, module, filter):
            continue
        for rule in RULES:
            replaced = rule(model, path, module, build)
            if replaced is not None:
                report.append(replaced)
                break
    if strict and not report:
        seen = sorted(set(_mlp_like(model)))
        chosen = "" if filter is None else f" among the modules filter={filter!r} selects"
        raise ValueError(
            f"replace_ffn found no FFN it knows{chosen} in {type(model).__name__}. MLP-like modules seen: "
            f"{', '.join(seen) or 'none'}. Recognised by name: {', '.join('/'.join(p) for p in PAIRS)} with an "
            f"activation attribute, intermediate.dense/output.dense, {'/'.join(GATED)}; by structure: a module whose "
            "own linear layers compute in-projection, elementwise activation (times a gate), out-projection "
            "(lookup_tvm.mlp_structure). Pass strict=False to allow no change")
    return report


def quantize_tables(model: nn.Module, table_format: str = "int8", *,
                    filter: LayerFilter = None) -> list[str]:
    """Store the tables of every LookupFFN in ``model`` (those ``filter`` selects) as
    ``table_format`` (``"int8"``, ``"int4"`` or ``"float"``, :meth:`LookupFFN.quantize_tables`);
    returns their paths. A model converted by :func:`lookup_tvm.hf.replace_ffn` records each
    layer's format in ``model.config.lookup_ffn``, so ``lookup_tvm.hf.from_pretrained`` rebuilds
    it. ValueError when no layer is selected."""
    paths = []
    for path, module in model.named_modules():
        if isinstance(module, LookupFFN) and selected(path, module, filter):
            module.quantize_tables(table_format)
            paths.append(path)
    if not paths:
        raise ValueError(f"quantize_tables: no LookupFFN in {type(model).__name__} matches {filter!r}")
    recorded = getattr(getattr(model, "config", None), "lookup_ffn", None)
    if isinstance(recorded, dict):
        recorded["tables"] = {path: module.table_format for path, module in model.named_modules()
                              if isinstance(module, LookupFFN) and module.table_format != "float"}
    return paths
