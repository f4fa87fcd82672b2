"""Item pipelines: normalise (300), dedupe (400), store (500)."""
