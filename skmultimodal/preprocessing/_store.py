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
"""

import errno
import hashlib
import os
import shutil
import stat
import struct
import tempfile
import threading
import warnings
import weakref
import zlib
from concurrent.futures import ThreadPoolExecutor
from functools import partial

import numpy as np
import torch
from tqdm.auto import tqdm

from .._cache import get_image_memory_limit, parse_bytes, register_cache
from ._images import DECODER_VERSION, load_image

try:
    import fcntl
except ImportError:  # Windows: no claims between processes (see _claim)
    fcntl = None


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

    @property
    def digests(self):
        """One 64-bit identity per image, from the content of its file.

        The first 8 bytes of the file's content digest as a signed integer:
        the same for identical files, across processes, image sizes and
        library versions, and different (but for a 2**-64 chance) for files
        of other content. Suited to seeding per-image randomness.

        Returns
        -------
        digests : torch.Tensor of int64, shape (n_images,)
        """
        return self.table.identity[self.rows]

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
            The images, channels first, dtype uint8, whether they are held
            in memory or served from disk (beyond the memory limit).
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


def _grown(tensor, rows):
    """``tensor`` with room for ``rows`` rows, doubled if it has not."""
    return tensor if rows <= len(tensor) else _resized(tensor, max(rows, 2 * len(tensor)))


def _resized(tensor, capacity):
    resized = torch.empty((capacity, *tensor.shape[1:]), dtype=tensor.dtype)
    resized[: len(tensor)] = tensor
    return resized


class _Table:
    """All decoded images of one size, in memory or on disk.

    The images in memory are rows of one uint8 tensor, grown by doubling up
    to the memory limit. The others are entry files on disk, read straight
    into the batch that gathers them.
    """

    def __init__(self, image_size):
        self.image_size = image_size
        self.row_bytes = 3 * image_size * image_size
        self.row_of = {}  # content digest -> row
        self.data = torch.empty((0, 3, image_size, image_size), dtype=torch.uint8)
        self.n_in_memory = 0  # rows of data in use
        # Per row: its row of data, or -1 - its position in on_disk.
        self.slot = torch.empty(0, dtype=torch.int64)
        self.on_disk = []  # entry file of each image served from disk
        self.identity = torch.empty(0, dtype=torch.int64)
        self.size = 0
        self.spill = None  # _Entries of a private directory, for want of a cache_dir
        self.pixel_offset = len(_npy_header((3, image_size, image_size)))

    def add(self, digest, pixels=None, entry=None):
        """Append one image, ``(3, size, size)`` ``pixels`` in memory or an ``entry`` file."""
        row = self.size
        # Readers holding the old tensors keep a valid copy of their rows.
        self.slot = _grown(self.slot, row + 1)
        self.identity = _grown(self.identity, row + 1)
        if pixels is None:
            self.on_disk.append(entry)
            self.slot[row] = -len(self.on_disk)
        else:
            self.data[self.n_in_memory].numpy()[...] = pixels
            self.slot[row] = self.n_in_memory
            self.n_in_memory += 1
        self.identity[row] = _identity(digest)
        self.row_of[digest] = row
        self.size = row + 1
        return row

    def spill_entries(self):
        """Entries in a private temporary directory, removed with this table."""
        if self.spill is None:
            directory = tempfile.mkdtemp(prefix="skmultimodal-images-")
            # Also run at exit; only by the process that made the directory.
            weakref.finalize(self, _remove_directory, directory, os.getpid())
            self.spill = _Entries(directory, self.image_size)
        return self.spill

    def gather(self, rows, out=None):
        """The images at ``rows`` as one ``(n, 3, size, size)`` uint8 tensor."""
        data = self.data
        if not self.on_disk:  # rows are rows of data
            return torch.index_select(data, 0, rows, out=out)
        slots = self.slot[rows]
        on_disk = slots < 0
        if out is None:
            out = torch.empty((len(slots), *data.shape[1:]), dtype=torch.uint8)
        elif not out.is_contiguous():
            return out.copy_(self.gather(rows))
        if not bool(on_disk.all()):
            # One copy for every row; those on disk copy row 0, then are
            # overwritten: cheaper than scattering (index_copy_ is ten times
            # slower than index_select on uint8 images).
            torch.index_select(data, 0, slots.clamp(min=0), out=out)
        target = out.numpy()
        positions = torch.nonzero(on_disk).squeeze(1).tolist()
        for position, slot in zip(positions, slots[on_disk].tolist()):
            _read_pixels(self.on_disk[-1 - slot], self.pixel_offset, target[position])
        return out


def _read_pixels(entry, offset, target):
    buffer = memoryview(target).cast("B")
    try:
        if hasattr(os, "preadv"):  # half the time of a file object, from the page cache
            descriptor = os.open(entry, os.O_RDONLY)
            try:
                count = os.preadv(descriptor, [buffer], offset)
            finally:
                os.close(descriptor)
        else:  # Windows
            with open(entry, "rb", buffering=0) as file:
                file.seek(offset)
                count = file.readinto(buffer)
    except FileNotFoundError:
        count = None
    if count != target.nbytes:
        raise OSError(
            f"The image cache entry {entry}, which serves an image beyond the "
            "memory limit, was removed or cut short while in use. Do not remove "
            "or edit a cache_dir while processes use it; call "
            "skmultimodal.clear_caches() and load the images again."
        )


def _remove_directory(directory, owner):
    if os.getpid() == owner:
        shutil.rmtree(directory, ignore_errors=True)


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
                table = self._tables.setdefault(image_size, _Table(image_size))
                todo = {}
                for digest, path in zip(digests, paths):
                    if digest is not None and digest not in table.row_of:
                        todo.setdefault(digest, path)
            # Unreadable files do not stop the others: the readable ones are
            # decoded (and kept) so that every problem is reported at once.
            entries = None if cache_dir is None else _Entries(cache_dir, image_size)
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
                content = hashlib.blake2b(digest_size=_DIGEST_SIZE)
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
                    pixels = load_image(path, table.image_size).transpose(2, 0, 1)
                    how = "decoded"
                else:
                    found = _through_entries(entries, digest, path, wait, damaged)
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
            lines = [f"  {entry}: {problem} (image {path})" for entry, problem, path in damaged]
            warnings.warn(
                f"{len(damaged)} entries of the image cache were damaged or not "
                "written by this version; their images were decoded again and "
                "the entries replaced:\n" + "\n".join(lines[:10])
                + (f"\n  ... ({len(lines)} in all)" if len(lines) > 10 else ""),
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
            table.data = _resized(table.data, len(table.data) + extra)

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


_DIGEST_SIZE = 16  # bytes of a content digest (BLAKE2b)
_CHUNK = 1 << 20  # bytes hashed at a time


def _file_times(status):
    """What identifies a file's content until it is written again."""
    return (
        status.st_dev, status.st_ino, status.st_size,
        status.st_mtime_ns, status.st_ctime_ns,
    )


