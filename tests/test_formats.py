"""OpenFace 2.0 CSV and JSON track files: OpenFace's own dialect, round trips, clear errors naming the line."""

import csv
import io
import json

import numpy as np
import pytest

from facsynth.errors import FormatError, TrackError
from facsynth.formats import read_track, write_track
from facsynth.formats.openface_csv import OPENFACE_PRESENCE_AUS, read_openface_csv, write_openface_csv
from facsynth.track import AUTrack


@pytest.fixture
def track():
    rng = np.random.default_rng(1)
    return AUTrack(np.round(rng.uniform(0, 5, (40, 17)), 2).astype(np.float32), fps=25)


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_round_trip(tmp_path, track, suffix):
    path = tmp_path / f"t{suffix}"
    write_track(track, path)
    back = read_track(path)
    assert back.aus == track.aus and back.fps == pytest.approx(25)
    np.testing.assert_allclose(back.values, track.values, atol=0.006)


def test_csv_has_openface_columns(tmp_path, track):
    path = tmp_path / "t.csv"
    write_track(track, path)
    header = path.read_text().splitlines()[0].split(", ")
    assert header[:5] == ["frame", "face_id", "timestamp", "confidence", "success"]
    assert "AU01_r" in header and "AU45_c" in header
    assert header.index("AU45_r") < header.index("AU01_c")


def test_reads_real_openface_spacing_and_picks_first_face(tmp_path):
    text = ("frame, face_id, timestamp, confidence, success, AU01_r, AU12_r, AU12_c\n"
            "1, 0, 0.000, 0.98, 1, 0.5, 2.0, 1\n"
            "1, 1, 0.000, 0.98, 1, 4.0, 4.0, 1\n"
            "2, 0, 0.040, 0.98, 1, 0.6, 2.5, 1\n")
    (tmp_path / "of.csv").write_text(text)
    t = read_openface_csv(tmp_path / "of.csv")
    assert t.aus == (1, 12) and t.fps == 25 and t.curve(12).tolist() == [2.0, 2.5]


@pytest.mark.parametrize("body,fragment", [
    ("frame,timestamp,AU01_r\n1,0,1\n2,0.04\n", "line 3 has 2 fields"),
    ("frame,timestamp,AU01_r\n1,0,1\n2,0.04,nan\n", "line 3 has a non-finite value for AU01"),
    ("frame,timestamp,AU01_r\n1,0,7\n", "line 2 has AU01 = 7"),
    ("frame,timestamp,AU01_r\n1,0,-0.5\n", "line 2 has AU01 = -0.5"),
    ("frame,timestamp,AU03_r\n1,0,1\n", "AU3"),
    ("frame,timestamp,AU01_r\n1,0,abc\n", "line 2 has a value that is not a number"),
    ("timestamp, AU01_r\n0, 1\n0.04, 1\n0.02, 1\n", "line 4: timestamp 0.02 s is not after"),
    ("timestamp, AU01_r\n0, 1\n0, 1\n", "line 3: timestamp 0 s is not after"),
    ("timestamp, AU01_r\n-1, 1\n", "line 2: timestamp -1 s is negative"),
    ("timestamp, AU01_r\n0, 1\n0.04, \n", "line 3 has a value that is not a number"),
])
def test_csv_errors_name_the_line(tmp_path, body, fragment):
    path = tmp_path / "bad.csv"
    path.write_text(body)
    with pytest.raises((TrackError, FormatError), match=fragment):
        read_track(path)


def test_not_csv_or_missing(tmp_path):
    p = tmp_path / "x.csv"
    p.write_bytes(b"\x00\x01\x02")
    with pytest.raises(FormatError):
        read_track(p)
    with pytest.raises(FormatError, match="does not exist"):
        read_track(tmp_path / "none.csv")
    txt = tmp_path / "x.txt"
    txt.write_text("x")
    with pytest.raises(FormatError, match="cannot read"):
        read_track(txt)


