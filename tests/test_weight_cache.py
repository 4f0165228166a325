"""Inference binds the layer once (an InferencePlan: the folded BH4 weights, the parameters and
the kernels): the plan serves every forward until a parameter changes, and never a stale value."""
from __future__ import annotations

import copy

import pytest
import torch

from lookup_tvm import LookupFFN, refresh_weights
from lookup_tvm import reference as R
from lookup_tvm.ops.bh4.torch_ops import bh4_fold


def small_layer() -> LookupFFN:
    """d=48 (padded to D=64: 4 blocks of 16), 6 tables of 5 bits, in eval mode; seeded."""
    torch.manual_seed(0)
    return LookupFFN(48, 6, 5, block_size=16).eval()


def fresh_output(layer: LookupFFN, x: torch.Tensor) -> torch.Tensor:
    """The output of a new layer with the same state (nothing cached), in the same dtype."""
    twin = LookupFFN(layer.config.d, layer.config.h, layer.config.tau, block_size=layer.config.b,
                     dtype=layer.tables.dtype).eval()
    twin.load_state_dict(layer.state_dict())
    with torch.no_grad():
        return twin(x)


def changed_in_place(layer):
    with torch.no_grad():
        layer.proj_weight.mul_(-1.5)


def changed_by_an_optimizer_step(layer):
    layer.train()
    optimizer = torch.optim.SGD(layer.parameters(), lr=1.0)
    layer(torch.randn(9, layer.config.d, dtype=layer.tables.dtype)).float().square().sum().backward()
    optimizer.step()
    layer.eval()


def changed_by_load_state_dict(layer):
    other = LookupFFN(layer.config.d, layer.config.h, layer.config.tau, block_size=layer.config.b)
    layer.load_state_dict(other.state_dict())


def changed_by_new_data(layer):
    layer.proj_weight.data = torch.randn_like(layer.proj_weight)


def tables_and_biases_changed_in_place(layer):
    with torch.no_grad():
        layer.tables.mul_(-2.0)
        layer.out_bias.add_(1.0)
        layer.norm.weight.mul_(0.5)


def tables_given_new_data(layer):
    layer.tables.data = torch.randn_like(layer.tables)


def stepped_through_data(layer):
    """A hand-written SGD step, ``p.data -= lr * grad``: ``.data`` keeps no version counter, so
    the README's refresh follows it."""
    for p in layer.parameters():
        p.data -= 0.5 * torch.randn_like(p)
    refresh_weights(layer)


def copied_through_data(layer):
    other = LookupFFN(layer.config.d, layer.config.h, layer.config.tau, block_size=layer.config.b)
    for p, q in zip(layer.parameters(), other.parameters()):
        p.data.copy_(q.data)
    refresh_weights(layer)


def averaged_through_data(layer):
    """An exponential moving average as EMA code writes it."""
    other = LookupFFN(layer.config.d, layer.config.h, layer.config.tau, block_size=layer.config.b)
    for p, q in zip(layer.parameters(), other.parameters()):
        p.data.mul_(0.5).add_(q.data, alpha=0.5)
    refresh_weights(layer)


def new_data_where_the_old_storage_was(layer):
    """``.data =`` twice: the first frees the old storage (unless the plan holds it), so the
    allocator may hand its address to the second, whose version counter starts where the old
    one was."""
    shape = layer.proj_weight.shape
    layer.proj_weight.data = torch.empty(0)
    layer.proj_weight.data = torch.randn(shape)


CHANGES = [changed_in_place, changed_by_an_optimizer_step, changed_by_load_state_dict, changed_by_new_data,
           tables_and_biases_changed_in_place, tables_given_new_data, stepped_through_data, copied_through_data,
           averaged_through_data, new_data_where_the_old_storage_was]


@pytest.mark.parametrize("change", CHANGES, ids=[c.__name__ for c in CHANGES])
def test_the_next_forward_sees_changed_weights(change):
    layer = small_layer()
    x = torch.randn(17, 48)
    with torch.no_grad():
        before = layer(x)
    change(layer)
    with torch.no_grad():
        after = layer(x)
    assert not torch.equal(after, before)
    assert torch.equal(after, fresh_output(layer, x))


def test_a_new_kernel_set_is_seen():
    """``use_tuning_logs`` after a plan exists: the next forward binds the new kernel set."""
    from lookup_tvm.kernels import default_kernels, use_tuning_logs

    layer = small_layer()
    x = torch.randn(17, 48)
    with torch.no_grad():
        layer(x)
        first = layer._plan[1].ck
        try:
            second = use_tuning_logs(None)
            assert second is not first and default_kernels() is second
            layer(x)
            assert layer._plan[1].ck is second
        finally:
            use_tuning_logs(None)


