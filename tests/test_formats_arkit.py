"""Reading ARKit blendshape files back into AU tracks: Audio2Face JSON, Live Link Face CSV, long CSV, round trips."""

from __future__ import annotations

import json

import numpy as np
import pytest

from facsynth.errors import FormatError, TrackError
from facsynth.formats import FORMATS, read_track, reader_for, write_track
from facsynth.formats.arkit import ARKIT_AUS, ARKIT_NAMES, arkit_weights, aus_from_arkit
from facsynth.track import AUTrack

#: AUs that come back exactly (docs/formats.md): all but 27 and 43; AU10 and AU28 left out so that the shared
#: shapes of 25/16/10 and 23/24/28 are each driven by one pair only.
EXACT = (1, 2, 4, 5, 6, 7, 9, 12, 14, 15, 16, 17, 18, 20, 22, 23, 24, 25, 26, 45)


@pytest.fixture
def track():
    rng = np.random.default_rng(7)
    values = rng.uniform(0, 2.5, (50, len(EXACT))) * (rng.uniform(size=(50, len(EXACT))) < 0.6)
    return AUTrack(np.round(values, 2).astype(np.float32), EXACT, 30)


def test_au_to_arkit_to_au_round_trip_in_memory(track):
    back = aus_from_arkit(arkit_weights(track), track.fps)
    assert back.aus == ARKIT_AUS
    np.testing.assert_allclose(back.with_aus(track.aus).values, track.values, atol=1e-3)
    others = [a for a in ARKIT_AUS if a not in EXACT]
    assert back.with_aus(others).values.max() < 1e-3


@pytest.mark.parametrize("suffix", [".arkit.json", ".arkit.csv"])
def test_own_arkit_files_read_back(tmp_path, track, suffix):
    path = tmp_path / f"t{suffix}"
    write_track(track, path)
    back = read_track(path)
    assert back.fps == 30 and back.n_frames == track.n_frames
    np.testing.assert_allclose(back.with_aus(track.aus).values, track.values, atol=1e-3)
    if suffix == ".arkit.json":  # facsynth's own JSON names the AU columns it came from
        assert back.aus == track.aus


def test_shared_shapes_are_split_between_their_aus():
    cases = [{25: 3.0, 16: 2.0}, {25: 3.0, 10: 2.0}, {23: 2.0, 24: 1.0}, {23: 2.0, 28: 3.0}, {26: 5.0, 27: 2.0},
             {16: 4.0}, {10: 4.0}, {24: 4.0}, {28: 4.0}]
    for aus in cases:
        back = aus_from_arkit(arkit_weights(AUTrack.still(aus, aus=())))
        assert back.frame(0) == pytest.approx(aus, abs=1e-3), aus
    # eyes closed and blink drive the same shapes: both read back as a blink
    assert aus_from_arkit(arkit_weights(AUTrack.still({43: 4}, aus=()))).frame(0) == pytest.approx({45: 4})


def test_audio2face_json_with_its_own_names_order_and_rate(tmp_path):
    names = ["jawOpen", "mouthSmileRight", "browInnerUp", "mouthSmileLeft", "eyeBlinkLeft", "eyeBlinkRight"]
    doc = {"exportFps": 60, "trackPath": "/World/audio2face/Player", "numPoses": 6, "numFrames": 3,
           "facsNames": names, "weightMat": [[0, 0, 0, 0, 0, 0], [0.3, 0.8, 0.4, 0.8, 1, 1], [0.6, 0, 0, 0, 0, 0]]}
    path = tmp_path / "a2f_bsweight.json"  # a plain .json: recognised by its keys
    path.write_text(json.dumps(doc))
    assert reader_for(path) is FORMATS["arkit.json"]
    t = read_track(path)
    assert t.fps == 60 and t.n_frames == 3
    assert t.frame(1) == pytest.approx({12: 4.0, 1: 2.0, 26: 2.5, 45: 5.0}, abs=1e-3)
    assert t.frame(2) == pytest.approx({26: 5.0}, abs=1e-3)


