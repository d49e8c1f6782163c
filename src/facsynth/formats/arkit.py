"""ARKit 52 blendshapes ↔ AU tracks, and their two file formats: Audio2Face JSON and Live Link Face CSV.

AU → ARKit (one table, ``AU_TO_ARKIT``): each AU drives ARKit blendshapes with a gain; a blendshape's weight
is the sum over AUs of gain × intensity / 5, clipped to 0–1. Bilateral AUs drive the Left and Right shapes
alike. A one-sided AU (``AUTrack.sides``) drives only the shapes of its side (ARKit names Left and Right from the
face's own point of view, as facsynth does: ``mouthSmileLeft`` is the person's left corner), and a shape of the
middle (browInnerUp, jawOpen, mouthShrug…, mouthRoll…, mouthPucker, mouthFunnel) at half its gain. Shapes with
no AU counterpart (gaze ``eyeLook*``, ``jawForward/Left/Right``, ``mouthLeft/Right``,
``mouthClose``, ``cheekPuff``, ``tongueOut``) stay 0.

=====  ==========================  ==================================================
AU     FACS name                   ARKit blendshapes (gain)
=====  ==========================  ==================================================
1      Inner Brow Raiser           browInnerUp (1)
2      Outer Brow Raiser           browOuterUpLeft/Right (1)
4      Brow Lowerer                browDownLeft/Right (1)
5      Upper Lid Raiser            eyeWideLeft/Right (1)
6      Cheek Raiser                cheekSquintLeft/Right (1)
7      Lid Tightener               eyeSquintLeft/Right (1)
9      Nose Wrinkler               noseSneerLeft/Right (1)
10     Upper Lip Raiser            mouthUpperUpLeft/Right (1)
12     Lip Corner Puller           mouthSmileLeft/Right (1)
14     Dimpler                     mouthDimpleLeft/Right (1)
15     Lip Corner Depressor        mouthFrownLeft/Right (1)
16     Lower Lip Depressor         mouthLowerDownLeft/Right (1)
17     Chin Raiser                 mouthShrugLower (1), mouthShrugUpper (0.3)
18     Lip Pucker                  mouthPucker (1)
20     Lip Stretcher               mouthStretchLeft/Right (1)
22     Lip Funneler                mouthFunnel (1)
23     Lip Tightener               mouthPressLeft/Right (0.5), mouthRollLower/Upper (0.2)
24     Lip Pressor                 mouthPressLeft/Right (1)
25     Lips Part                   mouthLowerDownLeft/Right (0.3), mouthUpperUpLeft/Right (0.1)
26     Jaw Drop                    jawOpen (0.6)
27     Mouth Stretch               jawOpen (1)
28     Lip Suck                    mouthRollLower/Upper (1)
43     Eyes Closed                 eyeBlinkLeft/Right (1)
45     Blink                       eyeBlinkLeft/Right (1)
=====  ==========================  ==================================================

ARKit → AU (``aus_from_arkit``) undoes that table. Left and Right shapes are averaged, except that an AU whose own
Left/Right pair moves on one side only over the whole track (the other shape 0 in every frame) reads back one-sided,
at that side's intensity. An AU with a shape of its own is 5 × that shape / gain. Three pairs of shapes are shared,
and the AU that drives both shapes of a pair takes their common part first: AU25 =
5 × min(mouthLowerDown / 0.3, mouthUpperUp / 0.1), then AU16 and AU10 get what is left of each; AU23 =
5 × min(mouthPress / 0.5, mouthRoll / 0.2), then AU24 and AU28 get the rest; jawOpen is AU26 up to 0.6 (AU26 = 5)
and AU27 beyond (5 × (jawOpen − 0.6)). eyeBlink reads back as AU45 (AU43 drives the same shapes). So every track of
the 22 AUs other than 27 and 43, without AU16, AU10 and AU25 all at once (nor 23, 24 and 28), comes back exactly
(tested), unless a summed weight was clipped at 1. Real captures map the same way: lips parting in speech
(mouthLowerDown with mouthUpperUp) reads as AU25.
"""

from __future__ import annotations

import csv
import json
import os
import re
from pathlib import Path

import numpy as np

