"""ISIC 2019 and ISIC 2020: the dermoscopic challenge training sets."""

import pandas as pd

from ._base import PublicDataset, Rows
from ._images import image_frame
from ._tables import check_same_ids, harmonise, one_hot_diagnosis, read_table
from ._vocabulary import SITES as SHARED_SITES

URL = "https://challenge.isic-archive.com/data/"
_COLUMNS = "``dermoscopic``, ``age``, ``sex``, ``site``"

# ISIC's anatom_site_general vocabulary is the shared one, but for the
# subdivided torso of 2019.
SITES = {
    **{site: site for site in SHARED_SITES},
    **dict.fromkeys(("anterior torso", "posterior torso", "lateral torso"), "torso"),
}

METADATA_2019 = "ISIC_2019_Training_Metadata.csv"
TRUTH_2019 = "ISIC_2019_Training_GroundTruth.csv"
IMAGE_FOLDER_2019 = "ISIC_2019_Training_Input"
CODES_2019 = ("MEL", "NV", "BCC", "AK", "BKL", "DF", "VASC", "SCC", "UNK")
# AK stays other: ISIC 2019 moved HAM10000's intraepidermal carcinomas from
# akiec into SCC, so its AK class is actinic keratosis proper, not a cancer.
LABELS_2019 = {
    "nv": "nevus",
    "mel": "melanoma",
    "bcc": "bcc",
    "scc": "scc",
    "bkl": "bkl",
}

# The challenge site and Kaggle ship the same table under these names.
TABLES_2020 = (
    "ISIC_2020_Training_GroundTruth_v2.csv",
    "ISIC_2020_Training_GroundTruth.csv",
    "train.csv",
)
IMAGE_FOLDER_2020 = "train"
# ISIC's benign keratosis class gathers seborrheic and lichenoid keratoses and
# lentigines, as HAM10000's bkl does. "unknown" (benign, no histology) stays
# other: it is not a diagnosis to guess from.
LABELS_2020 = {
    "nevus": "nevus",
    "melanoma": "melanoma",
    "seborrheic keratosis": "bkl",
    "lichenoid keratosis": "bkl",
    "solar lentigo": "bkl",
    "lentigo nos": "bkl",
}

DESCR_2019 = f"""
ISIC 2019
=========

The training set of the ISIC 2019 challenge: 25,331 dermoscopic images from
HAM10000 (Vienna, Queensland), BCN20000 (Barcelona) and the ISIC 2017 set
(MSK and others), in eight diagnostic classes. One row per image.

Citation: Tschandl P et al., Sci Data 5, 180161 (2018); Codella NCF et al.,
ISBI 2018, arXiv:1710.05006; Combalia M et al., BCN20000: Dermoscopic lesions
in the wild, arXiv:1908.02288 (2019).
Licence: CC BY-NC 4.0.
Download: {URL} ({METADATA_2019}, {TRUTH_2019}, {IMAGE_FOLDER_2019}.zip).

Columns
-------
- dermoscopic: path of {IMAGE_FOLDER_2019}/<image>.jpg, found anywhere under
  the folder (names of the MSK images end in _downsampled).
- age: from age_approx (years, in steps of 5), NaN when missing.
- sex: from sex.
- site: from anatom_site_general; anterior, posterior and lateral torso ->
  torso; the other values are the shared vocabulary already.
- groups: lesion_id, or the image id where the table gives none (images of
  the ISIC 2017 set). ISIC 2019 has no patient ids. Index: image.

Labels (one-hot ground truth -> target)
---------------------------------------
NV -> nevus, MEL -> melanoma, BCC -> bcc, SCC -> scc, BKL -> bkl; AK, DF,
VASC and UNK -> other. AK is other, unlike HAM10000's akiec: ISIC 2019 moved
the intraepidermal carcinomas among akiec into SCC (197 of 327 HAM10000
images), leaving actinic keratoses in AK. The original class code is in
`diagnosis`.
"""

