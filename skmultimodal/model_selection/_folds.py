"""One candidate on the study's folds: each fold fitted once and predicted once.

Every score, on the left-out fold and on the held-out test set, for every
lesion and for each data set's lesions, is computed from the probabilities
kept from that one prediction, so that the scores and ``predictions`` can
never disagree.
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
            for name, members in _by_source(positions, source):
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
        delayed(_fit_and_predict)(
            clone(estimator), X, y, groups, train, np.concatenate(list(fold.values()))
        )
        for (train, _), fold in zip(splits.folds, parts)
    )
    rows, frames = [], []
    outcomes = Parallel(n_jobs=n_jobs, return_as="generator")(jobs)
    for fold, ((train, _), fold_parts, (fit_time, fold_classes, proba)) in enumerate(
        zip(splits.folds, parts, outcomes, strict=True)
    ):
        proba = _over_classes(proba, fold_classes, classes)
        start = 0
        for split, positions in fold_parts.items():
            part = proba[start : start + len(positions)]
            start += len(positions)
            frames.append(
                _prediction_frame(name, fold, split, positions, part, X, y, source, classes)
            )
            for source_name, members in _by_source(positions, source):
                rows.append(
                    {
                        "candidate": name,
                        "fold": fold,
                        "split": split,
                        "source": source_name,
                        **lesion_scores(y[positions[members]], part[members], classes),
                        "fit_time": fit_time,
                        "n_train": len(train),
                        "n_scored": int(members.sum()),
                    }
                )
        if on_fold is not None:
            on_fold()
    return (
        pd.DataFrame(rows, columns=RESULT_COLUMNS),
        pd.concat(frames, ignore_index=True),
    )


def accepts_groups(estimator):
    """Whether ``estimator.fit`` takes ``groups`` (the nets' early-stopping split)."""
    return "groups" in inspect.signature(estimator.fit).parameters


def _fit_and_predict(estimator, X, y, groups, train, scored):
    """Fit on ``train``; one ``predict_proba`` over every lesion to score."""
    fit_params = {}
    if groups is not None and accepts_groups(estimator):
        fit_params["groups"] = groups[train]
    started = time.perf_counter()
    estimator.fit(X.iloc[train], y[train], **fit_params)
    fit_time = time.perf_counter() - started
    return fit_time, estimator.classes_, estimator.predict_proba(X.iloc[scored])


def _over_classes(proba, fold_classes, classes):
    """Probabilities over every class of the study, zero for classes a fold lacked."""
    full = np.zeros((len(proba), len(classes)))
    full[:, np.searchsorted(classes, fold_classes)] = proba
    return full


def _by_source(positions, source):
    """``("all", mask)``, then each data set's mask over ``positions``."""
    yield ALL_SOURCES, np.ones(len(positions), dtype=bool)
    if source is None:
        return
    # A data set without a lesion in this part has nothing to score.
    for name in dict.fromkeys(source.tolist()):
        members = source[positions] == name
        if members.any():
            yield name, members


def _prediction_frame(name, fold, split, positions, proba, X, y, source, classes):
    frame = pd.DataFrame(proba, columns=[f"proba_{c}" for c in classes])
    columns = {
        "candidate": name,
        "fold": fold,
        "split": split,
        "index": X.index[positions],
        "y_true": y[positions],
    }
    if source is not None:
        columns["source"] = source[positions]
    for position, (column, values) in enumerate(columns.items()):
        frame.insert(position, column, values)
    return frame