def _identity(digest):
    return int.from_bytes(digest[:8], "little", signed=True)


# Entry format: bumped whenever the layout of an entry file changes.
_FORMAT_VERSION = 1
_MAGIC = b"SKMMIMG\x00"
# magic, format version, decoder version, image size, pixel CRC-32, content digest
_TRAILER = struct.Struct(f"<8s4I{_DIGEST_SIZE}s")


class _DamagedEntry(Exception):
    def __init__(self, path, problem):
        super().__init__(f"{path}: {problem}")
        self.path, self.problem = path, problem


class _Entries:
    """The decoded images of one size in a cache directory, one file per content.

    ``<cache_dir>/<size>px-v<format>.<decoder>/<ab>/<digest>.npy``, where
    ``<digest>`` is the hexadecimal content digest of the source file and
    ``<ab>`` its first two characters (directories of a few hundred files
    stay quick on shared filesystems). An entry is a ``.npy`` file of the
    ``(3, size, size)`` uint8 pixels, channels first, so that
    ``numpy.load(entry, mmap_mode="r")`` maps it, followed by a trailer that
    ``numpy`` ignores: magic bytes, format and decoder versions, image size,
    a CRC-32 of the pixels and the content digest. An entry that is not
    exactly that is damaged: its image is decoded again and the entry
    replaced.
    """

    def __init__(self, cache_dir, image_size):
        self.image_size = image_size
        self.directory = os.path.join(
            os.fspath(cache_dir), f"{image_size}px-v{_FORMAT_VERSION}.{DECODER_VERSION}"
        )
        self.header = _npy_header((3, image_size, image_size))
        self.n_pixels = 3 * image_size * image_size
        self.nbytes = len(self.header) + self.n_pixels + _TRAILER.size

    def path(self, digest):
        name = digest.hex()
        return os.path.join(self.directory, name[:2], name + ".npy")

    def read(self, digest):
        """The pixels of ``digest``'s entry; raises FileNotFoundError or _DamagedEntry."""
        path = self.path(digest)
        with open(path, "rb") as file:
            data = file.read(self.nbytes + 1)
        problem = self._problem(data, digest)
        if problem is not None:
            raise _DamagedEntry(path, problem)
        pixels = np.frombuffer(data, np.uint8, self.n_pixels, len(self.header))
        return pixels.reshape(3, self.image_size, self.image_size)

    def _problem(self, data, digest):
        if not data:
            return "empty file"
        if not data.startswith(self.header):
            return f"not an array of {self.image_size} x {self.image_size} RGB pixels"
        if len(data) != self.nbytes:
            return f"{len(data)} bytes instead of {self.nbytes}"
        magic, version, decoder, size, checksum, content = _TRAILER.unpack_from(
            data, len(data) - _TRAILER.size
        )
        if (magic, version, decoder, size) != (
            _MAGIC, _FORMAT_VERSION, DECODER_VERSION, self.image_size
        ):
            return "not an entry of this format and decoder version"
        if content != digest:
            return "holds the pixels of another image"
        if zlib.crc32(data[len(self.header) : -_TRAILER.size]) != checksum:
            return "pixels do not match their checksum"
        return None

    def write(self, digest, pixels):
        """Write ``digest``'s entry atomically: readers see all of it or none."""
        path = self.path(digest)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        pixels = np.ascontiguousarray(pixels)
        trailer = _TRAILER.pack(
            _MAGIC, _FORMAT_VERSION, DECODER_VERSION, self.image_size,
            zlib.crc32(pixels), digest,
        )
        handle, temporary = tempfile.mkstemp(
            dir=os.path.dirname(path), prefix=os.path.basename(path), suffix=".tmp"
        )
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(self.header + pixels.tobytes() + trailer)
            os.replace(temporary, path)
        except BaseException:
            if os.path.exists(temporary):
                os.remove(temporary)
            raise


