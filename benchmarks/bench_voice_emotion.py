"""Voice emotion sanity check (not an evaluation): speech in synthetic "acted" styles → ``facsynth speak`` →
do the upper/middle-face AUs land nearest the intended emotion's prototype?

No emotional speech corpus is available here, so the clips are made at run time in a temporary folder, never
committed:
  - WORLD (pyworld, a dev dependency) re-synthesis of the real neutral utterances of ../shared/data/speech with each
    style's F0 level and range, tempo, level, spectral tilt, breathiness and F0 perturbation changed in the
    direction and rough size that Murray & Arnott (1993) and Juslin & Laukka (2003) report for acted emotions;
  - espeak-ng (if installed) speaking two neutral sentences in the same styles through SSML prosody
    (pitch, range, rate, volume) and voice variants.
The styles follow the same literature as the estimator's profiles, so this checks the chain (cue extraction
through real signal processing, the mapping to faces), not how well real acted emotion is recognised.
Every clip runs through ``facsynth.speech.speak`` without a transcript (no text emotion), population norms, one
setting for all clips. Prints the confusion matrices (intended × detected) and returns the shares.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import warnings
from pathlib import Path

import numpy as np

SPEECH = Path(__file__).resolve().parents[2] / "shared" / "data" / "speech"
FACES = SPEECH.parent / "faces"
SHEET = Path(__file__).resolve().parents[1] / "docs" / "img" / "voice_faces.png"

#: Intended style → (F0 shift in semitones, F0 range factor, tempo factor, gain dB, tilt dB/octave,
#: breathiness 0–1, F0 perturbation in percent). Directions and rough sizes after Murray & Arnott 1993 (Table 1)
#: and Juslin & Laukka 2003 (Table 7).
STYLES: dict[str, tuple[float, float, float, float, float, float, float]] = {
    "neutral":   (0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0),
    "happiness": (3.5, 1.5, 1.1, 3.0, 1.0, 0.0, 0.0),
    "sadness":   (-1.5, 0.6, 0.8, -6.0, -2.5, 0.4, 1.0),
    "surprise":  (3.5, 2.0, 1.0, 2.0, 0.5, 0.0, 0.0),
    "fear":      (6.0, 0.9, 1.3, 1.0, 1.0, 0.2, 2.0),
    "anger":     (4.0, 1.6, 1.15, 8.0, 3.0, 0.0, 1.0),
    "disgust":   (-2.5, 1.2, 0.7, -3.0, -1.0, 0.0, 0.0),
}
#: The same styles for espeak-ng: SSML prosody (pitch %, range keyword, rate %, volume keyword) and a voice variant.
ESPEAK_STYLES: dict[str, tuple[str, str, str, str, str]] = {
    "neutral":   ("+0%", "medium", "100%", "medium", ""),
    "happiness": ("+25%", "high", "115%", "loud", ""),
    "sadness":   ("-10%", "x-low", "75%", "soft", "+whisper"),
    "surprise":  ("+25%", "x-high", "100%", "medium", ""),
    "fear":      ("+45%", "medium", "140%", "medium", "+croak"),
    "anger":     ("+30%", "high", "115%", "x-loud", "+rasp"),
    "disgust":   ("-20%", "high", "65%", "soft", ""),
}
ESPEAK_SENTENCES = ("Kids are talking by the door.", "The bag is lying on the table.")
ESPEAK_VOICES = ("en-us", "en-us+f3", "en-gb", "en-us+m3")


def world_analysis(samples: np.ndarray, sr: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """WORLD's F0 (DIO + StoneMask), spectral envelope (CheapTrick) and aperiodicity (D4C) at 5 ms frames, of
    ``samples`` brought to a common level (peak −10 dBFS, headroom for the loud styles)."""
    import pyworld as pw

    x = samples.astype(np.float64)
    x = x * 0.3 / max(np.abs(x).max(), 1e-6)
    f0, t = pw.dio(x, sr, frame_period=5.0)
    f0 = pw.stonemask(x, f0, t, sr)
    return f0, pw.cheaptrick(x, f0, t, sr), pw.d4c(x, f0, t, sr)


def world_style(analysis: tuple, sr: int, style: tuple, seed: int = 0) -> np.ndarray:
    """Re-synthesise a ``world_analysis`` with one style's changes (see STYLES); returns float32 samples."""
    import pyworld as pw

    f0, sp, ap = (a.copy() for a in analysis)
    shift, spread, tempo, gain, tilt, breath, jitter = style
    voiced = f0 > 0
    if voiced.any():
        lf = np.log(f0[voiced])
        mean = lf.mean()
        lf = mean + shift * np.log(2) / 12 + spread * (lf - mean)
        lf = lf + np.random.default_rng(seed).normal(0.0, jitter / 100.0, len(lf))
        f0[voiced] = np.exp(lf)
    freqs = np.linspace(0, sr / 2, sp.shape[1])
    octaves = np.log2(np.maximum(freqs, 62.5) / 1000.0)
    sp = sp * 10 ** (tilt * octaves / 10)[None, :]
    ap = np.clip(ap + breath * (1 - ap) * (freqs > 1500)[None, :] * 0.9, 0, 1)
    y = pw.synthesize(f0, np.ascontiguousarray(sp), np.ascontiguousarray(ap), sr, frame_period=5.0 / tempo)
    y = y * 10 ** (gain / 20)
    peak = np.abs(y).max()
    if peak > 0.99:  # keep within full scale (a loud style stays louder than the source, not clipped)
        y = y * 0.99 / peak
    return y.astype(np.float32)


