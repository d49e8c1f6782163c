"""glTF 2.0 binary (.glb) writer: a mesh with one morph target per AU and an animation of their weights.

The mesh comes in as an argument (a ``MorphMesh``; ``facsynth.face.morphs.face_mesh`` builds the face's), so
this module knows glTF, not faces.
"""

from __future__ import annotations

import io
import json
import os
import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from ..atomic import atomic_path
from ..errors import FormatError
from ..facs import MAX_INTENSITY, au_label
from ..track import AUTrack
from .base import Format

__all__ = ["write_glb", "MorphMesh", "MeshPart", "FORMATS"]

_FLOAT, _UINT32 = 5126, 5125
_ARRAY, _ELEMENTS = 34962, 34963
_SKIN = [0.80, 0.62, 0.54, 1.0]


@dataclass(frozen=True)
class MeshPart:
    """A static mesh beside the animated one (an eyeball, the mouth cavity).

    vertices : (k, 3) float32 metres; triangles : (m, 3) uint32; rgba : base colour 0–1
    """

    name: str
    vertices: np.ndarray
    triangles: np.ndarray
    rgba: tuple[float, float, float, float]


@dataclass(frozen=True)
class MorphMesh:
    """What write_glb needs of a mesh: its surface, and each AU's displacement at intensity 5.

    vertices   : (n, 3) float32 metres, y up, facing +z
    normals    : (n, 3) float32 unit vertex normals
    triangles  : (t, 3) uint32, counter-clockwise seen from outside
    targets    : {AU: ((n, 3) position delta, (n, 3) normal delta)} in metres at intensity 5 (morph weight 1)
    uv         : (n, 2) float32 texture coordinates 0–1 (x right, y down) or None
    texture    : (H, W, 3) uint8 RGB or None; needs uv
    colours    : (n, 3) float32 sRGB 0–1 per vertex (written as glTF's linear COLOR_0) or None: one skin colour;
                 a texture wins over them
    parts      : static meshes added as further nodes
    unit_metres: metres per unit of the model the mesh was made from (kept in the file's extras)
    """

    vertices: np.ndarray
    normals: np.ndarray
    triangles: np.ndarray
    targets: dict[int, tuple[np.ndarray, np.ndarray]]
    uv: np.ndarray | None = None
    texture: np.ndarray | None = None
    parts: tuple[MeshPart, ...] = field(default=())
    unit_metres: float = 1.0
    colours: np.ndarray | None = None


