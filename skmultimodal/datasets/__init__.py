"""Lesion frames: synthetic demo data and loaders for public data sets."""

from ._synthetic import make_lesions
from ._vocabulary import CLASSES, OTHER, SITES

__all__ = ["CLASSES", "OTHER", "SITES", "make_lesions"]
