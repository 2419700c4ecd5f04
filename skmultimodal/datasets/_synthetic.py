"""Synthetic paired lesion images with metadata, for demos and tests."""

import hashlib
import os
import tempfile

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw, ImageFilter
from sklearn.utils import check_random_state

from .._atomic import written_whole
from ._vocabulary import CLASSES, SITES

# Bumped whenever the generator changes, so cached demo files are rewritten.
_GENERATOR_VERSION = 2

# Class frequencies in the spirit of the paper's data: nevi most common.
_FREQUENCIES = {"nevus": 0.45, "melanoma": 0.15, "bcc": 0.20, "scc": 0.08, "bkl": 0.12}

# Dermoscopy shows a lesion's colours sharply: each class has its own base
# colour and a secondary structure colour (blue-grey veil, vessels, keratin,
# milia). The clinical close-up shows the same lesion smaller and blurrier,
# with cues of its own: size, surrounding redness and a raised, shiny top.
_DERMOSCOPIC = {
    "nevus": {"base": (150, 95, 60), "detail": (110, 65, 40)},
    "melanoma": {"base": (85, 55, 50), "detail": (95, 105, 130)},
    "bcc": {"base": (205, 145, 145), "detail": (185, 55, 65)},
    "scc": {"base": (195, 110, 100), "detail": (235, 225, 185)},
    "bkl": {"base": (170, 130, 85), "detail": (240, 235, 220)},
}
_CLINICAL = {
    "nevus": {"radius": 0.16, "redness": 0.1, "raised": 0.2},
    "melanoma": {"radius": 0.27, "redness": 0.2, "raised": 0.3},
    "bcc": {"radius": 0.21, "redness": 0.7, "raised": 0.8},
    "scc": {"radius": 0.24, "redness": 0.9, "raised": 0.6},
    "bkl": {"radius": 0.22, "redness": 0.1, "raised": 0.9},
}
_AGE = {"nevus": (38, 14), "melanoma": (60, 15), "bcc": (70, 12), "scc": (75, 10),
        "bkl": (65, 13)}
_MALE = {"nevus": 0.45, "melanoma": 0.55, "bcc": 0.55, "scc": 0.62, "bkl": 0.5}
# Probabilities over SITES per class: BCC and SCC favour sun-exposed skin.
_SITE = {
    "nevus": (0.10, 0.15, 0.20, 0.50, 0.04, 0.01),
    "melanoma": (0.15, 0.15, 0.25, 0.40, 0.04, 0.01),
    "bcc": (0.55, 0.10, 0.07, 0.27, 0.00, 0.01),
    "scc": (0.45, 0.25, 0.15, 0.13, 0.01, 0.01),
    "bkl": (0.25, 0.10, 0.10, 0.53, 0.01, 0.01),
}
_SKIN_TONES = np.array(
    [(241, 194, 167), (224, 172, 138), (198, 134, 100), (160, 100, 70)], dtype=float
)