from ..atomic import atomic_write
from ..errors import AUSpecError, FormatError, TrackError
from ..facs import MAX_INTENSITY, parse_au_code
from ..track import DEFAULT_FPS, AUTrack
from .base import Format, read_json_file, snap_fps

__all__ = ["ARKIT_NAMES", "AU_TO_ARKIT", "ARKIT_AUS", "arkit_weights", "aus_from_arkit", "arkit_columns",
           "write_arkit_json", "read_arkit_json", "write_livelink_csv", "read_livelink_csv", "FORMATS"]

#: The 52 ARKit blendshapes, in Apple's documented order (ARFaceAnchor.BlendShapeLocation).
ARKIT_NAMES: tuple[str, ...] = (
    "eyeBlinkLeft", "eyeLookDownLeft", "eyeLookInLeft", "eyeLookOutLeft", "eyeLookUpLeft", "eyeSquintLeft",
    "eyeWideLeft", "eyeBlinkRight", "eyeLookDownRight", "eyeLookInRight", "eyeLookOutRight", "eyeLookUpRight",
    "eyeSquintRight", "eyeWideRight", "jawForward", "jawLeft", "jawRight", "jawOpen", "mouthClose",
    "mouthFunnel", "mouthPucker", "mouthLeft", "mouthRight", "mouthSmileLeft", "mouthSmileRight",
    "mouthFrownLeft", "mouthFrownRight", "mouthDimpleLeft", "mouthDimpleRight", "mouthStretchLeft",
    "mouthStretchRight", "mouthRollLower", "mouthRollUpper", "mouthShrugLower", "mouthShrugUpper",
    "mouthPressLeft", "mouthPressRight", "mouthLowerDownLeft", "mouthLowerDownRight", "mouthUpperUpLeft",
    "mouthUpperUpRight", "browDownLeft", "browDownRight", "browInnerUp", "browOuterUpLeft", "browOuterUpRight",
    "cheekPuff", "cheekSquintLeft", "cheekSquintRight", "noseSneerLeft", "noseSneerRight", "tongueOut",
)


def _both(stem: str, gain: float = 1.0) -> list[tuple[str, float]]:
    return [(f"{stem}Left", gain), (f"{stem}Right", gain)]


#: AU → [(ARKit blendshape, gain at intensity 5)]; the table in the module docstring.
AU_TO_ARKIT: dict[int, list[tuple[str, float]]] = {
    1: [("browInnerUp", 1.0)],
    2: _both("browOuterUp"),
    4: _both("browDown"),
    5: _both("eyeWide"),
    6: _both("cheekSquint"),
    7: _both("eyeSquint"),
    9: _both("noseSneer"),
    10: _both("mouthUpperUp"),
    12: _both("mouthSmile"),
    14: _both("mouthDimple"),
    15: _both("mouthFrown"),
    16: _both("mouthLowerDown"),
    17: [("mouthShrugLower", 1.0), ("mouthShrugUpper", 0.3)],
    18: [("mouthPucker", 1.0)],
    20: _both("mouthStretch"),
    22: [("mouthFunnel", 1.0)],
    23: _both("mouthPress", 0.5) + [("mouthRollLower", 0.2), ("mouthRollUpper", 0.2)],
    24: _both("mouthPress"),
    25: _both("mouthLowerDown", 0.3) + _both("mouthUpperUp", 0.1),
    26: [("jawOpen", 0.6)],
    27: [("jawOpen", 1.0)],
    28: [("mouthRollLower", 1.0), ("mouthRollUpper", 1.0)],
    43: _both("eyeBlink"),
    45: _both("eyeBlink"),
}
_INDEX = {name: i for i, name in enumerate(ARKIT_NAMES)}


#: The shape suffix of the side an AU does not move on: a left-sided AU leaves the "Right" shapes at 0.
_OTHER_SIDE = {"L": "Right", "R": "Left"}


