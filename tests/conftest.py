"""Fixtures shared by the test suite: small lesion frames with real image files."""

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from skmultimodal.datasets import make_lesions

# Two cores on CI: more threads than cores only adds contention.
torch.set_num_threads(2)

# Settings that make a fusion net train in seconds on a CPU.
FAST_NET = {
    "backbone": "resnet18",
    "weights": None,
    "image_size": 32,
    "embedding_dims": (32,),
    "max_epochs": 2,
    "batch_size": 32,
    "lr": 1e-3,
    "random_state": 0,
}


def small_tower():
    """A convolutional tower that trains in milliseconds on a CPU."""
    return torch.nn.Sequential(
        torch.nn.Conv2d(3, 8, 3, stride=2),
        torch.nn.ReLU(),
        torch.nn.AdaptiveAvgPool2d(1),
        torch.nn.Flatten(),
    )


@pytest.fixture(scope="session")
def lesions(tmp_path_factory):
    """60 synthetic lesions: (X, y, groups)."""
    directory = tmp_path_factory.mktemp("lesions")
    return make_lesions(
        60, image_size=48, directory=directory, return_groups=True, random_state=0
    )


def write_square(path, colour, size=40):
    Image.new("RGB", (size, size), colour).save(path)
    return str(path)


@pytest.fixture(scope="session")
def xor_lesions(tmp_path_factory):
    """Lesions whose label needs both images: neither image alone tells it.

    The dermoscopic image is bright or dark, the clinical one reddish or
    greenish, each with noise; the label is "melanoma" when exactly one of the
    two is set, so each image alone is at chance level.
    """
    directory = tmp_path_factory.mktemp("xor")
    rng = np.random.RandomState(0)
    rows, labels = [], []
    for i in range(192):
        bright, red = rng.randint(2), rng.randint(2)
        grey = int((170 if bright else 70) + rng.randint(-25, 25))
        tint = (170, 90, 90) if red else (90, 170, 90)
        tint = tuple(int(v + rng.randint(-25, 25)) for v in tint)
        rows.append(
            {
                "dermoscopic": write_square(directory / f"{i}_d.png", (grey,) * 3),
                "clinical": write_square(directory / f"{i}_c.png", tint),
                "age": float(rng.randint(20, 80)),
            }
        )
        labels.append("melanoma" if bright != red else "nevus")
    return pd.DataFrame(rows), np.array(labels)
