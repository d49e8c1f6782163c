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


def test_after_the_import_the_stand_in_is_the_module():
    """Reads see the module's current attributes (a later patch of the module too); writes and deletes reach it."""
    import colorsys

    from facsynth._lazy import lazy_module

    m = lazy_module("colorsys")
    assert m.ONE_THIRD == colorsys.ONE_THIRD
    colorsys.ONE_THIRD = 0.5
    try:
        assert m.ONE_THIRD == 0.5
        m.ONE_THIRD = 0.25
        assert colorsys.ONE_THIRD == 0.25
    finally:
        colorsys.ONE_THIRD = 1.0 / 3.0
    m.facsynth_probe = 1
    assert colorsys.facsynth_probe == 1
    del m.facsynth_probe
    assert not hasattr(colorsys, "facsynth_probe") and not hasattr(m, "facsynth_probe")
    assert repr(m) == "<lazy module 'colorsys'>"


def test_a_read_during_the_modules_own_import_leaves_the_module_alone(tmp_path, monkeypatch):
    """The module's import reads the stand-in (a circular import, or a second thread): the outer first read must not
    write through the already-forwarding stand-in into the module (that made the module forward to itself, and
    the studio's /api/health a RecursionError)."""
    import sys
    import types

    from facsynth._lazy import lazy_module

    holder = types.ModuleType("_facsynth_lazy_holder")
    monkeypatch.setitem(sys.modules, "_facsynth_lazy_holder", holder)
    (tmp_path / "facsynth_lazy_loop.py").write_text(
        "import sys\nX = 1\nSEEN = sys.modules['_facsynth_lazy_holder'].stand.X\nY = 2\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "facsynth_lazy_loop", raising=False)
    holder.stand = lazy_module("facsynth_lazy_loop")
    assert holder.stand.Y == 2
    real = sys.modules["facsynth_lazy_loop"]
    assert type(real) is types.ModuleType and "_lazy_target" not in vars(real)
    assert real.SEEN == 1 and holder.stand.X == 1
