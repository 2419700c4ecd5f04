"""The skorch net that trains a :class:`FusionNet` on :class:`LesionDataset` batches."""

import numpy as np
import torch
from skorch import NeuralNet

from ._data import BatchIterator


class LesionNet(NeuralNet):
    """A skorch :class:`~skorch.NeuralNet` fed whole batches from the image store.

    It differs from skorch's default data path in three places: batches come
    from :class:`BatchIterator` (one gather per batch, no DataLoader workers,
    which fail inside joblib workers anyway), inputs move to the device in one
    non-blocking copy per tensor, and the forward pass runs under bf16
    autocast when ``mixed_precision`` is set (on CUDA).

    Parameters
    ----------
    *args, **kwargs
        As for :class:`skorch.NeuralNet`.
    mixed_precision : bool, default=False
        Run the forward pass under bf16 autocast.
    shuffle_seed : int or None, default=None
        Seed of the training batch order.
    """

    def __init__(self, *args, mixed_precision=False, shuffle_seed=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.mixed_precision = mixed_precision
        self.shuffle_seed = shuffle_seed

    def initialize(self):
        super().initialize()
        self.batch_order_ = np.random.default_rng(self.shuffle_seed)
        return self

    def get_iterator(self, dataset, training=False):
        generator = getattr(self, "batch_order_", None) or np.random.default_rng()
        return BatchIterator(dataset, self.batch_size, training, generator)

    def infer(self, x, **fit_params):
        device = torch.device(self.device)
        x = {name: tensor.to(device, non_blocking=True) for name, tensor in x.items()}
        with torch.autocast(
            device_type=device.type, dtype=torch.bfloat16, enabled=self.mixed_precision
        ):
            logits = self.module_(**x, **fit_params)
        return logits.float()
