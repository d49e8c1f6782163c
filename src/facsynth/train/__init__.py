"""Training: data sets, loops, metrics for facsynth's learned models."""
