"""The skorch net that trains a :class:`FusionNet` on :class:`LesionDataset` batches."""

import numpy as np
import torch
from skorch import NeuralNet
from skorch.callbacks import EarlyStopping

from ._data import BatchIterator


class TrainingInterrupted(Exception):
    """A KeyboardInterrupt during training, carried past skorch's handler."""


def forward_autocast(device, mixed_precision):
    """bf16 autocast on ``device`` when ``mixed_precision`` asks for it.

    ``"auto"`` means on CUDA only, resolved at every call, so that a net
    trained on a GPU predicts in float32 on a CPU-only machine.
    """
    device = torch.device(device)
    enabled = mixed_precision is True or (
        mixed_precision == "auto" and device.type == "cuda"
    )
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=enabled)


class StoppedEarly(KeyboardInterrupt):
    """Early stopping's signal to skorch, which ends training on KeyboardInterrupt."""


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


class LesionNet(NeuralNet):
    """A skorch :class:`~skorch.NeuralNet` fed whole batches from the image store.

    It differs from skorch's default data path in three places: batches come
    from :class:`BatchIterator` (one gather per batch, no DataLoader workers,
    which fail inside joblib workers anyway; on CUDA, page-locked and prepared
    one batch ahead), inputs move to the device in one non-blocking copy per
    tensor, and the forward pass runs under bf16 autocast when
    ``mixed_precision`` says so.

    Parameters
    ----------
    *args, **kwargs
        As for :class:`skorch.NeuralNet`.
    mixed_precision : "auto" or bool, default="auto"
        bf16 autocast in the forward pass (see :func:`forward_autocast`).
    shuffle_seed : int or None, default=None
        Seed of the training batch order and of the choice of feature views.

    See Also
    --------
    skmultimodal.MultimodalLesionClassifier : builds, configures and trains
        this net from a lesion frame.

    Examples
    --------
    A metadata-only :class:`FusionNet` trained on a :class:`LesionDataset`:

    >>> import torch
    >>> from skmultimodal.neural import FusionNet, LesionDataset, LesionNet
    >>> metadata = torch.randn(40, 3)
    >>> dataset = LesionDataset({}, metadata, (metadata[:, 0] > 0).long(), 40)
    >>> imagenet = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
    >>> module = FusionNet({}, 0, 3, (8,), 2, imagenet)
    >>> net = LesionNet(module, criterion=torch.nn.CrossEntropyLoss, max_epochs=3,
    ...                 batch_size=10, lr=0.1, train_split=None, verbose=0,
    ...                 shuffle_seed=0)
    >>> net.fit(dataset, y=None).predict_proba(dataset).shape
    (40, 2)
    """

    def __init__(self, *args, mixed_precision="auto", shuffle_seed=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.mixed_precision = mixed_precision
        self.shuffle_seed = shuffle_seed

    def initialize(self):
        super().initialize()
        self.batch_order_ = np.random.default_rng(self.shuffle_seed)
        return self

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        try:
            return super().fit_loop(X, y, epochs, **fit_params)
        except StoppedEarly:
            raise
        except KeyboardInterrupt as interrupt:
            # skorch would take a user's Ctrl-C for a wish to stop training
            # and return the half-trained net as if all went well; in a grid
            # search that net would be scored and the interrupt lost.
            raise TrainingInterrupted from interrupt

    def get_iterator(self, dataset, training=False):
        generator = getattr(self, "batch_order_", None) or np.random.default_rng()
        pin = torch.device(self.device).type == "cuda"
        return BatchIterator(dataset, self.batch_size, training, generator, pin)

    def infer(self, x, **fit_params):
        device = torch.device(self.device)
        x = {name: tensor.to(device, non_blocking=True) for name, tensor in x.items()}
        with forward_autocast(device, self.mixed_precision):
            logits = self.module_(**x, **fit_params)
        return logits.float()
