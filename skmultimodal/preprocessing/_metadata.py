"""Encoding of patient metadata (age, sex, site, ...) as a float matrix."""

import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .._frame import lesion_frame_tags, validate_lesion_frame
from ._columns import (
    categorical_block,
    categories_of,
    is_numeric,
    is_single_valued,
    numeric_block,
    warn_identifier_columns,
)
from ._metadata_state import encoder_from_state, encoder_state


class MetadataEncoder(TransformerMixin, BaseEstimator):
    """Encode lesion metadata columns as a dense float matrix.

    Each column is numeric or categorical, decided at ``fit``: numeric and
    boolean dtypes, and text columns whose every value parses as a number, are
    numeric; other text, pandas categorical and string columns are
    categorical. Columns a user's :class:`~sklearn.compose.ColumnTransformer`
    already made numeric are therefore simply numeric here.

    A column that carried no information in ``fit`` carries none at
    ``transform``: a column holding a single value in every training lesion
    (one number, one category, or missing throughout) is encoded as that
    value whatever it holds later, so that values the model never saw cannot
    move its predictions. A numeric column with a single value besides missing
    ones is encoded by whether it is missing only. ``fit`` names such columns
    in one :class:`UserWarning`.

    Parameters
    ----------
    categorical : {"onehot", "ordinal"}, default="onehot"
        ``"onehot"``: one indicator per category seen in ``fit``, missing values
        being a category of their own and categories unseen in ``fit``
        encoded as all zeros. ``"ordinal"``: one column of category codes, with
        missing and unseen categories as NaN (for trees that handle NaN).
    numeric : {"standardize", "passthrough"}, default="standardize"
        ``"standardize"``: missing values imputed with the median, flagged by
        an indicator column (for columns with both missing and present values
        in ``fit``), then scaled to zero mean and unit variance.
        ``"passthrough"``: values kept, NaN included.

    Attributes
    ----------
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Column names seen in ``fit``, when they are all strings.
    numeric_columns_ : list
        Columns encoded as numbers.
    categorical_columns_ : list
        Columns encoded as categories.
    medians_ : ndarray of shape (n_numeric_columns,)
        Median of each numeric column in ``fit`` (NaN where every value was
        missing): what a missing value is imputed with, and what stands for
        every value of a single-valued column.
    means_ : ndarray of shape (n_numeric_columns,)
        Mean of each numeric column after imputation; ``numeric="standardize"``
        only.
    scales_ : ndarray of shape (n_numeric_columns,)
        Standard deviation of each numeric column after imputation (1 where it
        is 0); ``numeric="standardize"`` only.
    indicated_columns_ : list
        Numeric columns with both missing and present values in ``fit``: those
        with a ``_missing`` indicator (``numeric="standardize"``).
    categories_ : list of list
        For each categorical column, its categories in ``fit``, sorted, then
        None if values were missing.
    uninformative_columns_ : list
        Columns with a single value (or missing throughout) in ``fit``,
        encoded as that value whatever they hold.
    missingness_only_columns_ : list
        Numeric columns with a single value besides missing ones in ``fit``,
        encoded by whether they are missing only.
    source_columns_ : ndarray of shape (n_features_out,)
        For every output feature, the input column it was derived from.

    See Also
    --------
    skmultimodal.MultimodalLesionClassifier : uses this encoder for its
        metadata input.

    Examples
    --------
    >>> import pandas as pd
    >>> from skmultimodal.preprocessing import MetadataEncoder
    >>> X = pd.DataFrame({"age": [40.0, None, 70.0], "sex": ["male", "female", None]})
    >>> encoder = MetadataEncoder().fit(X)
    >>> encoder.get_feature_names_out().tolist()
    ['age', 'age_missing', 'sex_female', 'sex_male', 'sex_nan']
    >>> encoder.transform(X).round(2)
    array([[-1.22,  0.  ,  0.  ,  1.  ,  0.  ],
           [ 0.  ,  1.  ,  1.  ,  0.  ,  0.  ],
           [ 1.22,  0.  ,  0.  ,  0.  ,  1.  ]], dtype=float32)

    A column with one value in ``fit`` is encoded as that value afterwards:

    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     encoder = MetadataEncoder().fit(X.assign(smoker=[0, 0, 0]))
    >>> print(caught[0].message)
    Metadata column(s) ['smoker'] held a single value in every training lesion ...
    >>> encoder.transform(X.assign(smoker=[1, 0, 5]))[:, 1]
    array([0., 0., 0.], dtype=float32)
    """

    def __init__(self, *, categorical="onehot", numeric="standardize"):
        self.categorical = categorical
        self.numeric = numeric

    def fit(self, X, y=None):
        """Learn column types, categories, medians and scales.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Metadata columns only.
        y : None
            Ignored.

        Returns
        -------
        self : MetadataEncoder
            The fitted encoder.
        """
        if self.categorical not in ("onehot", "ordinal"):
            raise ValueError(
                f"categorical must be 'onehot' or 'ordinal', got {self.categorical!r}."
            )
        if self.numeric not in ("standardize", "passthrough"):
            raise ValueError(
                f"numeric must be 'standardize' or 'passthrough', got {self.numeric!r}."
            )
        X = validate_lesion_frame(self, X, reset=True)
        self.numeric_columns_ = [c for c in X.columns if is_numeric(X[c])]
        numeric = set(self.numeric_columns_)
        self.categorical_columns_ = [c for c in X.columns if c not in numeric]
        warn_identifier_columns(X, self.categorical_columns_)

        numbers = numeric_block(X, self.numeric_columns_)
        missing = np.isnan(numbers)
        present = [numbers[~missing[:, j], j] for j in range(numbers.shape[1])]
        self.medians_ = np.array(
            [np.median(values) if len(values) else np.nan for values in present]
        )
        if self.numeric == "standardize":
            imputed = np.where(missing, self.medians_, numbers)
            self.means_ = imputed.mean(axis=0)
            deviations = imputed.std(axis=0)
            self.scales_ = np.where(deviations > 0, deviations, 1.0)
        partly_missing = missing.any(axis=0) & ~missing.all(axis=0)
        single_valued = np.array([is_single_valued(values) for values in present])
        self.indicated_columns_ = _pick(self.numeric_columns_, partly_missing)
        self.missingness_only_columns_ = _pick(
            self.numeric_columns_, single_valued & partly_missing
        )

        self.categories_ = [
            categories_of(values)
            for values in categorical_block(X, self.categorical_columns_).T
        ]
        self.uninformative_columns_ = _pick(
            self.numeric_columns_, single_valued & ~partly_missing
        ) + [
            column
            for column, categories in zip(
                self.categorical_columns_, self.categories_, strict=True
            )
            if len(categories) == 1
        ]
        self._warn_uninformative()
        self.source_columns_ = self._source_columns()
        return self

    def transform(self, X):
        """Encode metadata columns.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            The columns seen in ``fit``.

        Returns
        -------
        X_encoded : ndarray of shape (n_samples, n_features_out), dtype float32
            The encoded metadata.
        """
        check_is_fitted(self)
        X = validate_lesion_frame(self, X, reset=False)
        blocks = [self._encode_numbers(X)] + self._encode_categories(X)
        return np.hstack(blocks).astype(np.float32)

    def _encode_numbers(self, X):
        uninformative = set(self.uninformative_columns_)
        # Columns without information are not even read: whatever they hold,
        # text included, encodes the same.
        read = [c for c in self.numeric_columns_ if c not in uninformative]
        numbers = np.full((len(X), len(self.numeric_columns_)), np.nan)
        numbers[:, _positions(self.numeric_columns_, read)] = numeric_block(X, read)
        missing = np.isnan(numbers)
        ignored = _positions(
            self.numeric_columns_,
            self.uninformative_columns_ + self.missingness_only_columns_,
        )
        indicated = _positions(self.numeric_columns_, self.indicated_columns_)
        if self.numeric == "passthrough":
            keeps_nan = np.isin(ignored, indicated)
            numbers[:, ignored] = np.where(
                missing[:, ignored] & keeps_nan, np.nan, self.medians_[ignored]
            )
            return numbers
        imputed = np.where(missing, self.medians_, numbers)
        values = (imputed - self.means_) / self.scales_
        # Held at 0, the scaled value of every training lesion.
        values[:, ignored] = 0.0
        return np.hstack([values, missing[:, indicated]])

    def _encode_categories(self, X):
        uninformative = set(self.uninformative_columns_)
        blocks = []
        for column, categories in zip(
            self.categorical_columns_, self.categories_, strict=True
        ):
            if column in uninformative:
                value = 1.0 if self.categorical == "onehot" else (
                    np.nan if categories[0] is None else 0.0
                )
                blocks.append(np.full((len(X), 1), value))
                continue
            values = categorical_block(X, [column])[:, 0]
            known = [c for c in categories if c is not None]
            codes = pd.Index(known, dtype=object).get_indexer(values)  # -1: unknown
            if self.categorical == "ordinal":
                blocks.append(np.where(codes >= 0, codes, np.nan)[:, None])
                continue
            onehot = np.zeros((len(X), len(categories)))
            rows = np.flatnonzero(codes >= 0)
            onehot[rows, codes[rows]] = 1.0
            if categories[-1] is None:
                onehot[:, -1] = pd.isna(values)
            blocks.append(onehot)
        return blocks

    def get_feature_names_out(self, input_features=None):
        """Names of the encoded features.

        Parameters
        ----------
        input_features : None
            Ignored; the names seen in ``fit`` are used.

        Returns
        -------
        feature_names_out : ndarray of str
            ``column`` for numbers, ``column_missing`` for missing-value
            indicators, ``column_category`` for one-hot categories
            (``column_nan`` for missing values).
        """
        check_is_fitted(self)
        names = [str(c) for c in self.numeric_columns_]
        if self.numeric == "standardize":
            names += [f"{c}_missing" for c in self.indicated_columns_]
        for column, categories in zip(
            self.categorical_columns_, self.categories_, strict=True
        ):
            if self.categorical == "onehot":
                names += [
                    f"{column}_{'nan' if c is None else c}" for c in categories
                ]
            else:
                names.append(str(column))
        return np.asarray(names, dtype=object)

    def _source_columns(self):
        sources = list(self.numeric_columns_)
        if self.numeric == "standardize":
            sources += self.indicated_columns_
        for column, categories in zip(
            self.categorical_columns_, self.categories_, strict=True
        ):
            width = len(categories) if self.categorical == "onehot" else 1
            sources += [column] * width
        return np.asarray(sources, dtype=object)

    def _warn_uninformative(self):
        if not self.uninformative_columns_ and not self.missingness_only_columns_:
            return
        parts = []
        if self.uninformative_columns_:
            held = ", ".join(
                f"{column!r}: {self._fit_value(column)}"
                for column in self.uninformative_columns_
            )
            parts.append(
                f"Metadata column(s) {self.uninformative_columns_} held a single "
                f"value in every training lesion ({held}), so they carry no "
                "information: each is encoded as that value whatever it holds "
                "later, so that values never seen in fit cannot move predictions."
            )
        if self.missingness_only_columns_:
            parts.append(
                f"Metadata column(s) {self.missingness_only_columns_} held a single "
                "value besides missing ones: only whether a value is missing is "
                "encoded."
            )
        warnings.warn(
            " ".join(parts) + " Leave such columns out of the metadata, or fit on "
            "lesions where they vary.",
            UserWarning,
            stacklevel=3,
        )

    def _fit_value(self, column):
        if column in self.numeric_columns_:
            median = self.medians_[self.numeric_columns_.index(column)]
            return "missing throughout" if np.isnan(median) else f"always {median:g}"
        category = self.categories_[self.categorical_columns_.index(column)][0]
        return "missing throughout" if category is None else f"always {category!r}"

    def _get_state(self):
        """The fitted state, for a serialiser that does not pickle.

        Returns
        -------
        state : dict
            Strings, numbers, None and lists of them (JSON-serialisable), and
            float64 numpy arrays as top-level values; column names must be
            str or int.
        """
        return encoder_state(self)

    @classmethod
    def _from_state(cls, state):
        """A fitted encoder from the dict of :meth:`_get_state`.

        Parameters
        ----------
        state : dict
            As returned by ``_get_state``, possibly after a round trip through
            JSON and numpy's array files.

        Returns
        -------
        encoder : MetadataEncoder
            A fitted encoder that transforms as the one saved did.
        """
        return encoder_from_state(cls, state)

    def __sklearn_tags__(self):
        tags = lesion_frame_tags(super().__sklearn_tags__())
        # Always float32, the precision the nets compute in.
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


def _pick(columns, mask):
    return [column for column, chosen in zip(columns, mask, strict=True) if chosen]


def _positions(columns, chosen):
    chosen = set(chosen)
    return np.array([j for j, c in enumerate(columns) if c in chosen], dtype=np.intp)
