"""PAD-UFES-20: smartphone clinical images with patient data, from Brazil."""

import numpy as np
import pandas as pd

from .._frame import format_rows
from ._base import PublicDataset, Rows
from ._images import image_frame
from ._tables import as_text, by_target, harmonise, read_numbers, read_table

URL = "https://data.mendeley.com/datasets/zr7vgbcyr2/1"
METADATA = "metadata.csv"
IMAGE_FOLDER = "images"

# ACK is actinic keratosis alone (PAD-UFES-20 files Bowen's disease under SCC),
# so it stays other; SEK, seborrheic keratosis, is the paper's bkl.
LABELS = {"nev": "nevus", "mel": "melanoma", "bcc": "bcc", "scc": "scc", "sek": "bkl"}

SITES = by_target(
    {
        "head/neck": ("face", "nose", "lip", "ear", "scalp", "neck"),
        "upper extremity": ("arm", "forearm", "hand"),
        "lower extremity": ("thigh", "foot"),
        "torso": ("chest", "back", "abdomen"),
    }
)

# Questions about the lesion put to every patient: True, False or UNK.
ANSWERS = ("itch", "grew", "hurt", "changed", "bleed", "elevation")

# Recorded for every biopsied lesion but for only 152 of the 956 others: see
# `partial_columns`.
PARTIAL_FLAGS = (
    "smoke",
    "drink",
    "pesticide",
    "skin_cancer_history",
    "cancer_history",
    "has_piped_water",
    "has_sewage_system",
)
# Publisher's name -> column of the lesion frame.
PARTIAL_NUMBERS = {
    "fitspatrick": "fitzpatrick",
    "diameter_1": "diameter_1_mm",
    "diameter_2": "diameter_2_mm",
}
PARTIAL_TEXT = ("background_father", "background_mother")
# The publisher spells Brazil both ways and writes UNK for unknown.
_COUNTRY_SPELLINGS = {"BRASIL": "BRAZIL", "UNK": np.nan}

_FLAGS = {"true": 1.0, "false": 0.0, "unk": np.nan}

DESCR = f"""
PAD-UFES-20
===========

2,298 clinical (macroscopic) images of 1,641 skin lesions of 1,373 patients,
taken with smartphones at the dermatology assistance programme of the Federal
University of Espirito Santo (Brazil), with patient and lesion data. Six
diagnoses; every cancer was biopsied. One row per image; the images of one
patient share a group. There is no dermoscopic image.

Citation: Pacheco AGC, Lima GR, Salomao AS, et al. PAD-UFES-20: a skin lesion
dataset composed of patient data and clinical images collected from
smartphones. Data in Brief 32, 106221 (2020).
https://doi.org/10.1016/j.dib.2020.106221
Licence: CC BY 4.0.
Download: {URL} ({METADATA} and images/imgs_part_1..3).

Columns
-------
- clinical: path of <img_id>, found anywhere under the folder (the archive
  unpacks to images/imgs_part_1/, imgs_part_2/ and imgs_part_3/).
- age: from age (years).
- site: from region: FACE, NOSE, LIP, EAR, SCALP, NECK -> head/neck; ARM,
  FOREARM, HAND -> upper extremity; THIGH, FOOT -> lower extremity; CHEST,
  BACK, ABDOMEN -> torso.
- itch, grew, hurt, changed, bleed, elevation: the patient's answers, 1.0 for
  True, 0.0 for False, NaN for UNK. UNK occurs only among biopsied lesions
  (a third of the cancers, but also half of the biopsied nevi), so a missing
  answer hints weakly at a biopsy; the answers themselves carry most of
  their signal.
- groups: patient_id. Index: img_id.
- Left out: diagnostic (the label), biopsed (every cancer was biopsied, so
  it gives the label away), patient_id and lesion_id (ids).

Shortcut left out by default (partial_columns=False)
----------------------------------------------------
sex (from gender), fitzpatrick (from fitspatrick, skin type 1-6),
diameter_1_mm and diameter_2_mm, background_father, background_mother, and
the flags smoke, drink, pesticide, skin_cancer_history, cancer_history,
has_piped_water and has_sewage_system were recorded for every biopsied
lesion but for only 152 of the 956 unbiopsied ones; the other 804 have all
of them missing. Every BCC, melanoma and SCC was biopsied, so a missing value
in any of these columns says "not a cancer": a model learns the collection
protocol, not the disease. partial_columns=True adds them (booleans as
1.0/0.0/NaN, UNK backgrounds as NaN, BRASIL spelled BRAZIL); mind the
shortcut, e.g. by keeping only the lesions that have them.

Labels (diagnostic -> target)
-----------------------------
NEV -> nevus, MEL -> melanoma, BCC -> bcc, SCC -> scc (which includes Bowen's
disease), SEK -> bkl; ACK (actinic keratosis) -> other, a precancerous lesion
and not the paper's SCC. The original diagnostic is in `diagnosis`.
"""


