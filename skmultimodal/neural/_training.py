"""Building and training the fusion net: the engine behind the estimator.

The estimator validates and encodes the lesion frame; everything from the
towers to the trained skorch net happens here.
"""

import warnings

import numpy as np
import torch
from sklearn.model_selection import (
    ShuffleSplit,
    StratifiedGroupKFold,
    StratifiedShuffleSplit,
)
from sklearn.utils.class_weight import compute_class_weight
from skorch.helper import predefined_split

from .._frame import check_groups
from ._backbones import IMAGENET_MEAN, IMAGENET_STD
from ._callbacks import TrainingInterrupted, new_fit_id, training_callbacks
from ._device import (
    cuda_tuning,
    derived_seed,
    on_cuda,
    release_cuda_memory,
    seed_of,
    torch_seed,
)
from ._features import frozen_features
from ._module import FusionNet
from ._net import LesionNet
from ._tower_cache import cached_tower

# The estimator's parameters that shape training itself.
_TRAINING_PARAMETERS = (
    "lr", "lr_schedule", "max_epochs", "batch_size", "weight_decay",
    "n_iter_no_change", "verbose", "mixed_precision", "modality_dropout",
)


def fit_fusion_net(estimator, dataset, y_encoded, split, embedding_dims, *, device):
    """Build the estimator's net (towers, head, frozen features) and train it.

    ``estimator`` holds the parameters and the inputs fixed so far in its
    ``fit`` (classes, image columns, metadata encoder, optional modalities);
    ``split`` is the early-stopping split, or None.

    Returns
    -------
    net : LesionNet
        Trained, its weights on the CPU.
    fit_id : str
        The fit's unique name (see :func:`new_fit_id`).
    digests : dict of str to str or None
        The weights digest of each modality's tower as built.
    """
    fit_id = new_fit_id()
    seed = seed_of(estimator.random_state)
    encoder = estimator.metadata_encoder_
    loss_weights = class_weights(estimator.class_weight, estimator.classes_, y_encoded)
    with torch_seed(seed, device), cuda_tuning(device):
        module, digests = build_fusion_net(
            backbone=estimator.backbone, weights=estimator.weights,
            image_size=estimator.image_size_,
            image_modalities=tuple(estimator.image_columns_),
            share_towers=estimator.share_towers, seed=seed,
            n_metadata=0 if encoder is None else len(encoder.get_feature_names_out()),
            embedding_dims=embedding_dims, n_classes=len(estimator.classes_),
            augment=estimator.augment, dropout=estimator.dropout, device=device,
            freeze_towers=estimator.freeze_towers,
            optional_modalities=estimator.optional_modalities_,
        )
        start_from_class_frequencies(module.head, y_encoded, loss_weights)
        if estimator.freeze_towers:
            dataset = frozen_features(
                module, dataset, device=device,
                mixed_precision=estimator.mixed_precision,
                views=estimator.augmented_views if estimator.augment else 1,
                seed=seed, batch_size=estimator.batch_size, digests=digests,
            )
        train, valid = dataset, None
        if split is not None:
            train, valid = dataset.subset(split[0]), dataset.subset(split[1])
        net = train_net(
            module, train, valid, loss_weights=loss_weights, device=device,
            seed=seed, fit_id=fit_id, user_callbacks=estimator.callbacks,
            settings={name: getattr(estimator, name) for name in _TRAINING_PARAMETERS},
        )
    release_cuda_memory(device)
    return net, fit_id, digests


def build_fusion_net(
    *, backbone, weights, image_size, image_modalities, share_towers, seed,
    n_metadata, embedding_dims, n_classes, augment, dropout, device,
    freeze_towers, optional_modalities,
):
    """The fusion net, and the weights digest of each modality's tower.

    ``weights`` is one value for every tower or a dict modality -> value. A
    digest is None for a tower built afresh rather than copied from a recipe
    (see :func:`cached_tower`).
    """
    towers, digests, n_tower_features = {}, {}, 0
    normalization = (IMAGENET_MEAN, IMAGENET_STD)
    expected = {}  # modality -> the normalisation its tower's weights expect
    for position, modality in enumerate(image_modalities):
        if share_towers and towers:
            first = next(iter(towers))
            towers[modality], digests[modality] = towers[first], digests[first]
            continue
        # Each tower and the head get seeds of their own, so that a tower
        # copied from the cache and one built afresh give the same net.
        tower, n_tower_features, normalization, digest = cached_tower(
            backbone, tower_weights(weights, modality), image_size,
            derived_seed(seed, position),
        )
        towers[modality], digests[modality] = tower, digest
        if tower_weights(weights, modality) is not None:
            expected[modality] = normalization
    normalization = _shared_normalization(expected, normalization)
    if seed is not None:
        torch.manual_seed(derived_seed(seed, "head"))
    module = FusionNet(
        towers, n_tower_features, n_metadata, embedding_dims, n_classes,
        normalization, augment=augment, dropout=dropout,
        channels_last=on_cuda(device), freeze_towers=freeze_towers,
        optional_modalities=optional_modalities,
    )
    if on_cuda(device):
        module = module.to(memory_format=torch.channels_last)
    return module, digests


def tower_weights(weights, modality):
    """The initial weights of one modality's tower."""
    return weights.get(modality) if isinstance(weights, dict) else weights


def _shared_normalization(expected, fallback):
    """The one normalisation of the net's images, from the towers with weights.

    Every image is normalised alike; towers from other weights files (an
    exported tower gives the normalisation it was trained with) must agree.
    Random towers take whatever the others expect.
    """
    if not expected:
        return fallback
    (first, normalization), *others = expected.items()
    for modality, other in others:
        if not np.allclose(np.asarray(other), np.asarray(normalization), atol=1e-5):
            raise ValueError(
                f"The {first} tower's weights expect images normalised with mean "
                f"{normalization[0]} and std {normalization[1]}, the {modality} "
                f"tower's with mean {other[0]} and std {other[1]}; the net "
                "normalises every image alike. Start both towers from weights of "
                "one origin (the same backbone and pretraining)."
            )
    return normalization


