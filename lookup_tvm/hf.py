"""Hugging Face ``transformers`` models with LookupFFN: replace, save with
``save_pretrained``, and reload into the same model, bit for bit.

:func:`replace_ffn` replaces as :func:`lookup_tvm.replace_ffn` does and records the LookupFFN
options and the replaced paths in ``model.config`` (so ``config.json`` carries them).
:func:`from_pretrained` rebuilds the model from that config, replaces the same FFNs, then
loads the saved tensors, refusing a checkpoint whose tensors do not fit. Needs the ``hf``
extra (``pip install -e ".[hf]"``).
"""
from __future__ import annotations

import collections
import inspect
import json
import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from lookup_tvm import integration
from lookup_tvm.module import LookupFFN

CONFIG_KEY = "lookup_ffn"
SHAPE_OPTIONS = ("num_tables", "code_bits", "projection", "block_size")


def _shape_options(options: dict[str, Any]) -> dict[str, Any]:
    """The options that decide the tensors' shapes, defaults filled in (backend is a run-time choice)."""
    unknown = set(options) - set(SHAPE_OPTIONS) - {"backend"}
    if unknown:
        raise TypeError(f"unknown LookupFFN options {sorted(unknown)}; known: {SHAPE_OPTIONS + ('backend',)}")
    defaults = {name: p.default for name, p in inspect.signature(LookupFFN).parameters.items() if name in SHAPE_OPTIONS}
    return {name: options.get(name, defaults[name]) for name in SHAPE_OPTIONS}


def replace_ffn(model: nn.Module, *, strict: bool = True, **options: Any) -> list[integration.Replacement]:
    """Replace the FFNs of a ``transformers`` model (see :func:`lookup_tvm.replace_ffn`) and
    record the options in ``model.config.lookup_ffn`` for :func:`from_pretrained`."""
    shape = _shape_options(options)
    report = integration.replace_ffn(model, strict=strict, **options)
    model.config.lookup_ffn = {"options": shape, "replaced": [r.path for r in report],
                               "state_dict_version": LookupFFN._version}
    return report


def _model_class(config: Any) -> Any:
    import transformers

    names = getattr(config, "architectures", None) or []
    cls = getattr(transformers, names[0], None) if names else None
    if cls is None:
        raise ValueError(f"the config names no transformers architecture ({names}); pass model_class=")
    return cls


def _read_tensors(directory: Path) -> dict[str, torch.Tensor]:
    """The tensors saved by ``save_pretrained`` in ``directory`` (safetensors, sharded or not,
    or ``pytorch_model.bin``)."""
    from safetensors.torch import load_file

    if (directory / "model.safetensors").exists():
        return load_file(directory / "model.safetensors")
    index = directory / "model.safetensors.index.json"
    if index.exists():
        shards = sorted(set(json.loads(index.read_text())["weight_map"].values()))
        return {k: v for shard in shards for k, v in load_file(directory / shard).items()}
    if (directory / "pytorch_model.bin").exists():
        return torch.load(directory / "pytorch_model.bin", weights_only=True, map_location="cpu")
    raise FileNotFoundError(f"{directory} holds no model.safetensors, model.safetensors.index.json or pytorch_model.bin")


def _load_checked(model: nn.Module, tensors: dict[str, torch.Tensor], version: int, where: str) -> None:
    """Load ``tensors`` into ``model``: every tensor must exist with the model's shape, and every
    model tensor must be loaded or tied to a loaded one."""
    expected = model.state_dict(keep_vars=True)
    unexpected = sorted(set(tensors) - set(expected))
    mismatched = [f"{k}: checkpoint {tuple(v.shape)}, model {tuple(expected[k].shape)}"
                  for k, v in tensors.items() if k in expected and v.shape != expected[k].shape]
    if unexpected or mismatched:
        raise ValueError(f"{where}: the checkpoint's tensors do not fit the model rebuilt with its lookup_ffn options "
                         f"(another num_tables, code_bits or block_size?). Unexpected: {unexpected[:5]}; "
                         f"other shapes: {mismatched[:5]}")
    state = collections.OrderedDict(tensors)
    state._metadata = {name: {"version": version} for name, m in model.named_modules() if isinstance(m, LookupFFN)}
    missing = model.load_state_dict(state, strict=False).missing_keys
    model.tie_weights()
    after = model.state_dict(keep_vars=True)
    loaded = {after[k].data_ptr() for k in tensors}
    absent = [k for k in missing if after[k].data_ptr() not in loaded]
    if absent:
        raise ValueError(f"{where}: the checkpoint lacks {absent[:5]}{' ...' if len(absent) > 5 else ''}")


def from_pretrained(path_or_config: str | os.PathLike | Any, model_class: Any = None, *,
                    backend: str | None = None) -> nn.Module:
    """A model saved (``save_pretrained``) after :func:`replace_ffn`, rebuilt and loaded.

    ``path_or_config`` is the saved directory, or a config (then the model keeps its fresh
    initialisation). ``model_class`` defaults to the config's ``architectures[0]``;
    ``backend`` overrides the LookupFFN backend ("tvm" or "reference"). Raises ValueError
    for a config without LookupFFN options, replaced paths that differ from the recorded
    ones, and tensors that do not fit.
    """
    import transformers

    directory = None
    if isinstance(path_or_config, transformers.PretrainedConfig):
        config = path_or_config
    else:
        directory = Path(path_or_config)
        config = transformers.AutoConfig.from_pretrained(directory)
    recorded = getattr(config, CONFIG_KEY, None)
    where = str(directory or type(config).__name__)
    if not recorded:
        raise ValueError(f"{where}: the config has no '{CONFIG_KEY}' entry, so it was not saved from a model "
                         "converted with lookup_tvm.hf.replace_ffn; load it with transformers' own from_pretrained")
    cls = model_class or _model_class(config)
    model = cls.from_config(config) if hasattr(cls, "from_config") else cls(config)
    options = dict(recorded["options"], **({"backend": backend} if backend else {}))
    paths = [r.path for r in integration.replace_ffn(model, **options)]
    if paths != recorded["replaced"]:
        raise ValueError(f"{where}: replacing gave {paths}, but the saved model had {recorded['replaced']} replaced")
    model.config.lookup_ffn = recorded
    if directory is not None:
        _load_checked(model, _read_tensors(directory), recorded["state_dict_version"], where)
    return model.eval()
