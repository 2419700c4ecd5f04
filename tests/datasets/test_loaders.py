"""Loaders of the public data sets, on small fixtures in each publisher's format.

Every fixture is made up here: the real tables are licensed for
non-commercial use and stay out of the project.
"""

import os
import warnings

import numpy as np
import pandas as pd
import pytest

from skmultimodal.datasets import (
    CLASSES,
    OTHER,
    SITES,
    load_dataset,
    load_derm7pt,
    load_ham10000,
    load_isic2019,
    load_isic2020,
    load_milk10k,
    load_pad_ufes20,
)

from ..conftest import write_square


def write_csv(path, rows, columns):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    pd.DataFrame(rows, columns=columns).to_csv(path, index=False)


def write_image(path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    write_square(path, (200, 120, 90), size=2)


# ---------------------------------------------------------------- MILK10k

MILK_COLUMNS = (
    "lesion_id image_type isic_id attribution copyright_license "
    "image_manipulation age_approx sex skin_tone_class site MONET_ulceration_crust "
    "MONET_hair MONET_vasculature_vessels MONET_erythema MONET_pigmented "
    "MONET_gel_water_drop_fluid_dermoscopy_liquid "
    "MONET_skin_markings_pen_ink_purple_pen"
).split()
MILK_CODES = "AKIEC BCC BEN_OTH BKL DF INF MAL_OTH MEL NV SCCKA VASC".split()
# lesion, code, age, sex, skin tone, site
MILK_LESIONS = [
    ("IL_9000001", "NV", 35, "female", 3, "trunk"),
    ("IL_9000002", "MEL", 60, "male", 2, "head_neck_face"),
    ("IL_9000003", "BCC", None, "male", 4, "hand"),
    ("IL_9000004", "SCCKA", 80, "female", 5, "foot"),
    ("IL_9000005", "AKIEC", 70, "male", 3, "genital"),
    ("IL_9000006", "BKL", 55, "female", 1, "upper_extremity"),
    ("IL_9000007", "DF", 40, "female", 2, "lower_extremity"),
    ("IL_9000008", "VASC", 30, "male", 0, None),
]


def write_milk10k(root):
    rows = []
    for number, (lesion, _, age, sex, tone, site) in enumerate(MILK_LESIONS):
        for offset, image_type in enumerate(("clinical: close-up", "dermoscopic")):
            isic = f"ISIC_91{number:03d}{offset}"
            manipulation = "altered" if number == 0 else "instrument only"
            scores = [(number + offset + k) % 10 / 10 for k in range(7)]
            rows.append(
                [lesion, image_type, isic, "MILK study team", "CC-BY-NC"]
                + [manipulation, age, sex, tone, site, *scores]
            )
            write_image(root / "MILK10k_Training_Input" / lesion / f"{isic}.jpg")
    # The publisher lists a lesion's two images together but in either order.
    rows[2], rows[3] = rows[3], rows[2]
    write_csv(root / "MILK10k_Training_Metadata.csv", rows, MILK_COLUMNS)
    truth = [
        [lesion] + [float(code == c) for c in MILK_CODES]
        for lesion, code, *_ in MILK_LESIONS
    ]
    columns = ["lesion_id", *MILK_CODES]
    write_csv(root / "MILK10k_Training_GroundTruth.csv", truth, columns)


# ---------------------------------------------------------------- Derm7pt

DERM_CRITERIA = (
    "pigment_network streaks pigmentation regression_structures "
    "dots_and_globules blue_whitish_veil vascular_structures"
).split()
DERM_COLUMNS = [
    "case_num", "diagnosis", "seven_point_score", *DERM_CRITERIA,
    "level_of_diagnostic_difficulty", "elevation", "location", "sex",
    "management", "clinic", "derm", "case_id", "notes",
]  # fmt: skip
# diagnosis, location, sex, elevation, then the clinic and derm image files
DERM_CASES = [
    ("clark nevus", "back", "female", "flat", "NEL/Nel001", "NEL/Nel002"),
    ("melanoma (in situ)", "upper limbs", "male", "palpable", "NEL/Nel003",
     "NEL/Nel004"),
    ("basal cell carcinoma", "head neck", "male", "nodular", "FGL/Fgl001",
     "FGL/Fgl002"),
    ("seborrheic keratosis", "acral", "female", "palpable", "FGL/Fgl003",
     "FGL/Fgl004"),
    ("reed or spitz nevus", "lower limbs", "female", "flat", "Gal/Gal001",
     "Gal/Gal002"),
    ("lentigo", "genital areas", "male", "flat", "Gal/Gal003", "Gal/Gal004"),
    ("dermatofibroma", "buttocks", "female", "palpable", "Gal/Gal005",
     "Gal/Gal006"),
    ("melanoma metastasis", "chest", "male", "nodular", "Gal/Gal007",
     "Gal/Gal008"),
]  # fmt: skip
# The table's name -> the file as published, in another case.
DERM_RENAMED = {"NEL/Nel003.jpg": "NEL/NEL003.JPG", "Gal/Gal002.jpg": "gal/gal002.jpg"}


def write_derm7pt(root):
    rows = []
    for number, (diagnosis, location, sex, elevation, *images) in enumerate(
        DERM_CASES
    ):
        clinic, derm = (f"{name}.jpg" for name in images)
        criteria = ["absent"] * len(DERM_CRITERIA)
        rows.append(
            [number + 1, diagnosis, 3, *criteria, "medium", elevation, location]
            + [sex, "excision", clinic, derm, None, None]
        )
        for name in (clinic, derm):
            write_image(root / "images" / DERM_RENAMED.get(name, name))
    # A file of the same name elsewhere must not be taken for FGL/Fgl001.jpg.
    write_image(root / "images" / "NEL" / "Fgl001.jpg")
    write_csv(root / "meta" / "meta.csv", rows, DERM_COLUMNS)
    splits = {"train": [0, 1, 2, 3], "valid": [4, 5], "test": [6, 7]}
    for name, indexes in splits.items():
        path = root / "meta" / f"{name}_indexes.csv"
        write_csv(path, [[i] for i in indexes], ["indexes"])


# ------------------------------------------------------------ PAD-UFES-20

PAD_COLUMNS = (
    "patient_id lesion_id smoke drink background_father background_mother age "
    "pesticide gender skin_cancer_history cancer_history has_piped_water "
    "has_sewage_system fitspatrick region diameter_1 diameter_2 diagnostic itch "
    "grew hurt changed bleed elevation img_id biopsed"
).split()
ANSWERS = {
    "itch": "True",
    "grew": "False",
    "hurt": "UNK",
    "changed": "True",
    "bleed": "False",
    "elevation": "True",
}
# Recorded, as in the real table, only for biopsied lesions and a few others.
HISTORIES = {
    "italian woman": dict(
        smoke=False, drink=True, background_father="POMERANIA",
        background_mother="BRASIL", pesticide=True, gender="FEMALE",
        skin_cancer_history=True, cancer_history=False, has_piped_water=True,
        has_sewage_system=True, fitspatrick=2.0, diameter_1=8.0, diameter_2=6.0,
    ),
    "german man": dict(
        smoke=True, drink=False, background_father="UNK",
        background_mother="GERMANY", pesticide=False, gender="MALE",
        skin_cancer_history=False, cancer_history=True, has_piped_water=False,
        has_sewage_system=False, fitspatrick=3.0, diameter_1=12.0, diameter_2=10.0,
    ),
    "italian man": dict(
        smoke=False, drink=False, background_father="ITALY",
        background_mother="ITALY", pesticide=False, gender="MALE",
        skin_cancer_history=True, cancer_history=True, has_piped_water=True,
        has_sewage_system=True, fitspatrick=1.0, diameter_1=9.0, diameter_2=9.0,
    ),
}  # fmt: skip
# patient, lesion, image, age, region, diagnostic, history, biopsied
PAD_IMAGES = [
    ("PAT_9001", 9101, "PAT_9001_9101_1.png", 61, "FACE", "BCC", "italian woman", True),
    ("PAT_9001", 9102, "PAT_9001_9102_2.png", 61, "FOREARM", "ACK", "italian woman",
     False),
    ("PAT_9002", 9103, "PAT_9002_9103_3.png", 45, "BACK", "NEV", None, False),
    ("PAT_9003", 9104, "PAT_9003_9104_4.png", 78, "THIGH", "MEL", "german man", True),
    ("PAT_9003", 9104, "PAT_9003_9104_5.png", 78, "THIGH", "MEL", "german man", True),
    ("PAT_9004", 9105, "PAT_9004_9105_6.png", 70, "CHEST", "SEK", None, False),
    ("PAT_9005", 9106, "PAT_9005_9106_7.png", 82, "EAR", "SCC", "italian man", True),
]  # fmt: skip


def write_pad_ufes20(root):
    rows = []
    for number, image in enumerate(PAD_IMAGES):
        patient, lesion, name, age, region, diagnostic, history, biopsied = image
        rows.append(
            dict(
                patient_id=patient, lesion_id=lesion, img_id=name, age=age,
                region=region, diagnostic=diagnostic, biopsed=biopsied,
                **ANSWERS, **HISTORIES.get(history, {}),
            )
        )  # fmt: skip
        part = f"imgs_part_{number % 3 + 1}"
        write_image(root / "images" / part / name)
    write_csv(root / "metadata.csv", rows, PAD_COLUMNS)


# --------------------------------------------------------------- HAM10000

HAM_COLUMNS = ["lesion_id", "image_id", "dx", "dx_type", "age", "sex", "localization"]
HAM_ROWS = [
    ["HAM_9000001", "ISIC_9000001", "nv", "follow_up", 45.0, "female", "back"],
    ["HAM_9000001", "ISIC_9000002", "nv", "follow_up", 45.0, "female", "back"],
    ["HAM_9000002", "ISIC_9000003", "mel", "histo", 65.0, "male", "face"],
    ["HAM_9000003", "ISIC_9000004", "bcc", "histo", None, "unknown", "unknown"],
    ["HAM_9000004", "ISIC_9000005", "akiec", "histo", 75.0, "male", "acral"],
    ["HAM_9000005", "ISIC_9000006", "bkl", "consensus", 50.0, "female", "genital"],
    ["HAM_9000006", "ISIC_9000007", "df", "consensus", 40.0, "female", "foot"],
    ["HAM_9000007", "ISIC_9000008", "vasc", "consensus", 35.0, "male", "hand"],
]


def write_ham10000(root):
    write_csv(root / "HAM10000_metadata.csv", HAM_ROWS, HAM_COLUMNS)
    for number, row in enumerate(HAM_ROWS):
        part = "HAM10000_images_part_1" if number < 4 else "HAM10000_images_part_2"
        write_image(root / part / f"{row[1]}.jpg")


# -------------------------------------------------------------- ISIC 2019

ISIC2019_CODES = ["MEL", "NV", "BCC", "AK", "BKL", "DF", "VASC", "SCC", "UNK"]
# image, age, site, lesion, sex, class
ISIC2019_ROWS = [
    ("ISIC_9200001", 55, "anterior torso", None, "female", "NV"),
    ("ISIC_9200002_downsampled", 30, "posterior torso", None, "female", "MEL"),
    ("ISIC_9200003", 70, "head/neck", "BCN_9000001", "male", "BCC"),
    ("ISIC_9200004", 70, "head/neck", "BCN_9000001", "male", "BCC"),
    ("ISIC_9200005", None, None, "BCN_9000002", None, "SCC"),
    ("ISIC_9200006", 65, "lateral torso", "HAM_9000010", "male", "AK"),
    ("ISIC_9200007", 45, "palms/soles", "BCN_9000003", "female", "BKL"),
]


def write_isic2019(root):
    write_csv(
        root / "ISIC_2019_Training_Metadata.csv",
        [row[:5] for row in ISIC2019_ROWS],
        ["image", "age_approx", "anatom_site_general", "lesion_id", "sex"],
    )
    truth = [
        [row[0]] + [float(row[5] == code) for code in ISIC2019_CODES]
        for row in ISIC2019_ROWS
    ]
    columns = ["image", *ISIC2019_CODES]
    write_csv(root / "ISIC_2019_Training_GroundTruth.csv", truth, columns)
    for row in ISIC2019_ROWS:
        write_image(root / "ISIC_2019_Training_Input" / f"{row[0]}.jpg")


# -------------------------------------------------------------- ISIC 2020

ISIC2020_COLUMNS = (
    "image_name patient_id sex age_approx anatom_site_general_challenge "
    "diagnosis benign_malignant target"
).split()
ISIC2020_ROWS = [
    ["ISIC_9300001", "IP_9000001", "male", 45.0, "torso", "unknown", "benign", 0],
    ["ISIC_9300002", "IP_9000001", "male", 45.0, "head/neck", "nevus", "benign", 0],
    ["ISIC_9300003", "IP_9000002", "female", 50.0, "lower extremity", "melanoma",
     "malignant", 1],
    ["ISIC_9300004", "IP_9000002", "female", 50.0, "oral/genital",
     "seborrheic keratosis", "benign", 0],
    ["ISIC_9300005", "IP_9000003", None, None, None, "lentigo NOS", "benign", 0],
    ["ISIC_9300006", "IP_9000003", None, None, "palms/soles", "cafe-au-lait macule",
     "benign", 0],
]  # fmt: skip


def write_isic2020(root):
    # Kaggle's layout: the table at the top, JPEGs under jpeg/train, DICOM
    # files of the same names under train.
    write_csv(root / "train.csv", ISIC2020_ROWS, ISIC2020_COLUMNS)
    (root / "train").mkdir()
    for row in ISIC2020_ROWS:
        write_image(root / "jpeg" / "train" / f"{row[0]}.jpg")
        (root / "train" / f"{row[0]}.dcm").write_bytes(b"DICM")


# ------------------------------------------------------------------ cases

CASES = {
    "milk10k": dict(
        index="lesion_id",
        load=load_milk10k,
        write=write_milk10k,
        columns=["clinical", "dermoscopic", "age", "sex", "site", "skin_tone_class"],
        labelled=6,
        rows=8,
        forbidden=["attribution", "copyright_license", "image_manipulation",
                   "isic_id", "lesion_id", "image_type", *MILK_CODES],
    ),  # fmt: skip
    "derm7pt": dict(
        index="case_num",
        load=load_derm7pt,
        write=write_derm7pt,
        columns=["clinical", "dermoscopic", "sex", "site", "elevation"],
        labelled=7,
        rows=8,
        forbidden=["management", "level_of_diagnostic_difficulty",
                   "seven_point_score", "pigment_network", "streaks",
                   "pigmentation", "regression_structures", "dots_and_globules",
                   "blue_whitish_veil", "vascular_structures", "case_num",
                   "case_id", "notes", "clinic", "derm"],
    ),  # fmt: skip
    "pad_ufes20": dict(
        index="img_id",
        load=load_pad_ufes20,
        write=write_pad_ufes20,
        columns=["clinical", "age", "site", "itch", "grew", "hurt", "changed",
                 "bleed", "elevation"],
        labelled=6,
        rows=7,
        forbidden=["biopsed", "diagnostic", "patient_id", "lesion_id", "img_id",
                   "gender", "fitspatrick", "region"],
    ),  # fmt: skip
    "ham10000": dict(
        index="image_id",
        load=load_ham10000,
        write=write_ham10000,
        columns=["dermoscopic", "age", "sex", "site"],
        labelled=6,
        rows=8,
        forbidden=["dx", "dx_type", "lesion_id", "image_id", "localization"],
    ),
    "isic2019": dict(
        index="image",
        load=load_isic2019,
        write=write_isic2019,
        columns=["dermoscopic", "age", "sex", "site"],
        labelled=6,
        rows=7,
        forbidden=["image", "lesion_id", "age_approx", "anatom_site_general",
                   *ISIC2019_CODES],
    ),  # fmt: skip
    "isic2020": dict(
        index="image_name",
        load=load_isic2020,
        write=write_isic2020,
        columns=["dermoscopic", "age", "sex", "site"],
        labelled=4,
        rows=6,
        forbidden=["image_name", "patient_id", "diagnosis", "benign_malignant",
                   "anatom_site_general_challenge", "age_approx"],
    ),  # fmt: skip
}
ALWAYS_FORBIDDEN = ["diagnosis", "target", "biopsed", "dx_type", "benign_malignant"]

IMAGE_COLUMNS = ("dermoscopic", "clinical")


@pytest.fixture(params=list(CASES))
def case(request, tmp_path):
    spec = CASES[request.param]
    root = tmp_path / request.param
    root.mkdir()
    spec["write"](root)
    return dict(spec, name=request.param, root=root)


def image_columns_of(data):
    return [c for c in IMAGE_COLUMNS if c in data.columns]


# --------------------------------------------------------- every data set


def test_loaders_return_the_lesion_frame_and_its_companions(case):
    bunch = case["load"](case["root"])
    assert list(bunch.data.columns) == case["columns"]
    assert bunch.feature_names == case["columns"]
    assert list(bunch.frame.columns) == [*case["columns"], "target"]
    assert len(bunch.data) == case["labelled"]
    assert bunch.data.index.is_unique
    for part in ("frame", "target", "groups", "diagnosis"):
        assert bunch[part].index.equals(bunch.data.index), part
    assert set(bunch.target) <= set(CLASSES)
    assert bunch.target_names == [c for c in CLASSES if c in set(bunch.target)]
    assert bunch.data.index.name == case["index"]
    assert "Citation" in bunch.DESCR and "Licence" in bunch.DESCR
    assert "This copy" in bunch.DESCR


def test_features_never_include_labels_ids_or_shortcuts(case):
    data = case["load"](case["root"], other="keep").data
    leaked = set(data.columns) & set(case["forbidden"] + ALWAYS_FORBIDDEN)
    assert not leaked


def test_image_paths_are_absolute_and_exist(case):
    data = case["load"](case["root"]).data
    for column in image_columns_of(data):
        assert all(os.path.isabs(p) and os.path.isfile(p) for p in data[column])


def test_metadata_is_harmonised_onto_the_shared_vocabulary(case):
    data = case["load"](case["root"], other="keep").data
    assert set(data["site"].dropna()) <= set(SITES)
    if "sex" in data:
        assert set(data["sex"].dropna()) <= {"female", "male"}
    if "age" in data:
        assert data["age"].dtype == np.float64


def test_other_keep_labels_the_rest_other_and_drop_leaves_it_out(case):
    kept = case["load"](case["root"], other="keep")
    dropped = case["load"](case["root"], other="drop")
    assert len(kept.data) == case["rows"]
    assert (kept.target == OTHER).sum() == case["rows"] - case["labelled"]
    assert kept.target_names[-1] == OTHER
    pd.testing.assert_series_equal(kept.target[kept.target != OTHER], dropped.target)
    assert kept.diagnosis.loc[kept.target == OTHER].notna().all()


def test_return_X_y_gives_data_and_target(case):
    bunch = case["load"](case["root"])
    X, y = case["load"](case["root"], return_X_y=True)
    pd.testing.assert_frame_equal(X, bunch.data)
    pd.testing.assert_series_equal(y, bunch.target)


def test_load_dataset_dispatches_on_the_name(case):
    bunch = load_dataset(f"{case['name']}:{case['root']}", other="keep")
    expected = case["load"](case["root"], other="keep")
    pd.testing.assert_frame_equal(bunch.frame, expected.frame)


def test_a_wrong_root_names_the_expected_tables_and_what_is_there(case, tmp_path):
    wrong = tmp_path / "wrong"
    (wrong / "some_folder").mkdir(parents=True)
    (wrong / "notes.txt").write_text("")
    with pytest.raises(FileNotFoundError) as error:
        case["load"](wrong)
    message = str(error.value)
    assert str(wrong) in message
    assert "notes.txt" in message and "some_folder/" in message
    assert ".csv" in message


def test_a_root_that_is_no_folder_is_reported(case, tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        case["load"](tmp_path / "nowhere")


def remove_images(data, n):
    """Delete the image files of the first ``n`` rows; return their names."""
    names = []
    for path in data[image_columns_of(data)[0]].iloc[:n]:
        os.remove(path)
        names.append(os.path.basename(path))
    return names


def test_missing_images_are_all_listed_in_one_error(case):
    data = case["load"](case["root"]).data
    names = remove_images(data, 2)
    with pytest.raises(FileNotFoundError) as error:
        case["load"](case["root"])
    message = str(error.value)
    assert f"2 of the {case['labelled']}" in message
    assert "2 file(s)" in message
    assert all(name in message for name in names)
    assert str(case["root"]) in message
    assert "missing_images='drop'" in message and "missing_images='ignore'" in message


def test_missing_images_drop_leaves_those_rows_out_with_a_warning(case):
    data = case["load"](case["root"]).data
    remove_images(data, 2)
    with pytest.warns(UserWarning, match=f"2 of the {case['labelled']}"):
        bunch = case["load"](case["root"], missing_images="drop")
    assert list(bunch.data.index) == list(data.index[2:])
    assert bunch.groups.index.equals(bunch.data.index)


def test_missing_images_ignore_keeps_unchecked_paths(case):
    data = case["load"](case["root"]).data
    remove_images(data, 2)
    bunch = case["load"](case["root"], missing_images="ignore")
    column = image_columns_of(data)[0]
    assert bunch.data.index.equals(data.index)
    assert not any(os.path.exists(p) for p in bunch.data[column].iloc[:2])
    assert "kept with unchecked paths" in bunch.DESCR


def test_metadata_alone_loads_without_any_image(case):
    for folder, _, files in os.walk(case["root"]):
        for name in files:
            if not name.lower().endswith(".csv"):
                os.remove(os.path.join(folder, name))
    with pytest.raises(FileNotFoundError, match="No image file at all"):
        case["load"](case["root"])
    bunch = case["load"](case["root"], missing_images="ignore", other="keep")
    assert len(bunch.data) == case["rows"]


def test_tables_one_folder_down_are_found(case, tmp_path):
    parent = tmp_path / "download"
    parent.mkdir()
    os.rename(case["root"], parent / "unpacked")
    bunch = case["load"](parent)
    assert len(bunch.data) == case["labelled"]


@pytest.mark.parametrize(
    "option, value", [("other", "all"), ("missing_images", "skip")]
)
def test_invalid_options_are_rejected(case, option, value):
    with pytest.raises(ValueError, match=option):
        case["load"](case["root"], **{option: value})


# ---------------------------------------------------------------- MILK10k


@pytest.fixture
def milk_root(tmp_path):
    write_milk10k(tmp_path)
    return tmp_path


def test_milk10k_pairs_the_two_images_of_each_lesion(milk_root):
    data = load_milk10k(milk_root, other="keep").data
    assert list(data.index) == [lesion for lesion, *_ in MILK_LESIONS]
    assert data.index.name == "lesion_id"
    meta = pd.read_csv(milk_root / "MILK10k_Training_Metadata.csv")
    for column, image_type in (
        ("clinical", "clinical: close-up"),
        ("dermoscopic", "dermoscopic"),
    ):
        ids = meta[meta.image_type == image_type].set_index("lesion_id")["isic_id"]
        for lesion, path in data[column].items():
            image = f"{ids[lesion]}.jpg"
            assert path == str(milk_root / "MILK10k_Training_Input" / lesion / image)


def test_milk10k_maps_the_ground_truth_onto_the_five_classes(milk_root):
    bunch = load_milk10k(milk_root, other="keep")
    expected = {
        "NV": "nevus",
        "MEL": "melanoma",
        "BCC": "bcc",
        "SCCKA": "scc",
        "AKIEC": "scc",
        "BKL": "bkl",
        "DF": OTHER,
        "VASC": OTHER,
    }
    assert list(bunch.diagnosis) == [code for _, code, *_ in MILK_LESIONS]
    assert list(bunch.target) == [expected[code] for _, code, *_ in MILK_LESIONS]
    assert list(bunch.groups) == list(bunch.data.index)


def test_milk10k_harmonises_age_sex_site_and_skin_tone(milk_root):
    data = load_milk10k(milk_root, other="keep").data
    assert list(data["site"].fillna("-")) == [
        "torso", "head/neck", "upper extremity", "lower extremity",
        "oral/genital", "upper extremity", "lower extremity", "-",
    ]  # fmt: skip
    assert np.isnan(data.loc["IL_9000003", "age"])
    assert data.loc["IL_9000001", "age"] == 35.0
    assert list(data["skin_tone_class"]) == [3, 2, 4, 5, 3, 1, 2, 0]


def test_milk10k_monet_scores_come_per_image_only_on_request(milk_root):
    data = load_milk10k(milk_root, monet_scores=True).data
    monet = [c for c in data.columns if "monet" in c]
    assert len(monet) == 14
    assert "clinical_monet_skin_markings_pen_ink_purple_pen" in monet
    assert "dermoscopic_monet_hair" in monet
    assert not any("monet" in c for c in load_milk10k(milk_root).data.columns)


def test_milk10k_lesion_listed_with_one_image_has_no_path_for_the_other(milk_root):
    path = milk_root / "MILK10k_Training_Metadata.csv"
    meta = pd.read_csv(path)
    meta[meta.isic_id != "ISIC_910010"].to_csv(path, index=False)
    data = load_milk10k(milk_root).data
    assert pd.isna(data.loc["IL_9000002", "clinical"])
    assert os.path.isfile(data.loc["IL_9000002", "dermoscopic"])


def test_milk10k_rejects_ground_truth_of_other_lesions(milk_root):
    path = milk_root / "MILK10k_Training_GroundTruth.csv"
    truth = pd.read_csv(path)
    truth.loc[0, "lesion_id"] = "IL_0000000"
    truth.to_csv(path, index=False)
    with pytest.raises(ValueError, match="IL_9000001"):
        load_milk10k(milk_root)


def test_milk10k_rejects_rows_without_exactly_one_diagnosis(milk_root):
    path = milk_root / "MILK10k_Training_GroundTruth.csv"
    truth = pd.read_csv(path)
    truth.loc[1, "NV"] = 1.0
    truth.to_csv(path, index=False)
    with pytest.raises(ValueError, match="exactly one 1.*IL_9000002"):
        load_milk10k(milk_root)


def test_milk10k_rejects_two_images_of_one_type(milk_root):
    path = milk_root / "MILK10k_Training_Metadata.csv"
    meta = pd.read_csv(path)
    meta.loc[1, "image_type"] = "clinical: close-up"
    meta.to_csv(path, index=False)
    with pytest.raises(ValueError, match="two images of one type.*IL_9000001"):
        load_milk10k(milk_root)


def test_milk10k_warns_about_unknown_image_types_and_skips_them(milk_root):
    path = milk_root / "MILK10k_Training_Metadata.csv"
    meta = pd.read_csv(path)
    extra = meta.iloc[[0]].assign(image_type="clinical: overview", isic_id="ISIC_99")
    pd.concat([meta, extra]).to_csv(path, index=False)
    with pytest.warns(UserWarning, match="clinical: overview"):
        bunch = load_milk10k(milk_root)
    assert len(bunch.data) == 6


# ---------------------------------------------------------------- Derm7pt


@pytest.fixture
def derm_root(tmp_path):
    write_derm7pt(tmp_path)
    return tmp_path


def test_derm7pt_split_follows_the_index_files(derm_root):
    bunch = load_derm7pt(derm_root, other="keep")
    assert list(bunch.split) == ["train"] * 4 + ["valid"] * 2 + ["test"] * 2
    assert bunch.split.index.equals(bunch.data.index)
    dropped = load_derm7pt(derm_root)
    assert "case_num" == dropped.data.index.name
    assert 7 not in dropped.split.index  # the dermatofibroma
    assert list(dropped.split) == ["train"] * 4 + ["valid"] * 2 + ["test"]


def test_derm7pt_matches_file_names_case_insensitively(derm_root):
    data = load_derm7pt(derm_root).data
    images = derm_root / "images"
    assert data.loc[2, "clinical"] == str(images / "NEL" / "NEL003.JPG")
    assert data.loc[5, "dermoscopic"] == str(images / "gal" / "gal002.jpg")


def test_derm7pt_prefers_the_file_in_the_tables_folder(derm_root):
    data = load_derm7pt(derm_root).data
    assert data.loc[3, "clinical"] == str(derm_root / "images" / "FGL" / "Fgl001.jpg")


def test_derm7pt_never_takes_a_file_of_the_same_name_in_another_folder(derm_root):
    os.remove(derm_root / "images" / "FGL" / "Fgl001.jpg")
    with pytest.raises(FileNotFoundError, match="(?s)1 file.*FGL.Fgl001.jpg"):
        load_derm7pt(derm_root)


def test_derm7pt_maps_diagnoses_and_location(derm_root):
    bunch = load_derm7pt(derm_root, other="keep")
    assert list(bunch.target) == [
        "nevus", "melanoma", "bcc", "bkl", "nevus", "bkl", OTHER, "melanoma",
    ]  # fmt: skip
    assert list(bunch.data["site"]) == [
        "torso", "upper extremity", "head/neck", "palms/soles",
        "lower extremity", "oral/genital", "torso", "torso",
    ]  # fmt: skip
    assert list(bunch.data["elevation"][:3]) == ["flat", "palpable", "nodular"]
    assert list(bunch.groups) == list(range(1, 9))


@pytest.mark.parametrize(
    "indexes, match",
    [([6, 8], "not row numbers"), ([0, 7], "already in a split"), ([7, 7], "already")],
)
def test_derm7pt_rejects_split_files_that_do_not_fit(derm_root, indexes, match):
    path = derm_root / "meta" / "test_indexes.csv"
    write_csv(path, [[i] for i in indexes], ["indexes"])
    with pytest.raises(ValueError, match=match):
        load_derm7pt(derm_root)


def test_derm7pt_without_split_files_names_them(derm_root):
    os.remove(derm_root / "meta" / "valid_indexes.csv")
    with pytest.raises(FileNotFoundError, match="valid_indexes.csv"):
        load_derm7pt(derm_root)


# ------------------------------------------------------------ PAD-UFES-20


@pytest.fixture
def pad_root(tmp_path):
    write_pad_ufes20(tmp_path)
    return tmp_path


def test_pad_ufes20_finds_images_in_the_nested_parts(pad_root):
    data = load_pad_ufes20(pad_root, other="keep").data
    assert data.index.name == "img_id"
    assert data.loc["PAT_9001_9102_2.png", "clinical"] == str(
        pad_root / "images" / "imgs_part_2" / "PAT_9001_9102_2.png"
    )


def test_pad_ufes20_groups_images_by_patient_and_maps_labels(pad_root):
    bunch = load_pad_ufes20(pad_root, other="keep")
    assert list(bunch.groups) == [image[0] for image in PAD_IMAGES]
    assert list(bunch.diagnosis) == [image[5] for image in PAD_IMAGES]
    assert list(bunch.target) == [
        "bcc", OTHER, "nevus", "melanoma", "melanoma", "bkl", "scc",
    ]  # fmt: skip


def test_pad_ufes20_answers_become_numbers_and_sites_the_vocabulary(pad_root):
    data = load_pad_ufes20(pad_root, other="keep").data
    answers = data[["itch", "grew", "hurt", "changed", "bleed", "elevation"]].iloc[0]
    np.testing.assert_array_equal(answers, [1.0, 0.0, np.nan, 1.0, 0.0, 1.0])
    assert list(data["site"]) == [
        "head/neck", "upper extremity", "torso", "lower extremity",
        "lower extremity", "torso", "head/neck",
    ]  # fmt: skip


def test_pad_ufes20_partial_columns_only_on_request(pad_root):
    default = load_pad_ufes20(pad_root, other="keep").data
    assert not {"sex", "fitzpatrick", "smoke", "diameter_1_mm"} & set(default.columns)
    data = load_pad_ufes20(pad_root, other="keep", partial_columns=True).data
    assert list(data["sex"].fillna("-")) == [
        "female", "female", "-", "male", "male", "-", "male",
    ]  # fmt: skip
    assert list(data["fitzpatrick"].fillna(-1)) == [2, 2, -1, 3, 3, -1, 1]
    assert list(data["smoke"].fillna(-1)) == [0, 0, -1, 1, 1, -1, 0]
    assert data.loc["PAT_9001_9101_1.png", "diameter_1_mm"] == 8.0
    assert data.loc["PAT_9001_9101_1.png", "background_mother"] == "BRAZIL"
    assert data["background_father"].isna().sum() == 4  # 2 missing, 2 UNK
    assert "biopsed" not in data


def test_pad_ufes20_rejects_answers_that_are_not_yes_no(pad_root):
    path = pad_root / "metadata.csv"
    table = pd.read_csv(path)
    table["itch"] = table["itch"].astype(object)
    table.loc[3, "itch"] = "maybe"
    table.to_csv(path, index=False)
    with pytest.raises(ValueError, match="'itch'.*'maybe'.*PAT_9003_9104_4.png"):
        load_pad_ufes20(pad_root)


# --------------------------------------------------------------- HAM10000


@pytest.fixture
def ham_root(tmp_path):
    write_ham10000(tmp_path)
    return tmp_path


def test_ham10000_reads_both_image_parts_and_groups_by_lesion(ham_root):
    bunch = load_ham10000(ham_root, other="keep")
    assert bunch.data.loc["ISIC_9000006", "dermoscopic"] == str(
        ham_root / "HAM10000_images_part_2" / "ISIC_9000006.jpg"
    )
    assert list(bunch.groups[:2]) == ["HAM_9000001", "HAM_9000001"]
    assert list(bunch.target) == [
        "nevus", "nevus", "melanoma", "bcc", "scc", "bkl", OTHER, OTHER,
    ]  # fmt: skip


def test_ham10000_maps_unknown_sex_and_site_to_missing(ham_root):
    data = load_ham10000(ham_root, other="keep").data
    row = data.loc["ISIC_9000004"]
    assert pd.isna(row["sex"]) and pd.isna(row["site"]) and np.isnan(row["age"])
    assert list(data["site"].fillna("-")) == [
        "torso", "torso", "head/neck", "-", "palms/soles", "oral/genital",
        "lower extremity", "upper extremity",
    ]  # fmt: skip


def test_unknown_vocabulary_is_warned_about_and_read_as_missing(ham_root):
    path = ham_root / "HAM10000_metadata.csv"
    table = pd.read_csv(path)
    table.loc[0, "localization"] = "elbow"
    table.to_csv(path, index=False)
    with pytest.warns(UserWarning, match="'localization'.*elbow"):
        data = load_ham10000(ham_root).data
    assert pd.isna(data.loc["ISIC_9000001", "site"])


def test_a_table_without_a_needed_column_is_named(ham_root):
    path = ham_root / "HAM10000_metadata.csv"
    pd.read_csv(path).drop(columns="localization").to_csv(path, index=False)
    with pytest.raises(ValueError, match="HAM10000_metadata.csv.*'localization'"):
        load_ham10000(ham_root)


def test_repeated_and_missing_ids_are_named(ham_root):
    path = ham_root / "HAM10000_metadata.csv"
    table = pd.read_csv(path)
    table.loc[2, "image_id"] = "ISIC_9000001"
    table.to_csv(path, index=False)
    with pytest.raises(ValueError, match="'ISIC_9000001' more than once"):
        load_ham10000(ham_root)
    table.loc[2, "image_id"] = None
    table.to_csv(path, index=False)
    with pytest.raises(ValueError, match="no 'image_id' on line.*4"):
        load_ham10000(ham_root)


def test_text_in_a_number_column_is_named(ham_root):
    path = ham_root / "HAM10000_metadata.csv"
    table = pd.read_csv(path)
    table["age"] = table["age"].astype(object)
    table.loc[1, "age"] = "forty"
    table.to_csv(path, index=False)
    with pytest.raises(ValueError, match="'age'.*ISIC_9000002.*'forty'"):
        load_ham10000(ham_root)


# -------------------------------------------------------------- ISIC 2019


@pytest.fixture
def isic2019_root(tmp_path):
    write_isic2019(tmp_path)
    return tmp_path


def test_isic2019_decodes_one_hot_labels_and_keeps_ak_as_other(isic2019_root):
    bunch = load_isic2019(isic2019_root, other="keep")
    assert list(bunch.diagnosis) == [row[5] for row in ISIC2019_ROWS]
    assert list(bunch.target) == [
        "nevus", "melanoma", "bcc", "bcc", "scc", OTHER, "bkl",
    ]  # fmt: skip


def test_isic2019_groups_by_lesion_else_by_image(isic2019_root):
    bunch = load_isic2019(isic2019_root)
    assert list(bunch.groups[:4]) == [
        "ISIC_9200001", "ISIC_9200002_downsampled", "BCN_9000001", "BCN_9000001",
    ]  # fmt: skip
    assert bunch.data.loc["ISIC_9200002_downsampled", "dermoscopic"].endswith(
        "ISIC_9200002_downsampled.jpg"
    )
    assert list(bunch.data["site"][:2]) == ["torso", "torso"]


def test_isic2019_rejects_tables_of_different_images(isic2019_root):
    path = isic2019_root / "ISIC_2019_Training_GroundTruth.csv"
    pd.read_csv(path).iloc[1:].to_csv(path, index=False)
    with pytest.raises(ValueError, match="ISIC_9200001.*same release"):
        load_isic2019(isic2019_root)


# -------------------------------------------------------------- ISIC 2020


@pytest.fixture
def isic2020_root(tmp_path):
    write_isic2020(tmp_path)
    return tmp_path


def test_isic2020_unknown_is_other_never_a_guess(isic2020_root):
    bunch = load_isic2020(isic2020_root, other="keep")
    assert list(bunch.target) == ["other", "nevus", "melanoma", "bkl", "bkl", OTHER]
    assert bunch.diagnosis.iloc[0] == "unknown"
    assert list(load_isic2020(isic2020_root).data.index) == [
        "ISIC_9300002", "ISIC_9300003", "ISIC_9300004", "ISIC_9300005",
    ]  # fmt: skip


def test_isic2020_groups_by_patient_and_reads_kaggles_jpeg_folder(isic2020_root):
    bunch = load_isic2020(isic2020_root)
    assert list(bunch.groups) == [
        "IP_9000001", "IP_9000002", "IP_9000002", "IP_9000003",
    ]  # fmt: skip
    assert bunch.data["dermoscopic"].iloc[0] == str(
        isic2020_root / "jpeg" / "train" / "ISIC_9300002.jpg"
    )


# ------------------------------------------------------------ load_dataset


@pytest.mark.parametrize("name", ["HAM10000", "ham-10000", "Ham_10000"])
def test_load_dataset_ignores_case_hyphens_and_underscores(ham_root, name):
    X, y = load_dataset(f"{name}:{ham_root}", return_X_y=True)
    assert len(X) == len(y) == 6


def test_load_dataset_accepts_paths_with_colons(tmp_path):
    root = tmp_path / "with:colon"
    root.mkdir()
    write_ham10000(root)
    assert len(load_dataset(f"ham10000:{root}").data) == 6


@pytest.mark.parametrize(
    "spec, match",
    [
        ("ph2:/data/ph2", "Unknown data set 'ph2'.*milk10k, derm7pt, pad_ufes20"),
        ("/data/ham10000", "name:path"),
        ("ham10000:", "name:path"),
    ],
)
def test_load_dataset_rejects_unknown_names_and_bad_specs(spec, match):
    with pytest.raises(ValueError, match=match):
        load_dataset(spec)


def test_loaders_emit_no_warning_on_clean_tables(case):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        case["load"](case["root"], other="keep")
