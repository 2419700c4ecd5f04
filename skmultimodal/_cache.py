"""The process-wide caches of skmultimodal: one registry, lifetime and memory policy.

Three caches make repeated fits cheap: the decoded images
(:func:`~skmultimodal.preprocessing.get_image_store`), the features of frozen
towers (:func:`~skmultimodal.neural.get_feature_store`) and the towers built
from a recipe (backbone, weights, seed), which later fits copy instead of
building again. They share one lifetime: a cache lives for the whole process,
shared by every estimator, clone, fold and grid point, until
:func:`clear_caches` or the end of the process. Their memory policy:

- decoded images stay in memory up to :func:`get_image_memory_limit`; the
  images beyond it are served from memory-mapped files on disk;
- features belong to the decoded images they were computed from and are
  freed with them;
- of the towers, those of the last :data:`TOWER_RECIPES_KEPT` recipes used are
  kept, the least recently used dropped first.

This module sits below the rest of the library and imports none of it: each
cache registers itself here when its module is imported.
"""

import math
import os
import re
import threading
from collections import OrderedDict

from sklearn.utils import Bunch

#: Environment variable holding the image memory limit, inherited by worker
#: processes (joblib, Dask, ``multiprocessing``).
IMAGE_MEMORY_LIMIT_VARIABLE = "SKMULTIMODAL_IMAGE_MEMORY_LIMIT"

#: Bytes of decoded images kept in memory when nothing else is set: 2 GiB,
#: about 14,000 images at 224 pixels.
DEFAULT_IMAGE_MEMORY_LIMIT = 2 * 1024**3

#: Tower recipes whose towers are kept for later fits to copy.
TOWER_RECIPES_KEPT = 4

_UNITS = {
    "": 1, "b": 1,
    "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4,
    "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4,
}
_AMOUNT = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-z]*)\s*$", re.IGNORECASE)

_CACHES = {}
_CACHES_LOCK = threading.Lock()


def register_cache(name, cache):
    """Put ``cache`` under :func:`clear_caches` and :func:`cache_info`.

    Parameters
    ----------
    name : str
        Its key in :func:`cache_info`.
    cache : object
        Has ``clear()``, freeing its memory, and ``cache_info()``, returning a
        dict with at least ``count`` and ``nbytes``.

    Returns
    -------
    cache : object
        ``cache`` itself.
    """
    with _CACHES_LOCK:
        _CACHES[name] = cache
    return cache


def clear_caches():
    """Free the memory of every process-wide cache; disk caches stay.

    Forgets the decoded images, the frozen-tower features and the tower
    templates. Fitted estimators keep working: their models do not use the
    caches, and images or features still held by a running fit stay valid
    until it lets go of them. The next fit decodes (or reads from its
    ``cache_dir``) and computes again what it needs.

    See Also
    --------
    cache_info : what the caches hold now.

    Examples
    --------
    >>> from skmultimodal._cache import cache_info, clear_caches
    >>> clear_caches()
    >>> cache_info().images.count
    0
    """
    with _CACHES_LOCK:
        caches = list(_CACHES.values())
    for cache in caches:
        cache.clear()


def cache_info():
    """What each process-wide cache holds now.

    Returns
    -------
    info : Bunch
        One Bunch per cache (``images``, ``features``, ``towers``), each with
        ``count`` (images, feature vectors or towers held) and ``nbytes``
        (memory they take). ``images`` also has ``n_on_disk`` (of its images,
        those served from disk) and ``memory_limit``; ``towers`` has
        ``maxsize``.

    Examples
    --------
    >>> from skmultimodal._cache import cache_info
    >>> info = cache_info()
    >>> sorted(info)
    ['features', 'images', 'towers']
    >>> info.towers.maxsize
    4
    """
    with _CACHES_LOCK:
        caches = dict(_CACHES)
    return Bunch(**{name: Bunch(**cache.cache_info()) for name, cache in caches.items()})


