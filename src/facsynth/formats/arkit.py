"""ARKit 52 blendshape weights from an AU track: Audio2Face-style JSON and Live Link Face CSV.

The mapping (one table, ``AU_TO_ARKIT``): each AU drives ARKit blendshapes with a gain; a blendshape's weight
is the sum over AUs of gain × intensity / 5, clipped to 0–1. Bilateral AUs drive the Left and Right shapes
alike. Shapes with no AU counterpart (gaze ``eyeLook*``, ``jawForward/Left/Right``, ``mouthLeft/Right``,
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
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import numpy as np

from ..atomic import atomic_write
from ..errors import FormatError
from ..facs import MAX_INTENSITY
from ..track import AUTrack

__all__ = ["ARKIT_NAMES", "AU_TO_ARKIT", "arkit_weights", "write_arkit_json", "write_livelink_csv"]

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


def arkit_weights(track: AUTrack) -> np.ndarray:
    """ARKit blendshape weights of every frame, shape (frames, 52) float32 in 0–1, columns as ARKIT_NAMES."""
    if not isinstance(track, AUTrack):
        raise FormatError("ARKit export needs an AUTrack")
    gain = np.zeros((len(track.aus), len(ARKIT_NAMES)), np.float32)
    for j, au in enumerate(track.aus):
        for name, g in AU_TO_ARKIT.get(au, []):
            gain[j, _INDEX[name]] += g
    return np.clip(track.values / MAX_INTENSITY @ gain, 0.0, 1.0).astype(np.float32)


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
