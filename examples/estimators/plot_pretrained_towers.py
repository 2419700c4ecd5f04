"""
===========================================
Pretrain a tower on a public set, reuse it
===========================================

Hospital machines often cannot download ImageNet weights, and a small paired
data set is too small to train image towers from scratch. A tower trained
on a large public set of the same kind of images (HAM10000, ISIC 2019) is a
better start, and it can be made anywhere and carried over as two small
files. This example does it on synthetic lesions: a dermoscopic tower is
pretrained on one generated "public" set with
:func:`~skmultimodal.model_selection.pretrain_tower`, exported, and reused on
another, smaller "paired" set in two ways:

- frozen inside :class:`~skmultimodal.MultimodalLesionClassifier`
  (``weights=`` the exported file), against a frozen random tower;
- as features in a scikit-learn pipeline, through
  :class:`~skmultimodal.ImageFeatureExtractor`, beside the patient's age.

See :ref:`pretrained-weights` for the same recipe on real data.
"""

# %%
# Two data sets
# -------------
# A larger public set, with its patients, and a small paired set from
# another draw (other patients, other skin tones).
import tempfile

from skmultimodal.datasets import make_lesions

public, public_labels, public_patients = make_lesions(
    240, image_size=32, random_state=1, return_groups=True
)
paired, labels, patients = make_lesions(
    160, image_size=32, random_state=2, return_groups=True
)

# %%
# Pretraining
# -----------
# A one-modality net on every class of the public set, scored on a fifth of
# its patients held out, its tower written to ``folder``. On real data, the
# lesions of the paired set would be passed as ``exclude=``: public sets
# share images with each other and with paired sets, and a tower that has
# seen the paired lesions would flatter their evaluation.
from torch import nn

from skmultimodal.model_selection import pretrain_tower


def small_tower():
    """A two-layer convolutional tower: quick on a CPU, and enough for 32 pixels."""
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, stride=2), nn.BatchNorm2d(16), nn.ReLU(),
        nn.Conv2d(16, 32, 3, stride=2), nn.BatchNorm2d(32), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(),
    )


folder = tempfile.mkdtemp()
pretrained = pretrain_tower(
    public, public_labels, groups=public_patients, modality="dermoscopic",
    backbone=small_tower(), weights=None, image_size=32, out=folder,
    augment=False, embedding_dims=(), max_epochs=12, lr=3e-3, batch_size=32,
)
print(pretrained.paths)

# %%
# The exported tower, frozen, on the paired set
# ---------------------------------------------
# The same net with the tower frozen: only the classifier trains, on tower
# features computed once per image. Grouped cross-validation on the paired
# set compares the pretrained tower with a random one.
import pandas as pd
from sklearn.model_selection import GroupKFold, cross_validate

from skmultimodal import MultimodalLesionClassifier
from skmultimodal.metrics import lesion_scorers

cv = GroupKFold(n_splits=4)
scores = {}
for name, weights in [("pretrained", pretrained.paths["dermoscopic"]),
                      ("random", None)]:
    net = MultimodalLesionClassifier(
        ("dermoscopic",), backbone=small_tower(), weights=weights, image_size=32,
        freeze_towers=True, augment=False, embedding_dims=(), max_epochs=30,
        lr=1e-2, random_state=0,
    )
    result = cross_validate(net, paired, labels, groups=patients, cv=cv,
                            scoring=lesion_scorers())
    scores[f"frozen {name} tower"] = result

# %%
# The exported tower's features in a scikit-learn pipeline
# --------------------------------------------------------
# :class:`~skmultimodal.ImageFeatureExtractor` turns the column of image
# paths into the tower's pooled features, which a
# :class:`~sklearn.compose.ColumnTransformer` puts beside the scaled age for
# a logistic regression. Features are computed once per image, whatever the
# number of folds.
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmultimodal import ImageFeatureExtractor

images = ImageFeatureExtractor(
    small_tower(), weights=pretrained.paths["dermoscopic"], image_size=32
)
features = ColumnTransformer([
    ("images", make_pipeline(images, StandardScaler()), ["dermoscopic"]),
    ("age", make_pipeline(SimpleImputer(), StandardScaler()), ["age"]),
])
model = make_pipeline(features, LogisticRegression(C=0.1, max_iter=2000))
scores["logistic regression on tower features + age"] = cross_validate(
    model, paired, labels, groups=patients, cv=cv, scoring=lesion_scorers()
)

# %%
# Mean average precision and top-1 accuracy over the four folds:
table = pd.DataFrame({
    name: {
        "mAP": f"{result['test_map'].mean():.3f} ({result['test_map'].std():.3f})",
        "top-1": f"{result['test_top1'].mean():.3f} ({result['test_top1'].std():.3f})",
    }
    for name, result in scores.items()
}).T
print(table.to_string())

# %%
# The pretrained tower carries what it learned on the public set: frozen, it
# beats a random tower of the same shape, and its features serve a plain
# logistic regression as well. On real data the same three steps are
# ``skmultimodal pretrain`` on HAM10000 or ISIC 2019, then ``weights=`` the
# exported files (:func:`~skmultimodal.neural.exported_weights` reads a
# whole folder) when training on the paired set, with the towers frozen or
# fine-tuned.
