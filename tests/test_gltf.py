"""glTF export: structure re-read by our parser and by trimesh, morph targets, animation, texture, atomicity;
the face mesh is passed in (formats.gltf does not know faces)."""

from __future__ import annotations

import json
import struct

import numpy as np
import pytest

from facsynth.errors import FormatError
from facsynth.facs import au_label
from facsynth.face.model import default_face, deform
from facsynth.face.morphs import FACE_UNIT_METRES, face_mesh
from facsynth.formats.gltf import MorphMesh, write_glb
from facsynth.track import AUTrack


def _read_glb(path):
    """(json dict, binary chunk) of a .glb, checking the container."""
    raw = path.read_bytes()
    magic, version, length = struct.unpack_from("<4sII", raw, 0)
    assert magic == b"glTF" and version == 2 and length == len(raw)
    jlen, jtype = struct.unpack_from("<I4s", raw, 12)
    assert jtype == b"JSON" and jlen % 4 == 0
    doc = json.loads(raw[20:20 + jlen])
    blen, btype = struct.unpack_from("<I4s", raw, 20 + jlen)
    assert btype == b"BIN\0"
    return doc, raw[28 + jlen:28 + jlen + blen]


def _accessor(doc, binary, index):
    acc = doc["accessors"][index]
    view = doc["bufferViews"][acc["bufferView"]]
    dtype = {5126: np.float32, 5125: np.uint32}[acc["componentType"]]
    width = {"SCALAR": 1, "VEC2": 2, "VEC3": 3}[acc["type"]]
    data = np.frombuffer(binary, dtype, acc["count"] * width, view["byteOffset"])
    return data.reshape(acc["count"], width) if width > 1 else data


def test_animated_glb_structure(tmp_path):
    rng = np.random.default_rng(0)
    track = AUTrack(rng.uniform(0, 5, (45, 4)).astype(np.float32), (1, 12, 26, 45), fps=15)
    path = write_glb(track, tmp_path / "a.glb", mesh=face_mesh())
    doc, binary = _read_glb(path)
    mesh = doc["meshes"][0]
    prim = mesh["primitives"][0]
    assert mesh["extras"]["targetNames"] == [au_label(a) for a in track.aus]
    assert len(prim["targets"]) == 4
    pos = _accessor(doc, binary, prim["attributes"]["POSITION"])
    assert pos.shape == (468, 3)
    assert np.allclose(pos, default_face().vertices[:468] * FACE_UNIT_METRES, atol=1e-6)
    # morph target of AU26 at weight 1 = the model's jaw drop at intensity 5
    d26 = _accessor(doc, binary, prim["targets"][2]["POSITION"])
    expect = (deform(None, {26: 5})[:468] - default_face().vertices[:468]) * FACE_UNIT_METRES
    assert np.allclose(d26, expect, atol=1e-6) and d26[152, 1] < -0.005
    acc = doc["accessors"][prim["targets"][2]["POSITION"]]
    assert np.allclose(acc["min"], d26.min(axis=0)) and np.allclose(acc["max"], d26.max(axis=0))
    # animation: times at 15 fps, weights = intensity / 5, frame-major
    anim = doc["animations"][0]
    sampler = anim["samplers"][0]
    times = _accessor(doc, binary, sampler["input"])
    weights = _accessor(doc, binary, sampler["output"]).reshape(45, 4)
    assert np.allclose(times, np.arange(45) / 15)
    assert np.allclose(weights, track.values / 5)
    assert anim["channels"][0]["target"] == {"node": 0, "path": "weights"}
    tri = _accessor(doc, binary, prim["indices"]).reshape(-1, 3)
    assert tri.shape == (852, 3) and tri.max() == 467


def test_still_has_weights_but_no_animation_and_trimesh_reads_it(tmp_path):
    import trimesh

    track = AUTrack.still({6: 3, 12: 4})
    path = write_glb(track, tmp_path / "s.glb", mesh=face_mesh())
    doc, _ = _read_glb(path)
    assert "animations" not in doc
    w = dict(zip(doc["meshes"][0]["extras"]["targetNames"], doc["meshes"][0]["weights"]))
    assert w["AU12"] == pytest.approx(0.8) and w["AU06"] == pytest.approx(0.6) and w["AU01"] == 0
    scene = trimesh.load(path)
    geom = scene.geometry["face"]
    assert geom.vertices.shape == (468, 3) and geom.faces.shape == (852, 3)
    assert 0.1 < geom.extents[1] < 0.25  # a life-sized face, metres
    # eyeballs and the mouth cavity sit behind the openings, without morph targets
    names = [n["name"] for n in doc["nodes"]]
    assert names == ["face", "sclera", "iris", "sclera", "iris", "mouth cavity"]
    assert all("targets" not in m["primitives"][0] for m in doc["meshes"][1:])
    face = geom.vertices
    for name in ("sclera", "sclera_1", "mouth cavity"):
        disc = scene.geometry[name].vertices
        c, (rx, ry) = disc[0], np.abs(disc[1:, :2] - disc[0, :2]).max(axis=0)
        inside = ((face[:, 0] - c[0]) / rx) ** 2 + ((face[:, 1] - c[1]) / ry) ** 2 < 1
        assert inside.sum() > 10 and (face[inside, 2] > c[2]).all(), name


