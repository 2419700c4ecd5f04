"""Batches of a LesionDataset for skorch: seeded order, pinned memory, one ahead."""

from concurrent.futures import ThreadPoolExecutor

import torch


class BatchIterator:
    """Batches of a :class:`LesionDataset`, shuffled by a seeded generator.

    Parameters
    ----------
    dataset : LesionDataset
        The lesions.
    batch_size : int
        Lesions per batch.
    shuffle : bool
        Training: draw a new order (and feature views, and hidden
        modalities) every pass. Otherwise keep the frame's order.
    generator : numpy.random.Generator
        Source of the order, the views and the hidden modalities.
    pin_memory : bool, default=False
        Put each batch in page-locked memory and prepare it in a background
        thread while the previous batch trains, so that the copy to the GPU
        is asynchronous and overlaps with computing.
    modality_dropout : float, default=0.0
        In training, probability of hiding each present modality of a lesion.
    """

    def __init__(
        self, dataset, batch_size, shuffle, generator, pin_memory=False,
        modality_dropout=0.0,
    ):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator
        self.pin_memory = pin_memory
        self.modality_dropout = modality_dropout

    def _bounds(self):
        n = len(self.dataset)
        bounds = list(range(0, n, self.batch_size)) + [n]
        # A final batch of one breaks batch normalisation in training mode;
        # it joins the batch before it instead of being dropped.
        if self.shuffle and len(bounds) > 2 and bounds[-1] - bounds[-2] == 1:
            del bounds[-2]
        return bounds

    def __len__(self):
        return len(self._bounds()) - 1

    def _load(self, index):
        if self.shuffle:
            inputs, target = self.dataset.batch(
                index, self.generator, self.modality_dropout
            )
        else:
            inputs, target = self.dataset.batch(index)
        if self.pin_memory:
            inputs = inputs.map(torch.Tensor.pin_memory)
        return inputs, target

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            order = torch.from_numpy(self.generator.permutation(n))
        else:
            order = torch.arange(n)
        bounds = self._bounds()
        batches = [order[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
        if not self.pin_memory:
            for index in batches:
                yield self._load(index)
            return
        # One batch ahead: gathering releases the GIL, so it overlaps with the
        # training step; one worker keeps the generator's draws in order.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(self._load, batches[0]) if batches else None
            for following in batches[1:] + [None]:
                batch = pending.result()
                if following is not None:
                    pending = pool.submit(self._load, following)
                yield batch
