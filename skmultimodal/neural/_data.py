"""From a lesion frame to batches of tensors for the fusion net."""

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

from .._frame import IMAGE_MODALITIES, format_rows, image_paths
from ..preprocessing import ImageLoadError, get_image_store


class LesionDataset(torch.utils.data.Dataset):
    """The inputs of a set of lesions, indexed a whole batch at a time.

    Images stay in the shared image store as uint8 rows; indexing with a
    tensor of positions gathers a batch with one operation per modality, so
    no Python work per image is done while training. With frozen towers the
    images are replaced by their towers' features, possibly in several
    views (view 0 the image itself, the others augmented).

    Parameters
    ----------
    images : dict of str to StoredImages
        Decoded images per image modality.
    metadata : torch.Tensor or None
        Encoded metadata, ``(n, n_metadata)`` float32.
    y : torch.Tensor or None
        Class indices, int64; ``None`` for prediction.
    n_samples : int
        Number of lesions.
    features : dict of str to torch.Tensor, default=None
        Tower features per image modality, ``(n, n_views, n_features)``.

    Examples
    --------
    >>> import os, tempfile, torch
    >>> from PIL import Image
    >>> from skmultimodal.neural import LesionDataset
    >>> from skmultimodal.preprocessing import ImageStore
    >>> path = os.path.join(tempfile.mkdtemp(), "lesion.png")
    >>> Image.new("RGB", (48, 40), color=(150, 95, 60)).save(path)
    >>> images = ImageStore().load([path, path, path], image_size=32)
    >>> dataset = LesionDataset({"dermoscopic": images}, torch.zeros(3, 4),
    ...                         torch.tensor([0, 1, 0]), n_samples=3)
    >>> inputs, target = dataset[torch.tensor([0, 2])]
    >>> {name: tuple(tensor.shape) for name, tensor in inputs.items()}
    {'dermoscopic': (2, 3, 32, 32), 'metadata': (2, 4)}
    >>> target.tolist()
    [0, 0]
    """

    def __init__(self, images, metadata, y, n_samples, features=None):
        self.images = images
        self.metadata = metadata
        self.y = y
        self.n_samples = n_samples
        self.features = features or {}

    def __len__(self):
        return self.n_samples

    def batch(self, index, generator=None):
        """Inputs and targets of the lesions at ``index``.

        With a ``generator`` (training), each lesion's features come from a
        view drawn at random; without one, from view 0, the image itself.

        Parameters
        ----------
        index : array-like of int
            Positions of the lesions in this dataset.
        generator : numpy.random.Generator, default=None
            Draws the augmented view of each lesion's precomputed features.

        Returns
        -------
        inputs : dict of str to torch.Tensor
            Keyword arguments of :meth:`FusionNet.forward`.
        target : torch.Tensor of shape (len(index),)
            Encoded labels, or zeros for a dataset without labels.
        """
        index = torch.as_tensor(index, dtype=torch.int64)
        inputs = {m: stored.gather(index) for m, stored in self.images.items()}
        for modality, features in self.features.items():
            views = torch.zeros(len(index), dtype=torch.int64)
            if generator is not None and features.shape[1] > 1:
                views = torch.from_numpy(generator.integers(0, features.shape[1], len(index)))
            inputs[f"{modality}_features"] = features[index, views].float()
        if self.metadata is not None:
            inputs["metadata"] = self.metadata[index]
        # skorch unpacks (X, y) even for prediction; the placeholder is unused.
        target = self.y[index] if self.y is not None else torch.zeros(len(index))
        return inputs, target

    def __getitem__(self, index):
        return self.batch(index)

    def subset(self, index):
        """The lesions at positions ``index``, as a new dataset.

        Parameters
        ----------
        index : array-like of int
            Positions of the lesions to keep.

        Returns
        -------
        dataset : LesionDataset
            Shares the decoded images with this one; they are not copied.
        """
        index = torch.as_tensor(np.asarray(index), dtype=torch.int64)
        return LesionDataset(
            {m: stored.subset(index) for m, stored in self.images.items()},
            None if self.metadata is None else self.metadata[index],
            None if self.y is None else self.y[index],
            len(index),
            {m: features[index] for m, features in self.features.items()},
        )

    def with_features(self, features):
        """The same lesions with tower features in place of their images.

        Parameters
        ----------
        features : dict of str to torch.Tensor
            Per image modality, features of shape ``(n_samples, views,
            n_tower_features)``.

        Returns
        -------
        dataset : LesionDataset
            Without images; its batches carry ``<modality>_features``.
        """
        return LesionDataset({}, self.metadata, self.y, self.n_samples, features)


