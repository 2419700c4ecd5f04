"""
=============================================
Fit the fusion network and read its outputs
=============================================

Train :class:`~skmultimodal.MultimodalLesionClassifier` on a lesion frame,
predict held-out lesions, and score the predictions with the metrics of Yap
et al. (2018). The network here is small enough for a CPU; with its defaults
it is the paper's (ImageNet ResNet-50 towers at 224 pixels).
"""

# %%
# A lesion frame
# --------------
# :func:`~skmultimodal.datasets.make_lesions` writes synthetic lesions: a
# dermoscopic image and a clinical close-up per lesion, with age, sex and
# body site. The frame has one row per lesion; ``y`` holds the diagnoses and
# ``patients`` the patient of each lesion (some patients have several).
from skmultimodal.datasets import make_lesions

X, y, patients = make_lesions(
    200, image_size=64, random_state=0, return_groups=True
)
X.head()

# %%
# One lesion of each class, as the two image modalities show it. The class
# is visible in both, most clearly in dermoscopy.
import matplotlib.pyplot as plt
import numpy as np
from PIL import Image

classes = ["nevus", "melanoma", "bcc", "scc", "bkl"]
fig, axes = plt.subplots(2, 5, figsize=(9, 4), layout="constrained")
for column, label in enumerate(classes):
    row = X[y == label].iloc[0]
    for line, modality in enumerate(["dermoscopic", "clinical"]):
        ax = axes[line, column]
        ax.imshow(Image.open(row[modality]))
        ax.set(xticks=[], yticks=[])
        if line == 0:
            ax.set_title(label)
        if column == 0:
            ax.set_ylabel(modality)

# %%
# Fit on some patients, predict the others
# ----------------------------------------
# The split keeps each patient's lesions together
# (:class:`~sklearn.model_selection.GroupShuffleSplit`), so the test lesions
# come from patients the network has never seen.
from sklearn.model_selection import GroupShuffleSplit

from skmultimodal import MultimodalLesionClassifier

splitter = GroupShuffleSplit(n_splits=1, test_size=0.3, random_state=0)
train, test = next(splitter.split(X, y, patients))
net = MultimodalLesionClassifier(
    modalities=("dermoscopic", "clinical", "metadata"),
    backbone="resnet18",
    weights=None,
    image_size=32,
    embedding_dims=(64,),
    max_epochs=4,
    batch_size=16,
    lr=1e-3,
    random_state=0,
)
net.fit(X.iloc[train], y[train])

# %%
# The training loss per epoch, from skorch's history.
fig, ax = plt.subplots(figsize=(5, 3), layout="constrained")
epochs = range(1, len(net.history_) + 1)
ax.plot(epochs, net.history_[:, "train_loss"], marker="o")
ax.set(xlabel="epoch", ylabel="training loss (cross-entropy)")

# %%
# Probabilities follow ``classes_``
# ---------------------------------
# ``classes_`` holds the labels in sorted order; column *j* of
# ``predict_proba`` is the probability of ``classes_[j]``. ``predict`` returns
# labels, not column indices.
import pandas as pd

print(net.classes_)
proba = net.predict_proba(X.iloc[test])
table = pd.DataFrame(proba, columns=net.classes_, index=X.index[test])
table.head().round(3)

# %%
net.predict(X.iloc[test])[:5], y[test][:5]

# %%
# The paper's metrics
# -------------------
# Every metric takes the labels of the probability columns, so none guesses
# which column is melanoma.
from skmultimodal.metrics import (
    cancer_auc,
    mean_average_precision,
    melanoma_auc,
    top1_accuracy,
)

metrics = (top1_accuracy, mean_average_precision, melanoma_auc, cancer_auc)
for metric in metrics:
    score = metric(y[test], proba, net.classes_)
    print(f"{metric.__name__:>24}: {score:.3f}")

# %%
# :func:`~skmultimodal.metrics.lesion_scorers` gives the same four as
# scorers for :func:`~sklearn.model_selection.cross_validate` and
# :class:`~sklearn.model_selection.GridSearchCV`; the next examples use them.
#
# Per-class sensitivity on the held-out patients, from the confusion matrix
# normalised by the true class:
from skmultimodal.plotting import ConfusionMatricesDisplay

predicted = {"dsc + macro + meta": net.predict(X.iloc[test])}
display = ConfusionMatricesDisplay.from_predictions(
    y[test], predicted, labels=net.classes_
)
np.diag(display.matrices["dsc + macro + meta"]).round(2)
