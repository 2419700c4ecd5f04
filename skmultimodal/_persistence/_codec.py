"""Values as JSON, their numeric arrays apart: the model file's vocabulary.

Everything an estimator holds besides its network weights is written with
this codec: parameters, labels, column names, the metadata encoder's state,
the training history and the forest's trees. JSON carries the structure;
numeric arrays go to a dict of arrays (saved as safetensors) and JSON names
them by key. Types JSON lacks carry a ``"__type__"`` tag, from a closed list:
reading a file can only ever build the values below, never import or call
anything the file names.
"""

import math
import os
import pathlib

import numpy as np
import pandas as pd
import torch
from sklearn.ensemble import RandomForestClassifier
from sklearn.tree import DecisionTreeClassifier

from .._compat import Tree, tree_from_state, tree_state

TAG = "__type__"

# The scikit-learn estimators a model file may hold (inside the metadata
# forest), by the name the file gives them.
_SKLEARN_CLASSES = {
    cls.__name__: cls for cls in (RandomForestClassifier, DecisionTreeClassifier)
}

# Numeric arrays are stored as safetensors, which has no other dtypes.
_ARRAY_KINDS = "biuf"


class UnsaveableValueError(ValueError):
    """A value the model file cannot hold (code, or a type it does not know)."""

    def __init__(self, path, value):
        self.path = path
        self.value = value
        super().__init__(
            f"{path} is a {type(value).__module__}.{type(value).__qualname__}, which a "
            "model file cannot hold: it stores numbers, strings, lists, tuples, "
            "dicts, arrays, paths and random states, never objects that are code."
        )


def encode(value, path, arrays):
    """``value`` as JSON-ready data; its numeric arrays added to ``arrays``.

    Parameters
    ----------
    value : object
        What to encode.
    path : str
        Where the value sits (``"params/random_state"``): the key of its
        arrays, and the name in error messages.
    arrays : dict of str to ndarray
        Receives the numeric arrays.

    Returns
    -------
    data : None, bool, int, float, str, list or dict

    Raises
    ------
    UnsaveableValueError
        For a value of a type the codec does not know.
    """
    if value is None or isinstance(value, (bool, str)):
        return value if type(value) in (type(None), bool, str) else str(value)
    if isinstance(value, np.generic) and value.dtype.kind in _ARRAY_KINDS:
        return {TAG: "numpy.scalar", "dtype": value.dtype.str,
                "value": encode(value.item(), path, arrays)}
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if math.isfinite(value):
            return float(value)
        return {TAG: "float", "value": repr(value)}
    if isinstance(value, tuple):
        return {TAG: "tuple", "items": _encode_items(value, path, arrays)}
    if isinstance(value, list):
        return _encode_items(value, path, arrays)
    if isinstance(value, dict):
        if all(type(key) is str for key in value) and TAG not in value:
            return {
                key: encode(item, f"{path}/{key}", arrays) for key, item in value.items()
            }
        return {TAG: "dict", "items": [
            [encode(key, f"{path}/key{i}", arrays), encode(item, f"{path}/{i}", arrays)]
            for i, (key, item) in enumerate(value.items())
        ]}
    if isinstance(value, np.ndarray):
        return _encode_array(value, path, arrays)
    if isinstance(value, os.PathLike):
        return {TAG: "path", "value": os.fspath(value)}
    if isinstance(value, torch.device):
        return {TAG: "torch.device", "value": str(value)}
    if isinstance(value, pd.Index):
        items = _encode_items(value.tolist(), path, arrays)
        return {TAG: "pandas.Index", "items": items}
    if type(value) is np.random.RandomState:
        name, keys, position, has_gauss, cached_gaussian = value.get_state(legacy=True)
        return {TAG: "numpy.RandomState", "bit_generator": name,
                "keys": _encode_array(keys, f"{path}/keys", arrays),
                "position": int(position), "has_gauss": int(has_gauss),
                "cached_gaussian": encode(float(cached_gaussian), path, arrays)}
    if _SKLEARN_CLASSES.get(type(value).__name__) is type(value):
        return {TAG: "sklearn", "class": type(value).__name__,
                "state": encode(value.__getstate__(), path, arrays)}
    if type(value) is Tree:
        return {TAG: "sklearn.Tree", "state": encode(tree_state(value), path, arrays)}
    raise UnsaveableValueError(path, value)