def parse_bytes(amount):
    """Bytes in ``amount``: an int, or a string such as ``"2GiB"`` or ``"500 MB"``.

    Binary units (KiB, MiB, GiB, TiB) count in powers of 1024, decimal ones
    (kB, MB, GB, TB) in powers of 1000; a bare number is bytes.
    """
    if isinstance(amount, bool):
        raise TypeError(f"A memory amount must be a number of bytes or a string, not {amount!r}.")
    if isinstance(amount, (int, float)):
        number, unit = amount, ""
    else:
        match = _AMOUNT.match(str(amount))
        if match is None or match.group(2).lower() not in _UNITS:
            raise ValueError(
                f"Cannot read {amount!r} as a memory amount: write a number of "
                "bytes, or a number with a unit such as '2GiB' or '500MB'."
            )
        number, unit = float(match.group(1)), match.group(2).lower()
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"A memory amount must be a finite number >= 0, not {amount!r}.")
    return int(number * _UNITS[unit])


def set_image_memory_limit(limit):
    """Set how many bytes of decoded images the image store keeps in memory.

    The images beyond the limit are served from memory-mapped files: from the
    ``cache_dir`` of the fit that loaded them, or, without one, from a
    private temporary directory of the process, removed when the process
    ends. The setting is kept in the environment variable
    ``SKMULTIMODAL_IMAGE_MEMORY_LIMIT``, so worker processes started
    afterwards (joblib, Dask, ``multiprocessing``) inherit it; setting that
    variable before Python starts works as well.

    Parameters
    ----------
    limit : int, str or None
        Bytes (``2 * 1024**3``), or a string with a unit (``"2GiB"``,
        ``"500MB"``); 0 serves every image from disk. ``None`` restores the
        default, 2 GiB.

    See Also
    --------
    get_image_memory_limit : the limit in force.

    Examples
    --------
    >>> from skmultimodal._cache import get_image_memory_limit, set_image_memory_limit
    >>> set_image_memory_limit("512MiB")
    >>> get_image_memory_limit()
    536870912
    >>> set_image_memory_limit(None)
    >>> get_image_memory_limit() == 2 * 1024**3
    True
    """
    if limit is None:
        os.environ.pop(IMAGE_MEMORY_LIMIT_VARIABLE, None)
    else:
        os.environ[IMAGE_MEMORY_LIMIT_VARIABLE] = str(parse_bytes(limit))


def get_image_memory_limit():
    """Bytes of decoded images the image store keeps in memory.

    Returns
    -------
    limit : int
        From ``SKMULTIMODAL_IMAGE_MEMORY_LIMIT`` (see
        :func:`set_image_memory_limit`), by default 2 GiB.

    Examples
    --------
    >>> from skmultimodal._cache import get_image_memory_limit
    >>> get_image_memory_limit() > 0
    True
    """
    text = os.environ.get(IMAGE_MEMORY_LIMIT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_IMAGE_MEMORY_LIMIT
    try:
        return parse_bytes(text)
    except ValueError as error:
        raise ValueError(
            f"The environment variable {IMAGE_MEMORY_LIMIT_VARIABLE}={text!r} is "
            f"not a memory amount. {error}"
        ) from None


class LRUCache:
    """The values of the last ``maxsize`` keys used; the least recently used go first.

    Thread-safe. ``get`` counts as a use.

    Parameters
    ----------
    maxsize : int
        Values kept.
    sizeof : callable, default=None
        Bytes a value takes, for :meth:`cache_info`.

    Examples
    --------
    >>> from skmultimodal._cache import LRUCache
    >>> cache = LRUCache(2)
    >>> cache["a"], cache["b"] = 1, 2
    >>> cache.get("a")
    1
    >>> cache["c"] = 3  # "b" was used least recently
    >>> cache.get("b") is None, len(cache)
    (True, 2)
    """

    def __init__(self, maxsize, sizeof=None):
        self.maxsize = maxsize
        self._sizeof = sizeof
        self._items = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, default=None):
        """The value of ``key`` (now the most recently used), or ``default``."""
        with self._lock:
            if key not in self._items:
                return default
            self._items.move_to_end(key)
            return self._items[key]

    def __setitem__(self, key, value):
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)

    def __len__(self):
        return len(self._items)

    def clear(self):
        """Forget every value."""
        with self._lock:
            self._items.clear()

    def cache_info(self):
        """``count``, ``nbytes`` (0 without ``sizeof``) and ``maxsize``."""
        with self._lock:
            values = list(self._items.values())
        nbytes = sum(map(self._sizeof, values)) if self._sizeof else 0
        return {"count": len(values), "nbytes": nbytes, "maxsize": self.maxsize}
