"""facsynth's version string, read without importing importlib.metadata (about 30 ms for every command)."""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import version

from facsynth.version import facsynth_version


def test_the_version_is_the_installed_distributions():
    assert facsynth_version() == version("facsynth")


def test_building_the_cli_imports_no_importlib_metadata():
    code = ("import sys\nfrom facsynth.cli import build_parser\nbuild_parser()\n"
            "print('importlib.metadata' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
