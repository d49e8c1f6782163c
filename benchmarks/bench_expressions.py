"""Do rendered faces read as what was asked? Contact sheet, per-AU landmark directions, lip-gap transfer (issue 11).

1. Contact sheet ``docs/img/expressions.png``: every face in ../shared/data/faces × (photo, neutral, the six
   emotions at intensity 4), then single AUs (and a few combinations) at intensity 4 on Grace Hopper.
2. Per face and AU at intensity 4: landmarks RE-DETECTED with MediaPipe on the rendered image (what a viewer
   sees) against those of the rendered neutral, both in the neutral's face frame (inter-ocular units, y up),
   projected on the FACS direction of the AU (``FACS_DIRECTIONS``); an AU passes when it moves more than
   ``PASS_IOD`` that way. With the emotions: dlib identity distance to the photo and pixels changed outside the
   face box (1.5 × the landmark box).
3. Talking videos: for each GRID clip, ``facsynth speak CLIP.wav --transcript T --face FIRST_FRAME.png`` and
   the mouth opening measured with MediaPipe in the rendered and the real video (bench_speech_quality's
   measure): Pearson r and CCC. Lip-gap transfer: rendered opening against the asked one (the track's
   AU25/26/27 through the face model, ``predicted_opening``) fitted as ``gap = a + b·asked`` per face, for the
   GRID first frames and for every face with one fixed track; the spread of ``b`` across faces tells whether
   the mouth follows the track the same way on every face.

Needs ../shared/data (faces, talking). Prints its tables; ``run()`` returns the summary figures.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from bench_speech_quality import (TALKING, ccc, extract_wav, measured_opening, opening_ratio, pearson,
                                  predicted_opening, video_frames)

ROOT = Path(__file__).resolve().parents[1]
FACES = ROOT.parent / "shared" / "data" / "faces"
SHEET = ROOT / "docs" / "img" / "expressions.png"
SHEET_FACE = "grace_hopper_512x512"
CELL = 136
INTENSITY = 4.0
EMOTIONS = ("happiness", "sadness", "surprise", "fear", "anger", "disgust")
SINGLE_AUS = (1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 20, 23, 24, 25, 26)
#: Extra cells of the AU rows: combinations the issue names (teeth with AU12/AU10, cheek raise with a smile).
COMBINATIONS = ((27,), (6, 12), (12, 25), (10, 25), (1, 2, 5), (4, 7))
#: An AU passes when its landmarks move at least this far along its FACS direction (inter-ocular units).
PASS_IOD = 0.01
#: The clip whose track is rendered on every face for the cross-face lip-gap comparison.
FIXED_CLIP = "bbaf2n"

# MediaPipe FaceMesh points (x towards the subject's left in the face frame; pairs are right, left)
INNER_BROW = (107, 66, 55, 65, 336, 296, 285, 295)
OUTER_BROW = (70, 46, 63, 53, 300, 276, 293, 283)
UPPER_LID = (159, 158, 160, 386, 385, 387)
LOWER_LID = (145, 144, 153, 374, 373, 380)
CHEEK = (117, 118, 50, 101, 346, 347, 280, 330)
NOSE_WING = (48, 64, 98, 278, 294, 327)
UPPER_LIP = (0, 37, 39, 267, 269)
CORNERS = (61, 291)
LOWER_LIP_CHIN = (17, 84, 314, 200, 199)
CHIN = (152, 148, 377)
#: (outer, inner) lip contour pairs whose distance is the height of the red of the lips
VERMILION = ((0, 13), (37, 82), (267, 312), (17, 14), (84, 87), (314, 317))


def _up(d: np.ndarray, pts) -> float:
    return float(d[list(pts), 1].mean())


def _out(d: np.ndarray, neutral: np.ndarray, pts) -> float:
    """Mean displacement away from the face's midline (x = 0) of ``pts``."""
    idx = list(pts)
    return float((np.sign(neutral[idx, 0]) * d[idx, 0]).mean())


def _vermilion(shape: np.ndarray) -> float:
    return float(np.mean([np.linalg.norm(shape[a, :2] - shape[b, :2]) for a, b in VERMILION]))


def _lip_gap(shape: np.ndarray) -> float:
    return float(shape[13, 1] - shape[14, 1])


