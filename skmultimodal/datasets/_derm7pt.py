"""Derm7pt: the seven-point checklist data set, clinical and dermoscopic pairs."""

import numpy as np
import pandas as pd

from .._frame import format_rows
from ._base import (
    SEXES,
    build_dataset,
    check_options,
    find_tables,
    image_path,
    index_by,
    map_labels,
    map_vocabulary,
    read_table,
    resolve_root,
)

NAME = "Derm7pt"
URL = "https://derm.cs.sfu.ca/"
METADATA = "meta/meta.csv"
SPLITS = {
    "train": "meta/train_indexes.csv",
    "valid": "meta/valid_indexes.csv",
    "test": "meta/test_indexes.csv",
}
IMAGE_FOLDER = "images"

NEVI = (
    "blue nevus",
    "clark nevus",
    "combined nevus",
    "congenital nevus",
    "dermal nevus",
    "recurrent nevus",
    "reed or spitz nevus",
)
MELANOMAS = (
    "melanoma",
    "melanoma (in situ)",
    "melanoma (less than 0.76 mm)",
    "melanoma (0.76 to 1.5 mm)",
    "melanoma (more than 1.5 mm)",
    "melanoma metastasis",
)
# Lentigo joins seborrheic keratosis in bkl, as lentigines do in the benign
# keratosis class of HAM10000, ISIC and MILK10k. Dermatofibroma, melanosis,
# vascular lesions and "miscellaneous" are other.
LABELS = {
    **dict.fromkeys(NEVI, "nevus"),
    **dict.fromkeys(MELANOMAS, "melanoma"),
    "basal cell carcinoma": "bcc",
    "seborrheic keratosis": "bkl",
    "lentigo": "bkl",
}

SITES = {
    "head neck": "head/neck",
    "upper limbs": "upper extremity",
    "lower limbs": "lower extremity",
    "back": "torso",
    "chest": "torso",
    "abdomen": "torso",
    "buttocks": "torso",
    "acral": "palms/soles",
    "genital areas": "oral/genital",
}

ELEVATIONS = {level: level for level in ("flat", "palpable", "nodular")}

DESCR = f"""
Derm7pt
=======

The seven-point checklist data set: 1,011 cases, each with a clinical
(macroscopic) and a dermoscopic image, the diagnosis, the seven-point
checklist criteria and a little patient data, from the Interactive Atlas of
Dermoscopy. An official split into 413 training, 203 validation and 395 test
cases comes with it (`split`). One row per case.

Citation: Kawahara J, Daneshvar S, Argenziano G, Hamarneh G. Seven-point
checklist and skin lesion classification using multitask multimodal neural
nets. IEEE J Biomed Health Inform 23(2), 538-546 (2019).
https://doi.org/10.1109/JBHI.2018.2824327
Licence: for research, on registration at the download site; see its terms.
Download: {URL} (release_v0: meta/meta.csv, meta/*_indexes.csv, images/).

Columns
-------
- clinical, dermoscopic: paths of images/<clinic> and images/<derm>, found
  anywhere under the folder in a folder of the table's name (e.g. NEL/);
  names are compared case-insensitively because the case of the published
  file names and extensions differs from the table's.
- sex: from sex.
- site: from location: head neck -> head/neck; upper limbs -> upper
  extremity; lower limbs -> lower extremity; back, chest, abdomen, buttocks
  -> torso; acral -> palms/soles; genital areas -> oral/genital.
- elevation: flat, palpable or nodular.
- No age: the table has none.
- groups: case_num (Derm7pt has no patient ids). Index: case_num.
- Left out: diagnosis (the label); the seven criteria (pigment_network,
  streaks, pigmentation, regression_structures, dots_and_globules,
  blue_whitish_veil, vascular_structures), seven_point_score,
  level_of_diagnostic_difficulty and management, which are judgements made
  with the diagnosis in view and give it away; case_id and notes.

Labels (diagnosis -> target)
----------------------------
blue, clark, combined, congenital, dermal, recurrent, reed or spitz nevus ->
nevus; melanoma and its variants (in situ, by thickness, metastasis) ->
melanoma; basal cell carcinoma -> bcc; seborrheic keratosis and lentigo ->
bkl; dermatofibroma, melanosis, miscellaneous and vascular lesion -> other.
There is no SCC. The original diagnosis is in `diagnosis`.
"""


