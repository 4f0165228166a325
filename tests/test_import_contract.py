"""The package's layers, as a contract on every import (module level and inside functions).

Data flows one way: target data < host/ISA < kit < quantized tables < families < config < schedule sources <
compiled kernels < module/functional < tuning < integration < the command line. A module may
import its own layer or lower ones, never a higher one, and no two modules may import each
other through any chain. Only the optional heavy dependencies below may be imported inside
functions (so the package works without them), and only two modules import TVM.
"""
from __future__ import annotations

import ast
import fnmatch
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "lookup_tvm"

LAYERS: list[tuple[str, tuple[str, ...]]] = [
    ("spec constants, target data", ("lookup_tvm.version", "lookup_tvm.spec", "lookup_tvm.cpu.target")),
    ("pure-PyTorch reference", ("lookup_tvm.reference",)),
    ("thread policy", ("lookup_tvm.cpu.threads",)),
    ("the TVM import point", ("lookup_tvm.cpu.tvm_api",)),
    ("host probe", ("lookup_tvm.cpu.host",)),
    ("ISA questions, AMX tile permission", ("lookup_tvm.cpu.isa", "lookup_tvm.cpu.amx")),
    ("target resolution", ("lookup_tvm.cpu.resolve", "lookup_tvm.cpu")),
    ("kit", ("lookup_tvm.kit", "lookup_tvm.kit.*")),
    ("quantized tables and their reference", ("lookup_tvm.quantize",)),
    ("families", ("lookup_tvm.ops.*",)),
    ("family registry", ("lookup_tvm.ops",)),
    ("layer config", ("lookup_tvm.config",)),
    ("schedule sources, measuring tools", ("lookup_tvm.sources", "lookup_tvm.sources.*", "lookup_tvm.cache",
                                           "lookup_tvm.timing", "lookup_tvm.calibration", "lookup_tvm.memory",
                                           "lookup_tvm.onednn")),
    ("compiled kernels, layer ops", ("lookup_tvm.kernels", "lookup_tvm.layer")),
    ("libraries", ("lookup_tvm.library",)),
    ("module, functional", ("lookup_tvm.module", "lookup_tvm.functional")),
    ("tuning", ("lookup_tvm.tuning", "lookup_tvm.tuning.*")),
    ("MLPs found by structure", ("lookup_tvm.mlp_structure",)),
    ("integration", ("lookup_tvm.integration",)),
    ("Hugging Face", ("lookup_tvm.hf",)),
    ("the package's public names", ("lookup_tvm",)),
    ("command-line commands", ("lookup_tvm.commands", "lookup_tvm.commands.*")),
    ("the lookup-tvm command", ("lookup_tvm.cli",)),
]
OPTIONAL_HEAVY = {"transformers", "matplotlib"}  # imported inside functions only: the package works without them
TVM_IMPORTERS = {"lookup_tvm.cpu.tvm_api", "lookup_tvm.tuning.metaschedule"}  # (MetaSchedule's intrinsics: lazily)


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer_of(module: str) -> int:
    """The layer a module belongs to: its exact name first, then the first pattern it matches."""
    for index, (_, patterns) in enumerate(LAYERS):
        if module in patterns:
            return index
    for index, (_, patterns) in enumerate(LAYERS):
        if any("*" in p and fnmatch.fnmatchcase(module, p) for p in patterns):
            return index
    raise AssertionError(f"{module} is in no layer of the contract: add it to LAYERS")


