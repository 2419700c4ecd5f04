"""The metrics of Yap et al. (2018): mAP, top-1 accuracy and two ROC AUCs.

Every metric takes the true labels, a probability matrix and the class labels
of that matrix's columns (an estimator's ``classes_``), so that no metric ever
guesses which column is which class, and checks them first (see
``_validation``): a ValueError rather than a number that means nothing.
"""

import warnings

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import average_precision_score, roc_auc_score

from ._docstrings import document
from ._validation import check_positive_labels, check_scores, column_of

MELANOMA = "melanoma"
CANCERS = ("melanoma", "bcc", "scc")


@document
def mean_average_precision(y_true, y_proba, labels):
    """Mean over classes of the one-vs-rest average precision.

    The mean runs over the classes present in ``y_true``: a class without a
    single positive case has no defined average precision. A class present in
    ``y_true`` but absent from ``labels`` (the model never saw it) counts with
    a probability of zero for every case.

    Parameters
    ----------
    %(inputs)s

    Returns
    -------
    score : float
        Mean average precision, between 0 and 1.

    Raises
    ------
    %(input_errors)s

    See Also
    --------
    sklearn.metrics.average_precision_score : the per-class score.

    Examples
    --------
    >>> from skmultimodal.metrics import mean_average_precision
    >>> y_true = ["nevus", "melanoma", "nevus", "bcc"]
    >>> y_proba = [[0.1, 0.2, 0.7], [0.1, 0.6, 0.3], [0.2, 0.1, 0.7], [0.5, 0.3, 0.2]]
    >>> mean_average_precision(y_true, y_proba, ["bcc", "melanoma", "nevus"])
    1.0
    """
    y_true, y_proba, labels = check_scores(y_true, y_proba, labels)
    present = np.unique(y_true)
    precisions = [
        average_precision_score(y_true == label, column_of(y_proba, labels, label))
        for label in present
    ]
    return float(np.mean(precisions))


def _binary_auc(positive, score, what):
    if positive.all() or not positive.any():
        warnings.warn(
            f"{what} is undefined when y_true holds "
            f"{'only' if positive.all() else 'no'} positive cases; returning NaN.",
            UndefinedMetricWarning,
            stacklevel=3,
        )
        return float("nan")
    return float(roc_auc_score(positive, score))


@document
def melanoma_auc(y_true, y_proba, labels, *, melanoma=MELANOMA):
    """ROC AUC of melanoma against every other class.

    Parameters
    ----------
    %(inputs)s
    melanoma : str, default="melanoma"
        The label of the melanoma class; it must occur in ``y_true`` or
        ``labels``.

    Returns
    -------
    score : float
        The area under the ROC curve; NaN, with an
        :class:`~sklearn.exceptions.UndefinedMetricWarning`, when ``y_true``
        has no melanoma or nothing else. A model that never saw melanoma
        (no ``melanoma`` among ``labels``) gives every lesion a melanoma
        probability of zero, hence an AUC of 0.5.

    Raises
    ------
    %(auc_errors)s

    Examples
    --------
    >>> from skmultimodal.metrics import melanoma_auc
    >>> y_true = ["nevus", "melanoma", "nevus", "melanoma"]
    >>> y_proba = [[0.2, 0.8], [0.6, 0.4], [0.3, 0.7], [0.9, 0.1]]
    >>> melanoma_auc(y_true, y_proba, ["melanoma", "nevus"])
    1.0
    """
    y_true, y_proba, labels = check_scores(y_true, y_proba, labels)
    check_positive_labels(
        "melanoma", melanoma, set(y_true.tolist()), labels.tolist(), "Melanoma AUC"
    )
    return _binary_auc(
        y_true == melanoma, column_of(y_proba, labels, melanoma), "Melanoma AUC"
    )


@document
def cancer_auc(y_true, y_proba, labels, *, cancers=CANCERS):
    """ROC AUC of any cancer (melanoma, BCC, SCC) against benign lesions.

    A lesion's cancer score is the sum of the probabilities of the cancer
    classes among ``labels``; cancers absent from ``labels`` (the model
    never saw them) count with a probability of zero.

    Parameters
    ----------
    %(inputs)s
    cancers : sequence of str or str, default=("melanoma", "bcc", "scc")
        The malignant classes. At least one must occur in ``y_true`` or
        ``labels``.

    Returns
    -------
    score : float
        The area under the ROC curve; NaN, with an
        :class:`~sklearn.exceptions.UndefinedMetricWarning`, when ``y_true``
        holds only cancers or only benign lesions.

    Raises
    ------
    %(auc_errors)s

    Examples
    --------
    >>> from skmultimodal.metrics import cancer_auc
    >>> y_true = ["nevus", "bcc", "bkl", "melanoma"]
    >>> y_proba = [[0.1, 0.2, 0.1, 0.6], [0.7, 0.1, 0.1, 0.1],
    ...            [0.2, 0.6, 0.1, 0.1], [0.1, 0.1, 0.5, 0.3]]
    >>> cancer_auc(y_true, y_proba, ["bcc", "bkl", "melanoma", "nevus"])
    1.0
    """
    y_true, y_proba, labels = check_scores(y_true, y_proba, labels)
    cancers = check_positive_labels(
        "cancers", cancers, set(y_true.tolist()), labels.tolist(), "Cancer AUC"
    )
    score = y_proba[:, np.isin(labels, cancers)].sum(axis=1)
    return _binary_auc(np.isin(y_true, cancers), score, "Cancer AUC")


@document
def top1_accuracy(y_true, y_proba, labels):
    """Fraction of lesions whose most probable class is the true one.

    Parameters
    ----------
    %(inputs)s

    Returns
    -------
    score : float
        Top-1 accuracy, between 0 and 1.

    Raises
    ------
    %(input_errors)s

    Examples
    --------
    >>> from skmultimodal.metrics import top1_accuracy
    >>> top1_accuracy(["bcc", "nevus"], [[0.9, 0.1], [0.8, 0.2]], ["bcc", "nevus"])
    0.5
    """
    y_true, y_proba, labels = check_scores(y_true, y_proba, labels)
    return float(np.mean(labels[np.argmax(y_proba, axis=1)] == y_true))


@document
def cross_entropy(y_true, y_proba, labels):
    """Mean negative log-probability of the true class (the training loss).

    Parameters
    ----------
    %(inputs)s

    Returns
    -------
    loss : float
        The cross-entropy in nats; lesions of a class absent from ``labels``
        count with a probability of 1e-15.

    Raises
    ------
    %(input_errors)s

    Examples
    --------
    >>> from skmultimodal.metrics import cross_entropy
    >>> round(cross_entropy(["bcc", "nevus"], [[0.5, 0.5], [0.2, 0.8]],
    ...                     ["bcc", "nevus"]), 4)
    0.4581
    """
    y_true, y_proba, labels = check_scores(y_true, y_proba, labels)
    column_of = {label: j for j, label in enumerate(labels.tolist())}
    columns = np.array([column_of.get(label, -1) for label in y_true.tolist()])
    truth = np.where(
        columns >= 0, y_proba[np.arange(len(y_true)), np.maximum(columns, 0)], 0.0
    )
    return float(-np.mean(np.log(np.clip(truth, 1e-15, 1.0))))