Measure = Callable[[np.ndarray, np.ndarray], float]
#: AU → (FACS direction in words, measure(neutral, moved) over (478, 3) face-frame shapes in inter-ocular units,
#: x towards the subject's left, y up, z towards the viewer; > 0 means the landmarks moved the FACS way).
FACS_DIRECTIONS: dict[int, tuple[str, Measure]] = {
    1: ("inner brow up", lambda n, m: _up(m - n, INNER_BROW)),
    2: ("outer brow up", lambda n, m: _up(m - n, OUTER_BROW)),
    4: ("inner brows down and together",
        lambda n, m: (-_up(m - n, INNER_BROW) - _out(m - n, n, INNER_BROW)) / np.sqrt(2)),
    5: ("upper lid up", lambda n, m: _up(m - n, UPPER_LID)),
    6: ("cheek and lower lid up", lambda n, m: _up(m - n, CHEEK + LOWER_LID)),
    7: ("lower lid up", lambda n, m: _up(m - n, LOWER_LID)),
    9: ("nose wing up", lambda n, m: _up(m - n, NOSE_WING)),
    10: ("upper lip up", lambda n, m: _up(m - n, UPPER_LIP)),
    12: ("lip corners up and out", lambda n, m: (_up(m - n, CORNERS) + _out(m - n, n, CORNERS)) / np.sqrt(2)),
    14: ("lip corners back (depth)", lambda n, m: -float((m - n)[list(CORNERS), 2].mean())),
    15: ("lip corners down", lambda n, m: -_up(m - n, CORNERS)),
    17: ("lower lip and chin boss up", lambda n, m: _up(m - n, LOWER_LIP_CHIN)),
    20: ("lip corners out", lambda n, m: _out(m - n, n, CORNERS)),
    23: ("red of the lips narrowed", lambda n, m: _vermilion(n) - _vermilion(m)),
    24: ("lips pressed (red narrowed)", lambda n, m: _vermilion(n) - _vermilion(m)),
    25: ("lips apart", lambda n, m: _lip_gap(m) - _lip_gap(n)),
    26: ("jaw down", lambda n, m: -_up(m - n, CHIN)),
}


#: AUs whose FACS measure another AU of the same expression moves the opposite way (AU1 and AU4 both move the
#: inner brow; AU25/26 lower the lower lip that AU17 raises): left out when judging an emotion's AUs.
CONFLICTS = {1: {4}, 4: {1}, 17: {25, 26}, 12: {15}, 15: {12}}


def corner_lift(shape: np.ndarray) -> float:
    """Height of the lip corners above the middle of the mouth (inner lip centre points 13, 14), face units:
    > 0 for a smile, < 0 for corners pulled down. shape : (478, 3) face-frame landmarks (y up)."""
    return float(shape[list(CORNERS), 1].mean() - shape[[13, 14], 1].mean())


def au_displacement(au: int, neutral: np.ndarray, moved: np.ndarray) -> float:
    """How far ``moved`` differs from ``neutral`` along AU ``au``'s FACS direction, inter-ocular units.

    neutral, moved : np.ndarray [shape=(478, 3)], the same face's landmarks in one face frame (see
        facsynth.face.landmarks.Pose: x towards the subject's left, y up, z towards the viewer, unit = distance
        between the eye centres)
    Returns a float, > 0 when the landmarks moved the way FACS describes the AU.
    """
    return FACS_DIRECTIONS[au][1](np.asarray(neutral, np.float64), np.asarray(moved, np.float64))


def detected_shape(image: np.ndarray, pose) -> np.ndarray | None:
    """Landmarks re-detected on ``image`` (largest face), in the face frame of ``pose``; None if no face."""
    from facsynth.errors import NoFaceError
    from facsynth.face.landmarks import detect_faces, to_face_frame

    try:
        return to_face_frame(detect_faces(image, 1)[0].landmarks, pose).astype(np.float64)
    except NoFaceError:
        return None


def outside_box_change(a: np.ndarray, b: np.ndarray, box, scale: float = 1.5) -> int:
    """Largest per-channel difference between images ``a`` and ``b`` outside ``box`` grown ``scale``× about its
    centre (the face box; the renderer may not touch anything beyond it). 0 means the background is unchanged."""
    x0, y0, x1, y1 = box
    cx, cy, hw, hh = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) * scale / 2, (y1 - y0) * scale / 2
    mask = np.ones(a.shape[:2], bool)
    mask[max(0, int(cy - hh)):max(0, int(np.ceil(cy + hh))), max(0, int(cx - hw)):max(0, int(np.ceil(cx + hw)))] = False
    diff = np.abs(a.astype(np.int16) - b.astype(np.int16)).max(axis=2)
    return int(diff[mask].max()) if mask.any() else 0


