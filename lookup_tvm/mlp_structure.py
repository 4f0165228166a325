"""MLPs told by their structure, not their names: a module whose forward is an in-projection
(model width d -> hidden k), an elementwise activation (optionally times a gate: two
in-projections, or one fused gate-and-up projection d -> 2k split in two), then an
out-projection k -> d_out.

:func:`find_mlp` first reads the shapes of the module's own linear layers (``nn.Linear`` or
GPT-2's ``Conv1D``: two or three of them that chain as above), then runs its forward once on a
small random input with hooks on those layers, and accepts it only if:

- every in-projection reads the module's input itself;
- the out-projection runs last, once;
- what it reads is elementwise in the in-projections' outputs: a change to a few hidden units
  of one token (in each in-projection's output, each half of a fused one) changes those
  units of that token only. Attention mixes tokens and is never taken; modules whose class
  name says attention are not even traced.

The module's output decides how it is replaced: equal to the out-projection's output (and a
forward taking only the hidden states) -> the module is replaced whole; otherwise (BLOOM adds
its residual inside the MLP) :func:`replace_in_place` swaps the in-projection for the
LookupFFN and the activation and out-projection for identities, and keeps that only if the
module's output then changes exactly by the FFN's part.
"""
from __future__ import annotations

import contextlib
import dataclasses
from copy import deepcopy as copy_module
import inspect
import re
from typing import Any, Iterator

import torch
from torch import nn

ATTENTION = re.compile(r"attn|attention", re.IGNORECASE)
TRACE_TOKENS = (2, 3)  # the traced input's leading shape: 2 sequences of 3 tokens
PERTURBATION = 3.0


def linear_widths(layer: Any) -> tuple[int, int] | None:
    """(in, out) features of an ``nn.Linear`` or a GPT-2 style ``Conv1D`` (weight [in, out])."""
    if isinstance(layer, nn.Linear):
        return layer.in_features, layer.out_features
    weight = getattr(layer, "weight", None)
    if type(layer).__name__ == "Conv1D" and isinstance(weight, torch.Tensor) and weight.dim() == 2:
        return weight.shape[0], weight.shape[1]
    return None


@dataclasses.dataclass(frozen=True)
class FoundMLP:
    """An MLP found in a module: ``kind`` "plain" (act(in(x))), "gated" (two in-projections,
    gate and up, multiplied after the activation) or "fused" (one in-projection d -> 2k split in
    two); the child names of its in-projections and out-projection; its widths; ``whole``: the
    module may be replaced whole; the dropout children inside it (name, p); where it is not
    whole, ``activation``: the child that becomes an identity in place (:func:`replace_in_place`)."""

    kind: str
    inputs: tuple[str, ...]
    output: str
    d_model: int
    hidden: int
    d_out: int
    whole: bool
    dropouts: tuple[tuple[str, float], ...]
    activation: str | None = None

    def describe(self) -> str:
        return f"{'/'.join(self.inputs)}/{self.output} ({self.kind})"


def _shapes(module: nn.Module) -> Iterator[tuple[str, tuple[str, ...], str, int, int, int]]:
    """Candidate (kind, in-projections, out-projection, d, k, d_out) from the linear children's widths."""
    linear = {name: w for name, child in module.named_children() if (w := linear_widths(child)) is not None}
    if len(linear) not in (2, 3):
        return
    for out_name, (k, d_out) in linear.items():
        ins = {n: w for n, w in linear.items() if n != out_name}
        widths = set(ins.values())
        if len(widths) != 1:
            continue
        d, width = widths.pop()
        if len(ins) == 1 and width == k:
            yield "plain", tuple(ins), out_name, d, k, d_out
        elif len(ins) == 1 and width == 2 * k:
            yield "fused", tuple(ins), out_name, d, k, d_out
        elif len(ins) == 2 and width == k:
            yield "gated", tuple(ins), out_name, d, k, d_out


