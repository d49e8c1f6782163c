"""The face as a morph-target mesh for exporters (glTF): surface, per-AU targets, eyeballs and mouth cavity."""

from __future__ import annotations

from typing import Mapping

import numpy as np

from ..facs import ALL_AUS, MAX_INTENSITY
from ..formats.gltf import MeshPart, MorphMesh
from .albedo import vertex_colours
from .model import basis_for, default_face
from .muscles import split_sides
from .topology import (LEFT_IRIS, LEFT_LOWER_LID, LEFT_UPPER_LID, RIGHT_IRIS, RIGHT_LOWER_LID, RIGHT_UPPER_LID,
                       iris_radius, vertex_normals)

__all__ = ["face_mesh", "FACE_UNIT_METRES"]

#: Metres per face unit (the inter-ocular distance of an adult, ≈ 63 mm), so meshes open life-sized.
FACE_UNIT_METRES = 0.063
_SURFACE = 468


def face_mesh(neutral: np.ndarray | None = None, texture: np.ndarray | None = None,
              uv: np.ndarray | None = None, sides: Mapping[int, str] | None = None) -> MorphMesh:
    """The 468-point face surface (852 triangles, eye and mouth openings as holes) with a target per AU.

    Metres, y up, facing +z. Each AU of the catalogue gets the muscle model's displacement at intensity 5; an AU
    of ``sides`` ({AU: "L" | "R"}, the person's own side, e.g. a track's ``AUTrack.sides``) moves that half of
    the face only, fading out across the midline (facsynth.face.muscles.MIDLINE_BLEND).
    Static eyeballs (sclera and iris discs) and a mouth cavity sit behind the openings: they carry no targets,
    the lids close over the eyes and the cavity is deep enough for an open jaw. Without a texture the surface is
    coloured per vertex (face.albedo: skin, lips, brows), so the brow AUs show.

    Parameters
    ----------
    neutral : np.ndarray [shape=(478, 3)], face frame; the person's own neutral face (default: the shipped face)
    texture : np.ndarray [shape=(H, W, 3)] uint8 RGB, e.g. the photo the neutral face was detected in
    uv : np.ndarray [shape=(478, 2)], texture coordinates in 0–1 (x right, y down), needed with ``texture``
    """
    face = default_face()
    base = np.asarray(face.vertices if neutral is None else neutral, np.float32)
    basis = basis_for(base)
    tris = face.triangles.astype(np.uint32)
    pos = base[:_SURFACE] * FACE_UNIT_METRES
    normals = vertex_normals(pos, tris)
    targets = {}
    for au in ALL_AUS:
        right, left = split_sides(np.full((1, 1), MAX_INTENSITY, np.float32), (au,), sides)
        moved = basis.apply(right, (au,), left)[0, :_SURFACE] * FACE_UNIT_METRES
        targets[au] = (moved - pos, vertex_normals(moved, tris) - normals)
    return MorphMesh(pos, normals, tris, targets,
                     uv=None if uv is None else np.asarray(uv, np.float32)[:_SURFACE], texture=texture,
                     parts=_openings(base), unit_metres=FACE_UNIT_METRES,
                     colours=None if texture is not None else vertex_colours(base)[:_SURFACE])


def _disc(centre: np.ndarray, rx: float, ry: float, segments: int = 24) -> tuple[np.ndarray, np.ndarray]:
    """A flat elliptical disc facing +z: vertices (segments + 1, 3) and triangles (segments, 3), counter-clockwise."""
    a = np.linspace(0, 2 * np.pi, segments, endpoint=False)
    ring = np.stack([centre[0] + rx * np.cos(a), centre[1] + ry * np.sin(a), np.full(segments, centre[2])], axis=1)
    verts = np.vstack([centre[None, :], ring]).astype(np.float32)
    k = np.arange(segments)
    tris = np.stack([np.zeros(segments, int), 1 + k, 1 + (k + 1) % segments], axis=1).astype(np.uint32)
    return verts, tris


def _openings(base: np.ndarray) -> tuple[MeshPart, ...]:
    """Sclera and iris discs behind each eye opening and a dark disc behind the mouth, in metres."""
    parts = []
    surface = base[:_SURFACE].astype(np.float64)
    for lid, low, iris in ((RIGHT_UPPER_LID, RIGHT_LOWER_LID, RIGHT_IRIS), (LEFT_UPPER_LID, LEFT_LOWER_LID, LEFT_IRIS)):
        ring = surface[list(lid + low)]
        centre = ring.mean(axis=0)
        rx = 0.6 * float(np.ptp(ring[:, 0]))
        ry = 0.9 * float(np.ptp(ring[:, 1])) + 0.05
        near = ((surface[:, 0] - centre[0]) / rx) ** 2 + ((surface[:, 1] - centre[1]) / ry) ** 2 < 1
        centre[2] = surface[near, 2].min() - 0.01  # behind every surface point in front of it
        radius = iris_radius(base, iris)
        parts.append(("sclera", *_disc(centre, rx, ry), (0.92, 0.91, 0.88, 1.0)))
        iris_centre = np.array([base[iris, 0], base[iris, 1], centre[2] + 0.004])
        parts.append(("iris", *_disc(iris_centre, radius, radius), (0.20, 0.12, 0.07, 1.0)))
    mouth = base[[61, 291, 13, 14]].astype(np.float64)
    centre = np.array([mouth[:2, 0].mean(), mouth[2:, 1].mean() - 0.15, mouth[2:, 2].mean() - 0.3])
    half = abs(mouth[1, 0] - mouth[0, 0]) / 2
    parts.append(("mouth cavity", *_disc(centre, 1.05 * half, 0.45), (0.28, 0.06, 0.07, 1.0)))
    return tuple(MeshPart(name, verts * FACE_UNIT_METRES, tris, rgba) for name, verts, tris, rgba in parts)