def _world_clips(folder: Path) -> list[tuple[Path, str, str, str]]:
    import soundfile as sf

    from facsynth.speech.audio import SR, load_audio

    clips = []
    for i, wav in enumerate(sorted(SPEECH.rglob("*.wav"))):
        y, sr = load_audio(wav), SR
        analysis = world_analysis(y, sr)
        for emo, style in STYLES.items():
            out = folder / f"world_{i:02d}_{emo}.wav"
            sf.write(out, world_style(analysis, sr, style, seed=i), sr)
            clips.append((out, emo, _speaker(wav.stem), wav.stem))
    return clips


def _speaker(stem: str) -> str:
    """Speaker of a ../shared/data/speech utterance, from its file name (ARCTIC voice, corpus otherwise)."""
    for key in ("aew", "axb", "arctic", "cards", "sense_and_sensibility", "goforward"):
        if key in stem:
            return key
    return stem


def _espeak_clips(folder: Path) -> list[tuple[Path, str, str, str]]:
    exe = shutil.which("espeak-ng")
    if exe is None:
        return []
    clips = []
    for v, voice in enumerate(ESPEAK_VOICES):
        for s, sentence in enumerate(ESPEAK_SENTENCES):
            for emo, (pitch, rng, rate, volume, variant) in ESPEAK_STYLES.items():
                ssml = (f'<speak><prosody pitch="{pitch}" range="{rng}" rate="{rate}" volume="{volume}">'
                        f"{sentence}</prosody></speak>")
                out = folder / f"espeak_{v}_{s}_{emo}.wav"
                subprocess.run([exe, "-m", "-v", voice + variant, "-w", str(out), ssml], check=True,
                               capture_output=True)
                clips.append((out, emo, f"espeak {voice}", str(s)))
    return clips


def nearest_prototype(mean_aus: dict[int, float], emotions) -> str:
    """The emotion whose EMFACS prototype (intensity 3), restricted to upper/middle-face AUs (blinks excluded), is
    nearest (Euclidean) to ``mean_aus`` on those AUs."""
    from facsynth.facs import EMOTION_PROTOTYPES, region_of

    aus = sorted({a for e in emotions for a in EMOTION_PROTOTYPES[e] if region_of(a) != "lower"} | {1, 2, 4, 5, 6,
                                                                                                    7, 9, 10})
    vec = np.array([mean_aus.get(a, 0.0) for a in aus])
    dist = {e: np.linalg.norm(vec - np.array([EMOTION_PROTOTYPES[e].get(a, 0.0) for a in aus])) for e in emotions}
    return min(dist, key=dist.get)


def _confusion(pairs, labels) -> np.ndarray:
    m = np.zeros((len(labels), len(labels)), int)
    for truth, got in pairs:
        m[labels.index(truth), labels.index(got)] += 1
    return m


def print_confusion(title: str, m: np.ndarray, labels) -> None:
    """Print an intended × detected count matrix with row labels."""
    short = [e[:4] for e in labels]
    print(f"  {title} (rows intended, columns detected)")
    print("  " + " " * 10 + " ".join(f"{s:>5}" for s in short))
    for e, row in zip(labels, m):
        print(f"  {e:<10}" + " ".join(f"{v:>5d}" for v in row))


def _baselines(clips) -> dict[Path, Path]:
    """For each clip, the neutral clip of the same speaker and another sentence (the speaker's own neutral
    recording); clips of speakers with one sentence only get none."""
    neutral = [(p, spk, utt) for p, emo, spk, utt in clips if emo == "neutral"]
    out = {}
    for path, _, spk, utt in clips:
        other = [p for p, s, u in neutral if s == spk and u != utt]
        if other:
            out[path] = other[0]
    return out


