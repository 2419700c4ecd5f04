"""Towers written to disk and read back: one safetensors file and its description each.

:meth:`~skmultimodal.MultimodalLesionClassifier.export_towers` writes
``<modality>.safetensors`` (the tower's weights, without classifier) and
``<modality>.json`` beside it (what the tower is: backbone, image size,
normalisation, classes, feature width). ``weights=`` reads both back; the
description makes a tower of another backbone an error before anything is
loaded, and gives the tower the normalisation it was trained with.
"""

import hashlib
import json
import os
import warnings
from functools import partial

import numpy as np
import torch
from safetensors import torch as safetensors_torch
from sklearn.utils.validation import check_is_fitted

from .._atomic import written_whole
from .._frame import IMAGE_MODALITIES

#: The ``format`` field of a tower description.
FORMAT = "skmultimodal.tower"
FORMAT_VERSION = 1
_REQUIRED = ("backbone", "image_size", "normalization", "n_features", "sha256")


def description_path(weights_path):
    """The description's path beside a tower file: ``<name>.json`` for ``<name>.safetensors``."""
    return os.path.splitext(os.fspath(weights_path))[0] + ".json"


def tower_description(path):
    """The description of a tower written by ``export_towers``.

    Parameters
    ----------
    path : str or os.PathLike
        A tower file, ``<modality>.safetensors``, with its ``<modality>.json``
        beside it.

    Returns
    -------
    description : dict
        ``backbone`` (the backbone's name, or ``"module"`` for a
        :class:`torch.nn.Module`, then ``module_class`` names its class),
        ``image_size``, ``normalization`` (``mean`` and ``std``),
        ``n_features``, ``modality``, ``classes`` (of the model it was
        trained in), ``modalities`` (of that model), ``shared_towers``,
        ``trained`` (False when the towers were frozen, so that the tower
        holds its initial weights), ``initial_weights``, ``sha256`` (of the
        tower file), ``skmultimodal_version``, ``torch_version``, ``format``
        and ``format_version``.

    Raises
    ------
    FileNotFoundError
        If there is no description beside ``path``.
    ValueError
        If the description cannot be read.

    See Also
    --------
    exported_weights : the ``weights=`` of a folder of exported towers.

    Examples
    --------
    >>> import tempfile
    >>> from skmultimodal import MultimodalLesionClassifier
    >>> from skmultimodal.datasets import make_lesions
    >>> from skmultimodal.neural import tower_description
    >>> X, y = make_lesions(20, image_size=32, random_state=0,
    ...                     directory=tempfile.mkdtemp())
    >>> net = MultimodalLesionClassifier(
    ...     ("dermoscopic",), backbone="resnet18", weights=None, image_size=32,
    ...     max_epochs=1, random_state=0).fit(X, y)
    >>> paths = net.export_towers(tempfile.mkdtemp())
    >>> description = tower_description(paths["dermoscopic"])
    >>> description["backbone"], description["image_size"], description["n_features"]
    ('resnet18', 32, 512)
    """
    description = read_tower_description(path)
    if description is None:
        raise FileNotFoundError(
            f"{os.fspath(path)!r} has no tower description beside it "
            f"({description_path(path)!r}, as export_towers writes it)."
        )
    return description


def read_tower_description(path):
    """The description beside a tower file, or None when none of ours is there."""
    json_path = description_path(path)
    if not os.path.isfile(json_path):
        return None
    try:
        with open(json_path, encoding="utf-8") as file:
            description = json.load(file)
    except (OSError, ValueError) as error:
        raise ValueError(
            f"Cannot read the tower description {json_path!r} beside the weights "
            f"file {os.fspath(path)!r}: {error}. Export the tower again, or remove "
            "the damaged description to load the file as a plain state dict."
        ) from error
    if not isinstance(description, dict) or description.get("format") != FORMAT:
        return None  # some other JSON file that happens to share the name
    lacking = [key for key in _REQUIRED if key not in description]
    if lacking or description.get("format_version", 0) > FORMAT_VERSION:
        raise ValueError(
            f"The tower description {json_path!r} lacks {lacking} or is of a newer "
            f"format (version {description.get('format_version')!r}; this release "
            f"reads version {FORMAT_VERSION}). Export the tower again with this "
            "release of skmultimodal."
        )
    return description


def backbone_name(backbone):
    """How a description names ``backbone``: its name, or ``"module"``."""
    return backbone if isinstance(backbone, str) else "module"


def _module_class(module):
    return f"{type(module).__module__}.{type(module).__qualname__}"


