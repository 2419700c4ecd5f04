"""The metrics of the paper: mAP, top-1 accuracy, AUC melanoma, AUC cancer."""

from ._lesion import (
    cancer_auc,
    cross_entropy,
    mean_average_precision,
    melanoma_auc,
    top1_accuracy,
)
from ._scorers import lesion_scorers, lesion_scores, lesion_scoring

__all__ = [
    "cancer_auc",
    "cross_entropy",
    "lesion_scorers",
    "lesion_scores",
    "lesion_scoring",
    "mean_average_precision",
    "melanoma_auc",
    "top1_accuracy",
]
