"""MediaPipe FaceMesh adapter: RGB image → 478 3D landmarks per face, face box and head pose, largest face first."""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import types
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from ..errors import ImageError, NoFaceError

__all__ = ["Face", "Pose", "detect_faces", "import_mediapipe", "face_pose", "to_face_frame", "from_face_frame",
           "RIGHT_EYE", "LEFT_EYE", "N_LANDMARKS"]

N_LANDMARKS = 478
#: Contour of the subject's right eye (on the image's left for a frontal face), MediaPipe indices.
RIGHT_EYE = (33, 7, 163, 144, 145, 153, 154, 155, 133, 173, 157, 158, 159, 160, 161, 246)
#: Contour of the subject's left eye.
LEFT_EYE = (263, 249, 390, 373, 374, 380, 381, 382, 362, 398, 384, 385, 386, 387, 388, 466)
_FOREHEAD, _CHIN = 10, 152


@dataclass(frozen=True)
class Pose:
    """Similarity transform from the normalised face frame to image pixels: ``px = scale * rotation @ p + translation``.

    The face frame has its origin between the eye centres, x towards the subject's left eye (image right for a
    frontal face), y up (forehead), z out of the face towards the viewer, and one unit = the distance between
    the eye centres. Pixels have x right, y down and MediaPipe's depth z (pixels, smaller = nearer the camera),
    so a frontal, upright face has ``rotation ≈ diag(1, -1, -1)``.

    rotation    : np.ndarray [shape=(3, 3)], proper rotation; columns are the face axes in pixel space
    translation : np.ndarray [shape=(3,)], pixels, image position of the face-frame origin
    scale       : float > 0, pixels per face unit (the inter-ocular distance in pixels)
    """

    rotation: np.ndarray
    translation: np.ndarray
    scale: float

    def yaw_pitch_roll(self) -> tuple[float, float, float]:
        """Head angles in degrees, 0 for a frontal upright face.

        yaw   : positive when the face turns towards the subject's left (the nose moves to the image's right)
        pitch : positive when the face looks up (chin up)
        roll  : positive when the head tilts so that the subject's left eye is higher than the right one
        """
        r = np.diag([1.0, -1.0, -1.0]) @ self.rotation  # face axes in camera axes (x right, y up, z to viewer)
        fwd, side = r[:, 2], r[:, 0]
        yaw = np.degrees(np.arctan2(fwd[0], fwd[2]))
        pitch = np.degrees(np.arctan2(fwd[1], np.hypot(fwd[0], fwd[2])))
        roll = np.degrees(np.arctan2(side[1], side[0]))
        return float(yaw), float(pitch), float(roll)


@dataclass(frozen=True)
class Face:
    """One detected face.

    landmarks : np.ndarray [shape=(478, 3)], float32, pixels (x right, y down, z depth in pixel units);
                468 FaceMesh points then 10 iris points (468–472 subject's right iris, 473–477 left)
    box       : (x0, y0, x1, y1) float pixels, the landmarks' bounding box
    pose      : Pose mapping the normalised face frame to these pixels
    """

    landmarks: np.ndarray
    box: tuple[float, float, float, float]
    pose: Pose

    @property
    def area(self) -> float:
        """Area of the box in square pixels."""
        x0, y0, x1, y1 = self.box
        return max(0.0, x1 - x0) * max(0.0, y1 - y0)

    def normalised(self) -> np.ndarray:
        """The landmarks in the face frame, shape (478, 3) float32 (see Pose); feed this to model.deform."""
        return to_face_frame(self.landmarks, self.pose)


