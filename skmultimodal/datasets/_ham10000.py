"""HAM10000: dermoscopic images of common pigmented skin lesions."""

import pandas as pd

from ._base import PublicDataset, Rows
from ._images import image_frame
from ._tables import by_target, harmonise, read_table

URL = "https://doi.org/10.7910/DVN/DBW86T"
METADATA = "HAM10000_metadata.csv"
IMAGE_FOLDER = "HAM10000_images_part_1"

# akiec joins actinic keratoses and intraepithelial carcinoma (Bowen's
# disease); ISIC 2019, which took these images over, found 197 of the 327 to
# be carcinomas and moved them to SCC. The paper's SCC class included
# intraepidermal carcinoma, so the class as a whole is scc.
LABELS = {"nv": "nevus", "mel": "melanoma", "bcc": "bcc", "akiec": "scc", "bkl": "bkl"}

SITES = by_target(
    {
        "torso": ("back", "trunk", "abdomen", "chest"),
        "head/neck": ("face", "scalp", "ear", "neck"),
        "upper extremity": ("upper extremity", "hand"),
        "lower extremity": ("lower extremity", "foot"),
        "palms/soles": ("acral",),
        "oral/genital": ("genital",),
        None: ("unknown",),
    }
)

DESCR = f"""
HAM10000
========

"Human Against Machine with 10000 training images": 10,015 dermoscopic images
of 7,470 pigmented skin lesions from Vienna (Austria) and Queensland
(Australia), the training set of the ISIC 2018 challenge (task 3). One row per
image; several images of one lesion share its group.

Citation: Tschandl P, Rosendahl C, Kittler H. The HAM10000 dataset, a large
collection of multi-source dermatoscopic images of common pigmented skin
lesions. Sci Data 5, 180161 (2018). https://doi.org/10.1038/sdata.2018.161
Licence: non-commercial Creative Commons; see the download page.
Download: {URL} ({METADATA}, HAM10000_images_part1.zip and
HAM10000_images_part2.zip).

Columns
-------
- dermoscopic: path of <image_id>.jpg, found anywhere under the folder
  (HAM10000_images_part_1/ and HAM10000_images_part_2/ as unpacked).
- age: from age (years, in steps of 5), NaN when missing.
- sex: from sex; "unknown" becomes NaN.
- site: from localization: back, trunk, abdomen, chest -> torso; face, scalp,
  ear, neck -> head/neck; hand -> upper extremity; foot -> lower extremity;
  acral -> palms/soles; genital -> oral/genital; unknown -> NaN.
- groups: lesion_id (HAM10000 has no patient ids). Index: image_id.
- Left out: dx (the label) and dx_type (how the label was confirmed:
  histopathology for most cancers, follow-up for most nevi, so it gives the
  label away).

Labels (dx -> target)
---------------------
nv -> nevus, mel -> melanoma, bcc -> bcc, bkl -> bkl, akiec -> scc; df and
vasc -> other. akiec holds actinic keratoses and intraepithelial carcinoma
(Bowen's disease); ISIC 2019 found 197 of its 327 images to be carcinomas, and
the paper's SCC class included intraepidermal carcinoma, hence scc. The
original dx is in `diagnosis`.
"""


def _read(base, paths):
    (path,) = paths
    table = read_table(
        path,
        ["lesion_id", "image_id", "dx", "age", "sex", "localization"],
        index="image_id",
        text_columns=["lesion_id", "image_id"],
    )
    shared = harmonise(
        table, path, age="age", sex="sex", site="localization", sites=SITES
    )
    return Rows(
        images=image_frame(
            base, IMAGE_FOLDER, table.index, dermoscopic=table.index + ".jpg"
        ),
        metadata=pd.DataFrame(shared),
        diagnosis=table["dx"].rename("diagnosis"),
        diagnosis_table=path,
        groups=table["lesion_id"],
    )


HAM10000 = PublicDataset(
    name="HAM10000",
    url=URL,
    tables=[(METADATA,)],
    unit="images",
    labels=LABELS,
    description=DESCR,
    read=_read,
    doc={
        "outside": "dermatofibroma, vascular lesions",
        "columns": "``dermoscopic``, ``age``, ``sex``, ``site``",
        "groups": "``lesion_id``",
        "diagnosis": "the publisher's ``dx``",
        "index": "``image_id``",
    },
)


@HAM10000.document
def load_ham10000(root, *, other="drop", missing_images="raise", return_X_y=False):
    """Load HAM10000, dermoscopic images of pigmented skin lesions.

    10,015 dermoscopic images of 7,470 lesions, one row per image, with the
    patient's age, sex and the body site. Images of one lesion share a
    group; HAM10000 has no patient ids. See ``DESCR`` for the column and
    label mapping.

    Parameters
    ----------
    root : str or path-like
        The folder holding ``HAM10000_metadata.csv`` (or a subfolder of it
        that does) and the images as unpacked from
        https://doi.org/10.7910/DVN/DBW86T, ``HAM10000_images_part_1/`` and
        ``HAM10000_images_part_2/``. Each image ``<image_id>.jpg`` is found
        anywhere below ``root``, its name compared case-insensitively.
    %(options)s
    %(return_X_y)s

    %(returns_raises_see_also)s
    load_isic2019 : ISIC 2019, which contains these images among others.

    Examples
    --------
    >>> from skmultimodal.datasets import load_ham10000
    >>> ham = load_ham10000("~/data/HAM10000")  # doctest: +SKIP
    >>> ham.target.value_counts()  # doctest: +SKIP
    target
    nevus       6705
    melanoma    1113
    bkl         1099
    bcc          514
    scc          327
    Name: count, dtype: int64
    """
    return HAM10000.load(
        root, other=other, missing_images=missing_images, return_X_y=return_X_y
    )
