"""save_model and load_model: fitted estimators in one file, loaded without pickle."""

import importlib.metadata
import platform

import safetensors
import safetensors.numpy
import safetensors.torch
from sklearn.utils.validation import check_is_fitted
from torch import nn

from ..forest import MetadataForestClassifier
from ..neural import MultimodalLesionClassifier
from ._archive import FORMAT, FORMAT_VERSION, read_archive, write_archive
from ._codec import decode, encode
from ._estimators import forest_state, load_forest, load_net, net_state

# The estimators a model file holds: how each is saved and loaded.
_FORMATS = {
    MultimodalLesionClassifier: (net_state, load_net),
    MetadataForestClassifier: (forest_state, load_forest),
}
_CLASSES = {cls.__name__: cls for cls in _FORMATS}
_ARRAYS, _WEIGHTS = "arrays.safetensors", "weights.safetensors"
# Distributions whose versions the manifest records.
_DISTRIBUTIONS = (
    "skmultimodal", "scikit-learn", "torch", "torchvision", "timm", "skorch", "numpy",
    "pandas", "safetensors",
)


def save_model(estimator, path):
    """Save a fitted estimator to one file that loads without running its code.

    The file is an uncompressed zip archive: a JSON manifest (the class, every
    parameter, the fitted attributes, the library versions, a format
    version and the SHA-256 of every other member) and the numbers as
    safetensors: the fusion net's weights, on the CPU, and the metadata
    encoder's and the forest's arrays. Nothing in it is pickled, so
    :func:`load_model` runs no code from the file. A checksum of the whole
    file lets :func:`load_model` refuse one that changed after it was written.
    The file is written under a temporary name and renamed into place.

    Parameters
    ----------
    estimator : MultimodalLesionClassifier or MetadataForestClassifier
        A fitted estimator of one of these two classes (not a subclass or a
        pipeline; save those with :func:`joblib.dump`).
    path : str or os.PathLike
        The file to write; an existing file is replaced.

    Raises
    ------
    TypeError
        If ``estimator`` is of another class.
    sklearn.exceptions.NotFittedError
        If it is not fitted.
    ValueError
        If a parameter holds code, which a file without pickle cannot hold:
        a :class:`torch.nn.Module` as ``backbone``, or ``callbacks``. A
        :class:`numpy.random.RandomState` as ``random_state`` is saved with
        its exact state.

    See Also
    --------
    load_model : the estimator back from the file.

    Notes
    -----
    A net's architecture is saved as a description (backbone name, image
    size, modalities, head) and rebuilt by :func:`load_model` from the
    library's code, with random initial weights that the saved ones then
    replace: pretrained weights named by ``weights`` are never downloaded
    again. A net trained on a GPU loads on a machine without one.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from skmultimodal import MetadataForestClassifier, load_model, save_model
    >>> from skmultimodal.datasets import make_lesions
    >>> X, y = make_lesions(60, image_size=32, directory=tempfile.mkdtemp(),
    ...                     random_state=0)
    >>> forest = MetadataForestClassifier(n_estimators=20, random_state=0).fit(X, y)
    >>> path = os.path.join(tempfile.mkdtemp(), "forest.skmodel")
    >>> save_model(forest, path)
    >>> loaded = load_model(path)
    >>> np.array_equal(loaded.predict_proba(X), forest.predict_proba(X))
    True
    """
    formats = _FORMATS.get(type(estimator))
    if formats is None:
        raise TypeError(
            f"save_model saves {sorted(_CLASSES)}, not a {type(estimator).__name__}. "
            "Save other objects with joblib.dump (which runs code when loading: "
            "load only files you trust)."
        )
    check_is_fitted(estimator)
    save_state, _ = formats
    arrays, tensors = {}, {}
    params = _encode_params(estimator, arrays)
    state = save_state(estimator, arrays, tensors)
    members = {_ARRAYS: safetensors.numpy.save(arrays)}
    if tensors:
        members[_WEIGHTS] = safetensors.torch.save(tensors)
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "estimator": type(estimator).__name__,
        "versions": _versions(),
        "params": params,
        "state": state,
    }
    write_archive(path, manifest, members)


