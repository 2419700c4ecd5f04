"""MetadataForestClassifier: the paper's random forest on patient metadata."""

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import RandomForestClassifier
from sklearn.utils.validation import check_is_fitted

from .._frame import (
    check_lesion_labels,
    lesion_frame_tags,
    metadata_columns_of,
    validate_lesion_frame,
)
from ..preprocessing import MetadataEncoder


class MetadataForestClassifier(ClassifierMixin, BaseEstimator):
    """Random forest on the metadata columns of a lesion frame.

    The metadata baseline of Yap et al. (2018). It takes the same lesion
    frame as :class:`MultimodalLesionClassifier` and ignores its image
    columns, so both can be compared by the same cross-validation. Text
    columns are categories, encoded inside; missing values need no
    imputation (the trees route them); feature importances are summed back
    onto the original columns.

    Parameters
    ----------
    n_estimators : int, default=500
        Number of trees.
    min_samples_leaf : int or float, default=10
        Minimum lesions per leaf. Metadata is low-dimensional and weakly
        informative; leaves of a few lesions overfit it and give poorly
        ranked probabilities.
    max_features : {"sqrt", "log2"}, int, float or None, default="sqrt"
        Features considered per split, as in
        :class:`~sklearn.ensemble.RandomForestClassifier`.
    class_weight : "balanced", "balanced_subsample", dict or None, default=None
        Class weights, as in :class:`~sklearn.ensemble.RandomForestClassifier`.
    categorical : {"onehot", "ordinal"}, default="onehot"
        How categorical columns are encoded (see
        :class:`~skmultimodal.preprocessing.MetadataEncoder`).
    n_jobs : int or None, default=None
        Parallel jobs for fitting and predicting the trees.
    random_state : int, RandomState instance or None, default=None
        Seeds the bootstrap samples and split choices.
    dermoscopic_column : str, default="dermoscopic"
        Image column ignored by the forest.
    clinical_column : str, default="clinical"
        Image column ignored by the forest.
    metadata_columns : list of str or None, default=None
        Columns to use; ``None`` means every column except the image columns.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, in the order of ``predict_proba``'s columns.
    n_features_in_ : int
        Number of columns of the lesion frame seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names seen in ``fit``, when they are all strings.
    metadata_columns_ : list
        Columns the forest uses.
    encoder_ : MetadataEncoder
        The fitted metadata encoder.
    forest_ : RandomForestClassifier
        The fitted forest, on the encoded columns.
    feature_importances_ : ndarray of shape (`n_features_in_`,)
        Impurity-based importance of each column of the lesion frame, in the
        order of ``feature_names_in_`` (zero for unused columns, and for
        columns with a single value in ``fit``, which the encoder holds
        fixed); the importances of a categorical column's indicators are
        summed.

    See Also
    --------
    MultimodalLesionClassifier : the fusion net, which uses the images too.

    Examples
    --------
    >>> import pandas as pd
    >>> from skmultimodal import MetadataForestClassifier
    >>> X = pd.DataFrame({
    ...     "dermoscopic": ["a.jpg"] * 6,
    ...     "age": [25, 30, 35, 70, 75, 80],
    ...     "site": ["back", "back", "arm", "face", "face", "arm"]})
    >>> y = ["nevus", "nevus", "nevus", "bcc", "bcc", "bcc"]
    >>> forest = MetadataForestClassifier(n_estimators=50, min_samples_leaf=1,
    ...                                   random_state=0).fit(X, y)
    >>> forest.predict(X.iloc[[0, 4]]).tolist()
    ['nevus', 'bcc']
    >>> pd.Series(forest.feature_importances_, forest.feature_names_in_).round(2)
    dermoscopic    0.00
    age            0.58
    site           0.42
    dtype: float64
    """

    def __init__(
        self,
        n_estimators=500,
        *,
        min_samples_leaf=10,
        max_features="sqrt",
        class_weight=None,
        categorical="onehot",
        n_jobs=None,
        random_state=None,
        dermoscopic_column="dermoscopic",
        clinical_column="clinical",
        metadata_columns=None,
    ):
        self.n_estimators = n_estimators
        self.min_samples_leaf = min_samples_leaf
        self.max_features = max_features
        self.class_weight = class_weight
        self.categorical = categorical
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.dermoscopic_column = dermoscopic_column
        self.clinical_column = clinical_column
        self.metadata_columns = metadata_columns

    def fit(self, X, y):
        """Fit the forest on the metadata columns of a lesion frame.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_lesions, n_columns)
            The lesion frame; image columns are ignored.
        y : array-like of shape (n_lesions,)
            Class labels.

        Returns
        -------
        self : MetadataForestClassifier
            The fitted forest.
        """
        X = validate_lesion_frame(self, X, reset=True)
        y = check_lesion_labels(y, X.index)
        self.metadata_columns_ = metadata_columns_of(
            X, self.metadata_columns, [self.dermoscopic_column, self.clinical_column]
        )
        if not self.metadata_columns_:
            raise ValueError(
                "The lesion frame has no metadata column: every column holds image "
                "paths. The forest needs age, sex, site or other metadata."
            )
        self.encoder_ = MetadataEncoder(
            categorical=self.categorical, numeric="passthrough"
        ).fit(X[self.metadata_columns_])
        self.forest_ = RandomForestClassifier(
            n_estimators=self.n_estimators,
            min_samples_leaf=self.min_samples_leaf,
            max_features=self.max_features,
            class_weight=self.class_weight,
            n_jobs=self.n_jobs,
            random_state=self.random_state,
        ).fit(self.encoder_.transform(X[self.metadata_columns_]), y)
        self.classes_ = self.forest_.classes_
        return self

    def predict_proba(self, X):
        """Class probabilities of each lesion.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_lesions, n_columns)
            A lesion frame with the columns seen in ``fit``.

        Returns
        -------
        proba : ndarray of shape (n_lesions, n_classes)
            Probabilities, columns in the order of ``classes_``.
        """
        check_is_fitted(self)
        X = validate_lesion_frame(self, X, reset=False)
        return self.forest_.predict_proba(
            self.encoder_.transform(X[self.metadata_columns_])
        )

    def predict(self, X):
        """Most probable class of each lesion.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_lesions, n_columns)
            A lesion frame with the columns seen in ``fit``.

        Returns
        -------
        labels : ndarray of shape (n_lesions,)
            Labels from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[np.argmax(proba, axis=1)]

    @property
    def feature_importances_(self):
        """Importance of each column of the lesion frame."""
        check_is_fitted(self)
        by_column = dict.fromkeys(self.metadata_columns_, 0.0)
        for source, importance in zip(
            self.encoder_.source_columns_, self.forest_.feature_importances_
        ):
            by_column[source] += importance
        columns = getattr(self, "feature_names_in_", range(self.n_features_in_))
        return np.array([by_column.get(c, 0.0) for c in columns])

    def __sklearn_tags__(self):
        return lesion_frame_tags(super().__sklearn_tags__())
