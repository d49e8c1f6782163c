"""Training data for the image generators: (neutral face, expressive face, AUs, sentence) pairs read from the CK+
layout, the DISFA+ layout, any folder of images with OpenFace 2.0 CSVs, or a bootstrap set that facsynth's
geometric photo renderer makes from a user's own neutral photos.

Sentences are generated from the target AUs by facsynth.language.describe.describe.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np
from PIL import Image

from .._lazy import lazy_module
from ..atomic import atomic_path
from ..augment import read_labels
from ..errors import FormatError, ImageError, NoFaceError
from ..facs import CATALOGUE, EMOTION_PROTOTYPES, OPENFACE_AUS
from ..formats import read_track, write_track
from ..formats.image import read_image
from ..language.describe import describe as describe_aus
from ..render.photo import reexpress, rig_photo
from ..track import AUTrack

torch = lazy_module("torch")
gan = lazy_module("facsynth.render.gan")   # torch

__all__ = [
    "FacePair",
    "ckplus_pairs",
    "disfa_pairs",
    "openface_pairs",
    "augment_pairs",
    "find_pairs",
    "bootstrap_set",
    "GANDataset",
    "subject_split",
    "TEST_SUBJECTS",
    "LAYOUTS",
    "IMAGE_SUFFIXES",
]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")
LAYOUTS = ("auto", "ckplus", "disfa", "openface")
#: CK+ codes many AUs without an intensity (0 in the label file). Their sentences name them without an adverb
#: (Hong et al.); GANimation's condition vector needs a number and gets this one (FACS C).
CKPLUS_UNSPECIFIED = 3.0
#: Held-out subjects of Hong et al.'s evaluation: 12 of CK+'s 123, 1 of DISFA+'s 9.
TEST_SUBJECTS = {"ckplus": 12, "disfa": 1}


@dataclass(frozen=True)
class FacePair:
    """One training example: the subject's neutral face and an expressive face, with their AUs (FACS 0–5).

    ``unrated``: target AUs coded without an intensity (CK+); they are in ``target_aus`` at CKPLUS_UNSPECIFIED.
    """

    source: Path
    target: Path
    source_aus: Mapping[int, float]
    target_aus: Mapping[int, float]
    subject: str
    unrated: frozenset = frozenset()


def _images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())


def _known(aus: Mapping[int, float]) -> dict[int, float]:
    return {a: float(min(max(v, 0.0), 5.0)) for a, v in aus.items() if a in CATALOGUE}


# ------------------------------------------------------------------ CK+

def _read_ckplus_facs(path: Path) -> tuple[dict[int, float], frozenset]:
    """{AU: intensity} of a CK+ FACS file and the AUs it codes without an intensity."""
    aus: dict[int, float] = {}
    for line in path.read_text(errors="replace").splitlines():
        parts = line.split()
        if not parts:
            continue
        try:
            code, intensity = int(float(parts[0])), float(parts[1]) if len(parts) > 1 else 0.0
        except ValueError:
            raise FormatError(f"{path}: cannot read FACS line {line.strip()!r}") from None
        aus[code] = intensity if intensity > 0 else -1.0
    known = _known({a: CKPLUS_UNSPECIFIED if v < 0 else v for a, v in aus.items()})
    return known, frozenset(a for a, v in aus.items() if v < 0 and a in known)


def ckplus_pairs(root: str | Path) -> list[FacePair]:
    """Pairs of the CK+ layout: ``cohn-kanade-images/S005/001/*.png`` and ``FACS/S005/001/*_facs.txt``.

    Each labelled sequence gives one pair: the first frame (neutral, no AUs) and the last frame (the peak the
    FACS file codes). Sequences without a FACS file are skipped.
    """
    root = Path(root)
    images = next((root / d for d in ("cohn-kanade-images", "images") if (root / d).is_dir()), None)
    facs = root / "FACS"
    if images is None or not facs.is_dir():
        raise FormatError(f"{root} is not in the CK+ layout (expected cohn-kanade-images/ and FACS/)")
    pairs = []
    for label in sorted(facs.glob("*/*/*_facs.txt")):
        seq = images / label.parent.parent.name / label.parent.name
        frames = _images(seq) if seq.is_dir() else []
        if len(frames) < 2:
            continue
        aus, unrated = _read_ckplus_facs(label)
        pairs.append(FacePair(frames[0], frames[-1], {}, aus, label.parent.parent.name, unrated))
    return pairs


# ------------------------------------------------------------------ DISFA+

def disfa_pairs(root: str | Path) -> list[FacePair]:
    """Pairs of the DISFA+ layout: ``Images/SN001/<trial>/<frame>.jpg`` and ``Labels/SN001/<trial>/AU<n>.txt``.

    Each label file lists ``<frame file> <intensity 0–5>`` per line (other lines are skipped). A trial gives one
    pair: its least expressive frame (neutral) and its most expressive frame (largest summed intensity).
    """
    root = Path(root)
    images, labels = root / "Images", root / "Labels"
    if not images.is_dir() or not labels.is_dir():
        raise FormatError(f"{root} is not in the DISFA+ layout (expected Images/ and Labels/)")
    pairs = []
    for trial in sorted(p for p in labels.glob("*/*") if p.is_dir()):
        table: dict[str, dict[int, float]] = {}
        for au_file in trial.glob("AU*.txt"):
            m = re.fullmatch(r"AU0*(\d+)\.txt", au_file.name, flags=re.IGNORECASE)
            if not m:
                continue
            for line in au_file.read_text(errors="replace").splitlines():
                parts = line.split()
                if len(parts) >= 2 and Path(parts[0]).suffix.lower() in IMAGE_SUFFIXES:
                    try:
                        table.setdefault(parts[0], {})[int(m.group(1))] = float(parts[-1])
                    except ValueError:
                        continue
        folder = images / trial.parent.name / trial.name
        present = [(f, _known(a)) for f, a in sorted(table.items()) if (folder / f).is_file()]
        if len(present) < 2:
            continue
        totals = [sum(a.values()) for _, a in present]
        lo, hi = int(np.argmin(totals)), int(np.argmax(totals))
        if totals[hi] <= totals[lo]:
            continue
        pairs.append(FacePair(folder / present[lo][0], folder / present[hi][0],
                              {a: v for a, v in present[lo][1].items() if v > 0},
                              {a: v for a, v in present[hi][1].items() if v > 0}, trial.parent.name))
    return pairs


