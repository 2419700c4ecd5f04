"""What each estimator's model file holds, and how the estimator comes back.

A fitted estimator is its parameters plus its fitted attributes. Plain
attributes (labels, columns, sizes) go through the codec; the metadata
encoder as its ``_get_state()``; the fusion net as a description of its
architecture, read from the trained module, and its tensors; the forest as
scikit-learn's own state of each tree, as arrays.
"""

import torch
from sklearn.ensemble import RandomForestClassifier
from skorch.history import History
from torch import nn

from ..neural._callbacks import training_callbacks
from ..neural._training import assemble_net, build_fusion_net
from ..preprocessing import MetadataEncoder
from ._codec import decode, encode

#: Fitted attributes of MultimodalLesionClassifier saved as they are.
NET_ATTRIBUTES = (
    "classes_", "n_features_in_", "feature_names_in_", "modalities_",
    "optional_modalities_", "image_columns_", "image_size_", "metadata_columns_",
    "device_", "fit_id_", "_frozen_weights",
)
#: Fitted attributes of MetadataForestClassifier saved as they are.
FOREST_ATTRIBUTES = (
    "classes_", "n_features_in_", "feature_names_in_", "metadata_columns_",
)

_WEIGHTS_PREFIX = "module."
_LOSS_WEIGHTS = "criterion.weight"


def net_state(estimator, arrays, tensors):
    """The fitted state of a MultimodalLesionClassifier; its tensors to ``tensors``."""
    _check_attributes(
        estimator, NET_ATTRIBUTES + ("metadata_encoder_", "net_", "history_")
    )
    net = estimator.net_
    module = net.module_
    recipe = module_recipe(module, estimator.backbone, estimator.image_size_)
    # On the CPU and contiguous (channels-last weights of a net trained on a
    # GPU are not): safetensors stores plain row-major tensors.
    weights = {
        name: tensor.detach().to("cpu").contiguous()
        for name, tensor in module.state_dict().items()
    }
    # Rebuilt from its description now, so that a file is only ever written
    # when load_model can rebuild it (the backbone is read from the
    # parameter, which set_params may have changed since fit).
    rebuild_module(recipe, weights)
    tensors.update({_WEIGHTS_PREFIX + name: tensor for name, tensor in weights.items()})
    if net.criterion__weight is not None:
        tensors[_LOSS_WEIGHTS] = torch.as_tensor(net.criterion__weight).detach().cpu()
    encoder = estimator.metadata_encoder_
    return {
        "fitted": _fitted(estimator, NET_ATTRIBUTES, arrays),
        "metadata_encoder": (
            None if encoder is None
            else encode(encoder._get_state(), "metadata_encoder", arrays)
        ),
        "module": recipe,
        "net": encode(_net_settings(net), "net", arrays),
        "history": encode(list(net.history), "history", arrays),
    }


def load_net(estimator, state, arrays, tensors):
    """Give ``estimator`` (a MultimodalLesionClassifier) the fitted state saved."""
    _set_fitted(estimator, decode(state["fitted"], arrays), NET_ATTRIBUTES)
    encoder = decode(state["metadata_encoder"], arrays)
    estimator.metadata_encoder_ = (
        None if encoder is None else MetadataEncoder._from_state(encoder)
    )
    recipe = state["module"]
    if len(estimator.classes_) != recipe["n_classes"]:
        raise ValueError(
            f"The saved net has {recipe['n_classes']} outputs but the file names "
            f"{len(estimator.classes_)} classes."
        )
    module = rebuild_module(
        recipe,
        {
            name[len(_WEIGHTS_PREFIX):]: tensor
            for name, tensor in tensors.items()
            if name.startswith(_WEIGHTS_PREFIX)
        },
    )
    settings = decode(state["net"], arrays)
    callbacks = training_callbacks(
        lr_schedule=settings["lr_schedule"],
        max_epochs=settings["max_epochs"],
        early_stopping=settings["early_stopping"],
        n_iter_no_change=settings["n_iter_no_change"],
        user_callbacks=None,
        fit_id=estimator.fit_id_,
    )
    # Weights wait on the CPU between calls, as after fit; predict moves them
    # to the device the `device` parameter names.
    net = assemble_net(
        module, loss_weights=tensors.get(_LOSS_WEIGHTS), device="cpu",
        seed=settings["shuffle_seed"], settings=settings, callbacks=callbacks,
    )
    net.initialize()
    net.history = History(decode(state["history"], arrays))
    estimator.net_ = net
    estimator.history_ = net.history


def _net_settings(net):
    """How the net was configured for training, read from the net itself.

    The estimator's parameters may have changed since ``fit``; the net
    keeps what it was trained (and predicts) with.
    """
    named = dict(item for item in net.callbacks if isinstance(item, tuple))
    early_stopping = named.get("early_stopping")
    return {
        "lr": net.lr,
        "max_epochs": net.max_epochs,
        "batch_size": net.batch_size,
        "weight_decay": net.optimizer__weight_decay,
        "verbose": net.verbose,
        "mixed_precision": net.mixed_precision,
        "modality_dropout": net.modality_dropout,
        "shuffle_seed": net.shuffle_seed,
        "lr_schedule": "cosine" if "lr_schedule" in named else "constant",
        "early_stopping": early_stopping is not None,
        "n_iter_no_change": None if early_stopping is None else early_stopping.patience,
    }