DESCR_2020 = f"""
ISIC 2020
=========

The training set of the SIIM-ISIC 2020 melanoma challenge: 33,126 dermoscopic
images of 2,056 patients from several continents, 584 of them melanomas; most
benign lesions were not biopsied and carry the diagnosis "unknown". One row
per image; the images of one patient share a group.

Citation: Rotemberg V, Kurtansky N, Betz-Stablein B, et al. A patient-centric
dataset of images and metadata for identifying melanomas using clinical
context. Sci Data 8, 34 (2021). https://doi.org/10.1038/s41597-021-00815-z
Licence: CC BY-NC 4.0.
Download: {URL} (ISIC_2020_Training_GroundTruth.csv, or train.csv from
Kaggle's siim-isic-melanoma-classification; ISIC_2020_Training_JPEG.zip).

Columns
-------
- dermoscopic: path of train/<image_name>.jpg (jpeg/train/ in Kaggle's copy),
  found anywhere under the folder.
- age: from age_approx (years, in steps of 5), NaN when missing.
- sex: from sex.
- site: from anatom_site_general_challenge (the shared vocabulary already).
- groups: patient_id. Index: image_name.
- Left out: diagnosis, benign_malignant and target (the label, three ways).

Labels (diagnosis -> target)
----------------------------
nevus -> nevus, melanoma -> melanoma; seborrheic keratosis, lichenoid
keratosis, solar lentigo and lentigo NOS -> bkl (as in ISIC's and HAM10000's
benign keratosis class); unknown, atypical melanocytic proliferation,
cafe-au-lait macule and anything else -> other. With other="drop" only the
lesions with a known diagnosis remain, about a fifth of the set. The
original diagnosis is in `diagnosis`.
"""


def _read_2019(base, paths):
    metadata_path, truth_path = paths
    table = read_table(
        metadata_path,
        ["image", "age_approx", "anatom_site_general", "lesion_id", "sex"],
        index="image",
        text_columns=["image", "lesion_id"],
    )
    truth = read_table(
        truth_path,
        ["image", *CODES_2019[:-1]],
        index="image",
        text_columns=["image"],
    )
    check_same_ids(table.index, metadata_path, truth.index, truth_path, "images")
    codes = [code for code in CODES_2019 if code in truth.columns]
    return Rows(
        images=_dermoscopic(base, IMAGE_FOLDER_2019, table.index),
        metadata=_metadata(table, "anatom_site_general", metadata_path),
        diagnosis=one_hot_diagnosis(truth, codes, truth_path).loc[table.index],
        diagnosis_table=truth_path,
        # The images of the ISIC 2017 set have no lesion_id.
        groups=table["lesion_id"].fillna(pd.Series(table.index, index=table.index)),
    )


def _read_2020(base, paths):
    (path,) = paths
    table = read_table(
        path,
        [
            "image_name",
            "patient_id",
            "sex",
            "age_approx",
            "anatom_site_general_challenge",
            "diagnosis",
        ],
        index="image_name",
        text_columns=["image_name", "patient_id"],
    )
    return Rows(
        images=_dermoscopic(base, IMAGE_FOLDER_2020, table.index),
        metadata=_metadata(table, "anatom_site_general_challenge", path),
        diagnosis=table["diagnosis"],
        diagnosis_table=path,
        groups=table["patient_id"],
    )


def _dermoscopic(base, folder, ids):
    return image_frame(base, folder, ids, dermoscopic=ids + ".jpg")


def _metadata(table, site_column, path):
    shared = harmonise(
        table, path, age="age_approx", sex="sex", site=site_column, sites=SITES
    )
    return pd.DataFrame(shared)


