"""The CLI shell: help on every sub-command, one-line errors with exit code 2, the track command."""

import numpy as np

from facsynth.cli import build_parser
from facsynth.formats import read_track, write_track
from facsynth.track import AUTrack


def test_every_subcommand_has_help():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert {"demo", "track", "train"} <= set(sub.choices)
    for name, p in sub.choices.items():
        assert p.format_help().startswith("usage: facsynth")


def test_track_command_converts_and_resamples(cli, tmp_path):
    src = tmp_path / "in.csv"
    write_track(AUTrack(np.full((30, 17), 2, np.float32), fps=30), src)
    r = cli("track", src, "--fps", "60", "-o", tmp_path / "out.json")
    assert r.returncode == 0, r.stderr
    out = read_track(tmp_path / "out.json")
    assert out.fps == 60 and out.n_frames == 60


def test_bad_input_is_one_line_exit_2(cli, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("frame,timestamp,AU01_r\n1,0,9\n")
    r = cli("track", bad)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "line 2" in r.stderr and "Traceback" not in r.stderr
    r = cli("track", tmp_path / "missing.csv")
    assert r.returncode == 2 and "does not exist" in r.stderr


def test_demo_writes_track_files(cli, tmp_path):
    from facsynth.commands import track as track_cmd

    files = track_cmd.demo(tmp_path)
    assert all(f.exists() and f.stat().st_size > 100 for f in files)
    assert read_track(files[0]).n_frames == 60


def test_track_command_rejects_bad_numbers_and_unwritable_output(cli, tmp_path):
    src = tmp_path / "in.csv"
    write_track(AUTrack(np.full((30, 17), 2, np.float32), fps=30), src)
    for args in (("--fps", "0"), ("--smooth", "-1")):
        r = cli("track", src, *args)
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    r = cli("track", src, "-o", src / "x.json")
    assert r.returncode == 2 and "cannot write" in r.stderr and r.stderr.count("\n") == 1