def load_derm7pt(root, *, other="drop", missing_images="raise", return_X_y=False):
    """Load Derm7pt, the seven-point checklist set of clinical and dermoscopic pairs.

    1,011 cases, one row per case, each with a clinical and a dermoscopic
    image, sex, body site and the lesion's elevation, and the official
    train/validation/test split. See ``DESCR`` for the column and label
    mapping.

    Parameters
    ----------
    root : str or path-like
        The folder holding ``meta/meta.csv`` and
        ``meta/{train,valid,test}_indexes.csv`` (or a subfolder of it that
        does, such as ``release_v0/``) and the images under ``images/`` as
        unpacked from https://derm.cs.sfu.ca/. Each image of the ``clinic``
        and ``derm`` columns (e.g. ``NEL/Nel026.jpg``) is found anywhere
        below ``root`` in a folder of the table's name. Folder and file
        names are compared case-insensitively, because the published
        files' names and extensions differ in case from the table's (e.g.
        ``NEL/NEL026.JPG``).
    other : {"drop", "keep"}, default="drop"
        Cases outside the paper's five classes (dermatofibroma, melanosis,
        vascular lesions, miscellaneous): ``"drop"`` leaves them out,
        ``"keep"`` labels them ``"other"``.
    missing_images : {"raise", "drop", "ignore"}, default="raise"
        Images not found: ``"raise"`` lists them all in one error, ``"drop"``
        leaves out the cases missing either image with a warning,
        ``"ignore"`` keeps the publisher's paths unchecked (for work on the
        metadata alone).
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    dataset : :class:`~sklearn.utils.Bunch`
        With ``frame`` (the lesion frame and a ``target`` column), ``data``
        (the lesion frame: ``clinical``, ``dermoscopic``, ``sex``, ``site``,
        ``elevation``), ``target`` (class labels), ``groups``
        (``case_num``), ``diagnosis`` (the publisher's), ``split``
        (``"train"``, ``"valid"`` or ``"test"``, from the index files),
        ``feature_names``, ``target_names`` and ``DESCR``; all indexed by
        ``case_num``.
    (data, target) : tuple of DataFrame and Series
        If ``return_X_y`` is true.

    Raises
    ------
    FileNotFoundError
        If ``root`` holds no Derm7pt tables (the message lists what it
        holds), or images are missing and ``missing_images="raise"``.
    ValueError
        If the split files name rows that ``meta.csv`` lacks, or a row twice.

    See Also
    --------
    load_dataset : Load any supported data set from a ``"name:path"`` string.
    load_milk10k : MILK10k, a larger set of clinical and dermoscopic pairs.

    Examples
    --------
    >>> from skmultimodal.datasets import load_derm7pt
    >>> derm = load_derm7pt("~/data/derm7pt/release_v0")  # doctest: +SKIP
    >>> train = derm.split == "train"  # doctest: +SKIP
    >>> X_train, y_train = derm.data[train], derm.target[train]  # doctest: +SKIP
    """
    check_options(other, missing_images)
    root = resolve_root(root, dataset=NAME, url=URL)
    base, (path, *split_paths) = find_tables(
        root,
        [(METADATA,), *((name,) for name in SPLITS.values())],
        dataset=NAME,
        url=URL,
    )
    table = read_table(
        path,
        ["case_num", "diagnosis", "location", "sex", "elevation", "clinic", "derm"],
    )
    table = index_by(table, "case_num", path)
    split = _split(table.index, dict(zip(SPLITS, split_paths, strict=True)), path)
    images = pd.DataFrame(
        {
            column: [image_path(base, IMAGE_FOLDER, name) for name in table[source]]
            for column, source in (("clinical", "clinic"), ("dermoscopic", "derm"))
        },
        index=table.index,
    )
    metadata = pd.DataFrame(
        {
            "sex": map_vocabulary(table["sex"], SEXES, "sex", path),
            "site": map_vocabulary(table["location"], SITES, "location", path),
            "elevation": map_vocabulary(
                table["elevation"], ELEVATIONS, "elevation", path
            ),
        }
    )
    diagnosis = table["diagnosis"]
    return build_dataset(
        dataset=NAME,
        unit="cases",
        root=root,
        images=images,
        metadata=metadata,
        target=map_labels(diagnosis, LABELS, path),
        groups=pd.Series(table.index, index=table.index, name="case_num"),
        diagnosis=diagnosis,
        other=other,
        missing_images=missing_images,
        description=DESCR,
        return_X_y=return_X_y,
        extras={"split": split},
        # The table's folder, not the file name alone, identifies an image.
        match_parts=2,
    )


def _split(index, paths, metadata_path):
    """The split of each row of the table indexed by ``index``.

    The split files give 0-based row numbers of ``meta.csv``.
    """
    split = np.full(len(index), None, dtype=object)
    for name, path in paths.items():
        rows = read_table(path, ["indexes"])["indexes"]
        numbers = pd.to_numeric(rows, errors="coerce")
        invalid = ~numbers.between(0, len(index) - 1) | (numbers % 1 != 0)
        if invalid.any():
            raise ValueError(
                f"{path!r} lists {format_rows(rows[invalid])}, which are not row "
                f"numbers of {metadata_path!r} (0 to {len(index) - 1}). Use the "
                "split files of the same release."
            )
        numbers = numbers.astype(int)
        taken = pd.notna(split[numbers.to_numpy()])
        repeated = numbers[numbers.duplicated().to_numpy() | taken]
        if len(repeated):
            raise ValueError(
                f"{path!r} lists row(s) {format_rows(sorted(set(repeated)))} of "
                f"{metadata_path!r} that are already in a split; each row belongs "
                "to one split."
            )
        split[numbers.to_numpy()] = name
    return pd.Series(list(split), index=index, name="split")
