"""MultimodalLesionClassifier: the fusion net of Yap et al. (2018) as an estimator."""

import contextlib
import numbers
import warnings

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import (
    ShuffleSplit,
    StratifiedGroupKFold,
    StratifiedShuffleSplit,
)
from sklearn.utils import check_random_state
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.validation import check_is_fitted
from skorch.callbacks import LRScheduler
from skorch.helper import predefined_split
from torch.optim.lr_scheduler import CosineAnnealingLR

from .._frame import (
    IMAGE_MODALITIES,
    check_groups,
    check_lesion_labels,
    check_modalities,
    metadata_columns_of,
    require_columns,
    validate_lesion_frame,
)
from ..preprocessing import MetadataEncoder
from ._backbones import IMAGENET_MEAN, IMAGENET_STD, cached_tower
from ._data import load_lesions
from ._features import get_feature_store, tower_fingerprint
from ._module import FusionNet
from ._net import (
    EarlyStoppingOnValidLoss,
    LesionNet,
    TrainingInterrupted,
    forward_autocast,
)


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
        them to this device for its duration.

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
        max_epochs=20,
        batch_size=64,
        lr=1e-4,
        lr_schedule="cosine",
        weight_decay=1e-4,
        class_weight=None,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=5,
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
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.lr_schedule = lr_schedule
        self.weight_decay = weight_decay
        self.class_weight = class_weight
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
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

    def fit(self, X, y, groups=None):
        """Build the fusion net and train it on a lesion frame.

        Every input problem (columns, labels, image files) is reported before
        training starts.

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
        X = validate_lesion_frame(self, X, reset=True)
        y = check_lesion_labels(y, X.index)
        modalities = check_modalities(self.modalities)
        embedding_dims = _check_embedding_dims(self.embedding_dims)
        _check_positive_int(self.image_size, "image_size")
        _check_positive_int(self.max_epochs, "max_epochs")
        _check_positive_int(self.batch_size, "batch_size")
        _check_positive_int(self.augmented_views, "augmented_views")
        if self.lr_schedule not in ("cosine", "constant"):
            raise ValueError(
                f"lr_schedule must be 'cosine' or 'constant', got {self.lr_schedule!r}."
            )
        device = _resolve_device(self.device)
        _check_mixed_precision(self.mixed_precision)

        self.classes_, y_encoded = np.unique(y, return_inverse=True)
        self.modalities_ = modalities
        self._require_image_columns(X)
        self.metadata_columns_ = self._metadata_columns(X)
        self.metadata_encoder_ = None
        if "metadata" in modalities:
            self.metadata_encoder_ = MetadataEncoder().fit(X[self.metadata_columns_])
        self.device_ = device

        dataset = self._load(X, y_encoded)
        seed = _seed_of(self.random_state)
        if self.early_stopping:
            train_index, valid_index = _validation_split(
                y_encoded, groups, self.validation_fraction, seed
            )

        class_weights = self._class_weights(y_encoded)
        with _torch_seed(seed, device), _cuda_tuning(device):
            module, digests = self._build_module(device, embedding_dims, seed)
            # Frozen towers keep the weights they were built with, so the key
            # of their features needs no new pass over those weights.
            self._frozen_weights = digests if self.freeze_towers else {}
            _start_from_class_frequencies(module.head, y_encoded, class_weights)
            if self.freeze_towers:
                views = self.augmented_views if self.augment else 1
                dataset = self._with_features(module, dataset, device, views)
            train, valid = dataset, None
            if self.early_stopping:
                train, valid = dataset.subset(train_index), dataset.subset(valid_index)
            callbacks = []
            if self.lr_schedule == "cosine":
                callbacks.append(
                    (
                        "lr_schedule",
                        LRScheduler(policy=CosineAnnealingLR, T_max=self.max_epochs),
                    )
                )
            if self.early_stopping:
                callbacks.append(
                    ("early_stopping", EarlyStoppingOnValidLoss(self.n_iter_no_change))
                )
            net = LesionNet(
                module=module,
                criterion=torch.nn.CrossEntropyLoss,
                criterion__weight=class_weights,
                predict_nonlinearity=_softmax,
                optimizer=torch.optim.AdamW,
                optimizer__weight_decay=self.weight_decay,
                optimizer__fused=device.split(":")[0] in ("cpu", "cuda"),
                lr=self.lr,
                max_epochs=self.max_epochs,
                batch_size=self.batch_size,
                train_split=None if valid is None else predefined_split(valid),
                callbacks=callbacks,
                device=device,
                verbose=self.verbose,
                mixed_precision=self.mixed_precision,
                shuffle_seed=seed,
            )
            try:
                net.fit(train, y=None)
            except TrainingInterrupted:
                raise KeyboardInterrupt from None
        # AdamW's moments take twice the memory of the weights and are useless
        # once trained; the weights wait in CPU memory between calls, so that
        # fitted models never pin GPU memory (see _on_device).
        net.optimizer_.state.clear()
        net.train_split = None  # it holds the validation lesions
        net.module_.to("cpu")
        net.criterion_.to("cpu")
        _release_cuda_memory(device)
        self.net_ = net
        self.history_ = net.history
        return self

    def predict_proba(self, X):
        """Class probabilities of each lesion.

        Parameters
        ----------
        X : DataFrame of shape (n_lesions, n_columns)
            A lesion frame with the columns seen in ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_lesions, n_classes)
            Probabilities, columns in the order of ``classes_``.
        """
        check_is_fitted(self)
        X = validate_lesion_frame(self, X, reset=False)
        self._require_image_columns(X)
        require_columns(X, self.metadata_columns_, "the model was fitted with")
        dataset = self._load(X)
        device = str(self.net_.device)
        with _cuda_tuning(device), self._on_device(device) as module:
            if self.freeze_towers:
                dataset = self._with_features(module, dataset, device, views=1)
            proba = self.net_.predict_proba(dataset).astype(np.float64)
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

    # -- pieces of fit and predict ------------------------------------------

    def _image_columns(self):
        """Column of each image modality the net uses."""
        columns = {
            "dermoscopic": self.dermoscopic_column,
            "clinical": self.clinical_column,
        }
        return {m: columns[m] for m in IMAGE_MODALITIES if m in self.modalities_}

    def _require_image_columns(self, X):
        for modality, column in self._image_columns().items():
            require_columns(X, [column], f"should hold the {modality} image paths")

    def _metadata_columns(self, X):
        if "metadata" not in self.modalities_:
            return []
        image_columns = [self.dermoscopic_column, self.clinical_column]
        columns = metadata_columns_of(X, self.metadata_columns, image_columns)
        clash = [c for c in columns if c in image_columns]
        if clash:
            raise ValueError(
                f"metadata_columns include the image path column(s) {clash}; "
                "image paths cannot be metadata."
            )
        if not columns:
            raise ValueError(
                "The 'metadata' modality is requested but the lesion frame has no "
                "metadata column (every column holds image paths). Add metadata "
                "columns or leave 'metadata' out of `modalities`."
            )
        return columns

    def _load(self, X, y=None):
        metadata = None
        if self.metadata_encoder_ is not None:
            metadata = self.metadata_encoder_.transform(X[self.metadata_columns_])
        return load_lesions(
            X,
            image_columns=self._image_columns(),
            image_root=self.image_root,
            image_size=self.image_size,
            metadata=metadata,
            y=y,
            cache_dir=self.cache_dir,
            decode_jobs=self.decode_jobs,
            progress=bool(self.verbose),
        )

    @contextlib.contextmanager
    def _on_device(self, device):
        """Move the trained module to ``device`` for a block, then back to the CPU."""
        module = self.net_.module_
        module.to(device)
        try:
            yield module
        finally:
            module.to("cpu")
            _release_cuda_memory(device)

    def _with_features(self, module, dataset, device, views):
        """``dataset`` with its images replaced by the frozen towers' features."""
        module.to(device).eval()
        store = get_feature_store()
        features = {}
        for modality, images in dataset.images.items():
            tower = module.towers[module.tower_names[modality]]
            key = tower_fingerprint(
                tower, module.mean.tolist(), module.std.tolist(), module.channels_last,
                self.mixed_precision, device, self.augment,
                weights=getattr(self, "_frozen_weights", {}).get(modality),
            )

            def encode(pixels, augment, modality=modality):
                with torch.no_grad(), forward_autocast(device, self.mixed_precision):
                    pixels = pixels.to(device, non_blocking=True)
                    return module.image_features(modality, pixels, augment=augment)

            features[modality] = store.features(
                key, images, views=views, encode=encode, batch_size=self.batch_size
            )
        return dataset.with_features(features)

    def _build_module(self, device, embedding_dims, seed):
        """The fusion net, and the weights digest of each modality's tower.

        A digest is None for a tower built afresh rather than copied from a
        recipe (see :func:`cached_tower`).
        """
        towers, digests, n_tower_features = {}, {}, 0
        normalization = (IMAGENET_MEAN, IMAGENET_STD)
        for position, modality in enumerate(self._image_columns()):
            if self.share_towers and towers:
                first = next(iter(towers))
                towers[modality], digests[modality] = towers[first], digests[first]
                continue
            # Each tower and the head get seeds of their own, so that a tower
            # copied from the cache and one built afresh give the same net.
            tower, n_tower_features, normalization, digest = cached_tower(
                self.backbone, self.weights, self.image_size,
                _derived_seed(seed, position),
            )
            towers[modality], digests[modality] = tower, digest
        if seed is not None:
            torch.manual_seed(_derived_seed(seed, "head"))
        on_cuda = device.startswith("cuda")
        module = FusionNet(
            towers,
            n_tower_features,
            0 if self.metadata_encoder_ is None else len(
                self.metadata_encoder_.get_feature_names_out()
            ),
            embedding_dims,
            len(self.classes_),
            normalization,
            augment=self.augment,
            dropout=self.dropout,
            channels_last=on_cuda,
            freeze_towers=self.freeze_towers,
        )
        if on_cuda:
            module = module.to(memory_format=torch.channels_last)
        return module, digests

    def _class_weights(self, y_encoded):
        if self.class_weight is None:
            return None
        if isinstance(self.class_weight, str) and self.class_weight != "balanced":
            raise ValueError(
                f"class_weight must be 'balanced', a dict or None, got "
                f"{self.class_weight!r}."
            )
        weights = compute_class_weight(
            self.class_weight, classes=self.classes_, y=self.classes_[y_encoded]
        )
        return torch.as_tensor(weights, dtype=torch.float32)


