"""timm models as towers: ``backbone="timm:<model name>"``.

timm is an optional dependency (``pip install skmultimodal[timm]``), imported
only when a timm backbone is asked for. Its models come without classifier
(``num_classes=0``), their feature width and normalisation read from timm.

Pretrained weights (``weights="DEFAULT"``) are looked up in the caches timm
downloads into (the Hugging Face hub's, then torch's) before any network
access. When they are not cached and the server cannot be reached (or
``HF_HUB_OFFLINE`` is set), :class:`PretrainedWeightsUnavailable` is raised at
once: the hub client would otherwise retry for most of a minute before
giving up.
"""

import difflib
import os
import socket
import sys
import threading
from urllib.parse import urlparse

import torch

from ._backbones import TowerBase
from ._weights import PretrainedWeightsUnavailable

#: Seconds to wait for the weights server before calling the machine offline.
CONNECT_TIMEOUT = 5.0

_HUB_FILES = ("model.safetensors", "pytorch_model.bin")
_HUB_PREFIX = "hf-hub:"


def import_timm():
    """The timm module, or an ImportError saying how to install it."""
    try:
        import timm
    except ImportError as error:
        raise ImportError(
            "timm backbones ('timm:<model name>') need the timm package: "
            "pip install skmultimodal[timm]"
        ) from error
    return timm


def timm_base(name, weights, image_size):
    """A timm model without classifier, and the weights file still to load (or None).

    ``weights`` is None (random), ``"DEFAULT"`` (timm's pretrained weights,
    loaded here) or a file (loaded by the caller, through the base's
    ``adapt``).
    """
    timm = import_timm()
    on_hub = name.startswith(_HUB_PREFIX)
    if not on_hub and not timm.is_model(name):
        plain = name.split(".", 1)[0]
        close = difflib.get_close_matches(plain, timm.list_models(), n=3)
        hint = f" Did you mean {['timm:' + match for match in close]}?" if close else ""
        raise ValueError(
            f"Unknown backbone 'timm:{name}': not a timm model.{hint} See "
            "timm.list_models()."
        )
    if isinstance(weights, str) and not _is_default(weights) and not (
        os.path.exists(weights) or os.sep in weights or "." in weights
    ):
        raise ValueError(
            f"weights={weights!r} is neither 'DEFAULT' nor an existing file. A "
            "timm backbone takes 'DEFAULT' (its pretrained weights; choose them by "
            f"tag in the name, e.g. 'timm:{name.split('.', 1)[0]}.<tag>'), the "
            "path of a state dict or .safetensors file, or None for random "
            "initialisation."
        )
    pretrained = _is_default(weights)
    if on_hub:
        model = _from_hub(timm, name, image_size, pretrained)
    else:
        model = _create(timm, name, image_size, pretrained)
    config = model.pretrained_cfg
    normalization = (
        tuple(config.get("mean") or (0.485, 0.456, 0.406)),
        tuple(config.get("std") or (0.229, 0.224, 0.225)),
    )
    classifier = config.get("classifier") or ()
    if isinstance(classifier, str):
        classifier = (classifier,)
    base = TowerBase(
        model, normalization, tuple(f"{layer}." for layer in classifier),
        _checkpoint_filter(model), repr(f"timm:{name}"),
    )
    file = None if weights is None or pretrained else weights
    return base, file


def _is_default(weights):
    return isinstance(weights, str) and weights == "DEFAULT"


def _create(timm, name, image_size, pretrained):
    found = timm.models.get_pretrained_cfg(name)
    config = {} if found is None else found.to_dict()
    # Models built for one input size (vision transformers) are built for
    # image_size: their position embeddings are made for it, and timm
    # resamples pretrained ones to it. Convolutional networks take any size.
    options = {"img_size": image_size} if config.get("fixed_input_size") else {}
    if not pretrained:
        return _build(timm, name, image_size, options, pretrained=False)
    if not (config.get("hf_hub_id") or config.get("url") or config.get("file")):
        raise ValueError(
            f"timm publishes no pretrained weights for 'timm:{name}'. Pass "
            "weights=None for random initialisation, or the path of a weights file."
        )
    cached = _cached_file(config)
    if cached is not None:
        # timm's own loading, from the cached file: its checkpoint filter,
        # custom loaders and classifier removal apply as for a download.
        return _build(
            timm, name, image_size, options, pretrained=True,
            pretrained_cfg_overlay={"file": cached},
        )
    server, reason = _unreachable(config)
    if reason is not None:
        raise PretrainedWeightsUnavailable(_unavailable_message(name, config, server, reason))
    try:
        return _build(timm, name, image_size, options, pretrained=True)
    except (OSError, RuntimeError) as error:  # downloads failing half way
        raise PretrainedWeightsUnavailable(
            _unavailable_message(name, config, server, f"{type(error).__name__}: {error}")
        ) from error