def imports(module: str, source: str | None = None) -> list[tuple[str, int, bool]]:
    """(imported module, line, inside a function) of every import statement in a module (its
    file, or ``source``). ``from package import name`` counts as importing ``package.name``
    when that is a module."""
    tree = ast.parse(MODULES[module].read_text() if source is None else source)
    found = []

    def visit(node: ast.AST, nested: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = nested or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import):
                found.extend((alias.name, child.lineno, nested) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
                    for _ in range(child.level - 1):
                        package = package.rpartition(".")[0]
                    base = f"{package}.{base}".rstrip(".")
                for alias in child.names:
                    target = f"{base}.{alias.name}"
                    found.append((target if target in MODULES else base, child.lineno, nested))
            visit(child, inner)

    visit(tree, False)
    return found


def internal_edges() -> dict[str, set[str]]:
    return {m: {name for name, _, _ in imports(m) if name in MODULES and name != m} for m in MODULES}


def upward_imports(sources: dict[str, str | None]) -> list[str]:
    """Every import that runs up a layer, in the modules named (their files, or given sources)."""
    problems = []
    for module, source in sources.items():
        for name, line, nested in imports(module, source):
            if name in MODULES and layer_of(name) > layer_of(module):
                where = "inside a function" if nested else "at module level"
                problems.append(f"{module}:{line} imports {name} {where}: layer '{LAYERS[layer_of(name)][0]}' is "
                                f"above '{LAYERS[layer_of(module)][0]}'")
    return problems


def test_every_module_has_a_layer():
    for module in MODULES:
        layer_of(module)


def test_no_import_runs_up_a_layer():
    assert upward_imports(dict.fromkeys(MODULES)) == []


def test_no_import_circles():
    edges = internal_edges()
    state: dict[str, int] = {}
    cycles = []

    def walk(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join(path[path.index(nxt):] + [nxt]))
            elif nxt not in state:
                walk(nxt, path + [nxt])
        state[node] = 2

    for module in sorted(edges):
        if module not in state:
            walk(module, [module])
    assert cycles == []


COMMAND_DEPENDENCIES = {"torch", "tabulate", "benchmarks", "studies"}  # imported when a command runs: --help is instant


def test_only_optional_heavy_dependencies_are_imported_inside_functions():
    third_party = []
    for module in MODULES:
        for name, line, nested in imports(module):
            top = name.split(".")[0]
            allowed = OPTIONAL_HEAVY | {"lookup_tvm"} | ({"tvm"} if module in TVM_IMPORTERS else set())
            allowed |= COMMAND_DEPENDENCIES if module.startswith("lookup_tvm.commands.") else set()
            if nested and top not in sys.stdlib_module_names and top not in allowed:
                third_party.append(f"{module}:{line} imports {name} inside a function")
    assert third_party == []


def test_tvm_is_imported_by_two_modules_only():
    importers = {m for m in MODULES for name, _, _ in imports(m) if name.split(".")[0] == "tvm"}
    assert importers == TVM_IMPORTERS


def test_no_module_outside_the_families_names_an_operator():
    """Kernel lists, knobs and layouts come from the families: a string naming an operator
    anywhere else is a dispatch on names. (``bh4``/``dense`` are also LayerConfig.projection's
    values, which the layer may name.)"""
    from lookup_tvm.ops import operators

    names = set(operators()) - {"bh4"}
    found = []
    for module, path in MODULES.items():
        if module == "lookup_tvm.ops" or module.startswith("lookup_tvm.ops."):
            continue
        tree = ast.parse(path.read_text())
        exported = {id(c) for node in ast.walk(tree) if isinstance(node, ast.Assign)
                    and any(getattr(t, "id", None) == "__all__" for t in node.targets) for c in ast.walk(node.value)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in names and id(node) not in exported:
                found.append(f"{module}:{node.lineno} names {node.value!r}")
    assert found == []


def test_upper_layers_reach_a_family_through_its_package_only():
    """Outside ``lookup_tvm.ops``, a family is imported as its package (its ``__init__`` names what
    it offers), never one of its submodules: they may move within the family."""
    families = {m for m in MODULES if m.startswith("lookup_tvm.ops.") and MODULES[m].name == "__init__.py"}
    problems = [f"{module}:{line} imports {name}" for module in MODULES if not module.startswith("lookup_tvm.ops")
                for name, line, _ in imports(module) if any(name.startswith(family + ".") for family in families)]
    assert problems == []


def test_the_package_never_imports_the_benchmarks_or_studies():
    """Benchmark drivers and studies live beside the package (``benchmarks/``, ``studies/``): they
    import it, it never imports them, but for the command line that runs them
    (``lookup_tvm.commands``)."""
    problems = [f"{module}:{line} imports {name}" for module in MODULES for name, line, _ in imports(module)
                if name.split(".")[0] in ("benchmarks", "studies") and not module.startswith("lookup_tvm.commands")]
    assert problems == []
    for package in ("benchmarks", "studies"):
        assert (PACKAGE.parent / package / "__init__.py").exists()


UPWARD_IMPORTS = [("lookup_tvm.kit.operator", "from lookup_tvm.kernels import Kernel"),
                  ("lookup_tvm.cpu.target", "    from lookup_tvm.cpu.host import current_probe"),
                  ("lookup_tvm.ops.gather.compute", "from lookup_tvm.config import LayerConfig")]


@pytest.mark.parametrize("module, line", UPWARD_IMPORTS)
def test_the_contract_catches_an_upward_import(module, line):
    """A deliberate upward import, at module level or inside a function, is reported."""
    source = MODULES[module].read_text()
    source = source + f"\n\ndef _probe():\n{line}\n" if line.startswith(" ") else f"{line}\n{source}"
    problems = upward_imports({module: source})
    assert len(problems) == 1 and "above" in problems[0], problems


def test_every_package_is_installed():
    """A package missing from pyproject's list would be left out of a (non-editable) install."""
    import tomllib

    listed = set(tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    packages = {module_name(p) for p in PACKAGE.rglob("__init__.py")}
    assert packages <= listed, sorted(packages - listed)
