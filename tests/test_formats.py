"""OpenFace 2.0 CSV and JSON track files: round trips and clear errors naming the line."""

import json

import numpy as np
import pytest

from facsynth.errors import FormatError, TrackError
from facsynth.formats import read_track, write_track
from facsynth.formats.openface_csv import parse_openface_csv
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
    header = path.read_text().splitlines()[0].split(",")
    assert header[:5] == ["frame", "face_id", "timestamp", "confidence", "success"]
    assert "AU01_r" in header and "AU45_c" in header
    assert header.index("AU45_r") < header.index("AU01_c")


def test_reads_real_openface_spacing_and_picks_first_face():
    text = ("frame, face_id, timestamp, confidence, success, AU01_r, AU12_r, AU12_c\n"
            "1, 0, 0.000, 0.98, 1, 0.5, 2.0, 1\n"
            "1, 1, 0.000, 0.98, 1, 4.0, 4.0, 1\n"
            "2, 0, 0.040, 0.98, 1, 0.6, 2.5, 1\n")
    t = parse_openface_csv(text)
    assert t.aus == (1, 12) and t.fps == 25 and t.curve(12).tolist() == [2.0, 2.5]


@pytest.mark.parametrize("body,fragment", [
    ("frame,timestamp,AU01_r\n1,0,1\n2,0.04\n", "line 3 has 2 fields"),
    ("frame,timestamp,AU01_r\n1,0,1\n2,0.04,nan\n", "line 3 has a non-finite value for AU01"),
    ("frame,timestamp,AU01_r\n1,0,7\n", "line 2 has AU01 = 7"),
    ("frame,timestamp,AU01_r\n1,0,-0.5\n", "line 2 has AU01 = -0.5"),
    ("frame,timestamp,AU03_r\n1,0,1\n", "AU3"),
    ("frame,timestamp,AU01_r\n1,0,abc\n", "line 2 has a value that is not a number"),
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

    monkeypatch.setattr(oc.csv, "writer", boom)
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


def test_csv_error_names_the_file_line_when_rows_of_other_faces_and_blanks_are_skipped():
    text = "frame, face_id, timestamp, AU01_r\n1,0,0,1\n1,1,0,1\n\n2,0,0.04,1\n2,1,0.04,2\n3,0,0.08,9\n"
    with pytest.raises(TrackError, match="line 7 has AU01 = 9"):
        parse_openface_csv(text)


def test_unwritable_output_is_a_clear_error(tmp_path, track):
    from facsynth.errors import OutputError

    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="cannot write"):
        write_track(track, blocker / "out.csv")  # a file where a folder should be
