"""Fitted estimators saved in one file and loaded without pickle."""

from ._api import load_model, save_model

__all__ = ["load_model", "save_model"]
