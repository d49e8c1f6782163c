"""``facsynth speak``: a speech recording → an AU track (lip sync, brows, blinks, emotion from the voice and the
transcript), a mesh or a talking video."""

from __future__ import annotations

import argparse
import json
import warnings
from pathlib import Path

from .._lazy import lazy_module
from ..errors import ModelError
from ..facs import format_au_spec
from ..formats.image import read_image
from ..limits import MAX_SEED, bounded_int
from ..render.output import write_rendered
from ..render.rig_cache import cached_photo_renderer
from ..render.preview import render_frames
from ..speech import speak, speak_with_emotion
from ..track import validate_fps
from ._outputs import TRACK_SUFFIXES, output_kind, write_track_output

gan = lazy_module("facsynth.render.gan")                         # torch
voice_emotion = lazy_module("facsynth.speech.voice_emotion")     # loads with the speech pipeline, not for --help

NAME = "speak"
HELP = "turn speech audio into an AU track, a mesh animation or a talking-face video"
DESCRIPTION = """\
Turn a speech recording (wav, flac, ogg or mp3; any sample rate; any length) into facial motion: the jaw and
lips follow the phonemes, the brows and blinks the prosody, the upper face the emotion of the voice (pitch,
loudness, tempo, voice quality) and of the transcript.

examples:
  facsynth speak hello.wav -o hello.csv                          (OpenFace-style CSV with a timestamp column)
  facsynth speak hello.wav --transcript "hello there" -o hello.json
  facsynth speak hello.wav -o hello.mp4                          (the default face talking, sound muxed in)
  facsynth speak hello.wav --face me.jpg -o me_talking.mp4       (your photo talking)
  facsynth speak hello.wav -o hello.glb                          (glTF morph-target animation)
  facsynth speak hello.wav --model blstm --weights run/best.pt -o hello.csv
  facsynth speak angry.wav -o angry.mp4 --json                   (also print the voice's emotion per segment)
  facsynth speak hello.wav --voice-model runs/voice/best.pt -o hello.csv  (trained voice-emotion classifier)

A transcript (--transcript, or a .txt file beside the audio with the same name) gives forced alignment and
better lip sync; without one, phones are recognised. --model lstm|blstm needs weights trained with
'facsynth train speech' (none are shipped).
"""
DEMO_ORDER = 60


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("audio", type=Path, help="speech recording (.wav, .flac, .ogg, .mp3)")
    p.add_argument("-o", "--out", type=Path, required=True,
                   help="output: .csv, .json, .arkit.json, .arkit.csv, .glb, .mp4 (or .png: the widest-open frame)")
    p.add_argument("--transcript", metavar="TEXT", help="what is said (default: AUDIO's .txt sibling if present)")
    p.add_argument("--model", default="default", choices=("default", "lstm", "blstm"),
                   help="default: phoneme and prosody rules; lstm / blstm: trained models (need --weights)")
    p.add_argument("--weights", type=Path, metavar="CKPT", help="checkpoint from 'facsynth train speech'")
    p.add_argument("--face", type=Path, metavar="PHOTO", help="photo to animate for .mp4/.png (default: mesh face)")
    p.add_argument("--renderer", choices=("photo", "ganimation"), default="photo",
                   help="with --face: facsynth's geometric photo renderer (default) or a trained GANimation, for the "
                        "speech → AU → GANimation cascade (needs --weights-renderer)")
    p.add_argument("--weights-renderer", type=Path, metavar="CKPT",
                   help="GANimation checkpoint from 'facsynth train ganimation' (with --renderer ganimation)")
    p.add_argument("--fps", type=float, default=30.0, help="frame rate of the track and video (default 30)")
    p.add_argument("--seed", type=int, default=0, help="seed of the blink timing (default 0)")
    p.add_argument("--emotion-from", default="both", choices=("both", "voice", "text"),
                   help="emotion of the upper face: the voice's, the transcript's, or both (default)")
    p.add_argument("--voice-model", type=Path, metavar="CKPT",
                   help="voice-emotion checkpoint from 'facsynth train voice-emotion' (default: prosody profiles)")
    p.add_argument("--voice-baseline", type=Path, metavar="AUDIO",
                   help="a neutral recording of the same speaker: the voice is compared with it, not with norms")
    p.add_argument("--json", action="store_true",
                   help="print a JSON summary: the voice's emotion, arousal and valence per segment, mean AUs")


