"""Emotion from the voice: cues measured on made signals, the prosody estimator's direction (aroused vs subdued
voices, neutral read speech stays neutral), the face it gives, the corpus layouts, the trainable classifier (learns
vs. its untrained self in the same run) and the CLI (--emotion-from, --json, --voice-model, bad input)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from facsynth.speech.voice_cues import CUES, formant_spacing, frame_cues, window_cues
from facsynth.speech.voice_emotion import (PROFILES, VOICE_EMOTIONS, EmotionSegment, VoiceSettings, emotion_curves,
                                           estimate_segments, profile_probabilities, summarise)

SR = 16000


def synth_voice(f0: float = 120.0, spread: float = 4.0, rate: float = 4.0, level_db: float = -20.0,
                tilt: float = 1.0, breath: float = 0.02, spacing: float = 1000.0, seconds: float = 2.5,
                seed: int = 0) -> np.ndarray:
    """A voice-like signal: harmonics of an F0 contour (mean ``f0`` Hz, ± ``spread``/2 semitones), amplitude k^-tilt
    shaped by formants at (2i − 1)/2 · ``spacing`` Hz (a vocal tract of that length), syllable-like bursts ``rate``
    per second, breath noise, peak level ``level_db`` dBFS. float32 mono 16 kHz."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * SR)) / SR
    contour = f0 * 2 ** (spread / 2 * np.sin(2 * np.pi * 0.6 * t + rng.uniform(0, 6)) / 12)
    contour *= 1 + 0.004 * rng.standard_normal(len(t)).cumsum() / np.sqrt(np.arange(1, len(t) + 1))
    phase = 2 * np.pi * np.cumsum(contour) / SR
    formants = (2 * np.arange(1, 6) - 1) / 2 * spacing
    y = np.zeros(len(t))
    for k in range(1, 40):
        fk = k * contour
        gain = 0.03 + sum(1 / (1 + ((fk - f) / 90.0) ** 2) for f in formants)
        y += (fk < 5000) * gain * np.sin(k * phase) / k ** tilt
    syll = np.clip(np.sin(np.pi * rate * t + rng.uniform(0, 1)), 0, None) ** 0.6
    y = y * syll + breath * rng.standard_normal(len(t)) * syll
    return (y / np.abs(y).max() * 10 ** (level_db / 20)).astype(np.float32)


# Made voices in the directions the literature gives (Murray & Arnott 1993): aroused = high, wide, loud, fast, bright.
ANGRY = dict(f0=190.0, spread=9.0, rate=5.5, level_db=-3.0, tilt=0.6, breath=0.02)
CALM = dict(f0=115.0, spread=4.0, rate=4.0, level_db=-12.0, tilt=1.0, breath=0.02)
SAD = dict(f0=100.0, spread=1.5, rate=2.5, level_db=-24.0, tilt=1.7, breath=0.06)


def test_cues_follow_the_signal():
    low, high = (window_cues(frame_cues(synth_voice(f0=f, seed=1))) for f in (110.0, 220.0))
    i = CUES.index("f0_level")
    assert abs((high[i] - low[i]) - 12.0) < 1.0  # an octave is 12 semitones
    narrow, wide = (window_cues(frame_cues(synth_voice(spread=s, seed=2))) for s in (1.0, 8.0))
    assert wide[CUES.index("f0_range")] > narrow[CUES.index("f0_range")] + 3
    dull, bright = (window_cues(frame_cues(synth_voice(tilt=t, seed=3))) for t in (2.0, 0.5))
    assert bright[CUES.index("tilt")] > dull[CUES.index("tilt")] + 6
    slow, fast = (window_cues(frame_cues(synth_voice(rate=r, seconds=4, seed=4))) for r in (2.0, 5.0))
    assert fast[CUES.index("rate")] > slow[CUES.index("rate")] + 1.5
    clean, noisy = (window_cues(frame_cues(synth_voice(breath=b, seed=5))) for b in (0.0, 0.3))
    assert clean[CUES.index("hnr")] > noisy[CUES.index("hnr")] + 3
    short, long_ = (formant_spacing(y, frame_cues(y)) for y in (synth_voice(spacing=1000.0, seed=6),
                                                                synth_voice(spacing=1200.0, seed=6)))
    assert abs(short - 1000) < 80 and abs(long_ - 1200) < 80
    silence = window_cues(frame_cues(np.zeros(SR, np.float32)))
    assert np.isnan(silence[CUES.index("f0_level")])


