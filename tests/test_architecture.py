"""The layering of DESIGN.md, checked on the import graph read from the source (tools/import_graph.py)."""

from __future__ import annotations

import importlib.util
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
