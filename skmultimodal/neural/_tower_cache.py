"""The tower template cache: towers built before, kept by recipe, copied by fits."""

import copy
import os

import torch

from .._cache import TOWER_RECIPES_KEPT, LRUCache, register_cache
from ._backbones import build_tower
from ._device import TORCH_RANDOM_LOCK
from ._export import description_path
from ._features import weights_digest

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
