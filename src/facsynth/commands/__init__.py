"""One module per CLI sub-command (see facsynth.cli for the protocol)."""
