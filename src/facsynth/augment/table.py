"""The labels table of an augmentation run: one row per item, per-photo shards merged into labels.parquet/.csv.

Columns: photo (source path or URL), photo_key, index (spec position), expression (spec line), output (image
path relative to the output folder), status ("ok" or the one-line error), emotion, sentence, renderer, seed,
identity_distance (dlib descriptor distance to the source photo, null without the ``identity`` extra or when
dlib finds no face), track (a talking video's AU track file, OpenFace CSV; null for images), then ``AUxx_r`` (FACS intensity 0–5 asked for; OpenFace's 17 AUs first, then any other
AU the spec uses).
"""

from __future__ import annotations

import io
from typing import Sequence

from .._lazy import lazy_module
from ..facs import OPENFACE_AUS, au_label
from .store import Store

pa = lazy_module("pyarrow")
pc = lazy_module("pyarrow.compute")
pcsv = lazy_module("pyarrow.csv")
pq = lazy_module("pyarrow.parquet")

__all__ = ["COLUMNS", "SHARDS", "au_column", "write_shard", "read_shard", "shard_name", "merge_shards",
           "read_labels"]

#: Columns before the AU intensities, in order.
COLUMNS = ("photo", "photo_key", "index", "expression", "output", "status", "emotion", "sentence", "renderer",
           "seed", "identity_distance", "track")
#: Folder (in the output) of the per-photo result shards.
SHARDS = "shards"


def au_column(au: int) -> str:
    """OpenFace's intensity column name of an AU: 12 → "AU12_r"."""
    return f"{au_label(au)}_r"


def shard_name(photo_key: str) -> str:
    return f"{SHARDS}/{photo_key}.parquet"


def _table(rows: Sequence[dict]):
    """Rows (dicts with COLUMNS and {AU: intensity} under "aus") → a pyarrow Table with AU columns."""
    aus = sorted({a for r in rows for a in r["aus"]} | set(OPENFACE_AUS), key=lambda a: (a not in OPENFACE_AUS, a))
    data = {c: [r.get(c) for r in rows] for c in COLUMNS}
    for a in aus:
        data[au_column(a)] = [float(r["aus"].get(a, 0.0)) for r in rows]
    schema = pa.schema([("photo", pa.string()), ("photo_key", pa.string()), ("index", pa.int32()),
                        ("expression", pa.string()), ("output", pa.string()), ("status", pa.string()),
                        ("emotion", pa.string()), ("sentence", pa.string()), ("renderer", pa.string()),
                        ("seed", pa.int64()), ("identity_distance", pa.float64()),
                        ("track", pa.string())]
                       + [(au_column(a), pa.float32()) for a in aus])
    return pa.table(data, schema=schema)


def write_shard(store: Store, photo_key: str, rows: Sequence[dict]) -> None:
    """Write one photo's rows as ``shards/<photo_key>.parquet`` (all-or-nothing): the photo is then done."""
    buf = io.BytesIO()
    pq.write_table(_table(rows), buf)
    store.write_bytes(shard_name(photo_key), buf.getvalue())


def read_shard(store: Store, name: str):
    """One shard as a pyarrow Table."""
    return _read_parquet(store.read_bytes(name))


def _read_parquet(data: bytes):
    """Parquet bytes → pyarrow Table. Without pre-buffering: pyarrow 19's I/O thread pool, used to pre-buffer an
    in-memory file, aborts the interpreter at exit now and then ("terminate called without an active exception")."""
    return pq.read_table(io.BytesIO(data), pre_buffer=False)


def merge_shards(store: Store) -> tuple[int, int]:
    """Merge every shard into ``labels.parquet`` and ``labels.csv`` (sorted by photo_key, index; AU columns
    missing from a shard read 0). Idempotent: the tables are rebuilt from the shards each time, so a row is
    present exactly once however often a run is resumed. Returns (rows, rows with status "ok").
    """
    tables = [read_shard(store, n) for n in store.listdir(SHARDS) if n.endswith(".parquet")]
    if not tables:
        return 0, 0
    table = pa.concat_tables(tables, promote_options="default")
    for name in table.column_names:
        if name.endswith("_r"):
            i = table.column_names.index(name)
            table = table.set_column(i, name, pc.fill_null(table[name], 0.0))
    table = table.sort_by([("photo_key", "ascending"), ("index", "ascending")])
    buf = io.BytesIO()
    pq.write_table(table, buf)
    store.write_bytes("labels.parquet", buf.getvalue())
    buf = io.BytesIO()
    pcsv.write_csv(table, buf)
    store.write_bytes("labels.csv", buf.getvalue())
    return table.num_rows, int(pc.sum(pc.equal(table["status"], "ok")).as_py() or 0)


def read_labels(url) -> list[dict]:
    """Rows of a labels.parquet (path or URL) as dicts (AU columns under their OpenFace names)."""
    store = Store(url)
    return _read_parquet(store.fs.cat_file(store.root)).to_pylist()
