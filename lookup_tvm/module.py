"""LookupFFN as an ``nn.Module``: pre-norm, projection, hash, gather, output bias."""
from __future__ import annotations

import math

import torch
from torch import nn

from lookup_tvm import reference
from lookup_tvm.config import LayerConfig

BACKENDS = ("tvm", "reference")


class LookupFFN(nn.Module):
    """A feed-forward block made of hashing and table look-ups (spec steps 1-6).

    Input ``[..., d_model]`` float32, output ``[..., d_out]``; the residual is added outside.
    ``backend="tvm"`` runs the TVM kernels (forward and backward), ``"reference"`` the
    pure-PyTorch path; both share one ``state_dict`` format.
    """

    def __init__(self, d_model: int, num_tables: int = 128, code_bits: int = 8, *, d_out: int | None = None,
                 projection: str = "bh4", block_size: int = 64, backend: str = "tvm"):
        super().__init__()
        if backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
        self.config = LayerConfig(d=d_model, h=num_tables, tau=code_bits, b=block_size, d_out=d_out,
                                  projection=projection)
        cfg = self.config
        self.backend = backend
        self.kernels = None
        self.norm = nn.LayerNorm(cfg.d, eps=1e-5)
        if projection == "bh4":
            self.proj_weight = nn.Parameter(
                torch.randn(cfg.repeats, 4, cfg.dim // cfg.b, cfg.b, cfg.b) / math.sqrt(cfg.b * cfg.dim))
        else:
            self.proj_weight = nn.Parameter(torch.randn(cfg.h * cfg.tau, cfg.d) / math.sqrt(cfg.d))
        self.proj_bias = nn.Parameter(torch.zeros(cfg.h * cfg.tau))
        self.tables = nn.Parameter(torch.randn(cfg.h, cfg.rows, cfg.d_out) * 0.02)
        self.out_bias = nn.Parameter(torch.randn(cfg.d_out) * 0.001)

    def extra_repr(self) -> str:
        c = self.config
        return (f"d_model={c.d}, num_tables={c.h}, code_bits={c.tau}, d_out={c.d_out}, projection={c.projection}, "
                f"block_size={c.b}, backend={self.backend}, flops_per_token={c.flops_per_token():,}")

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
        from lookup_tvm.library import load_library

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
        params = (self.norm.weight, self.norm.bias, self.proj_weight, self.proj_bias, self.tables, self.out_bias)
        if self.backend == "reference":
            out = reference.lookup_ffn(flat, *params, projection=c.projection)
        else:
            out = self._forward_tvm(flat.contiguous())
        return out.reshape(*lead, c.d_out)

    def _forward_tvm(self, x: torch.Tensor) -> torch.Tensor:
        """The custom ops directly: shapes hold by construction and codes come from our own
        hash, so no data-dependent checks break ``torch.compile`` graphs."""
        from lookup_tvm import torch_ops

        c = self.config
        if x.dtype != torch.float32 or x.device.type != "cpu":
            raise TypeError(f"LookupFFN(backend='tvm') takes float32 CPU input, got {x.dtype} on {x.device}")
        handle = torch_ops.kernels_handle(self.kernels)
        xn = self.norm(x)
        if c.projection == "bh4":
            x_pad = (nn.functional.pad(xn, (0, c.dim - c.d)) if c.dim != c.d else xn).contiguous()
            if torch.is_grad_enabled() and any(t.requires_grad for t in (x_pad, self.proj_weight, self.proj_bias)):
                projected = torch_ops.bh4_train(x_pad, self.proj_weight, handle)[0]
                z = reference.residual_mix(projected, x_pad, self.proj_bias)
            else:
                z = torch_ops.bh4_projection(x_pad, self.proj_weight, self.proj_bias, handle)
        else:
            z = nn.functional.linear(xn, self.proj_weight, self.proj_bias)
        codes, scores = torch_ops.hash_codes(z.reshape(-1, c.h, c.tau).contiguous(), handle)
        return torch_ops.gather_accumulate(codes, scores, self.tables.contiguous(), handle) + self.out_bias