def module_recipe(module, backbone, image_size):
    """What :func:`build_fusion_net` needs to build ``module``'s architecture again.

    Read from the trained module, except the backbone name (the parameter)
    and the image size (the fitted ``image_size_``), which it does not keep.
    """
    linears = [layer for layer in module.head if isinstance(layer, nn.Linear)]
    dropouts = [layer.p for layer in module.head if isinstance(layer, nn.Dropout)]
    return {
        "backbone": backbone,
        "image_size": int(image_size),
        "image_modalities": list(module.image_modalities),
        "share_towers": len(module.towers) < len(module.image_modalities),
        "n_metadata": int(module.n_metadata),
        "embedding_dims": [layer.out_features for layer in linears[:-1]],
        "n_classes": linears[-1].out_features,
        "augment": module.augmentation is not None,
        "dropout": dropouts[0] if dropouts else 0.0,
        "freeze_towers": bool(module.freeze_towers),
        "optional_modalities": list(module.optional_modalities),
        "channels_last": bool(module.channels_last),
    }


def rebuild_module(recipe, weights):
    """The FusionNet of ``recipe`` holding ``weights``, never downloading anything.

    The towers are built with random initialisation (``weights=None``), so
    that a backbone whose parameter names pretrained weights loads offline;
    the saved tensors, normalisation buffers included, then replace every
    value. Where it can, the architecture is built on the meta device,
    without memory or initialisation, and takes the saved tensors as they
    are: 0.1 s instead of about 6 s for two ResNet-50 towers on two CPU
    cores.

    Raises
    ------
    ValueError
        If the weights do not fit the architecture.
    """
    arguments = {
        "backbone": recipe["backbone"],
        "weights": None,
        "image_size": recipe["image_size"],
        "image_modalities": tuple(recipe["image_modalities"]),
        "share_towers": recipe["share_towers"],
        "seed": None,
        "n_metadata": recipe["n_metadata"],
        "embedding_dims": tuple(recipe["embedding_dims"]),
        "n_classes": recipe["n_classes"],
        "augment": recipe["augment"],
        "dropout": recipe["dropout"],
        "device": "cpu",
        "freeze_towers": recipe["freeze_towers"],
        "optional_modalities": tuple(recipe["optional_modalities"]),
    }
    with torch.random.fork_rng(devices=[]):  # the caller's random state stays
        module = _built_on_meta(arguments)
        assign = module is not None
        if not assign:
            module, _ = build_fusion_net(**arguments)
    try:
        module.load_state_dict(weights, strict=True, assign=assign)
    except RuntimeError as error:
        raise ValueError(
            f"The saved weights do not fit a net of {recipe['backbone']!r} towers at "
            f"{recipe['image_size']} pixels with this head; was `backbone` changed "
            f"with set_params after fit? Refit, or set it back. ({error})"
        ) from None
    if recipe["channels_last"]:
        # As a net trained on CUDA has it, so that it computes alike.
        module.channels_last = True
        module = module.to(memory_format=torch.channels_last)
    return module


def _built_on_meta(arguments):
    """The net built on the meta device, or None where that cannot serve.

    A backbone whose construction computes values (rather than only
    allocating and initialising), or which keeps tensors outside its state
    dict (non-persistent buffers, plain attributes), is built for real.
    """
    try:
        with torch.device("meta"):
            module, _ = build_fusion_net(**arguments)
    except Exception:  # noqa: BLE001 - any failure: the real build says what is wrong
        return None
    saved = set(module.state_dict())
    held = {name for name, _ in (*module.named_parameters(), *module.named_buffers())}
    stray = any(
        isinstance(value, torch.Tensor)
        for submodule in module.modules()
        for value in vars(submodule).values()
    )
    return module if held <= saved and not stray else None


def forest_state(estimator, arrays, tensors):
    """The fitted state of a MetadataForestClassifier."""
    _check_attributes(estimator, FOREST_ATTRIBUTES + ("encoder_", "forest_"))
    return {
        "fitted": _fitted(estimator, FOREST_ATTRIBUTES, arrays),
        "encoder": encode(estimator.encoder_._get_state(), "encoder", arrays),
        "forest": encode(estimator.forest_, "forest", arrays),
    }


def load_forest(estimator, state, arrays, tensors):
    """Give ``estimator`` (a MetadataForestClassifier) the fitted state saved."""
    _set_fitted(estimator, decode(state["fitted"], arrays), FOREST_ATTRIBUTES)
    estimator.encoder_ = MetadataEncoder._from_state(decode(state["encoder"], arrays))
    forest = decode(state["forest"], arrays)
    if type(forest) is not RandomForestClassifier:
        raise ValueError(
            f"The file's forest is a {type(forest).__name__}, not a "
            "RandomForestClassifier."
        )
    estimator.forest_ = forest


def _check_attributes(estimator, known):
    """Refuse to save an estimator holding state this module does not know."""
    parameters = set(estimator.get_params(deep=False))
    unknown = sorted(set(vars(estimator)) - parameters - set(known))
    if unknown:
        raise ValueError(
            f"This {type(estimator).__name__} has the attribute(s) {unknown}, which "
            "skmultimodal.save_model does not know how to save; it refuses rather "
            "than write a model that would load without them. Remove them (they "
            "are not the library's), or save with joblib.dump."
        )


def _fitted(estimator, names, arrays):
    return {
        name: encode(getattr(estimator, name), f"fitted/{name}", arrays)
        for name in names
        if hasattr(estimator, name)
    }


def _set_fitted(estimator, fitted, names):
    unknown = sorted(set(fitted) - set(names))
    if unknown:
        raise ValueError(
            f"The file gives the {type(estimator).__name__} the attribute(s) "
            f"{unknown}, which this version of skmultimodal does not know."
        )
    for name, value in fitted.items():
        setattr(estimator, name, value)
