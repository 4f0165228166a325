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
from lookup_tvm.layer import lookup_ffn_inference, lookup_ffn_inference_call, residual_mix
from lookup_tvm.library import load_library
from lookup_tvm.ops.bh4.torch_ops import bh4_fold, bh4_projection, bh4_train
from lookup_tvm.ops.front_end import uses_bf16_dot
from lookup_tvm.ops.gather.torch_ops import gather_accumulate
from lookup_tvm.ops.hash.torch_ops import hash_codes
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
        self._folded: tuple | None = None  # (key, the weight's storage, folded weights): see _folded_weight
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
        lead = x.shape[:-1]
        flat = x.reshape(-1, c.d)
        if self.backend == "reference":
            codes, scores = reference.hash_codes(self._tempered(self._z_reference(flat)).reshape(-1, c.h, c.tau))
            out = reference.gather_accumulate(codes, self._bounded(scores), self.tables) + self.out_bias
        else:
            out = self._forward_tvm(flat.contiguous())
        return self.dropout(out).reshape(*lead, c.d_out)

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
        (and with the spec's scores), the whole layer is one op: the fused front end kernel
        (LayerNorm, BH4 projection, hash), then the gather, on the folded weights computed once
        (:meth:`_folded_weight`)."""
        c = self.config
        storage = self._storage_dtype(x)
        handle = handle_of(self.kernels)
        x, norm_weight, norm_bias, proj_bias, tables, out_bias = (  # .to() only where needed: ~2 us a call
            t if t.dtype == storage else t.to(storage)
            for t in (x, self.norm.weight, self.norm.bias, self.proj_bias, self.tables, self.out_bias))
        needs_grad = torch.is_grad_enabled() and any(
            t.requires_grad for t in (x, self.proj_weight, norm_weight, norm_bias, proj_bias, tables, out_bias))
        if c.projection == "bh4" and self.score_temperature == 1.0 and not self.bounded_scores and not needs_grad:
            args = (x, norm_weight, norm_bias, self._folded_weight(handle), proj_bias, tables, out_bias)
            if torch.compiler.is_compiling() or torch._C._len_torch_dispatch_stack():
                return lookup_ffn_inference(*args, handle)  # a graph node, or seen by the active dispatch mode
            return lookup_ffn_inference_call(kernels_for(handle), *args)  # plain eager: no op dispatch (~0.1 ms)
        weight = self.proj_weight.float() * self.weight_scale  # scaled in float32: a transient, folded in float32
        # Training: the gather reads bfloat16 tables as they are (float32 gradients, rounded once);
        # the other parameters and the input are widened here (autograd rounds their gradients back).
        x, norm_weight, norm_bias, weight, proj_bias, out_bias = (
            t.float() for t in (x, norm_weight, norm_bias, weight, proj_bias, out_bias))
        z = self._tempered(self._z_tvm(x, norm_weight, norm_bias, weight, proj_bias, handle,
                                       bf16=storage == torch.bfloat16))
        codes, scores = hash_codes(z.reshape(-1, c.h, c.tau).contiguous(), handle)
        out = gather_accumulate(codes, self._bounded(scores).contiguous(), tables.contiguous(), handle)
        return out.add_(out_bias).to(storage)  # bias in place: the gather's backward does not need its output

    def _folded_weight(self, handle: int) -> torch.Tensor:
        """The projection weight scaled and folded for the inference kernels, [4, r, nb, b, b]
        float32: computed once and reused while the stored weight stays the same tensor data
        (same storage, version counter, dtype, layout, scale and kernels). An optimizer step,
        ``load_state_dict``, ``.to()`` or a new ``.data`` changes one of them, and the next
        forward folds again. Not cached while torch.compile traces (the fold is then an op of
        the graph) nor for inference tensors (they keep no version counter)."""
        weight = self.proj_weight
        if torch.compiler.is_compiling() or weight.is_inference():
            return bh4_fold(weight.float() * self.weight_scale, handle)
        storage = weight.untyped_storage()  # held by the cache: its address cannot be reused meanwhile
        key = (storage._cdata, weight._version, weight.dtype, weight.storage_offset(), weight.stride(),
               self.weight_scale, handle)
        if self._folded is None or self._folded[0] != key:
            self._folded = (key, storage, bh4_fold(weight.detach().float() * self.weight_scale, handle))
        return self._folded[2]

    def _storage_dtype(self, x: torch.Tensor) -> torch.dtype:
        """The dtype this call computes in: the parameters' (float32 or bfloat16), or under
        ``torch.autocast('cpu')`` the autocast dtype (the parameters stay the fp32 masters)."""
        if x.device.type != "cpu":
            raise TypeError(f"LookupFFN(backend='tvm') runs on the CPU, got an input on {x.device}")
        storage = torch.get_autocast_dtype("cpu") if torch.is_autocast_enabled("cpu") else self.tables.dtype
        if storage not in STORAGE_DTYPES:
            raise TypeError(f"LookupFFN(backend='tvm') computes with {_NAMES} parameters (or under "
                            f"torch.autocast('cpu', dtype=torch.bfloat16)), got {storage}; use backend='reference' "
                            "for other dtypes")
        if x.dtype != storage and not torch.is_autocast_enabled("cpu"):
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
        for targets with AVX512-BF16 (one rule for all of them, :func:`lookup_tvm.ops.bh4.compute.bf16_dot_layout`)."""
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
