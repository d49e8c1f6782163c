"""The ``facsynth`` command: one sub-command per job, each defined by a module in ``facsynth.commands``.

A command module holds ``NAME``, ``HELP``, ``add_arguments(parser)`` and ``run(args) -> int``; modules named
``train_*`` become ``facsynth train NAME``. Modules bind heavy libraries with ``facsynth._lazy.lazy_module`` so
``--help`` stays fast.
"""

from __future__ import annotations

import argparse
import atexit
import os
import signal
import sys
import warnings
from typing import Sequence

from .commands import command_modules
from .errors import FacsynthError
from .version import facsynth_version

__all__ = ["main", "run", "build_parser"]


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The full argument parser, sub-commands included; with ``command`` (the name a command line starts with),
    only that command's sub-parser (every ``train`` one for "train"), so running a command imports no other
    command's module (about 50 ms of imports and parser building)."""
    parser = argparse.ArgumentParser(
        prog="facsynth",
        description="Turn language and speech into facial expressions through FACS Action Unit tracks.",
    )
    parser.add_argument("--version", action="version", version=f"facsynth {facsynth_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    train = sub.add_parser("train", help="train a model (lse, emotion, speech, voice-emotion, ganimation, fesn)",
                           description="Train one of facsynth's learned models.")
    train_sub = train.add_subparsers(dest="target", metavar="MODEL", required=True)
    for name, mod in command_modules(command):
        target = train_sub if name.startswith("train_") else sub
        p = target.add_parser(mod.NAME, help=mod.HELP, description=getattr(mod, "DESCRIPTION", mod.HELP),
                              formatter_class=argparse.RawDescriptionHelpFormatter)
        mod.add_arguments(p)
        p.set_defaults(_run=mod.run)
    return parser


def _one_blas_thread() -> None:
    """numpy's BLAS (OpenBLAS) on one thread for the rest of the process: facsynth's matrices are small, and idle
    OpenBLAS threads spin between calls for the CPU the renderer and ffmpeg need (``speak --face`` on 10 s of speech:
    3.6 s of system CPU and 0.8 s of wall on 2 cores). Libraries loaded later (torch's own) keep their threads."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Show a warning (silent audio, cut text, …) as one plain line, without the source location."""
    print(f"facsynth: warning: {message}", file=sys.stderr)


class _Terminated(BaseException):
    """SIGTERM or SIGHUP arrived: unwinds like Ctrl-C, so every ``finally`` (temporary files, ffmpeg) runs."""


def _terminate(signum, frame) -> None:
    raise _Terminated(signum)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; a FacsynthError becomes one line on stderr and exit code 2; warnings are one line each.

    Ctrl-C, SIGTERM and SIGHUP stop the command cleanly (exit 130, 143, 129): work folders are removed on the way out.
    """
    words = list(sys.argv[1:] if argv is None else argv)
    command = words[0] if words and not words[0].startswith("-") else None
    args = build_parser(command).parse_args(words)
    _one_blas_thread()
    warnings.showwarning = _one_line_warning
    previous = {sig: signal.signal(sig, _terminate) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        return int(args._run(args) or 0)
    except FacsynthError as e:
        print(f"facsynth: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("facsynth: interrupted", file=sys.stderr)
        return 130
    except _Terminated as e:
        print("facsynth: terminated", file=sys.stderr)
        return 128 + e.args[0]
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def run() -> None:
    """The ``facsynth`` console command: ``main()``, then leave without tearing the interpreter down.

    When ``main`` returns, every output is written and closed (atomic writes, ffmpeg waited for); what the
    interpreter's teardown would still do is free the loaded models one by one (onnxruntime's sessions and
    pocketsphinx's acoustic model about 0.15 s each, cv2), 0.2–0.35 s that no one waits for. atexit handlers
    (temporary folders, logging) still run and the standard streams are flushed; only the teardown is skipped.
    """
    try:
        code = main()
    except SystemExit as stop:  # argparse: --help, --version, a usage error
        code = stop.code
    if not isinstance(code, int):  # sys.exit's rules: None is success, anything else is printed as the error
        if code is not None:
            print(code, file=sys.stderr)
        code = 0 if code is None else 1
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # the reader went away (``| head``) or the stream was closed
            pass
    os._exit(code)


if __name__ == "__main__":
    run()