def _architecture(name):
    """A backbone name without its timm pretrained tag: the weights' layout."""
    if name.startswith("timm:") and not name.startswith("timm:hf-hub:"):
        return name.split(".", 1)[0]
    return name


def check_tower_description(description, backbone, path, image_size):
    """Refuse a tower exported from another backbone, or a file its description does not fit.

    Runs before anything is loaded, so that a tower is never half-loaded.
    """
    path = os.fspath(path)
    exported = description["backbone"]
    if exported == "module" and isinstance(backbone, str):
        raise ValueError(
            f"The tower {path!r} was exported from a torch.nn.Module backbone "
            f"({description.get('module_class')}), not {backbone!r}. Pass that same "
            "module as backbone to load it."
        )
    if exported != "module" and not isinstance(backbone, str):
        raise ValueError(
            f"The tower {path!r} was exported from backbone {exported!r}, but the "
            f"backbone is a module ({_module_class(backbone)}). Set "
            f"backbone={exported!r} to load it."
        )
    if exported == "module" and description.get("module_class") != _module_class(backbone):
        raise ValueError(
            f"The tower {path!r} was exported from a {description.get('module_class')} "
            f"module, but the backbone is a {_module_class(backbone)}. Pass the same "
            "module as backbone to load it."
        )
    if exported != "module" and _architecture(exported) != _architecture(backbone):
        raise ValueError(
            f"The tower {path!r} was exported from backbone {exported!r}, not "
            f"{backbone!r}: its weights do not fit, and nothing was loaded. Set "
            f"backbone={exported!r} to use it."
        )
    if _sha256(path) != description["sha256"]:
        raise ValueError(
            f"The weights file {path!r} is not the one its description "
            f"{description_path(path)!r} was written for (their SHA-256 differ): "
            "they come from different exports. Export the tower again."
        )
    if description["image_size"] != image_size:
        warnings.warn(
            f"The tower {path!r} was trained on {description['image_size']}-pixel "
            f"images and is now used at {image_size} pixels; its features change "
            f"with scale. Set image_size={description['image_size']} to use it as "
            "trained.",
            UserWarning,
            stacklevel=2,
        )


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def export_towers(estimator, directory):
    """Write each image tower of a fitted estimator; see its ``export_towers``."""
    from .. import __version__  # the package sits above this module

    check_is_fitted(estimator)
    module = estimator.net_.module_
    if not module.image_modalities:
        raise ValueError(
            f"This model has no image tower to export: its modalities are "
            f"{list(estimator.modalities_)}."
        )
    directory = os.fspath(directory)
    os.makedirs(directory, exist_ok=True)
    normalization = {
        name: [round(float(value) / 255.0, 6) for value in buffer.flatten()]
        for name, buffer in (("mean", module.mean), ("std", module.std))
    }
    weights = estimator.weights
    paths = {}
    for modality in module.image_modalities:
        tower = module.towers[module.tower_names[modality]]
        # Towers are nn.Sequential(model, Flatten): the model's own keys are
        # those of the backbone's state dicts, so the file loads as one.
        model = tower[0]
        tensors = {
            name: tensor.detach().to("cpu").contiguous().clone()
            for name, tensor in model.state_dict().items()
        }
        path = os.path.join(directory, f"{modality}.safetensors")
        _write_atomically(
            path, partial(safetensors_torch.save_file, tensors, metadata={"format": FORMAT})
        )
        initial = weights.get(modality) if isinstance(weights, dict) else weights
        description = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "modality": modality,
            "backbone": backbone_name(estimator.backbone),
            "image_size": int(estimator.image_size_),
            "normalization": normalization,
            "n_features": _feature_width(tower, estimator.image_size_),
            "classes": [_plain(label) for label in estimator.classes_],
            "modalities": list(estimator.modalities_),
            "shared_towers": len(module.towers) < len(module.image_modalities),
            "trained": not module.freeze_towers,
            "initial_weights": None if initial is None else os.fspath(initial),
            "sha256": _sha256(path),
            "skmultimodal_version": __version__,
            "torch_version": torch.__version__,
        }
        if description["backbone"] == "module":
            description["module_class"] = _module_class(model)
        _write_atomically(description_path(path), partial(_write_json, description))
        paths[modality] = path
    return paths


def _feature_width(tower, image_size):
    was_training = tower.training
    tower.eval()
    try:
        probe = next(iter(tower.parameters()), torch.empty(0))
        with torch.no_grad():
            images = torch.zeros(2, 3, image_size, image_size, dtype=probe.dtype)
            return int(tower(images.to(probe.device)).shape[1])
    finally:
        tower.train(was_training)


def _plain(value):
    return value.item() if isinstance(value, np.generic) else value


