"""Running an augmentation: photos × spec → images + labels table, in this process or as Ray tasks (one per photo).

Each photo is one unit of work: read it, build its face rig once (facsynth.render.photo.rig_photo), render every
item of the spec with that rig, return one row per item. The driver writes the rows of each finished photo as a
shard (all-or-nothing) and merges the shards into the labels tables at the end; a photo with a shard is done, so
a killed run resumes where it stopped and re-running a finished one changes nothing.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import re
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from .._lazy import lazy_module
from ..errors import FacsynthError, FormatError, ModelError, NoFaceError, OutputError
from ..face.identity import available, face_descriptor
from ..language.describe import describe
from ..render.photo import render_frame, rig_photo
from .spec import Expression, Item, items_for
from .store import Store, list_photos, read_photo
from .table import SHARDS, merge_shards, read_shard, write_shard

ray = lazy_module("ray")   # optional: the ray extra
tqdm = lazy_module("tqdm")   # progress bars: 45 ms of imports that --help does without

__all__ = ["augment", "augment_photo", "run_photos", "photo_keys", "AugmentResult", "RENDERER", "LOST"]

#: The renderer column: the geometric photo warp (facsynth.render.photo), the one augment uses.
RENDERER = "geometric"
#: Status prefix of the rows of a photo whose task Ray gave up on (its worker died every try); such a photo is
#: done again on the next run.
LOST = "lost:"
#: Ray tasks in flight per CPU of the cluster (the rest wait in the driver, so 100,000 photos are not all queued).
IN_FLIGHT_PER_CPU = 2


@dataclass(frozen=True)
class AugmentResult:
    """What a run did. rows: rows in the labels table; ok: rows with status ok; rendered: photos done in this
    run; skipped: photos already done; backend: "ray" or "process"; identity: whether identity distances were
    measured."""

    labels: str
    rows: int
    ok: int
    rendered: int
    skipped: int
    backend: str
    identity: bool


def photo_keys(photos: Sequence[str]) -> list[str]:
    """A file-name-safe key per photo, from its stem; repeated stems get "-2", "-3", … in listing order."""
    keys, seen = [], {}
    for p in photos:
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", p.rstrip("/").rsplit("/", 1)[-1].rsplit(".", 1)[0]) or "photo"
        n = seen.get(stem, 0) + 1
        seen[stem] = n
        keys.append(stem if n == 1 else f"{stem}-{n}")
    return keys


def _one_line(e: BaseException) -> str:
    text = " ".join(str(e).split()) or type(e).__name__
    return text if isinstance(e, FacsynthError) else f"{type(e).__name__}: {text}"


def augment_photo(photo: str, key: str, items: Sequence[Item], out: str, *, identity: bool = True,
                  relative: bool = False, face_index: int = 0) -> list[dict]:
    """Render every item on one photo (rigged once) into ``out/images/<key>_<index>.png``; one row per item.

    photo : path or fsspec URL of the photo; key : its photo key; out : output folder (path or URL)
    identity : measure the dlib identity distance to the source (needs the ``identity`` extra)
    relative : add the AUs to the photo's own expression instead of reaching them as targets

    Never raises for a bad photo or item: the error goes into the rows' ``status`` (a photo that cannot be read
    or has no face fails all its rows; a failed render fails its row). This is the batch's boundary, so any
    exception of one photo is recorded rather than stopping the other 99,999.
    """
    store = Store(out)
    rows = _rows(photo, key, items, "")
    try:
        image = read_photo(photo)
        rig = rig_photo(image, face_index)
    except NoFaceError:
        for r in rows:
            r["status"] = f"no face found in {photo}"
        return rows
    except Exception as e:  # noqa: BLE001 - recorded in the table (see docstring)
        for r in rows:
            r["status"] = _one_line(e)
        return rows
    source = _descriptor(image) if identity else None
    for it, row in zip(items, rows):
        try:
            frame = render_frame(image, rig, it.aus, relative=relative, sides=it.sides)
            store.write_image(row["output"], frame)
            if source is not None:
                got = _descriptor(frame)
                row["identity_distance"] = None if got is None else float(np.linalg.norm(got - source))
            row["status"] = "ok"
        except Exception as e:  # noqa: BLE001 - recorded in the table (see docstring)
            row["status"] = _one_line(e)
    return rows


def _describe(item: Item) -> str:
    return describe(item.aus, emotion=item.emotion, seed=item.seed) if item.aus else ""


def _descriptor(image: np.ndarray) -> np.ndarray | None:
    """dlib face descriptor (128,), None when dlib finds no face."""
    try:
        return face_descriptor(image)
    except NoFaceError:
        return None


def _done(store: Store) -> set[str]:
    """Keys of the photos with a shard, less those whose task was lost (they are done again)."""
    done = set()
    for name in store.listdir(SHARDS):
        if not name.endswith(".parquet"):
            continue
        status = read_shard(store, name).column("status").to_pylist()
        if not any(s.startswith(LOST) for s in status):
            done.add(name.rsplit("/", 1)[-1][: -len(".parquet")])
    return done


def augment(source: str | os.PathLike | Sequence[str], expressions: Sequence[Expression], out: str | os.PathLike, *,
            seed: int = 0, workers: int | None = None, address: str | None = None, use_ray: bool | None = None,
            identity: bool = True, relative: bool = False, face_index: int = 0,
            progress: bool = True) -> AugmentResult:
    """Photos × expressions → ``out/images/*.png`` + ``out/labels.parquet`` and ``out/labels.csv``.

    Parameters
    ----------
    source : folder or manifest of photos (path or fsspec URL; see store.list_photos), or a list of photo paths
    expressions : the spec (spec.parse_spec / parse_emotions); random lines are sampled per photo from ``seed``
    out : output folder, path or fsspec URL; a run into a folder that already holds a run of the same spec
        resumes it (photos with a shard are skipped); one of another spec is refused
    workers : Ray CPUs for a local cluster (default: the machine's cores); ignored with ``address``
    address : an existing Ray cluster to join ("auto", "ray://host:10001", "127.0.0.1:6379")
    use_ray : None: Ray when it is installed, else in this process; False: in this process; True: Ray
    identity : measure identity distances when the ``identity`` extra is installed (else the column is empty)

    Returns an AugmentResult. Raises ImageError for a source without photos, OutputError for an output folder
    of another spec, ModelError when ``use_ray`` is True and Ray is not installed.
    """
    photos = [str(p) for p in source] if isinstance(source, (list, tuple)) else list_photos(source)
    identity = identity and available()
    spec = {"seed": seed, "relative": relative, "face_index": face_index, "spec": [e.label for e in expressions]}
    options = {"identity": identity, "relative": relative, "face_index": face_index}
    return run_photos(photos, lambda key: items_for(key, expressions, seed), len(expressions), out, spec,
                      augment_photo, options, workers=workers, address=address, use_ray=use_ray,
                      progress=progress, identity=identity)


def run_photos(photos: Sequence[str], items: Callable[[str], list], per_photo: int, out: str | os.PathLike,
               spec: dict, task: Callable[..., list[dict]], options: dict, *, workers: int | None = None,
               address: str | None = None, use_ray: bool | None = None, progress: bool = True,
               identity: bool = False, unit: str = "image") -> AugmentResult:
    """The driver shared by ``augment`` and ``talking.augment_talking``: check ``out/spec.json`` against ``spec``
    (refusing a folder of another spec), skip photos with a shard, run ``task(photo, key, items(key), out,
    **options) -> rows`` per remaining photo (in this process or as Ray tasks), write each photo's shard, merge."""
    keys = photo_keys(photos)
    store = Store(out)
    sid = hashlib.blake2b(json.dumps(spec, sort_keys=True).encode(), digest_size=8).hexdigest()
    if store.exists("spec.json"):
        try:
            old = json.loads(store.read_bytes("spec.json")).get("id")
        except (ValueError, AttributeError):
            raise FormatError(f"{out}/spec.json is not facsynth's") from None
        if old != sid:
            raise OutputError(f"{out} holds a run of another spec, seed or options: write to a new folder")
    else:
        store.write_bytes("spec.json", json.dumps({"id": sid, **spec}, indent=1).encode())
    done = _done(store)
    todo = [(p, k) for p, k in zip(photos, keys) if k not in done]
    backend = _backend(use_ray)
    with tqdm.tqdm(total=len(photos) * per_photo, initial=(len(photos) - len(todo)) * per_photo,
                   desc="augment", unit=unit, disable=not progress) as bar:
        def finished(key: str, rows: list[dict]) -> None:
            write_shard(store, key, rows)
            bar.update(len(rows))

        jobs = [(p, k, items(k)) for p, k in todo]
        if backend == "ray":
            _run_ray(task, jobs, str(out), options, finished, workers, address)
        else:
            for p, k, its in jobs:
                finished(k, task(p, k, its, str(out), **options))
    rows, ok = merge_shards(store)
    labels = f"{str(out).rstrip('/')}/labels.parquet"
    return AugmentResult(labels, rows, ok, len(todo), len(photos) - len(todo), backend, identity)


def _backend(use_ray: bool | None) -> str:
    have = importlib.util.find_spec("ray") is not None
    if use_ray and not have:
        raise ModelError("Ray is not installed: pip install 'facsynth[ray]' (or run without --ray)")
    return "ray" if (have if use_ray is None else use_ray) else "process"


def _run_ray(fn: Callable[..., list[dict]], jobs: list, out: str, options: dict,
             finished: Callable[[str, list], None], workers: int | None, address: str | None) -> None:
    """Run ``fn`` (augment_photo, talking.talk_photo) for each job as a Ray task, at most IN_FLIGHT_PER_CPU × CPUs
    at a time; a task Ray gives up on (its worker died on every retry) yields rows with status "lost: …"."""
    started = not ray.is_initialized()
    if started:
        if address:
            ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False)
        else:
            ray.init(num_cpus=workers or os.cpu_count(), include_dashboard=False, logging_level=logging.WARNING,
                     log_to_driver=False)
    try:
        task = ray.remote(num_cpus=1, max_retries=3, retry_exceptions=False)(fn)
        limit = max(1, int(ray.cluster_resources().get("CPU", 1)) * IN_FLIGHT_PER_CPU)
        queue = list(reversed(jobs))
        pending: dict = {}
        while queue or pending:
            while queue and len(pending) < limit:
                p, k, items = queue.pop()
                pending[task.remote(p, k, items, out, **options)] = (p, k, items)
            ready, _ = ray.wait(list(pending), num_returns=1)
            for ref in ready:
                p, k, items = pending.pop(ref)
                try:
                    rows = ray.get(ref)
                except ray.exceptions.RayError as e:
                    rows = augment_photo_lost(p, k, items, e)
                finished(k, rows)
    finally:
        if started:
            ray.shutdown()


def augment_photo_lost(photo: str, key: str, items: Sequence[Item], error: BaseException) -> list[dict]:
    """Rows of a photo whose Ray task failed for good (status "lost: …"; the next run does it again)."""
    return _rows(photo, key, items, f"{LOST} {' '.join(str(error).split())[:200]}")


def _rows(photo: str, key: str, items: Sequence[Item], status: str) -> list[dict]:
    """One table row per item (table.COLUMNS, AUs under "aus"), with ``status``; no identity distance yet."""
    return [{"photo": photo, "photo_key": key, "index": it.index, "expression": it.label,
             "output": it.output, "status": status, "emotion": it.emotion,
             "sentence": it.sentence or _describe(it), "renderer": RENDERER, "seed": it.seed,
             "identity_distance": None, "track": it.track, "aus": dict(it.aus)} for it in items]
