"""The decoded images of one size: rows of one tensor, and entry files beyond it.

A table holds the images the memory limit allows as rows of one growing
uint8 tensor and serves the others from their entry files on disk, read
straight into the batch that gathers them; :class:`StoredImages` is a view
of some of its rows, the images of one request.
"""

import os
import shutil
import tempfile
import weakref

import torch

from ._entries import Entries, npy_header


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
    return tensor if rows <= len(tensor) else resized(tensor, max(rows, 2 * len(tensor)))


def resized(tensor, capacity):
    """``tensor``'s rows at the start of a new tensor of ``capacity`` rows."""
    copy = torch.empty((capacity, *tensor.shape[1:]), dtype=tensor.dtype)
    copy[: len(tensor)] = tensor
    return copy


class ImageTable:
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
        self.spill = None  # Entries of a private directory, for want of a cache_dir
        self.pixel_offset = len(npy_header((3, image_size, image_size)))

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
            self.spill = Entries(directory, self.image_size)
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


def _identity(digest):
    return int.from_bytes(digest[:8], "little", signed=True)
