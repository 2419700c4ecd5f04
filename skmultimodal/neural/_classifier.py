"""MultimodalLesionClassifier: the fusion net of Yap et al. (2018) as an estimator."""

import contextlib
import numbers
import os
import warnings

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.utils._param_validation import Interval, Options, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._frame import (
    IMAGE_MODALITIES,
    check_lesion_labels,
    check_modalities,
    format_rows,
    metadata_columns_of,
    modality_presence,
    require_columns,
    validate_lesion_frame,
)
from ..preprocessing import MetadataEncoder
from ._callbacks import check_user_callbacks, new_fit_id
from ._data import load_lesions
from ._device import (
    cuda_tuning,
    release_cuda_memory,
    resolve_device,
    seed_of,
    torch_seed,
)
from ._features import frozen_features
from ._training import (
    build_fusion_net,
    class_weights,
    start_from_class_frequencies,
    train_net,
    validation_split,
)

_PATH = [str, os.PathLike]
_COLUMN = [str, numbers.Integral]
_POSITIVE = Interval(numbers.Integral, 1, None, closed="left")


class MultimodalLesionClassifier(ClassifierMixin, BaseEstimator):
    """Skin lesion classifier fusing dermoscopic, clinical and metadata inputs.

    The network of Yap, Yolland & Tschandl (2018): one convolutional tower
    per image modality (ImageNet-pretrained ResNet-50 without its classifier
    by default), the towers' feature vectors concatenated with the encoded
    patient metadata (late fusion), an embedding network of fully connected
    ReLU layers, and a softmax over the classes. ``fit`` builds the network
    and trains it with skorch; ``modalities`` selects any subset of the
    inputs, so one estimator class covers every modality combination of the
    paper's comparison.

    X is a lesion frame: a DataFrame with one row per lesion, image paths in
    ``dermoscopic_column`` and ``clinical_column``, and metadata in the other
    columns (or in ``metadata_columns``). Images are decoded, cropped to their
    largest centred square and resized once per process, then shared by every
    fit (see :func:`~skmultimodal.preprocessing.get_image_store`).

    Lesions may be incomplete: an empty image cell (NaN, None or ``""``) is an
    image not taken, and a lesion whose metadata are all missing has no
    metadata. An absent input is replaced by a learned stand-in, never by a
    black image, and its tower does not run. A model predicts lesions that
    lack a modality only if it learned to do without it, from training
    lesions that lacked it or through ``modality_dropout``.

    Parameters
    ----------
    modalities : sequence of str, default=("dermoscopic", "clinical", "metadata")
        Inputs the net uses: any non-empty subset of ``"dermoscopic"``,
        ``"clinical"`` and ``"metadata"``. A metadata-only net never opens an
        image file.
    embedding_dims : tuple of int, default=(1024, 1024)
        Widths of the embedding network's hidden layers; ``()`` sends the
        fused features straight to the softmax layer.
    backbone : str or torch.nn.Module, default="resnet50"
        A torchvision classification model name (its final linear layer is
        removed and its feature width read from the model), or a module
        mapping ``(n, 3, image_size, image_size)`` images to feature vectors;
        a module is deep-copied in ``fit``, so no weights carry over between
        fits.
    weights : str, os.PathLike or None, default="DEFAULT"
        Initial tower weights: a torchvision weights name of the backbone
        (``"DEFAULT"`` = its best ImageNet weights, downloaded once into
        torch's cache), a path to a local state dict, or ``None`` for random
        initialisation. Offline and uncached, ``"DEFAULT"`` raises
        :class:`~skmultimodal.neural.PretrainedWeightsUnavailable` saying
        where to put the file; it never falls back to random weights.
    image_size : int, default=224
        Side of the square images fed to the towers.
    share_towers : bool, default=False
        Use one tower, one set of weights, for both image modalities.
    freeze_towers : bool, default=False
        Keep the towers' initial weights (and batch-norm statistics) and
        train only the embedding network and classifier. Tower features are
        then computed once per image and kept for every later fit in the
        process (see :func:`~skmultimodal.neural.get_feature_store`), so a
        grid over ``embedding_dims`` costs seconds after the first fit.
    augment : bool, default=True
        Augment training images on the device: flips, 90-degree rotations,
        random resized crops and mild colour jitter. Never applied to
        validation or prediction inputs.
    augmented_views : int, default=4
        With ``freeze_towers=True`` and ``augment=True``: features are kept
        for the image itself and ``augmented_views - 1`` augmentations of it,
        and each epoch draws one of these views per training lesion.
    dropout : float, default=0.0
        Dropout probability after each embedding layer.
    modality_dropout : float, default=0.0
        In training, hide each present modality of a lesion with this
        probability, never all of them, so that one model learns to predict
        from any subset of its modalities. With ``modality_dropout > 0`` (and
        more than one modality) the fitted model predicts lesions lacking any
        of its modalities; without it, only those it saw absent in training.
    max_epochs : int, default=20
        Training epochs (the most, with early stopping).
    batch_size : int, default=64
        Lesions per batch, for training and prediction.
    lr : float, default=1e-4
        Learning rate of the AdamW optimiser.
    lr_schedule : {"cosine", "constant"}, default="cosine"
        ``"cosine"`` lowers the learning rate from ``lr`` towards zero along
        half a cosine over ``max_epochs``, which makes the last epochs settle
        instead of jitter; ``"constant"`` keeps ``lr``.
    weight_decay : float, default=1e-4
        AdamW weight decay.
    class_weight : "balanced", dict or None, default=None
        Weights of the classes in the cross-entropy loss; ``"balanced"``
        weighs them inversely to their frequency.
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training lesions (stratified
        by class, and grouped when ``fit`` gets ``groups``), stop when their
        loss has not improved for ``n_iter_no_change`` epochs and keep the
        best epoch's weights. Off by default: in cross-validation the outer
        split already validates, and an inner split would waste data.
    validation_fraction : float, default=0.1
        Share of the training lesions held out for early stopping.
    n_iter_no_change : int, default=5
        Patience of early stopping, in epochs.
    callbacks : list of skorch callbacks or None, default=None
        Further skorch callbacks (or ``(name, callback)`` pairs), run after
        the library's own (loss guard, learning-rate schedule, early
        stopping): a ``skorch.callbacks.Checkpoint``, a TensorBoard logger,
        ... They are copied for each fit. Callbacks that write files (those
        with a ``dirname``, such as ``Checkpoint``) write into
        ``<dirname>/<fit_id_>``, so that fits running in parallel never
        overwrite each other's files.
    device : str, default="auto"
        Torch device; ``"auto"`` uses CUDA when available, else the CPU.
    mixed_precision : "auto" or bool, default="auto"
        bf16 autocast in the forward pass; ``"auto"`` enables it on CUDA
        (where channels-last memory layout and cuDNN autotuning are used
        too).
    random_state : int, RandomState instance or None, default=None
        Seeds the weight initialisation, the batch order, the augmentation
        and the early-stopping split. With an int, fits on the CPU are
        reproducible; the global torch and numpy random states are left as
        they were.
    dermoscopic_column : str, default="dermoscopic"
        Column of the dermoscopic image paths.
    clinical_column : str, default="clinical"
        Column of the clinical (close-up) image paths.
    metadata_columns : list of str or None, default=None
        Metadata columns; ``None`` means every column except the two image
        columns.
    image_root : str, os.PathLike or None, default=None
        Directory that relative image paths are relative to; ``None`` means
        the working directory.
    cache_dir : str, os.PathLike or None, default=None
        Directory where decoded images are also kept on disk, so that the
        next process does not decode them again.
    decode_jobs : int or None, default=None
        Threads decoding images the first time they are seen; ``None`` uses
        every CPU core.
    verbose : int, default=0
        0 is silent; 1 prints skorch's table of losses per epoch and shows a
        progress bar while decoding.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, in the order of ``predict_proba``'s columns.
    n_features_in_ : int
        Number of columns of the lesion frame seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names of the lesion frame seen in ``fit``.
    modalities_ : tuple of str
        The modalities used, in canonical order.
    optional_modalities_ : tuple of str
        The modalities the model learned to do without, which lesions to
        predict may lack: those absent from some training lesions, or all of
        them with ``modality_dropout > 0``.
    image_columns_ : dict of str to str
        Column of the image paths of each image modality used.
    image_size_ : int
        Side of the square images the towers were trained on.
    metadata_columns_ : list
        Metadata columns used; empty without the metadata modality.
    metadata_encoder_ : MetadataEncoder or None
        Encoder of the metadata columns, fitted on the training lesions.
    net_ : skorch.NeuralNet
        The trained skorch net; its ``module_`` is the
        :class:`~skmultimodal.neural.FusionNet`.
    history_ : skorch.History
        Losses and timings per epoch and batch.
    device_ : str
        The torch device the net was trained on. Between calls the weights
        wait in CPU memory, so that fitted models (the folds of a grid
        search, ``best_estimator_``) hold no GPU memory; ``predict`` moves
        them to the device of the ``device`` parameter for its duration.
    fit_id_ : str
        A name of this fit unique across processes (see ``callbacks``).

    See Also
    --------
    MetadataForestClassifier : the paper's random forest on metadata alone.
    skmultimodal.metrics.lesion_scorers : the paper's metrics as scorers.

    Notes
    -----
    ``groups`` passed to ``fit`` only shape the early-stopping split. To keep
    a patient's lesions on one side of cross-validation splits, pass
    ``groups`` to :func:`~sklearn.model_selection.cross_validate` with a
    grouped splitter.

    A fitted model's predictions depend on its fitted state only: parameters
    changed with ``set_params`` after ``fit`` take effect at the next fit.
    Only where the work happens is read at prediction time: ``device``,
    ``image_root`` (so that a model can follow images to another folder or
    machine), ``cache_dir``, ``decode_jobs`` and ``verbose``.

    Examples
    --------
    >>> import tempfile
    >>> from skmultimodal import MultimodalLesionClassifier
    >>> from skmultimodal.datasets import make_lesions
    >>> X, y = make_lesions(60, image_size=32, directory=tempfile.mkdtemp(),
    ...                     random_state=0)
    >>> clf = MultimodalLesionClassifier(
    ...     backbone="resnet18", weights=None, image_size=32,
    ...     embedding_dims=(64,), max_epochs=2, lr=1e-3, random_state=0)
    >>> clf.fit(X, y).predict_proba(X).shape
    (60, 5)
    >>> clf.classes_.tolist()
    ['bcc', 'bkl', 'melanoma', 'nevus', 'scc']
    """

    # Types and ranges of every parameter, checked at the start of fit with
    # scikit-learn's messages; what needs the data or torch (modality names,
    # layer widths, backbone names, devices) is checked in _check_params.
    _parameter_constraints = {
        "modalities": [str, "array-like"],
        "embedding_dims": [Interval(numbers.Integral, 1, None, closed="left"), "array-like"],
        "backbone": [str, torch.nn.Module],
        "weights": [*_PATH, dict, None],
        "image_size": [_POSITIVE],
        "share_towers": ["boolean"],
        "freeze_towers": ["boolean"],
        "augment": ["boolean"],
        "augmented_views": [_POSITIVE],
        "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        "modality_dropout": [Interval(numbers.Real, 0, 1, closed="left")],
        "max_epochs": [_POSITIVE],
        "batch_size": [_POSITIVE],
        "lr": [Interval(numbers.Real, 0, None, closed="left")],
        "lr_schedule": [StrOptions({"cosine", "constant"})],
        "weight_decay": [Interval(numbers.Real, 0, None, closed="left")],
        "class_weight": [StrOptions({"balanced"}), dict, None],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
        "n_iter_no_change": [_POSITIVE],
        "callbacks": [list, None],
        "device": [str, torch.device],
        "mixed_precision": [StrOptions({"auto"}), "boolean"],
        "random_state": ["random_state"],
        "dermoscopic_column": _COLUMN,
        "clinical_column": _COLUMN,
        "metadata_columns": ["array-like", str, None],
        "image_root": [*_PATH, None],
        "cache_dir": [*_PATH, None],
        "decode_jobs": [Options(numbers.Integral, {-1}), _POSITIVE, None],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        modalities=("dermoscopic", "clinical", "metadata"),
        *,
        embedding_dims=(1024, 1024),
        backbone="resnet50",
        weights="DEFAULT",
        image_size=224,
        share_towers=False,
        freeze_towers=False,
        augment=True,
        augmented_views=4,
        dropout=0.0,
        modality_dropout=0.0,
        max_epochs=20,
        batch_size=64,
        lr=1e-4,
        lr_schedule="cosine",
        weight_decay=1e-4,
        class_weight=None,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=5,
        callbacks=None,
        device="auto",
        mixed_precision="auto",
        random_state=None,
        dermoscopic_column="dermoscopic",
        clinical_column="clinical",
        metadata_columns=None,
        image_root=None,
        cache_dir=None,
        decode_jobs=None,
        verbose=0,
    ):
        self.modalities = modalities
        self.embedding_dims = embedding_dims
        self.backbone = backbone
        self.weights = weights
        self.image_size = image_size
        self.share_towers = share_towers
        self.freeze_towers = freeze_towers
        self.augment = augment
        self.augmented_views = augmented_views
        self.dropout = dropout
        self.modality_dropout = modality_dropout
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.lr_schedule = lr_schedule
        self.weight_decay = weight_decay
        self.class_weight = class_weight
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.callbacks = callbacks
        self.device = device
        self.mixed_precision = mixed_precision
        self.random_state = random_state
        self.dermoscopic_column = dermoscopic_column
        self.clinical_column = clinical_column
        self.metadata_columns = metadata_columns
        self.image_root = image_root
        self.cache_dir = cache_dir
        self.decode_jobs = decode_jobs
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, groups=None):
        """Build the fusion net and train it on a lesion frame.

        Every input problem (parameters, columns, labels, lesions without
        any input, image files) is reported before training starts.

        Parameters
        ----------
        X : DataFrame of shape (n_lesions, n_columns)
            The lesion frame. An array is accepted for metadata-only nets.
        y : array-like of shape (n_lesions,)
            Class labels, e.g. ``"nevus"``, ``"melanoma"``, ``"bcc"``.
        groups : array-like of shape (n_lesions,), default=None
            Patient or lesion ids; keep each group on one side of the
            early-stopping split.

        Returns
        -------
        self : MultimodalLesionClassifier
            The fitted classifier.
        """
        embedding_dims = self._check_params()
        X = validate_lesion_frame(self, X, reset=True)
        y = check_lesion_labels(y, X.index)
        self._record_inputs(X)
        self.classes_, y_encoded = np.unique(y, return_inverse=True)
        presence = self._presence(X)
        self.optional_modalities_ = self._learned_absences(presence)
        self.metadata_encoder_ = self._fit_metadata_encoder(X, presence)
        split = None
        if self.early_stopping:
            split = validation_split(
                y_encoded, groups, self.validation_fraction, seed_of(self.random_state)
            )
        dataset = self._load(X, presence, y_encoded)
        self.net_ = self._train(dataset, y_encoded, split, embedding_dims)
        self.history_ = self.net_.history
        return self

    def predict_proba(self, X):
        """Class probabilities of each lesion.

        Parameters
        ----------
        X : DataFrame of shape (n_lesions, n_columns)
            A lesion frame with the columns seen in ``fit``. Lesions may lack
            the modalities in ``optional_modalities_``.

        Returns
        -------
        proba : ndarray of shape (n_lesions, n_classes)
            Probabilities, columns in the order of ``classes_``.
        """
        check_is_fitted(self)
        X = validate_lesion_frame(self, X, reset=False)
        dataset = self._load(X, self._presence(X))
        device = resolve_device(self.device)
        with cuda_tuning(device), self._on_device(device) as module:
            if module.freeze_towers:
                dataset = frozen_features(
                    module, dataset, device=device,
                    mixed_precision=self.net_.mixed_precision, views=1, seed=None,
                    batch_size=self.net_.batch_size, digests=self._frozen_weights,
                )
            proba = self.net_.predict_proba(dataset).astype(np.float64)
        broken = ~np.isfinite(proba).all(axis=1)
        if broken.any():
            raise ValueError(
                f"The model gives non-finite probabilities for {broken.sum()} "
                f"lesion(s), rows {format_rows(X.index[broken])}: its weights are "
                "not usable (were they loaded from a damaged file?). Refit it."
            )
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X):
        """Most probable class of each lesion.

        Parameters
        ----------
        X : DataFrame of shape (n_lesions, n_columns)
            A lesion frame with the columns seen in ``fit``.

        Returns
        -------
        labels : ndarray of shape (n_lesions,)
            Labels from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        tags.non_deterministic = self.random_state is None
        return tags

    # -- the steps of fit and predict -----------------------------------------

    def _check_params(self):
        """What the parameter table cannot say; returns the embedding widths."""
        modalities = check_modalities(self.modalities)
        embedding_dims = _check_embedding_dims(self.embedding_dims)
        resolve_device(self.device)
        check_user_callbacks(self.callbacks)
        trains_towers = not self.freeze_towers and set(modalities) & set(IMAGE_MODALITIES)
        if trains_towers and self.batch_size < 2:
            raise ValueError(
                f"batch_size={self.batch_size} cannot train image towers: batch "
                "normalisation needs at least 2 images per batch. Use batch_size >= "
                "2 (e.g. 32), or freeze_towers=True."
            )
        if isinstance(self.weights, dict):
            _check_weights_per_modality(self.weights, modalities, self.share_towers)
        if self.modality_dropout and len(modalities) == 1:
            warnings.warn(
                f"modality_dropout={self.modality_dropout} has no effect with the "
                f"single modality {modalities[0]!r}: a lesion's only input is never "
                "hidden.",
                UserWarning,
                stacklevel=3,
            )
        return embedding_dims

    def _record_inputs(self, X):
        """Fix which columns and image size the model reads from now on."""
        self.modalities_ = check_modalities(self.modalities)
        columns = {"dermoscopic": self.dermoscopic_column, "clinical": self.clinical_column}
        self.image_columns_ = {
            m: columns[m] for m in IMAGE_MODALITIES if m in self.modalities_
        }
        self.image_size_ = int(self.image_size)
        self.metadata_columns_ = []
        if "metadata" in self.modalities_:
            image_columns = list(columns.values())
            metadata = metadata_columns_of(X, self.metadata_columns, image_columns)
            clash = [c for c in metadata if c in image_columns]
            if clash:
                raise ValueError(
                    f"metadata_columns include the image path column(s) {clash}; "
                    "image paths cannot be metadata."
                )
            if not metadata:
                raise ValueError(
                    "The 'metadata' modality is requested but the lesion frame has "
                    "no metadata column (every column holds image paths). Add "
                    "metadata columns or leave 'metadata' out of `modalities`."
                )
            self.metadata_columns_ = list(metadata)

    def _presence(self, X):
        """Which of the model's modalities each lesion has; refuse the impossible.

        A lesion with none of the model's modalities cannot be classified. At
        prediction, a lesion lacking a modality the model never learned to do
        without would get a silent guess: refused too.
        """
        for modality, column in self.image_columns_.items():
            require_columns(X, [column], f"should hold the {modality} image paths")
        require_columns(X, self.metadata_columns_, "the model was fitted with")
        presence = modality_presence(
            X,
            dermoscopic_column=self.image_columns_.get("dermoscopic"),
            clinical_column=self.image_columns_.get("clinical"),
            metadata_columns=self.metadata_columns_,
        )[list(self.modalities_)]
        bare = ~presence.any(axis=1).to_numpy()
        if bare.any():
            raise ValueError(
                f"{bare.sum()} lesion(s) have none of the model's modalities "
                f"{list(self.modalities_)} (no image path and no metadata): rows "
                f"{format_rows(X.index[bare])}. Give them an image or metadata, or "
                "drop them."
            )
        if hasattr(self, "net_"):
            for modality in self.modalities_:
                lacking = ~presence[modality].to_numpy()
                if lacking.any() and modality not in self.optional_modalities_:
                    raise ValueError(
                        f"{lacking.sum()} lesion(s) lack the {_describe(modality)}, "
                        f"rows {format_rows(X.index[lacking])}, but this model never "
                        f"learned to do without it: every training lesion had it, "
                        "and modality_dropout was 0. Refit with modality_dropout > 0 "
                        "(e.g. 0.25), or with training lesions of which some lack "
                        "it; or give these lesions the missing input."
                    )
        return presence

    def _learned_absences(self, presence):
        if self.modality_dropout and len(self.modalities_) > 1:
            return self.modalities_
        return tuple(m for m in self.modalities_ if not presence[m].all())

    def _fit_metadata_encoder(self, X, presence):
        if "metadata" not in self.modalities_:
            return None
        # Lesions without metadata are represented by the stand-in; they
        # would only blur the encoder's medians and categories.
        rows = np.flatnonzero(presence["metadata"].to_numpy())
        return MetadataEncoder().fit(X.iloc[rows][self.metadata_columns_])

    def _load(self, X, presence, y=None):
        metadata = metadata_present = None
        if self.metadata_encoder_ is not None:
            metadata = self.metadata_encoder_.transform(X[self.metadata_columns_])
            metadata_present = presence["metadata"].to_numpy()
        return load_lesions(
            X,
            image_columns=self.image_columns_,
            image_root=self.image_root,
            image_size=self.image_size_,
            metadata=metadata,
            metadata_present=metadata_present,
            y=y,
            cache_dir=self.cache_dir,
            decode_jobs=self.decode_jobs,
            progress=bool(self.verbose),
        )

    def _train(self, dataset, y_encoded, split, embedding_dims):
        """Build the net (towers, head, frozen features) and train it."""
        device = self.device_ = resolve_device(self.device)
        self.fit_id_ = new_fit_id()
        seed = seed_of(self.random_state)
        loss_weights = class_weights(self.class_weight, self.classes_, y_encoded)
        with torch_seed(seed, device), cuda_tuning(device):
            module, digests = build_fusion_net(
                backbone=self.backbone, weights=self.weights,
                image_size=self.image_size_,
                image_modalities=tuple(self.image_columns_),
                share_towers=self.share_towers, seed=seed,
                n_metadata=0 if self.metadata_encoder_ is None else len(
                    self.metadata_encoder_.get_feature_names_out()
                ),
                embedding_dims=embedding_dims, n_classes=len(self.classes_),
                augment=self.augment, dropout=self.dropout, device=device,
                freeze_towers=self.freeze_towers,
                optional_modalities=self.optional_modalities_,
            )
            # Frozen towers keep the weights they were built with, so the key
            # of their features needs no new pass over those weights.
            self._frozen_weights = digests if self.freeze_towers else {}
            start_from_class_frequencies(module.head, y_encoded, loss_weights)
            if self.freeze_towers:
                dataset = frozen_features(
                    module, dataset, device=device,
                    mixed_precision=self.mixed_precision,
                    views=self.augmented_views if self.augment else 1, seed=seed,
                    batch_size=self.batch_size, digests=digests,
                )
            train, valid = dataset, None
            if split is not None:
                train, valid = dataset.subset(split[0]), dataset.subset(split[1])
            net = train_net(
                module, train, valid, loss_weights=loss_weights, device=device,
                seed=seed, fit_id=self.fit_id_, user_callbacks=self.callbacks,
                settings={
                    name: getattr(self, name)
                    for name in (
                        "lr", "lr_schedule", "max_epochs", "batch_size",
                        "weight_decay", "n_iter_no_change", "verbose",
                        "mixed_precision", "modality_dropout",
                    )
                },
            )
        release_cuda_memory(device)
        return net

    @contextlib.contextmanager
    def _on_device(self, device):
        """Move the trained net to ``device`` for a block, then back to the CPU."""
        net, module = self.net_, self.net_.module_
        trained_on = net.device
        net.device = device
        module.to(device)
        try:
            yield module
        finally:
            module.to("cpu")
            net.device = trained_on
            release_cuda_memory(device)


def _describe(modality):
    return "metadata" if modality == "metadata" else f"{modality} image"


def _check_embedding_dims(embedding_dims):
    if isinstance(embedding_dims, numbers.Integral):
        embedding_dims = (embedding_dims,)
    try:
        dims = tuple(embedding_dims)
    except TypeError:
        raise TypeError(
            f"embedding_dims must be a tuple of layer widths such as (1024, 1024), "
            f"got {embedding_dims!r}."
        ) from None
    for width in dims:
        if not isinstance(width, numbers.Integral) or isinstance(width, bool) or width < 1:
            raise ValueError(
                f"embedding_dims must hold positive integers, got {embedding_dims!r}."
            )
    return tuple(int(width) for width in dims)


def _check_weights_per_modality(weights, modalities, share_towers):
    images = [m for m in modalities if m in IMAGE_MODALITIES]
    unknown = [key for key in weights if key not in IMAGE_MODALITIES]
    if unknown:
        raise ValueError(
            f"weights names {unknown}; a dict of weights maps image modalities "
            f"({list(IMAGE_MODALITIES)}) to the weights of their towers."
        )
    lacking = [m for m in images if m not in weights]
    if lacking:
        raise ValueError(
            f"weights gives no weights for the {lacking} tower(s); name every image "
            f"modality of the net ({images}), with None for random weights."
        )
    if share_towers and len({repr(weights[m]) for m in images}) > 1:
        raise ValueError(
            "share_towers=True builds one tower for both images, but weights gives "
            "each modality other weights; give one value, or share_towers=False."
        )