_LOCK = threading.Lock()
_MESHES: dict[int, object] = {}


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Silence the C++ log lines MediaPipe and TFLite print straight to file descriptor 2."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def import_mediapipe():
    """mediapipe, imported without matplotlib: its ``solutions`` package imports matplotlib.pyplot for a 3D plot
    helper that facsynth never calls, which was 60 % of mediapipe's import (2.4 of 3.9 s on a loaded machine). A
    placeholder stands in for matplotlib during that one import only, so a later ``import matplotlib`` is real."""
    if "mediapipe" in sys.modules or "matplotlib" in sys.modules:
        import mediapipe

        return mediapipe
    placeholders = {name: types.ModuleType(name) for name in ("matplotlib", "matplotlib.pyplot")}
    placeholders["matplotlib"].pyplot = placeholders["matplotlib.pyplot"]
    sys.modules.update(placeholders)
    try:
        import mediapipe
    finally:
        for name, module in placeholders.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]
    return mediapipe


def _face_mesh(max_faces: int):
    os.environ.setdefault("GLOG_minloglevel", "2")
    mp = import_mediapipe()

    if max_faces not in _MESHES:
        _MESHES[max_faces] = mp.solutions.face_mesh.FaceMesh(
            static_image_mode=True, max_num_faces=max_faces, refine_landmarks=True, min_detection_confidence=0.5)
    return _MESHES[max_faces]


def detect_faces(image: np.ndarray, max_faces: int = 5) -> list[Face]:
    """Find faces in an RGB image and return them largest first.

    Parameters
    ----------
    image : np.ndarray [shape=(H, W, 3)], uint8 RGB
    max_faces : int >= 1, most faces to look for

    Returns
    -------
    list of Face, largest box first, each with landmarks (478, 3) float32 in pixels.

    Raises ImageError for an array that is not (H, W, 3) uint8 or is too small, NoFaceError if no face is found.

    Example
    -------
    >>> faces = detect_faces(skimage.data.astronaut())  # doctest: +SKIP
    >>> faces[0].landmarks.shape
    (478, 3)
    """
    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ImageError(f"expected an (H, W, 3) uint8 RGB image, got shape {image.shape} dtype {image.dtype}")
    h, w = image.shape[:2]
    if min(h, w) < 16:
        raise ImageError(f"image of {w}x{h} pixels is too small to hold a face")
    with _LOCK, _quiet_stderr():
        result = _face_mesh(int(max_faces)).process(np.ascontiguousarray(image))
    if not result.multi_face_landmarks:
        raise NoFaceError("no face found in the image")
    faces = []
    for lms in result.multi_face_landmarks:
        pts = np.array([(p.x * w, p.y * h, p.z * w) for p in lms.landmark], dtype=np.float32)
        box = (float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max()))
        faces.append(Face(pts, box, face_pose(pts)))
    faces.sort(key=lambda f: -f.area)
    return faces


def face_pose(landmarks: np.ndarray) -> Pose:
    """The Pose of a face from its landmarks alone (eye centres, eye line and forehead–chin line).

    landmarks : np.ndarray [shape=(478, 3) or (468, 3)], pixels or any frame with y down and z away from viewer
    """
    pts = np.asarray(landmarks, dtype=np.float64)
    right, left = pts[list(RIGHT_EYE)].mean(axis=0), pts[list(LEFT_EYE)].mean(axis=0)
    x = left - right
    scale = float(np.linalg.norm(x))
    if not scale > 0:
        raise NoFaceError("degenerate face landmarks (eyes coincide)")
    x /= scale
    up = pts[_FOREHEAD] - pts[_CHIN]
    y = up - (up @ x) * x
    y /= np.linalg.norm(y)
    z = np.cross(x, y)
    return Pose(np.stack([x, y, z], axis=1), (left + right) / 2, scale)


def to_face_frame(points: np.ndarray, pose: Pose) -> np.ndarray:
    """Pixels → normalised face frame: ``p = rotation.T @ (px - translation) / scale``; shape (..., 3) float32."""
    return (((np.asarray(points, np.float64) - pose.translation) @ pose.rotation) / pose.scale).astype(np.float32)


def from_face_frame(points: np.ndarray, pose: Pose) -> np.ndarray:
    """Normalised face frame → pixels: ``px = scale * rotation @ p + translation``; shape (..., 3) float32."""
    return ((np.asarray(points, np.float64) @ pose.rotation.T) * pose.scale + pose.translation).astype(np.float32)
