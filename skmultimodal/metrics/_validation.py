"""The input checks every lesion metric runs before it computes anything.

A metric raises a ValueError, rather than return a number that means
nothing, when the probabilities are not finite or not between 0 and 1, or
when ``y_true`` and ``labels`` share no label at all (or spell one label two
ways). A class of ``y_true`` missing from ``labels`` is not an error: a
model that never saw a rare class gives it probability zero.
"""

import numpy as np

from .._frame import format_rows, refuse_rows

# How far outside [0, 1] a probability may stray: float32 softmax outputs and
# their renormalised sums miss the bounds by a few units of 1e-7.
_PROBABILITY_TOLERANCE = 1e-6


def check_scores(y_true, y_proba, labels):
    """``y_true``, ``y_proba`` and ``labels`` as arrays, once every check passed."""
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
    refuse_rows(
        ~np.isfinite(y_proba).all(axis=1), np.arange(len(y_proba)),
        "y_proba holds NaN or infinity in {count} of its {total} rows (rows "
        "{rows}). A model that outputs them has diverged or was given invalid "
        "input; fix the model or its input rather than score it.",
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


def check_positive_labels(parameter, value, truth, labels, what):
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


def column_of(y_proba, labels, label):
    """Probability column of ``label``; zeros when the model never saw it."""
    position = np.flatnonzero(labels == label)
    return y_proba[:, position[0]] if len(position) else np.zeros(len(y_proba))
