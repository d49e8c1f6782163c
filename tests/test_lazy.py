"""facsynth._lazy.lazy_module: a heavy module is imported on first attribute access, not before."""

from __future__ import annotations

import subprocess
import sys


def test_nothing_is_imported_until_an_attribute_is_read():
    code = ("import sys; from facsynth._lazy import lazy_module; m = lazy_module('colorsys'); "
            "print('colorsys' in sys.modules); print(m.rgb_to_hsv(1, 0, 0)); print('colorsys' in sys.modules); "
            "print(repr(m))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[0] == "False" and out[1] == "(0.0, 1.0, 1)" and out[2] == "True"
    assert out[3] == "<lazy module 'colorsys'>"


def test_a_missing_module_fails_on_use():
    from facsynth._lazy import lazy_module

    missing = lazy_module("facsynth_no_such_module")
    try:
        missing.anything
    except ImportError as e:
        assert "facsynth_no_such_module" in str(e)
    else:
        raise AssertionError("a missing module must raise ImportError when used")
