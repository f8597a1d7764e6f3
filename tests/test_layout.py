"""The package layout: no import cycles between avili's packages or modules, and the
demo, the examples and the pipeline benchmarks use only the public API."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import avili

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "avili"
# scripts that run the pipeline: they use ``import avili`` and its documented names only
PUBLIC_ONLY = ["avili/pipeline.py", "examples/python_api.py", "bench/compare.py",
               "bench/lir_benchmark.py", "bench/graph_lift.py", "bench/graph_stability.py",
               "bench/teacher_modes.py", "bench/teacher_negatives.py", "bench/lir_protocol.py"]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """Every avili module ``path`` imports, at any depth of the file (lazy imports too)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "avili":
                out |= {f"avili.{a.name}" for a in node.names}
            elif node.module.startswith("avili."):
                out.add(node.module)
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == "avili"}
    return out


def import_graph(unit) -> dict[str, set[str]]:
    """{unit: units it imports}, ``unit`` mapping a module name to its package or itself."""
    modules = {module_name(p) for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        here = unit(module_name(path))
        targets = set()
        for name in imported(path):
            while name not in modules and "." in name:  # `from avili.x import name`
                name = name.rsplit(".", 1)[0]
            if name != "avili":
                targets.add(unit(name))
        graph.setdefault(here, set()).update(targets - {here})
    return graph


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``graph``, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        stack.pop()
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def package_of(name: str) -> str:
    """avili.data.schema -> avili.data; a top-level module is its own unit."""
    parts = name.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 and (PACKAGE / parts[1]).is_dir() else name


def test_no_cycles_between_packages():
    assert cycle(import_graph(package_of)) is None


def test_no_cycles_between_modules():
    assert cycle(import_graph(lambda name: name)) is None


def test_cycle_finder_finds_a_cycle():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None


def test_cli_only_modules_live_under_cli():
    users = {name for path in PACKAGE.rglob("*.py")
             if "cli" not in path.parts and path.name != "__main__.py"
             for name in imported(path)}
    assert not {n for n in users if n.startswith("avili.cli")}
    assert not any("rich" in imported_names(p) for p in PACKAGE.rglob("*.py")
                   if "cli" not in p.parts)


def imported_names(path: Path) -> set[str]:
    """Top-level names of every module ``path`` imports."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
    return out


def test_pipeline_scripts_use_only_the_public_api():
    public = {f"avili.{name}" for name in avili.__all__}
    for script in PUBLIC_ONLY:
        names = imported(ROOT / script)
        assert names <= {"avili", *public}, (script, names - {"avili", *public})
        assert "import avili" in (ROOT / script).read_text()


@pytest.mark.slow
def test_public_names_resolve_lazily():
    import subprocess
    import sys

    code = ("import sys, avili; heavy = [m for m in ('torch', 'h5py', 'sklearn') "
            "if m in sys.modules]; assert not heavy, heavy; "
            "[getattr(avili, n) for n in avili.__all__]; print(len(avili.__all__))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT)
    assert run.returncode == 0, run.stderr
    assert int(run.stdout) == len(avili.__all__)
