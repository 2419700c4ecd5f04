"""PAD-UFES-20: smartphone clinical images with patient data, from Brazil."""

import numpy as np
import pandas as pd

from .._frame import format_rows
from ._base import (
    SEXES,
    as_text,
    build_dataset,
    check_options,
    find_tables,
    image_path,
    index_by,
    map_labels,
    map_vocabulary,
    read_numbers,
    read_table,
    resolve_root,
)

NAME = "PAD-UFES-20"
URL = "https://data.mendeley.com/datasets/zr7vgbcyr2/1"
METADATA = "metadata.csv"
IMAGE_FOLDER = "images"

# ACK is actinic keratosis alone (PAD-UFES-20 files Bowen's disease under SCC),
# so it stays other; SEK, seborrheic keratosis, is the paper's bkl.
LABELS = {"nev": "nevus", "mel": "melanoma", "bcc": "bcc", "scc": "scc", "sek": "bkl"}

SITES = {
    "face": "head/neck",
    "nose": "head/neck",
    "lip": "head/neck",
    "ear": "head/neck",
    "scalp": "head/neck",
    "neck": "head/neck",
    "arm": "upper extremity",
    "forearm": "upper extremity",
    "hand": "upper extremity",
    "thigh": "lower extremity",
    "foot": "lower extremity",
    "chest": "torso",
    "back": "torso",
    "abdomen": "torso",
}

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
    other : {"drop", "keep"}, default="drop"
        Lesions outside the paper's five classes (actinic keratosis):
        ``"drop"`` leaves them out, ``"keep"`` labels them ``"other"``.
    missing_images : {"raise", "drop", "ignore"}, default="raise"
        Images not found: ``"raise"`` lists them all in one error, ``"drop"``
        leaves their rows out with a warning, ``"ignore"`` keeps the
        publisher's paths unchecked (for work on the metadata alone).
    partial_columns : bool, default=False
        Also return ``sex``, ``fitzpatrick``, ``diameter_1_mm``,
        ``diameter_2_mm``, ``background_father``, ``background_mother``,
        ``smoke``, ``drink``, ``pesticide``, ``skin_cancer_history``,
        ``cancer_history``, ``has_piped_water`` and ``has_sewage_system``.
        The publishers recorded them for every biopsied lesion and for few
        others, and every cancer was biopsied: whether they are missing
        reveals the label. Off by default for that reason.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a Bunch.

    Returns
    -------
    dataset : :class:`~sklearn.utils.Bunch`
        With ``frame`` (the lesion frame and a ``target`` column), ``data``
        (the lesion frame: ``clinical``, ``age``, ``site``, the six answers
        and, on request, the partial columns), ``target`` (class labels),
        ``groups`` (``patient_id``), ``diagnosis`` (the publisher's
        ``diagnostic``), ``feature_names``, ``target_names`` and ``DESCR``;
        all indexed by ``img_id``.
    (data, target) : tuple of DataFrame and Series
        If ``return_X_y`` is true.

    Raises
    ------
    FileNotFoundError
        If ``root`` holds no ``metadata.csv`` (the message lists what it
        holds), or images are missing and ``missing_images="raise"``.
    ValueError
        If a yes/no column holds another value.

    See Also
    --------
    load_dataset : Load any supported data set from a ``"name:path"`` string.
    load_milk10k : MILK10k, clinical and dermoscopic images of each lesion.

    Examples
    --------
    >>> from skmultimodal.datasets import load_pad_ufes20
    >>> pad = load_pad_ufes20("~/data/pad-ufes-20")  # doctest: +SKIP
    >>> pad.data.columns.tolist()  # doctest: +SKIP
    ['clinical', 'age', 'site', 'itch', 'grew', 'hurt', 'changed', 'bleed', 'elevation']
    """
    check_options(other, missing_images)
    root = resolve_root(root, dataset=NAME, url=URL)
    base, (path,) = find_tables(root, [(METADATA,)], dataset=NAME, url=URL)
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
        text_columns=["patient_id", "lesion_id", "img_id"],
    )
    table = index_by(table, "img_id", path)
    columns = {"age": read_numbers(table["age"], "age", path)}
    if partial_columns:
        columns["sex"] = map_vocabulary(table["gender"], SEXES, "gender", path)
    columns["site"] = map_vocabulary(table["region"], SITES, "region", path)
    columns.update({name: _flags(table[name], name, path) for name in ANSWERS})
    if partial_columns:
        for old, new in PARTIAL_NUMBERS.items():
            columns[new] = read_numbers(table[old], old, path)
        for name in PARTIAL_FLAGS:
            columns[name] = _flags(table[name], name, path)
        for name in PARTIAL_TEXT:
            columns[name] = _countries(table[name])
    images = pd.DataFrame(
        {"clinical": [image_path(base, IMAGE_FOLDER, name) for name in table.index]},
        index=table.index,
    )
    diagnosis = table["diagnostic"].rename("diagnosis")
    return build_dataset(
        dataset=NAME,
        unit="images",
        root=root,
        images=images,
        metadata=pd.DataFrame(columns),
        target=map_labels(diagnosis, LABELS, path),
        groups=table["patient_id"],
        diagnosis=diagnosis,
        other=other,
        missing_images=missing_images,
        description=DESCR,
        return_X_y=return_X_y,
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
