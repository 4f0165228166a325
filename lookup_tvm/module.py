"""LookupFFN as an ``nn.Module``: pre-norm, projection, hash, gather, output bias."""
from __future__ import annotations

import math

import torch
from torch import nn

from lookup_tvm import reference
from lookup_tvm.config import LayerConfig, note_in_use
from lookup_tvm.kernels import default_kernels
from lookup_tvm.kit.checks import STORAGE_DTYPES
from lookup_tvm.kit.handles import handle_of, kernels_for
from lookup_tvm.layer import InferencePlan, lookup_ffn_inference, residual_mix
from lookup_tvm.library import load_library
from lookup_tvm.ops.bh4 import bh4_fold, bh4_projection, bh4_train
from lookup_tvm.ops.front_end import uses_bf16_dot
from lookup_tvm.ops.gather import gather_accumulate
from lookup_tvm.ops.hash import hash_codes
from lookup_tvm.spec import LAYER_NORM_EPS

_NAMES = " or ".join(str(d) for d in STORAGE_DTYPES)
BACKENDS = ("tvm", "reference")


class LookupFFN(nn.Module):
    """A feed-forward block made of hashing and table look-ups (spec steps 1-6).

    Input ``[..., d_model]``, output ``[..., d_out]``, both in the parameters' dtype (float32, or
    bfloat16: ``dtype=torch.bfloat16`` or ``model.to(torch.bfloat16)``); the residual is added
    outside. Under ``torch.autocast('cpu', dtype=torch.bfloat16)`` float32 parameters are the
    master weights and the layer computes from bfloat16 copies. Every kernel accumulates in
    float32; bfloat16 inference runs bfloat16-storage kernels (front end, gather), training keeps
    float32 activations (the gather reads the bfloat16 tables); on CPUs with AVX512-BF16 the BH4
    block matmuls multiply bfloat16 operands (:meth:`uses_bf16_dot`). ``backend="tvm"`` runs the
    TVM kernels (forward and backward), ``"reference"`` the pure-PyTorch path in any dtype; both
    share one ``state_dict`` format.

    The projection weight is stored at unit scale and multiplied by :attr:`weight_scale`
    (``1/sqrt(b*D)`` for BH4, ``1/sqrt(d)`` dense) in the forward: the function at init is the
    spec's, and an optimizer's step (Adam moves each parameter by about ``lr``) stays small
    against the weight, so ``AdamW(model.parameters())`` trains it stably at the learning
    rates used for transformers. State dicts of version 1 (weights stored at the spec's
    scale) are converted when loaded; a state dict without versions (safetensors files) is
    taken as the current layout.

    Off by default, outside the spec's math (for studies): ``score_temperature`` T hashes
    z / T (same codes, other scores), ``bounded_scores`` uses ``tau * tanh(score / tau)``,
    ``output_dropout`` drops output features in training. ``table_init_std`` is the tables'
    initial standard deviation.
    """

    _version = 2

    def __init__(self, d_model: int, num_tables: int = 128, code_bits: int = 8, *, d_out: int | None = None,
                 projection: str = "bh4", block_size: int = 64, backend: str = "tvm", table_init_std: float = 0.02,
                 score_temperature: float = 1.0, bounded_scores: bool = False, output_dropout: float = 0.0,
                 dtype: torch.dtype | None = None):
        super().__init__()
        if dtype is not None and backend == "tvm" and dtype not in STORAGE_DTYPES:
            raise TypeError(f"LookupFFN(backend='tvm') stores its parameters in {_NAMES}, got dtype={dtype}")
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
        if score_temperature <= 0 or not 0.0 <= output_dropout < 1.0:
            raise ValueError(f"need score_temperature > 0 and 0 <= output_dropout < 1, got {score_temperature}, "
                             f"{output_dropout}")
        self.config = LayerConfig(d=d_model, h=num_tables, tau=code_bits, b=block_size, d_out=d_out,
                                  projection=projection)
        cfg = self.config
        note_in_use(cfg)
        self.backend = backend
        self.kernels = None
        self._plan: tuple | None = None  # (key, InferencePlan, the storages bound): see _inference_plan
        self.norm = nn.LayerNorm(cfg.d, eps=LAYER_NORM_EPS)
        if projection == "bh4":
            self.weight_scale = 1.0 / math.sqrt(cfg.b * cfg.dim)
            self.proj_weight = nn.Parameter(torch.randn(cfg.repeats, 4, cfg.dim // cfg.b, cfg.b, cfg.b))
        else:
            self.weight_scale = 1.0 / math.sqrt(cfg.d)
            self.proj_weight = nn.Parameter(torch.randn(cfg.h * cfg.tau, cfg.d))
        self.proj_bias = nn.Parameter(torch.zeros(cfg.h * cfg.tau))
        self.tables = nn.Parameter(torch.randn(cfg.h, cfg.rows, cfg.d_out) * table_init_std)
        self.out_bias = nn.Parameter(torch.randn(cfg.d_out) * 0.001)
        self.score_temperature = score_temperature
        self.bounded_scores = bounded_scores
        self.dropout = nn.Dropout(output_dropout) if output_dropout else nn.Identity()
        if dtype is not None:
            self.to(dtype)

    def __getstate__(self):
        """Copies and pickles leave the inference plan behind (it holds compiled kernels and views
        of this layer's parameters); the copy binds its own at its first forward."""
        return {**super().__getstate__(), "_plan": None}

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        key = prefix + "proj_weight"
        if local_metadata.get("version") == 1 and key in state_dict:
            state_dict[key] = state_dict[key] / self.weight_scale
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)

    def projection_weight(self) -> torch.Tensor:
        """The spec's projection weight: the stored unit-scale weight times :attr:`weight_scale`."""
        return self.proj_weight * self.weight_scale

    def extra_repr(self) -> str:
        c = self.config
        changes = [f"score_temperature={self.score_temperature}"] if self.score_temperature != 1.0 else []
        changes += ["bounded_scores=True"] if self.bounded_scores else []
        changes += [f"output_dropout={self.dropout.p}"] if isinstance(self.dropout, nn.Dropout) else []
        return (f"d_model={c.d}, num_tables={c.h}, code_bits={c.tau}, d_out={c.d_out}, projection={c.projection}, "
                f"block_size={c.b}, backend={self.backend}, {''.join(s + ', ' for s in changes)}"
                f"flops_per_token={c.flops_per_token():,}")

    def use_kernels(self, kernels) -> "LookupFFN":
        """Run on these compiled kernels instead of the host default."""
        self.kernels = kernels
        return self

    def use_library(self, kernels) -> "LookupFFN":
        """Bind a library from :func:`lookup_tvm.load_library` (checked against this layer's config)."""
        config = getattr(kernels.source, "config", None)
        if config is not None and config != self.config:
            raise ValueError(f"library was exported for {config}, this layer is {self.config}")
        return self.use_kernels(kernels)

    @classmethod
    def from_library(cls, path, **module_kwargs) -> "LookupFFN":
        """A fresh layer shaped like the library at ``path`` and bound to its kernels."""
        kernels = load_library(path)
        c = kernels.source.config
        layer = cls(c.d, c.h, c.tau, d_out=c.d_out, projection=c.projection, block_size=c.b, **module_kwargs)
        return layer.use_kernels(kernels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = self.config
        if x.shape[-1] != c.d:
            raise ValueError(f"input's last dimension must be d_model = {c.d}, got shape {tuple(x.shape)}")
        flat = x if x.ndim == 2 else x.reshape(-1, c.d)
        if self.backend == "reference":
            codes, scores = reference.hash_codes(self._tempered(self._z_reference(flat)).reshape(-1, c.h, c.tau))
            out = reference.gather_accumulate(codes, self._bounded(scores), self.tables) + self.out_bias
        else:
            out = self._forward_tvm(flat.contiguous())
        if self.training:  # dropout is the identity in eval mode: not called there (a module call costs ~2 us)
            out = self.dropout(out)
        return out if x.ndim == 2 else out.reshape(*x.shape[:-1], c.d_out)

    def _tempered(self, z: torch.Tensor) -> torch.Tensor:
        """z divided by the score temperature (codes keep their signs; off, i.e. 1, in the spec)."""
        return z if self.score_temperature == 1.0 else z / self.score_temperature

    def _bounded(self, scores: torch.Tensor) -> torch.Tensor:
        """``tau * tanh(score / tau)`` with ``bounded_scores`` (off in the spec): the same near 0,
        never above tau, so the layer's gain stays bounded however large z grows."""
        tau = self.config.tau
        return tau * torch.tanh(scores / tau) if self.bounded_scores else scores

    def _z_reference(self, flat: torch.Tensor) -> torch.Tensor:
        """Pre-norm and projection in pure PyTorch: x [B, d] -> z [B, h*tau]."""
        return reference.normed_projection(flat, self.norm.weight, self.norm.bias, self.projection_weight(),
                                           self.proj_bias, self.config.projection)

    def _forward_tvm(self, x: torch.Tensor) -> torch.Tensor:
        """The custom ops directly: shapes hold by construction and codes come from our own
        hash, so no data-dependent checks break ``torch.compile`` graphs. Without gradients
        (and with the spec's scores), the whole layer is the fused front end kernel (LayerNorm,
        BH4 projection, hash), then the gather: one op under torch.compile or a dispatch mode,
        else an :class:`~lookup_tvm.layer.InferencePlan` kept while the parameters are unchanged
        (:meth:`_inference_plan`)."""
        c = self.config
        params = self._stored_parameters()
        norm_weight, norm_bias, proj_weight, proj_bias, tables, out_bias = params
        storage = self._storage_dtype(x, tables.dtype)
        handle = handle_of(self.kernels)
        needs_grad = torch.is_grad_enabled() and (x.requires_grad or any(t.requires_grad for t in params))
        fused = c.projection == "bh4" and self.score_temperature == 1.0 and not self.bounded_scores and not needs_grad
        compiling = torch.compiler.is_compiling()
        as_op = compiling or torch._C._len_torch_dispatch_stack()  # one op, seen by the graph or the dispatch mode
        if fused and not as_op:
            return self._inference_plan(params, handle, storage)(x if x.dtype == storage else x.to(storage))
        x, norm_weight, norm_bias, proj_bias, tables, out_bias = self._in_storage(
            (x, norm_weight, norm_bias, proj_bias, tables, out_bias), storage)
        if fused:
            folded = (bh4_fold(proj_weight.float() * self.weight_scale, handle) if compiling
                      else self._inference_plan(params, handle, storage).folded_weight)
            return lookup_ffn_inference(x, norm_weight, norm_bias, folded, proj_bias, tables, out_bias, handle)
        weight = proj_weight.float() * self.weight_scale  # scaled in float32: a transient, folded in float32
        # Training: the gather reads bfloat16 tables as they are (float32 gradients, rounded once);
        # the other parameters and the input are widened here (autograd rounds their gradients back).
        x, norm_weight, norm_bias, weight, proj_bias, out_bias = (
            t.float() for t in (x, norm_weight, norm_bias, weight, proj_bias, out_bias))
        z = self._tempered(self._z_tvm(x, norm_weight, norm_bias, weight, proj_bias, handle,
                                       bf16=storage == torch.bfloat16))
        codes, scores = hash_codes(z.reshape(-1, c.h, c.tau).contiguous(), handle)
        out = gather_accumulate(codes, self._bounded(scores).contiguous(), tables.contiguous(), handle)
        return out.add_(out_bias).to(storage)  # bias in place: the gather's backward does not need its output

    @staticmethod
    def _in_storage(tensors, storage: torch.dtype) -> list[torch.Tensor]:
        """The tensors in the dtype this call computes in (``.to()`` only where needed)."""
        return [t if t.dtype == storage else t.to(storage) for t in tensors]

    def _stored_parameters(self) -> tuple[torch.Tensor, ...]:
        """(norm weight, norm bias, projection weight, projection bias, tables, output bias), read
        from the parameter dicts (``module.attribute`` costs ~1 us each on a decode step's path),
        or as attributes where a parametrization replaced one."""
        norm, own = self.norm._parameters, self._parameters
        try:
            return (norm["weight"], norm["bias"], own["proj_weight"], own["proj_bias"], own["tables"], own["out_bias"])
        except KeyError:
            return (self.norm.weight, self.norm.bias, self.proj_weight, self.proj_bias, self.tables, self.out_bias)

    def _inference_plan(self, params: tuple[torch.Tensor, ...], handle: int, storage: torch.dtype) -> InferencePlan:
        """The no-gradient forward bound to the kernels and to ``params`` (:meth:`_stored_parameters`,
        in the dtype this call computes in), with the projection weight scaled and folded: bound
        once and reused while the kernel set is the same object (``use_tuning_logs`` makes a new
        one) and every parameter keeps its address and version counter. An optimizer step,
        ``load_state_dict``, ``.to()``, an in-place edit and a new ``.data`` change one of them (the
        plan holds the storages it was bound to, so no new tensor can take their addresses), and
        the next forward binds again. Writes *through* ``.data`` (``p.data -= lr * g``,
        ``p.data.copy_(...)``, EMA code) keep the version counter and cannot be seen without
        reading every weight (as costly as folding again): call :meth:`refresh_weights` after
        them. Parameters made in inference mode keep no version counter: a plan is then bound per
        call."""
        kernels = kernels_for(handle)
        try:
            key = (kernels, storage, self.weight_scale, *[(p.data_ptr(), p._version) for p in params])
        except RuntimeError:  # inference tensors
            key = None
        if key is not None and self._plan is not None and self._plan[0] == key:
            return self._plan[1]
        norm_weight, norm_bias, weight, proj_bias, tables, out_bias = params
        folded = bh4_fold(weight.detach().float() * self.weight_scale, handle)
        plan = InferencePlan(kernels, *self._in_storage((norm_weight, norm_bias), storage), folded,
                             *self._in_storage((proj_bias, tables, out_bias), storage))
        held = [p.untyped_storage() for p in params]  # no parameter's address is reused while the plan is kept
        self._plan = None if key is None else (key, plan, held)
        return plan

    def refresh_weights(self) -> None:
        """Drop the inference plan (:meth:`_inference_plan`): the next forward binds the
        parameters again. Needed after writing parameters through ``.data``."""
        self._plan = None

    def _storage_dtype(self, x: torch.Tensor, parameters: torch.dtype) -> torch.dtype:
        """The dtype this call computes in: the ``parameters``' (float32 or bfloat16), or under
        ``torch.autocast('cpu')`` the autocast dtype (the parameters stay the fp32 masters)."""
        if not x.is_cpu:
            raise TypeError(f"LookupFFN(backend='tvm') runs on the CPU, got an input on {x.device}")
        autocast = torch.is_autocast_enabled("cpu")
        storage = torch.get_autocast_dtype("cpu") if autocast else parameters
        if storage not in STORAGE_DTYPES:
            raise TypeError(f"LookupFFN(backend='tvm') computes with {_NAMES} parameters (or under "
                            f"torch.autocast('cpu', dtype=torch.bfloat16)), got {storage}; use backend='reference' "
                            "for other dtypes")
        if x.dtype != storage and not autocast:
            raise TypeError(f"LookupFFN's parameters are {storage} but its input is {x.dtype}: cast one to the "
                            "other (model.to(dtype)), or run under torch.autocast('cpu', dtype=torch.bfloat16)")
        return storage

    def _z_tvm(self, x: torch.Tensor, norm_weight: torch.Tensor, norm_bias: torch.Tensor, weight: torch.Tensor,
               proj_bias: torch.Tensor, handle: int, bf16: bool = False) -> torch.Tensor:
        """Pre-norm and projection on the TVM kernels (float32): x [B, d] -> z [B, h*tau].
        ``bf16``: a bfloat16 layer's BH4 stage kernels (bf16 operands where the CPU has dot products)."""
        c = self.config
        xn = nn.functional.layer_norm(x, (c.d,), norm_weight, norm_bias, eps=self.norm.eps)
        if c.projection == "dense":
            return nn.functional.linear(xn, weight, proj_bias)
        x_pad = (nn.functional.pad(xn, (0, c.dim - c.d)) if c.dim != c.d else xn).contiguous()
        if torch.is_grad_enabled() and any(t.requires_grad for t in (x_pad, weight, proj_bias)):
            projected = bh4_train(x_pad, weight, handle, bf16)[0]
            return residual_mix(projected, x_pad, proj_bias)
        return bh4_projection(x_pad, weight, proj_bias, handle)

    @torch.no_grad()
    def bf16_code_flips(self, x: torch.Tensor, bf16_operands: bool | None = None) -> float:
        """The fraction of codes (token, table) that change on the bf16 path: the input and the
        parameters rounded to bfloat16 and, with ``bf16_operands`` (default: where this layer's
        kernels use bf16 dot products, see :meth:`uses_bf16_dot`), the BH4 stages' operands too;
        against float32 throughout. x [..., d_model]."""
        c = self.config
        flat = x.reshape(-1, c.d).float()
        params = (self.norm.weight, self.norm.bias, self.proj_weight, self.proj_bias)
        if bf16_operands is None:
            bf16_operands = self.uses_bf16_dot()

        def codes(round_to_bf16: bool) -> torch.Tensor:
            norm_w, norm_b, proj_w, proj_b = (t.bfloat16().float() if round_to_bf16 else t.float() for t in params)
            inputs = flat.bfloat16().float() if round_to_bf16 else flat
            z = reference.normed_projection(inputs, norm_w, norm_b, proj_w * self.weight_scale, proj_b, c.projection,
                                            bf16_operands=round_to_bf16 and bf16_operands)
            return reference.hash_codes(self._tempered(z).reshape(-1, c.h, c.tau))[0]

        return float((codes(False) != codes(True)).float().mean())

    def uses_bf16_dot(self) -> bool:
        """Whether a bfloat16 layer's BH4 kernels (the front end for inference, the stages and
        their input gradients for training) multiply bf16-rounded operands: ``bf16_dot``, chosen
        for targets with AVX512-BF16 (one rule for all of them, :func:`lookup_tvm.ops.bh4.layout.bf16_dot_layout`)."""
        return uses_bf16_dot(self.kernels or default_kernels(), self.config)

    @torch.no_grad()
    def diagnostics(self, x: torch.Tensor) -> dict[str, float]:
        """Health of the hashing for a batch x [..., d_model] (float32): mean |z|, mean score,
        the fraction of table rows hit (also relative to what uniformly spread codes would hit
        with this many tokens), and the output's norm against the input's (the residual's)."""
        c = self.config
        flat = x.reshape(-1, c.d).float()
        z = self._z_reference(flat)
        codes, scores = reference.hash_codes(self._tempered(z).reshape(-1, c.h, c.tau))
        scores = self._bounded(scores)
        hit = torch.zeros(c.h, c.rows, dtype=torch.bool)
        hit[torch.arange(c.h).expand_as(codes), codes.long()] = True
        out = reference.gather_accumulate(codes, scores, self.tables) + self.out_bias
        uniform = 1.0 - (1.0 - 1.0 / c.rows) ** codes.shape[0]  # rows hit if codes were uniform
        return {"mean_abs_z": float(z.abs().mean()), "mean_score": float(scores.mean()),
                "rows_hit": float(hit.float().mean()), "rows_hit_vs_uniform": float(hit.float().mean()) / uniform,
                "output_norm": float(out.norm(dim=-1).mean()), "residual_norm": float(flat.norm(dim=-1).mean())}


def refresh_weights(model: nn.Module) -> None:
    """:meth:`LookupFFN.refresh_weights` on every LookupFFN in ``model``: after writing its
    parameters through ``.data`` (a hand-written update, ``p.data.copy_(...)``, an EMA)."""
    for module in model.modules():
        if isinstance(module, LookupFFN):
            module.refresh_weights()