def arkit_weights(track: AUTrack) -> np.ndarray:
    """ARKit blendshape weights of every frame, shape (frames, 52) float32 in 0–1, columns as ARKIT_NAMES.

    A one-sided AU of ``track.sides`` drives its own side's shapes and the middle shapes at half gain."""
    if not isinstance(track, AUTrack):
        raise FormatError("ARKit export needs an AUTrack")
    gain = np.zeros((len(track.aus), len(ARKIT_NAMES)), np.float32)
    for j, au in enumerate(track.aus):
        side = track.sides.get(au)
        for name, g in AU_TO_ARKIT.get(au, []):
            if side is not None and not name.endswith(("Left", "Right")):
                g = 0.5 * g  # one half of a middle shape's muscles
            elif side is not None and name.endswith(_OTHER_SIDE[side]):
                continue
            gain[j, _INDEX[name]] += g
    return np.clip(track.values / MAX_INTENSITY @ gain, 0.0, 1.0).astype(np.float32)


#: AUs that ``aus_from_arkit`` returns, in catalogue order (all of AU_TO_ARKIT's but AU43, read as AU45).
ARKIT_AUS: tuple[int, ...] = tuple(a for a in AU_TO_ARKIT if a != 43)


def _shape(w: np.ndarray, stem: str) -> np.ndarray:
    """Weight of a shape, or the mean of its Left/Right (or Lower/Upper) halves, per frame (frames,)."""
    if stem in _INDEX:
        return w[:, _INDEX[stem]]
    a, b = ("Left", "Right") if stem + "Left" in _INDEX else ("Lower", "Upper")
    return 0.5 * (w[:, _INDEX[stem + a]] + w[:, _INDEX[stem + b]])


def aus_from_arkit(weights: np.ndarray, fps: float = DEFAULT_FPS) -> AUTrack:
    """AU track from ARKit blendshape weights: the inverse of ``arkit_weights`` (module docstring).

    Parameters
    ----------
    weights : np.ndarray [shape=(frames, 52)], 0–1, columns as ARKIT_NAMES (values outside 0–1 are clipped)
    fps : frame rate of the weights

    Returns
    -------
    AUTrack over ARKIT_AUS, FACS intensity 0–5.
    """
    w = np.clip(np.asarray(weights, np.float32), 0.0, 1.0)
    if w.ndim != 2 or w.shape[1] != len(ARKIT_NAMES):
        raise FormatError(f"ARKit weights must have shape (frames, {len(ARKIT_NAMES)}), got {w.shape}")
    out = {au: _shape(w, name[:-4] if name.endswith("Left") else name) / gain
           for au, ((name, gain), *_) in AU_TO_ARKIT.items()
           if au not in (10, 16, 23, 24, 25, 26, 27, 28, 43)}
    lower, upper = _shape(w, "mouthLowerDown"), _shape(w, "mouthUpperUp")
    out[25] = np.minimum(lower / 0.3, upper / 0.1)
    out[16], out[10] = lower - 0.3 * out[25], upper - 0.1 * out[25]
    press, roll = _shape(w, "mouthPress"), _shape(w, "mouthRoll")
    out[23] = np.minimum(press / 0.5, roll / 0.2)
    out[24], out[28] = press - 0.5 * out[23], roll - 0.2 * out[23]
    jaw = _shape(w, "jawOpen")
    out[26], out[27] = np.minimum(jaw / 0.6, 1.0), np.maximum(jaw - 0.6, 0.0)
    sides = {}
    for au in _SIDED_AUS:
        name, gain = AU_TO_ARKIT[au][0]
        left, right = w[:, _INDEX[name]], w[:, _INDEX[name[:-4] + "Right"]]
        if left.any() != right.any():  # moves on one side only, over the whole track
            sides[au] = "L" if left.any() else "R"
            out[au] = (left + right) / gain
    values = np.stack([out[a] for a in ARKIT_AUS], axis=1) * MAX_INTENSITY
    return AUTrack(np.clip(np.round(values, 4), 0, MAX_INTENSITY), ARKIT_AUS, fps, sides)


#: AUs read from a Left/Right pair of shapes of their own, which can read back one-sided.
_SIDED_AUS = tuple(a for a, ((name, _), *_) in AU_TO_ARKIT.items()
                   if name.endswith("Left") and a not in (10, 16, 23, 24, 25, 43))


def _canonical(name: str) -> str:
    """ARKit name as in ARKIT_NAMES from its spellings in the wild (EyeBlinkLeft, eyeBlink_L); "" if none."""
    key = re.sub(r"[_\s]", "", name).lower()
    if key in _LOWER:
        return _LOWER[key]
    side = {"l": "left", "r": "right"}.get(key[-1:])
    return _LOWER.get(key[:-1] + side, "") if side else ""


