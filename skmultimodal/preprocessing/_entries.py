"""The on-disk image cache: one validated entry file per image content and size.

An entry is written atomically and read back only when every check passes
(layout, versions, size, the image it belongs to, a checksum of its pixels),
so that a damaged or foreign file is decoded again rather than trusted.
"""

import os
import struct
import zlib

import numpy as np

from .._atomic import written_whole
from ._images import DECODER_VERSION

DIGEST_SIZE = 16  # bytes of a content digest (BLAKE2b)

# Entry format: bumped whenever the layout of an entry file changes.
_FORMAT_VERSION = 1
_MAGIC = b"SKMMIMG\x00"
# magic, format version, decoder version, image size, pixel CRC-32, content digest
_TRAILER = struct.Struct(f"<8s4I{DIGEST_SIZE}s")


class DamagedEntry(Exception):
    """An entry file that is not exactly what :meth:`Entries.write` writes."""

    def __init__(self, path, problem):
        super().__init__(f"{path}: {problem}")
        self.path, self.problem = path, problem


class Entries:
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
        self.header = npy_header((3, image_size, image_size))
        self.n_pixels = 3 * image_size * image_size
        self.nbytes = len(self.header) + self.n_pixels + _TRAILER.size

    def path(self, digest):
        name = digest.hex()
        return os.path.join(self.directory, name[:2], name + ".npy")

    def read(self, digest):
        """The pixels of ``digest``'s entry; raises FileNotFoundError or DamagedEntry."""
        path = self.path(digest)
        with open(path, "rb") as file:
            data = file.read(self.nbytes + 1)
        problem = self._problem(data, digest)
        if problem is not None:
            raise DamagedEntry(path, problem)
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
        with written_whole(path) as temporary, open(temporary, "wb") as file:
            file.write(self.header + pixels.tobytes() + trailer)


def npy_header(shape):
    """The ``.npy`` (version 1.0) header of a C-ordered uint8 array of ``shape``.

    Written out here rather than by ``numpy.lib.format``, whose padding has
    changed between numpy versions: entries must be byte-identical whoever
    wrote them.
    """
    text = f"{{'descr': '|u1', 'fortran_order': False, 'shape': {tuple(shape)}, }}"
    length = 10 + len(text) + 1
    text += " " * (-length % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode("latin1")
