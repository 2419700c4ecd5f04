"""The fusion network of Yap et al. (2018) and its scikit-learn estimator."""

from ._backbones import build_tower
from ._callbacks import TrainingDivergedError
from ._classifier import MultimodalLesionClassifier
from ._data import LesionDataset
from ._export import exported_weights, tower_description
from ._extractor import ImageFeatureExtractor
from ._features import FeatureStore, get_feature_store
from ._module import FusionHead, FusionNet
from ._net import LesionNet
from ._weights import PretrainedWeightsUnavailable

__all__ = [
    "FeatureStore",
    "FusionHead",
    "FusionNet",
    "ImageFeatureExtractor",
    "LesionDataset",
    "LesionNet",
    "MultimodalLesionClassifier",
    "PretrainedWeightsUnavailable",
    "TrainingDivergedError",
    "build_tower",
    "exported_weights",
    "get_feature_store",
    "tower_description",
]