def test_json_still_frame_and_ragged(tmp_path):
    p = tmp_path / "s.json"
    p.write_text(json.dumps({"AU12": 3, "AU06": 2}))
    assert read_track(p).frame(0) == {6: 2.0, 12: 3.0}
    p.write_text(json.dumps({"fps": 30, "aus": ["AU01", "AU02"], "frames": [[1, 2], [1]]}))
    with pytest.raises(TrackError, match="frame 1 has 1 values"):
        read_track(p)
    p.write_text("{not json")
    with pytest.raises(FormatError, match="not valid JSON"):
        read_track(p)


def test_failed_write_leaves_no_file(tmp_path, track, monkeypatch):
    import facsynth.formats.openface_csv as oc

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(oc, "int", boom, raising=False)  # fails on the first row, after the header is written
    with pytest.raises(RuntimeError):
        write_track(track, tmp_path / "out.csv")
    assert list(tmp_path.iterdir()) == []


def test_written_files_get_ordinary_permissions(tmp_path, track):
    import os
    import stat

    path = tmp_path / "t.csv"
    write_track(track, path)
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask


def test_csv_error_names_the_file_line_when_rows_of_other_faces_and_blanks_are_skipped(tmp_path):
    text = "frame, face_id, timestamp, AU01_r\n1,0,0,1\n1,1,0,1\n\n2,0,0.04,1\n2,1,0.04,2\n3,0,0.08,9\n"
    (tmp_path / "of.csv").write_text(text)
    with pytest.raises(TrackError, match="line 7 has AU01 = 9"):
        read_openface_csv(tmp_path / "of.csv")


def test_unwritable_output_is_a_clear_error(tmp_path, track):
    from facsynth.errors import OutputError

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="cannot write"):
        write_track(track, blocker / "out.csv")  # a file where a folder should be


# ---------------------------------------------------------------- OpenFace's own dialect and readers

OPENFACE_R = ["AU01", "AU02", "AU04", "AU05", "AU06", "AU07", "AU09", "AU10", "AU12", "AU14", "AU15", "AU17",
              "AU20", "AU23", "AU25", "AU26", "AU45"]
OPENFACE_C = sorted(OPENFACE_R + ["AU28"])


def openface_matlab_columns(path):
    """OpenFace's own demo scripts' logic: header split on ", ", intensity columns are those with "_r" at
    character 5 (AUxx_r), data read as numbers split on ",", success/timestamp found by name."""
    lines = path.read_bytes().decode("ascii").split("\n")
    names = lines[0].split(", ")
    data = np.array([[float(x) for x in line.split(",")] for line in lines[1:] if line], np.float64)
    reg = [i for i, n in enumerate(names) if n.find("_r") == 4]
    valid = data[:, names.index("success")].astype(bool) if "success" in names else np.ones(len(data), bool)
    return [names[i] for i in reg], data[:, reg], valid


def pyfeat_columns(path, features):
    """py-feat's read_openface logic: CSV split on ",", column names stripped of spaces, then the requested
    columns selected by name (a missing one is a KeyError), values as floats."""
    rows = list(csv.reader(io.StringIO(path.read_text())))
    names = [n.strip(" ") for n in rows[0]]
    missing = [f for f in features if f not in names]
    if missing:
        raise KeyError(f"{missing} not in index")
    idx = [names.index(f) for f in features]
    return np.array([[float(r[i]) for i in idx] for r in rows[1:]], np.float64)


def test_csv_is_byte_compatible_with_openface_recorder(tmp_path):
    t = AUTrack(np.array([[0.004, 2.5] + [0] * 15, [1.0, 0.994] + [5] * 15], np.float32), fps=30)
    path = tmp_path / "t.csv"
    write_openface_csv(t, path)
    data = path.read_bytes()
    assert b"\r" not in data and data.endswith(b"\n")
    lines = data.decode().split("\n")
    assert lines[0] == ("frame, face_id, timestamp, confidence, success, "
                        + ", ".join(f"{a}_r" for a in OPENFACE_R) + ", " + ", ".join(f"{a}_c" for a in OPENFACE_C))
    assert lines[1].startswith("1, 0, 0.000, 1.00, 1, 0.00, 2.50, 0.00, ")
    assert lines[2].startswith("2, 0, 0.033, 1.00, 1, 1.00, 0.99, 5.00, ")
    row2 = lines[2].split(", ")
    assert row2[5 + 17:] == ["1.0", "0.0"] + ["1.0"] * 14 + ["0.0", "1.0"]  # AU28_c is 0: the track has no AU28
    assert len(lines) == 4 and lines[3] == ""