_LOWER = {n.lower(): n for n in ARKIT_NAMES}


def arkit_columns(names: list[str], source: str) -> dict[int, int]:
    """Map ARKit shape columns of a file by header name: {column index in ``names``: index in ARKIT_NAMES}.

    Works with any column order and the common spellings; raises FormatError if none is an ARKit shape.
    """
    cols = {i: _INDEX[c] for i, c in ((i, _canonical(n)) for i, n in enumerate(names)) if c}
    if not cols:
        raise FormatError(f"{source}: no ARKit blendshape names (eyeBlinkLeft, jawOpen, …) in its columns")
    return cols


def write_arkit_json(track: AUTrack, path: str | os.PathLike) -> Path:
    """Write ARKit 52 weights as JSON in the layout of NVIDIA Audio2Face's blendshape export.

    Keys: ``exportFps``, ``numPoses`` (52), ``numFrames``, ``facsNames`` (ARKit names), ``weightMat``
    (frames × 52, 0–1), plus ``source`` ("facsynth") and ``aus`` (the AU columns it came from). Atomic.
    """
    w = arkit_weights(track)
    doc = {"exportFps": track.fps, "trackPath": "facsynth", "numPoses": len(ARKIT_NAMES),
           "numFrames": int(w.shape[0]), "facsNames": list(ARKIT_NAMES),
           "weightMat": [[round(float(x), 5) for x in row] for row in w],
           "source": "facsynth", "aus": list(track.aus)}
    target = Path(path)
    with atomic_write(target, "w", encoding="utf-8") as fh:
        json.dump(doc, fh, separators=(",", ":"))
    return target


def read_arkit_json(path: str | os.PathLike) -> AUTrack:
    """AU track from an ARKit JSON in Audio2Face's layout (``facsNames``, ``weightMat``, ``exportFps``).

    Shapes are found by name (any order, any subset); a facsynth file's ``aus`` list picks the AU columns.
    """
    path = Path(path)
    doc = read_json_file(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("facsNames"), list) \
            or not isinstance(doc.get("weightMat"), list):
        raise FormatError(f"{path}: an ARKit JSON needs \"facsNames\" and \"weightMat\" lists")
    cols = arkit_columns([str(n) for n in doc["facsNames"]], str(path))
    rows = doc["weightMat"]
    if not rows:
        raise TrackError(f"{path}: \"weightMat\" has no frames")
    try:
        mat = np.asarray(rows, np.float32)
    except (TypeError, ValueError):
        raise TrackError(f"{path}: \"weightMat\" must be rows of numbers, one per name in \"facsNames\"") from None
    if mat.ndim != 2 or mat.shape[1] != len(doc["facsNames"]):
        raise TrackError(f"{path}: \"weightMat\" rows must have {len(doc['facsNames'])} values (one per name)")
    if not np.isfinite(mat).all():
        raise TrackError(f"{path}: frame {int(np.argwhere(~np.isfinite(mat))[0][0])} has a non-finite weight")
    try:
        fps = float(doc.get("exportFps", DEFAULT_FPS))
    except (TypeError, ValueError):
        raise TrackError(f"{path}: \"exportFps\" is not a number") from None
    track = aus_from_arkit(_spread(mat, cols), fps)
    return _own_aus(track, doc.get("aus"), str(path))


def _spread(mat: np.ndarray, cols: dict[int, int]) -> np.ndarray:
    """(frames, 52) weights from a file's (frames, columns) by the column map of arkit_columns."""
    w = np.zeros((mat.shape[0], len(ARKIT_NAMES)), np.float32)
    for i, j in cols.items():
        w[:, j] = mat[:, i]
    return w


def _own_aus(track: AUTrack, aus: object, source: str) -> AUTrack:
    """The columns a facsynth export came from (its ``aus`` list), else the track as it is."""
    if aus is None:
        return track
    try:
        return track.with_aus(parse_au_code(a) for a in aus)
    except (AUSpecError, TypeError):
        raise FormatError(f"{source}: \"aus\" must list AU codes") from None


#: Live Link Face columns after the 52 shapes: head and eye rotations, written as 0.
_LLF_EXTRA = ("HeadYaw", "HeadPitch", "HeadRoll", "LeftEyeYaw", "LeftEyePitch", "LeftEyeRoll",
              "RightEyeYaw", "RightEyePitch", "RightEyeRoll")


