"""The studio's HTTP API: one endpoint per facsynth job, JSON in and out, files as bytes or short-lived results."""

from __future__ import annotations

import asyncio
import io
import json
import threading
from pathlib import Path
from typing import Any, Callable, Literal, TypeVar

import numpy as np
from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import Response
from PIL import Image
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from .. import facs
from ..cancel import cancellable
from ..errors import AUSpecError, FormatError, TrackError
from ..formats import FORMATS, Format
from ..formats.track_json import track_from_json, track_to_json
from ..track import AUTrack
from . import jobs
from .uploads import AUDIO_KINDS, IMAGE_KINDS, VIDEO_KINDS, Upload, read_upload, request_dir

__all__ = ["router", "EXPORTS", "MAX_TRACK_SECONDS", "MAX_TRACK_FRAMES", "MAX_VIDEO_FRAMES", "NotFound"]

router = APIRouter(prefix="/api")

#: export kind -> track format (the registry's writers); the kind from the URL only ever selects a row here.
EXPORTS: dict[str, Format] = {key: f for key, f in FORMATS.items() if f.write}
ExportKind = Literal[tuple(EXPORTS)]
#: Longest track the studio renders or exports, seconds (a bound on the work one request can ask for).
MAX_TRACK_SECONDS = 600
#: Most frames of a track the studio takes (10 minutes at 60 fps): frames, not seconds, decide the work.
MAX_TRACK_FRAMES = 36_000
#: Most frames of a video the studio renders (1 minute at 30 fps); the facsynth commands render longer ones.
MAX_VIDEO_FRAMES = 1_800
_T = TypeVar("_T")
_MP4_RAMP_S, _MP4_HOLD_S, _MP4_FPS = 1.0, 0.5, 30.0


class NotFound(Exception):
    """A result or photo token that is unknown or has expired (HTTP 404)."""


# ---------------------------------------------------------------- request bodies

class ParseBody(BaseModel):
    text: str = Field(max_length=20_000, description="an English sentence about a face or a feeling")
    engine: Literal["rule", "learned"] = Field("rule", description="rule parser or the learned encoder (LSE)")


class DescribeBody(BaseModel):
    aus: dict[str, float] = Field(description='AU intensities 0–5, keyed "12" or "AU12"')
    protocol: Literal[1, 2, 3] = 1
    gender: Literal["female", "male"] = "female"
    emotion: str | None = None
    seed: int | None = None


class EmotionBody(BaseModel):
    text: str | None = Field(None, max_length=20_000, description="text to classify (needs the emotion model)")
    emotion: str | None = Field(None, description="or an emotion name whose EMFACS prototype is wanted")
    intensity: float = Field(3.0, ge=0, le=5, description="prototype intensity 0–5 (with emotion)")


class TrackBody(BaseModel):
    aus: dict[str, float] | None = Field(None, description='a still expression: AU intensities 0–5, keyed "AU12"')
    track: dict[str, Any] | None = Field(None, description="or a track as written by the JSON format "
                                                           '({"fps", "aus", "frames"})')
    photo: str | None = Field(None, description="GLB only: id of an uploaded photo whose face shape and texture "
                                                "the mesh takes")
    face_index: int = Field(0, ge=0, le=64, description="which face of the photo, 0 = largest")


# ---------------------------------------------------------------- helpers

def _aus_from_mapping(aus: dict[str, Any]) -> dict[int, float]:
    out = {}
    for key, value in aus.items():
        code = facs.parse_au_code(key)
        out[code] = facs.parse_intensity(value, f"the intensity of {key}")
    return out


def _bounded(track: AUTrack) -> AUTrack:
    if track.duration > MAX_TRACK_SECONDS:
        raise TrackError(f"the track lasts {track.duration:.0f} s; the studio takes at most {MAX_TRACK_SECONDS} s")
    if track.n_frames > MAX_TRACK_FRAMES:
        raise TrackError(f"the track has {track.n_frames} frames; the studio takes at most {MAX_TRACK_FRAMES}")
    return track


def _check_video(track: AUTrack, audio: Path | None) -> None:
    """Refuse a video of more than MAX_VIDEO_FRAMES frames (a still with audio lasts as long as the audio)."""
    frames = track.n_frames
    if frames == 1 and audio is not None:
        frames = int(round(jobs.call("audio_info", audio).duration * track.fps))
    if frames > MAX_VIDEO_FRAMES:
        raise TrackError(f"the video would have {frames} frames; the studio renders at most {MAX_VIDEO_FRAMES} "
                         "(the facsynth command renders longer ones)")