def identity(a: np.ndarray, b: np.ndarray, box) -> float:
    """dlib identity distance of two renders of one photo, on the same crop around the face (2.2 × its box); NaN
    without the ``identity`` extra (dlib) or when dlib finds no face."""
    from facsynth.errors import NoFaceError
    from facsynth.face.identity import available, identity_distance
    from facsynth.render.sheet import face_crop

    if not available():
        return float("nan")
    try:
        return identity_distance(face_crop(a, box, 320, zoom=2.2), face_crop(b, box, 320, zoom=2.2))
    except NoFaceError:
        return float("nan")


def fit_line(asked: np.ndarray, gap: np.ndarray) -> tuple[float, float, float]:
    """Least-squares ``gap = a + b·asked``: returns (a, b, Pearson r) of two equal-length series."""
    b, a = np.polyfit(np.asarray(asked, np.float64), np.asarray(gap, np.float64), 1)
    return float(a), float(b), pearson(np.asarray(asked, np.float64), np.asarray(gap, np.float64))


@dataclass
class FaceResult:
    """One face's figures: AU → displacement along its FACS direction (NaN when no face was re-detected),
    emotion → dlib identity distance to the photo, largest pixel change outside the face box, sheet cells."""

    name: str
    au: dict[int, float] = field(default_factory=dict)
    identity: dict[str, float] = field(default_factory=dict)
    background: int = 0
    cells: list[np.ndarray] = field(default_factory=list)
    au_cells: list[tuple[str, np.ndarray]] = field(default_factory=list)
    #: emotion → {AU of its prototype: displacement along the AU's FACS direction in the emotion's render}
    shown: dict[str, dict[int, float]] = field(default_factory=dict)
    #: "photo", "neutral", "sadness" → (mouth opening ratio, corner lift), re-detected
    rest: dict[str, tuple[float, float]] = field(default_factory=dict)


def measure_face(name: str, image: np.ndarray, au_cells: bool = False) -> FaceResult:
    """Render the neutral, the six emotions and every single AU at INTENSITY on ``image``; measure them."""
    from facsynth.facs import emotion_aus
    from facsynth.render.photo import render_frame, rig_photo
    from facsynth.render.sheet import face_crop

    rig = rig_photo(image)
    box = rig.face.box
    res = FaceResult(name)
    neutral_img = render_frame(image, rig, {})
    base = detected_shape(neutral_img, rig.face.pose)
    res.cells = [face_crop(image, box, CELL), face_crop(neutral_img, box, CELL)]
    rest = {"photo": detected_shape(image, rig.face.pose), "neutral": base}
    for emo in EMOTIONS:
        target = emotion_aus(emo, INTENSITY)
        out = render_frame(image, rig, target)
        res.cells.append(face_crop(out, box, CELL))
        res.identity[emo] = identity(image, out, box)
        res.background = max(res.background, outside_box_change(image, out, box))
        moved = detected_shape(out, rig.face.pose)
        if emo == "sadness":
            rest["sadness"] = moved
        judged = [a for a, v in target.items() if a in FACS_DIRECTIONS and v >= 2 and not CONFLICTS.get(a, set())
                  & set(target)]
        res.shown[emo] = {a: np.nan if base is None or moved is None else au_displacement(a, base, moved)
                          for a in judged}
    res.rest = {k: (opening_ratio(v), corner_lift(v)) if v is not None else (np.nan, np.nan)
                for k, v in rest.items()}
    for au in SINGLE_AUS:
        out = render_frame(image, rig, {au: INTENSITY})
        moved = detected_shape(out, rig.face.pose)
        res.au[au] = np.nan if base is None or moved is None else au_displacement(au, base, moved)
        res.background = max(res.background, outside_box_change(image, out, box))
        if au_cells:
            res.au_cells.append((f"AU{au}", face_crop(out, box, CELL)))
    if au_cells:
        res.au_cells.insert(0, ("neutral", res.cells[1]))
        for combo in COMBINATIONS:
            out = render_frame(image, rig, {a: INTENSITY for a in combo})
            res.au_cells.append(("+".join(f"AU{a}" if i == 0 else str(a) for i, a in enumerate(combo)),
                                 face_crop(out, box, CELL)))
    return res