def _start_from_class_frequencies(head, y_encoded, class_weights):
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
    if class_weights is not None:
        frequencies *= class_weights.numpy()
    with torch.no_grad():
        if len(head) == 1:
            output.weight.zero_()
        # A class weighted 0 gets a very low, finite bias, not -inf.
        balance = np.maximum(frequencies / frequencies.sum(), 1e-12)
        output.bias.copy_(torch.as_tensor(np.log(balance)))


def _softmax(logits):
    return torch.softmax(logits, dim=-1)


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
        if not isinstance(width, numbers.Integral) or width < 1:
            raise ValueError(
                f"embedding_dims must hold positive integers, got {embedding_dims!r}."
            )
    return tuple(int(width) for width in dims)


def _check_positive_int(value, name):
    if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")


def _resolve_device(device):
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    try:
        resolved = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(
            f"device={device!r} is not a torch device; use 'auto', 'cpu' or 'cuda'."
        ) from None
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(
            f"device={device!r} but CUDA is not available on this machine; use "
            "device='auto' or 'cpu'."
        )
    return str(resolved)


def _check_mixed_precision(mixed_precision):
    if not (isinstance(mixed_precision, bool) or mixed_precision == "auto"):
        raise ValueError(
            f"mixed_precision must be 'auto', True or False, got {mixed_precision!r}."
        )


