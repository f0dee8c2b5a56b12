"""The package reads as the pipeline: imports point down, Airflow stays in airflow_glue.

Read with `ast` (every import, also those inside functions), so a lazy import cannot
hide an upward dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "include" / "sohoa"

# The pipeline's order: a package may import core and the packages before it.
LAYERS = ["core", "intake", "arrangement", "scan", "ocr", "description", "integration",
          "preservation", "reporting", "sample"]
ENTRY = {"pipeline", "cli", "airflow_glue"}  # the thin layer on top: may import anything
AIRFLOW_ALLOWED = {"airflow_glue"}


def _layer(name: str) -> str | None:
    """'sohoa.scan.qc' -> 'scan'; None for names outside sohoa."""
    parts = name.split(".")
    if parts[0] != "sohoa" or len(parts) < 2:
        return None
    return parts[1]


def imported_names(source: str) -> list[tuple[int, str]]:
    """(line, dotted module) for every absolute import in `source`."""
    out = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.append((node.lineno, node.module))
            if node.module == "sohoa":  # from sohoa import core, intake
                out += [(node.lineno, f"sohoa.{a.name}") for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level:
            out.append((node.lineno, "." * node.level + (node.module or "")))
    return out


def violations(module_layer: str, source: str) -> list[str]:
    """The rule broken by each import of a module that lives in `module_layer`."""
    problems = []
    for line, name in imported_names(source):
        if name.startswith("."):
            problems.append(f"line {line}: relative import {name!r} (use sohoa.<package>)")
            continue
        top = name.split(".")[0]
        if top == "airflow" and module_layer not in AIRFLOW_ALLOWED:
            problems.append(f"line {line}: imports Airflow ({name}); only airflow_glue may")
        target = _layer(name)
        if target is None or module_layer in ENTRY or target == module_layer:
            continue
        if target in ENTRY:
            problems.append(f"line {line}: {module_layer} imports the entry layer ({name})")
        elif target not in LAYERS:
            problems.append(f"line {line}: {name} is in no known layer")
        elif module_layer in LAYERS and LAYERS.index(target) > LAYERS.index(module_layer):
            problems.append(f"line {line}: {module_layer} imports the later phase {name}")
    return problems


def _modules():
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG)
        if len(rel.parts) == 1:
            yield path, rel.stem if rel.stem != "__init__" else "core"
        else:
            yield path, rel.parts[0]


def test_every_package_is_a_known_layer():
    tops = {p.name for p in PKG.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert tops <= set(LAYERS), f"add {sorted(tops - set(LAYERS))} to LAYERS in its place"
    loose = {p.stem for p in PKG.glob("*.py")} - ENTRY - {"__init__"}
    assert not loose, f"modules outside any phase package: {sorted(loose)}"


def test_every_package_says_what_it_does():
    for init in PKG.glob("*/__init__.py"):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and len(doc) > 60, f"{init.parent.name}/__init__.py needs its docstring"


def test_imports_point_down_the_pipeline():
    problems = []
    for path, layer in _modules():
        for p in violations(layer, path.read_text(encoding="utf-8")):
            problems.append(f"{path.relative_to(PKG)} {p}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("layer, source, expected", [
    ("scan", "from sohoa.ocr import recognition", "later phase"),
    ("core", "def f():\n    from sohoa.reporting import weekly", "later phase"),
    ("intake", "import airflow.sdk", "imports Airflow"),
    ("ocr", "from airflow.sdk import dag", "imports Airflow"),
    ("reporting", "from sohoa import pipeline", "entry layer"),
    ("ocr", "from . import pdf", "relative import"),
    ("scan", "from sohoa.nowhere import x", "no known layer"),
])
def test_the_rule_catches_what_it_should(layer, source, expected):
    found = violations(layer, source)
    assert any(expected in p for p in found), found


@pytest.mark.parametrize("layer, source", [
    ("ocr", "from sohoa.scan import qc\nfrom sohoa.core import storage"),
    ("reporting", "from sohoa.intake.agencies import current_successors"),
    ("airflow_glue", "from airflow.sdk import dag\nfrom sohoa import pipeline"),
    ("pipeline", "from sohoa.reporting import weekly"),
])
def test_the_rule_allows_downward_imports(layer, source):
    assert violations(layer, source) == []
