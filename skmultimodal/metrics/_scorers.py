"""Scorers for ``cross_validate`` and ``GridSearchCV`` built on the lesion metrics."""

import numpy as np

# Private in sklearn; _compat says why it is needed.
from .._compat import _BaseScorer
from ._lesion import (
    cancer_auc,
    cross_entropy,
    mean_average_precision,
    melanoma_auc,
    top1_accuracy,
)

# The paper's metrics under the names of their scorers, in its table's order.
METRICS = {
    "top1": top1_accuracy,
    "map": mean_average_precision,
    "auc_melanoma": melanoma_auc,
    "auc_cancer": cancer_auc,
}


class _ProbabilityScorer(_BaseScorer):
    """Score ``metric(y_true, estimator.predict_proba(X), estimator.classes_)``."""

    def __init__(self, metric, sign=1):
        super().__init__(
            score_func=metric, sign=sign, kwargs={}, response_method="predict_proba"
        )

    def _score(self, method_caller, estimator, X, y_true, **kwargs):
        proba = method_caller(estimator, "predict_proba", X)
        classes = estimator.classes_
        if proba.ndim == 1:
            # sklearn keeps only the positive column for binary problems.
            proba = np.column_stack([1.0 - proba, proba])
        return self._sign * self._score_func(y_true, proba, classes)

    def __repr__(self):
        return f"lesion_scorer({self._score_func.__name__})"


def lesion_scorers(*, loss=False):
    """Scorers for the paper's four metrics, for ``scoring=`` in model selection.

    All four are computed from one ``predict_proba`` call per evaluation and
    use the estimator's ``classes_`` to read its probability columns, so they
    keep working in a fold where a class is absent: a class the model never
    saw scores with probability zero, and an AUC whose test part has no
    melanoma (or no cancer, or nothing else) is NaN, with a warning.

    Parameters
    ----------
    loss : bool, default=False
        Also score the validation loss, as ``"neg_log_loss"`` (the negated
        :func:`cross_entropy`, so that greater is better).

    Returns
    -------
    scorers : dict
        ``{"top1": ..., "map": ..., "auc_melanoma": ..., "auc_cancer": ...}``,
        for top-1 accuracy, :func:`mean_average_precision`,
        :func:`melanoma_auc` and :func:`cancer_auc`; greater is better for all.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_validate
    >>> from skmultimodal.metrics import lesion_scorers
    >>> X, y = make_classification(n_samples=200, n_informative=4, n_classes=3,
    ...                            random_state=0)
    >>> y = [["nevus", "melanoma", "bcc"][i] for i in y]
    >>> scores = cross_validate(LogisticRegression(), X, y, scoring=lesion_scorers())
    >>> sorted(key for key in scores if key.startswith("test_"))
    ['test_auc_cancer', 'test_auc_melanoma', 'test_map', 'test_top1']
    """
    scorers = {name: _ProbabilityScorer(metric) for name, metric in METRICS.items()}
    if loss:
        scorers["neg_log_loss"] = _ProbabilityScorer(cross_entropy, sign=-1)
    return scorers
