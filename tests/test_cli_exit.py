"""cli.run, the console command: main's exit code, every line flushed and atexit handlers run, though the
interpreter's teardown is skipped."""

from __future__ import annotations

import subprocess
import sys

import pytest

SCRIPT = ("import atexit, sys; atexit.register(lambda: print('atexit ran', flush=True)); "
          "sys.argv = ['facsynth', *sys.argv[1:]]; from facsynth.cli import run; run(); print('not reached')")


@pytest.mark.parametrize("argv, code, out", [
    (["describe", "--aus", "AU1=2,AU12=4"], 0, "inner brows"),
    (["--version"], 0, "facsynth "),
    ([], 2, ""),                                   # argparse's usage error
    (["edit", "no-such-photo.png", "--emotion", "happiness:3", "-o", "x.png"], 2, ""),
])
def test_run_exits_with_mains_code_after_atexit_and_flushed_output(tmp_path, argv, code, out):
    proc = subprocess.run([sys.executable, "-c", SCRIPT, *argv], capture_output=True, text=True, cwd=tmp_path,
                          timeout=120)
    assert proc.returncode == code, proc.stderr
    assert out in proc.stdout
    assert proc.stdout.rstrip().endswith("atexit ran") and "not reached" not in proc.stdout
    assert ("error" in proc.stderr) == (code == 2)
    assert not (tmp_path / "x.png").exists()
