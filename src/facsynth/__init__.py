"""facsynth: language and speech to facial expressions, through one representation, the AU track.

The API mirrors the CLI. Names load lazily so that ``import facsynth`` stays fast.
"""

from __future__ import annotations

import importlib

from .errors import FacsynthError
from .track import AUTrack

# public name -> (module, attribute); loaded on first use
_API = {
    "facs": ("facsynth.facs", None),
    "errors": ("facsynth.errors", None),
    "read_track": ("facsynth.formats", "read_track"),
    "write_track": ("facsynth.formats", "write_track"),
    "parse_au_spec": ("facsynth.facs", "parse_au_spec"),
    "emotion_aus": ("facsynth.facs", "emotion_aus"),
    "blend_emotions": ("facsynth.facs", "blend_emotions"),
    "classify_emotion": ("facsynth.language.emotion", "classify"),
    "emotion_track": ("facsynth.language.emotion", "emotion_track"),
    "detect_faces": ("facsynth.face.landmarks", "detect_faces"),
    "deform": ("facsynth.face.model", "deform"),
    "default_face": ("facsynth.face.model", "default_face"),
    "write_glb": ("facsynth.formats.gltf", "write_glb"),
    "face_mesh": ("facsynth.face.morphs", "face_mesh"),
    "write_arkit_json": ("facsynth.formats.arkit", "write_arkit_json"),
    "write_livelink_csv": ("facsynth.formats.arkit", "write_livelink_csv"),
    "render_preview": ("facsynth.render.preview", "render_preview"),
    "write_mp4": ("facsynth.render.video", "write_mp4"),
    "describe": ("facsynth.language.describe", "describe"),
    "parse": ("facsynth.language.parse", "parse"),
    "apply_generator": ("facsynth.render.gan", "apply_generator"),
    "encoder": ("facsynth.language.encoder", None),
    "speak": ("facsynth.speech", "speak"),
    "load_audio": ("facsynth.speech.audio", "load_audio"),
    "read_image": ("facsynth.formats.image", "read_image"),
    "write_image": ("facsynth.formats.image", "write_image"),
    "reexpress": ("facsynth.render.photo", "reexpress"),
    "render_photo": ("facsynth.render.photo", "render_photo"),
    "analyze": ("facsynth.face.analyze", "analyze"),
    "create_app": ("facsynth.server.app", "create_app"),
}

__all__ = ["AUTrack", "FacsynthError", *_API]


def __getattr__(name: str):
    if name not in _API:
        raise AttributeError(f"module 'facsynth' has no attribute {name!r}")
    module, attr = _API[name]
    mod = importlib.import_module(module)
    value = mod if attr is None else getattr(mod, attr)
    globals()[name] = value
    return value
