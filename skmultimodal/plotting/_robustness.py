"""A metric by the modalities available: one model against dedicated nets."""

import numpy as np

from ..model_selection._candidates import DEDICATED, ONE_MODEL, table_order
from ..model_selection._summary import METRIC_TITLES, select_source
from ._base import axes_or_new, check_metric, drawn, fold_scores

# Candidates whose colour and marker are fixed, so that every figure of the
# package draws the one model and the dedicated nets alike.
_STYLES = {
    ONE_MODEL: {"color": "tab:blue", "marker": "o"},
    DEDICATED: {"color": "tab:orange", "marker": "s"},
}


class ModalityRobustnessDisplay:
    """One metric by available subset of modalities, per candidate, over folds.

    What :func:`~skmultimodal.model_selection.modality_robustness` measured:
    for each subset of modalities given to the models, the fold scores of the
    one model (trained once, scored with every subset) next to those of the
    net dedicated to that subset. Each fold is a small dot, beside the
    larger marker and its bar: the mean and one standard deviation over
    folds.
    Build it with :meth:`from_results`.

    Parameters
    ----------
    scores : dict of str to dict of str to list of float
        Per available subset (in plotting order), the fold scores of each
        candidate.
    metric : str, default="map"
        The metric's scorer name, e.g. ``"map"``.

    Attributes
    ----------
    ax_ : matplotlib Axes
        The axes plotted on.
    figure_ : matplotlib Figure
        The figure of ``ax_``.
    errorbars_ : dict of str to matplotlib ErrorbarContainer
        The means and standard deviations drawn, per candidate.

    See Also
    --------
    skmultimodal.model_selection.modality_robustness : the scores.
    MetricBoxPlotDisplay : a metric over folds per modality combination.

    Examples
    --------
    >>> import pandas as pd
    >>> from skmultimodal.plotting import ModalityRobustnessDisplay
    >>> results = pd.DataFrame({
    ...     "candidate": ["one model", "dedicated"] * 4,
    ...     "fold": [0, 0, 1, 1] * 2, "available": ["dsc"] * 4 + ["dsc + macro"] * 4,
    ...     "source": "all", "map": [0.6, 0.62, 0.64, 0.66, 0.7, 0.72, 0.74, 0.7]})
    >>> display = ModalityRobustnessDisplay.from_results(results, metric="map")
    >>> [tick.get_text() for tick in display.ax_.get_xticklabels()]
    ['dsc', 'dsc + macro']
    >>> list(display.errorbars_)
    ['one model', 'dedicated']
    """

    def __init__(self, scores, metric="map"):
        self.scores = scores
        self.metric = metric

    @classmethod
    def from_results(cls, results, *, metric="map", source="all", ax=None):
        """Plot the scores of a :func:`~skmultimodal.model_selection.modality_robustness`.

        Parameters
        ----------
        results : DataFrame
            ``modality_robustness(...).results`` (or the ``results.csv`` of
            ``skmultimodal robustness``).
        metric : {"map", "top1", "auc_melanoma", "auc_cancer"}, default="map"
            The metric.
        source : str, default="all"
            Every lesion, or one data set's lesions.
        ax : matplotlib Axes, default=None
            Where to plot.

        Returns
        -------
        display : ModalityRobustnessDisplay
            The plotted display.
        """
        check_metric(metric)
        missing = [c for c in ("candidate", "available", metric) if c not in results]
        if missing:
            raise ValueError(
                f"results lack the column(s) {missing}; pass the results of "
                "modality_robustness."
            )
        if "source" in results.columns:
            results = select_source(results, source)
        candidates = list(dict.fromkeys(results["candidate"]))
        candidates.sort(key=lambda name: list(_STYLES).index(name) if name in _STYLES
                        else len(_STYLES))
        scores = {
            available: fold_scores(results[results["available"] == available], metric,
                                   candidates)
            for available in table_order(results["available"].unique())
        }
        return cls(scores, metric).plot(ax=ax)

    def plot(self, ax=None):
        """Draw the fold scores, their means and standard deviations.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to plot; a new figure when None.

        Returns
        -------
        display : ModalityRobustnessDisplay
            ``self``, with ``ax_``, ``figure_`` and ``errorbars_`` set.
        """
        subsets = list(self.scores)
        candidates = list(dict.fromkeys(n for by in self.scores.values() for n in by))
        ax = axes_or_new(ax, figsize=(max(5.0, 0.9 * len(subsets) + 2.5), 4.5))
        width = 0.6 / max(len(candidates), 1)
        self.errorbars_ = {}
        cycle = iter(f"C{i}" for i in range(2, 10))
        for rank, name in enumerate(candidates):
            style = _STYLES.get(name) or {"color": next(cycle), "marker": "D"}
            offset = (rank - (len(candidates) - 1) / 2) * width
            places, means, stds = [], [], []
            for position, subset in enumerate(subsets):
                folds = self.scores[subset].get(name, [])
                if not folds:
                    continue
                place = position + offset
                # Beside the mean's marker, which would hide the folds near it.
                ax.scatter(np.full(len(folds), place + width / 4), folds, s=16,
                           alpha=0.5, color=style["color"], linewidths=0)
                places.append(place)
                means.append(np.mean(folds))
                stds.append(np.std(folds, ddof=1) if len(folds) > 1 else 0.0)
            self.errorbars_[name] = ax.errorbar(
                places, means, yerr=stds, linestyle="none", capsize=3,
                markersize=7, label=name, **style,
            )
        ax.set_xticks(range(len(subsets)), subsets, rotation=35, ha="right")
        title = METRIC_TITLES[self.metric]
        n_folds = max(
            (len(folds) for by in self.scores.values() for folds in by.values()), default=0
        )
        ax.set(
            xlabel="Modalities available", ylabel=title,
            title=f"{title} by the modalities available ({n_folds} folds)",
        )
        ax.legend(title="mean, 1 std; dots: folds", fontsize="small")
        ax.grid(axis="y", alpha=0.3)
        return drawn(self, ax)