def write_sheet(results: list[FaceResult], path: Path, clip: ClipResult | None = None) -> Path:
    """The contact sheet of ``results`` as a PNG at ``path`` (faces × emotions, the AU rows, then the talking
    strip of ``clip`` if it has one: real frames above the rendered ones)."""
    from facsynth.formats.image import write_image
    from facsynth.render.sheet import contact_sheet

    cols = 2 + len(EMOTIONS)
    rows = [r.cells for r in results]
    labels = [["photo", "neutral", *(f"{e} {INTENSITY:g}" for e in EMOTIONS)] for _ in results]
    titles = [r.name.replace("_official_portrait", "").replace("_512x512", "") for r in results]
    au = next(r for r in results if r.au_cells)
    for i in range(0, len(au.au_cells), cols):
        chunk = au.au_cells[i:i + cols]
        rows.append([c for _, c in chunk])
        labels.append([f"{t} {INTENSITY:g}" if t != "neutral" else t for t, _ in chunk])
        titles.append("")
    if clip is not None and clip.strip:
        rows += [[c for _, c, _ in clip.strip], [c for _, _, c in clip.strip]]
        labels += [[t for t, _, _ in clip.strip]] * 2
        titles += [f"real {clip.clip}", "speak --face"]
    title = f"facsynth photo renderer, intensity {INTENSITY:g}: each face x emotions; last rows: AUs on {au.name}"
    return write_image(contact_sheet(rows, labels, titles, title=title), path)


@dataclass
class ClipResult:
    """One GRID clip: mouth opening of the real and the rendered video per frame, the asked opening per frame."""

    clip: str
    real: np.ndarray
    rendered: np.ndarray
    asked: np.ndarray
    #: (label, real frame, rendered frame) face crops at a few times, for the contact sheet
    strip: list[tuple[str, np.ndarray, np.ndarray]] = field(default_factory=list)

    @property
    def scores(self) -> tuple[float, float]:
        n = min(len(self.real), len(self.rendered))
        return pearson(self.rendered[:n], self.real[:n]), ccc(self.rendered[:n], self.real[:n])


def _transcripts() -> dict[str, str]:
    return {k.removesuffix(".mpg"): v.strip() for k, v in
            (line.split("\t") for line in (TALKING / "transcripts.tsv").read_text().splitlines()[1:])}


def talking_clip(video: Path, text: str, work: Path, strip: int = 0) -> ClipResult:
    """``facsynth speak`` on the clip's audio with its first video frame as the face; MediaPipe on both videos;
    ``strip`` evenly spaced frames of both cropped for the contact sheet."""
    from facsynth.face.landmarks import detect_faces
    from facsynth.formats.image import write_image
    from facsynth.render.sheet import face_crop
    from facsynth.speech import speak

    real, fps = measured_opening(video)
    frames = video_frames(video)[0]
    first = write_image(frames[0], work / f"{video.stem}_first.png")
    wav = extract_wav(video, work / f"{video.stem}.wav")
    out = work / f"{video.stem}_speak.mp4"
    done = subprocess.run([sys.executable, "-m", "facsynth", "speak", str(wav), "--transcript", text, "--face",
                           str(first), "-o", str(out), "--fps", f"{fps:g}"], capture_output=True, text=True)
    if done.returncode != 0:
        last = [line for line in done.stderr.splitlines() if line.strip()][-1:] or ["no message"]
        raise RuntimeError(f"facsynth speak failed on {video.name} (exit {done.returncode}): {last[0]}")
    rendered, _ = measured_opening(out)
    track = speak(wav, transcript=text, fps=fps)
    res = ClipResult(video.stem, real, rendered, predicted_opening(track))
    if strip:
        box = detect_faces(frames[0], 1)[0].box
        made = video_frames(out)[0]
        n = min(len(frames), len(made))
        res.strip = [(f"{i / fps:.2f} s", face_crop(frames[i], box, CELL), face_crop(made[i], box, CELL))
                     for i in np.linspace(n * 0.15, n * 0.85, strip).round().astype(int)]
    return res


