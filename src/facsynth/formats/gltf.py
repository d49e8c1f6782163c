"""glTF 2.0 binary (.glb) writer: the face mesh with one morph target per AU and an animation of their weights."""

from __future__ import annotations

import io
import json
import os
import struct
from pathlib import Path

import numpy as np

from ..atomic import atomic_path
from ..errors import FormatError
from ..facs import MAX_INTENSITY, au_label
from ..track import AUTrack

__all__ = ["write_glb", "FACE_UNIT_METRES"]

#: Metres per face unit (the inter-ocular distance of an adult, ≈ 63 mm), so meshes open life-sized.
FACE_UNIT_METRES = 0.063
_FLOAT, _UINT32 = 5126, 5125
_ARRAY, _ELEMENTS = 34962, 34963
_SKIN = [0.80, 0.62, 0.54, 1.0]


def write_glb(track: AUTrack, path: str | os.PathLike, *, neutral: np.ndarray | None = None,
              texture: np.ndarray | None = None, uv: np.ndarray | None = None, name: str = "face") -> Path:
    """Write ``track`` as an animated face mesh in glTF 2.0 binary form.

    The mesh is the 468-point face surface (852 triangles, eye and mouth openings as holes) in metres, y up,
    facing +z. Each AU of the track is one morph target named ``AU01``, ``AU12``, … (``mesh.extras.targetNames``,
    read by Blender and three.js): the displacement of the muscle model at intensity 5, so morph weight =
    intensity / 5. The mesh's default weights are the first frame; a track of several frames also gets an
    animation ("AUs") of the weights at the track's frame rate (linear interpolation).

    Parameters
    ----------
    track : AUTrack, (frames, n_aus) FACS intensity 0–5
    path : output .glb file, written atomically
    neutral : np.ndarray [shape=(478, 3)], face frame; the person's own neutral face (default: the shipped face)
    texture : np.ndarray [shape=(H, W, 3)] uint8 RGB, e.g. the photo the neutral face was detected in
    uv : np.ndarray [shape=(478, 2)], texture coordinates in 0–1 (x right, y down), needed with ``texture``
    name : name of the mesh and node

    Returns
    -------
    Path of the written file.

    Example
    -------
    >>> write_glb(AUTrack.still({6: 3, 12: 4}), "smile.glb")  # doctest: +SKIP
    """
    from ..face.model import basis_for, default_face

    if not isinstance(track, AUTrack):
        raise FormatError("write_glb needs an AUTrack")
    if (texture is None) != (uv is None):
        raise FormatError("a texture needs texture coordinates (uv) and uv needs a texture")
    face = default_face()
    base = np.asarray(face.vertices if neutral is None else neutral, np.float32)
    basis = basis_for(base)
    n_surface = 468
    tris = face.triangles.astype(np.uint32)
    scale = FACE_UNIT_METRES
    pos = base[:n_surface] * scale
    normals = _normals(pos, tris)
    aus = track.aus
    targets = []
    for au in aus:
        moved = basis.apply(np.full((1, 1), MAX_INTENSITY, np.float32), (au,))[0, :n_surface] * scale
        targets.append((moved - pos, _normals(moved, tris) - normals))
    weights = np.clip(track.values / MAX_INTENSITY, 0, 1).astype(np.float32)

    blob = io.BytesIO()
    views: list[dict] = []
    accessors: list[dict] = []

    def add(data: np.ndarray, ctype: int, kind: str, target: int | None = None, bounds: bool = False) -> int:
        raw = np.ascontiguousarray(data).tobytes()
        offset = blob.tell()
        blob.write(raw)
        blob.write(b"\0" * (-len(raw) % 4))
        view = {"buffer": 0, "byteOffset": offset, "byteLength": len(raw)}
        if target is not None:
            view["target"] = target
        views.append(view)
        acc = {"bufferView": len(views) - 1, "componentType": ctype, "count": int(data.shape[0]), "type": kind}
        if bounds:
            flat = data.reshape(data.shape[0], -1)
            acc["min"] = [float(x) for x in flat.min(axis=0)]
            acc["max"] = [float(x) for x in flat.max(axis=0)]
        accessors.append(acc)
        return len(accessors) - 1

    attributes = {"POSITION": add(pos, _FLOAT, "VEC3", _ARRAY, bounds=True),
                  "NORMAL": add(normals, _FLOAT, "VEC3", _ARRAY)}
    gltf: dict = {"asset": {"version": "2.0", "generator": "facsynth"},
                  "scene": 0, "scenes": [{"nodes": [0]}],
                  "nodes": [{"name": name, "mesh": 0}]}
    material: dict = {"name": "skin", "doubleSided": True,
                      "pbrMetallicRoughness": {"baseColorFactor": _SKIN, "metallicFactor": 0.0,
                                               "roughnessFactor": 0.6}}
    if texture is not None:
        uvs = np.asarray(uv, np.float32)[:n_surface]
        tex = np.asarray(texture)
        if uvs.shape != (n_surface, 2) or tex.ndim != 3 or tex.shape[2] != 3 or tex.dtype != np.uint8:
            raise FormatError("texture must be (H, W, 3) uint8 and uv (478, 2)")
        attributes["TEXCOORD_0"] = add(uvs, _FLOAT, "VEC2", _ARRAY)
        png = _png(tex)
        offset = blob.tell()
        blob.write(png)
        blob.write(b"\0" * (-len(png) % 4))
        views.append({"buffer": 0, "byteOffset": offset, "byteLength": len(png)})
        gltf["images"] = [{"bufferView": len(views) - 1, "mimeType": "image/png"}]
        gltf["samplers"] = [{"magFilter": 9729, "minFilter": 9729, "wrapS": 33071, "wrapT": 33071}]
        gltf["textures"] = [{"sampler": 0, "source": 0}]
        material["pbrMetallicRoughness"] = {"baseColorTexture": {"index": 0}, "metallicFactor": 0.0,
                                            "roughnessFactor": 0.7}
    indices = add(tris.reshape(-1), _UINT32, "SCALAR", _ELEMENTS)
    morphs = [{"POSITION": add(d.astype(np.float32), _FLOAT, "VEC3", _ARRAY, bounds=True),
               "NORMAL": add(dn.astype(np.float32), _FLOAT, "VEC3", _ARRAY)} for d, dn in targets]
    primitive = {"attributes": attributes, "indices": indices, "material": 0, "mode": 4}
    mesh: dict = {"name": name, "primitives": [primitive]}
    if morphs:
        primitive["targets"] = morphs
        mesh["weights"] = [float(w) for w in weights[0]]
        mesh["extras"] = {"targetNames": [au_label(a) for a in aus]}
    gltf["meshes"] = [mesh]
    gltf["materials"] = [material]
    _add_openings(gltf, base, scale, add)
    if morphs and track.n_frames > 1:
        times = add(track.times.astype(np.float32), _FLOAT, "SCALAR", bounds=True)
        values = add(weights.reshape(-1), _FLOAT, "SCALAR")
        gltf["animations"] = [{"name": "AUs", "samplers": [{"input": times, "output": values,
                                                             "interpolation": "LINEAR"}],
                               "channels": [{"sampler": 0, "target": {"node": 0, "path": "weights"}}]}]
    gltf["extras"] = {"facsynth": {"fps": track.fps, "aus": list(aus), "unit_metres": scale}}
    gltf["bufferViews"] = views
    gltf["accessors"] = accessors
    data = blob.getvalue()
    gltf["buffers"] = [{"byteLength": len(data)}]

    text = json.dumps(gltf, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 4)
    total = 12 + 8 + len(text) + 8 + len(data)
    target = Path(path)
    with atomic_path(target) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(struct.pack("<4sII", b"glTF", 2, total))
            fh.write(struct.pack("<I4s", len(text), b"JSON") + text)
            fh.write(struct.pack("<I4s", len(data), b"BIN\0") + data)
    return target


