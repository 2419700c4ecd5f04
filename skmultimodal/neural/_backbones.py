"""Image towers: torchvision or timm classification models without their classifier."""

import copy
import difflib
import os
from typing import NamedTuple
from urllib.parse import urlparse

import torch
import torchvision
from safetensors import torch as safetensors_torch
from torch import nn

from .._cache import TOWER_RECIPES_KEPT, LRUCache, register_cache
from ._device import TORCH_RANDOM_LOCK
from ._export import (
    check_tower_description,
    description_path,
    read_tower_description,
)
from ._features import weights_digest

#: Backbone names starting with this name a timm model: ``"timm:convnext_tiny"``.
TIMM_PREFIX = "timm:"

# torchvision's ImageNet statistics, used when no weights enum says otherwise.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# Auxiliary classifiers only matter for their own training recipe; without
# them these models return plain logits in training mode too.
_MODEL_KWARGS = {
    "googlenet": {"aux_logits": False, "init_weights": True},
    "inception_v3": {"aux_logits": False, "init_weights": True},
}
_AUXILIARY_PREFIXES = ("aux1.", "aux2.", "AuxLogits.")


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


def build_tower(backbone, weights, image_size):
    """Build one image tower.

    Parameters
    ----------
    backbone : str or torch.nn.Module
        A torchvision classification model name (``"resnet50"``), a timm
        model name after ``"timm:"`` (``"timm:convnext_tiny"``, optionally
        with its pretrained tag, ``"timm:convnext_tiny.fb_in22k"``; needs
        ``pip install skmultimodal[timm]``), or a module mapping
        ``(n, 3, s, s)`` images to features (deep-copied, never modified).
    weights : str, os.PathLike or None
        ``None`` for random initialisation; ``"DEFAULT"`` for the backbone's
        pretrained weights (torchvision's, or timm's for a timm model; a
        module keeps its own parameters); another weights enum member name
        of a torchvision model (``"IMAGENET1K_V1"``); or a local file: a
        state dict (``.pth``, ``.pt``) or a ``.safetensors`` file, such as a
        tower written by
        :meth:`~skmultimodal.MultimodalLesionClassifier.export_towers`, whose
        JSON description beside it is checked against ``backbone`` and
        gives the tower's normalisation.
    image_size : int
        Input side. Every tower is probed with a forward pass at this size;
        timm transformers are built for it (their pretrained position
        embeddings resampled to it).

    Returns
    -------
    tower : torch.nn.Module
        Maps images to ``(n, n_features)`` feature vectors.
    n_features : int
        Width of the feature vector.
    normalization : tuple of (tuple, tuple)
        Channel mean and standard deviation the weights expect.

    Raises
    ------
    PretrainedWeightsUnavailable
        If pretrained weights need a download that fails and the file is not
        cached.
    ValueError
        If the backbone is unknown, cannot take ``image_size`` images, or the
        weights file does not fit it (nothing is loaded then).

    Examples
    --------
    >>> import torch
    >>> from skmultimodal.neural import build_tower
    >>> tower, n_features, (mean, std) = build_tower("resnet18", None, 32)
    >>> n_features, mean
    (512, (0.485, 0.456, 0.406))
    >>> tower(torch.zeros(2, 3, 32, 32)).shape
    torch.Size([2, 512])

    A timm model, its width and normalisation read from timm:

    >>> tower, n_features, (mean, std) = build_tower("timm:resnet18", None, 32)
    >>> n_features
    512

    A module of your own is measured at ``image_size``:

    >>> from torch import nn
    >>> small = nn.Sequential(nn.Conv2d(3, 16, 3), nn.AdaptiveAvgPool2d(1))
    >>> build_tower(small, "DEFAULT", 32)[1]
    16
    """
    if isinstance(backbone, nn.Module):
        base, weights_file = _module_base(backbone, weights)
    elif not isinstance(backbone, str):
        raise TypeError(
            "backbone must be a torchvision model name such as 'resnet50', a timm "
            "model name such as 'timm:convnext_tiny', or a torch.nn.Module, got "
            f"{type(backbone).__name__}."
        )
    elif backbone.startswith(TIMM_PREFIX):
        from ._timm import timm_base  # timm is optional: imported when asked for

        base, weights_file = timm_base(backbone[len(TIMM_PREFIX):], weights, image_size)
    else:
        base, weights_file = _torchvision_base(backbone, weights)
    normalization = base.normalization
    if weights_file is not None:
        normalization = _load_file(base, weights_file, backbone, image_size)
    tower = nn.Sequential(base.model, nn.Flatten(1))
    features = _probe(tower, base.name, image_size)
    if features.ndim != 2:
        raise ValueError(
            f"The backbone {base.name} maps ({image_size}x{image_size}) images to a "
            f"tensor of shape {tuple(features.shape)}; a tower must give one feature "
            "vector per image. End it with global pooling (e.g. "
            "nn.AdaptiveAvgPool2d(1))."
        )
    return tower, int(features.shape[1]), normalization


