"""ImageFeatureExtractor: a frozen tower's features as a scikit-learn transformer."""

import numbers
import os

import numpy as np
import pandas as pd
import torch
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from .._compat import Interval, Options, StrOptions, _fit_context
from ._device import (
    cuda_tuning,
    derived_seed,
    on_cuda,
    release_cuda_memory,
    resolve_device,
    seed_of,
)
from ._features import frozen_features, weights_digest
from ._loading import load_lesions
from ._module import FusionNet
from ._tower_cache import cached_tower

_POSITIVE = Interval(numbers.Integral, 1, None, closed="left")
_PATH = [str, os.PathLike]
# The fusion net's tower slot the extractor's images pass through; the name
# does not enter the features' key, so they are shared with classifiers.
_SLOT = "dermoscopic"

_PARAMETER_CONSTRAINTS = {
    "backbone": [str, torch.nn.Module],
    "weights": [*_PATH, None],
    "image_size": [_POSITIVE],
    "image_root": [*_PATH, None],
    "cache_dir": [*_PATH, None],
    "device": [str, torch.device],
    "batch_size": [_POSITIVE],
    "mixed_precision": [StrOptions({"auto"}), "boolean"],
    "decode_jobs": [Options(numbers.Integral, {-1}), _POSITIVE, None],
    "random_state": ["random_state"],
}


