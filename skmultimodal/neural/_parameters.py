"""Every parameter of MultimodalLesionClassifier, checked in one place.

The table gives each parameter's types and ranges, checked at the start of
``fit`` with scikit-learn's messages ("The 'lr' parameter of ... must be a
float in the range [0.0, inf). Got -1 instead."). What needs more than a
type and a range (modality names, layer widths, devices, callbacks, weights
per modality, combinations of parameters) is checked by
:func:`check_parameters` right after.
"""

import numbers
import os
import warnings

import torch

from .._compat import Interval, Options, StrOptions
from .._frame import IMAGE_MODALITIES, check_modalities
from ._callbacks import check_user_callbacks
from ._device import resolve_device

_PATH = [str, os.PathLike]
_COLUMN = [str, numbers.Integral]
_POSITIVE = Interval(numbers.Integral, 1, None, closed="left")
_FRACTION = Interval(numbers.Real, 0, 1, closed="left")

PARAMETER_CONSTRAINTS = {
    "modalities": [str, "array-like"],
    "embedding_dims": [_POSITIVE, "array-like"],
    "backbone": [str, torch.nn.Module],
    "weights": [*_PATH, dict, None],
    "image_size": [_POSITIVE],
    "share_towers": ["boolean"],
    "freeze_towers": ["boolean"],
    "augment": ["boolean"],
    "augmented_views": [_POSITIVE],
    "dropout": [_FRACTION],
    "modality_dropout": [_FRACTION],
    "max_epochs": [_POSITIVE],
    "batch_size": [_POSITIVE],
    "lr": [Interval(numbers.Real, 0, None, closed="left")],
    "lr_schedule": [StrOptions({"cosine", "constant"})],
    "weight_decay": [Interval(numbers.Real, 0, None, closed="left")],
    "class_weight": [StrOptions({"balanced"}), dict, None],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
    "n_iter_no_change": [_POSITIVE],
    "callbacks": [list, None],
    "device": [str, torch.device],
    "mixed_precision": [StrOptions({"auto"}), "boolean"],
    "random_state": ["random_state"],
    "dermoscopic_column": _COLUMN,
    "clinical_column": _COLUMN,
    "metadata_columns": ["array-like", str, None],
    "image_root": [*_PATH, None],
    "cache_dir": [*_PATH, None],
    "decode_jobs": [Options(numbers.Integral, {-1}), _POSITIVE, None],
    "verbose": ["verbose"],
}


def check_parameters(estimator):
    """What the table cannot say; return the embedding network's widths."""
    modalities = check_modalities(estimator.modalities)
    embedding_dims = check_embedding_dims(estimator.embedding_dims)
    resolve_device(estimator.device)
    check_user_callbacks(estimator.callbacks)
    images = [m for m in modalities if m in IMAGE_MODALITIES]
    if images and not estimator.freeze_towers and estimator.batch_size < 2:
        raise ValueError(
            f"batch_size={estimator.batch_size} cannot train image towers: batch "
            "normalisation needs at least 2 images per batch. Use batch_size >= 2 "
            "(e.g. 32), or freeze_towers=True."
        )
    if isinstance(estimator.weights, dict):
        _check_weights_per_modality(estimator.weights, images, estimator.share_towers)
    if estimator.modality_dropout and len(modalities) == 1:
        warnings.warn(
            f"modality_dropout={estimator.modality_dropout} has no effect with the "
            f"single modality {modalities[0]!r}: a lesion's only input is never "
            "hidden.",
            UserWarning,
            stacklevel=4,
        )
    return embedding_dims


def check_embedding_dims(embedding_dims):
    """``embedding_dims`` as a tuple of positive ints (an int is one layer)."""
    if isinstance(embedding_dims, numbers.Integral):
        embedding_dims = (embedding_dims,)
    try:
        dims = tuple(embedding_dims)
    except TypeError:
        raise TypeError(
            f"embedding_dims must be a tuple of layer widths such as (1024, 1024), "
            f"got {embedding_dims!r}."
        ) from None
    for width in dims:
        if not isinstance(width, numbers.Integral) or isinstance(width, bool) or width < 1:
            raise ValueError(
                f"embedding_dims must hold positive integers, got {embedding_dims!r}."
            )
    return tuple(int(width) for width in dims)


def _check_weights_per_modality(weights, images, share_towers):
    unknown = [key for key in weights if key not in IMAGE_MODALITIES]
    if unknown:
        raise ValueError(
            f"weights names {unknown}; a dict of weights maps image modalities "
            f"({list(IMAGE_MODALITIES)}) to the weights of their towers."
        )
    odd = {m: value for m, value in weights.items() if not isinstance(value, (*_PATH, type(None)))}
    if odd:
        raise TypeError(
            f"weights gives {odd}; each tower's weights are a name such as "
            "'DEFAULT', the path of a weights file (an exported tower's "
            "<modality>.safetensors, a state dict), or None for random weights."
        )
    lacking = [m for m in images if m not in weights]
    if lacking:
        raise ValueError(
            f"weights gives no weights for the {lacking} tower(s); name every image "
            f"modality of the net ({images}), with None for random weights."
        )
    if share_towers and len({repr(weights[m]) for m in images}) > 1:
        raise ValueError(
            "share_towers=True builds one tower for both images, but weights gives "
            "each modality other weights; give one value, or share_towers=False."
        )