def _extra_arguments(module: nn.Module) -> int:
    """Required positional arguments of the forward after the hidden states."""
    params = list(inspect.signature(module.forward).parameters.values())
    required = [p for p in params if p.default is p.empty
                and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return max(0, len(required) - 1)


@contextlib.contextmanager
def _evaluating(module: nn.Module):
    """The module in eval mode (dropout off) without gradients; training flags restored after."""
    modes = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        for m, training in modes:
            m.training = training


class _Recorder:
    """Forward hooks on named children: each call's input and output, in call order; an
    optional ``change`` of one child's output (name, function)."""

    def __init__(self, module: nn.Module, names: tuple[str, ...]):
        self.calls: list[tuple[str, torch.Tensor, torch.Tensor]] = []
        self.change: tuple[str, Any] | None = None
        self.handles = [getattr(module, n).register_forward_hook(self._hook(n)) for n in names]

    def _hook(self, name: str):
        def hook(_, args, output):
            if self.change is not None and self.change[0] == name:
                output = self.change[1](output)
            self.calls.append((name, args[0] if args else None, output))
            return output
        return hook

    def run(self, module: nn.Module, inputs: tuple[torch.Tensor, ...], change=None):
        self.calls, self.change = [], change
        return module(*inputs)

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()


def _sample_inputs(module: nn.Module, d_model: int) -> tuple[torch.Tensor, ...]:
    """A random input (2 x 3 tokens of width d_model) and one more of that shape per further
    required forward argument, on the device and dtype of the module's parameters."""
    param = next(module.parameters())
    generator = torch.Generator().manual_seed(0)
    return tuple(torch.randn(*TRACE_TOKENS, d_model, generator=generator, device="cpu").to(param.device, param.dtype)
                 for _ in range(1 + _extra_arguments(module)))


def _elementwise(recorder: _Recorder, module: nn.Module, inputs, kind: str, ins: tuple[str, ...], out: str,
                 hidden: int, reads: torch.Tensor) -> bool:
    """Whether the out-projection's input changes only at the hidden units of the token whose
    in-projection outputs were changed (each in-projection, each half of a fused one)."""
    units = torch.arange(0, hidden, 3)
    halves = (0, hidden) if kind == "fused" else (0,)
    for name in ins:
        for offset in halves:
            def change(output, at=units + offset):
                changed = output.clone()
                changed[0, 0, at] += PERTURBATION
                return changed
            recorder.run(module, inputs, (name, change))
            changed = next((c[1] for c in recorder.calls if c[0] == out), None)
            if changed is None or changed.shape != reads.shape:
                return False
            moved = changed != reads
            expected = torch.zeros_like(moved)
            expected[0, 0, units] = True
            if (moved & ~expected).any() or not moved[0, 0, units].any():
                return False
    return True


def find_mlp(module: nn.Module) -> FoundMLP | None:
    """The MLP ``module`` computes, or None (see the module docstring). Runs its forward at
    most a few times on 6 random tokens, in eval mode, without gradients; a module on the
    ``meta`` device (transformers builds models there before loading) is traced on a copy
    with random weights."""
    if ATTENTION.search(type(module).__name__):
        return None
    traced = _materialized(module)
    param = next(traced.parameters(), None)
    if param is None:
        return None
    with torch.device(param.device):  # over any default device the caller set (transformers: meta)
        return _find(module, traced)


def _find(module: nn.Module, traced: nn.Module) -> FoundMLP | None:
    for kind, ins, out, d, k, d_out in _shapes(traced):
        inputs = _sample_inputs(traced, d)
        recorder = _Recorder(traced, (*ins, out))
        try:
            with _evaluating(traced):
                result = recorder.run(traced, inputs)
                calls = list(recorder.calls)
                names = [c[0] for c in calls]
                if sorted(names) != sorted((*ins, out)) or names[-1] != out:
                    continue
                if not all(torch.equal(c[1], inputs[0]) for c in calls if c[0] in ins):
                    continue
                reads, writes = calls[-1][1], calls[-1][2]
                if not _elementwise(recorder, traced, inputs, kind, ins, out, k, reads):
                    continue
        except Exception:  # a forward that does not run on a plain hidden-state input is no MLP of ours
            continue
        finally:
            recorder.remove()
        whole = len(inputs) == 1 and isinstance(result, torch.Tensor) and torch.equal(result, writes)
        dropouts = tuple((n, c.p) for n, c in module.named_children() if isinstance(c, nn.Dropout) and c.p > 0)
        found = FoundMLP(kind, ins, out, d, k, d_out, whole, dropouts)
        if whole:
            return found
        activation = _in_place_activation(traced, found, inputs)
        return dataclasses.replace(found, activation=activation) if activation is not None else None
    return None


def _materialized(module: nn.Module) -> nn.Module:
    """``module`` itself, or for one with ``meta`` tensors a CPU copy with random weights."""
    if not any(t.is_meta for t in (*module.parameters(), *module.buffers())):
        return module
    copy = copy_module(module).to_empty(device="cpu")
    with torch.no_grad():
        for param in copy.parameters():
            param.normal_(0.0, 0.02, generator=torch.Generator().manual_seed(0))
    return copy


def _in_place_activation(module: nn.Module, found: FoundMLP, inputs) -> str | None:
    """For a plain MLP whose module adds something of its own: the parameter-free child that,
    made an identity along with the out-projection, with any d -> d_out layer (a stand-in
    for the LookupFFN) as the in-projection, leaves the module's output changed by exactly the
    FFN's part: new - stand_in(x) == old - out_projection(x). None if no child does."""
    if found.kind != "plain":
        return None
    first, out = found.inputs[0], found.output
    candidates = [n for n, c in module.named_children()
                  if not isinstance(c, nn.Dropout) and next(c.parameters(), None) is None]
    originals = {name: getattr(module, name) for name in (first, out, *candidates)}
    stand_in = nn.Linear(found.d_model, found.d_out, device=inputs[0].device, dtype=inputs[0].dtype)
    recorder = _Recorder(module, (out,))
    try:
        with _evaluating(module):
            rest = recorder.run(module, inputs) - recorder.calls[-1][2]
            setattr(module, first, stand_in)
            setattr(module, out, nn.Identity())
            for name in candidates:
                setattr(module, name, nn.Identity())
                try:
                    if torch.allclose(module(*inputs) - stand_in(inputs[0]), rest, rtol=1e-5, atol=1e-5):
                        return name
                except Exception:  # not the activation, or the forward needs the old layers
                    pass
                setattr(module, name, originals[name])
    finally:
        recorder.remove()
        for name, child in originals.items():
            setattr(module, name, child)
    return None


def replace_in_place(module: nn.Module, found: FoundMLP, lookup: nn.Module) -> None:
    """Make the in-projection of an MLP found not whole ``lookup``, and its activation and
    out-projection identities (the recipe :func:`find_mlp` checked)."""
    setattr(module, found.inputs[0], lookup)
    setattr(module, found.activation, nn.Identity())
    setattr(module, found.output, nn.Identity())
