"""Finding the image files of a public data set wherever the user put them."""

import os

import numpy as np
import pandas as pd

from ._tables import listing, warn

# Publishers ship JPEG or PNG; the other extensions cover re-encoded copies.
_IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")
# macOS archivers add "__MACOSX/._name.jpg" resource forks next to every image.
_SKIPPED_FOLDERS = ("__MACOSX",)
_MAX_LISTED_PATHS = 5


def image_path(base, *parts):
    """The publisher's location of one image: ``base`` joined with ``parts``.

    Relative parts from a table use ``/``, split so that the path is native.
    NaN where a part is missing: a lesion without an image of a modality.
    """
    if not all(isinstance(part, str) for part in parts):
        return np.nan
    return os.path.join(base, *(p for part in parts for p in part.split("/")))


def image_frame(base, folder, index, **columns):
    """The publisher's image paths, one column per modality, indexed by ``index``.

    Each keyword names a modality's column and gives, in the order of
    ``index``, the paths relative to ``base/folder`` (``/``-separated; NaN
    where a row has no image of that modality).
    """
    return pd.DataFrame(
        {
            column: [image_path(base, folder, relative) for relative in paths]
            for column, paths in columns.items()
        },
        index=index,
    )


def locate_images(expected, root, *, missing_images, dataset, unit, match_parts=1):
    """Find every image file and decide what happens to lesions without one.

    Each file is searched by name anywhere under ``root``: users unpack
    archives into nested folders, split sets into parts, or rename folders,
    and the publishers themselves mix the case of file names. Several files
    of the same name are told apart by how much of the publisher's path
    they share, so that the published layout wins over copies elsewhere.

    Parameters
    ----------
    expected : DataFrame
        One column per modality, indexed by row id: the path each image has
        in the publisher's layout, NaN where a row has no image of that
        modality.
    root : str
        The folder to search.
    missing_images : {"raise", "drop", "ignore"}
        What to do with rows whose files are not found.
    dataset, unit : str
        For messages: the data set's name and what its rows are
        (``"lesions"``, ``"images"``).
    match_parts : int, default=1
        How many trailing parts of the publisher's path a file must share:
        1 where file names are unique ids, 2 where only the folder tells
        files of the same name apart.

    Returns
    -------
    paths : DataFrame
        ``expected`` with every found file's actual path (rows dropped under
        ``"drop"``; the unchecked publisher's paths kept under ``"ignore"``).
    n_missing : int
        Number of rows with at least one file not found.
    """
    files = _image_files(root)
    found = expected.copy()
    missing_paths = []
    missing_rows = np.zeros(len(expected), dtype=bool)
    for column in expected.columns:
        located = []
        for i, path in enumerate(expected[column]):
            if not isinstance(path, str):
                located.append(np.nan)
                continue
            candidates = files.get(os.path.basename(path).lower(), ())
            match = _best_match(path, candidates, match_parts)
            if match is None:
                missing_rows[i] = True
                missing_paths.append(path)
            located.append(path if match is None else match)
        found[column] = located
    n_missing = int(missing_rows.sum())
    if n_missing == 0 or missing_images == "ignore":
        return found, n_missing
    what = f"{n_missing} of the {len(expected)} {dataset} {unit}"
    if missing_images == "drop":
        warn(
            f"Left out {what}, whose image files are missing under {root!r} "
            f"(e.g. {missing_paths[0]!r})."
        )
        return found[~missing_rows], n_missing
    listed = "".join(f"\n  {path}" for path in missing_paths[:_MAX_LISTED_PATHS])
    if len(missing_paths) > _MAX_LISTED_PATHS:
        listed += f"\n  ... and {len(missing_paths) - _MAX_LISTED_PATHS} more"
    if not files:
        listed += f"\nNo image file at all is there; {root!r} contains {listing(root)}."
    raise FileNotFoundError(
        f"Image files are missing for {what}: {len(missing_paths)} file(s) are not "
        f"anywhere under {root!r} (searched with its subfolders, names compared "
        f"case-insensitively):{listed}\nDownload and unpack the {dataset} images "
        "into that folder, or pass missing_images='drop' to leave those "
        f"{unit} out, or missing_images='ignore' to keep their unchecked paths "
        "(for work on the metadata alone)."
    )


def _image_files(root):
    """Every image file under ``root``: lower-case file name -> paths."""
    files = {}
    visited = set()
    folders = [root]
    while folders:
        folder = folders.pop()
        try:
            status = os.stat(folder)
            # Linked folders are followed, so a loop of links must stop.
            if (status.st_dev, status.st_ino) in visited:
                continue
            visited.add((status.st_dev, status.st_ino))
            with os.scandir(folder) as scan:
                entries = list(scan)
        except OSError:
            continue  # an unreadable folder's images are reported as missing
        for entry in entries:
            if entry.name.startswith(".") or entry.name in _SKIPPED_FOLDERS:
                continue
            if entry.is_dir():
                folders.append(entry.path)
            elif entry.name.lower().endswith(_IMAGE_EXTENSIONS):
                files.setdefault(entry.name.lower(), []).append(entry.path)
    return files


def _best_match(expected, candidates, match_parts):
    """The candidate whose path ends most like ``expected``.

    ``None`` when no candidate shares at least ``match_parts`` trailing parts.
    """
    wanted = _parts(expected)

    def shared(candidate):
        parts = _parts(candidate)
        n = 0
        while n < min(len(parts), len(wanted)) and parts[-1 - n] == wanted[-1 - n]:
            n += 1
        return n

    scored = [(-shared(c), c) for c in candidates]
    best = min(scored, default=None)
    return best[1] if best is not None and -best[0] >= match_parts else None


def _parts(path):
    return os.path.normpath(path).lower().split(os.sep)
