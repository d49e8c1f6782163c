"""Learned image generators (GANimation; Hong et al.'s FESN with its LVSN): face alignment, checkpoint loading and
``apply_generator``, which re-expresses the face in a photo with a trained generator and pastes it back.

Render side only: the FESN's word and sentence features arrive as tensors; nothing here imports facsynth.language.
Importing this package loads torch: light modules bind it with ``facsynth._lazy.lazy_module``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Callable, Iterator, Mapping

import numpy as np
import torch
from PIL import Image

from ...checkpoint import load_checkpoint
from ...errors import ImageError, ModelError
from ...face.landmarks import detect_faces
from ..output import Renderer
from .fesn import FESN
from .ganimation import GANimationGenerator

__all__ = ["apply_generator", "generator_renderer", "align_face", "paste_face", "load_generator", "RENDERERS",
           "CHECKPOINT_LAYOUT"]

#: Generators ``apply_generator`` can run.
RENDERERS = ("ganimation", "fesn")
#: Layout of the checkpoints written by facsynth.train.gan_loop (facsynth.checkpoint).
CHECKPOINT_LAYOUT = "facsynth-generator-1"
# MediaPipe face-mesh indices of the eye corners (right eye 33/133, left eye 362/263, image left → right)
_EYES = ((33, 133), (362, 263))
_CACHE: dict = {}


def _face_geometry(image: np.ndarray) -> tuple[float, float, float, float]:
    """(centre x, centre y, side, angle) of the largest face: a square around the landmarks, rotated upright."""
    face = detect_faces(image)[0]
    pts = np.asarray(face.landmarks, dtype=np.float64)[:, :2]
    left, right = pts[list(_EYES[0])].mean(0), pts[list(_EYES[1])].mean(0)
    angle = math.atan2(right[1] - left[1], right[0] - left[0])
    c, s = math.cos(-angle), math.sin(-angle)
    upright = (pts - pts.mean(0)) @ np.array([[c, s], [-s, c]])
    lo, hi = upright.min(0), upright.max(0)
    mid = (lo + hi) / 2
    centre = pts.mean(0) + mid @ np.array([[c, -s], [s, c]])
    side = 1.25 * float(max(hi - lo))
    return float(centre[0]), float(centre[1]), side, angle


def align_face(image: np.ndarray, size: int, box: tuple[float, float, float, float] | None = None
               ) -> tuple[np.ndarray, tuple[float, float, float, float]]:
    """Crop the largest face of ``image`` (H, W, 3) uint8 RGB to an upright square (size, size, 3) uint8.

    ``box`` = (centre x, centre y, side, angle in radians) in pixels; when None it comes from the face landmarks
    (facsynth.face.landmarks.detect_faces; raises NoFaceError if there is none). Returns the crop and the box,
    which ``paste_face`` needs to put an edited crop back.
    """
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ImageError(f"expected an (H, W, 3) uint8 RGB image, got {image.shape} {image.dtype}")
    box = box if box is not None else _face_geometry(image)
    cx, cy, side, angle = box
    k = side / size
    c, s = math.cos(angle), math.sin(angle)
    # output pixel (u, v) → input (x, y): centre + R(angle)·k·((u, v) − size/2)
    coeffs = (k * c, -k * s, cx - k * (c - s) * size / 2, k * s, k * c, cy - k * (s + c) * size / 2)
    crop = Image.fromarray(image).transform((size, size), Image.AFFINE, coeffs, resample=Image.BICUBIC)
    return np.asarray(crop), box


def paste_face(image: np.ndarray, crop: np.ndarray, box: tuple[float, float, float, float],
               feather: float = 0.08, alpha: np.ndarray | None = None) -> np.ndarray:
    """Put ``crop`` (S, S, 3) uint8 back where ``align_face`` took it from, blending a ``feather``-wide border.

    ``alpha`` (S, S) float in [0, 1], optional, says how much of the crop to use per pixel (1 everywhere if None);
    the photo keeps its own resolution wherever alpha is 0.
    """
    size = crop.shape[0]
    cx, cy, side, angle = box
    k = size / side
    c, s = math.cos(angle), math.sin(angle)
    # input pixel (x, y) → crop (u, v): size/2 + R(−angle)·k·((x, y) − centre)
    coeffs = (k * c, k * s, size / 2 - k * (c * cx + s * cy), -k * s, k * c, size / 2 - k * (-s * cx + c * cy))
    h, w = image.shape[:2]
    ramp = np.clip(np.minimum(np.arange(size), np.arange(size)[::-1]) / max(feather * size, 1.0), 0, 1)
    mask = np.minimum(ramp[:, None], ramp[None, :])
    if alpha is not None:
        mask = mask * np.clip(alpha, 0.0, 1.0)
    warped = np.asarray(Image.fromarray(crop).transform((w, h), Image.AFFINE, coeffs, resample=Image.BICUBIC))
    weight = np.asarray(Image.fromarray(mask.astype(np.float32), mode="F").transform(
        (w, h), Image.AFFINE, coeffs, resample=Image.BILINEAR), dtype=np.float32)[..., None]
    out = weight * warped.astype(np.float32) + (1 - weight) * image.astype(np.float32)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def load_generator(weights: str | Path, renderer: str | None = None):
    """Load a generator checkpoint written by ``facsynth train ganimation|fesn``.

    Returns (model in eval mode, checkpoint metadata dict with "kind", "image_size", "aus", "model").
    Raises ModelError if the file is missing, unreadable, of another layout, or not of ``renderer``'s kind.
    """
    path = Path(weights)
    if not path.is_file():
        raise ModelError(f"generator weights {path} do not exist")
    key = (str(path.resolve()), path.stat().st_mtime_ns)
    if key not in _CACHE:
        ckpt = load_checkpoint(path, CHECKPOINT_LAYOUT, "generator")
        if ckpt.get("kind") not in RENDERERS:
            raise ModelError(f"{path} holds an unknown generator {ckpt.get('kind')!r}")
        model = _build(ckpt["kind"], ckpt["model"])
        try:
            model.load_state_dict(ckpt["generator"])
        except RuntimeError as e:
            raise ModelError(f"{path}: weights do not fit the {ckpt['kind']} model: {e}") from None
        meta = {k: ckpt[k] for k in ("kind", "image_size", "aus", "model")}
        _CACHE.clear()
        _CACHE[key] = (model.eval(), meta)
    model, meta = _CACHE[key]
    if renderer is not None and meta["kind"] != renderer:
        raise ModelError(f"{path} holds a {meta['kind']} generator, not {renderer}")
    return model, meta


def _build(kind: str, kwargs: dict):
    return GANimationGenerator(**kwargs) if kind == "ganimation" else FESN(**kwargs)


def apply_generator(image: np.ndarray, aus: Mapping[int, float], renderer: str, weights: str | Path,
                    word_features=None, sentence_features=None,
                    box: tuple[float, float, float, float] | None = None) -> np.ndarray:
    """Re-express the largest face of ``image`` with a trained generator.

    Parameters
    ----------
    image : np.ndarray [shape=(H, W, 3)], uint8 RGB
    aus : {AU: intensity}, FACS 0–5 (GANimation's condition; FESN uses the text features instead)
    renderer : "ganimation" or "fesn"
    weights : checkpoint written by ``facsynth train ganimation|fesn``
    word_features : torch tensor (1, T, D_w) from facsynth.language.encoder.encode(...) of the sentence describing
        the target; required for "fesn" (its last word feature is the paper's condition ŵ_N)
    sentence_features : (1, D_s), encode()'s second output; the FESN checks it is given with the words but
        conditions on the word features only, as Hong et al.
    box : (centre x, centre y, side, angle) of the face, pixels and radians; None detects it from landmarks

    Returns
    -------
    np.ndarray [shape=(H, W, 3)], uint8 RGB: the photo with the generated face pasted back
    """
    if renderer not in RENDERERS:
        raise ModelError(f"unknown generator {renderer!r} (expected one of {', '.join(RENDERERS)})")
    model, meta = load_generator(weights, renderer)
    size = int(meta["image_size"])
    crop, box = align_face(image, size, box)
    x = torch.from_numpy(crop.copy()).permute(2, 0, 1)[None].float() / 127.5 - 1.0
    with torch.no_grad():
        if renderer == "ganimation":
            known = set(meta["aus"])
            unknown = sorted(set(int(a) for a, v in aus.items() if v > 0) - known)
            if unknown:
                raise ModelError(f"this GANimation model was not trained on AU{', AU'.join(map(str, unknown))}")
            y = torch.tensor([[float(aus.get(a, 0.0)) for a in meta["aus"]]], dtype=torch.float32)
            # paint the colour image where the attention lets it, at the photo's own resolution elsewhere
            out, attention = model(x, y)
            keep = 1.0 - attention[0, 0].numpy()
        else:
            if word_features is None or sentence_features is None:
                raise ModelError("the FESN generator needs word and sentence features of the target description")
            words = torch.as_tensor(word_features, dtype=torch.float32)
            if words.ndim == 2:
                words = words[None]
            out = model(x, words)["images"][-1]
            keep = None
    edited = ((out[0].permute(1, 2, 0).clamp(-1, 1) + 1) * 127.5 + 0.5).to(torch.uint8).numpy()
    return paste_face(image, edited, box, alpha=keep)


def generator_renderer(image: np.ndarray, renderer: str, weights: str | Path,
                       conditioning: Callable[[Mapping[int, float]], dict] | None = None) -> Renderer:
    """A trained generator as a renderer (render.output.Renderer): an AUTrack → the photo re-expressed per frame.

    image : np.ndarray [shape=(H, W, 3)], uint8 RGB; its largest face is found once, on first use (NoFaceError)
    renderer : "ganimation" (conditioned on the frame's AUs) or "fesn" (conditioned on text features)
    weights : checkpoint written by ``facsynth train ganimation|fesn``
    conditioning : for "fesn", a function from a frame's {AU: intensity} to apply_generator's text features
        (``word_features``, ``sentence_features``); build it with facsynth.language.encoder.fesn_conditioning, so
        that render/ never imports the language side

    Equal consecutive frames are rendered once (the cascade's Model B gives one expression per utterance).
    """
    if renderer not in RENDERERS:
        raise ModelError(f"unknown generator {renderer!r} (expected one of {', '.join(RENDERERS)})")
    if renderer == "fesn" and conditioning is None:
        raise ModelError("the FESN renders text: give it the sentence's features (conditioning)")

    def render(track) -> Iterator[np.ndarray]:
        _, meta = load_generator(weights, renderer)
        _, box = align_face(image, int(meta["image_size"]))
        last, frame = None, None
        for i in range(track.n_frames):
            aus = {a: v for a, v in track.frame(i).items() if renderer == "fesn" or a in meta["aus"]}
            if aus != last:
                extra = conditioning(aus) if conditioning is not None else {}
                frame, last = apply_generator(image, aus, renderer, weights, box=box, **extra), aus
            yield frame

    return render
