"""The metrics of Yap et al. (2018): mAP, top-1 accuracy and two ROC AUCs.

Every metric takes the true labels, a probability matrix and the class labels
of that matrix's columns (an estimator's ``classes_``), so that no metric ever
guesses which column is which class.

Every metric checks its input first and raises a ValueError, rather than
return a number that means nothing, when the probabilities are not finite or
not between 0 and 1, or when ``y_true`` and ``labels`` share no label at all
(or spell one label two ways). A class of ``y_true`` missing from ``labels``
is not an error: a model that never saw a rare class gives it probability
zero.
"""

import warnings

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import average_precision_score, roc_auc_score

from .._frame import format_rows

MELANOMA = "melanoma"
CANCERS = ("melanoma", "bcc", "scc")

# How far outside [0, 1] a probability may stray: float32 softmax outputs and
# their renormalised sums miss the bounds by a few units of 1e-7.
_PROBABILITY_TOLERANCE = 1e-6


def _check_scores(y_true, y_proba, labels):
    y_true = np.asarray(y_true)
    y_proba = np.asarray(y_proba, dtype=float)
    labels = np.asarray(labels)
    if y_true.ndim != 1:
        raise ValueError(f"y_true must be 1-d, got shape {y_true.shape}.")
    if y_proba.ndim != 2:
        raise ValueError(
            f"y_proba must be a 2-d matrix of class probabilities, got shape "
            f"{y_proba.shape}."
        )
    if len(y_true) != len(y_proba):
        raise ValueError(
            f"y_true has {len(y_true)} labels but y_proba has {len(y_proba)} rows."
        )
    if labels.ndim != 1 or len(labels) != y_proba.shape[1]:
        raise ValueError(
            f"labels must name each of the {y_proba.shape[1]} columns of y_proba, "
            f"got {labels.tolist()}."
        )
    if len(np.unique(labels)) != len(labels):
        raise ValueError(f"labels lists a class twice: {labels.tolist()}.")
    _check_probabilities(y_proba)
    _check_shared_labels(set(y_true.tolist()), labels.tolist())
    return y_true, y_proba, labels


def _check_probabilities(y_proba):
    non_finite = ~np.isfinite(y_proba).all(axis=1)
    if non_finite.any():
        raise ValueError(
            f"y_proba holds NaN or infinity in {non_finite.sum()} of its "
            f"{len(y_proba)} rows (rows {format_rows(np.flatnonzero(non_finite))}). "
            "A model that outputs them has diverged or was given invalid input; "
            "fix the model or its input rather than score it."
        )
    outside = (y_proba < -_PROBABILITY_TOLERANCE) | (
        y_proba > 1 + _PROBABILITY_TOLERANCE
    )
    rows = outside.any(axis=1)
    if rows.any():
        example = y_proba[outside][0]
        raise ValueError(
            f"y_proba holds values outside [0, 1] in {rows.sum()} of its "
            f"{len(y_proba)} rows (rows {format_rows(np.flatnonzero(rows))}; "
            f"e.g. {example:g}). The metrics need probabilities, as from "
            "predict_proba, not decision scores, logits or log-probabilities."
        )


def _check_shared_labels(truth, labels):
    """Refuse label sets that cannot describe the same classes.

    A class of ``y_true`` absent from ``labels`` is legitimate (a fold's model
    that never saw a rare class); no shared label at all, or one label spelled
    two ways, means the probabilities are read against the wrong names.
    """
    for true_label in sorted(truth - set(labels), key=str):
        spelled_alike = [
            label for label in labels if _spelling(label) == _spelling(true_label)
        ]
        if spelled_alike:
            raise ValueError(
                f"y_true's label {true_label!r} and the column label "
                f"{spelled_alike[0]!r} differ only in case or spaces; spell them "
                "alike in y_true and in the labels the model was fitted on."
            )
    if not truth & set(labels):
        raise ValueError(
            f"None of the labels of y_true {_listed(truth)} is among the labels "
            f"of y_proba's columns {_listed(labels)}, so no probability can be "
            "read for any lesion. Pass the fitted estimator's classes_ as "
            "labels, with y_true in the same encoding (not label strings "
            "against integer codes)."
        )


def _spelling(label):
    """A label with case and spaces ignored, to catch 'Melanoma' vs 'melanoma'."""
    return "".join(str(label).split()).casefold()


def _listed(labels):
    return "[" + ", ".join(repr(label) for label in sorted(labels, key=str)) + "]"