def _disc(centre: np.ndarray, rx: float, ry: float, segments: int = 24) -> tuple[np.ndarray, np.ndarray]:
    """A flat elliptical disc facing +z: vertices (segments + 1, 3) and triangles (segments, 3), counter-clockwise."""
    a = np.linspace(0, 2 * np.pi, segments, endpoint=False)
    ring = np.stack([centre[0] + rx * np.cos(a), centre[1] + ry * np.sin(a), np.full(segments, centre[2])], axis=1)
    verts = np.vstack([centre[None, :], ring]).astype(np.float32)
    k = np.arange(segments)
    tris = np.stack([np.zeros(segments, int), 1 + k, 1 + (k + 1) % segments], axis=1).astype(np.uint32)
    return verts, tris


def _add_openings(gltf: dict, base: np.ndarray, scale: float, add) -> None:
    """Static eyeballs (sclera and iris discs) and a mouth cavity behind the mesh's openings, as extra nodes.

    They carry no morph targets: the lids close over the eyes and the cavity is deep enough for an open jaw.
    """
    from ..face.topology import LEFT_LOWER_LID, LEFT_UPPER_LID, RIGHT_LOWER_LID, RIGHT_UPPER_LID

    parts = []  # (name, vertices, triangles, rgba)
    surface = base[:468].astype(np.float64)
    for lid, low, iris in ((RIGHT_UPPER_LID, RIGHT_LOWER_LID, 468), (LEFT_UPPER_LID, LEFT_LOWER_LID, 473)):
        ring = surface[list(lid + low)]
        centre = ring.mean(axis=0)
        rx = 0.6 * float(np.ptp(ring[:, 0]))
        ry = 0.9 * float(np.ptp(ring[:, 1])) + 0.05
        near = ((surface[:, 0] - centre[0]) / rx) ** 2 + ((surface[:, 1] - centre[1]) / ry) ** 2 < 1
        centre[2] = surface[near, 2].min() - 0.01  # behind every surface point in front of it
        radius = float(np.linalg.norm(base[iris + 1:iris + 5, :2] - base[iris, :2], axis=1).mean())
        parts.append(("sclera", *_disc(centre, rx, ry), [0.92, 0.91, 0.88, 1]))
        iris_centre = np.array([base[iris, 0], base[iris, 1], centre[2] + 0.004])
        parts.append(("iris", *_disc(iris_centre, radius, radius), [0.20, 0.12, 0.07, 1]))
    mouth = base[[61, 291, 13, 14]].astype(np.float64)
    centre = np.array([mouth[:2, 0].mean(), mouth[2:, 1].mean() - 0.15, mouth[2:, 2].mean() - 0.3])
    half = abs(mouth[1, 0] - mouth[0, 0]) / 2
    parts.append(("mouth cavity", *_disc(centre, 1.05 * half, 0.45), [0.28, 0.06, 0.07, 1]))
    for name, verts, tris, rgba in parts:
        pos = verts * scale
        normal = np.tile(np.array([0, 0, 1], np.float32), (len(pos), 1))
        gltf["materials"].append({"name": name, "pbrMetallicRoughness": {"baseColorFactor": rgba,
                                                                        "metallicFactor": 0.0,
                                                                        "roughnessFactor": 0.5}})
        prim = {"attributes": {"POSITION": add(pos, _FLOAT, "VEC3", _ARRAY, bounds=True),
                               "NORMAL": add(normal, _FLOAT, "VEC3", _ARRAY)},
                "indices": add(tris.reshape(-1), _UINT32, "SCALAR", _ELEMENTS),
                "material": len(gltf["materials"]) - 1, "mode": 4}
        gltf["meshes"].append({"name": name, "primitives": [prim]})
        gltf["nodes"].append({"name": name, "mesh": len(gltf["meshes"]) - 1})
        gltf["scenes"][0]["nodes"].append(len(gltf["nodes"]) - 1)


def _normals(vertices: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    from ..face.topology import vertex_normals

    return vertex_normals(vertices, triangles)


def _png(image: np.ndarray) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(image).save(out, format="PNG")
    return out.getvalue()