def test_profiles_classify_their_own_points_and_neutral_is_the_origin():
    for name, point in PROFILES.items():
        p = profile_probabilities(point.astype(float))
        assert VOICE_EMOTIONS[int(p.argmax())] == name
    assert VOICE_EMOTIONS[int(profile_probabilities(np.full(len(CUES), np.nan)).argmax())] == "neutral"


def _mean_probs(y, **kw):
    segs = estimate_segments(y, **kw)
    return summarise(segs), segs


def test_aroused_voice_reads_aroused_and_subdued_voice_subdued():
    angry, _ = _mean_probs(synth_voice(**ANGRY, seed=6))
    calm, _ = _mean_probs(synth_voice(**CALM, seed=6))
    sad, _ = _mean_probs(synth_voice(**SAD, seed=6))
    assert angry["arousal"] > calm["arousal"] + 0.3 > sad["arousal"] + 0.6
    high = sum(angry["probabilities"][e] for e in ("anger", "fear", "happiness", "surprise"))
    low = sum(sad["probabilities"][e] for e in ("sadness", "disgust"))
    assert high > 0.7 and low > 0.5
    assert calm["probabilities"]["neutral"] > max(angry["probabilities"]["neutral"], sad["probabilities"]["neutral"])


def test_speaker_baseline_removes_a_high_natural_pitch():
    """A high-pitched speaker talking calmly: against population norms the pitch reads as aroused; against their
    own neutral recording it does not."""
    from facsynth.speech.voice_emotion import baseline_cues

    voice = dict(CALM, f0=250.0)
    y = synth_voice(**voice, seed=7)
    own = baseline_cues(synth_voice(**voice, seed=8))
    plain, _ = _mean_probs(y)
    relative, _ = _mean_probs(y, settings=VoiceSettings(baseline=own))
    assert relative["probabilities"]["neutral"] > 0.6
    assert relative["arousal"] < plain["arousal"] - 0.2


def test_neutral_read_speech_stays_near_neutral(shared_data):
    from facsynth.speech.audio import load_audio
    from facsynth.speech.rules import SPEECH_AUS

    files = sorted((shared_data / "speech" / "arctic").glob("*.wav"))[:6]
    means = []
    for f in files:
        y = load_audio(f)
        segs = estimate_segments(y)
        assert summarise(segs)["emotion"] == "neutral", f.name
        curves = emotion_curves(segs, SPEECH_AUS, np.arange(0, len(y) / SR, 0.01))
        means.append(curves.mean(0).max())
    assert np.mean(means) < 0.5  # no upper-face AU above trace level on average


def test_emotion_curves_show_the_segment_emotion_visibly():
    from facsynth.speech.rules import SPEECH_AUS

    probs = dict.fromkeys(VOICE_EMOTIONS, 0.0)
    angry = EmotionSegment(0.0, 2.0, {**probs, "anger": 0.9, "neutral": 0.1}, 0.8, -0.6)
    sad = EmotionSegment(2.0, 4.0, {**probs, "sadness": 0.9, "neutral": 0.1}, -0.6, -0.7)
    neutral = EmotionSegment(4.0, 6.0, {**probs, "neutral": 0.9, "anger": 0.1}, 0.0, 0.0)
    t = np.array([1.0, 3.0, 5.0])
    c = emotion_curves([angry, sad, neutral], SPEECH_AUS, t)
    col = {a: SPEECH_AUS.index(a) for a in (1, 4, 5, 7, 25, 26)}
    assert c[0, col[4]] >= 3.0 and c[0, col[5]] >= 2.5  # lowered brows, a glare: visible (≥ C)
    assert c[0, col[7]] >= 2.0  # tensed lower lids (anger's lips are left to the speech)
    assert c[1, col[1]] >= 2.5 and c[1, col[4]] >= 1.5  # raised inner brows
    assert c[2].max() == 0.0  # a mostly neutral segment leaves the face still
    assert c[:, [col[25], col[26]]].max() == 0.0  # the voice's emotion never drives the jaw


