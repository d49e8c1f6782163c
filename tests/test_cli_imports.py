"""Running one command imports that command's module only, not every command's (about 50 ms of imports and
parser building a process); help and unknown commands still see them all."""

from __future__ import annotations

import subprocess
import sys


def _loaded(argv: list[str]) -> set[str]:
    code = ("import sys, contextlib, io\nfrom facsynth.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()), "
            "contextlib.suppress(SystemExit):\n"
            f"    main({argv!r})\n"
            "print(' '.join(m for m in sys.modules if m.startswith('facsynth.commands.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_a_command_imports_only_its_own_module():
    assert _loaded(["describe", "--aus", "AU1=2"]) == {"facsynth.commands.describe"}
    trains = _loaded(["train", "--help"])
    assert trains and all(m.startswith("facsynth.commands.train_") for m in trains)


def test_help_and_unknown_commands_list_every_command():
    everything = _loaded(["--help"])
    assert {"facsynth.commands.speak", "facsynth.commands.describe", "facsynth.commands.train_lse"} <= everything
    assert _loaded(["no-such-command"]) == everything