async def _run(request: Request, work: Callable[[], _T]) -> _T:
    """``work()`` in a worker thread; when the client disconnects meanwhile, the work is cancelled (its video
    frame loop raises ``cancel.Cancelled`` and its temporary files are removed)."""
    event = threading.Event()

    def cancellable_work() -> _T:
        with cancellable(event):
            return work()

    task = asyncio.ensure_future(run_in_threadpool(cancellable_work))
    try:
        while not task.done():
            await asyncio.wait({task}, timeout=0.25)
            if not task.done() and not event.is_set() and await request.is_disconnected():
                event.set()
        return task.result()
    finally:
        event.set()


def _aus_json(aus: dict[int, float]) -> dict[str, float]:
    return {str(code): round(float(v), 3) for code, v in sorted(aus.items())}


def _aus_field(text: str) -> dict[int, float]:
    """A form field holding either a JSON object of AU intensities or an AU spec ("AU12=3,AU6=2")."""
    text = text.strip()
    if not text:
        return {}
    if text.startswith("{"):
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as e:
            raise AUSpecError(f"the AU field is not valid JSON: {e}") from None
        if not isinstance(obj, dict):
            raise AUSpecError("the AU field must be a JSON object of AU intensities")
        return _aus_from_mapping(obj)
    return facs.parse_au_spec(text)


def _track_from_body(body: TrackBody) -> AUTrack:
    if body.track is not None:
        return _bounded(track_from_json(body.track, source="track"))
    return AUTrack.still(_aus_from_mapping(body.aus or {}))


def _track_field(text: str | None, aus: str) -> AUTrack:
    if text and text.strip():
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as e:
            raise FormatError(f"the track field is not valid JSON: {e}") from None
        return _bounded(track_from_json(obj, source="track"))
    return AUTrack.still(_aus_field(aus))


def _track_json(track: AUTrack) -> dict:
    return track_to_json(track)


def _ramp(track: AUTrack) -> AUTrack:
    """A still expression as a short clip: neutral → expression over 1 s, then held 0.5 s, at 30 fps."""
    if track.n_frames > 1:
        return track
    n_ramp, n_hold = int(_MP4_RAMP_S * _MP4_FPS), int(_MP4_HOLD_S * _MP4_FPS)
    w = np.concatenate([np.linspace(0.0, 1.0, n_ramp), np.ones(n_hold)]).astype(np.float32)[:, None]
    return AUTrack(w * track.values, track.aus, _MP4_FPS, track.sides)


def _png_bytes(frame: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(frame, dtype=np.uint8)).save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def _save(upload: Upload, folder: Path, stem: str) -> Path:
    path = folder / f"{stem}{upload.suffix}"
    path.write_bytes(upload.data)
    return path


def _decode_image(upload: Upload, tmp_root: Path | None) -> np.ndarray:
    with request_dir(tmp_root) as d:
        return jobs.call("read_image", _save(upload, d, "photo"))


def _photo(request: Request, token: str | None) -> np.ndarray | None:
    if not token:
        return None
    try:
        return request.app.state.photos.get(token)
    except KeyError:
        raise NotFound("that photo is no longer held by the server; upload it again") from None


async def _image_upload(request: Request, image: UploadFile | None, what: str = "photo") -> Upload | None:
    if image is None:
        return None
    s = request.app.state.settings
    return await read_upload(image, accept=IMAGE_KINDS, limit=s.max_image_bytes, what=what)


async def _audio_upload(request: Request, audio: UploadFile | None) -> Upload | None:
    if audio is None:
        return None
    s = request.app.state.settings
    return await read_upload(audio, accept=AUDIO_KINDS, limit=s.max_audio_bytes, what="audio")


