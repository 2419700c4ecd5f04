"""From a lesion frame to a LesionDataset, every image problem reported at once."""

import numpy as np
import torch

from .._frame import IMAGE_MODALITIES, format_lines, format_rows, image_paths
from ..preprocessing import ImageLoadError, get_image_store
from ._data import LesionDataset


def load_lesions(
    X,
    *,
    image_columns,
    image_root,
    image_size,
    metadata,
    metadata_present=None,
    y=None,
    cache_dir=None,
    decode_jobs=None,
    progress=False,
):
    """Build a :class:`LesionDataset` from a validated lesion frame.

    An empty image cell is an image not taken: that lesion lacks the
    modality, and nothing is decoded for it. Every other image problem
    (cells that are not paths, missing files, files that do not decode) is
    collected over all requested modalities and reported in one
    :class:`~skmultimodal.preprocessing.ImageLoadError` before anything is
    trained or predicted.

    Parameters
    ----------
    X : DataFrame
        The lesion frame.
    image_columns : dict of str to str
        Column of each requested image modality.
    image_root : str or None
        Directory relative paths resolve against.
    image_size : int
        Side of the decoded squares.
    metadata : ndarray or None
        Encoded metadata of the rows of ``X``.
    metadata_present : ndarray of bool or None, default=None
        Which lesions have metadata; ``None`` means all of them.
    y : ndarray of int or None
        Class indices.
    cache_dir, decode_jobs, progress
        Passed to :meth:`ImageStore.load`.

    Returns
    -------
    dataset : LesionDataset
        The lesions.
    """
    failures, paths = [], {}
    for modality, column in image_columns.items():
        paths[modality], problems = image_paths(X, column, image_root)
        failures += problems

    store = get_image_store()
    images, present = {}, {}
    for modality in IMAGE_MODALITIES:
        if modality not in paths:
            continue
        given = [i for i, path in enumerate(paths[modality]) if path is not None]
        present[modality] = np.zeros(len(X), dtype=bool)
        present[modality][given] = True
        try:
            images[modality] = store.load(
                [paths[modality][i] for i in given],
                image_size=image_size,
                cache_dir=cache_dir,
                n_jobs=decode_jobs,
                progress=progress,
            )
        except ImageLoadError as error:
            failures += [
                (X.index[given[position]], image_columns[modality], path, reason)
                for position, path, reason in error.failures
            ]
    if failures:
        raise ImageLoadError(_frame_failure_message(failures, image_root), failures)
    if metadata_present is not None:
        present["metadata"] = metadata_present
    return LesionDataset(
        images,
        None if metadata is None else torch.as_tensor(metadata, dtype=torch.float32),
        None if y is None else torch.as_tensor(y, dtype=torch.int64),
        len(X),
        present={m: torch.from_numpy(mask.copy()) for m, mask in present.items()},
    )


def _frame_failure_message(failures, image_root):
    lines = format_lines(
        (
            f"row {format_rows([row])}, column {column!r}: {path}: {reason}"
            for row, column, path, reason in failures
        ),
        " images",
    )
    hint = "Fix or replace these files, or drop their rows."
    if all(reason == "file not found" for *_, reason in failures):
        hint += (
            f" If none is found, check image_root (now {image_root!r}) and the "
            "working directory: relative paths resolve against them."
        )
    return (
        f"{len(failures)} image(s) of the lesion frame could not be loaded, so "
        f"nothing was trained or predicted:\n{lines}\n{hint}"
    )
