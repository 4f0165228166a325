"""Reused buffers: a pooled output's storage goes back out only when no tensor uses it, so
training with several graphs alive at once, held outputs and gradients all stay correct."""
import pytest
import torch
from torch.testing import assert_close

from lookup_tvm import LookupFFN, release_buffers
from lookup_tvm.kit.buffers import reusable


def _storage_ptr(t: torch.Tensor) -> int:
    return t.untyped_storage().data_ptr()


def test_a_storage_goes_back_out_only_when_nothing_uses_it():
    release_buffers()
    first = reusable((640, 32), torch.float32)  # 80 KiB: pooled
    ptr = _storage_ptr(first)
    view = first[3:]
    del first
    held = reusable((640, 32), torch.float32)
    assert _storage_ptr(held) != ptr, "a view still used the storage"
    del view
    again = reusable((200, 100), torch.int32)  # smaller, another dtype: fits in the free one
    assert _storage_ptr(again) == ptr and again.shape == (200, 100) and again.dtype == torch.int32
    assert again.is_contiguous() and again._base is None


def test_the_smallest_free_storage_that_fits_is_taken_and_release_frees_the_unused():
    from lookup_tvm.kit import buffers

    release_buffers()
    small, large = reusable((20000,), torch.float32), reusable((100000,), torch.float32)
    small_ptr, large_ptr = _storage_ptr(small), _storage_ptr(large)
    del small, large
    assert _storage_ptr(reusable((17000,), torch.float32)) == small_ptr
    assert _storage_ptr(reusable((20001,), torch.float32)) == large_ptr
    kept = reusable((18000,), torch.float32)
    assert _storage_ptr(kept) == small_ptr
    release_buffers()  # other tests' live outputs may hold pooled storages too: those stay
    pooled = {p.storage.data_ptr() for p in buffers._POOL}
    assert small_ptr in pooled and large_ptr not in pooled


def test_storages_free_for_longer_than_the_idle_time_are_dropped(monkeypatch):
    """Outputs a caller collected, then dropped, do not stay resident: a storage free and not
    handed out for IDLE_SECONDS goes at the next call; one still used stays."""
    from lookup_tvm.kit import buffers

    clock = [1000.0]
    monkeypatch.setattr(buffers.time, "monotonic", lambda: clock[0])
    release_buffers()
    collected = [reusable((20000,), torch.float32) for _ in range(10)]
    held = collected.pop()
    ptrs = {_storage_ptr(t) for t in collected}
    del collected
    clock[0] += buffers.IDLE_SECONDS / 2
    reused = reusable((20000,), torch.float32)  # within the idle time: a dropped output's storage
    assert _storage_ptr(reused) in ptrs
    clock[0] += buffers.IDLE_SECONDS + 1
    del reused
    fresh = reusable((17000,), torch.float32)  # every free storage is now idle too long
    pooled = {p.storage.data_ptr() for p in buffers._POOL}
    assert not ptrs & pooled
    assert _storage_ptr(held) in pooled and _storage_ptr(fresh) in pooled


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_graphs_alive_at_once_keep_their_saved_activations(dtype):
    """Two forwards before either backward, a held output, then the backwards in reverse
    order: every gradient equals the one from a step run alone (pooled storages of the first
    graph must not be handed to the second)."""
    torch.manual_seed(0)
    layer = LookupFFN(48, 6, 5, block_size=16, dtype=dtype)
    xs = [torch.randn(batch, 48, dtype=dtype) for batch in (37, 64)]

    def alone(x):
        layer.zero_grad(set_to_none=True)
        x = x.clone().requires_grad_()
        out = layer(x)
        out.float().pow(2).sum().backward()
        return out.detach().clone(), x.grad, {n: p.grad.clone() for n, p in layer.named_parameters()}

    want = [alone(x) for x in xs]
    layer.zero_grad(set_to_none=True)
    inputs = [x.clone().requires_grad_() for x in xs]
    outs = [layer(x) for x in inputs]
    grads = []
    for x, out in reversed(list(zip(inputs, outs))):
        layer.zero_grad(set_to_none=True)
        out.float().pow(2).sum().backward()
        grads.append((x.grad, {n: p.grad.clone() for n, p in layer.named_parameters()}))
    for (out_want, x_want, params_want), out, (x_grad, params) in zip(want, outs, reversed(grads)):
        assert torch.equal(out.detach(), out_want)
        assert_close(x_grad, x_want, rtol=0, atol=0)
        for name, grad in params.items():
            assert_close(grad, params_want[name], rtol=0, atol=0, msg=name)


def test_small_tensors_are_plain_allocations():
    """Below SMALL_BYTES (a decode step's codes, scores and output) the pool is skipped: its
    scan would cost more than malloc, which serves such sizes without page faults."""
    from lookup_tvm.kit import buffers

    release_buffers()
    pooled = len(buffers._POOL)
    tensors = [reusable((buffers.SMALL_BYTES // 4 - 1,), torch.float32) for _ in range(3)]
    assert len(buffers._POOL) == pooled and all(t.is_contiguous() for t in tensors)
    assert len({_storage_ptr(t) for t in tensors}) == 3


def test_without_torchs_reference_count_nothing_is_pooled(monkeypatch):
    """A torch without the (internal) storage reference count gets plain allocations: no reuse,
    and the pool does not grow."""
    from lookup_tvm.kit import buffers

    release_buffers()
    pooled = len(buffers._POOL)
    monkeypatch.setattr(buffers, "_storage_use_count", lambda: None)
    tensors = [reusable((20000,), torch.float32) for _ in range(4)]
    del tensors[0]
    tensors.append(reusable((20000,), torch.float32))
    assert all(t.shape == (20000,) and t.dtype == torch.float32 for t in tensors)
    assert len(buffers._POOL) == pooled
