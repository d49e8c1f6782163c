"""The one way facsynth defers an import: ``name = lazy_module("dotted.name")`` at the top of a module.

facsynth's own modules import each other at the top, as usual. Two kinds of module are bound with
:func:`lazy_module` instead, so that ``facsynth --help`` and the light commands (parse, describe, track, mesh, …)
never pay for them:

- heavy third-party libraries: torch, fastapi/uvicorn, scipy, scikit-image, mediapipe/cv2, dlib, imageio-ffmpeg,
  soundfile, pyarrow, fsspec, ray, transformers, and tqdm (45 ms: its package imports its CLI and GUI helpers);
- the few facsynth modules that load torch or fastapi as they import (they define ``nn.Module`` classes or route
  decorators at module level): ``render.gan``, ``train.*`` loops, ``speech.models``, ``speech.voice_classifier``,
  ``language.encoder``, ``server.app``.

Rarely, a light facsynth module is bound too, where a module that ``--help`` loads would otherwise pull in a whole
pipeline (``speech/__init__.py`` binds ``speech.rules``: about 40 ms of imports with its voice analysis).

The binding stays at the top of the module, so readers and ``tools/import_graph.py`` still see every edge; the
module loads on the first attribute access (``torch.zeros``), through the ordinary import system (thread safe,
cached in ``sys.modules``). Until then nothing is imported and nothing is added to ``sys.modules``. From then on
the stand-in forwards every attribute read, write and delete to the module (a read costs about 1 µs, where a
module's own failed lookup before ``__getattr__`` cost 5–15 µs: 1 s per 10 s talking video, whose renderer read
``cv2.LINE_8`` 900 times a frame).
"""

from __future__ import annotations

import importlib
import types

__all__ = ["lazy_module"]


class _LazyModule(types.ModuleType):
    """Stands for the module ``__name__`` and imports it on first attribute access."""

    def __getattr__(self, attr: str):
        module = importlib.import_module(self.__name__)
        # the import may have read this stand-in already (a circular import, another thread), which then
        # forwards: the stand-in's own state is set past the forwarding, never on the module
        object.__getattribute__(self, "__dict__")["_lazy_target"] = module
        object.__setattr__(self, "__class__", _ImportedModule)  # from now on every attribute is the module's
        return getattr(module, attr)

    def __repr__(self) -> str:
        return f"<lazy module {self.__name__!r}>"


class _ImportedModule(_LazyModule):
    """A stand-in whose module is imported: reads, writes and deletes of attributes go to the module.

    Forwarding in ``__getattribute__`` costs a fraction of a microsecond; the miss that ``__getattr__`` needs
    (a module's failed lookup builds an AttributeError) cost about 5 µs per read, and a renderer reads cv2 names
    a thousand times per frame."""

    def __getattribute__(self, attr: str):
        return getattr(object.__getattribute__(self, "__dict__")["_lazy_target"], attr)

    __getattr__ = __getattribute__  # a missing name: the module's own AttributeError, raised again

    def __setattr__(self, attr: str, value) -> None:
        setattr(object.__getattribute__(self, "__dict__")["_lazy_target"], attr, value)

    def __delattr__(self, attr: str) -> None:
        delattr(object.__getattribute__(self, "__dict__")["_lazy_target"], attr)


def lazy_module(name: str) -> types.ModuleType:
    """A stand-in for the module ``name`` (absolute dotted name) that imports it when an attribute is first read.

    >>> torch = lazy_module("torch")   # nothing imported yet
    >>> torch.zeros(3).shape           # torch imports here  # doctest: +SKIP
    """
    return _LazyModule(name)