def test_textured_glb(tmp_path):
    import trimesh

    tex = np.zeros((64, 64, 3), np.uint8)
    tex[:, :, 0] = np.arange(64)[None, :] * 4
    uv = np.random.default_rng(1).uniform(0, 1, (478, 2)).astype(np.float32)
    path = write_glb(AUTrack.still({1: 2}), tmp_path / "t.glb", mesh=face_mesh(texture=tex, uv=uv))
    doc, binary = _read_glb(path)
    assert doc["images"][0]["mimeType"] == "image/png"
    prim = doc["meshes"][0]["primitives"][0]
    assert np.allclose(_accessor(doc, binary, prim["attributes"]["TEXCOORD_0"]), uv[:468])
    geom = trimesh.load(path).geometry["face"]
    assert geom.visual.kind == "texture" and geom.visual.material.baseColorTexture.size == (64, 64)


def test_the_default_face_carries_its_skin_lips_and_brows_as_vertex_colours(tmp_path):
    """Without a texture the face mesh is coloured per vertex (glTF COLOR_0, linear): dark brows, so a viewer sees
    the brow AUs move, and red lips; the material's factor then leaves those colours as they are. trimesh reads them."""
    import trimesh

    from facsynth.face.topology import LIP_CORNERS, RIGHT_BROW

    path = write_glb(AUTrack.still({1: 3}), tmp_path / "c.glb", mesh=face_mesh())
    doc, binary = _read_glb(path)
    prim = doc["meshes"][0]["primitives"][0]
    rgb = _accessor(doc, binary, prim["attributes"]["COLOR_0"])
    assert rgb.shape == (468, 3)
    skin = rgb[1]                                                       # the nose tip
    assert (rgb[list(RIGHT_BROW)].sum(axis=1) < 0.3 * skin.sum()).all()
    lip = rgb[LIP_CORNERS[0]]
    assert lip[0] > 1.2 * lip[1] and lip.sum() < skin.sum()
    assert abs(skin[0] - ((0.86 + 0.055) / 1.055) ** 2.4) < 1e-3      # sRGB 0.86 written linear
    assert doc["materials"][0]["pbrMetallicRoughness"]["baseColorFactor"] == [1.0, 1.0, 1.0, 1.0]
    geom = trimesh.load(path).geometry["face"]
    assert np.allclose(np.asarray(geom.visual.vertex_attributes["color"])[:, :3], rgb, atol=1e-6)


def test_bad_options_leave_no_file(tmp_path):
    with pytest.raises(FormatError):
        write_glb(AUTrack.still({1: 2}), tmp_path / "x.glb", mesh=face_mesh(texture=np.zeros((4, 4, 3), np.uint8)))
    with pytest.raises(FormatError):
        write_glb({"AU1": 2}, tmp_path / "x.glb", mesh=face_mesh())
    with pytest.raises(FormatError, match="needs the mesh"):
        write_glb(AUTrack.still({1: 2}), tmp_path / "x.glb", mesh=None)
    assert list(tmp_path.iterdir()) == []


def test_any_morph_mesh_can_be_written_and_gltf_does_not_import_face(tmp_path):
    """A plain two-triangle mesh with one AU target: the writer needs nothing of the face model."""
    import subprocess
    import sys

    square = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0]], np.float32)
    up = np.tile(np.array([0, 0, 1], np.float32), (4, 1))
    lift = np.zeros((4, 3), np.float32)
    lift[2, 2] = 0.5
    mesh = MorphMesh(square, up, np.array([[0, 1, 2], [0, 2, 3]], np.uint32), {12: (lift, np.zeros_like(lift))})
    doc, binary = _read_glb(write_glb(AUTrack(np.array([[0], [5]], np.float32), (12,), 10), tmp_path / "q.glb",
                                      mesh=mesh))
    prim = doc["meshes"][0]["primitives"][0]
    assert np.allclose(_accessor(doc, binary, prim["targets"][0]["POSITION"]), lift)
    with pytest.raises(FormatError, match="no morph target for AU01"):
        write_glb(AUTrack.still({1: 2}, aus=()), tmp_path / "r.glb", mesh=mesh)
    code = "import sys, facsynth.formats.gltf; print(any(m.startswith('facsynth.face') for m in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"
