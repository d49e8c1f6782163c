"""facsynth studio: the local web app and HTTP API over every job."""