def _write_json(description, target):
    with open(target, "w", encoding="utf-8") as file:
        json.dump(description, file, indent=2)
        file.write("\n")


def _write_atomically(path, write):
    """``write(target)`` into a temporary file renamed into place: no reader sees half a file."""
    with written_whole(path) as temporary:
        write(temporary)


def exported_weights(directory, modalities=IMAGE_MODALITIES, *, substitute=None, default=None):
    """The ``weights=`` of a folder of exported towers, one entry per image modality.

    Each tower starts from ``<directory>/<modality>.safetensors`` where that
    file exists; a modality without one starts from the ``substitute``
    modality's tower when asked (a dermoscopic tower pretrained on a public
    set, reused for the clinical images), else from ``default``, with a
    warning.

    Parameters
    ----------
    directory : str or os.PathLike
        A folder written by
        :meth:`~skmultimodal.MultimodalLesionClassifier.export_towers` or
        :func:`~skmultimodal.model_selection.pretrain_tower`.
    modalities : sequence of str, default=("dermoscopic", "clinical")
        The modalities of the net; ``"metadata"`` is ignored.
    substitute : {"dermoscopic", "clinical"} or None, default=None
        The exported tower that starts the towers of the modalities without
        a file of their own.
    default : str, os.PathLike or None, default=None
        The weights of a tower with neither its own file nor a substitute:
        ``None`` (random), ``"DEFAULT"`` (the backbone's pretrained weights),
        or a file.

    Returns
    -------
    weights : dict of str to str or None
        Image modality to weights, for
        ``MultimodalLesionClassifier(weights=...)``.

    Raises
    ------
    FileNotFoundError
        If ``directory`` does not exist or holds no exported tower, or the
        ``substitute`` tower is not in it.

    See Also
    --------
    tower_description : what an exported tower is.

    Examples
    --------
    >>> import os, tempfile
    >>> from skmultimodal import MultimodalLesionClassifier
    >>> from skmultimodal.datasets import make_lesions
    >>> from skmultimodal.neural import exported_weights
    >>> X, y = make_lesions(20, image_size=32, random_state=0,
    ...                     directory=tempfile.mkdtemp())
    >>> params = dict(backbone="resnet18", image_size=32, max_epochs=1, random_state=0)
    >>> folder = tempfile.mkdtemp()
    >>> _ = MultimodalLesionClassifier(("dermoscopic",), weights=None,
    ...                                **params).fit(X, y).export_towers(folder)
    >>> weights = exported_weights(folder, substitute="dermoscopic")
    >>> {m: os.path.basename(path) for m, path in weights.items()}
    {'dermoscopic': 'dermoscopic.safetensors', 'clinical': 'dermoscopic.safetensors'}
    >>> net = MultimodalLesionClassifier(weights=weights, **params).fit(X, y)
    """
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"The folder of exported towers {directory!r} does not exist."
        )
    if isinstance(modalities, str):
        modalities = (modalities,)
    unknown = [m for m in modalities if m not in (*IMAGE_MODALITIES, "metadata")]
    if unknown:
        raise ValueError(
            f"Unknown modalities {unknown}; use {[*IMAGE_MODALITIES, 'metadata']}."
        )
    if substitute is not None and substitute not in IMAGE_MODALITIES:
        raise ValueError(
            f"substitute must be one of {list(IMAGE_MODALITIES)} or None, got "
            f"{substitute!r}."
        )
    available = {
        m: os.path.join(directory, f"{m}.safetensors")
        for m in IMAGE_MODALITIES
        if os.path.isfile(os.path.join(directory, f"{m}.safetensors"))
    }
    if not available:
        raise FileNotFoundError(
            f"{directory!r} holds no exported tower (dermoscopic.safetensors or "
            "clinical.safetensors). Write them with export_towers(directory) or "
            "pretrain_tower(..., out=directory)."
        )
    if substitute is not None and substitute not in available:
        raise FileNotFoundError(
            f"substitute={substitute!r}, but {directory!r} holds no "
            f"{substitute}.safetensors; it holds {sorted(available)} tower(s)."
        )
    weights = {}
    for modality in (m for m in IMAGE_MODALITIES if m in modalities):
        if modality in available:
            weights[modality] = available[modality]
        elif substitute is not None:
            weights[modality] = available[substitute]
        else:
            warnings.warn(
                f"{directory!r} holds no {modality}.safetensors: the {modality} "
                f"tower starts from weights={default!r}. Pass "
                f"substitute={next(iter(available))!r} to start it from that "
                "exported tower.",
                UserWarning,
                stacklevel=2,
            )
            weights[modality] = default
    return weights
