"""Default speech pipeline on real utterances: alignment matches reference phones, the jaw opens in speech and
closes in silence, brows and blinks are plausible, and the CLI writes every output."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest

from facsynth.commands.speak import bundled_utterance
from facsynth.formats import read_track
from facsynth.speech import speak
from facsynth.speech.audio import load_audio
from facsynth.speech.phonemes import align, find_transcript, normalise_transcript, recognize
from facsynth.speech.visemes import PHONE_TO_VISEME

LIBRIVOX = "speech/librivox/sense_and_sensibility_01_austen_64kb-0880"


@pytest.fixture(scope="module")
def goforward():
    y = load_audio(bundled_utterance())
    return y, align(y, "go forward ten meters")


def test_alignment_matches_reference_phones(shared_data):
    y = load_audio(shared_data / f"{LIBRIVOX}.wav")
    text = (shared_data / f"{LIBRIVOX}.txt").read_text()
    ours = align(y, text)
    ref = [p for w in json.loads((shared_data / f"{LIBRIVOX}.phone.json").read_text())["w"] for p in w["w"]
           if p["t"] != "SIL"]
    hits = 0
    for p in ref:
        centre = p["b"] + p["d"] / 2
        hits += any(q.phone == p["t"] and q.start <= centre < q.end for q in ours)
    assert hits / len(ref) > 0.6
    spoken = [q for q in ours if q.phone != "SIL"]
    assert [q.word for q in spoken][0] == "he" and spoken[-1].word == "man"
    assert all(a.end <= b.start + 1e-6 for a, b in zip(ours, ours[1:]))


def test_recognition_finds_speech_in_the_right_place(goforward):
    y, aligned = goforward
    rec = recognize(y)
    speech = [p for p in rec if p.phone != "SIL"]
    first = next(p for p in aligned if p.phone != "SIL")
    assert len(speech) >= 8 and abs(speech[0].start - first.start) < 0.15
    assert all(p.phone in PHONE_TO_VISEME for p in rec)


def test_transcript_words_and_sidecar(tmp_path):
    known, unknown = normalise_transcript("Go forward, ten meters! Xqzzt")
    assert known == ["go", "forward", "ten", "meters"] and unknown == ["xqzzt"]
    assert find_transcript(bundled_utterance()) == "go forward ten meters"
    assert find_transcript(tmp_path / "none.wav") is None


@pytest.mark.parametrize("transcript", ["go forward ten meters", ""])
def test_jaw_opens_in_speech_and_closes_in_silence(goforward, transcript):
    _, phones = goforward
    track = speak(bundled_utterance(), transcript=transcript)
    t, jaw = track.times, track.curve(26) + track.curve(25)
    spoken = [p for p in phones if p.phone != "SIL"]
    vowels = [p for p in spoken if p.phone in ("OW", "AO", "EH", "IY", "ER")]
    in_vowels = np.concatenate([jaw[(t >= p.start) & (t < p.end)] for p in vowels])
    after = jaw[t > spoken[-1].end + 0.25]
    assert in_vowels.mean() > 2.0
    assert len(after) > 5 and after.max() < 0.3
    assert track.duration == pytest.approx(2.79, abs=0.05)
    if not transcript:
        return
    # aligned /m/ of "meters" closes the lips: pressor up, lips apart down
    m = next(p for p in spoken if p.phone == "M")
    mid = int((m.start + m.end) / 2 * track.fps)
    assert track.curve(24)[mid] > 1.0 and track.curve(25)[mid] < in_vowels.mean() / 2


def test_blinks_and_brows_are_plausible(shared_data):
    texts = dict(line.split("\t") for line in (shared_data / "speech/transcripts.tsv").read_text().splitlines()[1:])
    blinks = seconds = 0.0
    brow_peaks = []
    for name in [k for k in texts if k.startswith("librivox")]:
        track = speak(shared_data / "speech" / name, transcript=texts[name])
        au45 = track.curve(45)
        blinks += ((au45[1:] > 2) & (au45[:-1] <= 2)).sum()
        seconds += track.duration
        brow_peaks.append(track.curve(1).max())
        assert au45.max() <= 5 and (au45 > 2).mean() < 0.2
    rate = blinks / seconds * 60
    assert 10 <= rate <= 26
    assert max(brow_peaks) > 0.5 and np.mean(brow_peaks) < 3.5


def test_same_seed_same_track_and_seed_changes_blinks():
    a = speak(bundled_utterance(), seed=1)
    assert a == speak(bundled_utterance(), seed=1)
    assert any(not np.array_equal(a.curve(45), speak(bundled_utterance(), seed=s).curve(45)) for s in range(2, 6))


def test_cli_writes_track_files(cli, tmp_path):
    res = cli("speak", bundled_utterance(), "--transcript", "go forward ten meters", "-o", tmp_path / "s.csv")
    assert res.returncode == 0, res.stderr
    track = read_track(tmp_path / "s.csv")
    assert track.n_frames == 84 and track.curve(26).max() > 1.5
    assert "timestamp" in (tmp_path / "s.csv").read_text().splitlines()[0]
    bare = tmp_path / "bare.wav"  # no .txt beside it: phones are recognised
    shutil.copy(bundled_utterance(), bare)
    res = cli("speak", bare, "-o", tmp_path / "s.arkit.json")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "s.arkit.json").stat().st_size > 100


def test_cli_learned_model_without_weights_is_a_clear_error(cli, tmp_path):
    res = cli("speak", bundled_utterance(), "--model", "blstm", "-o", tmp_path / "x.csv")
    assert res.returncode == 2 and "no shipped weights" in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "x.csv").exists()


def test_transcript_emotion_sets_upper_face_scaled_by_arousal(monkeypatch, goforward):
    import facsynth.language.emotion as emotion
    from facsynth.facs import emotion_aus
    from facsynth.speech.rules import SPEECH_AUS, emotion_targets, rules_curves
    from facsynth.track import AUTrack

    monkeypatch.setattr(emotion, "emotion_track", lambda text: AUTrack.still(emotion_aus("fear", 3)))
    targets = emotion_targets("I am terrified")
    assert targets and all(a not in (25, 26, 45) for a in targets) and targets.get(4, 0) > 0
    y, _ = goforward
    calm = rules_curves(y, "go forward ten meters")
    scared = rules_curves(y, "go forward ten meters", emotion=targets)
    col = SPEECH_AUS.index(4)
    assert calm[:, col].max() == 0 and scared[:, col].min() > 0.5 * targets[4]
    assert np.array_equal(calm[:, SPEECH_AUS.index(26)], scared[:, SPEECH_AUS.index(26)])


def test_transcript_emotion_skips_unreadable_text_only(monkeypatch):
    import facsynth.language.emotion as emotion
    from facsynth.errors import ModelError, TrackError
    from facsynth.speech.rules import emotion_targets

    assert emotion_targets("?! 123 ...") == {}  # no words: a TextError means no emotion, said nowhere

    def broken(text):
        raise TrackError("a bug, not a transcript problem")

    monkeypatch.setattr(emotion, "emotion_track", broken)
    with pytest.raises(TrackError):
        emotion_targets("I am terrified")

    def missing(text):
        raise ModelError("emotion model missing")

    monkeypatch.setattr(emotion, "emotion_track", missing)
    with pytest.warns(UserWarning, match="emotion model missing"):
        assert emotion_targets("I am terrified") == {}


def test_cli_renders_the_photo_talking_with_sound(cli, tmp_path, shared_data):
    import subprocess

    import imageio_ffmpeg

    out = tmp_path / "talk.mp4"
    bare = tmp_path / "bare.wav"
    shutil.copy(bundled_utterance(), bare)
    res = cli("speak", bare, "--face", shared_data / "faces" / "grace_hopper_512x512.jpg",
              "-o", out, "--fps", "25")
    assert res.returncode == 0, res.stderr
    frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(out))
    assert frames == 70 and seconds == pytest.approx(2.8, abs=0.1)
    probe = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-i", str(out)], capture_output=True, text=True)
    assert "Audio: aac" in probe.stderr


def test_speak_loads_no_librosa_numba_scipy_signal_torch_or_importlib_metadata(tmp_path):
    """A speak run with a transcript stays on numpy, pocketsphinx and onnxruntime: the imports it avoids cost
    seconds (librosa + numba + scipy.signal ≈ 3 s, torch ≈ 1 s) and hundreds of MB; importlib.metadata (email,
    zipfile, csv) 30-60 ms, which speech.phone_lm needs only to remake its LM; scipy.fft 0.2 s, which only streamed
    files (over a minute) repay."""
    code = ("import sys, contextlib, io\nfrom facsynth.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
            f"    main(['speak', {str(bundled_utterance())!r}, '--transcript', 'go forward ten meters', "
            f"'-o', {str(tmp_path / 'g.csv')!r}])\n"
            "print(sorted(m for m in ('librosa', 'numba', 'scipy.signal', 'scipy.stats', 'scipy.ndimage', 'scipy.fft', "
            "'torch', 'importlib.metadata') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert (tmp_path / "g.csv").is_file()
    assert out.strip().splitlines()[-1] == "[]"
