"""How one model copes with incomplete lesions: its scores by the modalities given.

A fusion net trained with ``modality_dropout`` predicts lesions lacking any of
its modalities. :func:`modality_robustness` measures how well: each fold's
model is fitted once, then scored on the left-out lesions with each subset of
its modalities available (the others blanked), optionally next to dedicated
nets trained on each subset alone.
"""

import itertools
import os
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.utils import Bunch
from sklearn.utils.parallel import Parallel, delayed
from tqdm.auto import tqdm

from .._compat import validate_parameter_constraints
from .._frame import check_modalities, format_rows
from ..metrics import lesion_scores
from ..neural import MultimodalLesionClassifier
from ..neural._inputs import lesion_presence, model_inputs
from ..neural._parameters import PARAMETER_CONSTRAINTS, check_parameters
from ._candidates import DEDICATED, ONE_MODEL, candidate_name, table_order
from ._folder import write_csv
from ._folds import ALL_SOURCES, _by_source, _over_classes, accepts_groups
from ._splits import study_splits
from ._study import _seeded
from ._summary import (
    METRIC_TITLES,
    format_robustness,
    markdown_table,
    summarize_robustness,
)

#: One row of ``results`` per candidate, fold, available subset and source.
RESULT_COLUMNS = [
    "candidate", "fold", "available", "source", *METRIC_TITLES, "n_scored", "n_train",
    "fit_time",
]
#: The files :func:`run_robustness` writes.
FILES = ("results.csv", "predictions.csv", "table.md", "robustness.png")

_NOUNS = {
    "dermoscopic": "dermoscopic image",
    "clinical": "clinical image",
    "metadata": "metadata",
}


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
    _check_estimator(estimator)
    X, y, groups, source = _check_data(X, y, groups, source)
    modalities, image_columns, metadata_columns = model_inputs(
        X, estimator.modalities, estimator.dermoscopic_column,
        estimator.clinical_column, estimator.metadata_columns,
    )
    if len(modalities) < 2:
        raise ValueError(
            f"The estimator uses the single modality {modalities[0]!r}: there is no "
            "subset to score it with but all of it. Give it two or more modalities, "
            "or cross-validate it as it is (compare_modalities)."
        )
    subsets = _check_subsets(subsets, modalities)
    presence = lesion_presence(X, modalities, image_columns, metadata_columns)
    for modality in modalities:
        if not presence[modality].any():
            raise ValueError(
                f"No lesion has the {_NOUNS[modality]}, so no model can learn to use "
                f"it: leave {modality!r} out of the estimator's modalities."
            )
    splits = study_splits(y, groups, cv=cv, random_state=random_state, source=source)
    fits = _plan(_seeded(estimator, random_state), presence, subsets, splits, dedicated)
    _check_learnable(fits, presence)

    # The columns blanked to hide each modality of the estimator.
    hidden = {m: [c] for m, c in image_columns.items()}
    if "metadata" in modalities:
        hidden["metadata"] = list(metadata_columns)
    classes = np.unique(y)
    bar = tqdm(total=len(fits), desc="Fits", unit="fit", disable=not verbose)
    outcomes = Parallel(n_jobs=n_jobs, return_as="generator")(
        delayed(_fit_and_predict)(
            fit.estimator, X, y, groups, fit.train,
            [(positions, [hidden[m] for m in modalities if m not in subset])
             for subset, positions in fit.parts],
        )
        for fit in fits
    )
    rows, frames = [], []
    for fit, (fit_time, fit_classes, probas) in zip(fits, outcomes, strict=True):
        for (subset, positions), proba in zip(fit.parts, probas, strict=True):
            proba = _over_classes(proba, fit_classes, classes)
            available = candidate_name(subset)
            frames.append(
                _prediction_frame(fit, available, positions, proba, X, y, source, classes)
            )
            for source_name, members in _by_source(positions, source):
                rows.append({
                    "candidate": fit.candidate,
                    "fold": fit.fold,
                    "available": available,
                    "source": source_name,
                    **lesion_scores(y[positions[members]], proba[members], classes),
                    "n_scored": int(members.sum()),
                    "n_train": len(fit.train),
                    "fit_time": fit_time,
                })
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
    if os.path.exists(out) and not os.path.isdir(out):
        raise ValueError(f"out={os.fspath(out)!r} is a file, not a folder.")
    robustness = modality_robustness(
        estimator, X, y, groups=groups, source=source, cv=cv, dedicated=dedicated,
        random_state=random_state, n_jobs=n_jobs, verbose=verbose,
    )
    os.makedirs(out, exist_ok=True)
    paths = [os.path.join(out, name) for name in FILES]
    write_csv(paths[0], robustness.results)
    write_csv(paths[1], robustness.predictions)
    title = title or "Modality robustness"
    sources = list(dict.fromkeys(robustness.results["source"]))
    sections = []
    for name in sources:
        summary = summarize_robustness(robustness.results, source=name)
        lesions = "every lesion" if name == ALL_SOURCES else f"{name} lesions only"
        sections += [
            f"## {title}: {metric}, {cv}-fold cross-validation, {lesions}\n\n"
            "mean (standard deviation) over folds, by the modalities available\n\n"
            + markdown_table(format_robustness(summary, metric)) + "\n\n"
            for metric in METRIC_TITLES.values()
        ]
    with open(paths[2], "w") as file:
        file.write("".join(sections))
    import matplotlib.pyplot as plt

    from ..plotting._robustness import ModalityRobustnessDisplay

    display = ModalityRobustnessDisplay.from_results(robustness.results)
    display.ax_.set_title(f"{title}: {display.ax_.get_title()}")
    display.figure_.savefig(paths[3], dpi=120, bbox_inches="tight")
    plt.close(display.figure_)
    robustness.files = paths
    return robustness


