"""MILK10k: a clinical close-up and a dermoscopic image of every lesion."""

import numpy as np
import pandas as pd

from .._frame import format_rows
from ._base import PublicDataset, Rows
from ._images import image_frame
from ._tables import (
    by_target,
    check_same_ids,
    harmonise,
    index_by,
    one_hot_diagnosis,
    read_numbers,
    read_table,
    require_filled,
    warn,
)

URL = "https://challenge.isic-archive.com/"
METADATA = "MILK10k_Training_Metadata.csv"
TRUTH = "MILK10k_Training_GroundTruth.csv"
IMAGE_FOLDER = "MILK10k_Training_Input"
CODES = (
    "AKIEC",
    "BCC",
    "BEN_OTH",
    "BKL",
    "DF",
    "INF",
    "MAL_OTH",
    "MEL",
    "NV",
    "SCCKA",
    "VASC",
)
# The publisher's image_type -> column of the lesion frame.
IMAGE_TYPES = {"clinical: close-up": "clinical", "dermoscopic": "dermoscopic"}
MONET_PREFIX = "MONET_"

# AKIEC (actinic keratosis / intraepidermal carcinoma) is mostly carcinoma:
# 180 of its 303 lesions are Bowen's disease (SCC in situ) in the diagnosis
# supplement, and the paper's SCC class included intraepidermal carcinoma.
LABELS = {
    "nv": "nevus",
    "mel": "melanoma",
    "bcc": "bcc",
    "sccka": "scc",
    "akiec": "scc",
    "bkl": "bkl",
}

SITES = by_target(
    {
        "head/neck": ("head_neck_face",),
        "upper extremity": ("upper_extremity", "hand"),
        "lower extremity": ("lower_extremity", "foot"),
        "torso": ("trunk",),
        "oral/genital": ("genital",),
    }
)

DESCR = f"""
MILK10k
=======

5,240 skin lesions from five centres, each with one clinical close-up and one
dermoscopic image, patient data and a diagnosis in eleven classes (95.7%
confirmed by histopathology): the public set closest to the data of Yap et
al. (2018). The training set of the ISIC 2025 MILK10k benchmark. One row per
lesion.

Citation: MILK study team. MILK10k: a hierarchical multimodal imaging-learning
toolkit for diagnosing pigmented and nonpigmented skin cancer and its
simulators. ISIC Archive (2025).
Licence: CC BY-NC (column copyright_license of the metadata).
Download: {URL} (MILK10k page: the training images, which unpack to
{IMAGE_FOLDER}/, {METADATA} and {TRUTH}).

Columns
-------
- clinical, dermoscopic: paths of {IMAGE_FOLDER}/<lesion_id>/<isic_id>.jpg
  of the lesion's "clinical: close-up" and "dermoscopic" rows, found
  anywhere under the folder.
- age: from age_approx (years, in steps of 5), NaN when missing.
- sex: from sex.
- site: from site: head_neck_face -> head/neck; upper_extremity, hand ->
  upper extremity; lower_extremity, foot -> lower extremity; trunk -> torso;
  genital -> oral/genital.
- skin_tone_class: skin tone from 0 (very dark) to 5 (very light), as
  published (not a Fitzpatrick type).
- age, sex, site and skin tone are the same in both rows of a lesion.
- groups: lesion_id (MILK10k has no patient ids). Index: lesion_id.
- Left out: isic_id (an id); attribution and copyright_license (one value
  throughout); image_manipulation ("altered" images are a shortcut, not a
  property of the lesion); the ground truth.
- MONET concept scores, only with monet_scores=True, as
  clinical_monet_<concept> and dermoscopic_monet_<concept> (ulceration_crust,
  hair, vasculature_vessels, erythema, pigmented,
  gel_water_drop_fluid_dermoscopy_liquid, skin_markings_pen_ink_purple_pen).
  Left out by default because they are computed from the images by an
  image-text model (Kim et al., Nat Med 30, 1154-1165, 2024): as metadata
  they would let the "metadata" branch see the images and blur the
  comparison of modalities the paper makes, and two of them score artefacts
  (pen marks, immersion gel) that track the decision to excise rather than
  the disease.

Labels (one-hot ground truth -> target)
---------------------------------------
NV -> nevus, MEL -> melanoma, BCC -> bcc, SCCKA (SCC and keratoacanthoma) ->
scc, BKL -> bkl, AKIEC -> scc; BEN_OTH, DF, INF, MAL_OTH and VASC -> other.
AKIEC joins actinic keratosis and intraepidermal carcinoma; by the diagnosis
supplement (MILK10k_Training_Supplement.csv) 180 of its 303 lesions are
Bowen's disease (SCC in situ) and 123 actinic keratoses, and the paper's SCC
class included intraepidermal carcinoma, hence scc. The original class code
is in `diagnosis`; the supplement's diagnosis_full separates the two.
"""