class TowerBase(NamedTuple):
    """A backbone without its classifier, and how to load a weights file into it."""

    model: nn.Module
    #: Channel mean and standard deviation its weights expect.
    normalization: tuple
    #: Key prefixes of a full checkpoint that the tower has no use for.
    ignored: tuple
    #: ``adapt(state_dict, model)`` brings a checkpoint to the model's form
    #: (timm's filter: resampled position embeddings, renamed keys), or None.
    adapt: object
    #: The backbone, as messages name it.
    name: str


def _torchvision_base(backbone, weights):
    names = torchvision.models.list_models(module=torchvision.models)
    if backbone not in names:
        close = difflib.get_close_matches(backbone, names, n=3)
        hint = f" Did you mean {close}?" if close else ""
        raise ValueError(
            f"Unknown backbone {backbone!r}: not a torchvision classification "
            f"model.{hint} See torchvision.models.list_models(), or name a timm "
            "model as 'timm:<name>'."
        )
    model = torchvision.models.get_model(
        backbone, weights=None, **_MODEL_KWARGS.get(backbone, {})
    )
    classifier = _remove_classifier(model, backbone)
    # Full state dicts carry the classifier, which the tower no longer has.
    ignored = _AUXILIARY_PREFIXES + (classifier + ".",)
    base = TowerBase(model, (IMAGENET_MEAN, IMAGENET_STD), ignored, None, repr(backbone))
    if weights is None:
        return base, None
    if not _is_weights_name(backbone, weights):
        return base, weights
    enum = torchvision.models.get_model_weights(backbone)[weights]
    transforms = enum.transforms()
    _load_into(model, _download(enum, backbone), f"{enum} weights", ignored)
    return base._replace(normalization=(tuple(transforms.mean), tuple(transforms.std))), None


def _module_base(backbone, weights):
    model = copy.deepcopy(backbone)
    base = TowerBase(model, (IMAGENET_MEAN, IMAGENET_STD), (), None, "'the backbone module'")
    if weights is None:
        for module in model.modules():
            if hasattr(module, "reset_parameters"):
                module.reset_parameters()
        return base, None
    if isinstance(weights, str) and weights == "DEFAULT":
        return base, None
    return base, weights


def _load_file(base, path, backbone, image_size):
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
    _load_into(base.model, state_dict, os.fspath(path), base.ignored)
    if description is None:
        return base.normalization
    return tuple(tuple(description["normalization"][key]) for key in ("mean", "std"))


# Towers built before, by recipe, so that the next fit of a grid search or
# cross-validation copies one instead of building it again: on two CPU cores
# a ResNet-50's random initialisation takes 0.25-0.6 s and a copy 0.04 s,
# and the build alone outlasts a frozen-tower fit's whole training. The towers
# of the last few recipes used are kept on the CPU, under the library's cache
# policy (skmultimodal._cache: the least recently used dropped first, all freed
# by clear_caches).
_TEMPLATES = register_cache(
    "towers",
    LRUCache(TOWER_RECIPES_KEPT, sizeof=lambda template: _module_nbytes(template[0])),
)


def _module_nbytes(module):
    return sum(
        tensor.element_size() * tensor.nelement()
        for tensor in (*module.parameters(), *module.buffers())
    )


