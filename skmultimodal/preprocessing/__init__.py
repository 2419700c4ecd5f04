"""Preprocessing of the lesion frame: metadata encoding and image decoding."""

from ._images import load_image
from ._metadata import MetadataEncoder
from ._store import ImageLoadError, ImageStore, StoredImages, get_image_store

__all__ = [
    "ImageLoadError",
    "ImageStore",
    "MetadataEncoder",
    "StoredImages",
    "get_image_store",
    "load_image",
]
