"""
==========================================================
One model for incomplete lesions: scored with each subset
==========================================================

Clinics do not take every image of every lesion, and public data sets have
one kind of image or the other. A
:class:`~skmultimodal.MultimodalLesionClassifier` reads an empty image cell
as "not taken" and, trained with ``modality_dropout``, predicts from
whatever a lesion has. This example trains one such model on the demo data
with 40 % of the clinical images missing, then measures with
:func:`~skmultimodal.model_selection.modality_robustness` how well it does
with each subset of its modalities.
"""

# %%
# Lesions without a clinical image
# --------------------------------
# An empty cell (``NaN``, ``None`` or ``""``) in an image column means that
# image was not taken; :func:`~skmultimodal.datasets.make_lesions` gives
# complete lesions, so we empty 40 % of the clinical cells.
import numpy as np

from skmultimodal.datasets import make_lesions

X, y, patients = make_lesions(
    150, image_size=64, random_state=0, return_groups=True
)
not_taken = np.random.RandomState(0).rand(len(X)) < 0.4
X.loc[not_taken, "clinical"] = np.nan
X.notna().mean().round(2)

# %%
# One model that learns to do without any modality
# ------------------------------------------------
# ``modality_dropout=0.25`` hides each modality a training lesion has with
# probability 0.25 (never all of them), so the model learns every subset;
# an absent input is replaced by a learned stand-in and its tower does not
# run. ``optional_modalities_`` says which modalities a lesion may lack.
from skmultimodal import MultimodalLesionClassifier

net = MultimodalLesionClassifier(
    backbone="resnet18",
    weights=None,
    image_size=32,
    embedding_dims=(64,),
    max_epochs=4,
    batch_size=16,
    lr=1e-3,
    modality_dropout=0.25,
    random_state=0,
)
print(net.fit(X, y).optional_modalities_)

# %%
# It predicts a lesion with a dermoscopic image only as readily as a
# complete one:
only_dermoscopic = X.iloc[:3].assign(clinical=np.nan, age=np.nan, sex=None,
                                     site=None)
net.predict(only_dermoscopic)

# %%
# Without ``modality_dropout``, a model learns to do without a modality only
# from training lesions that lacked it. Here that is the clinical image, so
# a lesion without its dermoscopic image is refused rather than given a
# guess from a stand-in that was never trained:
from sklearn.base import clone

strict = clone(net).set_params(modality_dropout=0.0, max_epochs=1).fit(X, y)
print(strict.optional_modalities_)
try:
    strict.predict(X.iloc[:2].assign(dermoscopic=np.nan))
except ValueError as error:
    print(error)

# %%
# Scores with each subset of modalities
# -------------------------------------
# :func:`~skmultimodal.model_selection.modality_robustness` fits the model
# once per fold (stratified, grouped by patient) and scores its left-out
# lesions with each subset of its modalities available, the others blanked:
# image cells emptied, metadata set to NaN. A lesion keeps its own gaps: one
# without a clinical image is scored with what it has of each subset, and
# left out of the scores of the subsets of which it has nothing
# (``n_scored``).
from skmultimodal.model_selection import modality_robustness

robustness = modality_robustness(net, X, y, groups=patients, cv=3)
robustness.results.head()

# %%
# Mean and standard deviation over the folds, per subset of modalities
# available, in the paper's order of combinations: ``summarize`` tabulates
# these results as it does a study's.
from skmultimodal.model_selection import summarize

summarize(robustness.results).round(3)

# %%
# The same, drawn: each small dot is a fold, the larger marker and its bar
# the mean and one standard deviation.
from skmultimodal.plotting import ModalityRobustnessDisplay

display = ModalityRobustnessDisplay.from_results(robustness.results, metric="map")

# %%
# Against dedicated nets
# ----------------------
# ``dedicated=True`` also trains, on each fold, a net per subset (a clone
# with ``modalities`` set to the subset and no ``modality_dropout``) and
# scores it on the same lesions, to tell what the one model gives up for
# its flexibility. That is one more fit per subset and fold, so this small
# example leaves it out; ``benchmarks/bench_robustness.py`` runs it on 400
# lesions with five folds, and on HAM10000 pooled with PAD-UFES-20.
