"""Renderers: AU track → photo, video, mesh, preview. They never know where a track came from."""