def upper_face(track) -> dict[int, float]:
    """A clip's mean upper- and middle-face AUs (blinks and eye closure left out): what the face check judges."""
    from facsynth.facs import region_of

    return {a: v for a, v in track.mean().items() if region_of(a) != "lower" and a not in (43, 45)}


def write_face_sheet(clips, path: Path = SHEET, utterances: int = 2) -> Path:
    """Render each style's mean upper/middle-face AUs (the face check's input) for the first ``utterances``
    utterances of ``clips`` on Grace Hopper's and a GRID speaker's photos: one row per utterance and photo, one
    column per intended style, each labelled with the emotion the voice was read as. Writes ``path`` (PNG)."""
    from facsynth.formats.image import read_image, write_image
    from facsynth.render.photo import render_frame, rig_photo
    from facsynth.render.sheet import contact_sheet, face_crop
    from facsynth.speech import speak_with_emotion
    from facsynth.speech.voice_emotion import summarise

    photos = [read_image(FACES / "grace_hopper_512x512.jpg"), read_image(FACES / "grid_bbaf2n_rest.png")]
    rigs = [rig_photo(p) for p in photos]
    stems = list(dict.fromkeys(stem for _, _, _, stem in clips))[:utterances]
    rows, labels, titles = [], [], []
    for stem in stems:
        faces = []
        for clip, emo, _, s in clips:
            if s == stem:
                track, segments = speak_with_emotion(clip, transcript="")
                faces.append((emo, summarise(segments)["emotion"], upper_face(track)))
        for photo, rig in zip(photos, rigs):
            rows.append([face_crop(render_frame(photo, rig, aus), rig.face.box, 160) for _, _, aus in faces])
            labels.append([f"{emo[:4]} > {heard[:4]}" for emo, heard, _ in faces])
            titles.append(stem[:18])
    sheet = contact_sheet(rows, labels, titles, title="voice only (no transcript): intended style > emotion heard; "
                                                     "mean upper/middle-face AUs of the track")
    return write_image(sheet, path)


def evaluate(clips, with_baseline: bool = False) -> dict:
    """Run ``speak`` (no transcript) on every clip, against population norms or, ``with_baseline``, against the
    speaker's neutral recording of another sentence (clips without one are left out); returns the (intended,
    detected) pairs for the voice's emotion and for the face (nearest prototype of the mean AUs)."""
    from facsynth.speech import speak_with_emotion
    from facsynth.speech.voice_emotion import VOICE_EMOTIONS, summarise

    baselines = _baselines(clips) if with_baseline else {}
    voice, face = [], []
    for path, emo, _, _ in clips:
        if with_baseline and path not in baselines:
            continue
        track, segments = speak_with_emotion(path, transcript="", voice_baseline=baselines.get(path))
        mean = upper_face(track)
        voice.append((emo, summarise(segments)["emotion"]))
        face.append((emo, nearest_prototype(mean, VOICE_EMOTIONS)))
    return {"voice": voice, "face": face}


def run():
    from facsynth.speech.voice_emotion import VOICE_EMOTIONS

    warnings.simplefilter("ignore")
    labels = list(VOICE_EMOTIONS)
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        sources = {}
        try:
            sources["WORLD re-synthesis of the 20 neutral utterances"] = _world_clips(Path(tmp))
        except ImportError:
            print("  (pyworld not installed: no WORLD clips)")
        espeak = _espeak_clips(Path(tmp))
        if espeak:
            sources["espeak-ng, 4 voices x 2 sentences"] = espeak
        else:
            print("  (espeak-ng not installed: no espeak clips)")
        world = sources.get("WORLD re-synthesis of the 20 neutral utterances")
        if world:
            write_face_sheet(world)
            out.append(("face sheet docs/img/voice_faces.png", SHEET.stat().st_size / 2 ** 20, "MB", "-"))
        for name, clips in sources.items():
            for with_baseline in (False, True):
                res = evaluate(clips, with_baseline)
                how = "speaker's own neutral baseline" if with_baseline else "population norms"
                for kind in ("voice", "face"):
                    m = _confusion(res[kind], labels)
                    print_confusion(f"{name}, {how}: {kind} ({m.sum()} clips)", m, labels)
                    what = "voice emotion right" if kind == "voice" else "face nearest right prototype"
                    out.append((f"{name.split(',')[0].split(' of')[0]}, {how.split()[0]}: {what}",
                                100 * float(np.trace(m) / m.sum()), "%", ">= 40 (chance 14)"))
    return out


if __name__ == "__main__":
    for row in run():
        print(row)