def run(args: argparse.Namespace) -> int:
    kind = output_kind(args.out)
    validate_fps(args.fps, source="--fps")
    bounded_int(args.seed, "--seed", 0, MAX_SEED)
    track, segments = speak_with_emotion(args.audio, transcript=args.transcript, model=args.model,
                                         weights=args.weights, fps=args.fps, seed=args.seed,
                                         emotion_from=args.emotion_from, voice_model=args.voice_model,
                                         voice_baseline=args.voice_baseline)
    write_speech_output(track, args.out, args.audio, kind, args.face, _generator(args))
    blinks = int(((track.curve(45)[1:] > 2) & (track.curve(45)[:-1] <= 2)).sum())
    mean = {a: round(v, 2) for a, v in track.mean().items() if v >= 0.05}
    voice = voice_emotion.summarise(segments)
    if args.json:
        print(json.dumps({"out": str(args.out), "frames": track.n_frames, "fps": track.fps,
                          "duration": round(track.duration, 3), "blinks": blinks, "emotion_from": args.emotion_from,
                          "voice_estimator": None if not segments else "model" if args.voice_model else "prosody",
                          "voice": voice, "segments": [s.as_dict() for s in segments],
                          "mean": {f"AU{a:02d}": v for a, v in sorted(mean.items())}}, indent=1))
        return 0
    print(f"{track.n_frames} frames at {track.fps:g} fps ({track.duration:.2f} s), {blinks} blinks → {args.out}")
    if voice:
        print(f"voice: {voice['emotion']} ({voice['confidence']:.2f}), arousal {voice['arousal']:+.2f}, "
              f"valence {voice['valence']:+.2f} over {len(segments)} segments")
    print(f"mean: {format_au_spec(mean) or 'neutral'}")
    return 0


def write_speech_output(track, out: Path, audio: Path, kind: str, face: Path | None = None,
                        generator: Path | None = None) -> None:
    """Write ``track`` as a track file, or render it (photo or default face) to .mp4 with ``audio`` / to .png.

    ``generator``: a GANimation checkpoint that renders ``face`` instead of the geometric photo renderer.
    """
    if kind in TRACK_SUFFIXES:
        write_track_output(track, out)
        return
    if kind != ".mp4":
        widest = int((track.curve(25) + track.curve(26) + track.curve(27)).argmax())
        track = type(track)(track.values[widest:widest + 1], track.aus, track.fps)
    if generator is not None:
        renderer = gan.generator_renderer(read_image(face), "ganimation", generator)
    elif face is not None:
        renderer = cached_photo_renderer(read_image(face))   # the photo's face detection is cached
    else:
        renderer = render_frames
    write_rendered(renderer, track, out, audio if kind == ".mp4" else None)


def _generator(args: argparse.Namespace) -> Path | None:
    """The GANimation checkpoint of ``--renderer ganimation`` (None for the photo renderer), options checked."""
    if args.renderer == "photo":
        return None
    if args.face is None or args.weights_renderer is None:
        raise ModelError("--renderer ganimation needs --face PHOTO and --weights-renderer CKPT "
                         "(from 'facsynth train ganimation')")
    return args.weights_renderer


def bundled_utterance() -> Path:
    """The speech sample shipped with facsynth: "go forward ten meters" (pocketsphinx test data, BSD licence)."""
    return Path(__file__).resolve().parents[1] / "assets" / "speech" / "goforward.wav"


def demo(out: Path) -> list[Path]:
    """The bundled utterance as an OpenFace CSV, a JSON track and a video of the default face speaking it."""
    wav = bundled_utterance()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        track = speak(wav)
    files = [out / "speech.csv", out / "speech.json", out / "speech.mp4"]
    for f in files:
        write_speech_output(track, f, wav, f.suffix)
    return files
