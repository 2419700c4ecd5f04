"""The skorch callbacks every fit uses, and how a user's callbacks join them."""

import copy
import os
import uuid

import numpy as np
from skorch.callbacks import Callback, EarlyStopping, LRScheduler
from torch.optim.lr_scheduler import CosineAnnealingLR


class TrainingInterrupted(Exception):
    """A KeyboardInterrupt during training, carried past skorch's handler."""


class StoppedEarly(KeyboardInterrupt):
    """Early stopping's signal to skorch, which ends training on KeyboardInterrupt."""


class TrainingDivergedError(FloatingPointError):
    """Training stopped because the loss stopped being a finite number.

    A loss of NaN or infinity means the weights have become unusable; a net
    trained on would predict NaN probabilities (and ``predict`` the first
    class for every lesion). ``fit`` raises this instead of returning such
    a model. The message says at which epoch and batch it happened and what
    to try: a lower ``lr``, ``mixed_precision=False``, or other class
    weights.

    Examples
    --------
    >>> from skmultimodal.neural import TrainingDivergedError
    >>> issubclass(TrainingDivergedError, ArithmeticError)
    True
    """


class EarlyStoppingOnValidLoss(EarlyStopping):
    """skorch's early stopping on the validation loss, restoring the best epoch.

    Unlike skorch's, it frees its copy of the best weights once restored, so
    that a fitted model holds no second copy of itself (on the GPU, too), and
    it stops with :class:`StoppedEarly`, so that a user's Ctrl-C can be told
    apart from it.
    """

    def __init__(self, patience):
        super().__init__(monitor="valid_loss", patience=patience, load_best=True)

    def on_epoch_end(self, net, **kwargs):
        try:
            super().on_epoch_end(net, **kwargs)
        except KeyboardInterrupt:
            raise StoppedEarly from None

    def on_train_end(self, net, **kwargs):
        super().on_train_end(net, **kwargs)
        self.best_model_weights_ = None


class FiniteLossGuard(Callback):
    """Stop training with :class:`TrainingDivergedError` at a non-finite loss.

    skorch records every batch's loss as a Python float already, so the
    check costs no extra synchronisation with the device.
    """

    def on_batch_end(self, net, training, **kwargs):
        prefix = "train" if training else "valid"
        loss = net.history[-1, "batches", -1, f"{prefix}_loss"]
        if np.isfinite(loss):
            return
        epoch = len(net.history)
        batch = len(net.history[-1, "batches"])
        mixed = getattr(net, "mixed_precision", False)
        hints = [f"a lower learning rate (now lr={net.lr!r})"]
        if mixed is True or (mixed == "auto" and str(net.device).startswith("cuda")):
            hints.append("mixed_precision=False")
        hints.append("class_weight=None if some classes are weighted very high")
        raise TrainingDivergedError(
            f"Training diverged: the {'training' if training else 'validation'} loss "
            f"became {loss} at epoch {epoch}, batch {batch}. The weights are no "
            "longer usable, so fit stopped instead of returning a model that "
            f"predicts NaN. Try {', or '.join(hints)}."
        )


def training_callbacks(
    *, lr_schedule, max_epochs, early_stopping, n_iter_no_change, user_callbacks,
    fit_id,
):
    """Our callbacks, then the user's, for one fit.

    A user's checkpointing callbacks (anything with a ``dirname``, such as
    skorch's ``Checkpoint``, ``TrainEndCheckpoint`` and ``LoadInitState``'s
    checkpoint) write into a folder of this fit, ``<dirname>/<fit_id>``, so
    that fits running in parallel (a grid search with ``n_jobs=2``) never
    write the same files. The user's callbacks are copied first: skorch
    changes the callbacks it trains with, and a parameter must not change.
    """
    callbacks = [("finite_loss", FiniteLossGuard())]
    if lr_schedule == "cosine":
        callbacks.append(
            ("lr_schedule", LRScheduler(policy=CosineAnnealingLR, T_max=max_epochs))
        )
    if early_stopping:
        callbacks.append(("early_stopping", EarlyStoppingOnValidLoss(n_iter_no_change)))
    for item in copy.deepcopy(list(user_callbacks or ())):
        callback = item[1] if isinstance(item, tuple) else item
        for target in (callback, getattr(callback, "checkpoint", None)):
            if target is not None and isinstance(getattr(target, "dirname", None), str):
                target.dirname = os.path.join(target.dirname, fit_id)
        callbacks.append(item)
    return callbacks


def new_fit_id():
    """A name no other fit, in this process or another, will have."""
    return f"fit-{os.getpid()}-{uuid.uuid4().hex[:12]}"


def check_user_callbacks(callbacks):
    """Validate the ``callbacks`` parameter: skorch callbacks, optionally named."""
    if callbacks is None:
        return
    for item in callbacks:
        callback = item
        if isinstance(item, tuple):
            if len(item) != 2 or not isinstance(item[0], str):
                raise ValueError(
                    f"callbacks must hold skorch callbacks or (name, callback) pairs, "
                    f"got {item!r}."
                )
            callback = item[1]
        if not isinstance(callback, Callback):
            raise TypeError(
                "callbacks must hold skorch callbacks (skorch.callbacks.Callback "
                f"instances) or (name, callback) pairs, got {callback!r}."
            )
