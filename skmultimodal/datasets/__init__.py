"""Lesion frames: synthetic demo data and loaders for public data sets."""

from ._concat import concat_lesions
from ._derm7pt import load_derm7pt
from ._dispatch import load_dataset
from ._ham10000 import load_ham10000
from ._isic import load_isic2019, load_isic2020
from ._milk10k import load_milk10k
from ._pad_ufes20 import load_pad_ufes20
from ._synthetic import make_lesions
from ._vocabulary import CLASSES, OTHER, SITES

__all__ = [
    "CLASSES",
    "OTHER",
    "SITES",
    "concat_lesions",
    "load_dataset",
    "load_derm7pt",
    "load_ham10000",
    "load_isic2019",
    "load_isic2020",
    "load_milk10k",
    "load_pad_ufes20",
    "make_lesions",
]
