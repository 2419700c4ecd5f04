"""Claims between processes sharing a cache directory, so each image is decoded once.

A process about to decode an image for the disk cache first takes an
exclusive ``flock`` on a lock file beside the image's entry; a process that
finds the claim taken decodes other images meanwhile, then waits for the
entry to be written and reads it.
"""

import os

from ._entries import DamagedEntry

try:
    import fcntl
except ImportError:  # Windows: no claims between processes (see _claim)
    fcntl = None


def through_entries(entries, digest, path, wait, damaged, decode):
    """``(pixels, how)`` of ``digest`` from its entry, decoded and written if need be.

    ``how`` is ``"disk"`` or ``"decoded"``. While decoding, the process holds
    a claim on the entry, so that processes sharing the directory decode each
    image once: ``None`` when another process holds it and ``wait`` is false.
    Damaged entries found are appended to ``damaged``. ``decode(path,
    image_size)`` gives the ``(3, size, size)`` pixels of an image file.
    """
    try:
        return entries.read(digest), "disk"
    except FileNotFoundError:
        pass
    except DamagedEntry as error:
        damaged.append((error.path, error.problem, path))
    lock = entries.path(digest)[: -len(".npy")] + ".lock"
    claim = _claim(lock, wait)
    if claim is None:
        return None
    try:
        try:
            return entries.read(digest), "disk"  # written by the process waited for
        except (FileNotFoundError, DamagedEntry):
            pass
        pixels = decode(path, entries.image_size)
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

