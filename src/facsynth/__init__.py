"""facsynth: language and speech to facial expressions, through one representation, the AU track.

The API mirrors the CLI. Its modules are bound with ``facsynth._lazy.lazy_module`` and load on first use, so that
``import facsynth`` (and with it every ``import facsynth.<module>``) stays fast and loads neither torch nor the
face models.
"""

from __future__ import annotations

import importlib

from . import errors, facs
from ._lazy import lazy_module
from .errors import FacsynthError
from .track import AUTrack

_formats = lazy_module("facsynth.formats")
_emotion = lazy_module("facsynth.language.emotion")
_landmarks = lazy_module("facsynth.face.landmarks")
_model = lazy_module("facsynth.face.model")
_gltf = lazy_module("facsynth.formats.gltf")
_morphs = lazy_module("facsynth.face.morphs")
_arkit = lazy_module("facsynth.formats.arkit")
_preview = lazy_module("facsynth.render.preview")
_video = lazy_module("facsynth.render.video")
_describe = lazy_module("facsynth.language.describe")
_parse = lazy_module("facsynth.language.parse")
_gan = lazy_module("facsynth.render.gan")
_encoder = lazy_module("facsynth.language.encoder")
_speech = lazy_module("facsynth.speech")
_audio = lazy_module("facsynth.speech.audio")
_image = lazy_module("facsynth.formats.image")
_photo = lazy_module("facsynth.render.photo")
_analyze = lazy_module("facsynth.face.analyze")
_app = lazy_module("facsynth.server.app")

# public name -> (module, attribute; None for the module itself)
_API = {
    "read_track": (_formats, "read_track"),
    "write_track": (_formats, "write_track"),
    "classify_emotion": (_emotion, "classify"),
    "emotion_track": (_emotion, "emotion_track"),
    "detect_faces": (_landmarks, "detect_faces"),
    "deform": (_model, "deform"),
    "default_face": (_model, "default_face"),
    "write_glb": (_gltf, "write_glb"),
    "face_mesh": (_morphs, "face_mesh"),
    "write_arkit_json": (_arkit, "write_arkit_json"),
    "write_livelink_csv": (_arkit, "write_livelink_csv"),
    "render_preview": (_preview, "render_preview"),
    "write_mp4": (_video, "write_mp4"),
    "describe": (_describe, "describe"),
    "parse": (_parse, "parse"),
    "apply_generator": (_gan, "apply_generator"),
    "encoder": (_encoder, None),
    "speak": (_speech, "speak"),
    "load_audio": (_audio, "load_audio"),
    "read_image": (_image, "read_image"),
    "write_image": (_image, "write_image"),
    "reexpress": (_photo, "reexpress"),
    "render_photo": (_photo, "render_photo"),
    "analyze": (_analyze, "analyze"),
    "create_app": (_app, "create_app"),
}

parse_au_spec, emotion_aus, blend_emotions = facs.parse_au_spec, facs.emotion_aus, facs.blend_emotions

__all__ = ["AUTrack", "FacsynthError", "facs", "errors", "parse_au_spec", "emotion_aus", "blend_emotions", *_API]


def __getattr__(name: str):
    if name not in _API:
        raise AttributeError(f"module 'facsynth' has no attribute {name!r}")
    module, attr = _API[name]
    value = importlib.import_module(module.__name__) if attr is None else getattr(module, attr)
    globals()[name] = value
    return value
