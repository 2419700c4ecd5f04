"""What the evaluations refuse before any fit.

The data of a study or of :func:`modality_robustness`, the study's
candidates, and what :func:`modality_robustness` asks of its net and its
subsets of modalities: everything here runs before the first fit, so that an
evaluation of hours is not refused after its first fold.
"""

import itertools

import numpy as np
import pandas as pd

from .._compat import validate_parameter_constraints
from .._frame import check_modalities, format_rows
from ..neural import MultimodalLesionClassifier
from ..neural._parameters import PARAMETER_CONSTRAINTS, check_parameters
from ._candidates import ONE_MODEL, candidate_name, table_order
from ._support import NOUNS


def check_data(X, y, groups, source):
    """The lesion frame, labels, groups and data sets of an evaluation, checked.

    Returns
    -------
    X, y, groups, source
        ``y``, ``groups`` and ``source`` as arrays; ``source`` as text, or
        None when it names a single data set.
    """
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


def check_candidates(candidates):
    """Refuse a study without candidates, or with one that is no named classifier."""
    if not candidates:
        raise ValueError("candidates is empty; give at least one estimator.")
    for name, estimator in candidates.items():
        if not isinstance(name, str) or not (
            hasattr(estimator, "fit") and hasattr(estimator, "predict_proba")
        ):
            raise TypeError(
                f"Candidate {name!r} must be named by a string and be a classifier "
                f"with fit and predict_proba, got {type(estimator).__name__}."
            )


def check_robustness_net(estimator):
    """Refuse what is not a net, and parameters its first fit would refuse."""
    if not isinstance(estimator, MultimodalLesionClassifier):
        raise TypeError(
            "estimator must be a MultimodalLesionClassifier, the net whose "
            f"modalities are left out in turn; got {type(estimator).__name__}."
        )
    validate_parameter_constraints(
        PARAMETER_CONSTRAINTS, estimator.get_params(deep=False),
        caller_name=type(estimator).__name__,
    )
    check_parameters(estimator)


def check_subsets(subsets, modalities):
    """The subsets to score with, as tuples in canonical order, in the paper's order."""
    if len(modalities) < 2:
        raise ValueError(
            f"The estimator uses the single modality {modalities[0]!r}: there is no "
            "subset to score it with but all of it. Give it two or more modalities, "
            "or cross-validate it as it is (compare_modalities)."
        )
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


def check_presence(presence, modalities):
    """Refuse a modality no lesion has: no model can learn to use it."""
    for modality in modalities:
        if not presence[modality].any():
            raise ValueError(
                f"No lesion has the {NOUNS[modality]}, so no model can learn to use "
                f"it: leave {modality!r} out of the estimator's modalities."
            )


def check_learnable(fits, presence):
    """Refuse nets that would refuse lesions they must predict.

    A net predicts a lesion lacking a modality only if it learned to do
    without it: from ``modality_dropout > 0`` (with two modalities or more),
    or from training lesions that lacked it (``optional_modalities_``).

    Parameters
    ----------
    fits : list
        The fits of the evaluation, each with its ``candidate``, ``fold``,
        ``estimator``, ``train`` positions and ``parts``: ``(subset,
        positions)`` of the lesions it predicts with that subset.
    presence : DataFrame
        Which modalities each lesion has.
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
            f"{who} would never learn to do without the {NOUNS[modality]} (every "
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
