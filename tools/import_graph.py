"""The import graph of facsynth, read from the source (``python tools/import_graph.py`` prints it as Mermaid).

Nodes are the package's layers: the core modules (track, facs, errors, atomic, …), and the sub-packages
(formats, language, speech, face, render, train, server, commands). An edge A → B means some module of A imports
some module of B (top-level, inside a function, or bound with ``_lazy.lazy_module("facsynth.…")``: all count).
docs/architecture.md embeds the output;
tests/test_architecture.py checks the layering rules against the same graph.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "facsynth"
#: Sub-packages shown as one node each; every other module is a node of its own ("core").
LAYERS = ("formats", "language", "speech", "face", "render", "train", "server", "commands")


def node_of(module: str) -> str:
    """The graph node of a dotted module name inside facsynth ("facsynth.render.photo" → "render")."""
    parts = module.split(".")[1:]
    if not parts:
        return "facsynth"
    return parts[0] if parts[0] in LAYERS else parts[0].removesuffix(".py")


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """facsynth modules imported by the file at ``path`` (absolute names)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.split(".")[0] == "facsynth"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] == "facsynth":
                out.add(target)
                out |= {f"{target}.{a.name}" for a in node.names}   # "from .face import topology"
        elif (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "lazy_module" and node.args
              and isinstance(node.args[0], ast.Constant) and str(node.args[0].value).startswith("facsynth.")):
            out.add(node.args[0].value)                                  # gan = lazy_module("facsynth.render.gan")
    return out


def module_files() -> dict[str, Path]:
    """Every facsynth module's dotted name → its source file."""
    return {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def module_edges() -> dict[str, set[str]]:
    """Every facsynth module → the facsynth modules it imports (only names that are modules or packages)."""
    files = module_files()
    return {name: {m for m in _imports(path) if m in files and m != name} for name, path in files.items()}


def layer_edges() -> dict[str, set[str]]:
    """Node → nodes it imports, self-imports left out."""
    out: dict[str, set[str]] = defaultdict(set)
    for src, targets in module_edges().items():
        for t in targets:
            a, b = node_of(src), node_of(t)
            if a != b:
                out[a].add(b)
    return dict(out)


def mermaid() -> str:
    """The layer graph as a Mermaid flowchart (renders on GitHub and in most Markdown viewers)."""
    lines = ["flowchart LR"]
    for a, targets in sorted(layer_edges().items()):
        lines += [f"    {a} --> {b}" for b in sorted(targets)]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(mermaid() + "\n")