def write_livelink_csv(track: AUTrack, path: str | os.PathLike) -> Path:
    """Write ARKit weights as an Epic Live Link Face CSV (``Timecode,BlendShapeCount,EyeBlinkLeft,…``).

    One row per frame; the timecode is ``HH:MM:SS:FF.mmm`` from 0 at the track's frame rate (rounded to whole
    frames per second); BlendShapeCount is 61 (52 shapes + 9 head/eye angles, written as 0). Atomic.
    """
    w = arkit_weights(track)
    rate = max(1, int(round(track.fps)))
    header = ["Timecode", "BlendShapeCount"] + [n[0].upper() + n[1:] for n in ARKIT_NAMES] + list(_LLF_EXTRA)
    target = Path(path)
    with atomic_write(target, "w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(header)
        for i, row in enumerate(w):
            seconds, frame = divmod(i, rate)
            sub = (i / track.fps * rate) % 1.0
            code = f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}:{frame:02d}.{int(sub * 1000):03d}"
            out.writerow([code, len(ARKIT_NAMES) + len(_LLF_EXTRA)] + [f"{x:.5f}" for x in row]
                         + ["0"] * len(_LLF_EXTRA))
    return target


def read_livelink_csv(path: str | os.PathLike) -> AUTrack:
    """AU track from a Live Link Face CSV (``Timecode, BlendShapeCount, EyeBlinkLeft, …``), columns by name.

    Recordings differ in column order (some put JawRight before JawLeft): shapes are matched by header name.
    The frame rate is the timecode's frames per second (its largest frame number + 1, snapped to a common
    rate), else 60 fps, Live Link Face's default, for a recording shorter than a second.
    """
    path = Path(path)
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            rows = [r for r in csv.reader(fh) if any(c.strip() for c in r)]
    except UnicodeDecodeError:
        raise FormatError(f"{path} is not a text CSV file") from None
    except OSError as e:
        raise FormatError(f"cannot read {path}: {e.strerror or e}") from None
    if len(rows) < 2:
        raise TrackError(f"{path}: no frames after the header")
    header = rows[0]
    cols = arkit_columns(header, str(path))
    mat = np.zeros((len(rows) - 1, len(header)), np.float32)
    for n, row in enumerate(rows[1:]):
        if len(row) != len(header):
            raise TrackError(f"{path}: line {n + 2} has {len(row)} fields, the header has {len(header)}")
        try:
            mat[n, list(cols)] = [float(row[i]) for i in cols]
        except ValueError:
            raise TrackError(f"{path}: line {n + 2} has a weight that is not a number") from None
    if not np.isfinite(mat).all():
        raise TrackError(f"{path}: line {int(np.argwhere(~np.isfinite(mat))[0][0]) + 2} has a non-finite weight")
    return aus_from_arkit(_spread(mat, cols), _timecode_rate([r[0] for r in rows[1:]]))


def _timecode_rate(codes: list[str]) -> float:
    """Frames per second of ``HH:MM:SS:FF[.sss]`` timecodes: the largest FF + 1 once a second has passed."""
    parsed = [m.groups() for m in (re.match(r"\s*\d+:\d+:(\d+):(\d+)", c) for c in codes) if m]
    if len({s for s, _ in parsed}) < 2:
        return 60.0
    return snap_fps(max(int(f) for _, f in parsed) + 1.0)


def _sniff_arkit_json(head: bytes) -> bool:
    return b'"facsNames"' in head or b'"weightMat"' in head


def _sniff_livelink(head: bytes) -> bool:
    first = head.lstrip(b"\xef\xbb\xbf").split(b"\n", 1)[0].lower()
    return b"blendshapecount" in first or first.startswith(b"timecode")


FORMATS = (
    Format("arkit.json", "ARKit JSON (Audio2Face layout)", ".arkit.json", "application/json",
           read=read_arkit_json, write=write_arkit_json, sniff=_sniff_arkit_json),
    Format("arkit.csv", "Live Link Face CSV (ARKit)", ".arkit.csv", "text/csv",
           read=read_livelink_csv, write=write_livelink_csv, sniff=_sniff_livelink),
)