def make_lesions(
    n_samples=500,
    *,
    image_size=64,
    directory=None,
    colour_noise=30.0,
    missing_metadata=0.05,
    return_groups=False,
    random_state=None,
):
    """Generate paired synthetic dermoscopic and clinical images with metadata.

    Each lesion gets a dermoscopic-looking image (lesion colours and
    structures under a dermoscope's round field), a clinical-looking
    close-up (a smaller, blurred lesion on a wider patch of skin, with
    surrounding redness and a shiny raised top) and patient metadata (age,
    sex, anatomical site). The class shows in every modality, through
    independent noise: dermoscopy most clearly, the close-up less so and the
    metadata weakly, so that combining modalities helps as in Yap et al.
    (2018). Patients (with one skin tone, age and sex each) may have several
    lesions.

    Images are written as JPEG (dermoscopic, landscape) and PNG (clinical,
    portrait) files, so that reading them exercises the centre-square crop.
    With an int ``random_state`` and no ``directory``, the files go to a
    cache folder named after the arguments and are reused by later calls.

    Parameters
    ----------
    n_samples : int, default=500
        Number of lesions.
    image_size : int, default=64
        Short side of the written images, in pixels.
    directory : str, os.PathLike or None, default=None
        Where to write the images. ``None`` uses
        ``$SKMULTIMODAL_DATA/make_lesions-<hash>`` (default base
        ``~/.cache/skmultimodal``) for an int ``random_state``, else a new
        temporary folder.
    colour_noise : float, default=30.0
        Standard deviation of the per-lesion colour noise (0-255 scale);
        higher values make images less informative.
    missing_metadata : float, default=0.05
        Fraction of missing age, sex and site values.
    return_groups : bool, default=False
        Also return the patient of each lesion.
    random_state : int, RandomState instance or None, default=None
        Seeds everything; the same int always gives the same data.

    Returns
    -------
    X : DataFrame of shape (n_samples, 5)
        The lesion frame: ``dermoscopic`` and ``clinical`` (absolute paths),
        ``age`` (float, years), ``sex`` and ``site`` (strings, missing as NaN),
        indexed by lesion id.
    y : ndarray of shape (n_samples,)
        Labels among ``"nevus"``, ``"melanoma"``, ``"bcc"``, ``"scc"``,
        ``"bkl"``.
    groups : ndarray of shape (n_samples,)
        Patient ids, only with ``return_groups=True``.

    Examples
    --------
    >>> import tempfile
    >>> from skmultimodal.datasets import make_lesions
    >>> X, y = make_lesions(20, image_size=32, directory=tempfile.mkdtemp(),
    ...                     random_state=0)
    >>> X.columns.tolist()
    ['dermoscopic', 'clinical', 'age', 'sex', 'site']
    >>> X.shape, y[:3].tolist()
    ((20, 5), ['melanoma', 'bcc', 'bcc'])
    """
    rng = check_random_state(random_state)
    if int(n_samples) < 1:
        raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}.")
    if int(image_size) < 16:
        raise ValueError(f"image_size must be at least 16 pixels, got {image_size!r}.")
    n_samples, image_size = int(n_samples), int(image_size)
    directory = _directory(
        directory, random_state, n_samples, image_size, colour_noise, missing_metadata
    )
    os.makedirs(directory, exist_ok=True)

    labels = rng.choice(
        CLASSES, size=n_samples, p=[_FREQUENCIES[c] for c in CLASSES]
    ).astype(str)
    # About 1.3 lesions per patient; a patient's lesions share skin, age, sex.
    n_patients = max(1, int(round(n_samples / 1.3)))
    patient = np.sort(rng.randint(0, n_patients, size=n_samples))
    skin = _SKIN_TONES[rng.choice(len(_SKIN_TONES), size=n_patients, p=(0.35, 0.35, 0.2, 0.1))]
    patient_age_shift = rng.normal(0, 6, size=n_patients)
    patient_male = rng.uniform(size=n_patients)

    rows = []
    for i, label in enumerate(labels):
        lesion_id = f"SYN_{i:05d}"
        p = patient[i]
        mean_age, sd_age = _AGE[label]
        age = float(np.clip(5 * round((rng.normal(mean_age, sd_age) + patient_age_shift[p]) / 5), 5, 90))
        sex = "male" if patient_male[p] < _MALE[label] else "female"
        site = SITES[rng.choice(len(SITES), p=_SITE[label])]
        dermoscopic = os.path.join(directory, f"{lesion_id}_dermoscopic.jpg")
        clinical = os.path.join(directory, f"{lesion_id}_clinical.png")
        # Draw both images even when cached, so the random stream (and hence
        # the metadata of later lesions) does not depend on what is on disk.
        dermoscopic_image = _dermoscopic(label, skin[p], image_size, colour_noise, rng)
        clinical_image = _clinical(label, skin[p], image_size, colour_noise, rng)
        if not os.path.exists(dermoscopic):
            _save(dermoscopic_image, dermoscopic, quality=92)
        if not os.path.exists(clinical):
            _save(clinical_image, clinical)
        rows.append(
            {"lesion_id": lesion_id, "dermoscopic": dermoscopic, "clinical": clinical,
             "age": age, "sex": sex, "site": site}
        )
    X = pd.DataFrame(rows).set_index("lesion_id")
    for column in ("age", "sex", "site"):
        missing = rng.uniform(size=n_samples) < missing_metadata
        X[column] = X[column].mask(missing)
    if return_groups:
        return X, labels, np.array([f"PAT_{p:05d}" for p in patient])
    return X, labels


def _directory(directory, random_state, *arguments):
    if directory is not None:
        return os.fspath(directory)
    if isinstance(random_state, (int, np.integer)):
        home = os.environ.get(
            "SKMULTIMODAL_DATA", os.path.join(os.path.expanduser("~"), ".cache", "skmultimodal")
        )
        key = "-".join(map(str, (_GENERATOR_VERSION, int(random_state), *arguments)))
        digest = hashlib.sha1(key.encode()).hexdigest()[:12]
        return os.path.join(home, f"make_lesions-{digest}")
    return tempfile.mkdtemp(prefix="skmultimodal-lesions-")


def _save(image, path, **options):
    # Write then rename, so an interrupted run never leaves a torn image that
    # a later call would take for a finished one.
    with written_whole(path) as temporary:
        image.save(temporary, format="JPEG" if path.endswith(".jpg") else "PNG", **options)


def _colour(rgb, noise, rng):
    return tuple(int(v) for v in np.clip(np.asarray(rgb, float) + noise, 0, 255))


