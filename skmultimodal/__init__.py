"""Multimodal skin lesion classification with scikit-learn estimators.

The two estimators of Yap, Yolland & Tschandl (2018), "Multimodal skin lesion
classification using deep learning": a fusion net over dermoscopic images,
clinical images and patient metadata, and a random forest on the metadata.
"""

from importlib.metadata import PackageNotFoundError, version

from ._cache import (
    cache_info,
    clear_caches,
    get_image_memory_limit,
    set_image_memory_limit,
)
from ._persistence import load_model, save_model
from .forest import MetadataForestClassifier
from .neural import ImageFeatureExtractor, MultimodalLesionClassifier

try:
    __version__ = version("skmultimodal")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

__all__ = [
    "ImageFeatureExtractor",
    "MetadataForestClassifier",
    "MultimodalLesionClassifier",
    "__version__",
    "cache_info",
    "clear_caches",
    "get_image_memory_limit",
    "load_model",
    "save_model",
    "set_image_memory_limit",
]
