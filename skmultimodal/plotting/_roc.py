"""ROC curves of melanoma against the rest, one curve per candidate."""

import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve

from ..metrics._lesion import MELANOMA
from ._base import axes_or_new, drawn, probabilities_by_candidate


class MelanomaRocDisplay:
    """ROC curves for melanoma versus every other class, one per candidate.

    The study's melanoma ROC figure: each modality combination's curve, its
    AUC in the legend. Build it with :meth:`from_predictions` or :meth:`from_comparison`
    rather than directly.

    Parameters
    ----------
    curves : dict of str to tuple of ndarray
        ``(fpr, tpr)`` per candidate, in legend order.
    aucs : dict of str to float
        Area under each curve.

    Attributes
    ----------
    ax_ : matplotlib Axes
        The axes plotted on.
    figure_ : matplotlib Figure
        The figure of ``ax_``.
    lines_ : dict of str to matplotlib Line2D
        The curve of each candidate.

    Examples
    --------
    >>> import numpy as np
    >>> from skmultimodal.plotting import MelanomaRocDisplay
    >>> y_true = np.array(["melanoma", "nevus", "nevus", "melanoma"])
    >>> probabilities = {"dsc": np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6], [0.7, 0.3]]),
    ...                  "macro": np.array([[0.6, 0.4], [0.7, 0.3], [0.2, 0.8], [0.5, 0.5]])}
    >>> display = MelanomaRocDisplay.from_predictions(
    ...     y_true, probabilities, ["melanoma", "nevus"])
    >>> {name: round(auc, 2) for name, auc in display.aucs.items()}
    {'dsc': 1.0, 'macro': 0.5}
    """

    def __init__(self, curves, aucs):
        self.curves = curves
        self.aucs = aucs

    @classmethod
    def from_predictions(cls, y_true, probabilities, labels, *, melanoma=MELANOMA, ax=None):
        """Compute the curves from probability matrices and plot them.

        Parameters
        ----------
        y_true : array-like of shape (n_lesions,)
            True labels.
        probabilities : dict of str to array-like of shape (n_lesions, n_classes)
            Probabilities per candidate.
        labels : array-like of shape (n_classes,)
            The class of each probability column.
        melanoma : str, default="melanoma"
            The melanoma label.
        ax : matplotlib Axes, default=None
            Where to plot; a new figure when None.

        Returns
        -------
        display : MelanomaRocDisplay
            The plotted display.
        """
        y_true = np.asarray(y_true)
        labels = np.asarray(labels)
        if melanoma not in labels:
            raise ValueError(f"No {melanoma!r} column among the labels {labels.tolist()}.")
        positive = y_true == melanoma
        column = int(np.flatnonzero(labels == melanoma)[0])
        curves, aucs = {}, {}
        for name, proba in probabilities.items():
            score = np.asarray(proba)[:, column]
            fpr, tpr, _ = roc_curve(positive, score)
            curves[name] = (fpr, tpr)
            aucs[name] = float(roc_auc_score(positive, score))
        return cls(curves, aucs).plot(ax=ax)

    @classmethod
    def from_comparison(cls, predictions, *, split="validation", candidates=None, ax=None):
        """Plot the curves of a modality comparison.

        Parameters
        ----------
        predictions : DataFrame
            ``compare_modalities(...).predictions`` (or ``predictions.csv``).
        split : {"validation", "test"}, default="validation"
            Out-of-fold predictions, or the held-out test set (probabilities
            averaged over the fold models).
        candidates : list of str, default=None
            Candidates to show; all by default.
        ax : matplotlib Axes, default=None
            Where to plot.

        Returns
        -------
        display : MelanomaRocDisplay
            The plotted display.
        """
        y_true, probabilities, labels = probabilities_by_candidate(
            predictions, split, candidates
        )
        return cls.from_predictions(y_true, probabilities, labels, ax=ax)

    def plot(self, ax=None):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to plot; a new figure when None.

        Returns
        -------
        display : MelanomaRocDisplay
            ``self``, with ``ax_``, ``figure_`` and ``lines_`` set.
        """
        ax = axes_or_new(ax, figsize=(5.5, 5))
        self.lines_ = {}
        for name, (fpr, tpr) in self.curves.items():
            (self.lines_[name],) = ax.plot(
                fpr, tpr, label=f"{name} (AUC {self.aucs[name]:.3f})", linewidth=1.5
            )
        ax.plot([0, 1], [0, 1], linestyle=":", color="grey", linewidth=1)
        ax.set(
            xlim=(0, 1), ylim=(0, 1.01), xlabel="False positive rate (1 - specificity)",
            ylabel="True positive rate (sensitivity)", title="Melanoma vs rest: ROC",
        )
        ax.set_aspect("equal")
        ax.legend(loc="lower right", fontsize="small")
        return drawn(self, ax, tight_layout=False)
