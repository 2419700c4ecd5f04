"""The skorch net that trains a :class:`FusionNet` on :class:`LesionDataset` batches."""

import numpy as np
import torch
from skorch import NeuralNet

from ._batches import BatchIterator
from ._callbacks import StoppedEarly, TrainingInterrupted
from ._device import forward_autocast

# Stands for "the same object as module_" in a pickled net (see __getstate__).
_SAME_AS_TRAINED_MODULE = "<module_>"


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
        Seed of the training batch order, of the choice of feature views and
        of the modalities hidden by ``modality_dropout``.
    modality_dropout : float, default=0.0
        In training, the probability of hiding each present modality of a
        lesion, never all of them.

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

    def __init__(
        self, *args, mixed_precision="auto", shuffle_seed=None, modality_dropout=0.0,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.mixed_precision = mixed_precision
        self.shuffle_seed = shuffle_seed
        self.modality_dropout = modality_dropout

    def initialize(self):
        super().initialize()
        self.batch_order_ = np.random.default_rng(self.shuffle_seed)
        # The learning-rate schedule holds the optimizer, which holds the
        # weights: pickled apart from module_, they would be stored twice.
        # The prefix covers both the callbacks given and the initialised ones.
        if "callbacks" not in self.cuda_dependent_attributes_:
            self.cuda_dependent_attributes_ = [*self.cuda_dependent_attributes_, "callbacks"]
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
        return BatchIterator(
            dataset, self.batch_size, training, generator, pin,
            modality_dropout=self.modality_dropout,
        )

    def infer(self, x, **fit_params):
        device = torch.device(self.device)
        x = x.map(lambda tensor: tensor.to(device, non_blocking=True))
        with forward_autocast(device, self.mixed_precision):
            logits = self.module_(**x, **fit_params)
        return logits.float()

    def __getstate__(self):
        state = super().__getstate__()
        # skorch pickles the trained module_ apart from the module it was
        # given; when they are one object, a pickled net would hold its
        # weights twice, and a loaded one keep two copies in memory.
        if "module_" in self.__dict__ and state.get("module") is self.module_:
            state["module"] = _SAME_AS_TRAINED_MODULE
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if isinstance(self.module, str) and self.module == _SAME_AS_TRAINED_MODULE:
            self.module = self.module_
