"""One candidate on the study's folds: each fold fitted once and predicted once.

Every score, on the left-out fold and on the held-out test set, for every
lesion and for each data set's lesions, is computed from the probabilities
kept from that one prediction, so that the scores and ``predictions`` can
never disagree. :func:`modality_robustness` fits, scores and keeps its
probabilities with the same pieces (:func:`fit_and_predict`,
:func:`score_rows`, :func:`prediction_frame`).
"""

import inspect
import time

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.utils.parallel import Parallel, delayed

from ..metrics import lesion_scores
from ._summary import METRIC_TITLES

#: One row of ``results`` per candidate, fold, split and source.
RESULT_COLUMNS = [
    "candidate", "fold", "split", "source", *METRIC_TITLES, "fit_time", "n_train",
    "n_scored",
]
#: The ``source`` of the scores on every lesion of a split.
ALL_SOURCES = "all"


def scored_parts(splits):
    """The parts each fold's model is scored on: ``{"validation": ..., "test": ...}``.

    Parameters
    ----------
    splits : Bunch
        From :func:`study_splits`.

    Returns
    -------
    parts : list of dict of str to ndarray
        Per fold, the positions of each scored split, the test set only when
        there is one.
    """
    parts = []
    for _, valid in splits.folds:
        fold = {"validation": valid}
        if len(splits.test):
            fold["test"] = splits.test
        parts.append(fold)
    return parts


def expected_rows(splits, source=None):
    """The ``results`` rows a candidate has once all its folds are done.

    Parameters
    ----------
    splits : Bunch
        From :func:`study_splits`.
    source : ndarray of str or None
        The data set of each lesion.

    Returns
    -------
    rows : DataFrame
        Columns ``fold``, ``split``, ``source``, ``n_train``, ``n_scored``.
    """
    rows = []
    for fold, ((train, _), parts) in enumerate(zip(splits.folds, scored_parts(splits))):
        for split, positions in parts.items():
            for name, members in by_source(positions, source):
                rows.append((fold, split, name, len(train), int(members.sum())))
    return pd.DataFrame(rows, columns=["fold", "split", "source", "n_train", "n_scored"])


def evaluate_candidate(
    name, estimator, X, y, *, groups, splits, classes, source=None, n_jobs=None,
    on_fold=None,
):
    """Fit ``estimator`` on every fold and score it from the kept probabilities.

    The folds run through :class:`joblib.Parallel`, so ``n_jobs`` and joblib
    backends (Dask, Ray) apply.

    Parameters
    ----------
    name : str
        The candidate's name in the tables.
    estimator : estimator
        The candidate, cloned for each fold.
    X : DataFrame
        The lesion frame.
    y : ndarray
        Class labels.
    groups : ndarray or None
        Patient ids, passed to ``fit`` when it takes them.
    splits : Bunch
        From :func:`study_splits`.
    classes : ndarray
        Every class of the study: the probability columns kept.
    source : ndarray of str or None
        The data set of each lesion; adds scores per data set.
    n_jobs : int or None
        Folds fitted at once.
    on_fold : callable, default=None
        Called with no argument after each fold (a progress bar).

    Returns
    -------
    results : DataFrame
        Columns :data:`RESULT_COLUMNS`.
    predictions : DataFrame
        One row per fold, split and scored lesion.
    """
    parts = scored_parts(splits)
    jobs = (
        delayed(fit_and_predict)(
            clone(estimator), X, y, groups, train,
            [X.iloc[np.concatenate(list(fold.values()))]],
        )
        for (train, _), fold in zip(splits.folds, parts)
    )
    rows, frames = [], []
    outcomes = Parallel(n_jobs=n_jobs, return_as="generator")(jobs)
    for fold, ((train, _), fold_parts, (fit_time, fold_classes, (proba,))) in enumerate(
        zip(splits.folds, parts, outcomes, strict=True)
    ):
        proba = over_classes(proba, fold_classes, classes)
        start = 0
        for split, positions in fold_parts.items():
            part = proba[start : start + len(positions)]
            start += len(positions)
            keys = {"candidate": name, "fold": fold, "split": split}
            frames.append(prediction_frame(keys, positions, part, X, y, source, classes))
            rows += score_rows(keys, positions, part, y, source, classes,
                               fit_time=fit_time, n_train=len(train))
        if on_fold is not None:
            on_fold()
    return (
        pd.DataFrame(rows, columns=RESULT_COLUMNS),
        pd.concat(frames, ignore_index=True),
    )


def seeded(estimator, random_state):
    """Give a seedless candidate the study's seed, so reruns are comparable."""
    params = estimator.get_params(deep=False)
    if "random_state" in params and params["random_state"] is None:
        estimator = clone(estimator).set_params(random_state=random_state)
    return estimator


def accepts_groups(estimator):
    """Whether ``estimator.fit`` takes ``groups`` (the nets' early-stopping split)."""
    return "groups" in inspect.signature(estimator.fit).parameters


def fit_on(estimator, X, y, groups, rows):
    """Fit on the lesions at ``rows``, with their groups when ``fit`` takes them."""
    fit_params = {}
    if groups is not None and accepts_groups(estimator):
        fit_params["groups"] = groups[rows]
    return estimator.fit(X.iloc[rows], y[rows], **fit_params)


def fit_and_predict(estimator, X, y, groups, train, inputs):
    """Fit on ``train``, then one ``predict_proba`` per lesion frame of ``inputs``.

    Returns
    -------
    fit_time : float
        Seconds the fit took.
    classes : ndarray
        The classes of the fit, the columns of the probabilities.
    probas : list of ndarray
        The probabilities of each frame.
    """
    started = time.perf_counter()
    fit_on(estimator, X, y, groups, train)
    fit_time = time.perf_counter() - started
    return fit_time, estimator.classes_, [estimator.predict_proba(frame) for frame in inputs]


def over_classes(proba, fold_classes, classes):
    """Probabilities over every class of the study, zero for classes a fold lacked."""
    full = np.zeros((len(proba), len(classes)))
    full[:, np.searchsorted(classes, fold_classes)] = proba
    return full


def by_source(positions, source):
    """``("all", mask)``, then each data set's mask over ``positions``."""
    yield ALL_SOURCES, np.ones(len(positions), dtype=bool)
    if source is None:
        return
    # A data set without a lesion in this part has nothing to score.
    for name in dict.fromkeys(source.tolist()):
        members = source[positions] == name
        if members.any():
            yield name, members


def score_rows(keys, positions, proba, y, source, classes, **fit):
    """The ``results`` rows of one prediction of the lesions at ``positions``.

    One row for every lesion, then one per data set; each holds ``keys``
    (candidate, fold, ...), ``source``, the paper's metrics, ``n_scored``
    and ``fit`` (the fit's time and size).
    """
    return [
        {
            **keys,
            "source": name,
            **lesion_scores(y[positions[members]], proba[members], classes),
            "n_scored": int(members.sum()),
            **fit,
        }
        for name, members in by_source(positions, source)
    ]


def prediction_frame(keys, positions, proba, X, y, source, classes):
    """The ``predictions`` rows of the lesions at ``positions``: ``keys``, then the lesion."""
    frame = pd.DataFrame(proba, columns=[f"proba_{c}" for c in classes])
    columns = {**keys, "index": X.index[positions], "y_true": y[positions]}
    if source is not None:
        columns["source"] = source[positions]
    for position, (column, values) in enumerate(columns.items()):
        frame.insert(position, column, values)
    return frame
