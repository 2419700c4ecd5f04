"""How one model copes with incomplete lesions: its scores by the modalities given.

A fusion net trained with ``modality_dropout`` predicts lesions lacking any of
its modalities. :func:`modality_robustness` measures how well: each fold's
model is fitted once, then scored on the left-out lesions with each subset of
its modalities available (the others blanked), optionally next to dedicated
nets trained on each subset alone.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.utils import Bunch
from sklearn.utils.parallel import Parallel, delayed
from tqdm.auto import tqdm

from ..neural._inputs import lesion_presence, model_inputs
from ._candidates import DEDICATED, ONE_MODEL, candidate_name
from ._checks import (
    check_data,
    check_learnable,
    check_presence,
    check_robustness_net,
    check_subsets,
)
from ._folder import check_out
from ._folds import (
    fit_and_predict,
    over_classes,
    prediction_frame,
    score_rows,
    seeded,
)
from ._report import write_robustness
from ._splits import study_splits
from ._summary import METRIC_TITLES

#: One row of ``results`` per candidate, fold, available subset and source.
RESULT_COLUMNS = [
    "candidate", "fold", "available", "source", *METRIC_TITLES, "n_scored", "n_train",
    "fit_time",
]


@dataclass
class _Fit:
    """One fit of the evaluation, and the left-out lesions it predicts."""

    candidate: str
    fold: int
    estimator: object
    train: np.ndarray
    parts: list  # (subset, positions of the lesions scored with it)


def modality_robustness(
    estimator,
    X,
    y,
    *,
    groups=None,
    source=None,
    cv=5,
    subsets=None,
    dedicated=False,
    random_state=0,
    n_jobs=None,
    verbose=0,
):
    """Cross-validate one net with each subset of its modalities available.

    A :class:`~skmultimodal.MultimodalLesionClassifier` trained with
    ``modality_dropout > 0`` predicts lesions that lack any of its
    modalities. This measures what each missing modality costs: on every
    fold (:func:`study_splits`: stratified by class, grouped when ``groups``
    are given), ``estimator`` is fitted once, then its left-out lesions are
    scored with each subset of its modalities available, the other
    modalities blanked (image cells emptied, metadata set to NaN). With
    ``dedicated=True`` the same fold also trains one dedicated net per
    subset, to compare against what a model built for those inputs alone
    achieves.

    A lesion that lacks a modality in the data lacks it in every subset too:
    it is scored with what it has of the subset, and left out of the scores
    of a subset of which it has nothing (``n_scored`` counts the lesions
    scored). Every score comes from the probabilities kept in
    ``predictions``.

    Before any fit, an estimator that would refuse lesions it must predict
    is refused: with ``modality_dropout=0`` a net learns to do without a
    modality only from training lesions that lack it, so on complete lesions
    it can be scored with all its modalities only.

    Parameters
    ----------
    estimator : MultimodalLesionClassifier
        The net, typically with ``modality_dropout > 0``; cloned for each
        fold, and given ``random_state`` when it has no seed of its own.
        It must use at least two modalities.
    X : DataFrame of shape (n_lesions, n_columns)
        The lesion frame.
    y : array-like of shape (n_lesions,)
        Class labels.
    groups : array-like of shape (n_lesions,), default=None
        Patient ids: the folds keep each patient on one side. Also passed to
        ``fit`` (the early-stopping split).
    source : array-like of shape (n_lesions,), default=None
        The data set of each lesion (``concat_lesions(...).source``): folds
        are stratified within each data set, and every score is also given
        for each data set's lesions alone.
    cv : int, default=5
        Number of folds.
    subsets : sequence of sequence of str, default=None
        The subsets of the estimator's modalities to score with, e.g.
        ``[("dermoscopic",), ("dermoscopic", "clinical")]``; ``None`` means
        every non-empty subset.
    dedicated : bool, default=False
        Also train, on each fold, a dedicated net per subset: a clone of
        ``estimator`` with ``modalities`` set to the subset and
        ``modality_dropout=0``, trained on the fold's training lesions that
        have any of the subset's modalities, and scored on the same lesions
        as the one model.
    random_state : int, default=0
        Seeds the folds, and the nets without a seed of their own.
    n_jobs : int or None, default=None
        Fits run at once, through :class:`joblib.Parallel` (so joblib
        backends such as Dask apply). On one GPU, keep 1. Seeded results do
        not depend on it.
    verbose : int, default=0
        0 is silent; 1 shows a progress bar over the fits.

    Returns
    -------
    robustness : :class:`~sklearn.utils.Bunch`
        ``results``: DataFrame, one row per candidate, fold, available subset
        and source, with columns ``candidate`` (``"one model"``, the
        estimator, or ``"dedicated"``, the net trained on that subset),
        ``fold``, ``available`` (the subset, in the paper's abbreviations,
        e.g. ``"dsc + macro"``), ``source`` (``"all"``, or one data set),
        ``top1``, ``map``, ``auc_melanoma``, ``auc_cancer``, ``n_scored``
        (lesions scored), ``n_train`` (lesions trained on) and ``fit_time``
        (seconds); ``predictions``: DataFrame, one row per candidate, fold,
        available subset and scored lesion, with ``index`` (the lesion's row
        label), ``y_true``, ``source`` (with several data sets) and one
        ``proba_<class>`` column per class; ``available``: the subsets'
        names, in the paper's order; ``classes``; ``splits``: the
        :func:`study_splits` used.

    Raises
    ------
    ValueError
        Before any fit: if the estimator uses one modality, a subset is not
        a non-empty subset of its modalities, a lesion has none of its
        modalities, or a net would have to predict lesions lacking a
        modality it never learned to do without.

    See Also
    --------
    skmultimodal.plotting.ModalityRobustnessDisplay : the scores, drawn.
    compare_modalities : one net per modality combination, as in the paper.

    Examples
    --------
    >>> import tempfile
    >>> from skmultimodal import MultimodalLesionClassifier
    >>> from skmultimodal.datasets import make_lesions
    >>> from skmultimodal.model_selection import modality_robustness
    >>> X, y, patients = make_lesions(60, image_size=32, directory=tempfile.mkdtemp(),
    ...                               return_groups=True, random_state=0)
    >>> net = MultimodalLesionClassifier(
    ...     modalities=("dermoscopic", "clinical"), modality_dropout=0.25,
    ...     backbone="resnet18", weights=None, image_size=32, embedding_dims=(32,),
    ...     max_epochs=1)
    >>> robustness = modality_robustness(net, X, y, groups=patients, cv=3)
    >>> robustness.available
    ['macro', 'dsc', 'dsc + macro']
    >>> robustness.results.groupby("available", sort=False)["n_scored"].sum()
    available
    macro          60
    dsc            60
    dsc + macro    60
    Name: n_scored, dtype: int64
    """
    check_robustness_net(estimator)
    X, y, groups, source = check_data(X, y, groups, source)
    modalities, image_columns, metadata_columns = model_inputs(
        X, estimator.modalities, estimator.dermoscopic_column,
        estimator.clinical_column, estimator.metadata_columns,
    )
    subsets = check_subsets(subsets, modalities)
    presence = lesion_presence(X, modalities, image_columns, metadata_columns)
    check_presence(presence, modalities)
    splits = study_splits(y, groups, cv=cv, random_state=random_state, source=source)
    fits = _plan(seeded(estimator, random_state), presence, subsets, splits, dedicated)
    check_learnable(fits, presence)

    # The columns blanked to hide each modality of the estimator.
    hidden = {m: [c] for m, c in image_columns.items()}
    if "metadata" in modalities:
        hidden["metadata"] = list(metadata_columns)
    classes = np.unique(y)
    bar = tqdm(total=len(fits), desc="Fits", unit="fit", disable=not verbose)
    outcomes = Parallel(n_jobs=n_jobs, return_as="generator")(
        delayed(fit_and_predict)(
            fit.estimator, X, y, groups, fit.train,
            [_blanked(X.iloc[positions], [hidden[m] for m in modalities if m not in subset])
             for subset, positions in fit.parts],
        )
        for fit in fits
    )
    rows, frames = [], []
    for fit, (fit_time, fit_classes, probas) in zip(fits, outcomes, strict=True):
        for (subset, positions), proba in zip(fit.parts, probas, strict=True):
            proba = over_classes(proba, fit_classes, classes)
            keys = {
                "candidate": fit.candidate, "fold": fit.fold,
                "available": candidate_name(subset),
            }
            frames.append(prediction_frame(keys, positions, proba, X, y, source, classes))
            rows += score_rows(keys, positions, proba, y, source, classes,
                               n_train=len(fit.train), fit_time=fit_time)
        bar.update(1)
    bar.close()
    available = [candidate_name(subset) for subset in subsets]
    results = _in_order(pd.DataFrame(rows, columns=RESULT_COLUMNS), available)
    predictions = _in_order(pd.concat(frames, ignore_index=True), available)
    return Bunch(
        results=results,
        predictions=predictions,
        available=available,
        classes=classes,
        splits=splits,
    )


def run_robustness(
    estimator,
    X,
    y,
    *,
    out,
    groups=None,
    source=None,
    cv=5,
    dedicated=True,
    random_state=0,
    n_jobs=None,
    title=None,
    verbose=0,
):
    """:func:`modality_robustness`, then its files: what ``skmultimodal robustness`` does.

    Writes into ``out`` (created if needed) ``results.csv``,
    ``predictions.csv``, ``table.md`` (per metric, the mean and standard
    deviation over folds per available subset, for every lesion and for each
    data set) and ``robustness.png`` (mAP by available subset, every lesion).

    Parameters
    ----------
    estimator, X, y, groups, source, cv, dedicated, random_state, n_jobs, verbose
        As for :func:`modality_robustness` (``dedicated`` defaults to True).
    out : str or path-like
        The output folder.
    title : str, default=None
        The heading of the tables and the figure.

    Returns
    -------
    robustness : :class:`~sklearn.utils.Bunch`
        As :func:`modality_robustness` returns it, with ``files``, the paths
        written.
    """
    check_out(out)
    robustness = modality_robustness(
        estimator, X, y, groups=groups, source=source, cv=cv, dedicated=dedicated,
        random_state=random_state, n_jobs=n_jobs, verbose=verbose,
    )
    robustness.files = write_robustness(
        out, robustness, title=title or "Modality robustness"
    )
    return robustness


# -- the steps ----------------------------------------------------------------


def _plan(estimator, presence, subsets, splits, dedicated):
    """Every fit of the evaluation: per fold, the one model, then the dedicated nets."""
    # A lesion is scored with a subset when it has any of the subset's modalities.
    scored = {s: presence[list(s)].any(axis=1).to_numpy() for s in subsets}
    fits = []
    for fold, (train, valid) in enumerate(splits.folds):
        parts = [(s, valid[scored[s][valid]]) for s in subsets]
        parts = [(s, positions) for s, positions in parts if len(positions)]
        fits.append(_Fit(ONE_MODEL, fold, clone(estimator), train, parts))
        for subset, positions in parts if dedicated else ():
            net = clone(estimator).set_params(modalities=subset, modality_dropout=0.0)
            fits.append(
                _Fit(DEDICATED, fold, net, train[scored[subset][train]],
                     [(subset, positions)])
            )
    return fits


def _blanked(X, column_lists):
    """``X`` with every listed column emptied: those inputs are not there."""
    X = X.copy()
    everywhere = np.ones(len(X), dtype=bool)
    for columns in column_lists:
        for column in columns:
            # mask keeps the column's dtype where it can hold a missing value
            # (text stays text), so the metadata encoder reads it as before.
            X[column] = X[column].mask(everywhere)
    return X


def _in_order(frame, available):
    """Rows by available subset (paper's order), candidate, fold: stable otherwise."""
    keys = pd.DataFrame({
        "available": frame["available"].map({name: i for i, name in enumerate(available)}),
        "candidate": frame["candidate"].map({ONE_MODEL: 0, DEDICATED: 1}),
        "fold": frame["fold"],
    })
    order = keys.sort_values(list(keys.columns), kind="stable").index
    return frame.loc[order].reset_index(drop=True)