def test_tracker_confidence_and_success_are_written(tmp_path):
    t = AUTrack.zeros(3)
    path = tmp_path / "t.csv"
    write_openface_csv(t, path, confidence=[0.98, 0.125, 0.5], success=[1, 0, 1])
    rows = [line.split(", ")[3:5] for line in path.read_text().splitlines()[1:]]
    assert rows == [["0.98", "1"], ["0.12", "0"], ["0.50", "1"]]


def test_one_frame_is_openfaces_single_image_layout(tmp_path):
    path = tmp_path / "still.csv"
    write_track(AUTrack.still({12: 3}), path)
    header, row = path.read_text().splitlines()
    assert header.startswith("face, confidence, AU01_r, ") and row.startswith("0, 1.000, 0.00, ")
    assert read_track(path).frame(0) == {12: 3.0}


def test_openface_and_pyfeat_column_logic_accept_facsynth_files(tmp_path):
    rng = np.random.default_rng(3)
    t = AUTrack(np.round(rng.uniform(0, 5, (20, 19)), 2), OPENFACE_AUS_PLUS, 25)
    path = tmp_path / "t.csv"
    write_track(t, path)
    names, values, valid = openface_matlab_columns(path)
    assert names[:17] == [f"{a}_r" for a in OPENFACE_R] and valid.all()
    np.testing.assert_allclose(values[:, :17], t.with_aus(range_of(OPENFACE_R)).values, atol=0.006)
    features = ["frame", "timestamp", "confidence", "success"] + [f"{a}_r" for a in OPENFACE_R] + \
        [f"{a}_c" for a in OPENFACE_C]
    got = pyfeat_columns(path, features)
    assert got.shape == (20, 4 + 17 + 18)
    np.testing.assert_allclose(got[:, 2], 1.0)
    np.testing.assert_allclose(got[:, 4:21], t.with_aus(range_of(OPENFACE_R)).values, atol=0.006)
    # the extra facsynth AUs (18, 27) come after OpenFace's columns and read back
    assert names[17:] == ["AU18_r", "AU27_r"]
    np.testing.assert_allclose(read_track(path).with_aus(t.aus).values, t.values, atol=0.006)


def test_the_reimplemented_readers_reject_the_old_dialect(tmp_path):
    """The two readers above do fail on what facsynth used to write (",", CRLF, no AU28_c)."""
    path = tmp_path / "old.csv"
    path.write_bytes(b"frame,face_id,timestamp,confidence,success,AU01_r,AU01_c\r\n1,0,0.000,0.98,1,1.00,1\r\n")
    assert openface_matlab_columns(path)[0] == []
    with pytest.raises(KeyError, match="AU28_c"):
        pyfeat_columns(path, ["AU01_r", "AU28_c"])


def test_untracked_frames_are_interpolated_with_a_warning(tmp_path):
    text = ("frame, face_id, timestamp, confidence, success, AU12_r\n"
            "1, 0, 0.000, 0.98, 1, 1.00\n2, 0, 0.040, 0.00, 0, 0.00\n3, 0, 0.080, 0.00, 0, 0.00\n"
            "4, 0, 0.120, 0.97, 1, 4.00\n5, 0, 0.160, 0.00, 0, 0.00\n")
    path = tmp_path / "of.csv"
    path.write_text(text)
    with pytest.warns(UserWarning, match="3 of 5 frames have success = 0"):
        t = read_track(path)
    np.testing.assert_allclose(t.curve(12), [1, 2, 3, 4, 4])
    path.write_text("frame, timestamp, success, AU12_r\n1, 0, 0, 0\n2, 0.04, 0, 0\n")
    with pytest.raises(TrackError, match="no frame has success = 1"):
        read_track(path)


