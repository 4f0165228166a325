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
from lookup_tvm.ops.front_end import front_end, uses_bf16_dot
from lookup_tvm.ops.gather import gather_accumulate, gather_quantized
from lookup_tvm.ops.hash import hash_codes
from lookup_tvm.quantize import (QuantizedTables, check_quantizable, fake_quantize, format_name,
                                 gather_accumulate_quantized, quantize_tables, table_bits)
from lookup_tvm.spec import LAYER_NORM_EPS

_NAMES = " or ".join(str(d) for d in STORAGE_DTYPES)
BACKENDS = ("tvm", "reference")
QUANTIZED_BUFFERS = ("tables_packed", "tables_scale", "tables_offset")


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

    Serving with quantized tables: ``tables="int8"`` or ``"int4"`` (or :meth:`quantize_tables` on
    a trained layer) stores them row-wise quantized (:mod:`lookup_tvm.quantize`: 4x / 8x fewer
    bytes than float32) as buffers ``tables_packed``, ``tables_scale`` and ``tables_offset``
    instead of the ``tables`` parameter; the gather then reads them (inference kernels), and a
    forward that needs gradients (to the input or the other parameters) reads their float32
    values, frozen. ``fake_quant="int8"`` or ``"int4"`` rounds float tables as that format stores
    them in every forward, with straight-through gradients: fine-tuning for the format a layer
    will be served in (its no-gradient forward then runs the quantized kernels).
    """

    _version = 2

    def __init__(self, d_model: int, num_tables: int = 128, code_bits: int = 8, *, d_out: int | None = None,
                 projection: str = "bh4", block_size: int = 64, backend: str = "tvm", table_init_std: float = 0.02,
                 score_temperature: float = 1.0, bounded_scores: bool = False, output_dropout: float = 0.0,
                 tables: str = "float", fake_quant: str = "float", dtype: torch.dtype | None = None):
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
        self.fake_quant_bits = table_bits(fake_quant)
        if self.fake_quant_bits:
            check_quantizable(cfg.d_out, self.fake_quant_bits)
        if dtype is not None:
            self.to(dtype)
        if table_bits(tables):
            self.quantize_tables(tables)

    def __getstate__(self):
        """Copies and pickles leave the inference plan behind (it holds compiled kernels and views
        of this layer's parameters); the copy binds its own at its first forward."""
        return {**super().__getstate__(), "_plan": None}

    @property
    def table_format(self) -> str:
        """How the tables are stored: ``"float"`` (the ``tables`` parameter), ``"int8"`` or ``"int4"``."""
        packed = self._buffers.get("tables_packed")
        return "float" if packed is None else ("int8" if packed.shape[-1] == self.config.d_out else "int4")

    def quantized_tables(self) -> QuantizedTables | None:
        """The quantized tables (views of this layer's buffers), or None for float tables."""
        buffers = self._buffers
        packed = buffers.get("tables_packed")
        if packed is None:
            return None
        return QuantizedTables(packed, buffers["tables_scale"], buffers["tables_offset"],
                               8 if packed.shape[-1] == self.config.d_out else 4)

    def float_tables(self) -> torch.Tensor:
        """The tables' values [h, rows, d_out]: the parameter, or the quantized ones as float32."""
        quantized = self.quantized_tables()
        return self.tables if quantized is None else quantized.dequantize()

    def quantize_tables(self, table_format: str = "int8") -> "LookupFFN":
        """Store the tables as ``table_format`` (``"int8"``, ``"int4"``, or ``"float"``: back to a
        float parameter holding the current values) for serving; returns the layer. Quantizing
        quantized tables starts from their float32 values. The new tensors are ordinary ones even
        under ``torch.inference_mode()`` (inference tensors keep no version counter, and the
        inference plan would be bound again at every call)."""
        bits = table_bits(table_format)
        if bits:
            check_quantizable(self.config.d_out, bits)
        with torch.inference_mode(False), torch.no_grad():
            values = self.float_tables().detach().clone()
            for name in QUANTIZED_BUFFERS:
                self._buffers.pop(name, None)
            self._parameters.pop("tables", None)
            if bits:
                quantized = quantize_tables(values, bits)
                for name, part in zip(QUANTIZED_BUFFERS, (quantized.packed, quantized.scale, quantized.offset)):
                    self.register_buffer(name, part)
            else:
                self.tables = nn.Parameter(values.to(self.out_bias.dtype))
        self._plan = None
        return self

    def fake_quantize_tables(self, table_format: str) -> "LookupFFN":
        """Round float tables as ``table_format`` stores them in every forward (straight-through
        gradients), for fine-tuning before :meth:`quantize_tables`; ``"float"`` stops it."""
        bits = table_bits(table_format)
        if bits:
            check_quantizable(self.config.d_out, bits)
        self.fake_quant_bits = bits
        self._plan = None
        return self

    def _apply(self, fn, recurse=True):
        """As ``nn.Module._apply``, but quantized tables keep their dtypes (``.to(torch.bfloat16)``
        casts the parameters, not the scales)."""
        kept = {name: self._buffers.pop(name) for name in QUANTIZED_BUFFERS if name in self._buffers}
        try:
            return super()._apply(fn, recurse)
        finally:
            for name, tensor in kept.items():
                moved = fn(tensor)
                self._buffers[name] = moved if moved.dtype == tensor.dtype else tensor.to(moved.device)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        packed = state_dict.get(prefix + "tables_packed")
        wanted = ("float" if prefix + "tables" in state_dict else self.table_format) if packed is None else (
            "int8" if packed.shape[-1] == self.config.d_out else "int4")
        if wanted != self.table_format:
            self.quantize_tables(wanted)
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
        changes += [f"tables={self.table_format}"] if self.table_format != "float" else []
        changes += [f"fake_quant={format_name(self.fake_quant_bits)}"] if self.fake_quant_bits else []
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
            out = self._gather_reference(codes, self._bounded(scores)) + self.out_bias
        else:
            out = self._forward_tvm(flat.contiguous())
        if self.training:  # dropout is the identity in eval mode: not called there (a module call costs ~2 us)
            out = self.dropout(out)
        return out if x.ndim == 2 else out.reshape(*x.shape[:-1], c.d_out)

    def _gather_reference(self, codes: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        """The gather in pure PyTorch on the tables as stored (quantized: in float32, then in the
        scores' dtype; fake-quantized: rounded, straight-through gradients)."""
        quantized = self.quantized_tables()
        if quantized is not None:
            return gather_accumulate_quantized(codes, scores.float(), quantized).to(scores.dtype)
        tables = fake_quantize(self.tables, self.fake_quant_bits) if self.fake_quant_bits else self.tables
        return reference.gather_accumulate(codes, scores, tables)

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
        BH4 projection, hash), then the gather: one op under torch.compile or a dispatch mode
        (two with quantized tables), else an :class:`~lookup_tvm.layer.InferencePlan` kept while
        the parameters are unchanged (:meth:`_inference_plan`)."""
        c = self.config
        params = self._stored_parameters()
        norm_weight, norm_bias, proj_weight, proj_bias, tables, out_bias = params
        storage = self._storage_dtype(x, out_bias.dtype)
        handle = handle_of(self.kernels)
        needs_grad = torch.is_grad_enabled() and (x.requires_grad or any(t.requires_grad for t in _tensors(params)))
        if needs_grad and isinstance(tables, QuantizedTables):
            tables = tables.dequantize()  # frozen values: gradients reach the input and the other parameters
        fused = c.projection == "bh4" and self.score_temperature == 1.0 and not self.bounded_scores and not needs_grad
        compiling = torch.compiler.is_compiling()
        as_op = compiling or torch._C._len_torch_dispatch_stack()  # one op, seen by the graph or the dispatch mode
        if fused and not as_op:
            return self._inference_plan(params, handle, storage)(x if x.dtype == storage else x.to(storage))
        if fused and not isinstance(tables, QuantizedTables) and not self.fake_quant_bits:
            x, norm_weight, norm_bias, proj_bias, tables, out_bias = self._in_storage(
                (x, norm_weight, norm_bias, proj_bias, tables, out_bias), storage)
            folded = (bh4_fold(proj_weight.float() * self.weight_scale, handle) if compiling
                      else self._inference_plan(params, handle, storage).folded_weight)
            return lookup_ffn_inference(x, norm_weight, norm_bias, folded, proj_bias, tables, out_bias, handle)
        weight = proj_weight.float() * self.weight_scale  # scaled in float32: a transient, folded in float32
        if not needs_grad and self.fake_quant_bits:
            tables = quantize_tables(tables, self.fake_quant_bits)  # served as the quantized layer will be
        if fused:
            x, norm_weight, norm_bias, proj_bias = self._in_storage((x, norm_weight, norm_bias, proj_bias), storage)
            codes, scores = front_end(x, norm_weight, norm_bias, weight, proj_bias, c.tau, handle)
            return self._quantized_gather(codes, scores, tables, handle).add_(out_bias).to(storage)
        # Training: the gather reads bfloat16 tables as they are (float32 gradients, rounded once);
        # the other parameters and the input are widened here (autograd rounds their gradients back).
        x, norm_weight, norm_bias, weight, proj_bias, out_bias = (
            t.float() for t in (x, norm_weight, norm_bias, weight, proj_bias, out_bias))
        z = self._tempered(self._z_tvm(x, norm_weight, norm_bias, weight, proj_bias, handle,
                                       bf16=storage == torch.bfloat16))
        codes, scores = hash_codes(z.reshape(-1, c.h, c.tau).contiguous(), handle)
        scores = self._bounded(scores).contiguous()
        if isinstance(tables, QuantizedTables):
            return self._quantized_gather(codes, scores, tables, handle).add_(out_bias).to(storage)
        if self.fake_quant_bits:
            tables = fake_quantize(tables, self.fake_quant_bits)
        out = gather_accumulate(codes, scores, tables.contiguous(), handle)
        return out.add_(out_bias).to(storage)  # bias in place: the gather's backward does not need its output

    @staticmethod
    def _quantized_gather(codes: torch.Tensor, scores: torch.Tensor, tables: QuantizedTables,
                          handle: int) -> torch.Tensor:
        return gather_quantized(codes, scores, tables.packed, tables.scale, tables.offset, tables.bits, handle)

    @staticmethod
    def _in_storage(tensors, storage: torch.dtype) -> list[torch.Tensor]:
        """The tensors in the dtype this call computes in (``.to()`` only where needed)."""
        return [t if t.dtype == storage else t.to(storage) for t in tensors]

    def _stored_parameters(self) -> tuple:
        """(norm weight, norm bias, projection weight, projection bias, tables, output bias), read
        from the parameter dicts (``module.attribute`` costs ~1 us each on a decode step's path),
        or as attributes where a parametrization replaced one; quantized tables as
        :class:`~lookup_tvm.quantize.QuantizedTables`."""
        norm, own = self.norm._parameters, self._parameters
        try:
            tables = own.get("tables")
            if tables is None:
                tables = self.quantized_tables() or self.tables
            return (norm["weight"], norm["bias"], own["proj_weight"], own["proj_bias"], tables, own["out_bias"])
        except KeyError:
            return (self.norm.weight, self.norm.bias, self.proj_weight, self.proj_bias, self.tables, self.out_bias)

    def _inference_plan(self, params: tuple, handle: int, storage: torch.dtype) -> InferencePlan:
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
        call. Fake-quantized float tables are bound quantized (the layer as it will be served)."""
        kernels = kernels_for(handle)
        tensors = _tensors(params)
        try:
            key = (kernels, storage, self.weight_scale, self.fake_quant_bits,
                   *[(p.data_ptr(), p._version) for p in tensors])
        except RuntimeError:  # inference tensors
            key = None
        if key is not None and self._plan is not None and self._plan[0] == key:
            return self._plan[1]
        norm_weight, norm_bias, weight, proj_bias, tables, out_bias = params
        folded = bh4_fold(weight.detach().float() * self.weight_scale, handle)
        if self.fake_quant_bits and not isinstance(tables, QuantizedTables):
            tables = quantize_tables(tables, self.fake_quant_bits)
        if not isinstance(tables, QuantizedTables):
            tables = self._in_storage((tables,), storage)[0]
        plan = InferencePlan(kernels, *self._in_storage((norm_weight, norm_bias), storage), folded,
                             *self._in_storage((proj_bias,), storage), tables,
                             *self._in_storage((out_bias,), storage))
        held = [p.untyped_storage() for p in tensors]  # no parameter's address is reused while the plan is kept
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
        out = reference.gather_accumulate(codes, scores, self.float_tables()) + self.out_bias
        uniform = 1.0 - (1.0 - 1.0 / c.rows) ** codes.shape[0]  # rows hit if codes were uniform
        return {"mean_abs_z": float(z.abs().mean()), "mean_score": float(scores.mean()),
                "rows_hit": float(hit.float().mean()), "rows_hit_vs_uniform": float(hit.float().mean()) / uniform,
                "output_norm": float(out.norm(dim=-1).mean()), "residual_norm": float(flat.norm(dim=-1).mean())}


def _tensors(params: tuple) -> list[torch.Tensor]:
    """The tensors of :meth:`LookupFFN._stored_parameters`' result (quantized tables' parts)."""
    return [t for p in params for t in ((p.packed, p.scale, p.offset) if isinstance(p, QuantizedTables) else (p,))]


def refresh_weights(model: nn.Module) -> None:
    """:meth:`LookupFFN.refresh_weights` on every LookupFFN in ``model``: after writing its
    parameters through ``.data`` (a hand-written update, ``p.data.copy_(...)``, an EMA)."""
    for module in model.modules():
        if isinstance(module, LookupFFN):
            module.refresh_weights()