class BatchIterator:
    """Batches of a :class:`LesionDataset`, shuffled by a seeded generator.

    Parameters
    ----------
    dataset : LesionDataset
        The lesions.
    batch_size : int
        Lesions per batch.
    shuffle : bool
        Training: draw a new order (and feature views) every pass. Otherwise
        keep the frame's order.
    generator : numpy.random.Generator
        Source of the order and of the views.
    pin_memory : bool, default=False
        Put each batch in page-locked memory and prepare it in a background
        thread while the previous batch trains, so that the copy to the GPU
        is asynchronous and overlaps with computing.
    """

    def __init__(self, dataset, batch_size, shuffle, generator, pin_memory=False):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator
        self.pin_memory = pin_memory

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
        inputs, target = self.dataset.batch(index, self.generator if self.shuffle else None)
        if self.pin_memory:
            inputs = {name: tensor.pin_memory() for name, tensor in inputs.items()}
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


def load_lesions(
    X,
    *,
    image_columns,
    image_root,
    image_size,
    metadata,
    y=None,
    cache_dir=None,
    decode_jobs=None,
    progress=False,
):
    """Build a :class:`LesionDataset` from a validated lesion frame.

    Every image problem (rows without a path, missing files, files that do
    not decode) is collected over all requested modalities and reported in
    one :class:`~skmultimodal.preprocessing.ImageLoadError` before anything
    is trained or predicted.

    Parameters
    ----------
    X : DataFrame
        The lesion frame.
    image_columns : dict of str to str
        Column of each requested image modality.
    image_root : str or None
        Directory relative paths resolve against.
    image_size : int
        Side of the decoded squares.
    metadata : ndarray or None
        Encoded metadata of the rows of ``X``.
    y : ndarray of int or None
        Class indices.
    cache_dir, decode_jobs, progress
        Passed to :meth:`ImageStore.load`.

    Returns
    -------
    dataset : LesionDataset
        The lesions.
    """
    paths = {}
    for modality, column in image_columns.items():
        paths[modality] = image_paths(X, column, image_root)

    # Existence first, for every modality: a wrong image_root should not cost
    # the decoding of the other modality before it is reported.
    failures = [
        (X.index[i], image_columns[modality], path, "file not found")
        for modality, modality_paths in paths.items()
        for i, path in enumerate(modality_paths)
        if not os.path.isfile(path)
    ]
    if failures:
        raise ImageLoadError(_frame_failure_message(failures, image_root), failures)

    store = get_image_store()
    images = {}
    for modality in IMAGE_MODALITIES:
        if modality not in paths:
            continue
        try:
            images[modality] = store.load(
                paths[modality],
                image_size=image_size,
                cache_dir=cache_dir,
                n_jobs=decode_jobs,
                progress=progress,
            )
        except ImageLoadError as error:
            failures += [
                (X.index[position], image_columns[modality], path, reason)
                for position, path, reason in error.failures
            ]
    if failures:
        raise ImageLoadError(_frame_failure_message(failures, image_root), failures)

    return LesionDataset(
        images,
        None if metadata is None else torch.as_tensor(metadata, dtype=torch.float32),
        None if y is None else torch.as_tensor(y, dtype=torch.int64),
        len(X),
    )


def _frame_failure_message(failures, image_root):
    lines = [
        f"  row {format_rows([row])}, column {column!r}: {path}: {reason}"
        for row, column, path, reason in failures[:10]
    ]
    if len(failures) > 10:
        lines.append(f"  ... ({len(failures)} images in all)")
    hint = "Fix or replace these files, or drop their rows."
    if all(reason == "file not found" for *_, reason in failures):
        hint += (
            f" If none is found, check image_root (now {image_root!r}) and the "
            "working directory: relative paths resolve against them."
        )
    return (
        f"{len(failures)} image(s) of the lesion frame could not be loaded, so "
        f"nothing was trained or predicted:\n" + "\n".join(lines) + "\n" + hint
    )
