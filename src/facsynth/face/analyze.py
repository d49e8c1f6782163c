"""AU intensities from face landmarks: an AU basis fitted to a face against its neutral reference.

Each frame's landmarks are put in the face frame (head pose removed), aligned to the neutral face by a
similarity transform on points that no AU of the face model moves (nose bridge and tip, temples, ears), and the
displacement from the neutral is explained as a bounded (0–5) least-squares mix of AU displacements.

Which displacements? MediaPipe's landmarks do not follow the skin as far as the muscle model moves it: its
face-shape prior gives each AU its own, face-dependent gain (measured on warped photos: AU26 0.6–0.9, AU12
0.55–0.7, AU1 0.35–0.6 after alignment, AU4 and AU9 ≈ 0, AU17 0.1–0.45, AU25 0.05–0.65). Fitting the model's
displacements therefore under-reads by about half and spreads the rest over other AUs. When the neutral
reference is an image, ``detector_basis`` measures the detector's own response on that face: the photo renderer
puts each AU on the neutral photo at intensities 1–5, MediaPipe re-detects the landmarks, and the slope of the
landmark displacement per unit of intensity is that AU's column. A gain learned once on other faces does not
transfer (per-AU gains differ by 2–4× between faces), so this is measured per neutral face (≈ 2 s, cached).
Without a neutral image the muscle model's own basis is fitted, refined by a bounded non-linear fit through
``deform`` (the jaw rotates and the lids close non-linearly).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np

from .._lazy import lazy_module
from ..cancel import check as check_cancelled
from ..errors import FormatError, ImageError, NoFaceError
from ..facs import MAX_INTENSITY, OPENFACE_AUS
from ..formats.image import read_image
from ..track import DEFAULT_FPS, AUTrack
from .landmarks import detect_faces
from .model import basis_for, default_face

imageio_ffmpeg = lazy_module("imageio_ffmpeg")
optimize = lazy_module("scipy.optimize")
tqdm = lazy_module("tqdm")   # progress bars: 45 ms of imports that --help does without

__all__ = ["analyze", "analyze_file", "fit_aus", "fit_track", "face_shapes", "align_to", "detector_basis",
           "STABLE_POINTS", "VIDEO_SUFFIXES", "CALIBRATION_LEVELS"]

#: Landmarks that no AU of the face model moves: nose bridge and tip, temples, ears. (Eye corners, the
#: glabella 168 and the forehead 109/338 move with AU1/AU2 by up to 0.06 face units at intensity 5; aligning on
#: them took 30 % of the brow raise away.)
STABLE_POINTS = (6, 197, 195, 5, 4, 127, 356, 234, 454, 162, 389)
#: Intensities at which ``detector_basis`` renders each AU on the neutral photo.
CALIBRATION_LEVELS = (1.0, 2.0, 3.0, 4.0, 5.0)
VIDEO_SUFFIXES = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg")
_SURFACE = 468  # iris points are left out of the fit
#: Ridge weight (face units² per intensity²): breaks ties between AUs that cancel (AU5 against AU45) towards zero.
RIDGE = 2e-5


def align_to(shape: np.ndarray, reference: np.ndarray, points: Sequence[int] = STABLE_POINTS) -> np.ndarray:
    """``shape`` moved onto ``reference`` by the similarity transform that best matches ``points`` (Umeyama).

    shape, reference : np.ndarray [shape=(n, 3)], face frame. Returns (n, 3) float64.
    """
    a = np.asarray(shape, np.float64)
    b = np.asarray(reference, np.float64)
    pa, pb = a[list(points)], b[list(points)]
    ma, mb = pa.mean(axis=0), pb.mean(axis=0)
    xa, xb = pa - ma, pb - mb
    u, sig, vt = np.linalg.svd(xb.T @ xa)
    d = np.ones(3)
    d[2] = np.sign(np.linalg.det(u @ vt)) or 1.0
    rot = (u * d) @ vt
    scale = float((sig * d).sum() / max((xa ** 2).sum(), 1e-12))
    return (a - ma) @ rot.T * scale + mb


def fit_aus(shape: np.ndarray, neutral: np.ndarray, aus: Sequence[int] = OPENFACE_AUS, *,
            refine: bool = True, response: np.ndarray | None = None) -> np.ndarray:
    """AU intensities that best turn ``neutral`` into ``shape`` under the face model.

    Parameters
    ----------
    shape : np.ndarray [shape=(478, 3)], the expressive face in the face frame (e.g. ``Face.normalised()``)
    neutral : np.ndarray [shape=(478, 3)], the same person's neutral face in the face frame
    aus : AU numbers to estimate (default: OpenFace's 17)
    refine : polish the linear solution with a bounded non-linear least-squares fit through ``deform``
    response : np.ndarray [shape=(2 * 468, len(aus))], the detector's landmark displacement (x, y) per unit of
        intensity of each AU on this face (``detector_basis``); fitted instead of the muscle model (no refine)

    Returns
    -------
    np.ndarray [shape=(len(aus),)], float32, FACS intensity 0–5. Only x and y are fitted: MediaPipe's depth is
    too noisy to help.
    """
    aus = tuple(aus)
    neutral = np.asarray(neutral, np.float32)
    target = align_to(shape, neutral)[:_SURFACE, :2].reshape(-1)
    base = neutral[:_SURFACE, :2].reshape(-1).astype(np.float64)
    n = len(aus)
    ridge = np.sqrt(RIDGE) * np.eye(n)
    if response is not None:
        x = optimize.lsq_linear(np.vstack([np.asarray(response, np.float64), ridge]),
                                np.r_[target - base, np.zeros(n)], bounds=(0.0, MAX_INTENSITY), lsq_solver="exact").x
        return np.clip(x, 0.0, MAX_INTENSITY).astype(np.float32)
    basis = basis_for(neutral)

    def moved(w: np.ndarray) -> np.ndarray:                          # (k, n) intensities → (k, 2 * 468)
        out = basis.apply(np.asarray(w, np.float32).reshape(-1, n), aus)[:, :_SURFACE, :2]
        return out.reshape(len(out), -1).astype(np.float64)

    lin = ((moved(np.eye(n) * MAX_INTENSITY) - base) / MAX_INTENSITY).T   # (2 * 468, n) per unit of intensity
    x = optimize.lsq_linear(np.vstack([lin, ridge]), np.r_[target - base, np.zeros(n)],
                            bounds=(0.0, MAX_INTENSITY), lsq_solver="lsmr").x
    if refine:
        step = 0.05

        def residual(w: np.ndarray) -> np.ndarray:
            return np.r_[moved(w)[0] - target, ridge @ w]

        def jacobian(w: np.ndarray) -> np.ndarray:
            h = np.where(w + step <= MAX_INTENSITY, step, -step)   # one batched call for all AUs
            probes = moved(np.vstack([w, w + np.diag(h)]))
            return np.vstack([((probes[1:] - probes[0]) / h[:, None]).T, ridge])

        x = optimize.least_squares(residual, np.clip(x, 0.0, MAX_INTENSITY), jac=jacobian,
                                   bounds=(0.0, MAX_INTENSITY), max_nfev=30, method="trf", tr_solver="lsmr").x
    return np.clip(x, 0.0, MAX_INTENSITY).astype(np.float32)


#: Makes a renderer for a neutral photo: ``render(image)`` → a function from {AU: intensity} to the expressed photo.
Renderer = Callable[[np.ndarray], Callable[[Mapping[int, float]], np.ndarray]]

_RESPONSES: dict[bytes, np.ndarray] = {}


def detector_basis(image: np.ndarray, render: Renderer, aus: Sequence[int] = OPENFACE_AUS, *,
                   neutral: np.ndarray | None = None) -> np.ndarray:
    """How far MediaPipe's landmarks move per unit of each AU on this face: the AU basis ``fit_aus`` should fit.

    Each AU is rendered on ``image`` by ``render`` at ``CALIBRATION_LEVELS``, the landmarks are re-detected
    and aligned to the neutral ones (``align_to``), and the column is the least-squares slope of the (x, y)
    displacement over the intensity. Cached per image (len(aus) × 5 renders and detections, ≈ 2 s for 17 AUs).

    Parameters
    ----------
    image : np.ndarray [shape=(H, W, 3)] uint8 RGB, a neutral face
    render : makes a renderer for a neutral photo: ``render(image)({AU: intensity}) -> (H, W, 3) uint8``
        (facsynth.render.photo.expression_renderer; passed in, since the face model never imports renderers)
    aus : AU numbers (the columns)
    neutral : its face-frame landmarks (478, 3) if already detected

    Returns
    -------
    np.ndarray [shape=(2 * 468, len(aus))] float64, face units per unit of FACS intensity (x, y interleaved).

    Raises NoFaceError when ``image`` has no face.
    """
    image = np.ascontiguousarray(image)
    aus = tuple(aus)
    key = hashlib.blake2b(image.tobytes() + str((image.shape, aus)).encode(), digest_size=16).digest()
    found = _RESPONSES.get(key)
    if found is not None:
        return found
    ref = _shape_of(image) if neutral is None else np.asarray(neutral, np.float32)
    expressed = render(image)
    base = ref[:_SURFACE, :2].reshape(-1).astype(np.float64)
    levels = np.asarray(CALIBRATION_LEVELS, np.float64)
    out = np.zeros((2 * _SURFACE, len(aus)))
    for j, au in enumerate(aus):
        moved = []
        for v in levels:
            try:
                shape = _shape_of(expressed({au: float(v)}))
            except NoFaceError:                       # a face lost at a strong level: that level says nothing
                moved.append(np.zeros_like(base))
                continue
            moved.append(align_to(shape, ref)[:_SURFACE, :2].reshape(-1) - base)
        out[:, j] = levels @ np.array(moved) / float(levels @ levels)
    if len(_RESPONSES) >= 8:
        _RESPONSES.clear()
    _RESPONSES[key] = out
    return out


def _shape_of(image: np.ndarray) -> np.ndarray:
    """Face-frame landmarks (478, 3) of the largest face."""
    return detect_faces(image)[0].normalised()


def face_shapes(frames: Iterable[np.ndarray], *, progress: bool = True) -> list[np.ndarray | None]:
    """Face-frame landmarks (478, 3) of the largest face of each frame, None where there is no face.

    frames : iterable of np.ndarray [shape=(H, W, 3)] uint8 RGB; consumed one at a time (a video is streamed).
    """
    shapes: list[np.ndarray | None] = []
    for img in tqdm.tqdm(frames, desc="landmarks", unit="frame", disable=not progress, leave=False):
        check_cancelled()  # the studio stops analysing a video whose client left
        try:
            shapes.append(_shape_of(np.asarray(img)))
        except NoFaceError:
            shapes.append(None)
    return shapes


def analyze(images: np.ndarray | Iterable[np.ndarray], neutral: np.ndarray | None = None, *,
            fps: float = DEFAULT_FPS, aus: Sequence[int] = OPENFACE_AUS, render: Renderer | None = None) -> AUTrack:
    """Estimate AU intensities of the largest face in each image or video frame.

    Parameters
    ----------
    images : np.ndarray [shape=(H, W, 3)] uint8 RGB (one photo), or an iterable of them (video frames, streamed)
    neutral : the same person's neutral face: an RGB image (H, W, 3) uint8, or landmarks (478, 3) in the face
        frame. None: the per-landmark median of the frames for several frames (a talking face is mostly near
        neutral), facsynth's default neutral face for a single image (then identity shows up as expression)
    fps : frame rate of the returned track
    aus : AU numbers to estimate
    render : with a neutral image, a renderer factory (facsynth.render.photo.expression_renderer): the detector's
        response to each AU is then measured on that face (``detector_basis``) and fitted instead of the muscle
        model's displacements, which MediaPipe follows only partly (about half as far)

    Returns
    -------
    AUTrack, one frame per image, FACS intensity 0–5. Frames without a face repeat the previous estimate
    (zeros before the first face).

    Raises NoFaceError when no frame (or the neutral image) has a face.

    Example
    -------
    >>> track = analyze(smiling_photo, neutral=neutral_photo)  # doctest: +SKIP
    >>> track.frame(0)
    {6: 1.8, 12: 3.1}
    """
    single = isinstance(images, np.ndarray) and images.ndim == 3
    shapes = face_shapes([images] if single else images, progress=not single)
    ref, response = None, None
    if neutral is not None:
        neutral = np.asarray(neutral)
        if neutral.shape == (478, 3) and neutral.dtype != np.uint8:
            ref = neutral
        else:
            try:
                ref = _shape_of(neutral)
            except NoFaceError:
                raise NoFaceError("no face found in the neutral reference image") from None
            if render is not None:
                response = detector_basis(neutral, render, aus, neutral=ref)
    return fit_track(shapes, ref, fps=fps, aus=aus, response=response)


def fit_track(shapes: Sequence[np.ndarray | None], neutral: np.ndarray | None = None, *,
              fps: float = DEFAULT_FPS, aus: Sequence[int] = OPENFACE_AUS,
              response: np.ndarray | None = None) -> AUTrack:
    """AUTrack from face-frame landmarks per frame (None: no face) against ``neutral`` (478, 3) (see analyze).

    response : the detector's AU basis on ``neutral`` (``detector_basis``), None to fit the muscle model
    """
    if not len(shapes):
        raise FormatError("there are no frames to analyze")
    found = [s for s in shapes if s is not None]
    if not found:
        raise NoFaceError("no face found in any frame" if len(shapes) > 1 else "no face found in the image")
    if neutral is None:
        if len(found) > 1:
            neutral = np.median(np.stack([align_to(s, found[0]) for s in found]), axis=0)
        else:
            neutral = default_face().vertices
    ref = np.asarray(neutral, np.float32)
    values = np.zeros((len(shapes), len(aus)), np.float32)
    last = values[0]
    bar = tqdm.tqdm(shapes, desc="fit AUs", unit="frame", disable=len(shapes) < 2, leave=False)
    for i, s in enumerate(bar):
        if s is not None:
            last = fit_aus(s, ref, aus, response=response)
        values[i] = last
    return AUTrack(values, tuple(aus), fps)


def analyze_file(path: str | os.PathLike, neutral: str | os.PathLike | int | None = None, *,
                 aus: Sequence[int] = OPENFACE_AUS, render: Renderer | None = None) -> AUTrack:
    """``analyze`` on an image or video file (a video is streamed, at its own frame rate).

    neutral : a neutral image file of the same person, a frame number of the video, or None (see analyze)
    render : see analyze (used with a neutral image file)

    Raises ImageError / FormatError for unreadable files, NoFaceError when there is no face.
    """
    p = Path(path)
    if not p.is_file():
        raise ImageError(f"{p} does not exist or is not a file")
    index = int(neutral) if isinstance(neutral, int) or (isinstance(neutral, str) and neutral.isdigit()) else None
    ref, response = None, None
    if neutral is not None and index is None:
        still = read_image(neutral)
        try:
            ref = _shape_of(still)
        except NoFaceError:
            raise NoFaceError(f"no face found in the neutral reference {Path(neutral).name}") from None
        if render is not None:
            response = detector_basis(still, render, aus, neutral=ref)
    if p.suffix.lower() in VIDEO_SUFFIXES:
        fps, frames = _video_frames(p)
        shapes = face_shapes(frames)
    else:
        fps, shapes = DEFAULT_FPS, face_shapes([read_image(p)], progress=False)
    if index is not None:
        if not 0 <= index < len(shapes):
            raise FormatError(f"neutral frame {index} is outside the {len(shapes)} frames of {p.name}")
        if shapes[index] is None:
            raise NoFaceError(f"no face found in neutral frame {index} of {p.name}")
        ref = shapes[index]
    try:
        return fit_track(shapes, ref, fps=fps, aus=aus, response=response)
    except NoFaceError as e:
        raise NoFaceError(f"{e} ({p.name})") from None


def _video_frames(path: Path) -> tuple[float, Iterator[np.ndarray]]:
    """Frame rate and a generator of the frames (H, W, 3) uint8 RGB of a video, through imageio-ffmpeg."""
    try:
        reader = imageio_ffmpeg.read_frames(str(path), pix_fmt="rgb24")
        meta = next(reader)
        w, h = meta["size"]
    except (RuntimeError, OSError, StopIteration, KeyError):  # ffmpeg's own message is its whole banner
        raise FormatError(f"cannot read video {path.name}: not a video ffmpeg can decode, or corrupt") from None

    def frames() -> Iterator[np.ndarray]:
        try:
            for b in reader:
                yield np.frombuffer(b, np.uint8).reshape(h, w, 3)
        except (RuntimeError, OSError):
            raise FormatError(f"cannot read video {path.name}: it is truncated or corrupt") from None

    return float(meta.get("fps") or DEFAULT_FPS), frames()
