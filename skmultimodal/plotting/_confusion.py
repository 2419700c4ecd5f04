"""Confusion matrices normalised by the true label, one panel per candidate."""

import math

import numpy as np
from sklearn.metrics import confusion_matrix

from ._base import probabilities_by_candidate, pyplot


class ConfusionMatricesDisplay:
    """One confusion matrix per candidate, each row normalised to sum to 1.

    Entry ``(i, j)`` of a panel is the fraction of lesions of true class
    ``i`` predicted as class ``j``, so the diagonal holds each class's
    sensitivity. Build it with :meth:`from_predictions` or
    :meth:`from_comparison`.

    Parameters
    ----------
    matrices : dict of str to ndarray of shape (n_classes, n_classes)
        Row-normalised matrix per candidate.
    labels : ndarray of shape (n_classes,)
        Class labels of rows and columns.

    Attributes
    ----------
    axes_ : ndarray of matplotlib Axes
        One per candidate (unused panels are hidden).
    figure_ : matplotlib Figure
        The figure.

    Examples
    --------
    >>> import numpy as np
    >>> from skmultimodal.plotting import ConfusionMatricesDisplay
    >>> y_true = np.array(["bcc", "nevus", "nevus", "nevus"])
    >>> predicted = {"dsc": np.array(["bcc", "nevus", "bcc", "nevus"])}
    >>> display = ConfusionMatricesDisplay.from_predictions(y_true, predicted)
    >>> display.matrices["dsc"].round(2)
    array([[1.  , 0.  ],
           [0.33, 0.67]])
    """

    def __init__(self, matrices, labels):
        self.matrices = matrices
        self.labels = labels

    @classmethod
    def from_predictions(cls, y_true, predicted, labels=None, *, n_columns=3):
        """Compute the matrices from predicted labels and plot them.

        Parameters
        ----------
        y_true : array-like of shape (n_lesions,)
            True labels.
        predicted : dict of str to array-like of shape (n_lesions,)
            Predicted labels per candidate.
        labels : array-like, default=None
            Class order; the sorted union of true labels by default.
        n_columns : int, default=3
            Panels per row.

        Returns
        -------
        display : ConfusionMatricesDisplay
            The plotted display.
        """
        y_true = np.asarray(y_true)
        labels = np.unique(y_true) if labels is None else np.asarray(labels)
        matrices = {
            name: confusion_matrix(y_true, np.asarray(pred), labels=labels, normalize="true")
            for name, pred in predicted.items()
        }
        return cls(matrices, labels).plot(n_columns=n_columns)

    @classmethod
    def from_comparison(cls, predictions, *, split="validation", candidates=None, n_columns=3):
        """Plot the matrices of a modality comparison (most probable class).

        Parameters
        ----------
        predictions : DataFrame
            ``compare_modalities(...).predictions`` (or ``predictions.csv``).
        split : {"validation", "test"}, default="validation"
            Out-of-fold predictions, or the held-out test set.
        candidates : list of str, default=None
            Candidates to show; all by default.
        n_columns : int, default=3
            Panels per row.

        Returns
        -------
        display : ConfusionMatricesDisplay
            The plotted display.
        """
        y_true, probabilities, labels = probabilities_by_candidate(
            predictions, split, candidates
        )
        predicted = {name: labels[p.argmax(axis=1)] for name, p in probabilities.items()}
        return cls.from_predictions(y_true, predicted, labels, n_columns=n_columns)

    def plot(self, n_columns=3):
        """Draw the matrices on a new figure.

        Parameters
        ----------
        n_columns : int, default=3
            Panels per row.

        Returns
        -------
        display : ConfusionMatricesDisplay
            ``self``, with ``axes_`` and ``figure_`` set.
        """
        plt = pyplot()
        n = len(self.matrices)
        n_columns = max(1, min(n_columns, n))
        n_rows = math.ceil(n / n_columns)
        side = 1.0 + 0.55 * len(self.labels)
        figure, axes = plt.subplots(
            n_rows, n_columns, figsize=(side * n_columns + 1, side * n_rows + 0.5),
            squeeze=False, constrained_layout=True,
        )
        for ax, (name, matrix) in zip(axes.flat, self.matrices.items()):
            image = ax.imshow(matrix, vmin=0, vmax=1, cmap="Blues")
            for (i, j), value in np.ndenumerate(matrix):
                ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize="small",
                        color="white" if value > 0.5 else "black")
            ticks = range(len(self.labels))
            ax.set_xticks(ticks, self.labels, rotation=45, ha="right")
            ax.set_yticks(ticks, self.labels)
            ax.set(title=name, xlabel="Predicted", ylabel="True")
        for ax in list(axes.flat)[n:]:
            ax.set_visible(False)
        figure.colorbar(image, ax=axes, shrink=0.6, label="Fraction of the true class")
        self.axes_, self.figure_ = axes, figure
        return self
