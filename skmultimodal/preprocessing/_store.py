"""A process-wide store of decoded images, shared by every fit.

Decoding JPEGs costs far more than training on them once they are small
uint8 tensors, and cross-validation, grid search and clones fit on the same
images again and again. The store decodes each file once per image size,
keeps the result in one growing uint8 tensor and hands out row numbers into
it, so that a fit's batches are gathered with one indexing operation.
Optionally the decoded arrays also go to a directory on disk, so that the next
process starts warm.
"""

import hashlib
import os
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
from tqdm.auto import tqdm

from ._images import DECODER_VERSION, load_image


class ImageLoadError(ValueError):
    """Image files could not be found or decoded; nothing was trained or predicted.

    Parameters
    ----------
    message : str
        What went wrong, listing the files.
    failures : list of tuple
        One tuple per failed file, ending with ``(path, reason)``; the store
        puts the file's position in its request first, estimators the row
        label and column of the lesion frame.

    Attributes
    ----------
    failures : list of tuple
        The ``failures`` given, for programs that want to drop or fix the
        rows.

    Examples
    --------
    >>> from skmultimodal.preprocessing import ImageLoadError, ImageStore
    >>> try:
    ...     ImageStore().load(["missing.jpg"], image_size=32)
    ... except ImageLoadError as error:
    ...     print(error.failures)
    [(0, 'missing.jpg', 'file not found')]
    """

    def __init__(self, message, failures):
        super().__init__(message)
        self.failures = list(failures)


def _failure_message(failures):
    lines = [f"  {path}: {reason}" for _, path, reason in failures[:10]]
    if len(failures) > 10:
        lines.append(f"  ... ({len(failures)} files in all)")
    return f"{len(failures)} image file(s) could not be loaded:\n" + "\n".join(lines)


class StoredImages:
    """A view of some rows of the store: the decoded images of one request.

    Parameters
    ----------
    table : object
        The store's table for one image size, shared by every view of it.
    rows : torch.Tensor of int64
        Row of each requested image in the table.

    See Also
    --------
    ImageStore.load : returns these views.

    Examples
    --------
    >>> import os, tempfile
    >>> from PIL import Image
    >>> from skmultimodal.preprocessing import ImageStore
    >>> folder = tempfile.mkdtemp()
    >>> paths = [os.path.join(folder, f"{i}.png") for i in range(3)]
    >>> for i, path in enumerate(paths):
    ...     Image.new("RGB", (40, 40), color=(60 * i, 0, 0)).save(path)
    >>> images = ImageStore().load(paths, image_size=16)
    >>> len(images), images.image_size
    (3, 16)
    >>> batch = images.gather(slice(1, 3))
    >>> batch.shape, batch.dtype, batch[:, 0, 0, 0].tolist()
    (torch.Size([2, 3, 16, 16]), torch.uint8, [60, 120])
    >>> images.subset([2]).gather(slice(None))[:, 0, 0, 0].tolist()
    [120]
    """

    def __init__(self, table, rows):
        self.table = table
        self.rows = rows

    def __len__(self):
        return len(self.rows)

    @property
    def image_size(self):
        """Side of the stored squares, in pixels."""
        return self.table.image_size

    def gather(self, index, out=None):
        """Return the images at ``index`` as a ``(n, 3, size, size)`` uint8 tensor.

        Parameters
        ----------
        index : slice, sequence of int or torch.Tensor of int64
            Positions in this view.
        out : torch.Tensor, default=None
            A uint8 tensor of the right shape to write into, e.g. page-locked
            memory.

        Returns
        -------
        images : torch.Tensor of shape (n, 3, image_size, image_size)
            The images, channels first, dtype uint8.
        """
        return self.table.gather(self.rows[index], out=out)

    def subset(self, index):
        """A view of the images at ``index`` (positions in this view).

        Parameters
        ----------
        index : sequence of int or torch.Tensor of int64
            Positions in this view.

        Returns
        -------
        images : StoredImages
            A view of the same store; no image is copied.
        """
        return StoredImages(self.table, self.rows[torch.as_tensor(index)])


class _Table:
    """All decoded images of one size: a uint8 tensor grown by doubling."""

    def __init__(self, image_size):
        self.image_size = image_size
        self.row_of = {}
        self.data = torch.empty((0, 3, image_size, image_size), dtype=torch.uint8)
        self.size = 0

    def append(self, images):
        needed = self.size + len(images)
        if needed > len(self.data):
            grown = torch.empty(
                (max(needed, 2 * len(self.data)), 3, self.image_size, self.image_size),
                dtype=torch.uint8,
            )
            grown[: self.size] = self.data[: self.size]
            # Readers holding the old tensor keep a valid copy of their rows.
            self.data = grown
        block = self.data[self.size : needed].numpy()
        for offset, image in enumerate(images):
            block[offset] = image.transpose(2, 0, 1)
        rows = range(self.size, needed)
        self.size = needed
        return rows

    def gather(self, rows, out=None):
        """The images at ``rows`` as one ``(n, 3, size, size)`` uint8 tensor."""
        return torch.index_select(self.data, 0, rows, out=out)


