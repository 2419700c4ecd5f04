"""Derm7pt: the seven-point checklist data set, clinical and dermoscopic pairs."""

import numpy as np
import pandas as pd

from .._frame import format_rows
from ._base import PublicDataset, Rows
from ._images import image_frame
from ._tables import by_target, harmonise, map_vocabulary, read_table

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

SITES = by_target(
    {
        "head/neck": ("head neck",),
        "upper extremity": ("upper limbs",),
        "lower extremity": ("lower limbs",),
        "torso": ("back", "chest", "abdomen", "buttocks"),
        "palms/soles": ("acral",),
        "oral/genital": ("genital areas",),
    }
)

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


def _read(base, paths):
    path, *split_paths = paths
    splits = dict(zip(SPLITS, split_paths, strict=True))
    table = read_table(
        path,
        ["case_num", "diagnosis", "location", "sex", "elevation", "clinic", "derm"],
        index="case_num",
    )
    metadata = harmonise(table, path, sex="sex", site="location", sites=SITES)
    metadata["elevation"] = map_vocabulary(
        table["elevation"], ELEVATIONS, "elevation", path
    )
    return Rows(
        images=image_frame(
            base,
            IMAGE_FOLDER,
            table.index,
            clinical=table["clinic"],
            dermoscopic=table["derm"],
        ),
        metadata=pd.DataFrame(metadata),
        diagnosis=table["diagnosis"],
        diagnosis_table=path,
        extras={"split": _split(table.index, splits, path)},
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


DERM7PT = PublicDataset(
    name="Derm7pt",
    url=URL,
    tables=[(METADATA,), *((name,) for name in SPLITS.values())],
    unit="cases",
    labels=LABELS,
    description=DESCR,
    read=_read,
    doc={
        "outside": "dermatofibroma, melanosis, vascular lesions, miscellaneous",
        "columns": "``clinical``, ``dermoscopic``, ``sex``, ``site``, ``elevation``",
        "groups": "``case_num``",
        "diagnosis": "the publisher's",
        "extras": '``split`` (``"train"``, ``"valid"`` or ``"test"``, from the '
        "index files)",
        "index": "``case_num``",
        "errors": "Also if the split files name rows that ``meta.csv`` lacks, or "
        "a row twice.",
    },
    # The table's folder, not the file name alone, identifies an image.
    match_parts=2,
)


@DERM7PT.document
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
    %(options)s
    %(return_X_y)s

    %(returns_raises_see_also)s
    load_milk10k : MILK10k, a larger set of clinical and dermoscopic pairs.

    Examples
    --------
    >>> from skmultimodal.datasets import load_derm7pt
    >>> derm = load_derm7pt("~/data/derm7pt/release_v0")  # doctest: +SKIP
    >>> train = derm.split == "train"  # doctest: +SKIP
    >>> X_train, y_train = derm.data[train], derm.target[train]  # doctest: +SKIP
    """
    return DERM7PT.load(
        root, other=other, missing_images=missing_images, return_X_y=return_X_y
    )
