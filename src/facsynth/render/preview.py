"""Preview renderer: a small numpy software rasteriser that draws the shaded face mesh to PNG or MP4 (no GPU)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import numpy as np

from ..errors import FormatError
from ..face.albedo import vertex_colours
from ..face.model import basis_for, default_face
from ..face.muscles import split_sides
from ..face.topology import (LEFT_IRIS, LOWER_LIP_INNER, RIGHT_IRIS, UPPER_LIP_INNER, boundary_loops, iris_radius,
                             vertex_normals)
from ..track import AUTrack
from .output import write_rendered

__all__ = ["Rasterizer", "render_frames", "render_preview"]

_MOUTH = np.array([0.30, 0.07, 0.08], np.float32)
_TEETH = np.array([0.90, 0.88, 0.82], np.float32)
_SCLERA = np.array([0.93, 0.92, 0.90], np.float32)
_IRIS = np.array([0.22, 0.14, 0.09], np.float32)
_LIGHT = np.array([-0.35, 0.45, 1.0], np.float32) / np.linalg.norm([-0.35, 0.45, 1.0])


class Rasterizer:
    """Orthographic front view of the face mesh, Gouraud-shaded, with eyes and mouth drawn in their openings.

    The framing is fixed by the neutral face (plus room for an open jaw), so frames of one track line up.
    Triangles are drawn far to near (painter's order by depth) after the eye and mouth fills.

    Parameters
    ----------
    neutral : np.ndarray [shape=(478, 3)], face frame (None: the shipped default face)
    size : int, output width and height in pixels
    texture : np.ndarray [shape=(H, W, 3)] uint8 RGB, e.g. the photo the neutral face came from (default: skin
        colour with tinted lips and dark brows)
    uv : np.ndarray [shape=(478, 2)], texture coordinates 0–1 (x right, y down), needed with ``texture``
    background : RGB 0–1 of the backdrop
    """

    def __init__(self, neutral: np.ndarray | None = None, size: int = 512, texture: np.ndarray | None = None,
                 uv: np.ndarray | None = None,
                 background: tuple[float, float, float] = (0.16, 0.17, 0.20)) -> None:

        face = default_face()
        base = np.asarray(face.vertices if neutral is None else neutral, np.float32)
        if size < 16:
            raise FormatError(f"preview size must be at least 16 pixels, got {size}")
        self.size = int(size)
        lo, hi = base[:468, :2].min(axis=0), base[:468, :2].max(axis=0)
        lo[1] -= 0.45  # room for the jaw to open
        span = float((hi - lo).max()) * 1.12
        self.scale = self.size / span
        self.centre = (lo + hi) / 2
        loops = boundary_loops(face.triangles)
        self.mouth_loop, eye_loops = np.asarray(loops[1]), [np.asarray(lp) for lp in loops[2:4]]
        self.eye_loops = sorted(eye_loops, key=lambda lp: base[lp, 0].mean())  # subject's right eye first
        self.triangles = face.triangles.astype(np.int64)
        if (texture is None) != (uv is None):
            raise FormatError("a texture needs texture coordinates (uv) and uv needs a texture")
        self.texture = None
        if texture is None:
            albedo = vertex_colours(base)
        else:
            tex = np.asarray(texture)
            albedo = np.asarray(uv, np.float32)
            if tex.ndim != 3 or tex.shape[2] != 3 or tex.dtype != np.uint8 or albedo.shape != (478, 2):
                raise FormatError("texture must be (H, W, 3) uint8 and uv (478, 2)")
            self.texture = tex.reshape(-1, 3)
            self.tex_size = np.array(tex.shape[1::-1], np.float32)  # (W, H)
        self.albedo = albedo
        yy = np.linspace(1.0, 0.75, self.size, dtype=np.float32)[:, None, None]
        self.background = (np.asarray(background, np.float32) * yy * np.ones((1, self.size, 1), np.float32)
                           * 255).astype(np.uint8)

    def project(self, vertices: np.ndarray) -> np.ndarray:
        """Face-frame vertices (n, 3) → pixel x, y and depth (n, 3) float32 (depth grows towards the viewer)."""
        v = np.asarray(vertices, np.float32)
        out = np.empty_like(v)
        out[:, 0] = (v[:, 0] - self.centre[0]) * self.scale + self.size / 2
        out[:, 1] = self.size / 2 - (v[:, 1] - self.centre[1]) * self.scale
        out[:, 2] = v[:, 2]
        return out

    def render(self, vertices: np.ndarray) -> np.ndarray:
        """One image (size, size, 3) uint8 RGB of the mesh ``vertices`` (478, 3) in the face frame."""

        p = self.project(vertices)
        normals = vertex_normals(vertices[:468], self.triangles)
        shade = 0.35 + 0.65 * np.clip(normals @ _LIGHT, 0, 1)
        colour = np.zeros((478, 3), np.float32)
        if self.texture is None:
            colour[:468] = self.albedo[:468] * shade[:, None]
        else:  # interpolate (u, v, shade) and look the colour up per pixel
            colour[:468, :2] = self.albedo[:468]
            colour[:468, 2] = shade
        img = self.background.reshape(-1, 3).copy()
        # openings first: fans around their centroids, flat-coloured (iris discs inside the eyes)
        fills, fill_colours = [], []
        for loop, col in ((self.mouth_loop, _MOUTH), *((lp, _SCLERA) for lp in self.eye_loops)):
            c = p[loop].mean(axis=0)
            a, b = p[loop], p[np.roll(loop, -1)]
            fills.append(np.stack([np.broadcast_to(c, a.shape), a, b], axis=1))
            fill_colours.append(np.broadcast_to(col, (len(loop), 3)))
        tri = np.concatenate(fills)
        self._fill(img, tri, None, np.concatenate(fill_colours), p)
        # the skin, far to near
        t = self.triangles
        order = np.argsort(p[t, 2].mean(axis=1))
        t = t[order]
        self._fill(img, p[t], colour[t], None, p)
        return img.reshape(self.size, self.size, 3)

    def _fill(self, img: np.ndarray, tri: np.ndarray, vcol: np.ndarray | None, flat: np.ndarray | None,
              p: np.ndarray) -> None:
        """Scan-convert triangles tri (m, 3, 3) pixels into img (size², 3), later triangles on top.

        Each triangle is cut into one span per pixel row it covers; colours are Gouraud-interpolated from vcol
        (m, 3, 3) along the edges and then across the span, or flat (m, 3) per triangle.
        """
        s = self.size
        y = tri[:, :, 1]
        r0 = np.clip(np.ceil(y.min(axis=1) - 0.5), 0, s).astype(np.int32)
        r1 = np.clip(np.floor(y.max(axis=1) - 0.5), -1, s - 1).astype(np.int32)
        rows = np.maximum(r1 - r0 + 1, 0)
        n_spans = int(rows.sum())
        if n_spans == 0:
            return
        tid = np.repeat(np.arange(len(tri), dtype=np.int32), rows)
        row = (np.arange(n_spans, dtype=np.int32) - np.repeat(np.cumsum(rows) - rows, rows)) + r0[tid]
        yc = row.astype(np.float32) + 0.5
        t = tri[tid]
        a, b = t, t[:, [1, 2, 0]]
        dy = b[:, :, 1] - a[:, :, 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            u = (yc[:, None] - a[:, :, 1]) / dy
        ok = (u >= 0) & (u <= 1) & (dy != 0)
        u = np.where(ok, u, 0)
        xe = a[:, :, 0] + u * (b[:, :, 0] - a[:, :, 0])
        left = np.argmin(np.where(ok, xe, np.inf), axis=1)
        right = np.argmax(np.where(ok, xe, -np.inf), axis=1)
        k = np.arange(n_spans)
        xl, xr = xe[k, left], xe[k, right]
        c0 = np.clip(np.ceil(xl - 0.5), 0, s).astype(np.int32)
        c1 = np.clip(np.floor(xr - 0.5), -1, s - 1).astype(np.int32)
        width = np.maximum(c1 - c0 + 1, 0)
        total = int(width.sum())
        if total == 0:
            return
        span = np.repeat(np.arange(n_spans, dtype=np.int32), width)
        col_idx = (np.arange(total, dtype=np.int32) - np.repeat(np.cumsum(width) - width, width)) + c0[span]
        pix = row[span] * s + col_idx
        if vcol is None:
            col = flat[tid[span]].copy()
            self._details(col, col_idx.astype(np.float32) + 0.5, yc[span], p)
        else:
            vc = vcol[tid]
            vb = vc[:, [1, 2, 0]]
            ce = vc + u[:, :, None] * (vb - vc)
            cl, cr = ce[k, left], ce[k, right]
            inv = (1.0 / np.maximum(xr - xl, 1e-6)).astype(np.float32)
            f = (col_idx + 0.5 - xl[span]) * inv[span]
            col = cl[span] + f[:, None] * (cr - cl)[span]
            if self.texture is not None:
                tx = np.clip((col[:, :2] * self.tex_size).astype(np.int32), 0, self.tex_size.astype(np.int32) - 1)
                col = self.texture[tx[:, 1] * int(self.tex_size[0]) + tx[:, 0]] * (col[:, 2:3] / 255.0)
        img[pix] = np.clip(col * 255 + 0.5, 0, 255).astype(np.uint8)

    def _details(self, col: np.ndarray, px: np.ndarray, py: np.ndarray, p: np.ndarray) -> None:
        """Paint iris discs over sclera pixels and teeth along the lips inside the mouth (in place)."""

        sclera = np.all(col == _SCLERA, axis=1)
        for centre in (RIGHT_IRIS, LEFT_IRIS):
            r = iris_radius(p, centre)
            d2 = (px - p[centre, 0]) ** 2 + (py - p[centre, 1]) ** 2
            hit = sclera & (d2 < r * r)
            col[hit] = _IRIS * (0.6 + 0.4 * np.sqrt(d2[hit]) / max(r, 1e-3))[:, None]
        mouth = np.all(col == _MOUTH, axis=1)
        if mouth.any():
            tooth = 0.09 * self.scale
            up, lo = np.asarray(UPPER_LIP_INNER), np.asarray(LOWER_LIP_INNER)
            y_up = np.interp(px[mouth], p[up, 0], p[up, 1])
            y_lo = np.interp(px[mouth], p[lo, 0], p[lo, 1])
            gap = np.maximum(y_lo - y_up, 1e-3)
            depth = np.minimum(tooth, 0.35 * gap)
            yy = py[mouth]
            # teeth only between the canines; the corners of the mouth are cavity, in shadow
            half = max(abs(float(p[291, 0] - p[61, 0])) / 2, 1e-3)
            side = np.abs(px[mouth] - float(p[61, 0] + p[291, 0]) / 2) / half
            teeth = ((yy - y_up < depth) | (y_lo - yy < 0.6 * depth)) & (side < 0.72)
            shade = np.where(teeth, 1.0, 0.0)[:, None]
            dark = (1.0 - 0.6 * np.clip((side - 0.5) / 0.5, 0, 1) ** 2)[:, None]
            col[mouth] = _TEETH * shade + _MOUTH * dark * (1 - shade)

def render_frames(track: AUTrack, *, neutral: np.ndarray | None = None, size: int = 512,
                  texture: np.ndarray | None = None, uv: np.ndarray | None = None) -> Iterator[np.ndarray]:
    """Rendered frames (size, size, 3) uint8 RGB of ``track``, one per track frame (a generator)."""
    raster = Rasterizer(neutral, size, texture, uv)
    basis = basis_for(default_face().vertices if neutral is None else neutral)
    right, left = split_sides(track.values, track.aus, track.sides)  # one-sided AUs move their half only
    chunk = 256
    for i in range(0, track.n_frames, chunk):
        for verts in basis.apply(right[i:i + chunk], track.aus, None if left is None else left[i:i + chunk]):
            yield raster.render(verts)


def render_preview(track: AUTrack, path: str | os.PathLike, audio: str | os.PathLike | None = None, *,
                   neutral: np.ndarray | None = None, size: int = 512, texture: np.ndarray | None = None,
                   uv: np.ndarray | None = None) -> Path:
    """Render ``track`` on the face mesh to a PNG (one frame) or an MP4 (every frame, with ``audio``).

    Parameters
    ----------
    track : AUTrack; an image shows its most intense frame (largest summed intensity), a .mp4 all frames at
        the track's frame rate
    path : image (.png, .jpg, …) or .mp4 output, written atomically (render.output.write_rendered)
    audio : optional speech file muxed into the MP4 (ignored for PNG)
    neutral : (478, 3) face frame, the face to deform (default: the shipped neutral face)
    size : width and height in pixels
    texture, uv : optional photo texture (H, W, 3) uint8 and its coordinates (478, 2) in 0–1 (see Rasterizer)

    Returns
    -------
    Path of the written file.
    """
    def render(t: AUTrack) -> Iterator[np.ndarray]:
        return render_frames(t, neutral=neutral, size=size, texture=texture, uv=uv)

    return write_rendered(render, track, path, audio, still="apex")