# -- the steps ----------------------------------------------------------------


def _check_estimator(estimator):
    if not isinstance(estimator, MultimodalLesionClassifier):
        raise TypeError(
            "estimator must be a MultimodalLesionClassifier, the net whose "
            f"modalities are left out in turn; got {type(estimator).__name__}."
        )
    # Parameters the first fit would refuse are refused before the folds run.
    validate_parameter_constraints(
        PARAMETER_CONSTRAINTS, estimator.get_params(deep=False),
        caller_name=type(estimator).__name__,
    )
    check_parameters(estimator)


def _check_data(X, y, groups, source):
    if not isinstance(X, pd.DataFrame):
        raise TypeError(
            f"X must be a lesion frame (a pandas DataFrame), got {type(X).__name__}."
        )
    y = np.asarray(y)
    if y.shape != (len(X),):
        raise ValueError(f"y has shape {y.shape} for {len(X)} lesions; give one label each.")
    groups = None if groups is None else np.asarray(groups)
    if source is None:
        return X, y, groups, None
    source = np.asarray(source)
    if source.shape != (len(X),):
        raise ValueError(
            f"source has shape {source.shape} for {len(X)} lesions; name the data set "
            "of each."
        )
    missing = np.asarray(pd.isna(source), dtype=bool)
    if missing.any():
        raise ValueError(
            f"source names no data set for the lesions {format_rows(X.index[missing])}; "
            "name the data set of each."
        )
    source = source.astype(str)
    # One data set: every per-set score would repeat the overall one.
    return X, y, groups, source if len(np.unique(source)) > 1 else None


def _check_subsets(subsets, modalities):
    """The subsets to score with, as tuples in canonical order, in the paper's order."""
    if subsets is None:
        subsets = [
            combination
            for size in range(1, len(modalities) + 1)
            for combination in itertools.combinations(modalities, size)
        ]
    elif isinstance(subsets, str):
        raise TypeError(
            f"subsets must be a list of modality subsets, e.g. [('dermoscopic',)], got "
            f"the string {subsets!r}."
        )
    checked = {}
    for subset in subsets:
        subset = check_modalities(subset)
        foreign = [m for m in subset if m not in modalities]
        if foreign:
            raise ValueError(
                f"The subset {list(subset)} holds {foreign}, which the estimator does "
                f"not use; subsets are drawn from its modalities {list(modalities)}."
            )
        if candidate_name(subset) in checked:
            raise ValueError(f"subsets lists {list(subset)} twice.")
        checked[candidate_name(subset)] = subset
    if not checked:
        raise ValueError("subsets is empty; give at least one subset of modalities.")
    return [checked[name] for name in table_order(checked)]


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