def cached_tower(backbone, weights, image_size, seed):
    """:func:`build_tower`, or a copy of the tower built before from the same recipe.

    The recipe is the backbone name, the image size, the weights (a name, or
    a file and the description an export keeps beside it, with their sizes
    and modification times) and, for random weights, ``seed``, under
    which the tower is initialised whatever the global random state. The
    copy is the caller's own: training it never touches the cached tower.
    Without a reproducible recipe (a module as backbone, or random weights
    and no seed) the tower is built afresh every time.

    Returns :func:`build_tower`'s three values and the :func:`weights_digest`
    of the tower as built (``None`` when built afresh), valid for as long as
    the tower is not trained.
    """
    key = _recipe(backbone, weights, image_size, seed)
    if key is None:
        return (*build_tower(backbone, weights, image_size), None)
    template = _TEMPLATES.get(key)
    if template is None:
        if weights is None:
            with TORCH_RANDOM_LOCK, torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                template = build_tower(backbone, weights, image_size)
        else:
            template = build_tower(backbone, weights, image_size)
        template = (*template, weights_digest(template[0]))
        _TEMPLATES[key] = template
    tower, n_features, normalization, digest = template
    return copy.deepcopy(tower), n_features, normalization, digest


def _recipe(backbone, weights, image_size, seed):
    if not isinstance(backbone, str):
        return None
    if weights is None:
        return None if seed is None else (backbone, None, image_size, seed)
    path = os.fspath(weights)
    if os.path.isfile(path):
        # A file, and the description an export keeps beside it, may change.
        files = (path, description_path(path))
        stamps = tuple(
            (os.path.abspath(name), status.st_size, status.st_mtime_ns)
            for name in files if (status := _stat(name)) is not None
        )
        return (backbone, image_size, stamps)
    return (backbone, image_size, path)


def _stat(path):
    try:
        return os.stat(path)
    except OSError:
        return None


def _probe(tower, name, image_size):
    """Run two blank images through ``tower``; a size it cannot take is an error.

    Vision transformers, for one, take only the image size they were built
    for, and would otherwise fail on the first batch with an assertion deep
    inside the model.
    """
    was_training = tower.training
    tower.eval()
    probe = next(iter(tower.parameters()), torch.empty(0))
    try:
        with torch.no_grad():
            return tower(torch.zeros(2, 3, image_size, image_size, dtype=probe.dtype))
    except Exception as error:  # any failure means the same thing
        raise ValueError(
            f"The backbone {name} cannot take {image_size}x{image_size} images "
            f"({type(error).__name__}: {error}). Set image_size to a size it "
            "accepts (torchvision's vision transformers take only the size they "
            "were built for, e.g. 224; timm's are built for image_size, which "
            "must be a multiple of their patch size), or choose another backbone."
        ) from error
    finally:
        tower.train(was_training)


def _is_weights_name(backbone, weights):
    if not isinstance(weights, str):
        return False
    try:
        members = torchvision.models.get_model_weights(backbone).__members__
    except ValueError:  # a model without published weights
        members = {}
    if weights in members:
        return True
    if os.path.exists(weights) or os.sep in weights or "." in weights:
        return False
    raise ValueError(
        f"weights={weights!r} is neither a weights name of {backbone!r} "
        f"({sorted(members) or 'it has none'}) nor an existing file. Pass one "
        "of those names, the path of a state dict, or None for random "
        "initialisation."
    )


def _remove_classifier(model, name):
    """Replace the final 1000-way linear layer by the identity; return its name."""
    last_name, last = None, None
    for module_name, module in model.named_modules():
        if isinstance(module, nn.Linear):
            last_name, last = module_name, module
    if last is None or last.out_features != 1000:
        raise ValueError(
            f"Cannot find the classification layer of backbone {name!r} (a final "
            "nn.Linear with 1000 outputs); pass a torch.nn.Module feature "
            "extractor as backbone instead."
        )
    parent_name, _, attribute = last_name.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    setattr(parent, attribute, nn.Identity())
    return last_name


def _load_into(model, state_dict, source, ignored):
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


def _download(enum, backbone):
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
