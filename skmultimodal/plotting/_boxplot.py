"""Box plots of a metric over folds, one box per candidate."""

from ..model_selection._candidates import table_order
from ..model_selection._summary import METRIC_TITLES
from ._base import axes_or_new, check_metric, drawn, fold_scores


class MetricBoxPlotDisplay:
    """Distribution over folds of one metric (mAP by default) per candidate.

    The paper's mAP box plots. Build it with :meth:`from_results`.

    Parameters
    ----------
    scores : dict of str to list of float
        Fold scores per candidate, in plotting order.
    metric : str
        The metric's scorer name, e.g. ``"map"``.

    Attributes
    ----------
    ax_ : matplotlib Axes
        The axes plotted on.
    figure_ : matplotlib Figure
        The figure of ``ax_``.
    boxes_ : dict
        What :meth:`matplotlib.axes.Axes.boxplot` returned.

    Examples
    --------
    >>> import pandas as pd
    >>> from skmultimodal.plotting import MetricBoxPlotDisplay
    >>> results = pd.DataFrame({"candidate": ["dsc", "dsc", "macro", "macro"],
    ...                         "split": "validation", "map": [0.7, 0.6, 0.5, 0.4]})
    >>> display = MetricBoxPlotDisplay.from_results(results)
    >>> [tick.get_text() for tick in display.ax_.get_xticklabels()]
    ['macro', 'dsc']
    """

    def __init__(self, scores, metric="map"):
        self.scores = scores
        self.metric = metric

    @classmethod
    def from_results(
        cls, results, *, metric="map", split="validation", source="all", ax=None
    ):
        """Plot the fold scores of a modality comparison.

        Parameters
        ----------
        results : DataFrame
            ``compare_modalities(...).results`` (or ``results.csv``).
        metric : {"map", "top1", "auc_melanoma", "auc_cancer"}, default="map"
            The metric.
        split : {"validation", "test"}, default="validation"
            Which scores.
        source : str, default="all"
            With several data sets pooled, the scores on every lesion
            (``"all"``) or on one data set's lesions (its name).
        ax : matplotlib Axes, default=None
            Where to plot.

        Returns
        -------
        display : MetricBoxPlotDisplay
            The plotted display.
        """
        check_metric(metric)
        rows = results[results["split"] == split]
        if "source" in rows:  # results of a study on several data sets
            rows = rows[rows["source"].astype(str) == source]
        if rows.empty:
            raise ValueError(f"The results hold no {split!r} scores of source {source!r}.")
        scores = fold_scores(rows, metric, table_order(rows["candidate"].unique()))
        return cls(scores, metric).plot(ax=ax)

    def plot(self, ax=None):
        """Draw the boxes.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to plot; a new figure when None.

        Returns
        -------
        display : MetricBoxPlotDisplay
            ``self``, with ``ax_``, ``figure_`` and ``boxes_`` set.
        """
        ax = axes_or_new(ax, figsize=(max(5.0, 0.7 * len(self.scores) + 2), 4.5))
        names = list(self.scores)
        self.boxes_ = ax.boxplot(
            [self.scores[name] for name in names], showmeans=True,
            meanprops={"marker": "D", "markerfacecolor": "white", "markersize": 5},
        )
        ax.set_xticks(range(1, len(names) + 1), names, rotation=35, ha="right")
        title = METRIC_TITLES[self.metric]
        n_folds = max((len(v) for v in self.scores.values()), default=0)
        ax.set(ylabel=title, title=f"{title} over {n_folds} folds (diamond: mean)")
        ax.grid(axis="y", alpha=0.3)
        return drawn(self, ax)
