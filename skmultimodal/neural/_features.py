"""Features of frozen towers, computed once per image and shared by every fit.

With frozen towers only the head trains, and the head only sees the towers'
feature vectors. A grid search over embedding sizes then needs each image's
features once, not once per epoch, fold and grid point: they are kept here,
per tower and per decoded image, beside the image store's rows.
"""

import hashlib
import threading
import weakref

import numpy as np
import torch

from .._cache import register_cache


def tower_fingerprint(tower, *settings, weights=None):
    """A key that changes whenever the tower would compute other features.

    ``weights`` is the tower's :func:`weights_digest` when known already
    (computed otherwise); ``settings`` adds what else shapes the features
    (normalisation, precision, augmentation).
    """
    digest = hashlib.sha1(repr(settings).encode())
    digest.update((weights or weights_digest(tower)).encode())
    return digest.hexdigest()


def weights_digest(tower):
    """A digest of a tower's weights and buffers (batch-norm statistics).

    Each tensor is summarised by its sum and sum of squares, which differ
    between any two trained or randomly initialised towers.
    """
    digest = hashlib.sha1()
    with torch.no_grad():
        for name, tensor in tower.state_dict().items():
            values = tensor.detach().double()  # summed where it lives
            digest.update(name.encode())
            digest.update(repr(tuple(values.shape)).encode())
            digest.update(np.float64(values.sum().item()).tobytes())
            digest.update(np.float64((values * values).sum().item()).tobytes())
    return digest.hexdigest()


class _FeatureTable:
    """Features of one tower, view by view, indexed like the image store's rows."""

    def __init__(self):
        self.data = {}  # view -> (capacity, n_features) float16
        self.done = {}  # view -> (capacity,) bool

    def missing(self, view, rows):
        done = self.done.get(view)
        if done is None:
            return rows
        inside = rows < len(done)
        known = torch.zeros_like(rows, dtype=torch.bool)
        known[inside] = done[rows[inside]]
        return rows[~known]

    def put(self, view, rows, features):
        needed = int(rows.max()) + 1
        data, done = self.data.get(view), self.done.get(view)
        if data is None or needed > len(data):
            capacity = max(needed, 2 * (0 if data is None else len(data)))
            grown = torch.empty((capacity, features.shape[1]), dtype=torch.float16)
            grown_done = torch.zeros(capacity, dtype=torch.bool)
            if data is not None:
                grown[: len(data)] = data
                grown_done[: len(done)] = done
            data, done = self.data[view], self.done[view] = grown, grown_done
        data[rows] = features.to(torch.float16)
        done[rows] = True

    def gather(self, rows, views):
        return torch.stack([self.data[view][rows] for view in range(views)], dim=1)


