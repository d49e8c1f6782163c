"""Declared dependencies are exactly what facsynth's code imports (pyproject.toml against an import scan)."""

from __future__ import annotations

import ast
import importlib.metadata as md
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).parents[1]
#: Declared for another package's sake, with the reason written beside them in pyproject.toml.
NOT_IMPORTED = {"python-multipart": "FastAPI's form parsing", "onnx": "onnxruntime.quantization"}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _imports() -> set[str]:
    """Top-level third-party modules imported anywhere in src/facsynth (at the top, inside functions, or bound with
    facsynth._lazy.lazy_module)."""
    found = set()
    for path in (ROOT / "src" / "facsynth").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
            elif (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "find_spec" and node.args
                  and isinstance(node.args[0], ast.Constant)):  # located, not imported: model-file packages
                found.add(str(node.args[0].value).split(".")[0])
            elif (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "lazy_module" and node.args
                  and isinstance(node.args[0], ast.Constant)):  # torch = lazy_module("torch"): imported on first use
                found.add(str(node.args[0].value).split(".")[0])
    return {m for m in found if m not in sys.stdlib_module_names and m != "facsynth"}


def _owners(imports: set[str], declared: set[str]) -> dict[str, set[str]]:
    """Import name -> distributions installing it: top_level.txt, else a declared distribution's file list
    (top_level.txt misses some, e.g. dlib-bin's ``dlib/``)."""
    owners = {m: {_norm(d) for d in ds} for m, ds in md.packages_distributions().items() if m in imports}
    for m in imports - set(owners):
        for name in declared:
            try:
                record = md.distribution(name).read_text("RECORD") or ""
            except md.PackageNotFoundError:  # an extra that is not installed here (opensmile)
                continue
            if f"\n{m}/" in "\n" + record or f"\n{m}." in "\n" + record:
                owners.setdefault(m, set()).add(name)
    return owners


def _declared(project: dict, extras: tuple[str, ...]) -> set[str]:
    reqs = list(project["dependencies"]) + [r for e in extras for r in project["optional-dependencies"][e]]
    return {_norm(re.split(r"[=<>!~\[ ;]", r, maxsplit=1)[0]) for r in reqs}


def test_declared_dependencies_are_what_the_code_imports():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = _declared(project, ("egemaps", "identity", "ray"))
    imports = _imports()
    owners = _owners(imports, declared)
    undeclared = {m for m in imports if not owners.get(m, {m}) & declared}
    assert not undeclared, f"imported but not declared: {sorted(undeclared)}"
    provided = {d for m in imports for d in owners.get(m, {m})}
    unused = declared - provided - set(NOT_IMPORTED)
    assert not unused, f"declared but never imported: {sorted(unused)}"


def test_optional_extras_are_not_runtime_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    main = _declared(project, ())
    assert "dlib-bin" not in main and "face-recognition-models" not in main and "opensmile" not in main
    assert {"dlib-bin", "face-recognition-models"} <= _declared(project, ("dev",))  # the identity tests need it
