"""facsynth.checkpoint: one save / load pair for every model, plain tensors only, one-line typed errors; the shipped
weights load through it."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
import torch

from facsynth.checkpoint import FORMAT_KEY, load_checkpoint, save_checkpoint
from facsynth.errors import ModelError, OutputError


def test_round_trip_keeps_tensors_and_plain_values(tmp_path):
    payload = {"weights": {"w": torch.arange(6.0).reshape(2, 3)}, "config": {"hidden": 8, "betas": (0.5, 0.9)},
               "history": [{"epoch": 1, "loss": 0.25}], "kind": "tiny", "note": None}
    save_checkpoint(tmp_path / "m.pt", payload, "test-layout-1")
    back = load_checkpoint(tmp_path / "m.pt", "test-layout-1", "test model")
    assert back[FORMAT_KEY] == "test-layout-1" and back["config"] == payload["config"]
    assert torch.equal(back["weights"]["w"], payload["weights"]["w"]) and back["history"] == payload["history"]
    assert [p.name for p in tmp_path.iterdir()] == ["m.pt"]  # written atomically: no temporary file left


@pytest.mark.parametrize("content, message", [
    (None, "do not exist"),
    (b"not a checkpoint at all", "is not a readable test model checkpoint"),
    ("other layout", "layout 'other-1', expected 'test-layout-1'"),
    ("no layout", "layout None"),
    ("pickled object", "is not a readable test model checkpoint"),
])
def test_bad_files_are_one_line_model_errors(tmp_path, content, message):
    path = tmp_path / "bad.pt"
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content == "other layout":
        save_checkpoint(path, {"w": torch.zeros(2)}, "other-1")
    elif content == "no layout":
        torch.save({"w": torch.zeros(2)}, path)
    elif content == "pickled object":  # loading it would run code: weights_only refuses it
        torch.save({FORMAT_KEY: "test-layout-1", "path": Path("/")}, path)
    with pytest.raises(ModelError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        load_checkpoint(path, "test-layout-1", "test model")
    assert "\n" not in str(info.value)


def test_unwritable_place_is_an_output_error(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError):
        save_checkpoint(tmp_path / "file" / "m.pt", {"w": torch.zeros(1)}, "test-layout-1")


def test_every_shipped_checkpoint_loads():
    """Each .pt the package ships is a checkpoint of a layout its loader knows, and that loader reads it."""
    from facsynth.language import encoder

    assets = Path(str(resources.files("facsynth") / "assets"))
    shipped = sorted(assets.rglob("*.pt"))
    assert shipped, "the package ships no checkpoints"
    loaders = {encoder.FORMAT: lambda p: encoder.load(p).aus}
    for path in shipped:
        layout = torch.load(path, map_location="cpu", weights_only=True).get(FORMAT_KEY)
        assert layout in loaders, f"{path.name}: no loader for layout {layout!r}"
        assert loaders[layout](path), path.name
