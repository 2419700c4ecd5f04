"""The search over the embedding network's depth and width (the paper's Figure S1)."""

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV
from sklearn.utils import Bunch

from ..metrics import lesion_scorers
from ..neural import MultimodalLesionClassifier
from ._candidates import PAPER_COMBINATIONS, candidate_name
from ._splits import study_splits


def embedding_grid(depths=(1, 2, 3), widths=(256, 512, 1024)):
    """Every ``embedding_dims`` of ``depth`` layers of equal ``width``.

    Parameters
    ----------
    depths : sequence of int, default=(1, 2, 3)
        Numbers of hidden layers; 0 means no embedding network.
    widths : sequence of int, default=(256, 512, 1024)
        Layer widths.

    Returns
    -------
    grid : list of tuple of int
        Values for ``embedding_dims``, depth-major.

    Examples
    --------
    >>> from skmultimodal.model_selection import embedding_grid
    >>> embedding_grid(depths=(0, 2), widths=(64, 128))
    [(), (64, 64), (128, 128)]
    """
    grid = []
    for depth in depths:
        if depth == 0:
            grid.append(())
            continue
        grid += [(int(width),) * int(depth) for width in widths]
    return grid


def search_embedding_dims(
    X,
    y,
    *,
    estimator=None,
    groups=None,
    depths=(1, 2, 3),
    widths=(256, 512, 1024),
    combinations=PAPER_COMBINATIONS,
    cv=5,
    random_state=0,
    confidence=0.95,
    n_jobs=None,
):
    """Grid-search the embedding network's depth and width for each modality combination.

    A :class:`~sklearn.model_selection.GridSearchCV` over ``modalities`` x
    ``embedding_dims`` (``depth`` layers of ``width`` units), scored with
    the paper's metrics and the validation loss on the same stratified (and
    grouped) folds for every grid point, as in the paper's Figure S1. With
    ``freeze_towers=True`` on ``estimator`` the towers' features are computed
    once per image and the whole grid costs little more than one fit.

    Parameters
    ----------
    X : DataFrame of shape (n_lesions, n_columns)
        The lesion frame.
    y : array-like of shape (n_lesions,)
        Class labels.
    estimator : MultimodalLesionClassifier or None, default=None
        Shared settings of the nets; ``None`` means the paper's defaults.
    groups : array-like of shape (n_lesions,), default=None
        Patient ids, keeping each patient on one side of every split.
    depths : sequence of int, default=(1, 2, 3)
        Numbers of hidden layers.
    widths : sequence of int, default=(256, 512, 1024)
        Layer widths.
    combinations : sequence of tuple of str, default=PAPER_COMBINATIONS
        Modality combinations to search.
    cv : int, default=5
        Number of folds.
    random_state : int, default=0
        Seeds the folds (and nets without a seed of their own).
    confidence : float, default=0.95
        Level of the intervals over folds (Student's t).
    n_jobs : int or None, default=None
        Grid points and folds fitted in parallel.

    Returns
    -------
    search : Bunch
        ``grid_search``: the fitted :class:`~sklearn.model_selection.GridSearchCV`
        (``refit=False``); ``results``: DataFrame with one row per combination,
        depth and width: ``candidate``, ``modalities``, ``depth``, ``width``,
        then ``map``, ``loss`` (validation cross-entropy), and for each of
        them ``_low``/``_high``, the interval bounds over folds.

    See Also
    --------
    skmultimodal.plotting.EmbeddingSearchDisplay : plots ``results``.

    Examples
    --------
    >>> import tempfile
    >>> from skmultimodal import MultimodalLesionClassifier
    >>> from skmultimodal.datasets import make_lesions
    >>> from skmultimodal.model_selection import search_embedding_dims
    >>> X, y = make_lesions(60, image_size=32, directory=tempfile.mkdtemp(),
    ...                     random_state=0)
    >>> net = MultimodalLesionClassifier(max_epochs=2, random_state=0)
    >>> search = search_embedding_dims(X, y, estimator=net, depths=(1, 2),
    ...     widths=(16, 32), combinations=[("metadata",)], cv=3)
    >>> search.results[["candidate", "depth", "width"]]
      candidate  depth  width
    0      meta      1     16
    1      meta      1     32
    2      meta      2     16
    3      meta      2     32
    """
    estimator = MultimodalLesionClassifier() if estimator is None else estimator
    if estimator.random_state is None:
        estimator = clone(estimator).set_params(random_state=random_state)
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}.")
    splits = study_splits(y, groups, cv=cv, random_state=random_state)
    grid = {
        "modalities": [tuple(c) for c in combinations],
        "embedding_dims": embedding_grid(depths, widths),
    }
    search = GridSearchCV(
        estimator, grid, scoring=lesion_scorers(loss=True), refit=False,
        cv=splits.folds, n_jobs=n_jobs, error_score="raise",
    )
    search.fit(X, y, groups=groups)
    return Bunch(grid_search=search, results=_interval_table(search, confidence))


def _interval_table(search, confidence):
    cv_results = search.cv_results_
    n_folds = search.n_splits_
    rows = []
    for i, params in enumerate(cv_results["params"]):
        dims = params["embedding_dims"]
        row = {
            "candidate": candidate_name(params["modalities"]),
            "modalities": "+".join(params["modalities"]),
            "depth": len(dims),
            "width": dims[0] if dims else 0,
        }
        folds = np.array([cv_results[f"split{k}_test_map"][i] for k in range(n_folds)])
        losses = -np.array(
            [cv_results[f"split{k}_test_neg_log_loss"][i] for k in range(n_folds)]
        )
        for name, values in (("map", folds), ("loss", losses)):
            mean, half = _interval(values, confidence)
            row.update({name: mean, f"{name}_low": mean - half, f"{name}_high": mean + half})
        rows.append(row)
    return pd.DataFrame(rows)


def _interval(values, confidence):
    """Mean and half-width of the Student-t interval over folds."""
    values = values[np.isfinite(values)]
    mean = float(np.mean(values)) if len(values) else float("nan")
    if len(values) < 2:
        return mean, float("nan")
    sem = np.std(values, ddof=1) / np.sqrt(len(values))
    return mean, float(stats.t.ppf(0.5 + confidence / 2, len(values) - 1) * sem)
