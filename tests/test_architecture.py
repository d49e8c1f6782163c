"""The layering of DESIGN.md, checked on the import graph read from the source (tools/import_graph.py)."""

from __future__ import annotations

import ast
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

_spec = importlib.util.spec_from_file_location("import_graph", Path(__file__).resolve().parents[1] / "tools" /
                                               "import_graph.py")
import_graph = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(import_graph)

#: Producers never know renderers, renderers never know producers, file formats know neither.
FORBIDDEN = {
    "language": {"render", "face", "speech", "server", "commands", "train"},
    "speech": {"render", "face", "server", "commands", "train"},
    "render": {"language", "speech", "server", "commands", "train"},
    "face": {"render", "language", "speech", "server", "commands", "train"},
    "formats": {"render", "face", "language", "speech", "server", "commands", "train"},
    "track": {"render", "face", "language", "speech", "formats", "server", "commands", "train"},
    "facs": {"render", "face", "language", "speech", "formats", "server", "commands", "train", "track"},
}


@pytest.fixture(scope="module")
def edges() -> dict[str, set[str]]:
    return import_graph.layer_edges()


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_no_layer_imports_upwards(edges, layer):
    assert not edges.get(layer, set()) & FORBIDDEN[layer], edges.get(layer)


def test_the_graph_sees_relative_and_lazy_imports():
    mods = import_graph.module_edges()
    assert "facsynth.render.output" in mods["facsynth.render.photo"]          # from .output import …
    assert "facsynth.face.topology" in mods["facsynth.render.photo"]          # from ..face import topology
    assert "facsynth.commands" in mods["facsynth.cli"]


def test_mermaid_lists_every_edge(edges):
    text = import_graph.mermaid()
    assert text.startswith("flowchart LR")
    assert sum(len(t) for t in edges.values()) == text.count("-->")


def test_the_documented_graph_is_the_generated_one():
    doc = (Path(__file__).resolve().parents[1] / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert import_graph.mermaid() in doc, (
        "docs/architecture.md's import graph is stale: paste the output of python tools/import_graph.py")


def test_the_graph_sees_lazy_module_bindings():
    mods = import_graph.module_edges()
    assert "facsynth.render.gan" in mods["facsynth.commands.edit"]    # gan = lazy_module("facsynth.render.gan")
    assert "facsynth.server.app" in mods["facsynth.commands.serve"]


def _inner_own_imports(path: Path) -> list[int]:
    """Line numbers of imports of facsynth modules inside functions or classes of the file at ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = set(map(id, tree.body))
    return [n.lineno for n in ast.walk(tree)
            if isinstance(n, (ast.Import, ast.ImportFrom)) and id(n) not in top
            and (getattr(n, "level", 0) or any(a.name.split(".")[0] == "facsynth" for a in n.names)
                 or (getattr(n, "module", "") or "").split(".")[0] == "facsynth")]


def test_facsynth_modules_import_each_other_at_the_top():
    found = {name: lines for name, path in import_graph.module_files().items()
             if (lines := _inner_own_imports(path))}
    assert not found, f"import these at the top (heavy ones with facsynth._lazy.lazy_module): {found}"


def test_help_loads_no_heavy_library():
    code = ("import sys, contextlib, io\nfrom facsynth.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n    main(['--help'])\n"
            "print(sorted(m for m in ('torch', 'fastapi', 'scipy', 'mediapipe', 'cv2', 'librosa', 'pyarrow', "
            "'skimage', 'dlib', 'imageio_ffmpeg', 'tqdm', 'soundfile') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