def small_face(image: np.ndarray, factor: float = 3.5, side: int = 360) -> np.ndarray:
    """``image`` shrunk ``factor``× and padded (border pixels repeated) to ``side`` × ``side``: a small face
    (Grace Hopper at 3.5× is about 24 px between the eye centres, half a GRID face)."""
    import cv2

    small = cv2.resize(image, None, fx=1 / factor, fy=1 / factor, interpolation=cv2.INTER_AREA)
    top, left = max(0, (side - small.shape[0]) // 2), max(0, (side - small.shape[1]) // 2)
    return cv2.copyMakeBorder(small, top, max(0, side - small.shape[0] - top), left,
                              max(0, side - small.shape[1] - left), cv2.BORDER_REPLICATE)


def fixed_track_fits(track, work: Path) -> dict[str, tuple[float, float, float]]:
    """Render ``track`` on every face in FACES, and on Grace Hopper made small, as ``speak --face`` does
    (render_photo to MP4); measure the mouth opening in each video. Returns face → (a, b, r) of gap = a + b·asked."""
    from facsynth.formats.image import read_image
    from facsynth.render.photo import render_photo

    faces = {p.stem: read_image(p) for p in sorted(FACES.iterdir())}
    faces[f"{SHEET_FACE} small"] = small_face(faces[SHEET_FACE])
    asked = predicted_opening(track)
    fits = {}
    for i, (name, image) in enumerate(faces.items()):
        gap, _ = measured_opening(render_photo(image, track, work / f"fixed_{i}.mp4"))
        n = min(len(gap), len(asked))
        fits[name] = fit_line(asked[:n], gap[:n])
    return fits


def _spread(slopes: list[float]) -> float:
    """Coefficient of variation of the slopes (std / |mean|): 0 when every face follows the track alike."""
    s = np.asarray(slopes)
    return float(s.std() / (abs(s.mean()) + 1e-12))


def _print_au_table(results: list[FaceResult]) -> None:
    names = [r.name[:10] for r in results]
    print(f"\nAU landmark change at intensity {INTENSITY:g} along the FACS direction, re-detected, inter-ocular "
          f"units ×100 (pass ≥ {PASS_IOD * 100:g}: +, fail: -)")
    print(f"{'AU':<5}{'direction':<30}" + "".join(f"{n:>12}" for n in names))
    for au in SINGLE_AUS:
        cells = []
        for r in results:
            v = r.au[au]
            cells.append(f"{'nan':>11} " if not np.isfinite(v) else f"{v * 100:>10.2f} {'+' if v >= PASS_IOD else '-'}")
        print(f"{au:<5}{FACS_DIRECTIONS[au][0]:<30}" + "".join(f"{c:>12}" for c in cells))
    print(f"{'':<35}" + "".join(f"{sum(r.au[a] >= PASS_IOD for a in SINGLE_AUS):>9}/{len(SINGLE_AUS)}"
                                for r in results))
    print(f"\n{'identity (dlib) to the photo':<35}" + "".join(f"{n:>12}" for n in names))
    for emo in EMOTIONS:
        print(f"  {emo:<33}" + "".join(f"{r.identity[emo]:>12.3f}" for r in results))
    print(f"{'max change outside 1.5× face box':<35}" + "".join(f"{r.background:>12d}" for r in results))
    print(f"\nprototype AUs (≥ 2) moving the FACS way{'':<6}" + "".join(f"{n:>12}" for n in names))
    for emo in EMOTIONS:
        cells = []
        for r in results:
            bad = [f"{a}" for a, v in r.shown[emo].items() if not v >= PASS_IOD]
            cells.append(f"{len(r.shown[emo]) - len(bad)}/{len(r.shown[emo])}" + (f" -{','.join(bad)}" if bad else ""))
        print(f"  {emo:<43}" + "".join(f"{c:>12}" for c in cells))
    print("\nopening ratio / corner lift ×100 (re-detected): a photo's own smile and parted lips should be gone")
    for key in ("photo", "neutral", "sadness"):
        print(f"  {key:<43}" + "".join(f"{r.rest[key][0]:>6.3f}/{r.rest[key][1] * 100:>+5.1f}" for r in results))


def run():
    from facsynth.formats.image import read_image
    from facsynth.speech import speak

    results = [measure_face(p.stem, read_image(p), au_cells=p.stem == SHEET_FACE) for p in sorted(FACES.iterdir())]
    _print_au_table(results)
    out = []
    for r in results:
        out.append((f"AUs moving the FACS way (≥ {PASS_IOD:g} IOD), {r.name[:24]}",
                    sum(r.au[a] >= PASS_IOD for a in SINGLE_AUS), f"of {len(SINGLE_AUS)}", f"{len(SINGLE_AUS)}"))
    out.append(("AUs moving the FACS way, all faces", float(np.mean(
        [r.au[a] >= PASS_IOD for r in results for a in SINGLE_AUS])), "fraction", "1"))
    dists = np.array([v for r in results for v in r.identity.values()])
    if np.isfinite(dists).any():  # NaN: no dlib (the identity extra), or dlib found no face on a render
        out.append(("identity distance (dlib), emotions at 4, mean over faces", float(np.nanmean(dists)),
                    "distance", "< 0.45"))
        out.append(("identity distance (dlib), emotions at 4, worst", float(np.nanmax(dists)), "distance", "< 0.45"))
        out.append(("identity distance (dlib), emotions at 4, no face found", int(np.isnan(dists).sum()),
                    "renders", "0"))
    out.append(("largest pixel change outside 1.5× face box", max(r.background for r in results), "levels", "0"))
    out.append(("emotion prototype AUs (≥ 2) moving the FACS way, all faces", float(np.mean(
        [v >= PASS_IOD for r in results for e in EMOTIONS for v in r.shown[e].values()])), "fraction", "1"))
    out.append(("mouth opening of the neutral render, widest face", max(r.rest["neutral"][0] for r in results),
                "ratio", "closed (GRID rest ≈ 0.01)"))
    out.append(("corner lift of the sadness render, highest face", max(r.rest["sadness"][1] for r in results),
                "IOD", "below the photo's"))

    texts = _transcripts()
    with tempfile.TemporaryDirectory() as d:
        work = Path(d)
        clips = [talking_clip(v, texts[v.stem], work, strip=2 + len(EMOTIONS) if v.stem == FIXED_CLIP else 0)
                 for v in sorted(TALKING.glob("*.mpg"))]
        write_sheet(results, SHEET, next(c for c in clips if c.strip))
        out.append(("contact sheet docs/img/expressions.png", SHEET.stat().st_size / 2 ** 20, "MB", "< 1.5"))
        head = "talking clip (speak --face first frame)"
        print(f"\n{head:<40}{'Pearson':>9}{'CCC':>8}{'a':>9}{'b':>8}{'r(asked)':>10}"
              f"{'mean real/rendered':>22}{'std real/rendered':>22}")
        slopes = []
        for c in clips:
            r, k = c.scores
            n = min(len(c.asked), len(c.rendered))
            a, b, ra = fit_line(c.asked[:n], c.rendered[:n])
            slopes.append(b)
            print(f"{c.clip:<40}{r:>9.3f}{k:>8.3f}{a:>9.3f}{b:>8.2f}{ra:>10.3f}"
                  f"{c.real.mean():>14.3f}/{c.rendered.mean():.3f}{c.real.std():>14.3f}/{c.rendered.std():.3f}")
            out.append((f"speak --face first frame, {c.clip}: Pearson", r, "r", "-"))
            out.append((f"speak --face first frame, {c.clip}: CCC", k, "CCC", "≥ 0.65"))
        out.append(("speak --face first frame, mean Pearson", float(np.mean([c.scores[0] for c in clips])), "r", "-"))
        out.append(("speak --face first frame, mean CCC", float(np.mean([c.scores[1] for c in clips])), "CCC",
                    "≥ 0.65"))
        out.append(("lip-gap slope spread, GRID first frames (std/mean)", _spread(slopes), "CV", "small"))

        video = TALKING / f"{FIXED_CLIP}.mpg"
        track = speak(extract_wav(video, work / "fixed.wav"), transcript=texts[FIXED_CLIP],
                      fps=measured_opening(video)[1])
        fits = fixed_track_fits(track, work)
    print(f"\n{'one track (' + FIXED_CLIP + ') on every face':<40}{'a':>9}{'b':>8}{'r(asked)':>10}")
    for name, (a, b, ra) in fits.items():
        print(f"{name:<40}{a:>9.3f}{b:>8.2f}{ra:>10.3f}")
    bs = [b for _, b, _ in fits.values()]
    out.append(("lip-gap slope, one track on every face: min", min(bs), "gap/asked", "≈ 1"))
    out.append(("lip-gap slope, one track on every face: max", max(bs), "gap/asked", "≈ 1"))
    out.append(("lip-gap slope spread, one track on every face (std/mean)", _spread(bs), "CV", "small"))
    out.append(("lip-gap fit r, one track on every face: worst", min(r for _, _, r in fits.values()), "r", "-"))
    return out
