"""Speech → AU track speed on one core: real-time factor (audio seconds per CPU second of this process, so that
other jobs on a shared machine do not distort it) with a transcript (forced alignment) and without
(phone recognition), over the 20 utterances of ../shared/data/speech (or the bundled utterance), and the peak
memory of streaming a generated 10-minute file."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

SPEECH = Path(__file__).resolve().parents[2] / "shared" / "data" / "speech"


def _utterances() -> list[tuple[Path, str]]:
    table = SPEECH / "transcripts.tsv"
    if table.is_file():
        rows = [line.split("\t") for line in table.read_text().splitlines()[1:]]
        return [(SPEECH / f, t.strip()) for f, t in rows]
    from facsynth.commands.speak import bundled_utterance

    wav = bundled_utterance()
    return [(wav, wav.with_suffix(".txt").read_text().strip())]


def _realtime_factor(items, with_text: bool) -> float:
    from facsynth.speech import speak
    from facsynth.speech.audio import audio_info

    audio = sum(audio_info(p).duration for p, _ in items)
    t0 = time.process_time()
    for path, text in items:
        speak(path, transcript=text if with_text else "")
    return audio / (time.process_time() - t0)


_STREAM_SCRIPT = """
import sys, time, warnings
warnings.simplefilter("ignore")
from facsynth.speech import speak
def peak_mb():  # this process image's own peak RSS (ru_maxrss would inherit the benchmark parent's across fork)
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024
speak(sys.argv[2])
before = peak_mb()
t0 = time.process_time()
track = speak(sys.argv[1])
print(time.process_time() - t0, peak_mb() - before, track.n_frames)
"""


def _stream_peak_mb(minutes: float) -> tuple[float, float]:
    """(CPU seconds to process, growth of peak RSS in MB) for a generated ``minutes``-long file, in a fresh process."""
    import soundfile as sf

    from facsynth.speech.audio import SR, load_audio

    first = _utterances()[0][0]
    y, sr = load_audio(first), SR
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "long.flac"
        gap = np.zeros(int(0.7 * sr), np.float32)
        unit = np.concatenate([y, gap])
        with sf.SoundFile(str(path), "w", sr, 1) as fh:
            for _ in range(int(minutes * 60 * sr / len(unit)) + 1):
                fh.write(unit)
        r = subprocess.run([sys.executable, "-c", _STREAM_SCRIPT, str(path), str(first)], capture_output=True,
                           text=True, check=True)
    took, grew, frames = r.stdout.split()
    assert int(frames) > minutes * 60 * 29
    return float(took), float(grew)


def run():
    warnings.simplefilter("ignore")
    items = _utterances()
    from facsynth.speech import speak

    speak(items[0][0], transcript=items[0][1])  # load the decoders once
    speak(items[0][0], transcript="")
    out = [
        ("speech → AU track, with transcript (× real time)", _realtime_factor(items, True), "x", ">= 30"),
        ("speech → AU track, phone recognition (× real time)", _realtime_factor(items, False), "x", ">= 10"),
    ]
    took, grew = _stream_peak_mb(10)
    out.append(("10 min file streamed: × real time", 600 / took, "x", ">= 10"))
    out.append(("10 min file streamed: peak RSS growth", grew, "MB", "bounded (< 300)"))
    return out