def write_glb(track: AUTrack, path: str | os.PathLike, *, mesh: MorphMesh, name: str = "face") -> Path:
    """Write ``track`` as an animated mesh in glTF 2.0 binary form.

    Each AU of the track is one morph target named ``AU01``, ``AU12``, … (``mesh.extras.targetNames``, read by
    Blender and three.js): the mesh's displacement at intensity 5, so morph weight = intensity / 5. The mesh's
    default weights are the first frame; a track of several frames also gets an animation ("AUs") of the
    weights at the track's frame rate (linear interpolation).

    Parameters
    ----------
    track : AUTrack, (frames, n_aus) FACS intensity 0–5
    path : output .glb file, written atomically
    mesh : the mesh and its per-AU targets (``facsynth.face.morphs.face_mesh()`` for the face)
    name : name of the mesh and node

    Returns
    -------
    Path of the written file.

    Example
    -------
    >>> from facsynth.face.morphs import face_mesh
    >>> write_glb(AUTrack.still({6: 3, 12: 4}), "smile.glb", mesh=face_mesh())  # doctest: +SKIP
    """
    if not isinstance(track, AUTrack):
        raise FormatError("write_glb needs an AUTrack")
    if not isinstance(mesh, MorphMesh):
        raise FormatError("write_glb needs the mesh (a MorphMesh, e.g. facsynth.face.morphs.face_mesh())")
    missing = [au_label(a) for a in track.aus if a not in mesh.targets]
    if missing:
        raise FormatError(f"the mesh has no morph target for {', '.join(missing)}")
    if (mesh.texture is None) != (mesh.uv is None):
        raise FormatError("a texture needs texture coordinates (uv) and uv needs a texture")
    pos, normals = np.asarray(mesh.vertices, np.float32), np.asarray(mesh.normals, np.float32)
    tris = np.asarray(mesh.triangles, np.uint32)
    aus = track.aus
    targets = [mesh.targets[au] for au in aus]
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
    if mesh.colours is not None and mesh.texture is None:
        rgb = np.asarray(mesh.colours, np.float32)
        if rgb.shape != (len(pos), 3) or not np.isfinite(rgb).all():
            raise FormatError(f"vertex colours must be ({len(pos)}, 3) finite sRGB values")
        attributes["COLOR_0"] = add(_linear(np.clip(rgb, 0.0, 1.0)), _FLOAT, "VEC3", _ARRAY)
        material["pbrMetallicRoughness"]["baseColorFactor"] = [1.0, 1.0, 1.0, 1.0]
    if mesh.texture is not None:
        uvs = np.asarray(mesh.uv, np.float32)
        tex = np.asarray(mesh.texture)
        if uvs.shape != (len(pos), 2) or tex.ndim != 3 or tex.shape[2] != 3 or tex.dtype != np.uint8:
            raise FormatError(f"texture must be (H, W, 3) uint8 and uv ({len(pos)}, 2)")
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
    animated: dict = {"name": name, "primitives": [primitive]}
    if morphs:
        primitive["targets"] = morphs
        animated["weights"] = [float(w) for w in weights[0]]
        animated["extras"] = {"targetNames": [au_label(a) for a in aus]}
    gltf["meshes"] = [animated]
    gltf["materials"] = [material]
    for part in mesh.parts:
        _add_part(gltf, part, add)
    if morphs and track.n_frames > 1:
        times = add(track.times.astype(np.float32), _FLOAT, "SCALAR", bounds=True)
        values = add(weights.reshape(-1), _FLOAT, "SCALAR")
        gltf["animations"] = [{"name": "AUs", "samplers": [{"input": times, "output": values,
                                                             "interpolation": "LINEAR"}],
                               "channels": [{"sampler": 0, "target": {"node": 0, "path": "weights"}}]}]
    gltf["extras"] = {"facsynth": {"fps": track.fps, "aus": list(aus), "unit_metres": mesh.unit_metres}}
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


def _linear(srgb: np.ndarray) -> np.ndarray:
    """sRGB 0–1 → linear 0–1 (glTF's vertex colours and colour factors are linear)."""
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4).astype(np.float32)


def _add_part(gltf: dict, part: MeshPart, add) -> None:
    """Append a static mesh (its own material, mesh and node in the scene)."""
    normal = np.tile(np.array([0, 0, 1], np.float32), (len(part.vertices), 1))
    gltf["materials"].append({"name": part.name, "pbrMetallicRoughness": {"baseColorFactor": list(part.rgba),
                                                                       "metallicFactor": 0.0,
                                                                       "roughnessFactor": 0.5}})
    prim = {"attributes": {"POSITION": add(np.asarray(part.vertices, np.float32), _FLOAT, "VEC3", _ARRAY,
                                           bounds=True),
                           "NORMAL": add(normal, _FLOAT, "VEC3", _ARRAY)},
            "indices": add(np.asarray(part.triangles, np.uint32).reshape(-1), _UINT32, "SCALAR", _ELEMENTS),
            "material": len(gltf["materials"]) - 1, "mode": 4}
    gltf["meshes"].append({"name": part.name, "primitives": [prim]})
    gltf["nodes"].append({"name": part.name, "mesh": len(gltf["meshes"]) - 1})
    gltf["scenes"][0]["nodes"].append(len(gltf["nodes"]) - 1)


def _png(image: np.ndarray) -> bytes:
    out = io.BytesIO()
    Image.fromarray(image).save(out, format="PNG")
    return out.getvalue()


FORMATS = (Format("glb", "glTF 2.0 binary (face mesh, one morph target per AU)", ".glb", "model/gltf-binary",
                  write=write_glb, needs_mesh=True),)
