"""replace_ffn: swap the feed-forward sub-blocks of common transformer modules for LookupFFN.

Recognised shapes:
- ``torch.nn.TransformerEncoderLayer`` (``linear1`` -> activation -> ``linear2``);
- an MLP module with ``fc1``, ``act`` and ``fc2`` (GPT/ViT style);
- a BERT-style layer with ``intermediate.dense`` and ``output.dense``.

LookupFFN is not a numerical drop-in for trained FFN weights: a swapped model is trained
from scratch or distilled from the original.
"""
from __future__ import annotations

import dataclasses
from typing import Any

from torch import nn

from lookup_tvm.module import LookupFFN


@dataclasses.dataclass
class Replacement:
    path: str
    kind: str
    d_model: int
    d_out: int
    params_before: int
    params_after: int


def _params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def _lookup(d_model: int, d_out: int, reference: nn.Module, options: dict[str, Any]) -> LookupFFN:
    layer = LookupFFN(d_model, d_out=d_out, **options)
    param = next(reference.parameters(), None)
    return layer.to(param.device) if param is not None else layer


def replace_ffn(model: nn.Module, **lookup_options: Any) -> list[Replacement]:
    """Replace every recognised FFN in ``model`` in place; returns what was replaced.

    ``lookup_options`` go to :class:`LookupFFN` (num_tables, code_bits, projection,
    block_size, backend).
    """
    report: list[Replacement] = []
    for path, module in list(model.named_modules()):
        if isinstance(module, nn.TransformerEncoderLayer) and isinstance(module.linear1, nn.Linear):
            before = _params(module.linear1) + _params(module.linear2)
            d_model, d_out = module.linear1.in_features, module.linear2.out_features
            module.linear1 = _lookup(d_model, d_out, module.linear1, lookup_options)
            module.activation = nn.Identity()
            module.activation_relu_or_gelu = 0  # the fused fast path reads linear1/linear2 weights
            module.linear2 = nn.Identity()
            report.append(Replacement(path, "TransformerEncoderLayer", d_model, d_out, before,
                                      _params(module.linear1)))
        elif all(isinstance(getattr(module, n, None), nn.Linear) for n in ("fc1", "fc2")) and hasattr(module, "act"):
            parent, name = _parent(model, path)
            d_model, d_out = module.fc1.in_features, module.fc2.out_features
            replacement = _lookup(d_model, d_out, module, lookup_options)
            setattr(parent, name, replacement)
            report.append(Replacement(path, "fc1/act/fc2", d_model, d_out, _params(module), _params(replacement)))
        elif isinstance(getattr(getattr(module, "intermediate", None), "dense", None), nn.Linear) and isinstance(
                getattr(getattr(module, "output", None), "dense", None), nn.Linear):
            d_model, d_out = module.intermediate.dense.in_features, module.output.dense.out_features
            before = _params(module.intermediate) + _params(module.output.dense)
            module.intermediate = _lookup(d_model, d_out, module.intermediate, lookup_options)
            module.output.dense = nn.Identity()
            report.append(Replacement(path, "intermediate/output", d_model, d_out, before,
                                      _params(module.intermediate)))
    return report


def _parent(model: nn.Module, path: str) -> tuple[nn.Module, str]:
    if not path:
        raise ValueError("replace_ffn cannot replace the model itself; wrap it in a container")
    parent_path, _, name = path.rpartition(".")
    return model.get_submodule(parent_path) if parent_path else model, name