class ImageStore:
    """Decoded lesion images, kept in memory (and optionally on disk).

    One store serves the whole process (see :func:`get_image_store`): every
    estimator, clone, fold and grid point asks it for images, and only files
    it has not seen at that image size are decoded. A file is recognised by
    its resolved path, size and modification time, so an edited file is
    decoded again.

    Attributes
    ----------
    n_decoded : int
        Images decoded from their files so far.
    n_read_from_disk : int
        Images read back from a disk cache so far.

    Examples
    --------
    >>> import os, tempfile
    >>> from PIL import Image
    >>> from skmultimodal.preprocessing import ImageStore
    >>> path = os.path.join(tempfile.mkdtemp(), "lesion.png")
    >>> Image.new("RGB", (64, 48), color=(180, 120, 90)).save(path)
    >>> store = ImageStore()
    >>> images = store.load([path, path], image_size=32)
    >>> images.gather(slice(None)).shape, store.n_decoded
    (torch.Size([2, 3, 32, 32]), 1)
    >>> _ = store.load([path], image_size=32)
    >>> store.n_decoded
    1
    """

    def __init__(self):
        self._tables = {}
        self._lock = threading.Lock()
        self.n_decoded = 0
        self.n_read_from_disk = 0

    def load(self, paths, *, image_size, cache_dir=None, n_jobs=None, progress=False):
        """Return the decoded images of ``paths``, decoding only new files.

        Parameters
        ----------
        paths : sequence of str
            Image files; repeats are decoded once.
        image_size : int
            Side of the decoded squares.
        cache_dir : str or os.PathLike, default=None
            Directory where decoded arrays are also kept across processes.
        n_jobs : int, default=None
            Threads decoding new files; ``None`` or ``-1`` uses every CPU.
            Decoding and resizing release the GIL, so threads scale.
        progress : bool, default=False
            Show a progress bar while decoding.

        Returns
        -------
        images : StoredImages
            The images, in the order of ``paths``.

        Raises
        ------
        ImageLoadError
            Listing every file that is missing or cannot be decoded.
        """
        keys, failures = [], []
        for position, path in enumerate(paths):
            try:
                keys.append(_file_key(path))
            except OSError as error:
                failures.append((position, path, _reason(error)))
        if failures:
            raise ImageLoadError(_failure_message(failures), failures)

        with self._lock:
            table = self._tables.setdefault(image_size, _Table(image_size))
            todo = {}
            for position, key in enumerate(keys):
                if key not in table.row_of and key not in todo:
                    todo[key] = paths[position]

        decoded, failures = self._decode(
            todo, image_size, cache_dir, n_jobs, progress
        )
        if failures:
            position_of = {path: i for i, path in enumerate(paths)}
            failures = sorted((position_of[p], p, reason) for p, reason in failures)
            raise ImageLoadError(_failure_message(failures), failures)
        with self._lock:
            fresh = [key for key in decoded if key not in table.row_of]
            for key, row in zip(fresh, table.append([decoded[k] for k in fresh])):
                table.row_of[key] = row
            rows = torch.tensor([table.row_of[key] for key in keys], dtype=torch.int64)
        return StoredImages(table, rows)

    def _decode(self, todo, image_size, cache_dir, n_jobs, progress):
        decoded, failures = {}, []
        if not todo:
            return decoded, failures
        directory = None
        if cache_dir is not None:
            directory = os.path.join(os.fspath(cache_dir), f"{image_size}px")
            os.makedirs(directory, exist_ok=True)

        def work(item):
            key, path = item
            cached = None if directory is None else _cache_file(directory, key)
            if cached is not None and os.path.exists(cached):
                try:
                    return key, path, np.load(cached), "disk"
                except (OSError, ValueError):
                    pass  # a torn or foreign file: decode again and overwrite
            try:
                image = load_image(path, image_size)
            except Exception as error:  # noqa: BLE001 - every reason is reported
                return key, path, _reason(error), "failed"
            if cached is not None:
                _save_atomically(cached, image)
            return key, path, image, "decoded"

        workers = os.cpu_count() if n_jobs in (None, -1) else max(1, int(n_jobs))
        bar = tqdm(
            total=len(todo), desc=f"Decoding images ({image_size} px)", unit="img",
            disable=not progress, leave=False,
        )
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for key, path, result, how in pool.map(work, todo.items()):
                bar.update()
                if how == "failed":
                    failures.append((path, result))
                    continue
                decoded[key] = result
                if how == "disk":
                    self.n_read_from_disk += 1
                else:
                    self.n_decoded += 1
        bar.close()
        return decoded, failures

    def clear(self):
        """Forget every decoded image held in memory (disk caches stay)."""
        with self._lock:
            self._tables.clear()

    @property
    def nbytes(self):
        """Memory held by decoded images, in bytes."""
        return sum(
            t.data.element_size() * t.data.nelement() for t in self._tables.values()
        )


def _file_key(path):
    stat = os.stat(path)
    return os.path.realpath(path), stat.st_size, stat.st_mtime_ns


def _cache_file(directory, key):
    text = "|".join(map(str, (*key, DECODER_VERSION)))
    return os.path.join(directory, hashlib.sha1(text.encode()).hexdigest() + ".npy")


def _save_atomically(path, image):
    # Parallel fits may write the same entry; a rename never leaves half a file.
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            np.save(file, image)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise


def _reason(error):
    if isinstance(error, FileNotFoundError):
        return "file not found"
    if isinstance(error, IsADirectoryError):
        return "is a directory, not an image file"
    if isinstance(error, PermissionError):
        return "permission denied"
    return f"{type(error).__name__}: {error}"


_STORE = ImageStore()


def get_image_store():
    """Return the process-wide :class:`ImageStore` every estimator uses.

    Returns
    -------
    store : ImageStore
        The shared store; call its ``clear()`` to free the memory.

    Examples
    --------
    >>> from skmultimodal.preprocessing import get_image_store
    >>> store = get_image_store()
    >>> store.nbytes >= 0
    True
    """
    return _STORE
