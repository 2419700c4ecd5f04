"""A process-wide store of decoded images, shared by every fit.

Decoding JPEGs costs far more than training on them once they are small
uint8 tensors, and cross-validation, grid search and clones fit on the same
images again and again. The store decodes each image once per image size,
keeps the result in one growing uint8 tensor and hands out row numbers into
it, so that a fit's batches are gathered with one indexing operation. Memory
is bounded (:func:`~skmultimodal._cache.get_image_memory_limit`): the images
beyond the limit are served from their files on disk instead.

An image is known by its content, a digest of its file's bytes: an edited
file is a new image however its size and modification time were kept, and
identical files share one row. Each file is hashed once per process, until
its size, modification or status-change time changes (the last cannot be set
by programs, so restoring the modification time after an edit is noticed).
Optionally the decoded arrays also go to a directory on disk, one validated
entry per image content, so that the next process starts warm; processes
sharing the directory decode each image once in all.

The store's parts: the table of each image size and its views
(``_table``), the validated entry files on disk (``_entries``) and the
claims that let processes share them (``_claims``).
"""

import errno
import hashlib
import os
import stat
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import torch
from tqdm.auto import tqdm

from .._cache import get_image_memory_limit, parse_bytes, register_cache
from .._frame import format_lines
from ._claims import through_entries
from ._entries import DIGEST_SIZE, Entries
from ._images import load_image
from ._table import ImageTable, StoredImages, resized

_CHUNK = 1 << 20  # bytes hashed at a time


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
    lines = format_lines((f"{path}: {reason}" for _, path, reason in failures), " files")
    return f"{len(failures)} image file(s) could not be loaded:\n{lines}"