def load_model(path):
    """Load an estimator saved by :func:`save_model`, without unpickling anything.

    Every check comes before the estimator is built: the checksum of the
    whole file, each member's CRC and SHA-256, the format version and the
    class. Values are read as JSON and safetensors; the net's architecture is
    rebuilt by the library from its description (offline: no weights are
    downloaded), then takes the saved weights.

    Parameters
    ----------
    path : str or os.PathLike
        A file written by :func:`save_model`.

    Returns
    -------
    estimator : MultimodalLesionClassifier or MetadataForestClassifier
        Fitted, with the saved parameters; it predicts as the saved one did.
        A fusion net's weights are on the CPU, and ``predict`` moves them to
        the device its ``device`` parameter names (``"auto"``: CUDA when the
        machine has it, else the CPU).

    Raises
    ------
    ValueError
        If the file is not a complete model file (cut short, or written by
        something else), if any byte of it changed since it was written, if
        its format version is not this library's, or if it holds a class
        other than the library's two estimators.

    See Also
    --------
    save_model : writes the file.

    Examples
    --------
    >>> import os, tempfile
    >>> from skmultimodal import MetadataForestClassifier, load_model, save_model
    >>> from skmultimodal.datasets import make_lesions
    >>> X, y = make_lesions(60, image_size=32, directory=tempfile.mkdtemp(),
    ...                     random_state=0)
    >>> path = os.path.join(tempfile.mkdtemp(), "forest.skmodel")
    >>> save_model(MetadataForestClassifier(n_estimators=20).fit(X, y), path)
    >>> load_model(path).classes_.tolist()
    ['bcc', 'bkl', 'melanoma', 'nevus', 'scc']

    A file with a byte changed after saving is refused:

    >>> with open(path, "r+b") as file:
    ...     _ = file.seek(500)
    ...     byte = file.read(1)
    ...     _ = file.seek(500)
    ...     _ = file.write(bytes([byte[0] ^ 1]))
    >>> load_model(path)
    Traceback (most recent call last):
    ...
    ValueError: '...forest.skmodel' is damaged: its bytes do not match the checksum ...
    """
    manifest, members = read_archive(path)
    name = manifest.get("estimator")
    cls = _CLASSES.get(name)
    if cls is None:
        raise ValueError(
            f"{str(path)!r} holds a {name!r}; load_model loads {sorted(_CLASSES)} only."
        )
    if (_WEIGHTS in members) != (cls is MultimodalLesionClassifier):
        raise ValueError(f"{str(path)!r} does not hold the members a {name} needs.")
    try:
        arrays = safetensors.numpy.load(members[_ARRAYS])
        tensors = safetensors.torch.load(members[_WEIGHTS]) if _WEIGHTS in members else {}
    except (safetensors.SafetensorError, KeyError) as error:
        raise ValueError(f"The arrays of {str(path)!r} cannot be read: {error}.") from None
    _, load_state = _FORMATS[cls]
    try:
        params = decode(manifest["params"], arrays)
        expected = set(cls().get_params(deep=False))
        if not isinstance(params, dict) or set(params) != expected:
            raise ValueError(
                f"{str(path)!r} gives the {name} the parameters "
                f"{sorted(params) if isinstance(params, dict) else params!r}; this "
                f"version of skmultimodal has {sorted(expected)}. Load it with the "
                "version that saved it."
            )
        estimator = cls(**params)
        load_state(estimator, manifest["state"], arrays, tensors)
    except (KeyError, TypeError, AttributeError, IndexError) as error:
        raise ValueError(
            f"{str(path)!r} describes its {name} in a form this version of "
            f"skmultimodal cannot read ({type(error).__name__}: {error})."
        ) from None
    return estimator


def _encode_params(estimator, arrays):
    params = estimator.get_params(deep=False)
    # ValueError, as for every value a file cannot hold (UnsaveableValueError).
    if isinstance(params.get("backbone"), nn.Module):
        raise ValueError(  # noqa: TRY004
            "backbone is a torch.nn.Module: a model file describes a net's "
            "architecture by the backbone's name, and a module is code it cannot "
            "hold. Fit with a torchvision or timm backbone name, or save with "
            "joblib.dump (which runs code when loading: load only files you trust)."
        )
    if params.get("callbacks"):
        raise ValueError(
            "callbacks holds skorch callbacks, which are code a model file cannot "
            "hold. They act during training only: estimator.set_params("
            "callbacks=None) before saving leaves the fitted model, and its "
            "predictions, unchanged."
        )
    return encode(params, "params", arrays)


def _versions():
    versions = {"python": platform.python_version()}
    for distribution in _DISTRIBUTIONS:
        try:
            versions[distribution] = importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            versions[distribution] = None
    return versions
