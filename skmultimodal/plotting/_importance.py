"""Feature importances of the metadata forest."""

import numpy as np

from ._base import axes_or_new, drawn


class FeatureImportanceDisplay:
    """Horizontal bars of a forest's importance per metadata column.

    Parameters
    ----------
    importances : dict of str to float
        Importance per column, plotted largest on top.

    Attributes
    ----------
    ax_ : matplotlib Axes
        The axes plotted on.
    figure_ : matplotlib Figure
        The figure of ``ax_``.
    bars_ : matplotlib BarContainer
        The bars.

    Examples
    --------
    >>> import pandas as pd
    >>> from skmultimodal import MetadataForestClassifier
    >>> from skmultimodal.plotting import FeatureImportanceDisplay
    >>> X = pd.DataFrame({"age": [20, 30, 70, 80], "site": ["torso", "torso",
    ...                   "head/neck", "head/neck"]})
    >>> forest = MetadataForestClassifier(n_estimators=10, min_samples_leaf=1,
    ...                                   random_state=0).fit(X, ["nevus"] * 2 + ["bcc"] * 2)
    >>> display = FeatureImportanceDisplay.from_estimator(forest)
    >>> sorted(display.importances)
    ['age', 'site']
    """

    def __init__(self, importances):
        self.importances = importances

    @classmethod
    def from_estimator(cls, estimator, *, ax=None):
        """Plot the importances of a fitted :class:`MetadataForestClassifier`.

        Parameters
        ----------
        estimator : MetadataForestClassifier
            A fitted forest (or any fitted estimator with
            ``feature_importances_`` and ``feature_names_in_``); only the
            metadata columns it used are shown.
        ax : matplotlib Axes, default=None
            Where to plot.

        Returns
        -------
        display : FeatureImportanceDisplay
            The plotted display.
        """
        names = getattr(estimator, "feature_names_in_", None)
        values = np.asarray(estimator.feature_importances_)
        if names is None:
            names = [f"x{i}" for i in range(len(values))]
        used = set(getattr(estimator, "metadata_columns_", names))
        importances = {str(n): float(v) for n, v in zip(names, values) if n in used}
        return cls(importances).plot(ax=ax)

    def plot(self, ax=None):
        """Draw the bars.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to plot; a new figure when None.

        Returns
        -------
        display : FeatureImportanceDisplay
            ``self``, with ``ax_``, ``figure_`` and ``bars_`` set.
        """
        ax = axes_or_new(ax, figsize=(5.5, 0.45 * len(self.importances) + 1.5))
        ordered = sorted(self.importances.items(), key=lambda item: item[1])
        self.bars_ = ax.barh([name for name, _ in ordered], [v for _, v in ordered])
        ax.set(
            xlabel="Mean decrease in impurity (sums to 1)",
            title="Random forest on metadata: feature importances",
        )
        ax.grid(axis="x", alpha=0.3)
        return drawn(self, ax)