def test_bom_and_blank_leading_lines(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf\nframe, timestamp, AU12_r\n1, 0, 2\n2, 0.01, 3\n")
    t = read_track(path)
    assert t.curve(12).tolist() == [2, 3] and t.fps == 100


OPENFACE_AUS_PLUS = (1, 2, 4, 5, 6, 7, 9, 10, 12, 14, 15, 17, 18, 20, 23, 25, 26, 27, 45)


def range_of(labels):
    return [int(a[2:]) for a in labels]


def test_presence_columns_cover_au28():
    assert OPENFACE_PRESENCE_AUS == tuple(range_of(OPENFACE_C))


# ---------------------------------------------------------------- memory on big tracks (issue 19)

_PEAK_SCRIPT = """
import sys
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024
from facsynth.formats import read_track
before = status("VmRSS:")
t = read_track(sys.argv[1])
print(t.n_frames, t.values.shape[1], status("VmHWM:") - before, status("VmHWM:"))
"""


def test_ten_million_row_csv_reads_within_twice_its_float32_size(tmp_path):
    """A 10-million-row two-column CSV: peak memory growth (VmHWM, in a fresh process) ≤ 2× the data as float32."""
    import subprocess
    import sys

    import pyarrow as pa
    import pyarrow.csv as pacsv

    n = 10_000_000
    path = tmp_path / "big.csv"
    pacsv.write_csv(pa.table({"timestamp": np.arange(n) / 100.0, "AU12_r": np.arange(n) % 500 / 100.0}), path)
    out = subprocess.run([sys.executable, "-c", _PEAK_SCRIPT, str(path)], capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr
    frames, n_aus, growth, peak = map(int, out.stdout.split())
    assert (frames, n_aus) == (n, 1)
    data_float32 = n * 2 * 4
    assert growth <= 2 * data_float32, f"grew {growth / 1e6:.0f} MB for {data_float32 / 1e6:.0f} MB of data"
    assert peak <= 1e9


def test_docs_table_is_the_registry():
    """docs/formats.md lists exactly the registry's rows (adding a format shows up there or this fails)."""
    from pathlib import Path

    from facsynth.formats import FORMATS

    doc = (Path(__file__).parents[1] / "docs" / "formats.md").read_text()
    rows = {line for line in doc.splitlines() if line.startswith("| `")}
    expect = {f"| `{f.key}` | {f.title} | `{f.suffix}` | {'yes' if f.read else 'no'} | "
              f"{'yes' if f.write else 'no'} | {f.media_type} |" for f in FORMATS.values()}
    assert rows == expect


def test_full_width_openface_rows_read_within_twice_their_float32_size(tmp_path):
    """OpenFace's full 714-column rows (landmarks, gaze, pose, …): only the AU columns are kept, so memory stays
    far below the data's float32 size (500,000 such rows: 121 MB, docs/formats.md)."""
    import subprocess
    import sys

    import pyarrow as pa
    import pyarrow.csv as pacsv

    n = 30_000
    names = ["frame", "face_id", "timestamp", "confidence", "success"] + [f"x_{i}" for i in range(674)]
    names += [f"{a}_r" for a in OPENFACE_R] + [f"{a}_c" for a in OPENFACE_C]
    rng = np.random.default_rng(0)
    cols = {name: np.round(rng.uniform(0, 5, n), 2) for name in names}
    cols.update(frame=np.arange(1, n + 1), face_id=np.zeros(n, int), timestamp=np.arange(n) / 30, success=np.ones(n, int))
    path = tmp_path / "full.csv"
    pacsv.write_csv(pa.table(cols), path)
    out = subprocess.run([sys.executable, "-c", _PEAK_SCRIPT, str(path)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    frames, n_aus, growth, _ = map(int, out.stdout.split())
    assert (frames, n_aus) == (n, 17) and len(names) == 714
    assert growth <= 2 * n * len(names) * 4, f"grew {growth / 1e6:.0f} MB"


def test_an_unreadable_suffix_names_the_readable_ones(tmp_path):
    from facsynth.errors import FormatError
    from facsynth.formats import reader_for

    with pytest.raises(FormatError, match=r"from \.glb files \(use \.csv, \.json\)$"):
        reader_for(tmp_path / "face.glb")
