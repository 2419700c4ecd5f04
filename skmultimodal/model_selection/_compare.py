"""The paper's modality comparison, driven by scikit-learn's cross_validate."""

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.model_selection import cross_validate
from sklearn.utils import Bunch
from tqdm.auto import tqdm

from ..metrics import lesion_scorers
from ..metrics._scorers import METRICS
from ._candidates import modality_candidates
from ._splits import study_splits

# One row of ``results`` per candidate, fold and split.
RESULT_COLUMNS = [
    "candidate", "fold", "split", *METRICS, "fit_time", "n_train", "n_scored",
]


def compare_modalities(
    X,
    y,
    *,
    groups=None,
    candidates=None,
    cv=5,
    test_size=None,
    random_state=0,
    n_jobs=None,
    progress=False,
    on_candidate=None,
):
    """Evaluate every modality combination with the same splits and metrics.

    The study of Yap et al. (2018): each candidate (by default the fusion
    net on every modality combination of the paper plus metadata alone, each
    with and without embedding network, and the metadata random forest) is
    cross-validated by :func:`sklearn.model_selection.cross_validate` on the
    same folds with :func:`~skmultimodal.metrics.lesion_scorers`, so
    ``n_jobs`` and joblib backends apply. With ``test_size``, the paper's
    protocol: a test set is held out, the folds split the rest, and every
    fold's model is also scored on that same test set.

    Parameters
    ----------
    X : DataFrame of shape (n_lesions, n_columns)
        The lesion frame.
    y : array-like of shape (n_lesions,)
        Class labels.
    groups : array-like of shape (n_lesions,), default=None
        Patient ids: folds and test set then keep each patient on one side.
    candidates : dict of str to estimator, default=None
        Estimators by name; ``None`` means :func:`modality_candidates` with
        the paper's defaults. Pass ``modality_candidates(estimator)`` to
        share other settings (backbone, epochs, ...).
    cv : int, default=5
        Number of folds.
    test_size : float or None, default=None
        Fraction held out as the test set (the paper's protocol); ``None`` for
        plain k-fold cross-validation.
    random_state : int, default=0
        Seeds the splits; also the default seed of candidates without one.
    n_jobs : int or None, default=None
        Folds fitted in parallel (``cross_validate``'s ``n_jobs``). On one
        GPU, keep 1: parallel fits compete for its memory.
    progress : bool, default=False
        Show a progress bar over the fits with the time left.
    on_candidate : callable, default=None
        Called as ``on_candidate(name, results, predictions)`` after each
        candidate, e.g. to save partial results.

    Returns
    -------
    comparison : Bunch
        ``results``: DataFrame with one row per candidate, fold and split
        (``"validation"`` for the fold left out, ``"test"`` for the held-out
        set), the four metrics, fit time and sizes; ``predictions``:
        DataFrame with the probabilities behind them, one row per candidate,
        fold, split and lesion (``index`` is the lesion's row label,
        ``y_true`` its label, then one ``proba_<class>`` column per class);
        ``splits``: the :func:`study_splits` used.

    See Also
    --------
    summarize : Table 1 of the paper from ``results``.
    modality_candidates : the default candidates.

    Examples
    --------
    >>> import tempfile
    >>> from skmultimodal import MultimodalLesionClassifier
    >>> from skmultimodal.datasets import make_lesions
    >>> from skmultimodal.model_selection import compare_modalities, modality_candidates
    >>> X, y = make_lesions(60, image_size=32, directory=tempfile.mkdtemp(),
    ...                     random_state=0)
    >>> net = MultimodalLesionClassifier(backbone="resnet18", weights=None,
    ...     image_size=32, embedding_dims=(32,), max_epochs=1, random_state=0)
    >>> candidates = modality_candidates(
    ...     net, combinations=[("dermoscopic",), ("metadata",)], embedding=(True,))
    >>> comparison = compare_modalities(X, y, candidates=candidates, cv=3)
    >>> comparison.results.groupby("candidate").size()
    candidate
    dsc                   3
    meta                  3
    random forest meta    3
    dtype: int64
    """
    X = _as_frame(X)
    y = np.asarray(y)
    candidates = modality_candidates() if candidates is None else candidates
    splits = study_splits(y, groups, cv=cv, test_size=test_size, random_state=random_state)
    classes = np.unique(y)
    n_fits = len(candidates) * len(splits.folds)
    bar = tqdm(total=n_fits, desc="Fits", unit="fit", disable=not progress)
    results, predictions = [], []
    for name, estimator in candidates.items():
        bar.set_postfix_str(name)
        estimator = _seeded(estimator, random_state)
        scores = cross_validate(
            estimator, X, y, groups=groups, cv=splits.folds, scoring=lesion_scorers(),
            n_jobs=n_jobs, return_estimator=True, error_score="raise",
        )
        rows, probabilities = _collect(name, scores, X, y, splits, classes)
        results.append(rows)
        predictions.append(probabilities)
        if on_candidate is not None:
            on_candidate(name, rows, probabilities)
        bar.update(len(splits.folds))
    bar.close()
    return Bunch(
        results=pd.concat(results, ignore_index=True),
        predictions=pd.concat(predictions, ignore_index=True),
        splits=splits,
    )


def _as_frame(X):
    if not isinstance(X, pd.DataFrame):
        raise TypeError(
            f"X must be a lesion frame (a pandas DataFrame), got {type(X).__name__}."
        )
    return X


def _seeded(estimator, random_state):
    """Give a seedless candidate the study's seed, so reruns are comparable."""
    params = estimator.get_params(deep=False)
    if "random_state" in params and params["random_state"] is None:
        estimator = clone(estimator).set_params(random_state=random_state)
    return estimator


def _collect(name, scores, X, y, splits, classes):
    rows, probabilities = [], []
    for fold, ((train, valid), model) in enumerate(
        zip(splits.folds, scores["estimator"], strict=True)
    ):
        row = {
            "candidate": name, "fold": fold, "split": "validation",
            "fit_time": scores["fit_time"][fold], "n_train": len(train),
            "n_scored": len(valid),
        }
        row.update({metric: scores[f"test_{metric}"][fold] for metric in METRICS})
        rows.append(row)
        parts = [("validation", valid)]
        if len(splits.test):
            parts.append(("test", splits.test))
        for split, positions in parts:
            proba = _full_proba(model, X.iloc[positions], classes)
            if split == "test":
                rows.append(
                    {
                        "candidate": name, "fold": fold, "split": "test",
                        "fit_time": scores["fit_time"][fold], "n_train": len(train),
                        "n_scored": len(positions),
                        **{
                            metric: function(y[positions], proba, classes)
                            for metric, function in METRICS.items()
                        },
                    }
                )
            frame = pd.DataFrame(proba, columns=[f"proba_{c}" for c in classes])
            frame.insert(0, "y_true", y[positions])
            frame.insert(0, "index", X.index[positions])
            frame.insert(0, "split", split)
            frame.insert(0, "fold", fold)
            frame.insert(0, "candidate", name)
            probabilities.append(frame)
    return pd.DataFrame(rows)[RESULT_COLUMNS], pd.concat(probabilities, ignore_index=True)


def _full_proba(model, X, classes):
    """Probabilities over every class of the study, zero for classes a fold lacked."""
    proba = model.predict_proba(X)
    full = np.zeros((len(X), len(classes)))
    full[:, np.searchsorted(classes, model.classes_)] = proba
    return full