def _read(base, paths, *, partial_columns):
    (path,) = paths
    partial = [*PARTIAL_FLAGS, *PARTIAL_NUMBERS, *PARTIAL_TEXT, "gender"]
    table = read_table(
        path,
        [
            "patient_id",
            "lesion_id",
            "img_id",
            "age",
            "region",
            "diagnostic",
            *ANSWERS,
            *(partial if partial_columns else ()),
        ],
        index="img_id",
        text_columns=["patient_id", "lesion_id", "img_id"],
    )
    columns = harmonise(
        table,
        path,
        age="age",
        sex="gender" if partial_columns else None,
        site="region",
        sites=SITES,
    )
    columns.update({name: _flags(table[name], name, path) for name in ANSWERS})
    if partial_columns:
        for old, new in PARTIAL_NUMBERS.items():
            columns[new] = read_numbers(table[old], old, path)
        for name in PARTIAL_FLAGS:
            columns[name] = _flags(table[name], name, path)
        for name in PARTIAL_TEXT:
            columns[name] = _countries(table[name])
    return Rows(
        images=image_frame(base, IMAGE_FOLDER, table.index, clinical=table.index),
        metadata=pd.DataFrame(columns),
        diagnosis=table["diagnostic"].rename("diagnosis"),
        diagnosis_table=path,
        groups=table["patient_id"],
    )


def _flags(values, column, path):
    """True/False/UNK (as text or booleans) as 1.0/0.0/NaN."""
    keys = values.map(lambda v: str(v).strip().lower(), na_action="ignore")
    unknown = keys.notna() & ~keys.isin(list(_FLAGS))
    if unknown.any():
        raise ValueError(
            f"Column {column!r} of {path!r} must hold True, False or UNK, but holds "
            f"{values[unknown].iloc[0]!r} for {format_rows(values.index[unknown])}."
        )
    return keys.map(_FLAGS).astype("float64")


def _countries(values):
    """Countries of origin in capitals, one spelling each; unknown as NaN."""

    def country(value):
        if not isinstance(value, str):
            return np.nan
        value = value.strip().upper()
        return _COUNTRY_SPELLINGS.get(value, value)

    return as_text(values.map(country))


PAD_UFES20 = PublicDataset(
    name="PAD-UFES-20",
    url=URL,
    tables=[(METADATA,)],
    unit="images",
    labels=LABELS,
    description=DESCR,
    read=_read,
    doc={
        "outside": "actinic keratosis",
        "columns": "``clinical``, ``age``, ``site``, the six answers and, on "
        "request, the partial columns",
        "groups": "``patient_id``",
        "diagnosis": "the publisher's ``diagnostic``",
        "index": "``img_id``",
        "errors": "Also if a yes/no column holds another value.",
    },
)


@PAD_UFES20.document
def load_pad_ufes20(
    root,
    *,
    other="drop",
    missing_images="raise",
    partial_columns=False,
    return_X_y=False,
):
    """Load PAD-UFES-20, smartphone clinical images with patient data.

    2,298 clinical images of 1,641 lesions of 1,373 patients, one row per
    image, with age, body site and the patient's answers about the lesion
    (itching, growth, pain, change, bleeding, elevation). The images of one
    patient share a group. There is no dermoscopic image. See ``DESCR`` for
    the column and label mapping.

    Parameters
    ----------
    root : str or path-like
        The folder holding ``metadata.csv`` (or a subfolder of it that does)
        and the images as unpacked from
        https://data.mendeley.com/datasets/zr7vgbcyr2/1,
        ``images/imgs_part_1/`` to ``imgs_part_3/``. Each image ``<img_id>``
        is found anywhere below ``root``, its name compared
        case-insensitively.
    %(options)s
    partial_columns : bool, default=False
        Also return ``sex``, ``fitzpatrick``, ``diameter_1_mm``,
        ``diameter_2_mm``, ``background_father``, ``background_mother``,
        ``smoke``, ``drink``, ``pesticide``, ``skin_cancer_history``,
        ``cancer_history``, ``has_piped_water`` and ``has_sewage_system``.
        The publishers recorded them for every biopsied lesion and for few
        others, and every cancer was biopsied: whether they are missing
        reveals the label. Off by default for that reason.
    %(return_X_y)s

    %(returns_raises_see_also)s
    load_milk10k : MILK10k, clinical and dermoscopic images of each lesion.

    Examples
    --------
    >>> from skmultimodal.datasets import load_pad_ufes20
    >>> pad = load_pad_ufes20("~/data/pad-ufes-20")  # doctest: +SKIP
    >>> pad.data.columns.tolist()  # doctest: +SKIP
    ['clinical', 'age', 'site', 'itch', 'grew', 'hurt', 'changed', 'bleed', 'elevation']
    """
    return PAD_UFES20.load(
        root,
        other=other,
        missing_images=missing_images,
        return_X_y=return_X_y,
        partial_columns=partial_columns,
    )