def _read(base, paths, *, monet_scores):
    metadata_path, truth_path = paths
    rows = read_table(
        metadata_path,
        [
            "lesion_id",
            "image_type",
            "isic_id",
            "age_approx",
            "sex",
            "skin_tone_class",
            "site",
        ],
        text_columns=["lesion_id", "isic_id"],
    )
    rows = _known_image_types(rows, metadata_path)
    require_filled(rows, "lesion_id", metadata_path)
    rows = index_by(rows, "isic_id", metadata_path)
    twice = rows.duplicated(["lesion_id", "image_type"]).to_numpy()
    if twice.any():
        raise ValueError(
            f"{metadata_path!r} lists two images of one type for lesion(s) "
            f"{format_rows(rows['lesion_id'][twice].unique())}; a lesion has one "
            "clinical close-up and one dermoscopic image."
        )
    truth = read_table(
        truth_path, ["lesion_id", *CODES], index="lesion_id", text_columns=["lesion_id"]
    )
    # Age, sex, site and skin tone are the lesion's, repeated on both rows.
    lesions = rows.groupby("lesion_id", sort=False).first()
    check_same_ids(lesions.index, metadata_path, truth.index, truth_path, "lesions")
    images = {}
    monet = {}
    for image_type, column in IMAGE_TYPES.items():
        of_type = (
            rows[rows["image_type"] == image_type]
            .reset_index()
            .set_index("lesion_id")
            .reindex(lesions.index)
        )
        images[column] = of_type.index.to_series() + "/" + of_type["isic_id"] + ".jpg"
        if monet_scores:
            for score in (c for c in rows.columns if c.startswith(MONET_PREFIX)):
                concept = score[len(MONET_PREFIX) :]
                monet[f"{column}_monet_{concept}"] = read_numbers(
                    of_type[score], score, metadata_path
                )
    metadata = harmonise(
        lesions, metadata_path, age="age_approx", sex="sex", site="site", sites=SITES
    )
    metadata["skin_tone_class"] = read_numbers(
        lesions["skin_tone_class"], "skin_tone_class", metadata_path
    )
    return Rows(
        images=image_frame(base, IMAGE_FOLDER, lesions.index, **images),
        metadata=pd.DataFrame({**metadata, **monet}),
        diagnosis=one_hot_diagnosis(truth, CODES, truth_path).loc[lesions.index],
        diagnosis_table=truth_path,
    )


def _known_image_types(rows, path):
    """Keep the rows of the two image types, warning about any other."""
    known = rows["image_type"].isin(list(IMAGE_TYPES))
    if not known.all():
        warn(
            f"{path!r} lists images of type(s) "
            f"{sorted(set(rows['image_type'][~known].astype(str)))} besides "
            f"{list(IMAGE_TYPES)}; they are left out (lines "
            f"{format_rows(np.flatnonzero(~known.to_numpy()) + 2)})."
        )
    return rows[known]


MILK10K = PublicDataset(
    name="MILK10k",
    url=URL,
    tables=[(METADATA,), (TRUTH,)],
    unit="lesions",
    labels=LABELS,
    description=DESCR,
    read=_read,
    doc={
        "outside": "BEN_OTH, DF, INF, MAL_OTH, VASC",
        "columns": "``clinical``, ``dermoscopic``, ``age``, ``sex``, ``site``, "
        "``skin_tone_class`` and, on request, the MONET scores",
        "groups": "``lesion_id``",
        "diagnosis": "the ground truth's class code",
        "index": "``lesion_id``",
        "errors": "Also if the tables list different lesions, or a lesion has "
        "two images of one type.",
    },
)


@MILK10K.document
def load_milk10k(
    root,
    *,
    other="drop",
    missing_images="raise",
    monet_scores=False,
    return_X_y=False,
):
    """Load MILK10k, a clinical close-up and a dermoscopic image per lesion.

    5,240 lesions, one row per lesion, pairing the clinical and the
    dermoscopic image that the metadata lists in two rows, with age, sex,
    body site and skin tone. See ``DESCR`` for the column and label mapping.

    Parameters
    ----------
    root : str or path-like
        The folder holding ``MILK10k_Training_Metadata.csv`` and
        ``MILK10k_Training_GroundTruth.csv`` (or a subfolder of it that
        does) and the images as unpacked from the MILK10k page of
        https://challenge.isic-archive.com/,
        ``MILK10k_Training_Input/<lesion_id>/<isic_id>.jpg``. Each image is
        found anywhere below ``root``, its name compared case-insensitively.
    %(options)s
    monet_scores : bool, default=False
        Add the seven MONET concept scores of each image as
        ``clinical_monet_<concept>`` and ``dermoscopic_monet_<concept>``.
        They are computed from the images, so as metadata they blur the
        comparison of modalities; see ``DESCR``.
    %(return_X_y)s

    %(returns_raises_see_also)s
    load_derm7pt : Derm7pt, a smaller set of clinical and dermoscopic pairs.

    Examples
    --------
    >>> from skmultimodal.datasets import load_milk10k
    >>> milk = load_milk10k("~/data/MILK10k")  # doctest: +SKIP
    >>> milk.data.columns.tolist()  # doctest: +SKIP
    ['clinical', 'dermoscopic', 'age', 'sex', 'site', 'skin_tone_class']
    """
    return MILK10K.load(
        root,
        other=other,
        missing_images=missing_images,
        return_X_y=return_X_y,
        monet_scores=monet_scores,
    )