# ------------------------------------------------------------------ folders with OpenFace CSVs

def _openface_labels(root: Path) -> list[tuple[Path, dict[int, float], str]]:
    found = []
    for csv in sorted(root.rglob("*.csv")):
        track = read_track(csv)
        aligned = csv.with_name(csv.stem + "_aligned")
        if aligned.is_dir():  # OpenFace FeatureExtraction: one row per frame_det_00_000001.bmp
            for img in _images(aligned):
                m = re.search(r"(\d+)$", img.stem)
                if m and 0 < int(m.group(1)) <= track.n_frames:
                    found.append((img, track.frame(int(m.group(1)) - 1), str(csv.relative_to(root).with_suffix(""))))
            continue
        for img in (csv.with_suffix(s) for s in IMAGE_SUFFIXES):
            if img.is_file():
                found.append((img, track.frame(0), str(csv.parent.relative_to(root))))
                break
    return found


def openface_pairs(root: str | Path) -> list[FacePair]:
    """Pairs from any folder of images with OpenFace 2.0 CSVs.

    An image ``x.png`` is labelled by ``x.csv`` beside it (first row); a CSV ``x.csv`` with a folder ``x_aligned/``
    beside it labels that folder's frames by number (FeatureExtraction output). Images are grouped by folder
    (or by sequence); in each group the least expressive image is the neutral source of every other image.
    """
    root = Path(root)
    groups: dict[str, list[tuple[Path, dict[int, float]]]] = {}
    for img, aus, group in _openface_labels(root):
        groups.setdefault(group, []).append((img, _known(aus)))
    if not groups:
        raise FormatError(f"{root} holds no images with OpenFace CSVs (expected x.png beside x.csv)")
    pairs = []
    for group, items in sorted(groups.items()):
        totals = [sum(a.values()) for _, a in items]
        n = int(np.argmin(totals))
        others = [i for i in range(len(items)) if i != n] or [n]
        pairs += [FacePair(items[n][0], items[i][0], items[n][1], items[i][1], group) for i in others]
    return pairs