# ------------------------------------------------------------------ corpus layouts


def _write(path, seconds=0.3):
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, synth_voice(seconds=seconds), SR)


def test_corpus_layouts_parse_their_file_names(tmp_path):
    from facsynth.errors import FormatError
    from facsynth.train.voice_emotion_data import find_clips, parse_clip_name

    names = {
        "ravdess/Actor_12/03-01-05-02-01-01-12.wav": ("anger", "ravdess-12", "ravdess"),
        "ravdess/Actor_03/03-01-02-01-02-02-03.wav": ("neutral", "ravdess-03", "ravdess"),  # calm → neutral
        "ravdess/Actor_03/03-01-08-01-02-02-03.wav": ("surprise", "ravdess-03", "ravdess"),
        "crema/AudioWAV/1001_DFA_ANG_XX.wav": ("anger", "crema-1001", "crema-d"),
        "crema/AudioWAV/1091_TSI_SAD_HI.wav": ("sadness", "crema-1091", "crema-d"),
        "tess/OAF_Fear/OAF_back_fear.wav": ("fear", "tess-OAF", "tess"),
        "tess/YAF_pleasant_surprised/YAF_dog_ps.wav": ("surprise", "tess-YAF", "tess"),
        "tess/YAF_happy/YAF_bite_happy.wav": ("happiness", "tess-YAF", "tess"),
    }
    for rel in names:
        _write(tmp_path / rel)
    _write(tmp_path / "ravdess/Actor_12/03-02-05-02-01-01-12.wav")  # song: not speech
    _write(tmp_path / "other/hello.wav")
    (tmp_path / "tess/readme_angry.txt").write_text("x")
    clips = find_clips(tmp_path)
    got = {c.path.relative_to(tmp_path).as_posix(): (c.emotion, c.speaker, c.corpus) for c in clips}
    assert got == names
    assert parse_clip_name("01-01-05-01-01-01-01") == ("anger", "ravdess-01", "ravdess")  # audio-video speech
    assert parse_clip_name("03-01-09-01-01-01-01") is None
    with pytest.raises(FormatError):
        find_clips(tmp_path / "other")
    with pytest.raises(FormatError):
        find_clips(tmp_path / "missing")


# ------------------------------------------------------------------ trainable classifier

STYLES = {"anger": ANGRY, "neutral": CALM, "sadness": SAD,
          "happiness": dict(f0=170.0, spread=7.0, rate=4.5, level_db=-8.0, tilt=1.0, breath=0.01)}


def _synthetic_corpus(speakers=4, per_class=3):
    """ClipFeatures of made voices: each speaker shifts every style's pitch and level a little."""
    from facsynth.speech.voice_classifier import clip_windows
    from facsynth.train.voice_emotion_loop import ClipFeatures

    rng = np.random.default_rng(0)
    data = []
    for s in range(speakers):
        shift, gain = 2 ** (rng.normal(0, 1.5) / 12), rng.normal(0, 2)
        for emo, style in STYLES.items():
            for k in range(per_class):
                st = dict(style, f0=style["f0"] * shift, level_db=min(-1.0, style["level_db"] + gain))
                data.append(ClipFeatures(clip_windows(synth_voice(**st, seconds=2.0, seed=100 * s + k)), emo,
                                         f"spk{s}"))
    return data


