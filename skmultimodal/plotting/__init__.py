"""Figures of the paper's study, as scikit-learn style displays (matplotlib)."""

from ._boxplot import MetricBoxPlotDisplay
from ._confusion import ConfusionMatricesDisplay
from ._embedding import EmbeddingSearchDisplay
from ._importance import FeatureImportanceDisplay
from ._robustness import ModalityRobustnessDisplay
from ._roc import MelanomaRocDisplay

__all__ = [
    "ConfusionMatricesDisplay",
    "EmbeddingSearchDisplay",
    "FeatureImportanceDisplay",
    "MelanomaRocDisplay",
    "MetricBoxPlotDisplay",
    "ModalityRobustnessDisplay",
]
