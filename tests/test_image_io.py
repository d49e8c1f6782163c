"""read_image / write_image: every odd photo file a user may hand us, and atomic writing."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from facsynth.errors import FormatError, ImageError
from facsynth.formats.image import read_image, write_image


@pytest.fixture(scope="module")
def photo(shared_data) -> np.ndarray:
    return np.asarray(Image.open(shared_data / "faces" / "grace_hopper_512x512.jpg").convert("RGB"))[:, :384]


def test_rgb_round_trip_png_and_jpg(photo, tmp_path):
    write_image(photo, tmp_path / "a.png")
    assert np.array_equal(read_image(tmp_path / "a.png"), photo)
    write_image(photo, tmp_path / "a.jpg")
    back = read_image(tmp_path / "a.jpg")
    assert back.shape == photo.shape and np.abs(back.astype(int) - photo).mean() < 3


def test_grayscale_becomes_rgb(photo, tmp_path):
    Image.fromarray(photo).convert("L").save(tmp_path / "g.png")
    img = read_image(tmp_path / "g.png")
    assert img.shape == photo.shape and img.dtype == np.uint8
    assert np.array_equal(img[..., 0], img[..., 2])


def test_rgba_is_composited_over_white(photo, tmp_path):
    rgba = np.dstack([photo, np.full(photo.shape[:2], 255, np.uint8)])
    rgba[:10, :10, 3] = 0
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    img = read_image(tmp_path / "a.png")
    assert (img[:10, :10] == 255).all()
    assert np.array_equal(img[20:, 20:], photo[20:, 20:])


def test_16_bit_gray_and_rgb(photo, tmp_path):
    import cv2

    cv2.imwrite(str(tmp_path / "g16.png"), photo[..., 1].astype(np.uint16) * 257)
    assert np.array_equal(read_image(tmp_path / "g16.png")[..., 0], photo[..., 1])
    cv2.imwrite(str(tmp_path / "c16.png"), photo[..., ::-1].astype(np.uint16) * 257)
    assert np.array_equal(read_image(tmp_path / "c16.png"), photo)


def test_exif_rotation_is_applied(photo, tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # stored rotated: display needs 90° clockwise
    Image.fromarray(photo).save(tmp_path / "r.jpg", exif=exif, quality=95)
    img = read_image(tmp_path / "r.jpg")
    assert img.shape == (photo.shape[1], photo.shape[0], 3)
    assert np.abs(img.astype(int) - np.rot90(photo, -1)).mean() < 4


def test_cmyk_jpeg(photo, tmp_path):
    Image.fromarray(photo).convert("CMYK").save(tmp_path / "c.jpg", quality=95)
    img = read_image(tmp_path / "c.jpg")
    assert img.shape == photo.shape and np.abs(img.astype(int) - photo).mean() < 6


def test_truncated_missing_and_non_image_files_raise(shared_data, tmp_path):
    data = (shared_data / "faces" / "grace_hopper_512x512.jpg").read_bytes()
    (tmp_path / "t.jpg").write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match="truncated"):
        read_image(tmp_path / "t.jpg")
    (tmp_path / "x.png").write_text("not an image")
    with pytest.raises(ImageError, match="not an image"):
        read_image(tmp_path / "x.png")
    with pytest.raises(ImageError, match="does not exist"):
        read_image(tmp_path / "missing.png")


def test_write_is_atomic_and_checked(photo, tmp_path):
    with pytest.raises(FormatError):
        write_image(photo, tmp_path / "a.xyz")
    with pytest.raises(ImageError):
        write_image(photo[..., 0], tmp_path / "a.png")
    assert list(tmp_path.iterdir()) == []
