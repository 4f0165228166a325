"""Run by tests/test_ddp.py: STEPS SGD steps of a small byte LM with LookupFFN layers, either
in one process on the whole batch (plain ``python``) or under ``torchrun`` with DDP or FSDP2 (gloo),
each rank on its slice of the same batch. Rank 0 saves the parameters and the last step's
gradients to OUT. Usage: ddp_worker.py OUT DTYPE STEPS [ddp | fsdp] (DTYPE float32 | bfloat16: the whole model, so the
LookupFFN tables and projection are bfloat16 parameters too)."""
import datetime
import os
import sys

import torch
import torch.distributed as dist
from torch import nn
from torch.distributed.fsdp import fully_shard
from torch.distributed.tensor import DTensor
from torch.nn.parallel import DistributedDataParallel

from studies.lm import ByteLM

BATCH, CONTEXT = 8, 16


def main(out: str, dtype: str, steps: str, wrapper: str = "ddp") -> None:
    distributed = "RANK" in os.environ
    if distributed:
        dist.init_process_group("gloo", timeout=datetime.timedelta(seconds=120))
    rank, world = (dist.get_rank(), dist.get_world_size()) if distributed else (0, 1)
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = ByteLM(d_model=64, layers=2, heads=2, context=CONTEXT, num_tables=16, block_size=32).to(
        getattr(torch, dtype))
    trained = _wrapped(model, wrapper) if distributed else model
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    gen = torch.Generator().manual_seed(1)
    for _ in range(int(steps)):
        tokens = torch.randint(0, 256, (BATCH, CONTEXT + 1), generator=gen).chunk(world)[rank]
        logits = trained(tokens[:, :-1])
        loss = nn.functional.cross_entropy(logits.float().reshape(-1, 256), tokens[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
    params = {n: _whole(p.detach()) for n, p in model.named_parameters()}
    grads = {n: _whole(p.grad) for n, p in model.named_parameters()}
    if rank == 0:
        torch.save({"params": params, "grads": grads}, out)
    del trained  # before the process group goes: a bf16 DDP deleted after it hung at exit in ~1 of 3 runs
    if distributed:
        dist.destroy_process_group()


def _wrapped(model: nn.Module, wrapper: str) -> nn.Module:
    """DDP, or FSDP2 (``fully_shard``: each block, then the model)."""
    if wrapper == "ddp":
        return DistributedDataParallel(model)
    for block in model.blocks:
        fully_shard(block)
    return fully_shard(model)


def _whole(tensor: torch.Tensor) -> torch.Tensor:
    """A sharded (FSDP2) tensor gathered whole on every rank, a plain one copied."""
    return tensor.full_tensor() if isinstance(tensor, DTensor) else tensor.clone()


if __name__ == "__main__":
    main(*sys.argv[1:])
