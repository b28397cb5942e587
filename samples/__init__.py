"""Synthetic sample documents with ground truth, for demos, training and benchmarks."""

from samples.generate import FORMATS, Sample, generate

__all__ = ["FORMATS", "Sample", "generate"]