@pytest.mark.parametrize("change", [changed_in_place, stepped_through_data, tables_given_new_data],
                         ids=lambda c: c.__name__)
def test_autocast_forwards_see_changed_weights(change):
    """Float32 masters computed in bfloat16 under autocast: the plan holds bfloat16 copies."""
    layer = small_layer()
    x = torch.randn(17, 48)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        before = layer(x)
        change(layer)
        after = layer(x)
    assert not torch.equal(after, before)
    twin = small_layer()
    twin.load_state_dict(layer.state_dict())
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        assert torch.equal(after, twin(x))


def test_a_dtype_change_and_a_round_trip_are_seen():
    layer = small_layer()
    x = torch.randn(17, 48)
    with torch.no_grad():
        layer(x)
        layer.to(torch.bfloat16)
        got = layer(x.bfloat16())
        assert torch.equal(got, fresh_output(layer, x.bfloat16()))
        layer.to(torch.float32)
        got = layer(x)
    assert torch.equal(got, fresh_output(layer, x))


def test_eval_forwards_fold_once_until_the_weights_change(monkeypatch):
    """The fold runs at the first forward, not at the next ones; after a change, once again."""
    from lookup_tvm import module

    folds = []
    monkeypatch.setattr(module, "bh4_fold", lambda weight, handle: folds.append(1) or bh4_fold(weight, handle))
    layer = small_layer()
    x = torch.randn(5, 48)
    with torch.inference_mode():
        for _ in range(3):
            layer(x)
    assert len(folds) == 1
    changed_in_place(layer)
    with torch.no_grad():
        layer(x)
        layer(x)
    assert len(folds) == 2


def test_a_copied_layer_folds_its_own_weights():
    layer = small_layer()
    x = torch.randn(5, 48)
    with torch.no_grad():
        layer(x)
        twin = copy.deepcopy(layer)
        changed_in_place(twin)
        assert torch.equal(twin(x), fresh_output(twin, x))
        assert torch.equal(layer(x), fresh_output(layer, x))


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("tokens", [1, 2, 3, 7, 8, 63, 64])
def test_small_batches_match_the_reference_with_the_cache_on(tokens, dtype):
    """Decode-sized batches, each forward after the first on the cached folded weights,
    against the pure-PyTorch layer on the same (rounded) values: float32 to 1e-4 of the output's
    magnitude; bfloat16 to the output's rounding, on the tokens whose codes agree (a code can
    flip where a z lies within ~1e-3 of 0)."""
    torch.manual_seed(tokens)
    layer = LookupFFN(64, 8, 6, block_size=16, dtype=dtype).eval()
    ref = LookupFFN(64, 8, 6, block_size=16, backend="reference").eval()
    ref.load_state_dict({k: v.float() for k, v in layer.state_dict().items()})
    with torch.no_grad():
        layer(torch.randn(5, 64, dtype=dtype))  # fills the cache
        x = torch.randn(tokens, 64, dtype=dtype)
        got, want = layer(x).float(), ref(x.float())
        flat = x.float()
        z = R.normed_projection(flat, ref.norm.weight, ref.norm.bias, ref.projection_weight(), ref.proj_bias,
                                bf16_operands=layer.uses_bf16_dot()).reshape(tokens, 8, 6)
    scale = want.abs().max()
    if dtype == torch.float32:
        assert (got - want).abs().max() <= 1e-4 * scale
    else:
        clear = z.abs().amin((-1, -2)) > 1e-2
        assert ((got - want).abs()[clear] <= 2e-2 * scale).all()


def test_parameters_off_alignment_are_bound_as_aligned_copies():
    """Parameters at an offset that breaks TVM's 64-byte alignment (a memory-mapped checkpoint's)
    give the same output as aligned ones, and are never written."""
    layer = small_layer()
    x = torch.randn(3, 48)
    with torch.no_grad():
        want = layer(x)
        backing = torch.empty(layer.tables.numel() + 1)
        layer.tables.data = backing[1:].view_as(layer.tables).copy_(layer.tables)
        kept = layer.tables.clone()
        assert layer.tables.data_ptr() % 64
        assert torch.equal(layer(x), want) and torch.equal(layer.tables, kept)


def test_a_copy_or_pickle_leaves_the_plan_behind():
    import pickle

    layer = small_layer()
    x = torch.randn(2, 48)
    with torch.no_grad():
        want = layer(x)
        for twin in (copy.deepcopy(layer), pickle.loads(pickle.dumps(layer))):
            assert twin._plan is None and torch.equal(twin(x), want)
