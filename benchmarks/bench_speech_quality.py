"""Speech quality gate: mouth opening predicted from GRID audio vs measured on the GRID video with MediaPipe.

Video side: per frame, inner-lip gap (landmarks 13–14) over outer eye-corner distance (33–263), MediaPipe
FaceMesh on the decoded .mpg frames. Track side: the same ratio on the default face deformed by the predicted AU
track through the face model (``facsynth.face.model.deform``); without the face model, a fixed linear proxy
``ratio = 0.018·AU25 + 0.030·AU26 + 0.045·AU27``. Reports Pearson r and CCC per clip and their mean, with and without the transcript, and the
loudness-envelope baseline (RMS in dB, 25 fps); and the agreement (CCC) of the mouth opening from recognised phones
with the one from the transcript's alignment on the 20 transcribed utterances of ../shared/data/speech. Needs
../shared/data/talking and ../shared/data/speech.
"""

from __future__ import annotations

import functools
import subprocess
import tempfile
from pathlib import Path

import numpy as np

TALKING = Path(__file__).resolve().parents[2] / "shared" / "data" / "talking"
SPEECH = TALKING.parent / "speech"
_PROXY = {25: 0.018, 26: 0.030, 27: 0.045}


def pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation of two equal-length series."""
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / (np.sqrt((a * a).sum() * (b * b).sum()) + 1e-12))


def ccc(a: np.ndarray, b: np.ndarray) -> float:
    """Lin's concordance correlation coefficient."""
    cov = ((a - a.mean()) * (b - b.mean())).mean()
    return float(2 * cov / (a.var() + b.var() + (a.mean() - b.mean()) ** 2 + 1e-12))


def _ffmpeg() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def extract_wav(video: Path, out: Path) -> Path:
    """The sound of ``video`` as 16 kHz mono wav at ``out``."""
    subprocess.run([_ffmpeg(), "-loglevel", "error", "-y", "-i", str(video), "-vn", "-ac", "1", "-ar", "16000",
                    str(out)], check=True)
    return out


def video_frames(video: Path) -> tuple[np.ndarray, float]:
    """All frames of ``video`` as (n, H, W, 3) uint8 RGB, and the frame rate."""
    import imageio_ffmpeg

    reader = imageio_ffmpeg.read_frames(str(video), pix_fmt="rgb24")
    meta = next(reader)
    w, h = meta["size"]
    frames = np.stack([np.frombuffer(f, np.uint8).reshape(h, w, 3) for f in reader])
    return frames, float(meta["fps"])


def opening_ratio(landmarks: np.ndarray) -> float:
    """Mouth opening of one face: inner-lip gap (MediaPipe points 13–14) over outer eye-corner distance (33–263).

    landmarks : np.ndarray [shape=(478, 2+)], pixels (or any frame: the ratio has no unit)
    """
    lm = np.asarray(landmarks, np.float64)[:, :2]
    return float(np.linalg.norm(lm[13] - lm[14]) / np.linalg.norm(lm[33] - lm[263]))


@functools.lru_cache(maxsize=None)
def measured_opening(video: Path) -> tuple[np.ndarray, float]:
    """Inner-lip gap / eye-corner distance per video frame (MediaPipe FaceMesh), and the video frame rate."""
    import mediapipe as mp

    frames, fps = video_frames(video)
    out = []
    with mp.solutions.face_mesh.FaceMesh(static_image_mode=False, max_num_faces=1, refine_landmarks=True) as fm:
        for f in frames:
            res = fm.process(f)
            if not res.multi_face_landmarks:
                out.append(np.nan)
                continue
            lm = np.array([(p.x * f.shape[1], p.y * f.shape[0]) for p in res.multi_face_landmarks[0].landmark])
            out.append(opening_ratio(lm))
    y = np.array(out)
    ok = np.isfinite(y)
    y[~ok] = np.interp(np.flatnonzero(~ok), np.flatnonzero(ok), y[ok])
    return y, fps