def _skin_field(width, height, skin, rng):
    """Skin with a soft lighting gradient and fine grain."""
    yy, xx = np.mgrid[0:height, 0:width].astype(float)
    angle = rng.uniform(0, 2 * np.pi)
    gradient = (np.cos(angle) * xx / width + np.sin(angle) * yy / height) * rng.uniform(10, 30)
    grain = rng.normal(0, 4, size=(height, width, 1))
    field = np.asarray(skin, float)[None, None, :] + gradient[..., None] + grain
    return np.clip(field, 0, 255)


def _blob(width, height, centre, radius, irregularity, rng):
    """A lesion outline: a circle whose radius wobbles with a few harmonics."""
    angles = np.linspace(0, 2 * np.pi, 64, endpoint=False)
    wobble = np.zeros_like(angles)
    for harmonic in (2, 3, 5):
        wobble += rng.uniform(0, irregularity) * np.cos(harmonic * angles + rng.uniform(0, 2 * np.pi))
    r = radius * (1 + wobble)
    return [(centre[0] + x, centre[1] + y) for x, y in zip(r * np.cos(angles), r * np.sin(angles))]


def _dermoscopic(label, skin, size, colour_noise, rng):
    width, height = int(round(size * 4 / 3)), size
    image = Image.fromarray(_skin_field(width, height, skin, rng).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    style = _DERMOSCOPIC[label]
    shift = rng.normal(0, 1.3 * colour_noise, size=3)
    centre = (width / 2 + rng.normal(0, size * 0.04), height / 2 + rng.normal(0, size * 0.04))
    radius = size * rng.uniform(0.22, 0.34)
    irregular = 0.25 if label == "melanoma" else 0.08
    draw.polygon(_blob(width, height, centre, radius, irregular, rng), fill=_colour(style["base"], shift, rng))
    # Secondary structures: a few spots of the class's detail colour.
    for _ in range(rng.randint(3, 7)):
        offset = rng.normal(0, radius * 0.35, size=2)
        spot = radius * rng.uniform(0.08, 0.22)
        x, y = centre[0] + offset[0], centre[1] + offset[1]
        detail = _colour(style["detail"], shift * 0.5 + rng.normal(0, colour_noise / 2, 3), rng)
        draw.ellipse((x - spot, y - spot, x + spot, y + spot), fill=detail)
    image = image.filter(ImageFilter.GaussianBlur(radius=size / 96))
    # The dermoscope's round field leaves dark corners.
    mask = Image.new("L", (width, height), 0)
    ImageDraw.Draw(mask).ellipse(
        (width / 2 - 0.57 * width, height / 2 - 0.57 * width, width / 2 + 0.57 * width, height / 2 + 0.57 * width),
        fill=255,
    )
    return Image.composite(image, Image.new("RGB", (width, height), (10, 8, 8)), mask)


def _clinical(label, skin, size, colour_noise, rng):
    width, height = size, int(round(size * 4 / 3))
    field = _skin_field(width, height, skin, rng)
    cues = _CLINICAL[label]
    yy, xx = np.mgrid[0:height, 0:width].astype(float)
    centre = (width / 2 + rng.normal(0, size * 0.05), height / 2 + rng.normal(0, size * 0.05))
    distance = np.hypot(xx - centre[0], yy - centre[1]) / size
    radius = max(0.04, cues["radius"] * rng.lognormal(0, 0.25))
    # Surrounding redness: a soft red halo of class-dependent strength.
    redness = np.clip(cues["redness"] + rng.normal(0, 0.3), 0, 1)
    halo = redness * np.exp(-(((distance - radius) / (radius * 0.9)) ** 2))
    field += halo[..., None] * np.array([35.0, -25.0, -20.0])
    # The lesion: the dermoscopic base colour, paler and noisier at this scale.
    base = np.asarray(_DERMOSCOPIC[label]["base"], float)
    colour = 0.55 * base + 0.45 * np.asarray(skin) + rng.normal(0, colour_noise, size=3)
    inside = np.clip((radius - distance) / (0.15 * radius), 0, 1)
    field = field * (1 - inside[..., None]) + colour[None, None, :] * inside[..., None]
    # A raised lesion catches the light: a highlight on its upper left.
    raised = np.clip(cues["raised"] + rng.normal(0, 0.3), 0, 1)
    glint = raised * np.exp(-(np.hypot(xx - centre[0] + radius * size * 0.4, yy - centre[1] + radius * size * 0.4) / (radius * size * 0.35)) ** 2)
    field += 60 * glint[..., None]
    image = Image.fromarray(np.clip(field, 0, 255).astype(np.uint8))
    return image.filter(ImageFilter.GaussianBlur(radius=size / 64))
