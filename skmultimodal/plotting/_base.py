"""What every display shares: matplotlib access, the study's predictions and scores."""

import numpy as np

from ..model_selection._candidates import table_order
from ..model_selection._summary import METRIC_TITLES


def pyplot():
    """matplotlib.pyplot, or an ImportError that says how to install it."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:  # pragma: no cover - matplotlib is a test dependency
        raise ImportError(
            "Plotting needs matplotlib: pip install 'skmultimodal[plot]' (or "
            "pip install matplotlib)."
        ) from error
    return plt


def axes_or_new(ax, **figure_options):
    """The given axes, or the axes of a new figure."""
    if ax is not None:
        return ax
    _, ax = pyplot().subplots(**figure_options)
    return ax


def drawn(display, ax, *, tight_layout=True):
    """``display``, with ``ax_`` and ``figure_`` set to where it was drawn."""
    display.ax_, display.figure_ = ax, ax.figure
    if tight_layout:
        display.figure_.tight_layout()
    return display


def check_metric(metric):
    """Refuse a metric that is not a scorer name of the study's results."""
    if metric not in METRIC_TITLES:
        raise ValueError(f"metric must be one of {list(METRIC_TITLES)}, got {metric!r}.")


def fold_scores(rows, metric, candidates):
    """The fold scores of each of ``candidates`` that ``rows`` holds, in that order."""
    return {
        name: rows.loc[rows["candidate"] == name, metric].dropna().tolist()
        for name in candidates
        if (rows["candidate"] == name).any()
    }


def probabilities_by_candidate(predictions, split="validation", candidates=None):
    """Per candidate, one probability per lesion from a comparison's predictions.

    Validation probabilities are out-of-fold: each lesion is predicted by the
    one fold model that did not train on it. Test-set probabilities, given by
    every fold's model, are averaged over the folds.

    Returns
    -------
    y_true : ndarray
        Labels of the lesions, in the order of the probability rows.
    probabilities : dict of str to ndarray
        Probability matrix per candidate, in the paper's order.
    labels : ndarray
        The class of each probability column.
    """
    rows = predictions[predictions["split"] == split]
    if rows.empty:
        raise ValueError(
            f"The predictions hold no {split!r} rows; test-set predictions exist "
            "only when compare_modalities had a test_size."
        )
    names = table_order(rows["candidate"].unique())
    if candidates is not None:
        missing = sorted(set(candidates) - set(names))
        if missing:
            raise ValueError(f"No predictions for candidates {missing}; have {names}.")
        names = [name for name in names if name in set(candidates)]
    columns = [c for c in rows.columns if c.startswith("proba_")]
    labels = np.array([c[len("proba_"):] for c in columns])
    order, y_true, probabilities = None, None, {}
    for name in names:
        mean = rows[rows["candidate"] == name].groupby("index", sort=False)
        frame = mean[columns].mean()
        truth = mean["y_true"].first()
        if order is None:
            order, y_true = frame.index, truth.to_numpy()
        probabilities[name] = frame.loc[order].to_numpy()
    return y_true, probabilities, labels
