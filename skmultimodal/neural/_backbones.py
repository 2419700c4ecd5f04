"""Image towers: torchvision or timm classification models without their classifier."""

import copy
import difflib
import os
from typing import NamedTuple

import torch
import torchvision
from torch import nn

from ._weights import download, load_file, load_into

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
        normalization = load_file(base, weights_file, backbone, image_size)
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
    load_into(model, download(enum, backbone), f"{enum} weights", ignored)
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
