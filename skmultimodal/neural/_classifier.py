"""MultimodalLesionClassifier: the fusion net of Yap et al. (2018) as an estimator."""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.validation import check_is_fitted

from .._compat import _fit_context
from .._frame import (
    check_lesion_labels,
    lesion_frame_tags,
    refuse_rows,
    validate_lesion_frame,
)
from ..preprocessing import MetadataEncoder
from ._device import (
    cuda_tuning,
    net_on_device,
    prediction_device,
    resolve_device,
    seed_of,
)
from ._export import export_towers
from ._features import frozen_features
from ._inputs import learned_absences, lesion_presence, model_inputs
from ._loading import load_lesions
from ._parameters import PARAMETER_CONSTRAINTS, check_parameters
from ._training import fit_fusion_net, validation_split


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

    _parameter_constraints = PARAMETER_CONSTRAINTS

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
        embedding_dims = check_parameters(self)
        X = validate_lesion_frame(self, X, reset=True)
        y = check_lesion_labels(y, X.index)
        self.modalities_, self.image_columns_, self.metadata_columns_ = model_inputs(
            X, self.modalities, self.dermoscopic_column, self.clinical_column,
            self.metadata_columns,
        )
        self.image_size_ = int(self.image_size)
        self.classes_, y_encoded = np.unique(y, return_inverse=True)
        presence = self._presence(X)
        self.optional_modalities_ = learned_absences(
            self.modalities_, presence, self.modality_dropout
        )
        self.metadata_encoder_ = self._fit_metadata_encoder(X, presence)
        split = None
        if self.early_stopping:
            split = validation_split(
                y_encoded, groups, self.validation_fraction, seed_of(self.random_state)
            )
        dataset = self._load(X, presence, y_encoded)
        self.device_ = resolve_device(self.device)
        self.net_, self.fit_id_, digests = fit_fusion_net(
            self, dataset, y_encoded, split, embedding_dims, device=self.device_
        )
        # Frozen towers keep the weights they were built with, so the key of
        # their features needs no new pass over those weights.
        self._frozen_weights = digests if self.freeze_towers else {}
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
        device = prediction_device(self.device)
        with cuda_tuning(device), net_on_device(self.net_, device) as module:
            if module.freeze_towers:
                dataset = frozen_features(
                    module, dataset, device=device,
                    mixed_precision=self.net_.mixed_precision, views=1, seed=None,
                    batch_size=self.net_.batch_size, digests=self._frozen_weights,
                )
            proba = self.net_.predict_proba(dataset).astype(np.float64)
        refuse_rows(
            ~np.isfinite(proba).all(axis=1), X.index,
            "The model gives non-finite probabilities for {count} lesion(s), rows "
            "{rows}: its weights are not usable (were they loaded from a damaged "
            "file?). Refit it.",
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

    def export_towers(self, directory):
        """Write each image tower, for another model to start from.

        For each image modality, ``<modality>.safetensors`` holds the
        tower's weights (its backbone without classifier, under the
        backbone's own state-dict keys) and ``<modality>.json`` beside it
        describes it: backbone (``"module"`` for a
        :class:`torch.nn.Module`), image size, normalisation, feature width,
        the classes it was trained on, the library version (see
        :func:`~skmultimodal.neural.tower_description`). ``weights=`` takes
        these files, alone or per modality
        (:func:`~skmultimodal.neural.exported_weights`); a file given to a
        model of another backbone is refused before anything is loaded.

        With ``share_towers=True`` the one tower is written under each image
        modality's name, so that either file starts a tower of either
        modality. With ``freeze_towers=True`` the towers hold the weights
        they started from (the description says ``"trained": false``).

        Parameters
        ----------
        directory : str or os.PathLike
            Folder to write into, created if needed; files of the same names
            are replaced.

        Returns
        -------
        paths : dict of str to str
            Image modality to its ``.safetensors`` file.

        Examples
        --------
        >>> import tempfile
        >>> from skmultimodal import MultimodalLesionClassifier
        >>> from skmultimodal.datasets import make_lesions
        >>> X, y = make_lesions(40, image_size=32, random_state=0,
        ...                     directory=tempfile.mkdtemp())
        >>> params = dict(modalities=("dermoscopic",), backbone="resnet18",
        ...               image_size=32, max_epochs=1, random_state=0)
        >>> source = MultimodalLesionClassifier(weights=None, **params).fit(X, y)
        >>> paths = source.export_towers(tempfile.mkdtemp())
        >>> sorted(paths)
        ['dermoscopic']
        >>> reused = MultimodalLesionClassifier(
        ...     weights=paths["dermoscopic"], freeze_towers=True, **params).fit(X, y)
        """
        return export_towers(self, directory)

    def __sklearn_tags__(self):
        tags = lesion_frame_tags(super().__sklearn_tags__())
        tags.non_deterministic = self.random_state is None
        return tags

    # -- the steps of fit and predict -----------------------------------------

    def _presence(self, X):
        """Which of the model's modalities each lesion has (see lesion_presence)."""
        return lesion_presence(
            X, self.modalities_, self.image_columns_, self.metadata_columns_,
            optional=getattr(self, "optional_modalities_", None),
        )

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
