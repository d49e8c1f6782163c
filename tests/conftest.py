"""Shared fixtures: the real data in ../shared/data and a CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data beside the checkout (real photos, speech, clips, text)."""
    assert SHARED_DATA.is_dir(), f"expected shared data at {SHARED_DATA}"
    return SHARED_DATA


@pytest.fixture(scope="session")
def train_seed() -> int:
    """Seed of the tiny models the tests train: FACSYNTH_TEST_SEED, default 0; torch then runs on
    FACSYNTH_TEST_THREADS threads (default 1).

    A learning test compares with a baseline measured in the same run and leaves a wide margin, so it must hold for
    any seed and thread count (float rounding differs between CPUs and thread counts); check one with e.g.
    ``FACSYNTH_TEST_SEED=2 FACSYNTH_TEST_THREADS=2 pytest tests/test_gan_train.py``.
    """
    import torch

    torch.set_num_threads(int(os.environ.get("FACSYNTH_TEST_THREADS", "1")))
    return int(os.environ.get("FACSYNTH_TEST_SEED", "0"))


def run_cli(*args: str, input: str | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``python -m facsynth ARGS`` in a subprocess, capturing text output."""
    return subprocess.run([sys.executable, "-m", "facsynth", *map(str, args)], capture_output=True, text=True,
                          input=input, timeout=timeout)


@pytest.fixture
def cli():
    """The CLI runner (see run_cli)."""
    return run_cli


@pytest.fixture(scope="session")
def hopper(shared_data):
    """Grace Hopper's portrait (public domain), (512, 512, 3) uint8 RGB: the photo tests' default face."""
    from facsynth.formats.image import read_image

    return read_image(shared_data / "faces" / "grace_hopper_512x512.jpg")


@pytest.fixture(scope="session")
def rig(hopper):
    """The photo renderer's rig of ``hopper`` (landmarks, pose, AU basis), built once per session."""
    from facsynth.render.photo import rig_photo

    return rig_photo(hopper)