def augment_pairs(labels: str | Path) -> list[FacePair]:
    """Pairs from a ``facsynth augment`` labels.parquet: each source photo (taken as neutral) → each of its
    rendered images with status ok, labelled by the row's AUxx_r (the rendered target); subject = photo_key."""
    labels = Path(labels)
    pairs = []
    for r in read_labels(labels):
        if r["status"] == "ok":
            aus = {int(k[2:-2]): v for k, v in r.items() if k.startswith("AU") and k.endswith("_r") and v > 0}
            pairs.append(FacePair(Path(r["photo"]), labels.parent / r["output"], {}, _known(aus), r["photo_key"]))
    return pairs


def find_pairs(root: str | Path, layout: str = "auto") -> list[FacePair]:
    """Pairs of ``root`` in ``layout`` ("ckplus", "disfa", "openface", or "auto" to recognise it); a
    ``facsynth augment`` labels.parquet is read by ``augment_pairs``."""
    root = Path(root)
    if root.suffix == ".parquet" and root.is_file():
        pairs = augment_pairs(root)
        if not pairs:
            raise FormatError(f"{root} lists no rendered image with status ok")
        return pairs
    if not root.is_dir():
        raise FormatError(f"{root} is not a folder")
    if layout == "auto":
        if (root / "FACS").is_dir():
            layout = "ckplus"
        elif (root / "Labels").is_dir() and (root / "Images").is_dir():
            layout = "disfa"
        else:
            layout = "openface"
    readers = {"ckplus": ckplus_pairs, "disfa": disfa_pairs, "openface": openface_pairs}
    if layout not in readers:
        raise FormatError(f"unknown data layout {layout!r} (expected one of {', '.join(LAYOUTS)})")
    pairs = readers[layout](root)
    if not pairs:
        raise FormatError(f"{root} ({layout} layout) holds no usable neutral/expressive pairs")
    return pairs


def subject_split(pairs: Sequence[FacePair], n_test: int, seed: int = 0) -> tuple[list[FacePair], list[FacePair]]:
    """Training and test pairs with no subject in both: ``n_test`` subjects, drawn with ``seed``, are held out
    (at most all but one). Hong et al. hold out 12 CK+ subjects and 1 of DISFA+'s 9 (TEST_SUBJECTS)."""
    subjects = sorted({p.subject for p in pairs})
    n_test = max(0, min(n_test, len(subjects) - 1))
    held = set(random.Random(seed).sample(subjects, n_test))
    return [p for p in pairs if p.subject not in held], [p for p in pairs if p.subject in held]


# ------------------------------------------------------------------ bootstrap from the user's own photos

def bootstrap_set(photos: Iterable[str | Path], out: str | Path, per_photo: int = 8, seed: int = 0,
                  renderer: Callable | None = None) -> Path:
    """Render a labelled training set from neutral photos with the geometric photo renderer.

    For each photo, ``per_photo`` random expressions (emotion prototypes at random intensity, with random extra
    AUs) are rendered by facsynth.render.photo.reexpress (or ``renderer(image, track) -> frames``) and written
    as ``out/<photo stem>/<k>.png`` beside an OpenFace CSV ``<k>.csv`` of their AUs (2 decimals, as
    rendered), plus ``neutral.png/.csv``;
    ``openface_pairs(out)`` reads the result. Returns ``out``.
    """
    rng = random.Random(seed)
    out = Path(out)
    emotions = [e for e in EMOTION_PROTOTYPES if EMOTION_PROTOTYPES[e]]
    photos = [Path(p) for p in photos]
    if not photos:
        raise ImageError("the bootstrap set needs at least one neutral photo")
    for photo in photos:
        image = read_image(photo)
        render = renderer or _photo_renderer(image)
        folder = out / photo.stem
        targets: list[dict[int, float]] = [{}]
        for _ in range(per_photo):
            scale = rng.uniform(0.4, 1.4)
            aus = {a: round(min(5.0, v * scale), 2) for a, v in EMOTION_PROTOTYPES[rng.choice(emotions)].items()}
            for a in rng.sample(OPENFACE_AUS, 2):
                aus[a] = max(aus.get(a, 0.0), round(rng.uniform(0.0, 2.0), 2))
            targets.append(aus)
        for k, aus in enumerate(targets):
            name = "neutral" if k == 0 else f"{k:03d}"
            track = AUTrack.still(aus)
            frame = image if k == 0 else np.asarray(next(iter(render(image, track))), dtype=np.uint8)
            with atomic_path(folder / f"{name}.png") as tmp:
                Image.fromarray(frame).save(tmp, format="PNG")
            write_track(track, folder / f"{name}.csv")
    return out