def predicted_opening(track) -> np.ndarray:
    """Mouth-opening ratio per frame of an AU track: the default face deformed by the face model's muscle basis
    (``facsynth.face.model.deform``), inner-lip gap over outer eye-corner distance as on the video; the linear
    proxy when the face model is not available."""
    try:
        from facsynth.face.model import default_face, deform
    except ImportError:
        return sum(w * track.curve(a) for a, w in _PROXY.items())
    neutral = default_face().vertices
    verts = deform(neutral, track)
    eye = np.linalg.norm(neutral[33] - neutral[263])
    return np.linalg.norm(verts[:, 13, :2] - verts[:, 14, :2], axis=-1) / eye


def loudness_envelope(wav: Path, n: int, fps: float) -> np.ndarray:
    """RMS loudness in dB per video frame: the baseline every lip-sync method must beat."""
    from facsynth.speech.audio import load_audio
    from facsynth.speech.features import energy_db

    e = energy_db(load_audio(wav))
    return np.interp(np.arange(n) / fps, np.arange(len(e)) / 100.0, e)


def evaluate(transcripts: bool) -> list[tuple[str, float, float]]:
    """(clip, Pearson r, CCC) for each GRID clip, default model, with or without the transcript."""
    from facsynth.speech import speak

    texts = dict(line.split("\t") for line in (TALKING / "transcripts.tsv").read_text().splitlines()[1:])
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for video in sorted(TALKING.glob("*.mpg")):
            truth, fps = measured_opening(video)
            wav = extract_wav(video, Path(d) / f"{video.stem}.wav")
            track = speak(wav, transcript=texts[video.name].strip() if transcripts else None, fps=fps)
            pred = predicted_opening(track)
            n = min(len(pred), len(truth))
            rows.append((video.stem, pearson(pred[:n], truth[:n]), ccc(pred[:n], truth[:n])))
    return rows


def agreement_with_alignment() -> list[tuple[str, float]]:
    """(utterance, CCC) of the mouth opening from recognised phones against the one from the transcript's forced
    alignment, for the transcribed utterances of ../shared/data/speech: how much lip sync phone recognition loses
    where the phones are known, on more speakers than GRID's four clips."""
    from facsynth.speech import speak

    rows = [line.split("\t") for line in (SPEECH / "transcripts.tsv").read_text().splitlines()[1:]]
    out = []
    for name, text in rows:
        aligned = predicted_opening(speak(SPEECH / name, transcript=text.strip()))
        recognised = predicted_opening(speak(SPEECH / name, transcript=""))
        out.append((name, ccc(recognised, aligned)))
    return out


def baseline() -> list[tuple[str, float]]:
    """(clip, Pearson r) of the loudness envelope against the measured mouth opening."""
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for video in sorted(TALKING.glob("*.mpg")):
            truth, fps = measured_opening(video)
            wav = extract_wav(video, Path(d) / f"{video.stem}.wav")
            rows.append((video.stem, pearson(loudness_envelope(wav, len(truth), fps), truth)))
    return rows


def run():
    out = []
    for label, with_text in (("with transcript", True), ("recognised phones", False)):
        rows = evaluate(with_text)
        for clip, r, c in rows:
            out.append((f"mouth opening {clip}, {label}: Pearson", r, "r", "-"))
            out.append((f"mouth opening {clip}, {label}: CCC", c, "CCC", "-"))
        out.append((f"mouth opening mean, {label}: Pearson", np.mean([r for _, r, _ in rows]), "r", ">= 0.65"))
        out.append((f"mouth opening mean, {label}: CCC", np.mean([c for _, _, c in rows]), "CCC", "> 0.41"))
    agree = agreement_with_alignment()
    out.append((f"mouth opening, recognised vs aligned phones ({len(agree)} utterances): mean CCC",
                np.mean([c for _, c in agree]), "CCC", "-"))
    base = baseline()
    out.append(("loudness-envelope baseline, mean Pearson", np.mean([r for _, r in base]), "r", "~0.39"))
    return out