def _livelink(names_order):
    header = ["Timecode", "BlendShapeCount"] + [n[0].upper() + n[1:] for n in names_order]
    rows = [",".join(header)]
    for i in range(90):  # 1.5 s at 60 fps
        w = {"jawOpen": 0.3 * (i % 2), "mouthSmileLeft": 0.6, "mouthSmileRight": 0.6, "jawLeft": 0.9}
        rows.append(",".join([f"00:00:{i // 60:02d}:{i % 60:02d}.000", str(len(names_order))]
                             + [f"{w.get(n, 0.0):.5f}" for n in names_order]))
    return "\n".join(rows) + "\n"


def test_live_link_csv_is_read_by_header_names_in_either_order(tmp_path):
    epic = list(ARKIT_NAMES)
    recorded = list(ARKIT_NAMES)  # real recordings: JawRight before JawLeft, MouthRight before MouthLeft
    for a, b in (("jawLeft", "jawRight"), ("mouthLeft", "mouthRight")):
        i, j = recorded.index(a), recorded.index(b)
        recorded[i], recorded[j] = recorded[j], recorded[i]
    tracks = []
    for k, order in enumerate((epic, recorded)):
        path = tmp_path / f"take_{k}.csv"  # Live Link Face names its files .csv: recognised by the header
        path.write_text(_livelink(order))
        assert reader_for(path) is FORMATS["arkit.csv"]
        tracks.append(read_track(path))
    assert tracks[0] == tracks[1]
    t = tracks[0]
    assert t.fps == 60 and t.n_frames == 90
    assert t.curve(12).tolist() == pytest.approx([3.0] * 90)
    assert t.curve(26)[:2].tolist() == pytest.approx([0.0, 2.5])


def test_long_csv_with_au_or_arkit_channels(tmp_path):
    path = tmp_path / "fx.csv"
    path.write_text("time,channel,value\n0.1,AU12,4\n0.0,AU12,2\n0.0,AU01_r,1\n0.2,AU01_r,3\n0.2,AU12,4\n")
    assert reader_for(path) is FORMATS["long.csv"]
    t = read_track(path)
    assert t.fps == 10 and t.n_frames == 3
    assert t.curve(12).tolist() == [2, 4, 4] and t.curve(1).tolist() == [1, 2, 3]  # AU01 at 0.1 s interpolated
    path.write_text("time,channel,value\n0,jawOpen,0.3\n0.04,jawOpen,0.6\n0,mouthSmileLeft,1\n0.04,mouthSmileLeft,1\n"
                    "0,mouthSmileRight,1\n0.04,mouthSmileRight,1\n")
    t = read_track(path)
    assert t.fps == 25 and t.curve(26).tolist() == pytest.approx([2.5, 5]) and t.curve(12).tolist() == [5, 5]
    path.write_text("time,channel,value\n0,jawOpen,0.3\n0,AU12,1\n")
    with pytest.raises(FormatError, match="neither an AU label nor an ARKit"):
        read_track(path)


@pytest.mark.parametrize("name,body,error,fragment", [
    ("a.json", {"facsNames": ["jawOpen"], "weightMat": [[0.1], [0.1, 0.2]]}, TrackError, "one per name"),
    ("a.json", {"facsNames": ["nothing"], "weightMat": [[0.1]]}, FormatError, "no ARKit blendshape names"),
    ("a.arkit.json", {"facsNames": ["jawOpen"]}, FormatError, "needs \"facsNames\" and \"weightMat\""),
])
def test_bad_arkit_json(tmp_path, name, body, error, fragment):
    path = tmp_path / name
    path.write_text(json.dumps(body))
    with pytest.raises(error, match=fragment):
        read_track(path)


def test_bad_live_link_rows_name_the_line(tmp_path):
    path = tmp_path / "l.csv"
    path.write_text("Timecode,BlendShapeCount,JawOpen\n00:00:00:00.000,1,0.5\n00:00:00:01.000,1,abc\n")
    with pytest.raises(TrackError, match="line 3 has a weight that is not a number"):
        read_track(path)


@pytest.mark.parametrize("suffix", [".arkit.json", ".arkit.csv", ".json", ".csv"])
def test_track_command_reads_every_format(cli, tmp_path, track, suffix):
    src = tmp_path / f"in{suffix}"
    write_track(track, src)
    out = tmp_path / "out.json"
    r = cli("track", src, "-o", out)
    assert r.returncode == 0, r.stderr
    np.testing.assert_allclose(read_track(out).with_aus(track.aus).values, track.values, atol=2e-3)
