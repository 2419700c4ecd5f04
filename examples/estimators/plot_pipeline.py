"""
================================================
Preprocess metadata in a pipeline before the net
================================================

:class:`~skmultimodal.MultimodalLesionClassifier` encodes the metadata
itself, but sometimes you want your own preprocessing: a clinically
meaningful imputation, age in bands, a site vocabulary merged into fewer
categories. A :class:`~sklearn.compose.ColumnTransformer` with pandas output
does this in front of the net inside a :class:`~sklearn.pipeline.Pipeline`,
so the preprocessing is fitted on each training fold only. The image path
columns pass through untouched, under their own names, which is how the net
finds them.
"""

# %%
# The lesion frame
# ----------------
from skmultimodal.datasets import make_lesions

X, y, patients = make_lesions(
    200, image_size=64, random_state=0, return_groups=True
)
X.isna().sum()

# %%
# The preprocessing
# -----------------
# Age in decades with missing ages imputed by the median and flagged, sex
# with missing values as their own category ``"unknown"``, and every other
# column (the image paths and the site) passed through. Two settings matter:
# ``verbose_feature_names_out=False`` keeps the column names as they were
# (``dermoscopic``, not ``remainder__dermoscopic``), and
# ``set_output(transform="pandas")`` hands the net a DataFrame.
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

decades = make_pipeline(
    FunctionTransformer(lambda age: age / 10, feature_names_out="one-to-one"),
    SimpleImputer(strategy="median", add_indicator=True),
)
preprocess = ColumnTransformer(
    [
        ("age", decades, ["age"]),
        ("sex", SimpleImputer(strategy="constant", fill_value="unknown"),
         ["sex"]),
    ],
    remainder="passthrough",
    verbose_feature_names_out=False,
).set_output(transform="pandas")

preprocess.fit_transform(X).head()

# %%
# The pipeline
# ------------
# The net takes the transformed frame: ``age`` and ``missingindicator_age``
# are numbers, ``sex`` and ``site`` categories, and the path columns are
# images. This net uses the dermoscopic image and the metadata; the clinical
# image column passes through unused.
from sklearn.pipeline import Pipeline

from skmultimodal import MultimodalLesionClassifier

pipeline = Pipeline(
    [
        ("preprocess", preprocess),
        (
            "net",
            MultimodalLesionClassifier(
                modalities=("dermoscopic", "metadata"),
                backbone="resnet18",
                weights=None,
                image_size=32,
                embedding_dims=(64,),
                max_epochs=3,
                batch_size=16,
                lr=1e-3,
                random_state=0,
            ),
        ),
    ]
)

# %%
# Cross-validation by patient
# ---------------------------
# The whole pipeline is cloned and fitted per fold, so the imputation median
# comes from the training patients only.
import pandas as pd
from sklearn.model_selection import StratifiedGroupKFold, cross_validate

from skmultimodal.metrics import lesion_scorers

scores = cross_validate(
    pipeline,
    X,
    y,
    groups=patients,
    cv=StratifiedGroupKFold(3),
    scoring=lesion_scorers(),
    return_estimator=True,
    return_indices=True,
)
test_scores = {
    name[len("test_"):]: values
    for name, values in scores.items()
    if name.startswith("test_")
}
pd.DataFrame(test_scores).agg(["mean", "std"]).round(3)

# %%
# What the net of the first fold saw, and the metadata features it built
# from it:
first = scores["estimator"][0]
net = first.named_steps["net"]
print(net.feature_names_in_)
print(net.metadata_encoder_.get_feature_names_out())

# %%
# A fitted pipeline predicts like any classifier; the columns of
# ``predict_proba`` follow its ``classes_`` (those of the net). Here, the
# first fold's pipeline on the first lesions of the patients it did not
# train on:
test = scores["indices"]["test"][0]
few = X.iloc[test[:5]]
pd.DataFrame(
    first.predict_proba(few), columns=first.classes_, index=few.index
).round(3)

# %%
# The confusion matrix of every lesion, each predicted by the fold model that
# did not train on its patient, normalised by the true class: the diagonal is
# each class's sensitivity.
import numpy as np

from skmultimodal.plotting import ConfusionMatricesDisplay

predicted = np.empty(len(y), dtype=object)
for model, test in zip(scores["estimator"], scores["indices"]["test"]):
    predicted[test] = model.predict(X.iloc[test])
_ = ConfusionMatricesDisplay.from_predictions(y, {"pipeline": predicted})