def _file_response(data: bytes, media_type: str, filename: str) -> Response:
    return Response(data, media_type=media_type,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _render(image: np.ndarray | None, track: AUTrack, fmt: str, audio: Upload | None, face_index: int,
            tmp_root: Path | None) -> bytes:
    """Render ``track`` on the photo ``image`` (or on the default face when None) to PNG or MP4 bytes."""
    if fmt == "png" and image is not None:
        frames = jobs.call("reexpress", image, track, face_index=face_index)
        return _png_bytes(next(iter(frames)))
    with request_dir(tmp_root) as d:
        out = d / f"render.{fmt}"
        audio_path = _save(audio, d, "audio") if audio is not None else None
        if fmt == "mp4":
            track = _ramp(track) if audio_path is None else track
            _check_video(track, audio_path)
        if image is not None:
            jobs.call("render_photo", image, track, out, audio=audio_path, face_index=face_index)
        elif fmt == "mp4":
            jobs.call("render_preview_video", track, out, audio=audio_path)
        else:
            jobs.call("render_preview", track, out)
        return out.read_bytes()


# ---------------------------------------------------------------- endpoints

@router.get("/health", summary="Which jobs this build can run")
def health(request: Request) -> dict:
    return {"status": "ok", "version": request.app.version, "jobs": jobs.available()}


@router.get("/catalogue", summary="The FACS catalogue: AUs with names and regions, and emotions")
def catalogue() -> dict:
    return {
        "aus": [{"code": au.code, "label": facs.au_label(au.code), "name": au.name, "muscle": au.muscle,
                 "region": au.region} for au in facs.CATALOGUE.values()],
        "default_aus": list(facs.OPENFACE_AUS),
        "emotions": list(facs.EMOTIONS),
        "max_intensity": facs.MAX_INTENSITY,
    }


@router.post("/parse", summary="Sentence → AU intensities")
def parse(body: ParseBody) -> dict:
    """Read the AUs a sentence describes: rule parser by default, or the learned encoder (``engine=learned``).

    The rule parser also names one-sided AUs (``sides``: AU → "L"/"R"/"U") and gives ``track``, a one-frame track
    that keeps them, for ``/edit``'s ``track`` field or ``/export``."""
    if body.engine == "learned":
        aus = jobs.call("parse_learned", [body.text])[0]
        words = jobs.call("explain", body.text)
        explain = {str(au): [[w, round(float(a), 3)] for w, a in ws] for au, ws in words.items()}
        return {"aus": _aus_json(aus), "spec": facs.format_au_spec(aus), "explain": explain}
    reading = jobs.call("parse", body.text)
    return {"aus": _aus_json(reading.aus), "spec": facs.format_au_spec(reading.aus),
            "sides": {str(au): side for au, side in reading.sides.items()}, "track": _track_json(reading.track())}


@router.post("/describe", summary="AU intensities → sentence")
def describe(body: DescribeBody) -> dict:
    aus = _aus_from_mapping(body.aus)
    sentence = jobs.call("describe", aus, protocol=body.protocol, gender=body.gender, emotion=body.emotion,
                         seed=body.seed)
    return {"sentence": sentence}


@router.post("/emotion", summary="Text → emotion → AUs, or an emotion's prototype AUs")
def emotion(body: EmotionBody) -> dict:
    if body.text is not None:
        result = jobs.call("emotion", body.text)
        track = jobs.call("emotion_track", body.text)
        return {"emotion": result.emotion, "intensity": round(float(result.intensity), 3),
                "scores": {k: round(float(v), 4) for k, v in result.scores.items()},
                "aus": _aus_json(track.mean())}
    if body.emotion is None:
        raise AUSpecError("give either text to classify or an emotion name")
    name = facs.canonical_emotion(body.emotion)
    return {"emotion": name, "intensity": body.intensity, "aus": _aus_json(facs.emotion_aus(name, body.intensity))}


@router.post("/photos", summary="Upload a photo once; later edits name it by the returned id")
async def upload_photo(request: Request, image: UploadFile = File(description="PNG, JPEG, WebP, BMP, GIF or TIFF")):
    upload = await _image_upload(request, image)
    array = await run_in_threadpool(_decode_image, upload, request.app.state.settings.tmp_root)
    token = request.app.state.photos.put(array, int(array.nbytes))
    return {"id": token, "width": int(array.shape[1]), "height": int(array.shape[0])}


@router.post("/edit", summary="Re-express a photo (or the default face) as PNG, or as an MP4 clip",
             response_class=Response,
             responses={200: {"content": {"image/png": {}, "video/mp4": {}}}})
async def edit(request: Request,
               image: UploadFile | None = File(None, description="the photo (or give photo)"),
               photo: str | None = Form(None, description="id of a photo uploaded to /api/photos"),
               aus: str = Form("", description='AU intensities as JSON {"12": 3} or a spec "AU12=3,AU6=2"'),
               track: str | None = Form(None, description="a multi-frame track as JSON (for MP4)"),
               fmt: Literal["png", "mp4"] = Form("png", alias="format"),
               face_index: int = Form(0, ge=0, le=64),
               audio: UploadFile | None = File(None, description="speech muxed into the MP4")) -> Response:
    """With neither image nor photo the default face mesh is rendered. A still expression becomes a 1.5 s MP4
    (neutral → expression, then held)."""
    settings = request.app.state.settings
    au_track = _track_field(track, aus)
    upload = await _image_upload(request, image)
    sound = await _audio_upload(request, audio)

    def work() -> bytes:
        picture = _decode_image(upload, settings.tmp_root) if upload is not None else _photo(request, photo)
        return _render(picture, au_track, fmt, sound, face_index, settings.tmp_root)

    data = await _run(request, work)
    media = "image/png" if fmt == "png" else "video/mp4"
    return _file_response(data, media, f"facsynth.{fmt}")


@router.post("/speak", summary="Speech audio → AU track (and a talking MP4)")
async def speak(request: Request,
                audio: UploadFile = File(description="WAV, FLAC, Ogg or MP3 speech"),
                transcript: str | None = Form(None, max_length=20_000),
                model: Literal["default", "lstm", "blstm"] = Form("default", description="learned models need "
                                                                      "weights the studio does not take (501)"),
                video: bool = Form(True, description="also render the talking face as MP4"),
                photo: str | None = Form(None, description="id of a photo uploaded to /api/photos"),
                image: UploadFile | None = File(None, description="or the photo itself")) -> dict:
    settings = request.app.state.settings
    sound = await _audio_upload(request, audio)
    upload = await _image_upload(request, image)

    def work() -> tuple[AUTrack, bytes | None, str | None]:
        picture = _decode_image(upload, settings.tmp_root) if upload is not None else _photo(request, photo)
        with request_dir(settings.tmp_root) as d:
            path = _save(sound, d, "speech")
            seconds = jobs.call("audio_info", path).duration
            if seconds > MAX_TRACK_SECONDS:
                raise TrackError(f"the audio lasts {seconds:.0f} s; the studio takes at most {MAX_TRACK_SECONDS} s")
            result = jobs.call("speak", path, transcript=(transcript or None), model=model)
        if not video:
            return result, None, None
        try:
            return result, _render(picture, result, "mp4", sound, 0, settings.tmp_root), None
        except (jobs.JobUnavailable, TrackError) as e:  # the track is still worth having without its video
            return result, None, str(e)

    result, clip, why = await _run(request, work)
    out = {"track": _track_json(result), "mean": _aus_json(result.mean()), "video": None}
    if why:
        out["video_error"] = why
    if clip is not None:
        token = request.app.state.results.put((clip, "video/mp4", "facsynth-speech.mp4"), len(clip))
        out["video"] = f"/api/results/{token}"
    return out


@router.post("/mesh", summary="AUs or a track → glTF 2.0 binary face mesh with one morph target per AU",
             response_class=Response, responses={200: {"content": {"model/gltf-binary": {}}}})
def mesh(body: TrackBody, request: Request) -> Response:
    return export("glb", body, request)


@router.post("/export/{kind}", summary="AUs or a track → file in any format facsynth writes (docs/formats.md)",
             response_class=Response)
def export(kind: ExportKind, body: TrackBody, request: Request) -> Response:
    fmt = EXPORTS[kind]
    au_track = _track_from_body(body)
    with request_dir(request.app.state.settings.tmp_root) as d:
        out = d / f"facsynth{fmt.suffix}"
        options = {}
        if fmt.needs_mesh:
            person = {}
            if body.photo:
                path = d / "photo.png"
                path.write_bytes(_png_bytes(_photo(request, body.photo)))
                person = jobs.call("mesh_person", path, body.face_index)
            options["mesh"] = jobs.call("face_mesh", person.get("neutral"), person.get("texture"), person.get("uv"))
        fmt.write(au_track, out, **options)
        data = out.read_bytes()
    return _file_response(data, fmt.media_type, out.name)


@router.post("/analyze", summary="A photo or video → the AU intensities it shows (against a neutral photo if given)")
async def analyze(request: Request,
                  image: UploadFile = File(description="a photo of a face, or a video (MP4, WebM, AVI)"),
                  neutral: UploadFile | None = File(None, description="the same person's neutral face")) -> dict:
    """Without ``neutral`` a video is measured against its median face and a photo against the default face."""
    settings = request.app.state.settings
    upload = await read_upload(image, accept={**IMAGE_KINDS, **VIDEO_KINDS},
                               limit=max(settings.max_image_bytes, settings.max_audio_bytes), what="photo or video")
    reference = await _image_upload(request, neutral, what="neutral photo")

    def work() -> AUTrack:
        with request_dir(settings.tmp_root) as d:
            base = _save(reference, d, "neutral") if reference is not None else None
            return jobs.call("analyze_file", _save(upload, d, "face"), neutral=base,
                             render=jobs.load("expression_renderer"))

    result = await _run(request, work)
    return {"aus": _aus_json(result.mean()), "track": _track_json(result)}


@router.get("/results/{token}", summary="Download a result kept by an earlier request (e.g. a speech MP4)",
            response_class=Response)
def result(token: str, request: Request) -> Response:
    try:
        data, media, name = request.app.state.results.get(token)
    except KeyError:
        raise NotFound("that result is unknown or has expired") from None
    return _file_response(data, media, name)