class FeatureStore:
    """Tower features per decoded image, shared by every fit in the process.

    Attributes
    ----------
    n_computed : int
        Feature vectors computed so far (one per image, view and tower).

    See Also
    --------
    get_feature_store : the store that fits with ``freeze_towers=True`` use.

    Examples
    --------
    A second frozen-tower fit on the same images computes no feature again:

    >>> import tempfile
    >>> from skmultimodal import MultimodalLesionClassifier
    >>> from skmultimodal.datasets import make_lesions
    >>> from skmultimodal.neural import get_feature_store
    >>> X, y = make_lesions(20, image_size=32, directory=tempfile.mkdtemp(),
    ...                     random_state=0)
    >>> net = MultimodalLesionClassifier(
    ...     ("dermoscopic",), backbone="resnet18", weights=None, image_size=32,
    ...     freeze_towers=True, augment=False, max_epochs=2, random_state=0)
    >>> store = get_feature_store()
    >>> before = store.n_computed
    >>> net = net.fit(X, y)
    >>> store.n_computed - before
    20
    >>> net = net.set_params(embedding_dims=(32,)).fit(X, y)
    >>> store.n_computed - before
    20
    """

    def __init__(self):
        # Tied to the image store's tables: clearing the image store frees
        # the features of its rows too.
        self._tables = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()
        self.n_computed = 0

    def features(self, key, images, *, views, encode, batch_size):
        """Features of ``images`` for views ``0 .. views - 1``.

        Parameters
        ----------
        key : str
            :func:`tower_fingerprint` of the tower and its settings.
        images : StoredImages
            The images, as handed out by the image store.
        views : int
            View 0 is the image itself; views 1 and up are random training
            augmentations of it.
        encode : callable
            ``encode(uint8_images, view, identities)`` returns the features
            of the images in that view; ``identities`` are their
            :attr:`~skmultimodal.preprocessing.StoredImages.digests`, from
            which an augmented view draws its randomness.
        batch_size : int
            Images per call of ``encode``.

        Returns
        -------
        features : torch.Tensor of shape (n_images, views, n_features)
            float16, on the CPU.
        """
        with self._lock:
            tables = self._tables.setdefault(images.table, {})
            table = tables.setdefault(key, _FeatureTable())
        rows = images.rows
        for view in range(views):
            todo = torch.unique(table.missing(view, rows))
            for start in range(0, len(todo), batch_size):
                batch = todo[start : start + batch_size]
                pixels = images.table.gather(batch)
                computed = encode(pixels, view, images.table.identity[batch])
                computed = computed.float().cpu()
                with self._lock:
                    table.put(view, batch, computed)
                    self.n_computed += len(batch)
        return table.gather(rows, views)

    def clear(self):
        """Forget every feature held in memory."""
        with self._lock:
            self._tables.clear()

    def _feature_tables(self):
        with self._lock:
            return [table for tables in self._tables.values() for table in tables.values()]

    @property
    def nbytes(self):
        """Memory held by features, in bytes."""
        return sum(
            tensor.element_size() * tensor.nelement()
            for table in self._feature_tables()
            for tensors in (table.data, table.done)
            for tensor in tensors.values()
        )

    def cache_info(self):
        """``count`` (feature vectors held, one per image, view and tower) and ``nbytes``."""
        count = sum(
            int(done.sum()) for table in self._feature_tables() for done in table.done.values()
        )
        return {"count": count, "nbytes": self.nbytes}


_FEATURES = register_cache("features", FeatureStore())


def get_feature_store():
    """Return the process-wide :class:`FeatureStore` of frozen-tower features.

    Returns
    -------
    store : FeatureStore
        The shared store; call its ``clear()`` to free the memory.

    Examples
    --------
    >>> from skmultimodal.neural import get_feature_store
    >>> get_feature_store().n_computed >= 0
    True
    """
    return _FEATURES


def frozen_features(
    module, dataset, *, device, mixed_precision, views, seed, batch_size, digests,
):
    """``dataset`` with its images replaced by the frozen towers' features.

    Features are taken from the process-wide store, and computed only for
    images it does not hold yet. Their key is the tower's weights (``digests``
    per modality, when known), the settings that shape the features and, for
    augmented views, ``seed``: views drawn under another seed are other
    features. With a seed, each augmented view of an image is a pure function
    of the seed, the view and the image's content (see
    :func:`augmentation_draws`), so a seeded fit gives the same features
    whether or not other fits computed some of them before.
    """
    from ._augment import augmentation_draws
    from ._device import forward_autocast  # the device layer sits above this one

    module.to(device).eval()
    store = get_feature_store()
    features = {}
    for modality, images in dataset.images.items():
        tower = module.towers[module.tower_names[modality]]
        augmented = module.augmentation is not None and views > 1
        key = tower_fingerprint(
            tower, module.mean.tolist(), module.std.tolist(), module.channels_last,
            mixed_precision, str(device), seed if augmented else None,
            weights=digests.get(modality),
        )

        def encode(pixels, view, identities, modality=modality):
            draws = None
            if view > 0 and seed is not None:
                draws = augmentation_draws(identities, seed, view).to(device)
            with torch.no_grad(), forward_autocast(device, mixed_precision):
                pixels = pixels.to(device, non_blocking=True)
                return module.image_features(
                    modality, pixels, augment=view > 0, draws=draws
                )

        features[modality] = store.features(
            key, images, views=views, encode=encode, batch_size=batch_size
        )
    return dataset.with_features(features)