def _from_hub(timm, name, image_size, pretrained):
    """A model named by its Hugging Face hub repository, 'hf-hub:<repo>'.

    Its architecture, too, comes from the hub (or the hub's cache, read
    without network access when HF_HUB_OFFLINE is set).
    """
    try:
        return _build(timm, name, image_size, {}, pretrained=pretrained)
    except OSError as error:
        raise PretrainedWeightsUnavailable(
            f"The backbone 'timm:{name}' could not be read from the Hugging Face hub "
            f"or its cache ({type(error).__name__}: {error}). Offline, copy the "
            "repository's folder into the hub's cache (set by HF_HOME) and set "
            "HF_HUB_OFFLINE=1, or use a timm model name with weights='/path/to/file'."
        ) from error


def _build(timm, name, image_size, options, **kwargs):
    try:
        return timm.create_model(name, num_classes=0, **options, **kwargs)
    except (TypeError, ValueError, AssertionError) as error:
        raise ValueError(
            f"timm cannot build 'timm:{name}' for {image_size}x{image_size} images "
            f"({type(error).__name__}: {error}). Set image_size to a size it accepts "
            "(for vision transformers, a multiple of the patch size), or choose "
            "another backbone."
        ) from error


def _cached_file(config):
    """The pretrained weights file in the hub's or torch's cache, or None."""
    hub_id = config.get("hf_hub_id")
    if config.get("file") and os.path.isfile(config["file"]):
        return config["file"]
    if hub_id:
        from huggingface_hub import try_to_load_from_cache

        repo, _, revision = hub_id.partition("@")
        names = (config["hf_hub_filename"],) if config.get("hf_hub_filename") else _HUB_FILES
        for filename in names:
            found = try_to_load_from_cache(repo, filename, revision=revision or None)
            if isinstance(found, str):
                return found
    if config.get("url"):
        path = _torch_cache_path(config["url"])
        if os.path.isfile(path):
            return path
    return None


def _torch_cache_path(url):
    return os.path.join(
        torch.hub.get_dir(), "checkpoints", os.path.basename(urlparse(url).path)
    )


def _offline_setting():
    from huggingface_hub import constants

    value = os.environ.get("HF_HUB_OFFLINE", "")
    return constants.HF_HUB_OFFLINE or value.strip().upper() in {"1", "ON", "YES", "TRUE"}


def _unreachable(config):
    """The server the weights come from, and why it cannot be used (None: it can)."""
    from huggingface_hub import constants

    if config.get("hf_hub_id"):
        server = constants.ENDPOINT
        if _offline_setting():
            return server, "HF_HUB_OFFLINE is set"
    else:
        server = config["url"]
    parsed = urlparse(server)
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    return server, _connection_problem(parsed.hostname, port)


def _connection_problem(host, port):
    """Why a TCP connection to ``host`` fails within CONNECT_TIMEOUT, or None.

    Name resolution does not honour socket timeouts, so the attempt runs in
    a thread that is abandoned (it ends by itself) when it takes too long.
    """
    outcome = {}

    def connect():
        try:
            socket.create_connection((host, port), timeout=CONNECT_TIMEOUT).close()
            outcome["problem"] = None
        except OSError as error:
            outcome["problem"] = f"{type(error).__name__}: {error}"

    attempt = threading.Thread(target=connect, daemon=True)
    attempt.start()
    attempt.join(CONNECT_TIMEOUT)
    return outcome.get("problem", f"no answer within {CONNECT_TIMEOUT:g} s")


def _unavailable_message(name, config, server, reason):
    hub_id = config.get("hf_hub_id")
    if hub_id:
        from huggingface_hub import constants

        repo = hub_id.partition("@")[0]
        filename = config.get("hf_hub_filename") or _HUB_FILES[0]
        where = (
            f"Hugging Face hub repository {repo!r} (file {filename}), not in the hub's "
            f"cache ({constants.HF_HUB_CACHE}, set by HF_HOME)"
        )
        fetch = (
            f"download it on a machine with internet access (hf download {repo} "
            f"{filename} --local-dir DIR) and pass weights='DIR/{filename}', or copy "
            f"that machine's {constants.HF_HUB_CACHE}/models--{repo.replace('/', '--')} "
            "folder into this machine's cache"
        )
    else:
        where = f"{config['url']}, not in torch's cache"
        fetch = (
            f"copy that file to {_torch_cache_path(config['url'])} (torch's cache, set "
            "by TORCH_HOME), or pass weights='/path/to/that/file'"
        )
    return (
        f"The pretrained weights of backbone 'timm:{name}' come from {where}, and "
        f"{server} cannot be reached ({reason}). Offline, {fetch}; or pass "
        "weights=None to start from random weights."
    )


def _checkpoint_filter(model):
    """timm's function bringing a checkpoint to the model's form, or None.

    It resamples position embeddings to the model's image size and renames
    the keys of checkpoints published in other layouts.
    """
    return getattr(sys.modules.get(type(model).__module__), "checkpoint_filter_fn", None)
