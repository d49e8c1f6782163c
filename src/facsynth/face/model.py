"""The face model: the default neutral face, its mesh topology, and ``deform`` (AU intensities → 3D vertices).

How a renderer uses it (the photo renderer does exactly this)
--------------------------------------------------------------
1. Detect: ``face = facsynth.face.landmarks.detect_faces(image)[0]`` gives ``face.landmarks`` (478, 3) pixels
   and ``face.pose`` (rotation, translation, scale).
2. Normalise: ``neutral = face.normalised()`` (= ``to_face_frame(face.landmarks, face.pose)``) puts the
   person's own face in the face frame: origin between the eye centres, x to the subject's left, y up,
   z towards the viewer, one unit = the inter-ocular distance. (Use ``default_face().vertices`` instead when
   there is no photo.)
3. Deform: ``verts = deform(neutral, track)`` → (frames, 478, 3) face-frame vertices, one mesh per frame
   (``deform(neutral, {12: 4})`` → (478, 3)). The muscle basis of ``neutral`` is built once (≈ 10 ms) and
   cached; each further call costs well under 0.2 ms per frame.
4. Map back: ``pixels = from_face_frame(verts, face.pose)`` → the expressive landmarks in image pixels
   (x, y, z). Warp the photo from ``face.landmarks`` to ``pixels`` over ``default_face().triangles``.

``deform`` is pure: it never changes ``neutral``; displacements are expressed in face units, so they scale
with the face, and the muscle attachments are placed relative to that face's own landmarks.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from ..atomic import atomic_path
from ..errors import TrackError
from ..facs import parse_au_code
from ..track import AUTrack, validate_values
from .landmarks import detect_faces
from .muscles import AUBasis, build_basis, split_sides
from .topology import build_triangles, mirror_map, orient_triangles

__all__ = ["NeutralFace", "default_face", "deform", "basis_for", "build_neutral_asset", "ASSET"]

#: The shipped neutral face: vertices (478, 3) face frame, triangles (852, 3), mirror (478,), source notes.
ASSET = "neutral_face.npz"


@dataclass(frozen=True)
class NeutralFace:
    """A neutral face mesh in the normalised face frame.

    vertices  : np.ndarray [shape=(478, 3)], float32, face units (inter-ocular distance = 1)
    triangles : np.ndarray [shape=(852, 3)], int32, counter-clockwise seen from the front (+z); eye and mouth
                openings are holes; the 10 iris points (468–477) are not used by any triangle
    mirror    : np.ndarray [shape=(478,)], int32, index of each vertex's left–right mirror image
    """

    vertices: np.ndarray
    triangles: np.ndarray
    mirror: np.ndarray


@lru_cache(maxsize=1)
def default_face() -> NeutralFace:
    """The neutral face shipped with facsynth (symmetrised MediaPipe landmarks of Grace Hopper's portrait)."""
    with np.load(Path(__file__).resolve().parents[1] / "assets" / ASSET) as z:
        face = NeutralFace(z["vertices"].astype(np.float32), z["triangles"].astype(np.int32),
                           z["mirror"].astype(np.int32))
    for a in (face.vertices, face.triangles, face.mirror):
        a.setflags(write=False)
    return face


_BASES: dict[bytes, AUBasis] = {}
_DEFAULT: list = [None]  # the basis of the shipped face, looked up without hashing


def basis_for(neutral: np.ndarray) -> AUBasis:
    """The muscle basis of ``neutral`` (478, 3), face frame; built once per distinct face and cached.

    Safe to call from several threads (at worst a basis is built twice). Raises TrackError for an array that
    is not a finite (478, 3) face.
    """
    shipped = neutral is default_face().vertices
    if shipped and _DEFAULT[0] is not None:
        return _DEFAULT[0]
    arr = np.ascontiguousarray(neutral, dtype=np.float32)
    if arr.shape != (478, 3) or not np.isfinite(arr).all():
        raise TrackError(f"a neutral face must be a finite (478, 3) array in the face frame, got {arr.shape}")
    key = hashlib.blake2b(arr.tobytes(), digest_size=16).digest()
    basis = _BASES.get(key)
    if basis is None:
        basis = build_basis(arr, default_face().mirror)
        if len(_BASES) >= 32:
            _BASES.clear()
        _BASES[key] = basis
    if shipped:
        _DEFAULT[0] = basis
    return basis


def deform(neutral: np.ndarray | None, intensities: AUTrack | Mapping[int | str, float] | np.ndarray,
           aus: Sequence[int] | None = None) -> np.ndarray:
    """Displaced vertices of ``neutral`` under AU intensities, by the muscle model.

    Parameters
    ----------
    neutral : np.ndarray [shape=(478, 3)] in the face frame, or None for default_face().vertices
    intensities : one of
        - AUTrack: every frame → returns (frames, 478, 3)
        - mapping ``{AU: intensity}`` (FACS 0–5) → returns (478, 3)
        - np.ndarray [shape=(n_aus,)] → (478, 3), or [shape=(frames, n_aus)] → (frames, 478, 3); needs ``aus``
    aus : AU numbers of the array's columns (ignored for tracks and mappings)

    Returns
    -------
    np.ndarray, float32, face units: (478, 3) for one expression, (frames, 478, 3) for a track or 2-D array.

    Raises TrackError for intensities outside 0–5, NaN, or a column count that does not match ``aus``;
    AUSpecError for an AU outside the catalogue.

    Example
    -------
    >>> smile = deform(None, {6: 3, 12: 4})
    >>> smile.shape
    (478, 3)
    """
    base = basis_for(default_face().vertices if neutral is None else neutral)
    if isinstance(intensities, AUTrack):  # its one-sided AUs move their half of the face only
        right, left = split_sides(intensities.values, intensities.aus, intensities.sides)
        return base.apply(right, intensities.aus, left)
    if isinstance(intensities, Mapping):
        codes = tuple(parse_au_code(k) for k in intensities)
        vals = np.array([float(v) for v in intensities.values()], np.float32).reshape(1, len(codes))
        _check(vals, codes)
        return base.apply(vals, codes)[0]
    if aus is None:
        raise TrackError("deform needs the AU numbers of the intensity array's columns (aus=...)")
    codes = tuple(parse_au_code(a) for a in aus)
    vals = np.asarray(intensities, np.float32)
    if vals.shape[-1:] != (len(codes),) or vals.ndim > 2:
        raise TrackError(f"intensities of shape {vals.shape} do not match {len(codes)} AUs")
    _check(vals.reshape(-1, len(codes)), codes)
    out = base.apply(vals.reshape(-1, len(codes)), codes)
    return out[0] if vals.ndim == 1 else out


def _check(values: np.ndarray, aus: tuple[int, ...]) -> None:
    if len(set(aus)) != len(aus):
        raise TrackError(f"AU codes repeat in {aus}")
    validate_values(values, aus, source="intensities")


def build_neutral_asset(images: Sequence[np.ndarray], path: str | Path) -> NeutralFace:
    """Make the neutral face asset from photos of neutral faces (how ``assets/neutral_face.npz`` was made).

    The largest face of each RGB image (H, W, 3) uint8 is put in the face frame; the shapes are averaged and
    made left–right symmetric (mean of the shape and its mirror image); triangles come from MediaPipe's
    tessellation, wound to face the viewer. Shipped asset: ``build_neutral_asset([grace_hopper], ...)``
    (Grace Hopper, US Navy photograph, public domain; ../shared/data/faces/grace_hopper_512x512.jpg).
    """
    shapes = np.stack([detect_faces(im)[0].normalised() for im in images]).astype(np.float64)
    mean = shapes.mean(axis=0)
    mirror = np.concatenate([mirror_map(mean[:468]), mirror_map(mean[468:]) + 468]).astype(np.int32)
    sym = (mean + mean[mirror] * np.array([-1.0, 1.0, 1.0])) / 2
    tris = orient_triangles(build_triangles(), sym)
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, vertices=sym.astype(np.float32), triangles=tris, mirror=mirror)
    return NeutralFace(sym.astype(np.float32), tris, mirror)