def _check_positive_labels(parameter, value, truth, labels, what):
    """The positive labels of an AUC, as a list; refused when not in the data.

    ``value`` is the ``melanoma`` or ``cancers`` argument. A positive label
    that occurs neither in ``y_true`` nor in ``labels`` while a label differing
    only in case or spaces does is a misspelling; positive labels none of
    which occurs anywhere leave an AUC that compares nothing.
    """
    wanted = [value] if isinstance(value, str) else list(value)
    known = truth | set(labels)
    respelled = {
        label: other
        for label in wanted
        if label not in known
        for other in sorted(known, key=str)
        if _spelling(other) == _spelling(label)
    }
    if respelled:
        fixed = (
            respelled[value]
            if isinstance(value, str)
            else [respelled.get(label, label) for label in wanted]
        )
        raise ValueError(
            f"{what}: {parameter}={value!r} names {_listed(respelled)}, which the "
            f"data spell {_listed(respelled.values())}. Pass {parameter}={fixed!r}."
        )
    if not known & set(wanted):
        raise ValueError(
            f"{what}: {parameter}={value!r} occurs neither in y_true "
            f"{_listed(truth)} nor among the labels of y_proba's columns "
            f"{_listed(labels)}, so the AUC would be meaningless. Pass "
            f"{parameter}= with the label(s) your data use."
        )
    return wanted


def _column(y_proba, labels, label):
    """Probability column of ``label``; zeros when the model never saw it."""
    position = np.flatnonzero(labels == label)
    return y_proba[:, position[0]] if len(position) else np.zeros(len(y_proba))