def _encode_items(values, path, arrays):
    return [encode(item, f"{path}/{i}", arrays) for i, item in enumerate(values)]


def _encode_array(array, path, arrays):
    if array.dtype.kind in _ARRAY_KINDS and array.dtype.names is None:
        arrays[path] = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
        return {TAG: "ndarray", "key": path}
    if array.dtype.kind in "UO":
        return {TAG: "ndarray", "dtype": array.dtype.str, "shape": list(array.shape),
                "items": _encode_items(array.ravel().tolist(), path, arrays)}
    raise UnsaveableValueError(path, array)


def decode(data, arrays):
    """The value :func:`encode` gave ``data`` for.

    Parameters
    ----------
    data : None, bool, int, float, str, list or dict
        As parsed from JSON.
    arrays : dict of str to ndarray
        The numeric arrays, by key.

    Raises
    ------
    ValueError
        For an unknown tag, or a reference to an array that is not there.
    """
    if isinstance(data, list):
        return [decode(item, arrays) for item in data]
    if not isinstance(data, dict):
        return data
    tag = data.get(TAG)
    if tag is None:
        return {key: decode(item, arrays) for key, item in data.items()}
    decoder = _DECODERS.get(tag)
    if decoder is None:
        raise ValueError(
            f"The model file holds a value of type {tag!r}, which this version of "
            "skmultimodal does not know."
        )
    return decoder(data, arrays)


def _decode_scalar(data, arrays):
    dtype = np.dtype(data["dtype"])
    if dtype.kind not in _ARRAY_KINDS:
        raise ValueError(f"A numpy scalar of dtype {dtype} cannot be read.")
    return dtype.type(decode(data["value"], arrays))


def _decode_float(data, arrays):
    if data["value"] not in ("nan", "inf", "-inf"):
        raise ValueError(f"{data['value']!r} is not a float.")
    return float(data["value"])


def _decode_array(data, arrays):
    if "key" in data:
        if data["key"] not in arrays:
            raise ValueError(
                f"The model file refers to an array {data['key']!r} that it does not "
                "hold."
            )
        return arrays[data["key"]]
    dtype = np.dtype(data["dtype"])
    items = decode(data["items"], arrays)
    if dtype.kind == "U":
        return np.array(items, dtype=dtype).reshape(data["shape"])
    if dtype.kind != "O":
        raise ValueError(f"An array of dtype {dtype} cannot be read from JSON.")
    array = np.empty(len(items), dtype=object)
    array[:] = items
    return array.reshape(data["shape"])


def _decode_random_state(data, arrays):
    random_state = np.random.RandomState()
    random_state.set_state((
        data["bit_generator"], _decode_array(data["keys"], arrays),
        int(data["position"]), int(data["has_gauss"]),
        decode(data["cached_gaussian"], arrays),
    ))
    return random_state


def _decode_sklearn(data, arrays):
    cls = _SKLEARN_CLASSES.get(data["class"])
    if cls is None:
        raise ValueError(
            f"The model file holds a scikit-learn {data['class']!r}; model files "
            f"hold only {sorted(_SKLEARN_CLASSES)}."
        )
    state = decode(data["state"], arrays)
    if not isinstance(state, dict):  # a malformed file: ValueError, as all others
        raise ValueError(  # noqa: TRY004
            f"The state of the saved {data['class']} is not a dict."
        )
    estimator = cls.__new__(cls)
    # What unpickling does: scikit-learn warns here when the file was written
    # by another scikit-learn version.
    estimator.__setstate__(state)
    return estimator


_DECODERS = {
    "numpy.scalar": _decode_scalar,
    "float": _decode_float,
    "tuple": lambda data, arrays: tuple(decode(data["items"], arrays)),
    "dict": lambda data, arrays: {
        decode(key, arrays): decode(item, arrays) for key, item in data["items"]
    },
    "ndarray": _decode_array,
    "path": lambda data, arrays: pathlib.Path(data["value"]),
    "torch.device": lambda data, arrays: torch.device(data["value"]),
    "pandas.Index": lambda data, arrays: pd.Index(decode(data["items"], arrays)),
    "numpy.RandomState": _decode_random_state,
    "sklearn": _decode_sklearn,
    "sklearn.Tree": lambda data, arrays: tree_from_state(decode(data["state"], arrays)),
}
