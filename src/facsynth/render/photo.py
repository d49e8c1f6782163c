"""Photo re-expression: a real face photo warped by the AU basis of the face model into the expression of a track.

Pipeline per photo: MediaPipe landmarks → face frame (head pose removed) → the face model's AU displacements →
back to pixels with the same pose → dense piecewise-affine warp over the mesh triangles, the eye and mouth
openings and a band out to a fixed ring of anchor points (the background stays exactly still) → painted mouth
interior where the lips part → soft shading where skin folds (AU4, AU9, AU10/12).
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Callable, Iterator, Mapping

import numpy as np

from .._lazy import lazy_module
from ..errors import ImageError, NoFaceError
from ..face import topology
from ..face.landmarks import Face, detect_faces, face_pose, from_face_frame
from ..face.model import basis_for, default_face
from ..face.own_expression import lip_closure, own_expression, smile_relaxation
from ..track import AUTrack
from .antialias import SeamPairs, seam_edges, seam_pairs, smooth_seams
from .eyes import paint_eyeballs
from .mouth import (MouthLook, cover_stray_teeth, incisal_edge, mend_mouth_line, mouth_look, opening_height,
                    paint_mouth_interior, tidy_mouth_corners)
from .relax import (FoldRelief, cheek_relief, combine_reliefs, corner_relief, fold_relief, lip_colours,
                    paint_closed_lips, relieve_folds, shading_relief)
from .shading import shade_folds, shade_folds_on_side
from .output import Renderer, write_rendered
from .pixel_box import padded_box
from .unfold import unfold
from .warp import anchor_ring, piecewise_affine_map, remap, sample, source_positions, strip_triangles

cv2 = lazy_module("cv2")

__all__ = ["PhotoRig", "rig_photo", "side_movements", "expressed_landmarks", "render_frame", "expression_renderer",
           "reexpress", "render_photo", "share_removed", "fold_kept", "photo_renderer", "movement", "RING_MARGIN",
           "WORK_SIDE"]

#: The anchor ring lies this fraction further out than the face outline (from the face centre); beyond it no
#: pixel moves.
RING_MARGIN = 0.3
#: Warp fields of faces larger than this (pixels, longest side of the warped box) are computed at reduced size
#: and resized; the photo itself keeps its full resolution.
WORK_SIDE = 768
#: Landmarks are detected on a copy whose longest side is at most this many pixels.
DETECT_SIDE = 2048
#: The lips of a smiling photo are repainted (render.relax.paint_closed_lips) once a target takes away more than
#: this share of its smile (the photo's own lips and teeth then no longer fit the relaxed mouth), fully when it
#: takes all of it away.
LIPS_REPAINTED = 0.25


@dataclass(frozen=True)
class PhotoRig:
    """One face of one photo, ready to be re-expressed frame after frame.

    face      : facsynth.face.landmarks.Face, landmarks (478, 3) in full-resolution pixels
    vertices  : np.ndarray [shape=(n, 2)] float64 pixels: the 478 landmarks, the fixed anchor ring (one point per
                face-outline landmark), then the midline of the mouth opening twice (9 + 9 points: the edge of
                the half that follows the upper lip, then of the half that follows the lower lip)
    triangles : np.ndarray [shape=(t, 3)] int32: face surface, eye and mouth openings, band to the anchor ring
    skin      : np.ndarray [shape=(s, 3)] int32: the triangles of ``triangles`` that must not fold over (the face
                surface and the band, not the openings and not the red of the lips, which closing lips squash
                on purpose): render.unfold keeps them from turning over
    pinned    : np.ndarray [shape=(n,)] bool: vertices whose movement render.unfold keeps (the anchor ring, the
                midline of the mouth opening)
    held      : np.ndarray [shape=(n,)] bool: vertices whose movement render.unfold keeps unless a fold cannot be
                undone otherwise (the lips)
    box       : (x0, y0, x1, y1) int pixels enclosing the anchor ring: nothing outside it changes
    work      : float ≤ 1, resolution factor at which the warp field is computed
    look      : render.mouth.MouthLook, the photo's softness, levels and light around the mouth, which the painted
                mouth interior takes
    seams     : render.antialias.SeamPairs, the mesh's edges across which the warp's map can jump (softened)
    basis     : facsynth.face.muscles.AUBasis fitted to this face's own landmarks (face frame)
    own       : {AU: FACS intensity} of the expression the photo already wears (facsynth.face.own_expression):
                an absolute target is reached by moving from it
    closure   : np.ndarray [shape=(478, 3)] float32, face frame: what closes the photo's parted lips beyond
                taking ``own`` away (facsynth.face.own_expression.lip_closure), added to absolute targets
    relax     : np.ndarray [shape=(478, 3)] float32, face frame: what relaxes the lips evenly when a target takes
                the photo's smile away (facsynth.face.own_expression.smile_relaxation), added in proportion
    folds     : {AU: render.relax.FoldRelief} of a photo that smiles (``own`` has AU12), else None: its nasolabial
                folds with the lit, raised cheeks beside them (12) and, with raised cheeks, crow's feet and
                lower-lid furrows (6), taken out as far as a target takes that AU away
    lips      : np.ndarray [shape=(2, 3)] float32 RGB upper and lower lip colour of a smiling photo, else None:
                the closing lips are repainted in them
    faces_found: int, how many faces the detection found on the photo (1 when the face was given)
    at_rest   : (derived, once per rig) the landmarks with the photo's expression taken away, see the property
    """

    face: object
    vertices: np.ndarray
    triangles: np.ndarray
    skin: np.ndarray
    pinned: np.ndarray
    held: np.ndarray
    box: tuple[int, int, int, int]
    work: float
    look: MouthLook
    seams: SeamPairs
    basis: object
    own: Mapping[int, float]
    closure: np.ndarray
    relax: np.ndarray | None = None
    folds: Mapping[int, FoldRelief] | None = None
    lips: np.ndarray | None = None
    faces_found: int = 1

    @cached_property
    def at_rest(self) -> np.ndarray:
        """Image positions (478, 2) float64 pixels of the landmarks with the photo's expression taken away (the
        absolute target of nothing, pose kept): where the lips meet at rest. Derived once per rig, for every frame."""
        return expressed_landmarks(self, movement(self, {}))


def rig_photo(image: np.ndarray, face_index: int = 0, face=None) -> PhotoRig:
    """Detect the face (largest first, or the ``face_index``-th by size) and build its warp mesh.

    image : np.ndarray [shape=(H, W, 3)] uint8 RGB
    face : a facsynth.face.landmarks.Face already detected on ``image`` (skips detection)

    Raises NoFaceError if there is no face, ImageError if ``face_index`` is beyond the faces found.
    """
    image = _check_image(image)
    h, w = image.shape[:2]
    found = 1
    if face is None:
        s = min(1.0, DETECT_SIDE / max(h, w))
        small = image if s == 1.0 else _resize(image, s)
        faces = _detect(small, max(5, face_index + 1))
        if face_index >= len(faces) or face_index < 0:
            raise ImageError(f"face index {face_index} is out of range: {len(faces)} face(s) found")
        found = len(faces)
        warn_several_faces(found, face_index)
        face = faces[face_index]
        if s != 1.0:
            pts = face.landmarks / np.float32(s)
            face = Face(pts, tuple(float(v) / s for v in face.box), face_pose(pts))
    lm = np.asarray(face.landmarks, np.float64)[:, :2]
    surface = default_face().triangles
    outline = np.asarray(topology.boundary_loops(surface)[0])
    center = lm[outline].mean(axis=0)
    ring = anchor_ring(lm[outline], center, RING_MARGIN, (h, w)).astype(np.float64)
    n = len(lm)
    k = len(outline)
    band = []
    for i in range(k):
        a, b = outline[i], outline[(i + 1) % k]
        ra, rb = n + i, n + (i + 1) % k
        band += [(a, b, ra), (b, rb, ra)]
    # the mouth opening is split along its midline into a half that follows the upper lip (upper teeth) and a
    # half that follows the lower lip (lower teeth); whatever opens between the halves is painted
    up, lo = np.asarray(topology.UPPER_LIP_INNER), np.asarray(topology.LOWER_LIP_INNER)
    mid = (lm[up[1:-1]] + lm[lo[1:-1]]) / 2
    m = n + k
    mid_up = np.r_[up[0], np.arange(m, m + len(mid)), up[-1]]
    mid_lo = np.r_[lo[0], np.arange(m + len(mid), m + 2 * len(mid)), lo[-1]]
    holes = [
        strip_triangles(topology.RIGHT_LOWER_LID, topology.RIGHT_UPPER_LID),
        strip_triangles(topology.LEFT_LOWER_LID, topology.LEFT_UPPER_LID),
        strip_triangles(mid_up, up),
        strip_triangles(lo, mid_lo),
    ]
    triangles = np.concatenate([*holes, np.asarray(band, np.int32), surface]).astype(np.int32)  # surface wins overlaps
    vertices = np.concatenate([lm, ring, mid, mid])
    pinned = np.arange(len(vertices)) >= n
    held = np.r_[_inside_lips(default_face().vertices[:n, :2]), np.zeros(len(vertices) - n, bool)]
    skin = triangles[-(len(band) + len(surface)):]
    skin = skin[~(held | pinned)[skin].all(axis=1)]
    x0, y0 = np.floor(vertices.min(axis=0)).astype(int)
    x1, y1 = np.ceil(vertices.max(axis=0)).astype(int) + 1
    box = (max(0, int(x0)), max(0, int(y0)), min(w, int(x1)), min(h, int(y1)))
    work = min(1.0, WORK_SIDE / max(box[2] - box[0], box[3] - box[1], 1))
    look = mouth_look(image, lm[np.concatenate([topology.UPPER_LIP_OUTER, topology.LOWER_LIP_OUTER])])
    shape = face.normalised()
    basis = basis_for(shape)
    own, closure = lip_closure(basis, own_expression(shape, basis, default_face().vertices))
    folds = lips = None
    if own.get(12, 0.0) > 0:
        smile = combine_reliefs(*(relief(image, lm, face.pose.scale)
                                  for relief in (fold_relief, shading_relief, corner_relief)))
        folds, lips = {12: smile}, lip_colours(image, lm)
        if own.get(6, 0.0) > 0:
            folds[6] = cheek_relief(image, lm, face.pose.scale)
    seams = seam_pairs(vertices, triangles, skin)
    return PhotoRig(face, vertices, triangles, skin, pinned, held, box, work, look, seams, basis, own, closure,
                    smile_relaxation(basis, own, closure), folds, lips, found)


def warn_several_faces(found: int, face_index: int) -> None:
    """Warn (UserWarning, one line in the CLI) that a group photo has ``found`` faces and which one is
    re-expressed, so that nobody edits the wrong face unawares; nothing for one face."""
    if found > 1:
        warnings.warn(f"{found} faces found; re-expressing face {face_index} by size (0 = the largest; "
                      "--face-index N picks another)", stacklevel=3)


def movement(rig: PhotoRig, intensities: Mapping[int, float], relative: bool = False) -> dict[int, float]:
    """The AU change that takes the photo to ``intensities``: the target minus what the photo already wears
    (``rig.own``), or ``intensities`` unchanged when ``relative`` (added on top of the photo's expression).
    Negative values take a movement away (a smile relaxes, parted lips close)."""
    if relative:
        return dict(intensities)
    out = {a: float(v) for a, v in intensities.items()}
    for a, v in rig.own.items():
        out[a] = out.get(a, 0.0) - v
    return out


def side_movements(rig: PhotoRig, intensities: Mapping[int, float], sides: Mapping[int, str] | None = None,
                   relative: bool = False) -> tuple[dict[int, float], dict[int, float] | None]:
    """``movement`` of the person's right and of their left side: a one-sided AU (``sides``, {AU: "L" | "R"},
    the person's own side; for a frontal photo "L" is the image's right half) reaches its target on its side
    only, the other side keeps none of it. Returns (movement, None) when no AU is one-sided."""
    if not sides:
        return movement(rig, intensities, relative), None
    right = movement(rig, {a: 0.0 if sides.get(a) == "L" else v for a, v in intensities.items()}, relative)
    left = movement(rig, {a: 0.0 if sides.get(a) == "R" else v for a, v in intensities.items()}, relative)
    return right, left


def expressed_landmarks(rig: PhotoRig, intensities: Mapping[int, float],
                        left: Mapping[int, float] | None = None, *, absolute: bool = True) -> np.ndarray:
    """Image positions of the 478 landmarks moved by ``intensities``, pose kept, shape (478, 2) float64 pixels.

    intensities : {AU: FACS intensity change, −5–5} (see ``movement``); the face model's AU basis moves the
        photo's own landmarks in the face frame, and the movement is projected back into the image with the
        photo's head pose.
    left : the person's left side's changes when they differ from the right side's (see ``side_movements``);
        ``intensities`` are then the right side's
    absolute : the changes lead to an absolute target, so the photo's parted lips are closed first
        (``rig.closure``); False for changes added to the photo's own expression
    """
    aus = tuple(dict.fromkeys([*intensities, *(left or ())]))
    values = np.array([[float(intensities.get(a, 0.0)) for a in aus]], np.float32)
    lefts = None if left is None else np.array([[float(left.get(a, 0.0)) for a in aus]], np.float32)
    moved = rig.basis.apply(values, aus, lefts)[0]
    if absolute:
        moved = moved + rig.closure
        relaxed = share_removed(rig, 12, intensities, left)
        if relaxed > 0 and rig.relax is not None:
            moved = moved + np.float32(relaxed) * rig.relax
    pose = rig.face.pose
    shift = from_face_frame(moved, pose)[:, :2].astype(np.float64) - from_face_frame(rig.basis.neutral, pose)[:, :2]
    return rig.vertices[: len(moved)] + shift


def expression_renderer(image: np.ndarray) -> Callable[[Mapping[int, float]], np.ndarray]:
    """Rig ``image`` (H, W, 3) uint8 RGB once; return a function from {AU: intensity 0–5} to the photo with those
    AUs added to its own expression (relative: each AU's change is exactly what was asked).

    This is the renderer factory facsynth.face.analyze takes to measure how the landmark detector sees each AU.
    """
    rig = rig_photo(image)
    return lambda intensities: render_frame(image, rig, intensities, relative=True)


def render_frame(image: np.ndarray, rig: PhotoRig, intensities: Mapping[int, float], *,
                 relative: bool = False, shading: bool = True, sides: Mapping[int, str] | None = None) -> np.ndarray:
    """The photo wearing one expression: warp, mouth interior, fold shading.

    image : np.ndarray [shape=(H, W, 3)] uint8 RGB, the photo ``rig`` was built on
    intensities : {AU: FACS intensity 0–5}, the expression the face shows afterwards; with ``relative``, the
        AUs added to whatever the photo already shows
    shading : draw the skin changes of the AUs (folds, furrows, wrinkles, bulges), see render.shading; a
        one-sided AU's folds are drawn on its side only (shading.shade_folds_on_side)
    sides : {AU: "L" | "R"} AUs that act on one side only, the person's own (AUTrack.sides)

    Returns np.ndarray [shape=(H, W, 3)] uint8 RGB; pixels outside ``rig.box`` are the input's, bit for bit.
    """
    moves = side_movements(rig, intensities, sides, relative)
    dst_lm = expressed_landmarks(rig, *moves, absolute=not relative)
    relaxed = 0.0 if relative else share_removed(rig, 12, *moves)
    folds = intensities
    if rig.folds and not relative:
        kept = fold_kept(rig, intensities)
        image = relieve_folds(image, [(relief, min(share_removed(rig, au, *moves), 1.0 - kept if au == 12 else 1.0))
                                      for au, relief in rig.folds.items()])
        # the photo's own fold shows as deep as the target asks; shading adds only what is asked beyond it
        folds = _fold_depth_beyond(intensities, kept * float(rig.own.get(12, 0.0)))
    dst = rig.vertices.copy()
    n = len(dst_lm)
    dst[:n] = dst_lm
    dst = unfold(rig.vertices, dst, rig.skin, rig.pinned, rig.held)    # no skin turns over (no hard stepped edge)
    if relaxed > 0:                     # a smile relaxing: no inner mouth corner left past its outer one
        dst[:n] = tidy_mouth_corners(rig.vertices[:n], dst[:n])
    dst_lm = dst[:n]
    up, lo = np.asarray(topology.UPPER_LIP_INNER), np.asarray(topology.LOWER_LIP_INNER)
    k = len(up) - 2
    dst[-2 * k:-k] += dst_lm[up[1:-1]] - rig.vertices[up[1:-1]]         # upper half of the opening
    dst[-k:] += dst_lm[lo[1:-1]] - rig.vertices[lo[1:-1]]               # lower half
    # only triangles that move are warped, inside the box they cover before and after moving
    change = np.abs(dst - rig.vertices)
    moves = (change[:, 0] > 1e-3) | (change[:, 1] > 1e-3)             # column-wise: faster than max/any(axis=1)
    moved = moves[rig.triangles]
    drawn = moved[:, 0] | moved[:, 1] | moved[:, 2]
    tris = rig.triangles[drawn]
    if len(tris):
        corners = np.concatenate([rig.vertices[tris.ravel()], dst[tris.ravel()]])
        bx0, by0, bx1, by1 = padded_box(corners, 2, image.shape, after=3)
        box = (max(bx0, rig.box[0]), max(by0, rig.box[1]), min(bx1, rig.box[2]), min(by1, rig.box[3]))
        s = rig.work
        if s < 1.0:                     # a large face: the flow at reduced size, resized
            size = (max(2, int(round((box[2] - box[0]) * s))), max(2, int(round((box[3] - box[1]) * s))))
            origin = np.array(box[:2], np.float64)
            flow = piecewise_affine_map((rig.vertices - origin) * s, (dst - origin) * s, tris, (0, 0, *size))
            out = remap(image, flow, box)
        else:
            out = sample(image, source_positions(rig.vertices, dst, tris, box), box)
        smooth_seams(out, seam_edges(rig.seams, dst, drawn), box)      # soft seams
        paint_eyeballs(out, image, rig.vertices, dst, rig.face.pose.scale, rig.look.softness)   # eyeballs stay
    else:
        out = image.copy()
    top = np.concatenate([dst[up[:1]], dst[-2 * k:-k], dst[up[-1:]]])
    bottom = np.concatenate([dst[lo[:1]], dst[-k:], dst[lo[-1:]]])
    if not relative and rig.own.get(25, 0.0) + rig.own.get(26, 0.0) > 0:    # the photo's own teeth may show
        outer = np.concatenate([dst[list(topology.UPPER_LIP_OUTER)], dst[list(topology.LOWER_LIP_OUTER)][::-1]])
        cover_stray_teeth(out, outer, np.concatenate([top, bottom[::-1]]))
        if rig.own.get(12, 0.0) <= 0:    # parted, not smiling: closed by the target (rig.closure) whatever it asks
            # the squeezed teeth and dark inside on the lips' inner edges are filled from the lips, with a closed
            # mouth's line where they meet; whatever parts them is painted between the drawn contours (not from
            # the photo's midline, which would leave the photo's own opening, squeezed, on the lips' inner edges)
            mend_mouth_line(out, dst[up], dst[lo], rig.face.pose.scale)
            top, bottom = dst[up], dst[lo]
    if rig.lips is not None and relaxed >= LIPS_REPAINTED:
        paint_closed_lips(out, dst, rig.lips, rig.face.pose.scale, (relaxed - LIPS_REPAINTED) / (1 - LIPS_REPAINTED))
        top, bottom = dst[up], dst[lo]          # the lips were repainted whole: whatever now parts them is open
    if opening_height(top, bottom) > 0.3:
        width = float(np.linalg.norm(rig.vertices[up[-1]] - rig.vertices[up[0]]))
        # the photo's own teeth move with their lips when the expression is added to the photo's; a target state
        # reshapes the opening too much for them, so a dentition is painted over whatever the photo shows
        shows_teeth = relative and opening_height(rig.vertices[up], rig.vertices[lo]) > 0.06 * width
        rest = rig.vertices if relative else rig.at_rest
        paint_mouth_interior(out, top, bottom, rig.look, teeth=not shows_teeth,
                             incisal=incisal_edge(rest[up], rest[lo], rig.face.pose.scale), scale=rig.face.pose.scale)
    if shading:
        scale = rig.face.pose.scale
        shade_folds(out, dst, {a: v for a, v in folds.items() if not sides or a not in sides}, scale)
        for side in ("L", "R"):
            one_sided = {a: v for a, v in folds.items() if sides and sides.get(a) == side}
            if one_sided:
                shade_folds_on_side(out, dst, one_sided, scale, side)
    return out


def fold_kept(rig: PhotoRig, target: Mapping[int, float]) -> float:
    """Share (0–1) of the photo's own nasolabial fold (that of its smile, ``rig.own``'s AU12) that an absolute
    ``target`` {AU: intensity} keeps: the target's own fold-making AUs (AU12, AU10; render.shading draws the same
    fold for both, as deep as the larger) ask for a fold of that depth, so as much of the photo's real fold stays
    instead of being lightened away (render.relax) and drawn again. 0 for a photo that does not smile."""
    own = float(rig.own.get(12, 0.0))
    if own <= 0:
        return 0.0
    return float(np.clip(max(float(target.get(12, 0.0)), float(target.get(10, 0.0))) / own, 0.0, 1.0))


def _fold_depth_beyond(target: Mapping[int, float], kept: float) -> dict[int, float]:
    """``target`` with its fold-making AUs (12, 10) as render.shading should draw them when the photo already
    shows a nasolabial fold of depth ``kept`` (AU12 intensity): only the depth asked beyond it."""
    fold = max(float(target.get(12, 0.0)), float(target.get(10, 0.0)))
    extra = max(0.0, fold - kept)
    out = dict(target)
    for au in (10, 12):
        if au in out:
            out[au] = min(float(out[au]), extra)
    return out


def share_removed(rig: PhotoRig, au: int, right: Mapping[int, float], left: Mapping[int, float] | None = None
                  ) -> float:
    """Share (0–1) of the photo's own ``au`` (``rig.own``; AU12 is its smile) that a movement (``side_movements``:
    the person's right side, and their left one when it differs) takes away, the mean of both sides; below 1 %
    (a target equal to the photo's own AU but for the rounding of ``rig.own``) it is 0."""
    own = float(rig.own.get(au, 0.0))
    if own <= 0:
        return 0.0
    sides = [right] if left is None else [right, left]
    share = float(np.mean([np.clip(-float(m.get(au, 0.0)) / own, 0.0, 1.0) for m in sides]))
    return share if share >= 0.01 else 0.0


def reexpress(image: np.ndarray, track: AUTrack, face_index: int = 0, *, rig: PhotoRig | None = None,
              relative: bool = False) -> Iterator[np.ndarray]:
    """Yield the photo wearing each frame of ``track``.

    Parameters
    ----------
    image : np.ndarray [shape=(H, W, 3)], uint8 RGB
    track : AUTrack, FACS intensities 0–5 (a still expression is one frame)
    face_index : which face, by size (0 = largest)
    rig : a PhotoRig of ``image`` from rig_photo (skips landmark detection)
    relative : add the track's AUs to the expression the photo already wears instead of reaching them as the
        face's state (a smile in the photo then stays under any target)

    Yields
    ------
    np.ndarray [shape=(H, W, 3)], uint8 RGB, one per frame; repeated frames are rendered once.

    Raises NoFaceError when ``image`` holds no face.

    Example
    -------
    >>> frame = next(reexpress(skimage.data.astronaut(), AUTrack.still({12: 3, 6: 2})))  # doctest: +SKIP
    """
    rig = rig or rig_photo(image, face_index)
    last_row, last = None, None
    for i in range(track.n_frames):
        row = track.values[i]
        if last is None or not np.array_equal(row, last_row):
            last, last_row = render_frame(image, rig, track.frame(i), relative=relative, sides=track.sides), row
        yield last


def render_photo(image: np.ndarray, track: AUTrack, path: str | os.PathLike, audio: str | os.PathLike | None = None,
                 face_index: int = 0, relative: bool = False) -> Path:
    """Render ``track`` on the photo into ``path``: an image (.png, .jpg) for a still, an MP4 for a track.

    An MP4 is H.264 at the track's frame rate with ``audio`` muxed in as AAC; a one-frame track becomes a video as
    long as the audio (or 1 s). The file appears only if rendering succeeded (render.output.write_rendered). The
    track's AUs are the face's target state (the photo's own smile or parted lips are taken away where the track
    says so) unless ``relative``.

    Raises FormatError for a multi-frame track written to an image file or an unknown suffix, NoFaceError when
    the photo has no face.
    """
    return write_rendered(photo_renderer(image, face_index, relative=relative), track, path, audio)


def photo_renderer(image: np.ndarray, face_index: int = 0, *, relative: bool = False,
                   rig: PhotoRig | None = None) -> Renderer:
    """The photo as a renderer (render.output.Renderer): track → frames; the face is rigged once, on first use,
    unless ``rig`` (a PhotoRig of ``image``, e.g. render.rig_cache.cached_rig's) is given."""
    rigs: list[PhotoRig] = [] if rig is None else [rig]

    def render(track: AUTrack) -> Iterator[np.ndarray]:
        if not rigs:
            rigs.append(rig_photo(image, face_index))
        return reexpress(image, track, rig=rigs[0], relative=relative)

    return render


def _detect(image: np.ndarray, max_faces: int) -> list:
    """detect_faces, then square windows along the long side of a panorama (whose faces are too small whole)."""
    try:
        return detect_faces(image, max_faces=max_faces)
    except NoFaceError:
        h, w = image.shape[:2]
        side = min(h, w)
        if max(h, w) < 1.5 * side:
            raise
    faces = []
    for start in range(0, max(h, w) - side // 2, side // 2):
        start = min(start, max(h, w) - side)
        window = image[:, start:start + side] if w > h else image[start:start + side]
        try:
            found = detect_faces(window, max_faces=max_faces)
        except NoFaceError:
            continue
        shift = np.float32([start, 0, 0] if w > h else [0, start, 0])
        for f in found:
            pts = f.landmarks + shift
            box = (float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max()))
            size = max(box[2] - box[0], box[3] - box[1])
            if not any(abs(box[0] - g.box[0]) < 0.2 * size and abs(box[1] - g.box[1]) < 0.2 * size for g in faces):
                faces.append(Face(pts, box, face_pose(pts)))
    if not faces:
        raise NoFaceError("no face found in the image")
    return sorted(faces, key=lambda f: -f.area)


def _inside_lips(points: np.ndarray) -> np.ndarray:
    """Which of the landmarks ``points`` (478, 2) lie on or inside the outer contour of the lips, shape (478,) bool."""
    contour = points[list(topology.UPPER_LIP_OUTER) + list(topology.LOWER_LIP_OUTER[::-1])].astype(np.float32)
    return np.array([cv2.pointPolygonTest(contour, (float(x), float(y)), True) >= -1e-6 for x, y in points])


def _check_image(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ImageError(f"expected an (H, W, 3) uint8 RGB image, got shape {image.shape} dtype {image.dtype}")
    return image


def _resize(image: np.ndarray, s: float) -> np.ndarray:
    h, w = image.shape[:2]
    return cv2.resize(image, (max(1, int(round(w * s))), max(1, int(round(h * s)))), interpolation=cv2.INTER_AREA)
