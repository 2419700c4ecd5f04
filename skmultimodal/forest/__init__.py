"""The random-forest metadata baseline of Yap et al. (2018)."""

from ._forest import MetadataForestClassifier

__all__ = ["MetadataForestClassifier"]
