"""``python -m facsynth`` runs the CLI."""

from .cli import run

run()