def _check_learnable(fits, presence):
    """Refuse, before any fit, nets that would refuse lesions they must predict.

    A net predicts a lesion lacking a modality only if it learned to do
    without it: from ``modality_dropout > 0`` (with two modalities or more),
    or from training lesions that lacked it (``optional_modalities_``).
    """
    refused = {}
    for fit in fits:
        modalities = check_modalities(fit.estimator.modalities)
        if fit.estimator.modality_dropout and len(modalities) > 1:
            continue
        for modality in modalities:
            if not presence[modality].to_numpy()[fit.train].all():
                continue
            for subset, positions in fit.parts:
                lacking = modality not in subset or not (
                    presence[modality].to_numpy()[positions].all()
                )
                if lacking:
                    key = (fit.candidate, modality, candidate_name(fit.estimator.modalities))
                    refused.setdefault(key, {}).setdefault(fit.fold, []).append(
                        candidate_name(subset)
                    )
    if not refused:
        return
    problems = []
    for (candidate, modality, net), folds in refused.items():
        subsets = list(dict.fromkeys(name for names in folds.values() for name in names))
        where = f"fold {next(iter(folds))}" if len(folds) == 1 else f"folds {list(folds)}"
        who = "the estimator" if candidate == ONE_MODEL else f"the dedicated {net!r} net"
        problems.append(
            f"{who} would never learn to do without the {_NOUNS[modality]} (every "
            f"training lesion of {where} has it), yet must predict lesions lacking it "
            f"with {subsets} available"
        )
    advice = (
        "Set modality_dropout > 0 (e.g. 0.25) so that one model learns every subset, "
        "or pass subsets= only those it can predict."
        if any(key[0] == ONE_MODEL for key in refused)
        else "Dedicated nets train without modality_dropout; pass dedicated=False, or "
        "subsets= without these."
    )
    raise ValueError(
        "Nothing was fitted: " + "; ".join(problems) + ". " + advice
    )


def _fit_and_predict(estimator, X, y, groups, train, parts):
    """Fit on ``train``; predict each part with its modalities blanked."""
    fit_params = {}
    if groups is not None and accepts_groups(estimator):
        fit_params["groups"] = groups[train]
    started = time.perf_counter()
    estimator.fit(X.iloc[train], y[train], **fit_params)
    fit_time = time.perf_counter() - started
    probas = [
        estimator.predict_proba(_blanked(X.iloc[positions], blanked))
        for positions, blanked in parts
    ]
    return fit_time, estimator.classes_, probas


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


def _prediction_frame(fit, available, positions, proba, X, y, source, classes):
    frame = pd.DataFrame(proba, columns=[f"proba_{c}" for c in classes])
    columns = {
        "candidate": fit.candidate,
        "fold": fit.fold,
        "available": available,
        "index": X.index[positions],
        "y_true": y[positions],
    }
    if source is not None:
        columns["source"] = source[positions]
    for position, (column, values) in enumerate(columns.items()):
        frame.insert(position, column, values)
    return frame


def _in_order(frame, available):
    """Rows by available subset (paper's order), candidate, fold: stable otherwise."""
    keys = pd.DataFrame({
        "available": frame["available"].map({name: i for i, name in enumerate(available)}),
        "candidate": frame["candidate"].map({ONE_MODEL: 0, DEDICATED: 1}),
        "fold": frame["fold"],
    })
    order = keys.sort_values(list(keys.columns), kind="stable").index
    return frame.loc[order].reset_index(drop=True)
