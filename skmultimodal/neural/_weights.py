"""Weights files and downloads: reading state dicts into towers.

A weights file is a ``.safetensors`` file or anything ``torch.load`` reads
(optionally wrapped under ``"state_dict"`` or ``"model"``), checked against
the tower's layers before anything is loaded; torchvision's pretrained
weights come from torch's cache or its download, never silently replaced by
random ones.
"""

import os
from urllib.parse import urlparse

import torch
from safetensors import torch as safetensors_torch

from ._export import check_tower_description, read_tower_description


class PretrainedWeightsUnavailable(OSError):
    """The pretrained weights could not be downloaded and are not cached.

    Raised by ``fit`` (through :func:`build_tower`) before any training when
    pretrained weights such as ``weights="DEFAULT"`` are asked for on a
    machine that cannot download the file and does not have it in its cache
    (torch's for torchvision models, the Hugging Face hub's for timm models).
    The message names the file, where to copy it, and how to pass a local
    file instead. skmultimodal never falls back to random weights silently.

    See Also
    --------
    skmultimodal.MultimodalLesionClassifier : its ``weights`` parameter takes the
        path of a local state dict, or ``None`` for random initialisation.

    Examples
    --------
    >>> from skmultimodal.neural import PretrainedWeightsUnavailable
    >>> issubclass(PretrainedWeightsUnavailable, OSError)
    True

    Offline, fall back to a local copy of the weights explicitly:

    >>> from skmultimodal import MultimodalLesionClassifier
    >>> net = MultimodalLesionClassifier()
    >>> try:  # doctest: +SKIP
    ...     net.fit(X, y)
    ... except PretrainedWeightsUnavailable as error:
    ...     print(error)  # the URL, and where torch's cache expects the file
    ...     net.set_params(weights="/models/resnet50-11ad3fa6.pth").fit(X, y)
    """


def load_file(base, path, backbone, image_size):
    """Load a weights file into ``base.model``; return the normalisation it expects.

    A tower exported by skmultimodal has its description beside it, which
    must name the same backbone and gives the normalisation.
    """
    description = read_tower_description(path)
    if description is not None:
        check_tower_description(description, backbone, path, image_size)
    state_dict = _read_state_dict(path, base.name)
    if base.adapt is not None:
        try:
            state_dict = base.adapt(state_dict, base.model)
        except Exception as error:  # a checkpoint of another form
            raise ValueError(
                f"The weights file {os.fspath(path)!r} does not fit the backbone "
                f"{base.name}: timm could not adapt it ({type(error).__name__}: "
                f"{error}). Check that it was saved from the same architecture; "
                "nothing was loaded."
            ) from error
    load_into(base.model, state_dict, os.fspath(path), base.ignored)
    if description is None:
        return base.normalization
    return tuple(tuple(description["normalization"][key]) for key in ("mean", "std"))


def load_into(model, state_dict, source, ignored):
    """Load ``state_dict`` into ``model``, refusing one that does not fit it.

    Keys starting with one of the ``ignored`` prefixes are left out; shapes
    are checked before anything is loaded. ``source`` names the weights in
    messages.
    """
    state_dict = {k: v for k, v in state_dict.items() if not k.startswith(ignored)}
    expected = model.state_dict()
    mismatched = [
        f"{name}: {tuple(tensor.shape)} in the file, {tuple(expected[name].shape)} "
        "in the model"
        for name, tensor in state_dict.items()
        if name in expected and hasattr(tensor, "shape")
        and tuple(tensor.shape) != tuple(expected[name].shape)
    ]
    if mismatched:
        raise ValueError(
            f"The state dict from {source} does not fit the backbone: "
            f"{len(mismatched)} layer(s) have other shapes ("
            + "; ".join(mismatched[:5])
            + (", ..." if len(mismatched) > 5 else "")
            + "). Check that it was saved from the same architecture; nothing "
            "was loaded."
        )
    missing, unexpected = model.load_state_dict(state_dict, strict=False)
    if missing or unexpected:
        raise ValueError(
            f"The state dict from {source} does not fit the backbone: "
            f"{len(missing)} missing key(s) {missing[:5]}, {len(unexpected)} "
            f"unexpected key(s) {unexpected[:5]}. Check that it was saved from "
            "the same architecture."
        )


def _read_state_dict(path, what):
    """The tensors of a state dict file: ``.safetensors``, or anything torch.load reads."""
    if os.path.isdir(path):
        hint = (
            "Pass the path of the state dict file itself, saved with "
            "torch.save(model.state_dict(), path)."
        )
        if any(name.endswith(".safetensors") for name in os.listdir(path)):
            hint = (
                "Pass one of its .safetensors files, or for towers written by "
                "export_towers, weights=skmultimodal.neural.exported_weights(directory)."
            )
        raise IsADirectoryError(
            f"weights path {os.fspath(path)!r} for {what} is a directory, not a "
            f"file. {hint}"
        )
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"weights file {os.fspath(path)!r} for {what} does not exist. Pass the "
            "path of a state dict saved with torch.save(model.state_dict(), path), "
            "or of a .safetensors file."
        )
    safetensors = os.fspath(path).endswith(".safetensors")
    try:
        if safetensors:
            state = safetensors_torch.load_file(path, device="cpu")
        else:
            state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        kind = "safetensors file" if safetensors else "PyTorch state dict"
        raise ValueError(
            f"Could not read weights file {os.fspath(path)!r} as a {kind}: {error}"
        ) from error
    for wrapper in ("state_dict", "model"):
        if isinstance(state, dict) and isinstance(state.get(wrapper), dict):
            state = state[wrapper]
    if not isinstance(state, dict):
        raise ValueError(
            f"weights file {os.fspath(path)!r} holds a {type(state).__name__}, not a "
            "state dict (a dict of tensors)."
        )
    return state


def download(enum, backbone):
    """The state dict of a torchvision weights ``enum``: cached, or downloaded."""
    cached = os.path.join(
        torch.hub.get_dir(), "checkpoints", os.path.basename(urlparse(enum.url).path)
    )
    try:
        return enum.get_state_dict(progress=False, check_hash=False)
    except OSError as error:  # URLError, timeouts, refused connections
        raise PretrainedWeightsUnavailable(
            f"The pretrained weights {enum} for backbone {backbone!r} are not cached "
            f"and could not be downloaded from {enum.url} ({error}). Offline, either "
            f"copy that file to {cached} (torch's cache, set by TORCH_HOME), pass "
            "weights='/path/to/state_dict.pth' to load a local state dict, or pass "
            "weights=None to start from random weights."
        ) from error