class ImageStore:
    """Decoded lesion images, kept in memory (and optionally on disk).

    One store serves the whole process (see :func:`get_image_store`): every
    estimator, clone, fold and grid point asks it for images, and only
    images it has not seen at that image size are decoded. An image is
    known by a digest of its file's bytes, so an edited file is decoded
    again and identical files are decoded once.

    The images stay in memory up to ``memory_limit`` bytes (all image sizes
    together); those beyond it are served from disk, read into each batch
    that gathers them: from the ``cache_dir`` they were loaded with, or,
    without one, from a private temporary directory removed when the images
    are cleared and no longer used, or when the process ends.

    Parameters
    ----------
    memory_limit : int or str, default=None
        Bytes of images kept in memory (``"2GiB"`` style strings work too);
        ``None`` follows :func:`~skmultimodal._cache.get_image_memory_limit`,
        the process-wide setting, at each load.

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

    def __init__(self, memory_limit=None):
        self.memory_limit = memory_limit
        self._tables = {}
        self._digests = {}  # file identity and times -> content digest
        self._lock = threading.Lock()
        self.n_decoded = 0
        self.n_read_from_disk = 0

    def load(self, paths, *, image_size, cache_dir=None, n_jobs=None, progress=False):
        """Return the decoded images of ``paths``, decoding only new images.

        Parameters
        ----------
        paths : sequence of str
            Image files; repeats, and files of identical content, are decoded
            once.
        image_size : int
            Side of the decoded squares.
        cache_dir : str or os.PathLike, default=None
            Directory where decoded arrays are also kept across processes.
            A damaged or foreign entry in it is decoded again and replaced,
            with a warning naming it.
        n_jobs : int, default=None
            Threads reading and decoding files; ``None`` or ``-1`` uses every
            CPU. Hashing, decoding and resizing release the GIL, so threads
            scale.
        progress : bool, default=False
            Show a progress bar while decoding.

        Returns
        -------
        images : StoredImages
            The images, in the order of ``paths``.

        Raises
        ------
        ImageLoadError
            Listing every file that cannot be loaded, for whatever reason
            (missing, a directory, not readable, not an image); the other
            files are decoded and kept all the same.
        """
        paths = list(paths)
        limit = (
            get_image_memory_limit() if self.memory_limit is None
            else parse_bytes(self.memory_limit)
        )
        workers = os.cpu_count() if n_jobs in (None, -1) else max(1, int(n_jobs))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            identified = list(pool.map(self._identify, paths))
            digests = [digest for digest, _ in identified]
            with self._lock:
                table = self._tables.setdefault(image_size, ImageTable(image_size))
                todo = {}
                for digest, path in zip(digests, paths):
                    if digest is not None and digest not in table.row_of:
                        todo.setdefault(digest, path)
            # Unreadable files do not stop the others: the readable ones are
            # decoded (and kept) so that every problem is reported at once.
            entries = None if cache_dir is None else Entries(cache_dir, image_size)
            failed = self._fill(table, todo, entries, limit, pool, progress)
        failures = [
            (position, path, reason if digest is None else failed[digest])
            for position, (path, (digest, reason)) in enumerate(zip(paths, identified))
            if digest is None or digest in failed
        ]
        if failures:
            raise ImageLoadError(_failure_message(failures), failures)
        with self._lock:
            rows = torch.tensor([table.row_of[digest] for digest in digests], dtype=torch.int64)
        return StoredImages(table, rows)

    def _identify(self, path):
        """The content digest of ``path``, or why there is none: ``(digest, reason)``."""
        try:
            status = os.stat(path)
            if stat.S_ISDIR(status.st_mode):
                raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
            if not stat.S_ISREG(status.st_mode):
                return None, "not a regular file (a device, pipe or socket)"
            key = _file_times(status)
            digest = self._digests.get(key)
            if digest is None:
                content = hashlib.blake2b(digest_size=DIGEST_SIZE)
                with open(path, "rb") as file:
                    while chunk := file.read(_CHUNK):
                        content.update(chunk)
                    unchanged = _file_times(os.fstat(file.fileno())) == key
                digest = content.digest()
                if unchanged:  # a file written while it was read is hashed again next time
                    self._digests[key] = digest
            return digest, None
        except Exception as error:  # noqa: BLE001 - every reason is reported
            return None, _reason(error)

    def _fill(self, table, todo, entries, limit, pool, progress):
        """Decode, or read from ``entries``, the images of ``todo`` into ``table``.

        Returns the reason of each digest that failed.
        """
        failed, damaged = {}, []
        if not todo:
            return failed
        with self._lock:
            self._make_room(table, len(todo), limit)

        def work(item, wait=False):
            digest, path = item
            try:
                if entries is None:
                    pixels = _decode(path, table.image_size)
                    how = "decoded"
                else:
                    found = through_entries(entries, digest, path, wait, damaged, _decode)
                    if found is None:
                        return digest, None, "claimed"
                    pixels, how = found
            except Exception as error:  # noqa: BLE001 - every reason is reported
                return digest, _reason(error), "failed"
            with self._lock:
                if how == "disk":
                    self.n_read_from_disk += 1
                else:
                    self.n_decoded += 1
            entry = None if entries is None else entries.path(digest)
            self._keep(table, digest, pixels, entry, limit)
            return digest, None, how

        bar = tqdm(
            total=len(todo), desc=f"Decoding images ({table.image_size} px)", unit="img",
            disable=not progress, leave=False,
        )
        # Images another process is decoding are waited for last, so that
        # meanwhile this one decodes the others. A thread holds one claim at
        # a time and never waits while holding one: no deadlock between
        # processes.
        claimed = {}
        for wait, items in ((False, todo), (True, claimed)):
            for digest, reason, how in pool.map(partial(work, wait=wait), items.items()):
                if how == "claimed":
                    claimed[digest] = todo[digest]
                    continue
                bar.update()
                if how == "failed":
                    failed[digest] = reason
        bar.close()
        if damaged:
            lines = format_lines(
                f"{entry}: {problem} (image {path})" for entry, problem, path in damaged
            )
            warnings.warn(
                f"{len(damaged)} entries of the image cache were damaged or not "
                "written by this version; their images were decoded again and "
                f"the entries replaced:\n{lines}",
                stacklevel=3,
            )
        return failed

    def _keep(self, table, digest, pixels, entry, limit):
        """Add an image to ``table``: in memory while ``limit`` allows, else on disk.

        On disk means its ``entry`` file, or without one (no ``cache_dir``)
        an entry in the table's private directory.
        """
        with self._lock:
            if digest in table.row_of:  # loaded meanwhile by another thread
                return
            if table.n_in_memory == len(table.data):
                self._make_room(table, 1, limit)
            if table.n_in_memory < len(table.data):
                table.add(digest, pixels)
                return
            if entry is not None:
                table.add(digest, entry=entry)
                return
            spill = table.spill_entries()
        spill.write(digest, pixels)
        with self._lock:
            if digest not in table.row_of:
                table.add(digest, entry=spill.path(digest))

    def _make_room(self, table, wanted, limit):
        """Grow ``table``'s memory for ``wanted`` more images, as far as ``limit`` allows."""
        missing = wanted - (len(table.data) - table.n_in_memory)
        if missing <= 0:
            return
        # At least doubling, so that loads of a few images each copy little.
        extra = min(max(missing, len(table.data)), (limit - self.nbytes) // table.row_bytes)
        if extra > 0:
            table.data = resized(table.data, len(table.data) + extra)

    def clear(self):
        """Forget every decoded image held in memory (disk caches stay)."""
        with self._lock:
            self._tables.clear()
            self._digests.clear()

    @property
    def nbytes(self):
        """Memory held by decoded images, in bytes."""
        return sum(t.data.nelement() for t in list(self._tables.values()))

    def cache_info(self):
        """``count`` (images held), ``nbytes``, ``n_on_disk`` and ``memory_limit``."""
        tables = list(self._tables.values())
        return {
            "count": sum(table.size for table in tables),
            "nbytes": self.nbytes,
            "n_on_disk": sum(len(table.on_disk) for table in tables),
            "memory_limit": (
                get_image_memory_limit() if self.memory_limit is None
                else parse_bytes(self.memory_limit)
            ),
        }


def _file_times(status):
    """What identifies a file's content until it is written again."""
    return (
        status.st_dev, status.st_ino, status.st_size,
        status.st_mtime_ns, status.st_ctime_ns,
    )


def _decode(path, image_size):
    """The ``(3, size, size)`` pixels of an image file, channels first as stored."""
    return load_image(path, image_size).transpose(2, 0, 1)


def _reason(error):
    if isinstance(error, FileNotFoundError):
        return "file not found"
    if isinstance(error, IsADirectoryError):
        return "is a directory, not an image file"
    if isinstance(error, PermissionError):
        return "permission denied"
    return f"{type(error).__name__}: {error}"


_STORE = register_cache("images", ImageStore())


def get_image_store():
    """Return the process-wide :class:`ImageStore` every estimator uses.

    Returns
    -------
    store : ImageStore
        The shared store; :func:`~skmultimodal._cache.clear_caches` frees its
        memory (and that of the other caches).

    Examples
    --------
    >>> from skmultimodal.preprocessing import get_image_store
    >>> store = get_image_store()
    >>> store.nbytes >= 0
    True
    """
    return _STORE
