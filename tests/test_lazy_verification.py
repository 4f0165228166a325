"""A recorded choice never verified on its own CPU (a log tuned over RPC, schedules exported
without the flag) is checked against the reference the first time a host that runs it builds
it: once (the result is kept in the kernel cache), and a wrong one falls back to the default
schedule with a warning."""
from __future__ import annotations

import warnings

import pytest

from lookup_tvm.kernels import CompiledKernels
from lookup_tvm.kit.operator import Operator
from lookup_tvm.ops import operators
from lookup_tvm.sources.chosen import ChosenSchedules

pytestmark = pytest.mark.slow  # leave out with -m 'not slow'

OP, PARAMS = "hash", {"h": 8, "tau": 4}


def _source(verified=None):
    """The hash kernel's second knob candidate (not the default), recorded unverified."""
    operator = operators()[OP]
    kernels = CompiledKernels("host")
    knobs = operator.knobs(kernels.spec(OP, **PARAMS), kernels.target.profile)
    choice = {name: values[-1] for name, values in knobs.items()}
    assert choice != operator.default_choice(kernels.spec(OP, **PARAMS), kernels.target.profile)
    entry = {"choice": choice, **({} if verified is None else {"verified": verified})}
    return ChosenSchedules({operator.kernel_key(PARAMS): entry}, "a test log", verify=True), choice


@pytest.fixture
def checks(monkeypatch):
    """Counts the verifications run, each still the real check against the reference."""
    calls = []
    real = Operator.verify

    def counted(self, kernels, spec):
        calls.append(spec.name)
        return real(self, kernels, spec)

    monkeypatch.setattr(Operator, "verify", counted)
    return calls


def test_an_unverified_choice_is_verified_once_and_kept(checks, tmp_path):
    source, choice = _source()
    kernels = CompiledKernels("host", source, cache_dir=tmp_path)
    spec = kernels.spec(OP, **PARAMS)
    assert len(checks) == 1
    assert source.choice(operators()[OP], spec, kernels.target) == choice
    kernels.get(OP, **PARAMS)
    assert len(checks) == 1
    again, _ = _source()
    CompiledKernels("host", again, cache_dir=tmp_path).spec(OP, **PARAMS)
    assert len(checks) == 1, "a later process reads the result kept in the kernel cache"
    assert list(tmp_path.rglob("verified-*.json"))


def test_a_verified_choice_is_not_checked_again(checks, tmp_path):
    source, _ = _source(verified=True)
    CompiledKernels("host", source, cache_dir=tmp_path).get(OP, **PARAMS)
    assert checks == []


def test_a_wrong_choice_falls_back_to_the_default_with_a_warning(monkeypatch, tmp_path):
    monkeypatch.setattr(Operator, "verify", lambda self, kernels, spec: (float("inf"), False))
    source, choice = _source()
    identity = source.identity
    kernels = CompiledKernels("host", source, cache_dir=tmp_path)
    with pytest.warns(UserWarning, match="never verified on its CPU, and is wrong here"):
        spec = kernels.spec(OP, **PARAMS)
    operator = operators()[OP]
    assert source.choice(operator, spec, kernels.target) == operator.default_choice(spec, kernels.target.profile)
    assert source.identity != identity, "the default kernel is cached under another name than the wrong choice's"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kernels.get(OP, **PARAMS)


def test_code_for_another_machine_is_not_verified_here(checks, tmp_path):
    """Compiling for another machine (``check_isa=False``: export, tuning over RPC) runs nothing."""
    source, _ = _source()
    CompiledKernels("host", source, cache_dir=tmp_path, check_isa=False).spec(OP, **PARAMS)
    assert checks == []
