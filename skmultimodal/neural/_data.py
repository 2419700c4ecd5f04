"""The inputs of a set of lesions for the fusion net, gathered a batch at a time."""

import numpy as np
import torch

from .._frame import IMAGE_MODALITIES


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
