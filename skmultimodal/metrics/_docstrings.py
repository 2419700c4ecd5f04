"""The docstring paragraphs the lesion metrics share, written once.

Every metric takes the same three inputs and refuses the same bad ones, so
their descriptions are kept here and filled into each docstring's
``%(inputs)s``, ``%(input_errors)s`` (``%(auc_errors)s`` for the AUCs) and
``%(loss)s`` lines, as the data set loaders do
(see :func:`~skmultimodal.datasets._base.fill_doc`).
"""

from ..datasets._base import fill_doc

_INPUT_ERRORS = """\
ValueError
    When ``y_proba`` holds NaN, infinity or values outside [0, 1], or
    ``y_true`` and ``labels`` share no label or spell one label two ways
    (see :ref:`metrics_input_checks`)."""

PARAGRAPHS = {
    "inputs": """\
y_true : array-like of shape (n_samples,)
    True class labels.
y_proba : array-like of shape (n_samples, n_classes)
    Predicted probabilities, one column per class, finite and between 0
    and 1.
labels : array-like of shape (n_classes,)
    The class of each column of ``y_proba``, e.g. an estimator's
    ``classes_``; at least one must occur in ``y_true``.""",
    "input_errors": _INPUT_ERRORS,
    "auc_errors": _INPUT_ERRORS + """
    Also when the positive label(s) occur neither in ``y_true`` nor in
    ``labels``.""",
    "loss": """\
loss : bool, default=False
    Also score the validation loss, as ``"neg_log_loss"`` (the negated
    :func:`cross_entropy`, so that greater is better).""",
}


def document(function):
    """Decorator: fill the shared paragraphs of ``function``'s docstring."""
    if function.__doc__ is not None:  # None under python -OO
        function.__doc__ = fill_doc(function.__doc__, PARAGRAPHS)
    return function