class ImageFeatureExtractor(TransformerMixin, BaseEstimator):
    """Pooled features of a frozen image tower, one row per image path.

    The scikit-learn way of using a pretrained network: a transformer on one
    column of image paths whose output, a float32 matrix of the tower's
    pooled features, feeds any scikit-learn model, e.g. beside metadata in a
    :class:`~sklearn.compose.ColumnTransformer`. The tower is the one
    :class:`~skmultimodal.MultimodalLesionClassifier` builds from the same
    ``backbone`` and ``weights`` (torchvision or timm models, local weights
    files, towers written by ``export_towers``); it is never trained.

    Images go through the library's image store (decoded, cropped to their
    largest centred square and resized once per process) and features
    through its feature store (computed once per image and tower, kept as
    float16): a second ``transform`` of the same images, in a later fold or
    grid point, decodes and computes nothing. Frozen-tower classifiers with
    the same tower share these features.

    Parameters
    ----------
    backbone : str or torch.nn.Module, default="resnet50"
        A torchvision model name, a timm model name as ``"timm:<name>"``, or
        a module mapping images to feature vectors (see
        :class:`~skmultimodal.MultimodalLesionClassifier`).
    weights : str, os.PathLike or None, default="DEFAULT"
        The tower's weights: ``"DEFAULT"`` (the backbone's pretrained
        weights), a torchvision weights name, a local weights file
        (``.pth``, ``.pt``, ``.safetensors``, or an exported tower), or
        ``None`` for random weights.
    image_size : int, default=224
        Side of the square images fed to the tower.
    image_root : str, os.PathLike or None, default=None
        Directory that relative image paths are relative to.
    cache_dir : str, os.PathLike or None, default=None
        Directory where decoded images are also kept on disk.
    device : str, default="auto"
        Torch device computing the features; ``"auto"`` uses CUDA when
        available, else the CPU.
    batch_size : int, default=64
        Images per forward pass.
    mixed_precision : "auto" or bool, default="auto"
        bf16 autocast in the forward pass; ``"auto"`` enables it on CUDA.
    decode_jobs : int or None, default=None
        Threads decoding images the first time they are seen; ``None`` uses
        every CPU core.
    random_state : int, RandomState instance or None, default=None
        Seeds random tower weights (``weights=None``), so that fits with the
        same int give the same features.

    Attributes
    ----------
    n_features_in_ : int
        Always 1: the column of image paths.
    feature_names_in_ : ndarray of shape (1,)
        The name of that column, when ``fit`` got a DataFrame.
    tower_ : torch.nn.Module
        The frozen tower, on the CPU between calls.
    n_output_features_ : int
        Width of the feature vectors.
    normalization_ : tuple of (tuple, tuple)
        Channel mean and standard deviation the tower's weights expect.

    See Also
    --------
    skmultimodal.MultimodalLesionClassifier : the fusion net, which trains
        its towers (or, with ``freeze_towers=True``, uses these features).

    Notes
    -----
    An empty cell (``NaN``, ``None`` or ``""``: an image not taken) gives a
    row of NaN; follow the extractor with a
    :class:`~sklearn.impute.SimpleImputer` (or use a model that accepts NaN,
    such as :class:`~sklearn.ensemble.HistGradientBoostingClassifier`) when
    some lesions lack the image. A path that cannot be read is an error,
    naming its row, raised before anything is computed.

    Examples
    --------
    >>> import tempfile
    >>> from sklearn.compose import ColumnTransformer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from skmultimodal import ImageFeatureExtractor
    >>> from skmultimodal.datasets import make_lesions
    >>> X, y = make_lesions(40, image_size=32, missing_metadata=0.0,
    ...                     directory=tempfile.mkdtemp(), random_state=0)
    >>> images = ImageFeatureExtractor("resnet18", weights=None, image_size=32,
    ...                                random_state=0)
    >>> images.fit_transform(X[["dermoscopic"]]).shape
    (40, 512)
    >>> features = ColumnTransformer([
    ...     ("images", make_pipeline(images, StandardScaler()), ["dermoscopic"]),
    ...     ("age", StandardScaler(), ["age"]),
    ... ])
    >>> model = make_pipeline(features, LogisticRegression(max_iter=1000))
    >>> model.fit(X, y).predict_proba(X).shape
    (40, 5)
    >>> features.get_feature_names_out()[[0, -1]].tolist()
    ['images__dermoscopic_0', 'age__age']
    """

    _parameter_constraints = _PARAMETER_CONSTRAINTS

    def __init__(
        self,
        backbone="resnet50",
        *,
        weights="DEFAULT",
        image_size=224,
        image_root=None,
        cache_dir=None,
        device="auto",
        batch_size=64,
        mixed_precision="auto",
        decode_jobs=None,
        random_state=None,
    ):
        self.backbone = backbone
        self.weights = weights
        self.image_size = image_size
        self.image_root = image_root
        self.cache_dir = cache_dir
        self.device = device
        self.batch_size = batch_size
        self.mixed_precision = mixed_precision
        self.decode_jobs = decode_jobs
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Build the tower; no image is read.

        Parameters
        ----------
        X : DataFrame of one column, or array-like of shape (n_images,)
            Image paths.
        y : None
            Ignored.

        Returns
        -------
        self : ImageFeatureExtractor
            The fitted extractor.
        """
        self._paths(X, reset=True)
        device = resolve_device(self.device)
        # The seed of a classifier's first tower: a random tower here is the
        # one a one-modality classifier with this random_state starts from.
        tower, n_features, normalization, digest = cached_tower(
            self.backbone, self.weights, self.image_size,
            derived_seed(seed_of(self.random_state), 0),
        )
        self.tower_ = tower.eval().requires_grad_(False)
        self.n_output_features_ = n_features
        self.normalization_ = normalization
        self._digest = digest or weights_digest(tower)
        with torch.random.fork_rng(devices=[]):  # the unused head's weights
            self._module = FusionNet(
                {_SLOT: self.tower_}, n_features, 0, (), 1, normalization,
                augment=False, channels_last=on_cuda(device), freeze_towers=True,
            )
        return self

    def transform(self, X):
        """The tower's pooled features of each image.

        Parameters
        ----------
        X : DataFrame of one column, or array-like of shape (n_images,)
            Image paths; empty cells are images not taken.

        Returns
        -------
        features : ndarray of shape (n_images, n_features)
            float32, ``n_features`` being ``n_output_features_``; rows of NaN
            for empty cells.
        """
        check_is_fitted(self)
        frame = self._paths(X, reset=False)
        dataset = load_lesions(
            frame, image_columns={_SLOT: frame.columns[0]}, image_root=self.image_root,
            image_size=self.image_size, metadata=None, cache_dir=self.cache_dir,
            decode_jobs=self.decode_jobs,
        )
        features = np.full((len(frame), self.n_output_features_), np.nan, np.float32)
        present = dataset.present.get(_SLOT, torch.ones(len(frame), dtype=torch.bool))
        if not bool(present.any()):
            return features
        device = resolve_device(self.device)
        module = self._module
        try:
            with cuda_tuning(device):
                if on_cuda(device):
                    module.to(memory_format=torch.channels_last)
                computed = frozen_features(
                    module, dataset, device=device, mixed_precision=self.mixed_precision,
                    views=1, seed=None, batch_size=self.batch_size,
                    digests={_SLOT: self._digest},
                )
        finally:
            module.to("cpu")
            release_cuda_memory(device)
        features[present.numpy()] = computed.features[_SLOT][:, 0].float().numpy()
        return features

    def get_feature_names_out(self, input_features=None):
        """Names of the features: ``<column>_<i>`` (``image_<i>`` for an unnamed column).

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            The input column's name; by default ``feature_names_in_``.

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self)
        names = getattr(self, "feature_names_in_", None)
        if input_features is not None:
            input_features = np.asarray(input_features, dtype=object)
            if len(input_features) != 1 or (
                names is not None and input_features[0] != names[0]
            ):
                raise ValueError(
                    f"input_features should be the one column of image paths "
                    f"{[] if names is None else list(names)}, got {list(input_features)}."
                )
            names = input_features
        column = "image" if names is None else str(names[0])
        return np.asarray(
            [f"{column}_{i}" for i in range(self.n_output_features_)], dtype=object
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.one_d_array = True
        tags.input_tags.string = True
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = []
        tags.non_deterministic = self.weights is None and self.random_state is None
        return tags

    def _paths(self, X, *, reset):
        """``X`` as a one-column DataFrame, recording or checking its column."""
        if isinstance(X, pd.DataFrame):
            if X.shape[1] != 1:
                raise ValueError(
                    f"ImageFeatureExtractor takes one column of image paths, got "
                    f"{X.shape[1]} columns {list(X.columns)}. In a ColumnTransformer "
                    "give it one column, e.g. ('images', ImageFeatureExtractor(), "
                    "['dermoscopic'])."
                )
            frame = X
            validate_data(self, X, skip_check_array=True, reset=reset)
        else:
            index = X.index if isinstance(X, pd.Series) else None
            values = np.asarray(X, dtype=object)
            if values.ndim == 1:
                values = values.reshape(-1, 1)
            if values.ndim != 2 or values.shape[1] != 1:
                raise ValueError(
                    f"ImageFeatureExtractor takes one column of image paths, got an "
                    f"array of shape {values.shape}."
                )
            validate_data(self, values, skip_check_array=True, reset=reset)
            frame = pd.DataFrame({"image": values[:, 0]}, index=index)
        if len(frame) == 0:
            raise ValueError(
                f"Found array with 0 sample(s) (shape={frame.shape}) while a minimum "
                "of 1 is required."
            )
        return frame
