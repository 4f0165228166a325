"""Hugging Face ``transformers`` models with LookupFFN: replace, save with
``save_pretrained``, and reload into the same model, bit for bit (quantized tables too:
:func:`lookup_tvm.quantize_tables` records each layer's format in the config).

:func:`replace_ffn` replaces as :func:`lookup_tvm.replace_ffn` does and records the LookupFFN
options and the replaced paths in ``model.config`` (so ``config.json`` carries them).
:func:`from_pretrained` rebuilds the model from that config, replaces the same FFNs, then
loads the saved tensors, refusing a checkpoint whose tensors do not fit. Needs the ``hf``
extra (``pip install -e ".[hf]"``).
"""
from __future__ import annotations

import inspect
import os
from pathlib import Path
from typing import Any

from torch import nn

from lookup_tvm import integration
from lookup_tvm.module import LookupFFN
from lookup_tvm.kit.checks import TVM_ALIGNMENT

CONFIG_KEY = "lookup_ffn"
RUNTIME_OPTIONS = ("backend", "table_init_std")  # not recorded: no effect on a loaded model's function


def _recorded_options(options: dict[str, Any]) -> dict[str, Any]:
    """The LookupFFN options that decide the loaded model's tensors and function, defaults filled in."""
    defaults = {name: p.default for name, p in inspect.signature(LookupFFN).parameters.items()
                if p.kind == p.KEYWORD_ONLY or p.default is not p.empty}
    defaults = {k: v for k, v in defaults.items() if k not in RUNTIME_OPTIONS + ("d_out",)}
    unknown = set(options) - set(defaults) - set(RUNTIME_OPTIONS)
    if unknown:
        known = sorted(defaults) + list(RUNTIME_OPTIONS)
        raise TypeError(f"unknown LookupFFN options {sorted(unknown)}; known: {known}")
    return {name: options.get(name, default) for name, default in defaults.items()}


def replace_ffn(model: nn.Module, *, strict: bool = True, filter: integration.LayerFilter = None,
                **options: Any) -> list[integration.Replacement]:
    """Replace the FFNs of a ``transformers`` model (see :func:`lookup_tvm.replace_ffn`; ``filter``
    selects which) and record the options and the replaced paths in ``model.config.lookup_ffn``
    for :func:`from_pretrained`."""
    recorded = _recorded_options(options)
    report = integration.replace_ffn(model, strict=strict, filter=filter, **options)
    model.config.lookup_ffn = {"options": recorded, "replaced": [r.path for r in report],
                               "state_dict_version": LookupFFN._version}
    if not getattr(model.config, "architectures", None):
        model.config.architectures = [type(model).__name__]  # as save_pretrained records it
    return report


def _model_class(config: Any) -> Any:
    import transformers

    names = getattr(config, "architectures", None) or []
    cls = getattr(transformers, names[0], None) if names else None
    if cls is None:
        raise ValueError(f"the config names no transformers architecture ({names}); pass model_class=")
    return cls


def _converting_class(cls: Any, options: dict[str, Any], replaced: list[str], tables: dict[str, str]) -> Any:
    """``cls`` whose constructor replaces the FFNs at the ``replaced`` paths (and stores the
    tables of those in ``tables`` in their recorded formats), so transformers' own
    ``from_pretrained`` (key renaming, tied weights, shape checks) loads the saved LookupFFN
    tensors. It poses as ``cls`` (same name and module) so transformers applies ``cls``'s
    checkpoint conversions."""

    class Converting(cls):
        def __init__(self, config, *args, **kwargs):
            super().__init__(config, *args, **kwargs)
            self.lookup_report = integration.replace_ffn(self, filter=replaced, **options)
            for path, table_format in tables.items():
                self.get_submodule(path).quantize_tables(table_format)

    Converting.__name__, Converting.__qualname__, Converting.__module__ = cls.__name__, cls.__qualname__, cls.__module__
    return Converting


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
    if recorded.get("state_dict_version") != LookupFFN._version:
        raise ValueError(f"{where}: saved with LookupFFN state-dict version {recorded.get('state_dict_version')}, "
                         f"this lookup_tvm reads version {LookupFFN._version}")
    cls = model_class or _model_class(config)
    if hasattr(cls, "from_config"):  # an Auto class: the concrete class for this config
        cls = type(cls.from_config(config))
    options = dict(recorded["options"], **({"backend": backend} if backend else {}))
    converting = _converting_class(cls, options, recorded["replaced"], recorded.get("tables", {}))
    if directory is None:
        model = converting(config)
    else:
        try:
            model, info = converting.from_pretrained(directory, config=config, output_loading_info=True)
        except (RuntimeError, ValueError) as err:
            raise ValueError(f"{where}: the checkpoint's tensors do not fit the model rebuilt with its lookup_ffn "
                             f"options {recorded['options']}: {err}") from err
        bad = {k: sorted(info[k])[:5] for k in ("missing_keys", "unexpected_keys", "mismatched_keys") if info[k]}
        if bad:
            raise ValueError(f"{where}: the checkpoint's tensors do not fit the model rebuilt with its lookup_ffn "
                             f"options {recorded['options']} (another num_tables, code_bits or block_size?): {bad}")
    paths = [r.path for r in model.lookup_report]
    if paths != recorded["replaced"]:
        raise ValueError(f"{where}: replacing gave {paths}, but the saved model had {recorded['replaced']} replaced")
    del model.lookup_report
    model.__class__ = cls
    _align_lookup_parameters(model)
    return model.eval()


def _align_lookup_parameters(model: nn.Module) -> None:
    """Give LookupFFN parameters that transformers left in a memory-mapped file at an odd
    offset their own aligned memory, once, instead of an aligned copy at every kernel call."""
    for layer in model.modules():
        if isinstance(layer, LookupFFN):
            for param in layer.parameters():
                if param.data_ptr() % TVM_ALIGNMENT:
                    param.data = param.data.clone()