def _through_entries(entries, digest, path, wait, damaged):
    """``(pixels, how)`` of ``digest`` from its entry, decoded and written if need be.

    ``how`` is ``"disk"`` or ``"decoded"``. While decoding, the process holds
    a claim on the entry, so that processes sharing the directory decode each
    image once: ``None`` when another process holds it and ``wait`` is false.
    Damaged entries found are appended to ``damaged``.
    """
    try:
        return entries.read(digest), "disk"
    except FileNotFoundError:
        pass
    except _DamagedEntry as error:
        damaged.append((error.path, error.problem, path))
    lock = entries.path(digest)[: -len(".npy")] + ".lock"
    claim = _claim(lock, wait)
    if claim is None:
        return None
    try:
        try:
            return entries.read(digest), "disk"  # written by the process waited for
        except (FileNotFoundError, _DamagedEntry):
            pass
        pixels = load_image(path, entries.image_size).transpose(2, 0, 1)
        entries.write(digest, pixels)
        return pixels, "decoded"
    finally:
        _release(claim, lock)


def _claim(lock, wait):
    """An exclusive claim on the lock file ``lock``: its open descriptor.

    ``None`` when another process holds it and ``wait`` is false; ``-1`` (a
    claim that guards nothing) where ``fcntl.flock`` is missing (Windows) or
    the file system refuses locks: processes may then decode an image twice,
    each writing the same entry atomically. The operating system releases
    the lock of a process that dies. The holder removes the file before
    releasing it, so a process that was waiting on the removed file tries
    again on a new one.
    """
    if fcntl is None:
        return -1
    os.makedirs(os.path.dirname(lock), exist_ok=True)
    while True:
        descriptor = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            os.close(descriptor)
            return None
        except OSError:
            os.close(descriptor)
            return -1
        try:
            current = os.stat(lock)
        except FileNotFoundError:
            current = None
        if current is not None and os.path.samestat(current, os.fstat(descriptor)):
            return descriptor
        os.close(descriptor)


def _release(claim, lock):
    if claim < 0:
        return
    try:
        os.remove(lock)
    except FileNotFoundError:
        pass
    finally:
        os.close(claim)


def _npy_header(shape):
    """The ``.npy`` (version 1.0) header of a C-ordered uint8 array of ``shape``.

    Written out here rather than by ``numpy.lib.format``, whose padding has
    changed between numpy versions: entries must be byte-identical whoever
    wrote them.
    """
    text = f"{{'descr': '|u1', 'fortran_order': False, 'shape': {tuple(shape)}, }}"
    length = 10 + len(text) + 1
    text += " " * (-length % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode("latin1")


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
