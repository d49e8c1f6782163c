"""The CLI runs numpy's BLAS on one thread: idle OpenBLAS threads spin for the CPU the renderer and ffmpeg need."""

from __future__ import annotations

import json
import subprocess
import sys

_CODE = """
import contextlib, io, json
from threadpoolctl import threadpool_info, threadpool_limits
import numpy
threadpool_limits(2, user_api="blas")
before = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
from facsynth.cli import main
with contextlib.redirect_stdout(io.StringIO()):
    code = main(["describe", "--aus", "AU1=2"])
after = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
print(json.dumps([code, before, after]))
"""


def test_a_cli_command_leaves_numpy_blas_on_one_thread():
    out = subprocess.run([sys.executable, "-c", _CODE], capture_output=True, text=True, check=True).stdout
    code, before, after = json.loads(out)
    assert code == 0
    assert after and all(n == 1 for n in after)
    assert len(before) == len(after)