@contextlib.contextmanager
def _cuda_tuning(device):
    """Let cuDNN pick the fastest convolution algorithms while on CUDA."""
    if not device.startswith("cuda"):
        yield
        return
    previous = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = True
    try:
        yield
    finally:
        torch.backends.cudnn.benchmark = previous


def _release_cuda_memory(device):
    # The caching allocator keeps freed blocks reserved; hand them back so
    # that memory returns to its level before the fit.
    if device.startswith("cuda"):
        torch.cuda.empty_cache()


def _seed_of(random_state):
    if random_state is None:
        return None
    if isinstance(random_state, numbers.Integral):
        return int(random_state)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


def _derived_seed(seed, purpose):
    """An independent seed for one part of the net, or None without a seed."""
    if seed is None:
        return None
    seed %= 2**64  # SeedSequence takes non-negative entropy only
    entropy = [seed, purpose] if isinstance(purpose, int) else [seed, *purpose.encode()]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0])


@contextlib.contextmanager
def _torch_seed(seed, device):
    """Seed torch inside the block, restoring the global random state after."""
    if seed is None:
        yield
        return
    cuda_devices = []
    if device.startswith("cuda"):
        cuda_devices = [torch.device(device).index or 0]
    with torch.random.fork_rng(devices=cuda_devices):
        torch.manual_seed(seed)
        yield


def _validation_split(y, groups, fraction, seed):
    """Indices of the training and early-stopping parts, stratified (and grouped)."""
    if not 0.0 < fraction < 1.0:
        raise ValueError(
            f"validation_fraction must be between 0 and 1, got {fraction!r}."
        )
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
            stacklevel=3,
        )
        splitter = ShuffleSplit(1, test_size=fraction, random_state=seed)
        return next(splitter.split(positions))
