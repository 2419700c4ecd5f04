"""The embedding-network search: mAP and validation loss by depth and width."""

import numpy as np

from ._base import pyplot


class EmbeddingSearchDisplay:
    """mAP and validation loss against layer width, one line per depth.

    The paper's Figure S1: one column of panels per modality combination,
    mAP on top and validation loss below, error bars the intervals over
    folds. Build it with :meth:`from_search`.

    Parameters
    ----------
    results : DataFrame
        ``search_embedding_dims(...).results``.

    Attributes
    ----------
    axes_ : ndarray of matplotlib Axes
        Shape ``(2, n_combinations)``: mAP row, loss row.
    figure_ : matplotlib Figure
        The figure.

    Examples
    --------
    >>> import pandas as pd
    >>> from skmultimodal.plotting import EmbeddingSearchDisplay
    >>> results = pd.DataFrame({
    ...     "candidate": "dsc", "depth": [1, 1, 2, 2], "width": [64, 128, 64, 128],
    ...     "map": [0.5, 0.6, 0.55, 0.58], "map_low": [0.4, 0.5, 0.45, 0.5],
    ...     "map_high": [0.6, 0.7, 0.65, 0.66], "loss": [1.0, 0.9, 0.95, 0.9],
    ...     "loss_low": [0.9, 0.8, 0.85, 0.8], "loss_high": [1.1, 1.0, 1.05, 1.0]})
    >>> display = EmbeddingSearchDisplay.from_search(results)
    >>> display.axes_.shape
    (2, 1)
    """

    def __init__(self, results):
        self.results = results

    @classmethod
    def from_search(cls, results):
        """Plot the results of :func:`~skmultimodal.model_selection.search_embedding_dims`.

        Parameters
        ----------
        results : DataFrame
            Its ``results``.

        Returns
        -------
        display : EmbeddingSearchDisplay
            The plotted display.
        """
        return cls(results).plot()

    def plot(self):
        """Draw the panels on a new figure.

        Returns
        -------
        display : EmbeddingSearchDisplay
            ``self``, with ``axes_`` and ``figure_`` set.
        """
        plt = pyplot()
        names = list(dict.fromkeys(self.results["candidate"]))
        figure, axes = plt.subplots(
            2, len(names), figsize=(3.2 * len(names) + 1, 6), squeeze=False,
            sharex=True, constrained_layout=True,
        )
        for column, name in enumerate(names):
            rows = self.results[self.results["candidate"] == name]
            for row, (metric, title) in enumerate((("map", "mAP"), ("loss", "Validation loss"))):
                ax = axes[row, column]
                for depth, line in rows.groupby("depth"):
                    line = line.sort_values("width")
                    error = np.vstack(
                        [line[metric] - line[f"{metric}_low"], line[f"{metric}_high"] - line[metric]]
                    )
                    ax.errorbar(line["width"], line[metric], yerr=error, marker="o",
                                capsize=3, label=f"{depth} layer{'s' if depth != 1 else ''}")
                ax.set_xscale("log", base=2)
                ax.set(ylabel=title if column == 0 else None)
                if row == 0:
                    ax.set_title(name)
                else:
                    ax.set_xlabel("Layer width")
                ax.grid(alpha=0.3)
        axes[0, 0].legend(fontsize="small", title="Depth")
        figure.suptitle("Embedding network search (error bars: interval over folds)")
        self.axes_, self.figure_ = axes, figure
        return self
