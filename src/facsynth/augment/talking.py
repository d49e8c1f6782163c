"""Talking videos at scale: speech clips × faces → MP4s with the speech + the AU track of each clip.

Each clip is turned into an AU track once (facsynth.speech.speak, in the driver) and written as
``out/tracks/<clip>.csv`` (OpenFace CSV); then each face is one task, as in ``augment``: rig once
(facsynth.render.photo.photo_renderer), one video per clip, one row per video.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import Sequence

import numpy as np

from .._lazy import lazy_module
from ..atomic import work_dir
from ..errors import AudioError, NoFaceError
from ..formats import read_track, write_track
from ..render.output import write_rendered
from ..render.photo import photo_renderer
from ..speech import speak
from .run import AugmentResult, _one_line, _rows, run_photos
from .spec import Item
from .store import Store, list_photos, read_photo

tqdm = lazy_module("tqdm")   # progress bars: 45 ms of imports that --help does without

__all__ = ["augment_talking", "talk_photo", "AUDIO_SUFFIXES"]

#: Speech files a clips folder is listed for.
AUDIO_SUFFIXES = (".wav", ".flac", ".ogg", ".mp3")


def _local(url: str, tmp: Path) -> Path:
    """A local path for a path or fsspec URL (downloaded into ``tmp`` when it is not local)."""
    store = Store(url)
    if store.local:
        return Path(store.root)
    path = tmp / PurePosixPath(store.root).name
    path.write_bytes(store.fs.cat_file(store.root))
    return path


def talk_photo(photo: str, key: str, items: Sequence[Item], out: str, *, face_index: int = 0) -> list[dict]:
    """One face × every clip: ``out/videos/<key>_<k>.mp4`` (the clip's track on the face, with its audio).

    Never raises for a bad face or clip: the error goes into the rows' status (see run.augment_photo). The AU
    columns hold the track's mean intensity per AU.
    """
    store = Store(out)
    rows = _rows(photo, key, items, "")
    try:
        render = photo_renderer(read_photo(photo), face_index)
    except Exception as e:  # noqa: BLE001 - recorded in the table (see run.augment_photo)
        for r in rows:
            r["status"] = _one_line(e)
        return rows
    for it, row in zip(items, rows):
        try:
            with work_dir() as tmp:
                (tmp / "track.csv").write_bytes(store.read_bytes(it.track))
                track = read_track(tmp / "track.csv")
                audio = _local(it.label, tmp)
                video = write_rendered(render, track, tmp / "video.mp4", audio)
                store.write_bytes(it.output, video.read_bytes())
            row["aus"] = {a: float(np.mean(track.values[:, i])) for i, a in enumerate(track.aus)}
            row["status"] = "ok"
        except NoFaceError:                                      # the renderer rigs the face on first use
            row["status"] = f"no face found in {photo}"
        except Exception as e:  # noqa: BLE001 - recorded in the table (see run.augment_photo)
            row["status"] = _one_line(e)
    return rows


def augment_talking(source: str | os.PathLike | Sequence[str], clips: str | os.PathLike | Sequence[str],
                    out: str | os.PathLike, *, workers: int | None = None, address: str | None = None,
                    use_ray: bool | None = None, face_index: int = 0, progress: bool = True) -> AugmentResult:
    """Faces × speech clips → ``out/videos/*.mp4``, ``out/tracks/<clip>.csv`` and the labels tables.

    source : faces, as for ``augment``; clips : a folder of speech files (AUDIO_SUFFIXES), or a list of paths/URLs
    Other parameters as for ``augment``. Raises AudioError when there are no clips (or one cannot be read).
    """
    photos = [str(p) for p in source] if isinstance(source, (list, tuple)) else list_photos(source)
    audios = ([str(c) for c in clips] if isinstance(clips, (list, tuple))
              else list_photos(clips, AUDIO_SUFFIXES, what="speech clips", error=AudioError))
    if not audios:
        raise AudioError(f"no speech clips ({', '.join(AUDIO_SUFFIXES)}) in {clips}")
    store = Store(out)
    names = [PurePosixPath(a).stem for a in audios]
    for audio, name in zip(tqdm.tqdm(audios, desc="speak", unit="clip", disable=not progress), names):
        if not store.exists(f"tracks/{name}.csv"):
            with work_dir() as tmp:
                write_track(speak(_local(audio, tmp)), tmp / f"{name}.csv")
                store.write_bytes(f"tracks/{name}.csv", (tmp / f"{name}.csv").read_bytes())

    def items(key: str) -> list[Item]:
        return [Item(j, a, {}, None, None, 0, f"videos/{key}_{j:03d}.mp4", f"tracks/{n}.csv")
                for j, (a, n) in enumerate(zip(audios, names))]

    spec = {"talking": audios, "face_index": face_index}
    return run_photos(photos, items, len(audios), out, spec, talk_photo, {"face_index": face_index},
                      workers=workers, address=address, use_ray=use_ray, progress=progress, unit="video")