ISIC2019 = PublicDataset(
    name="ISIC 2019",
    url=URL,
    tables=[(METADATA_2019,), (TRUTH_2019,)],
    unit="images",
    labels=LABELS_2019,
    description=DESCR_2019,
    read=_read_2019,
    doc={
        "outside": "AK, DF, VASC, UNK",
        "columns": _COLUMNS,
        "groups": "``lesion_id``, else the image id",
        "diagnosis": "the ground truth's class code",
        "index": "``image``",
        "errors": "Also if the two tables list different images.",
    },
)

ISIC2020 = PublicDataset(
    name="ISIC 2020",
    url=URL,
    tables=[TABLES_2020],
    unit="images",
    labels=LABELS_2020,
    description=DESCR_2020,
    read=_read_2020,
    doc={
        "outside": '``"unknown"`` included',
        "columns": _COLUMNS,
        "groups": "``patient_id``",
        "diagnosis": "the publisher's ``diagnosis``",
        "index": "``image_name``",
    },
)


@ISIC2019.document
def load_isic2019(root, *, other="drop", missing_images="raise", return_X_y=False):
    """Load the ISIC 2019 challenge training set of dermoscopic images.

    25,331 dermoscopic images, one row per image, with the patient's age,
    sex and the body site. Images of one lesion share a group where the
    table gives a ``lesion_id``. See ``DESCR`` for the column and label
    mapping.

    Parameters
    ----------
    root : str or path-like
        The folder holding ``ISIC_2019_Training_Metadata.csv`` and
        ``ISIC_2019_Training_GroundTruth.csv`` (or a subfolder of it that
        does) and the images as unpacked from
        https://challenge.isic-archive.com/data/,
        ``ISIC_2019_Training_Input/<image>.jpg``. Each image is found
        anywhere below ``root``, its name compared case-insensitively.
    %(options)s
    %(return_X_y)s

    %(returns_raises_see_also)s
    load_ham10000 : HAM10000, a part of ISIC 2019 with its own labels.
    load_isic2020 : The ISIC 2020 melanoma challenge set.

    Examples
    --------
    >>> from skmultimodal.datasets import load_isic2019
    >>> X, y = load_isic2019("~/data/isic2019", return_X_y=True)  # doctest: +SKIP
    >>> X.columns.tolist()  # doctest: +SKIP
    ['dermoscopic', 'age', 'sex', 'site']
    """
    return ISIC2019.load(
        root, other=other, missing_images=missing_images, return_X_y=return_X_y
    )


@ISIC2020.document
def load_isic2020(root, *, other="drop", missing_images="raise", return_X_y=False):
    """Load the ISIC 2020 melanoma challenge training set.

    33,126 dermoscopic images of 2,056 patients, one row per image, with the
    patient's age, sex and the body site; the images of one patient share a
    group. Most benign lesions carry the diagnosis ``"unknown"``, which is
    ``"other"``, never a guess: with ``other="drop"`` about 6,000 images
    remain. See ``DESCR`` for the column and label mapping.

    Parameters
    ----------
    root : str or path-like
        The folder holding ``ISIC_2020_Training_GroundTruth.csv`` (or
        ``ISIC_2020_Training_GroundTruth_v2.csv``, or Kaggle's ``train.csv``;
        there or in a subfolder) and the images as unpacked from
        https://challenge.isic-archive.com/data/,
        ``train/<image_name>.jpg`` (``jpeg/train/`` in Kaggle's copy). Each
        image is found anywhere below ``root``, its name compared
        case-insensitively.
    %(options)s
    %(return_X_y)s

    %(returns_raises_see_also)s
    load_isic2019 : The ISIC 2019 challenge set.

    Examples
    --------
    >>> from skmultimodal.datasets import load_isic2020
    >>> isic = load_isic2020("~/data/isic2020", other="keep")  # doctest: +SKIP
    >>> isic.groups.nunique()  # doctest: +SKIP
    2056
    """
    return ISIC2020.load(
        root, other=other, missing_images=missing_images, return_X_y=return_X_y
    )
