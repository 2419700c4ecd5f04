"""The fitted state of a MetadataEncoder as plain data, for saving without pickle."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._frame import _plain

# Version of the dict of ``encoder_state``; ``encoder_from_state`` refuses others.
_STATE_VERSION = 1


def encoder_state(encoder):
    """The state of a fitted encoder (see ``MetadataEncoder._get_state``)."""
    check_is_fitted(encoder)
    state = {
        "version": _STATE_VERSION,
        "categorical": encoder.categorical,
        "numeric": encoder.numeric,
        "n_features_in": int(encoder.n_features_in_),
        "feature_names_in": (
            [str(name) for name in encoder.feature_names_in_]
            if hasattr(encoder, "feature_names_in_")
            else None
        ),
        "categories": [list(categories) for categories in encoder.categories_],
        "medians": encoder.medians_.copy(),
    }
    for name in _STATE_COLUMN_LISTS:
        state[name] = [_state_column(c) for c in getattr(encoder, f"{name}_")]
    if encoder.numeric == "standardize":
        state["means"] = encoder.means_.copy()
        state["scales"] = encoder.scales_.copy()
    return state


def encoder_from_state(cls, state):
    """A fitted ``cls`` from an :func:`encoder_state` dict (see ``_from_state``)."""
    if state.get("version") != _STATE_VERSION:
        raise ValueError(
            f"This MetadataEncoder state has version {state.get('version')!r}; "
            f"this version of skmultimodal reads version {_STATE_VERSION}. "
            "Refit the encoder, or load it with the skmultimodal that saved it."
        )
    encoder = cls(categorical=state["categorical"], numeric=state["numeric"])
    encoder.n_features_in_ = int(state["n_features_in"])
    if state["feature_names_in"] is not None:
        encoder.feature_names_in_ = np.asarray(
            state["feature_names_in"], dtype=object
        )
    for name in _STATE_COLUMN_LISTS:
        setattr(encoder, f"{name}_", list(state[name]))
    encoder.categories_ = [list(categories) for categories in state["categories"]]
    encoder.medians_ = np.asarray(state["medians"], dtype=np.float64)
    if encoder.numeric == "standardize":
        encoder.means_ = np.asarray(state["means"], dtype=np.float64)
        encoder.scales_ = np.asarray(state["scales"], dtype=np.float64)
    encoder.source_columns_ = encoder._source_columns()
    return encoder


# Fitted attributes holding column names, saved under their names without "_".
_STATE_COLUMN_LISTS = (
    "numeric_columns",
    "categorical_columns",
    "indicated_columns",
    "missingness_only_columns",
    "uninformative_columns",
)


def _state_column(name):
    name = _plain(name)
    if isinstance(name, bool) or not isinstance(name, (str, int)):
        raise TypeError(
            f"Metadata column name {name!r} is a {type(name).__name__}; a saved "
            "encoder names its columns by str or int. Rename the column."
        )
    return name
