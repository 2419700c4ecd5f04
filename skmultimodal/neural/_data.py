"""From a lesion frame to batches of tensors for the fusion net."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

from .._frame import IMAGE_MODALITIES, format_rows, image_paths
from ..preprocessing import ImageLoadError, get_image_store


class LesionInputs:
    """The inputs of a batch: names to tensors, and the batch's length.

    Keyword arguments of :meth:`FusionNet.forward`. A modality's images or
    features cover only the lesions of the batch that have it, so tensors
    differ in length; ``len()`` is the number of lesions. This is not a
    :class:`~collections.abc.Mapping` on purpose: skorch measures a Mapping
    by its tensors and requires them to be of one length.
    """

    def __init__(self, tensors, n_lesions):
        self._tensors = dict(tensors)
        self._n_lesions = n_lesions

    def __len__(self):
        return self._n_lesions

    def __getitem__(self, name):
        return self._tensors[name]

    def __contains__(self, name):
        return name in self._tensors

    def keys(self):
        return self._tensors.keys()

    def items(self):
        return self._tensors.items()

    def map(self, function):
        """The same inputs with ``function`` applied to every tensor."""
        return LesionInputs(
            {name: function(tensor) for name, tensor in self._tensors.items()},
            self._n_lesions,
        )

    def __repr__(self):
        shapes = {name: tuple(t.shape) for name, t in self._tensors.items()}
        return f"LesionInputs({shapes}, n_lesions={self._n_lesions})"


class LesionDataset(torch.utils.data.Dataset):
    """The inputs of a set of lesions, indexed a whole batch at a time.

    Images stay in the shared image store as uint8 rows; indexing with a
    tensor of positions gathers a batch with one operation per modality, so
    no Python work per image is done while training. With frozen towers the
    images are replaced by their towers' features, possibly in several
    views (view 0 the image itself, the others augmented).

    Lesions may lack modalities: ``present`` says which lesions have which,
    and the images (or features) of a modality are those of the lesions that
    have it, in lesion order. A batch then carries a ``<modality>_present``
    mask wherever one of its lesions lacks (or, in training with
    ``modality_dropout``, hides) that modality, and only the images that are
    there.

    Parameters
    ----------
    images : dict of str to StoredImages
        Decoded images per image modality, of the lesions that have one.
    metadata : torch.Tensor or None
        Encoded metadata, ``(n, n_metadata)`` float32.
    y : torch.Tensor or None
        Class indices, int64; ``None`` for prediction.
    n_samples : int
        Number of lesions.
    features : dict of str to torch.Tensor, default=None
        Tower features per image modality, ``(n_present, n_views,
        n_features)``.
    present : dict of str to torch.Tensor, default=None
        Per modality (``"dermoscopic"``, ``"clinical"``, ``"metadata"``), a
        bool tensor of shape ``(n_samples,)``; a modality not listed is
        present in every lesion.

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

    The second of three lesions without its image:

    >>> dataset = LesionDataset({"dermoscopic": images.subset([0, 2])},
    ...                         None, None, n_samples=3,
    ...                         present={"dermoscopic": torch.tensor([True, False, True])})
    >>> inputs, _ = dataset[torch.tensor([0, 1, 2])]
    >>> tuple(inputs["dermoscopic"].shape), inputs["dermoscopic_present"].tolist()
    ((2, 3, 32, 32), [True, False, True])
    """

    def __init__(self, images, metadata, y, n_samples, features=None, present=None):
        self.images = images
        self.metadata = metadata
        self.y = y
        self.n_samples = n_samples
        self.features = features or {}
        self.present = {
            m: torch.as_tensor(mask, dtype=torch.bool)
            for m, mask in (present or {}).items()
            if not bool(torch.as_tensor(mask).all())
        }
        # Lesion -> position among the lesions that have the modality.
        self._positions = {
            m: torch.cumsum(mask.long(), 0) - 1 for m, mask in self.present.items()
        }
        for modality, rows in {**self.images, **self.features}.items():
            expected = int(self.present[modality].sum()) if modality in self.present else n_samples
            if len(rows) != expected:
                raise ValueError(
                    f"{len(rows)} {modality} images or features for {expected} "
                    f"lesions with that modality."
                )

    def __len__(self):
        return self.n_samples

    @property
    def modalities(self):
        """The modalities of these lesions' inputs, in canonical order."""
        inputs = set(self.images) | set(self.features)
        if self.metadata is not None:
            inputs.add("metadata")
        return tuple(m for m in (*IMAGE_MODALITIES, "metadata") if m in inputs)

    def batch(self, index, generator=None, modality_dropout=0.0):
        """Inputs and targets of the lesions at ``index``.

        With a ``generator`` (training), each lesion's features come from a
        view drawn at random, and each of its present modalities is hidden
        with probability ``modality_dropout``, never all of them; without
        one, features come from view 0, the image itself, and nothing is
        hidden.

        Parameters
        ----------
        index : array-like of int
            Positions of the lesions in this dataset.
        generator : numpy.random.Generator, default=None
            Draws feature views and hidden modalities.
        modality_dropout : float, default=0.0
            Probability of hiding each present modality of a lesion.

        Returns
        -------
        inputs : LesionInputs
            Keyword arguments of :meth:`FusionNet.forward`, by name.
        target : torch.Tensor of shape (len(index),)
            Encoded labels, or zeros for a dataset without labels.
        """
        index = torch.as_tensor(index, dtype=torch.int64)
        visible = self._visible(index, generator, modality_dropout)
        inputs = {}
        for modality, stored in self.images.items():
            inputs[modality] = stored.gather(self._rows(modality, index, visible))
        for modality, features in self.features.items():
            rows = self._rows(modality, index, visible)
            views = torch.zeros(len(rows), dtype=torch.int64)
            if generator is not None and features.shape[1] > 1:
                views = torch.from_numpy(generator.integers(0, features.shape[1], len(rows)))
            inputs[f"{modality}_features"] = features[rows, views].float()
        if self.metadata is not None:
            inputs["metadata"] = self.metadata[index]
        for modality, mask in visible.items():
            if not bool(mask.all()):
                inputs[f"{modality}_present"] = mask
        # skorch unpacks (X, y) even for prediction; the placeholder is unused.
        target = self.y[index] if self.y is not None else torch.zeros(len(index))
        return LesionInputs(inputs, len(index)), target

    def _visible(self, index, generator, modality_dropout):
        """Per modality, which lesions of the batch show it."""
        visible = {
            m: self.present[m][index] if m in self.present
            else torch.ones(len(index), dtype=torch.bool)
            for m in self.modalities
        }
        if generator is None or not modality_dropout or len(visible) < 2:
            return visible
        present = torch.stack(list(visible.values()), dim=1)
        draws = torch.from_numpy(generator.random(present.shape))
        shown = present & (draws >= modality_dropout)
        # Never hide every modality of a lesion: one of its present ones, at
        # random, stays.
        bare = present.any(1) & ~shown.any(1)
        if bool(bare.any()):
            scores = torch.from_numpy(generator.random(present.shape))
            scores[~present] = -1.0
            keep = scores.argmax(1)
            shown[bare, keep[bare]] = True
        return dict(zip(visible, shown.unbind(1)))

    def _rows(self, modality, index, visible):
        """Rows of the modality's images (or features) shown in the batch."""
        if modality not in self.present:
            return index[visible[modality]]
        return self._positions[modality][index][visible[modality]]

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
        everything = {m: torch.ones(len(index), dtype=torch.bool) for m in self.modalities}
        present = {m: self.present[m][index] for m in self.present}
        return LesionDataset(
            {m: s.subset(self._rows(m, index, everything | present)) for m, s in self.images.items()},
            None if self.metadata is None else self.metadata[index],
            None if self.y is None else self.y[index],
            len(index),
            {m: f[self._rows(m, index, everything | present)] for m, f in self.features.items()},
            present,
        )

    def with_features(self, features):
        """The same lesions with tower features in place of their images.

        Parameters
        ----------
        features : dict of str to torch.Tensor
            Per image modality, features of shape ``(n_present, views,
            n_tower_features)`` for the lesions that have that modality.

        Returns
        -------
        dataset : LesionDataset
            Without images; its batches carry ``<modality>_features``.
        """
        return LesionDataset(
            {}, self.metadata, self.y, self.n_samples, features, self.present
        )


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