def test_classifier_learns_synthetic_styles_and_speak_uses_it(tmp_path, cli, train_seed):
    from facsynth.speech.voice_classifier import load_voice_model
    from facsynth.train.voice_emotion_loop import VoiceTrainConfig, train_voice_emotion

    data = _synthetic_corpus()
    cfg = VoiceTrainConfig(hidden=16, epochs=40, patience=40, val_fraction=0.25, seed=train_seed)
    metrics = train_voice_emotion(data, tmp_path / "run", cfg, progress=False)
    assert metrics["val_speakers"] and metrics["n_val_clips"] == len(STYLES) * 3
    best, untrained = metrics["best"], metrics["untrained"]
    assert best["accuracy"] >= untrained["accuracy"] + 0.3 and best["accuracy"] >= 0.6  # chance 0.25
    saved = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert saved["best"]["confusion"] == best["confusion"] and len(saved["history"]) == metrics["epochs_run"]
    ckpt = load_voice_model(tmp_path / "run" / "best.pt")
    assert ckpt["labels"] == ["neutral", "happiness", "sadness", "anger"]

    wav = tmp_path / "angry.wav"
    sf.write(wav, synth_voice(**ANGRY, seconds=3.0, seed=999), SR)
    r = cli("speak", str(wav), "-o", str(tmp_path / "a.csv"), "--voice-model", str(tmp_path / "run" / "best.pt"),
            "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["voice_estimator"] == "model" and out["voice"]["emotion"] == "anger"


def test_bad_voice_model_is_one_line_and_exit_2(tmp_path, cli):
    wav = tmp_path / "v.wav"
    sf.write(wav, synth_voice(seed=3), SR)
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint")
    r = cli("speak", str(wav), "-o", str(tmp_path / "x.csv"), "--voice-model", str(bad))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "checkpoint" in r.stderr
    assert not (tmp_path / "x.csv").exists()
    r = cli("train", "voice-emotion", str(tmp_path), "-o", str(tmp_path / "run"))
    assert r.returncode == 2 and "RAVDESS" in r.stderr and r.stderr.count("\n") == 1


def test_train_cli_writes_checkpoint_and_metrics(tmp_path, cli):
    for spk in ("01", "02"):
        for code, seed in (("05", 1), ("04", 2)):
            style = ANGRY if code == "05" else SAD
            for rep in ("01", "02"):
                path = tmp_path / f"Actor_{spk}" / f"03-01-{code}-01-01-{rep}-{spk}.wav"
                path.parent.mkdir(exist_ok=True)
                sf.write(path, synth_voice(**style, seconds=1.5, seed=seed * 10 + int(rep) + 5 * int(spk)), SR)
    r = cli("train", "voice-emotion", str(tmp_path), "-o", str(tmp_path / "run"), "--epochs", "3", "--hidden", "8")
    assert r.returncode == 0, r.stderr
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["labels"] == ["sadness", "anger"] and metrics["epochs_run"] == 3
    assert (tmp_path / "run" / "best.pt").is_file() and (tmp_path / "run" / "last.pt").is_file()


# ------------------------------------------------------------------ speak


def test_speak_json_reports_segments_and_emotion_source_switches(tmp_path, cli):
    wav = tmp_path / "angry.wav"
    sf.write(wav, synth_voice(**ANGRY, seconds=4.0, seed=11), SR)
    r = cli("speak", str(wav), "-o", str(tmp_path / "a.csv"), "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["emotion_from"] == "both" and out["voice_estimator"] == "prosody"
    assert len(out["segments"]) >= 3 and all(set(s) >= {"start", "end", "emotion", "arousal", "valence",
                                                         "probabilities"} for s in out["segments"])
    assert out["voice"]["arousal"] > 0.3 and out["voice"]["emotion"] != "neutral"
    assert max(out["mean"].get(f"AU{a:02d}", 0) for a in (1, 4, 5, 6, 7)) >= 1.5  # the face visibly moves
    r = cli("speak", str(wav), "-o", str(tmp_path / "t.csv"), "--json", "--emotion-from", "text")
    text = json.loads(r.stdout)
    assert text["segments"] == [] and text["voice"] is None
    assert sum(text["mean"].get(f"AU{a:02d}", 0) for a in (4, 5, 6, 7, 9)) < 0.3
    r = cli("speak", str(wav), "-o", str(tmp_path / "b.csv"), "--voice-baseline", str(tmp_path / "nothing.wav"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1