def class_weights(class_weight, classes, y_encoded):
    """Loss weights of the classes as a tensor, or None."""
    if class_weight is None:
        return None
    if isinstance(class_weight, dict):
        unknown = [label for label in class_weight if label not in set(classes.tolist())]
        if unknown:
            raise ValueError(
                f"class_weight names {unknown}, which are not classes of y "
                f"({classes.tolist()})."
            )
    weights = compute_class_weight(class_weight, classes=classes, y=classes[y_encoded])
    return torch.as_tensor(weights, dtype=torch.float32)


def start_from_class_frequencies(head, y_encoded, weights):
    """Start the output layer at the class balance (as the loss weighs it).

    The biases become the log class frequencies, so the untrained net
    predicts the class balance instead of a random guess and the first steps
    go to learning from the inputs. Without an embedding network the head is
    a multinomial logistic regression, which starts best from zero weights;
    with one, zero output weights would leave the hidden layers without
    gradient at the start, so the output weights keep their random start.
    """
    output = head[-1]
    frequencies = np.bincount(y_encoded, minlength=output.out_features).astype(float)
    if weights is not None:
        frequencies *= weights.numpy()
    with torch.no_grad():
        if len(head) == 1:
            output.weight.zero_()
        # A class weighted 0 gets a very low, finite bias, not -inf.
        balance = np.maximum(frequencies / frequencies.sum(), 1e-12)
        output.bias.copy_(torch.as_tensor(np.log(balance)))


def validation_split(y, groups, fraction, seed):
    """Indices of the training and early-stopping parts, stratified (and grouped)."""
    positions = np.zeros((len(y), 1))
    if groups is not None:
        groups = check_groups(groups, len(y))
        n_splits = max(2, round(1.0 / fraction))
        splitter = StratifiedGroupKFold(n_splits, shuffle=True, random_state=seed)
        return next(splitter.split(positions, y, groups))
    try:
        splitter = StratifiedShuffleSplit(1, test_size=fraction, random_state=seed)
        return next(splitter.split(positions, y))
    except ValueError:
        warnings.warn(
            "Some class has too few lesions for a stratified early-stopping split; "
            "splitting at random instead.",
            UserWarning,
            stacklevel=4,
        )
        splitter = ShuffleSplit(1, test_size=fraction, random_state=seed)
        return next(splitter.split(positions))


def train_net(
    module, train, valid, *, loss_weights, device, seed, fit_id, settings,
    user_callbacks,
):
    """Train ``module`` with skorch; return the net, its weights back on the CPU.

    ``settings`` holds the estimator's training parameters (``lr``,
    ``max_epochs``, ``batch_size``, ...).
    """
    callbacks = training_callbacks(
        lr_schedule=settings["lr_schedule"],
        max_epochs=settings["max_epochs"],
        early_stopping=valid is not None,
        n_iter_no_change=settings["n_iter_no_change"],
        user_callbacks=user_callbacks,
        fit_id=fit_id,
    )
    net = assemble_net(
        module, loss_weights=loss_weights, device=device, seed=seed,
        settings=settings, callbacks=callbacks,
        train_split=None if valid is None else predefined_split(valid),
    )
    try:
        net.fit(train, y=None)
    except TrainingInterrupted:
        raise KeyboardInterrupt from None
    # AdamW's moments take twice the memory of the weights and are useless
    # once trained; the weights wait in CPU memory between calls, so that
    # fitted models never pin GPU memory.
    net.optimizer_.state.clear()
    net.train_split = None  # it holds the validation lesions
    net.module_.to("cpu")
    net.criterion_.to("cpu")
    return net


def assemble_net(
    module, *, loss_weights, device, seed, settings, callbacks, train_split=None,
):
    """The skorch net around ``module``, not yet initialised or trained.

    :func:`train_net` trains it; :func:`skmultimodal.load_model` rebuilds a
    saved net through it, so that a loaded net is configured as a trained
    one.

    Parameters
    ----------
    module : FusionNet
        The network.
    loss_weights : torch.Tensor or None
        Weights of the classes in the cross-entropy loss.
    device : str
        Torch device.
    seed : int or None
        Seed of the batch order (``shuffle_seed``).
    settings : dict
        ``lr``, ``max_epochs``, ``batch_size``, ``weight_decay``,
        ``verbose``, ``mixed_precision`` and ``modality_dropout``.
    callbacks : list
        The skorch callbacks (see :func:`training_callbacks`).
    train_split : callable or None, default=None
        skorch's validation split; None trains on every lesion given.

    Returns
    -------
    net : LesionNet
    """
    return LesionNet(
        module=module,
        criterion=torch.nn.CrossEntropyLoss,
        criterion__weight=loss_weights,
        predict_nonlinearity=_softmax,
        optimizer=torch.optim.AdamW,
        optimizer__weight_decay=settings["weight_decay"],
        optimizer__fused=torch.device(device).type in ("cpu", "cuda"),
        lr=settings["lr"],
        max_epochs=settings["max_epochs"],
        batch_size=settings["batch_size"],
        train_split=train_split,
        callbacks=callbacks,
        device=device,
        verbose=settings["verbose"],
        mixed_precision=settings["mixed_precision"],
        shuffle_seed=seed,
        modality_dropout=settings["modality_dropout"],
    )


def _softmax(logits):
    return torch.softmax(logits, dim=-1)