def load_lesions(
    X,
    *,
    image_columns,
    image_root,
    image_size,
    metadata,
    metadata_present=None,
    y=None,
    cache_dir=None,
    decode_jobs=None,
    progress=False,
):
    """Build a :class:`LesionDataset` from a validated lesion frame.

    An empty image cell is an image not taken: that lesion lacks the
    modality, and nothing is decoded for it. Every other image problem
    (cells that are not paths, missing files, files that do not decode) is
    collected over all requested modalities and reported in one
    :class:`~skmultimodal.preprocessing.ImageLoadError` before anything is
    trained or predicted.

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
    metadata_present : ndarray of bool or None, default=None
        Which lesions have metadata; ``None`` means all of them.
    y : ndarray of int or None
        Class indices.
    cache_dir, decode_jobs, progress
        Passed to :meth:`ImageStore.load`.

    Returns
    -------
    dataset : LesionDataset
        The lesions.
    """
    failures, paths = [], {}
    for modality, column in image_columns.items():
        paths[modality], problems = image_paths(X, column, image_root)
        failures += problems

    store = get_image_store()
    images, present = {}, {}
    for modality in IMAGE_MODALITIES:
        if modality not in paths:
            continue
        given = [i for i, path in enumerate(paths[modality]) if path is not None]
        present[modality] = np.zeros(len(X), dtype=bool)
        present[modality][given] = True
        try:
            images[modality] = store.load(
                [paths[modality][i] for i in given],
                image_size=image_size,
                cache_dir=cache_dir,
                n_jobs=decode_jobs,
                progress=progress,
            )
        except ImageLoadError as error:
            failures += [
                (X.index[given[position]], image_columns[modality], path, reason)
                for position, path, reason in error.failures
            ]
    if failures:
        raise ImageLoadError(_frame_failure_message(failures, image_root), failures)
    if metadata_present is not None:
        present["metadata"] = metadata_present
    return LesionDataset(
        images,
        None if metadata is None else torch.as_tensor(metadata, dtype=torch.float32),
        None if y is None else torch.as_tensor(y, dtype=torch.int64),
        len(X),
        present={m: torch.from_numpy(mask.copy()) for m, mask in present.items()},
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