def _photo_renderer(image: np.ndarray) -> Callable:
    """facsynth's geometric renderer, rigged once for ``image`` (face found once, not per expression)."""
    rig = rig_photo(image)
    return lambda img, track: reexpress(img, track, rig=rig)


# ------------------------------------------------------------------ torch dataset

class GANDataset:
    """Map-style torch dataset of face pairs.

    Parameters
    ----------
    pairs : the FacePairs (see find_pairs)
    image_size : int, side of the square face crops (128 GANimation, 256 FESN)
    aus : AU order of the vectors
    crop : "face" aligns with facsynth's face landmarks; "none" resizes images that are already face crops
    describe : AUs → sentence (an AU given as None has no intensity: no adverb); default
        facsynth.language.describe.describe with seed 0
    cache_dir : folder for the decoded, aligned crops (one .npy each), shared by data-loading workers and runs;
        None keeps them in this process's memory only

    Each item is a dict: ``source``, ``target`` (3, S, S) float32 in [-1, 1]; ``source_aus``, ``target_aus``
    (n_aus,) float32 FACS 0–5; ``source_text``, ``target_text`` str; ``index`` int.
    Crops are cached in memory after the first read (and in ``cache_dir`` when given).
    """

    def __init__(self, pairs: Sequence[FacePair], image_size: int, aus: Sequence[int] = OPENFACE_AUS,
                 crop: str = "face", describe: Callable[[Mapping[int, float]], str] | None = None,
                 cache_dir: str | Path | None = None):
        if crop not in ("face", "none"):
            raise ValueError(f"crop must be 'face' or 'none', got {crop!r}")
        if describe is None:
            def describe(aus: Mapping[int, float]) -> str:  # seed 0: the sentence facsynth edit gives FESN
                return describe_aus(aus, seed=0)
        self.pairs = list(pairs)
        self.image_size = int(image_size)
        self.aus = tuple(aus)
        self.crop = crop
        self._describe = describe
        self._images: dict[Path, np.ndarray] = {}
        self._texts: dict[tuple, str] = {}
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None

    def __len__(self) -> int:
        return len(self.pairs)

    def image(self, path: Path) -> np.ndarray:
        """The (S, S, 3) uint8 face crop of ``path``."""
        if path not in self._images and self.cache_dir is not None:
            cached = self._cached(path)
            if cached.is_file():
                self._images[path] = np.load(cached)
        if path not in self._images:
            image = read_image(path)
            if self.crop == "face":
                try:
                    face, _ = gan.align_face(image, self.image_size)
                except NoFaceError:
                    raise NoFaceError(f"no face found in {path} (remove it, or use --crop none for face crops)") from None
            else:
                face = np.asarray(Image.fromarray(image).resize((self.image_size,) * 2, Image.BICUBIC))
            self._images[path] = face
            if self.cache_dir is not None:
                with atomic_path(self._cached(path)) as tmp, open(tmp, "wb") as fh:
                    np.save(fh, face)
        return self._images[path]

    def _cached(self, path: Path) -> Path:
        st = path.stat()
        key = f"{path.resolve()}|{st.st_mtime_ns}|{st.st_size}|{self.image_size}|{self.crop}"
        return self.cache_dir / f"{hashlib.sha1(key.encode()).hexdigest()}.npy"

    def text(self, aus: Mapping[int, float], unrated: frozenset = frozenset()) -> str:
        """The sentence describing ``aus``, the ``unrated`` ones without an adverb (cached)."""
        spec = {a: (None if a in unrated else v) for a, v in aus.items()}
        key = tuple(sorted(spec.items(), key=lambda kv: kv[0]))
        if key not in self._texts:
            self._texts[key] = self._describe(spec)
        return self._texts[key]

    def __getitem__(self, i: int) -> dict:
        p = self.pairs[i]

        def tensor(path):
            return torch.from_numpy(self.image(path).copy()).permute(2, 0, 1).float() / 127.5 - 1.0

        def vector(aus):
            return torch.tensor([float(aus.get(a, 0.0)) for a in self.aus], dtype=torch.float32)

        return {"source": tensor(p.source), "target": tensor(p.target), "source_aus": vector(p.source_aus),
                "target_aus": vector(p.target_aus), "source_text": self.text(p.source_aus),
                "target_text": self.text(p.target_aus, p.unrated), "index": i}