def mean_average_precision(y_true, y_proba, labels):
    """Mean over classes of the one-vs-rest average precision.

    The mean runs over the classes present in ``y_true``: a class without a
    single positive case has no defined average precision. A class present in
    ``y_true`` but absent from ``labels`` (the model never saw it) counts with
    a probability of zero for every case.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True class labels.
    y_proba : array-like of shape (n_samples, n_classes)
        Predicted probabilities, one column per class, finite and between 0
        and 1.
    labels : array-like of shape (n_classes,)
        The class of each column of ``y_proba``, e.g. an estimator's
        ``classes_``; at least one must occur in ``y_true``.

    Returns
    -------
    score : float
        Mean average precision, between 0 and 1.

    Raises
    ------
    ValueError
        When ``y_proba`` holds NaN, infinity or values outside [0, 1], or
        ``y_true`` and ``labels`` share no label or spell one label two ways
        (see :ref:`metrics_input_checks`).

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
    y_true, y_proba, labels = _check_scores(y_true, y_proba, labels)
    present = np.unique(y_true)
    precisions = [
        average_precision_score(y_true == label, _column(y_proba, labels, label))
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


def melanoma_auc(y_true, y_proba, labels, *, melanoma=MELANOMA):
    """ROC AUC of melanoma against every other class.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True class labels.
    y_proba : array-like of shape (n_samples, n_classes)
        Predicted probabilities, one column per class, finite and between 0
        and 1.
    labels : array-like of shape (n_classes,)
        The class of each column of ``y_proba``, e.g. an estimator's
        ``classes_``; at least one must occur in ``y_true``.
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
    ValueError
        When ``y_proba`` holds NaN, infinity or values outside [0, 1], or
        ``y_true`` and ``labels`` share no label or spell one label two ways
        (see :ref:`metrics_input_checks`).
        Also when the positive label(s) occur neither in ``y_true`` nor in
        ``labels``.

    Examples
    --------
    >>> from skmultimodal.metrics import melanoma_auc
    >>> y_true = ["nevus", "melanoma", "nevus", "melanoma"]
    >>> y_proba = [[0.2, 0.8], [0.6, 0.4], [0.3, 0.7], [0.9, 0.1]]
    >>> melanoma_auc(y_true, y_proba, ["melanoma", "nevus"])
    1.0
    """
    y_true, y_proba, labels = _check_scores(y_true, y_proba, labels)
    _check_positive_labels(
        "melanoma", melanoma, set(y_true.tolist()), labels.tolist(), "Melanoma AUC"
    )
    return _binary_auc(
        y_true == melanoma, _column(y_proba, labels, melanoma), "Melanoma AUC"
    )


def cancer_auc(y_true, y_proba, labels, *, cancers=CANCERS):
    """ROC AUC of any cancer (melanoma, BCC, SCC) against benign lesions.

    A lesion's cancer score is the sum of the probabilities of the cancer
    classes among ``labels``; cancers absent from ``labels`` (the model
    never saw them) count with a probability of zero.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True class labels.
    y_proba : array-like of shape (n_samples, n_classes)
        Predicted probabilities, one column per class, finite and between 0
        and 1.
    labels : array-like of shape (n_classes,)
        The class of each column of ``y_proba``, e.g. an estimator's
        ``classes_``; at least one must occur in ``y_true``.
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
    ValueError
        When ``y_proba`` holds NaN, infinity or values outside [0, 1], or
        ``y_true`` and ``labels`` share no label or spell one label two ways
        (see :ref:`metrics_input_checks`).
        Also when the positive label(s) occur neither in ``y_true`` nor in
        ``labels``.

    Examples
    --------
    >>> from skmultimodal.metrics import cancer_auc
    >>> y_true = ["nevus", "bcc", "bkl", "melanoma"]
    >>> y_proba = [[0.1, 0.2, 0.1, 0.6], [0.7, 0.1, 0.1, 0.1],
    ...            [0.2, 0.6, 0.1, 0.1], [0.1, 0.1, 0.5, 0.3]]
    >>> cancer_auc(y_true, y_proba, ["bcc", "bkl", "melanoma", "nevus"])
    1.0
    """
    y_true, y_proba, labels = _check_scores(y_true, y_proba, labels)
    cancers = _check_positive_labels(
        "cancers", cancers, set(y_true.tolist()), labels.tolist(), "Cancer AUC"
    )
    score = y_proba[:, np.isin(labels, cancers)].sum(axis=1)
    return _binary_auc(np.isin(y_true, cancers), score, "Cancer AUC")


def top1_accuracy(y_true, y_proba, labels):
    """Fraction of lesions whose most probable class is the true one.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True class labels.
    y_proba : array-like of shape (n_samples, n_classes)
        Predicted probabilities, one column per class, finite and between 0
        and 1.
    labels : array-like of shape (n_classes,)
        The class of each column of ``y_proba``, e.g. an estimator's
        ``classes_``; at least one must occur in ``y_true``.

    Returns
    -------
    score : float
        Top-1 accuracy, between 0 and 1.

    Raises
    ------
    ValueError
        When ``y_proba`` holds NaN, infinity or values outside [0, 1], or
        ``y_true`` and ``labels`` share no label or spell one label two ways
        (see :ref:`metrics_input_checks`).

    Examples
    --------
    >>> from skmultimodal.metrics import top1_accuracy
    >>> top1_accuracy(["bcc", "nevus"], [[0.9, 0.1], [0.8, 0.2]], ["bcc", "nevus"])
    0.5
    """
    y_true, y_proba, labels = _check_scores(y_true, y_proba, labels)
    return float(np.mean(labels[np.argmax(y_proba, axis=1)] == y_true))


def cross_entropy(y_true, y_proba, labels):
    """Mean negative log-probability of the true class (the training loss).

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        True class labels.
    y_proba : array-like of shape (n_samples, n_classes)
        Predicted probabilities, one column per class, finite and between 0
        and 1.
    labels : array-like of shape (n_classes,)
        The class of each column of ``y_proba``, e.g. an estimator's
        ``classes_``; at least one must occur in ``y_true``.

    Returns
    -------
    loss : float
        The cross-entropy in nats; lesions of a class absent from ``labels``
        count with a probability of 1e-15.

    Raises
    ------
    ValueError
        When ``y_proba`` holds NaN, infinity or values outside [0, 1], or
        ``y_true`` and ``labels`` share no label or spell one label two ways
        (see :ref:`metrics_input_checks`).

    Examples
    --------
    >>> from skmultimodal.metrics import cross_entropy
    >>> round(cross_entropy(["bcc", "nevus"], [[0.5, 0.5], [0.2, 0.8]],
    ...                     ["bcc", "nevus"]), 4)
    0.4581
    """
    y_true, y_proba, labels = _check_scores(y_true, y_proba, labels)
    column_of = {label: j for j, label in enumerate(labels.tolist())}
    columns = np.array([column_of.get(label, -1) for label in y_true.tolist()])
    truth = np.where(
        columns >= 0, y_proba[np.arange(len(y_true)), np.maximum(columns, 0)], 0.0
    )
    return float(-np.mean(np.log(np.clip(truth, 1e-15, 1.0))))
