"""The lesion metrics together: as scorers, as one scoring callable, as one dict.

``lesion_scorers`` gives one scorer per metric (sklearn shares one
``predict_proba`` call between them); ``lesion_scoring`` one callable that
returns every metric; ``lesion_scores`` every metric of stored probabilities.
"""

import numpy as np

# Private in sklearn; _compat says why it is needed.
from .._compat import _BaseScorer
from ._docstrings import document
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
# The validation loss, negated so that greater is better like the metrics.
LOSS = "neg_log_loss"


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


@document
def lesion_scorers(*, loss=False):
    """Scorers for the paper's four metrics, for ``scoring=`` in model selection.

    All four are computed from one ``predict_proba`` call per evaluation and
    use the estimator's ``classes_`` to read its probability columns, so they
    keep working in a fold where a class is absent: a class the model never
    saw scores with probability zero, and an AUC whose test part has no
    melanoma (or no cancer, or nothing else) is NaN, with a warning.

    Parameters
    ----------
    %(loss)s

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
        scorers[LOSS] = _ProbabilityScorer(cross_entropy, sign=-1)
    return scorers


@document
def lesion_scores(y_true, y_proba, labels, *, loss=False):
    """Every lesion metric of one probability matrix, in one dict.

    The function to score probabilities stored once per fold: the same
    numbers as :func:`lesion_scorers` and :func:`lesion_scoring` give for the
    estimator that predicted ``y_proba``, without predicting again.

    Parameters
    ----------
    %(inputs)s
    loss : bool, default=False
        Also give the validation loss, as ``"neg_log_loss"`` (the negated
        :func:`cross_entropy`).

    Returns
    -------
    scores : dict of str to float
        ``{"top1": ..., "map": ..., "auc_melanoma": ..., "auc_cancer": ...}``
        (then ``"neg_log_loss"``), as :func:`top1_accuracy`,
        :func:`mean_average_precision`, :func:`melanoma_auc` and
        :func:`cancer_auc` give them: an AUC is NaN, with an
        :class:`~sklearn.exceptions.UndefinedMetricWarning`, when ``y_true``
        has no positive or no negative lesion.

    Raises
    ------
    ValueError
        As the metrics do (see :ref:`metrics_input_checks`).

    See Also
    --------
    lesion_scoring : the same, predicting the probabilities of an estimator.

    Examples
    --------
    >>> from skmultimodal.metrics import lesion_scores
    >>> y_true = ["nevus", "melanoma", "nevus", "bcc"]
    >>> y_proba = [[0.1, 0.2, 0.7], [0.1, 0.6, 0.3], [0.2, 0.1, 0.7], [0.5, 0.3, 0.2]]
    >>> lesion_scores(y_true, y_proba, ["bcc", "melanoma", "nevus"])
    {'top1': 1.0, 'map': 1.0, 'auc_melanoma': 1.0, 'auc_cancer': 1.0}
    """
    scores = {name: metric(y_true, y_proba, labels) for name, metric in METRICS.items()}
    if loss:
        scores[LOSS] = -cross_entropy(y_true, y_proba, labels)
    return scores


class _LesionScoring:
    """``scoring(estimator, X, y)``: every lesion metric of one predict_proba call.

    A class rather than a closure, so that joblib workers can pickle it.
    """

    def __init__(self, loss):
        self.loss = loss

    def __call__(self, estimator, X, y):
        return lesion_scores(
            y, estimator.predict_proba(X), estimator.classes_, loss=self.loss
        )

    def __repr__(self):
        return f"lesion_scoring(loss={self.loss!r})"


@document
def lesion_scoring(*, loss=False):
    """One scoring callable for every lesion metric, for ``scoring=``.

    The callable, ``scoring(estimator, X, y) -> dict``, calls
    ``estimator.predict_proba(X)`` once and returns every metric of
    :func:`lesion_scores`, read through the estimator's ``classes_``. It is a
    multi-metric ``scoring`` for :func:`~sklearn.model_selection.cross_validate`
    (results ``"test_map"`` and so on) and
    :class:`~sklearn.model_selection.GridSearchCV` (with ``refit="map"``, or
    another metric's name), giving the same numbers as :func:`lesion_scorers`.

    Parameters
    ----------
    %(loss)s

    Returns
    -------
    scoring : callable
        ``scoring(estimator, X, y)`` returning a dict of str to float with the
        keys ``"top1"``, ``"map"``, ``"auc_melanoma"``, ``"auc_cancer"``
        (then ``"neg_log_loss"``).

    See Also
    --------
    lesion_scores : the same metrics of probabilities already predicted.
    lesion_scorers : one scorer per metric.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import GridSearchCV
    >>> from skmultimodal.metrics import lesion_scoring
    >>> X, y = make_classification(n_samples=200, n_informative=4, n_classes=3,
    ...                            random_state=0)
    >>> y = [["nevus", "melanoma", "bcc"][i] for i in y]
    >>> search = GridSearchCV(LogisticRegression(), {"C": [0.01, 1.0]},
    ...                       scoring=lesion_scoring(), refit="map").fit(X, y)
    >>> sorted(key for key in search.cv_results_ if key.startswith("mean_test_"))
    ['mean_test_auc_cancer', 'mean_test_auc_melanoma',
     'mean_test_map', 'mean_test_top1']
    """
    return _LesionScoring(loss)
