"""Encoding of patient metadata (age, sex, site, ...) as a float matrix."""

import warnings

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
from sklearn.utils.validation import check_is_fitted

from .._frame import format_rows, validate_lesion_frame

# Below this many rows a column of distinct values is unremarkable.
_MIN_ROWS_FOR_ID_WARNING = 20


class MetadataEncoder(TransformerMixin, BaseEstimator):
    """Encode lesion metadata columns as a dense float matrix.

    Each column is numeric or categorical, decided at ``fit``: numeric and
    boolean dtypes, and text columns whose every value parses as a number, are
    numeric; other text, pandas categorical and string columns are
    categorical. Columns a user's :class:`~sklearn.compose.ColumnTransformer`
    already made numeric are therefore simply numeric here.

    Parameters
    ----------
    categorical : {"onehot", "ordinal"}, default="onehot"
        ``"onehot"``: one indicator per category seen in ``fit``, missing values
        being a category of their own and categories unseen in ``fit``
        encoded as all zeros. ``"ordinal"``: one column of category codes, with
        missing and unseen categories as NaN (for trees that handle NaN).
    numeric : {"standardize", "passthrough"}, default="standardize"
        ``"standardize"``: missing values imputed with the median, flagged by
        an indicator column (for columns with missing values in ``fit``), then
        scaled to zero mean and unit variance. ``"passthrough"``: values kept,
        NaN included.

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
        self.numeric_columns_ = [c for c in X.columns if _is_numeric(X[c])]
        self.categorical_columns_ = [
            c for c in X.columns if c not in set(self.numeric_columns_)
        ]
        _warn_identifier_columns(X, self.categorical_columns_)

        sources = []
        if self.numeric_columns_:
            numbers = _numeric_block(X, self.numeric_columns_)
            if self.numeric == "standardize":
                self.imputer_ = SimpleImputer(
                    strategy="median", add_indicator=True, keep_empty_features=True
                ).fit(numbers)
                # Indicators stay 0/1; only the measured values are scaled.
                self.scaler_ = StandardScaler().fit(self.imputer_.transform(numbers)[
                    :, : len(self.numeric_columns_)
                ])
                sources += self.numeric_columns_
                sources += [self.numeric_columns_[i] for i in self._flagged()]
            else:
                sources += self.numeric_columns_
        if self.categorical_columns_:
            categories = _categorical_block(X, self.categorical_columns_)
            if self.categorical == "onehot":
                encoder = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
            else:
                encoder = OrdinalEncoder(
                    handle_unknown="use_encoded_value",
                    unknown_value=np.nan,
                    encoded_missing_value=np.nan,
                )
            self.categorical_encoder_ = encoder.fit(categories)
            if self.categorical == "onehot":
                for column, cats in zip(
                    self.categorical_columns_, encoder.categories_, strict=True
                ):
                    sources += [column] * len(cats)
            else:
                sources += self.categorical_columns_
        self.source_columns_ = np.asarray(sources, dtype=object)
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
        blocks = []
        if self.numeric_columns_:
            numbers = _numeric_block(X, self.numeric_columns_)
            if self.numeric == "standardize":
                imputed = self.imputer_.transform(numbers)
                n_numeric = len(self.numeric_columns_)
                imputed[:, :n_numeric] = self.scaler_.transform(imputed[:, :n_numeric])
                numbers = imputed
            blocks.append(numbers)
        if self.categorical_columns_:
            categories = _categorical_block(X, self.categorical_columns_)
            blocks.append(self.categorical_encoder_.transform(categories))
        return np.hstack(blocks).astype(np.float32) if blocks else np.empty(
            (len(X), 0), dtype=np.float32
        )

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
            indicators, ``column_category`` for one-hot categories.
        """
        check_is_fitted(self)
        names = []
        if self.numeric_columns_:
            names += [str(c) for c in self.numeric_columns_]
            names += [f"{self.numeric_columns_[i]}_missing" for i in self._flagged()]
        if self.categorical_columns_:
            encoder = self.categorical_encoder_
            if self.categorical == "onehot":
                for column, cats in zip(
                    self.categorical_columns_, encoder.categories_, strict=True
                ):
                    names += [f"{column}_{cat}" for cat in cats]
            else:
                names += [str(c) for c in self.categorical_columns_]
        return np.asarray(names, dtype=object)

    def _flagged(self):
        """Positions, among the numeric columns, of those with an indicator."""
        if self.numeric != "standardize" or self.imputer_.indicator_ is None:
            return []
        return list(self.imputer_.indicator_.features_)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        tags.input_tags.categorical = True
        # Always float32, the precision the nets compute in.
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags


def _is_numeric(column):
    if isinstance(column.dtype, pd.CategoricalDtype):
        return False
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
        return True
    present = column.dropna()
    if len(present) == 0:
        return True
    try:
        parsed = pd.to_numeric(present, errors="coerce")
    except TypeError:  # values such as dicts: categories named by their str()
        return False
    return bool(parsed.notna().all())


def _numeric_block(X, columns):
    block = np.empty((len(X), len(columns)), dtype=np.float64)
    for j, name in enumerate(columns):
        column = X[name]
        if pd.api.types.is_bool_dtype(column) or isinstance(
            column.dtype, pd.CategoricalDtype
        ):
            column = column.astype("float64")
        values = pd.to_numeric(column, errors="coerce").astype("float64").to_numpy()
        unparsed = np.isnan(values) & ~column.isna().to_numpy()
        if unparsed.any():
            raise ValueError(
                f"Metadata column {name!r} was numeric in fit but holds values "
                f"that are not numbers at rows {format_rows(X.index[unparsed])} "
                f"(e.g. {column[unparsed].iloc[0]!r}). Fix or blank these values."
            )
        infinite = np.isinf(values)
        if infinite.any():
            raise ValueError(
                f"Metadata column {name!r} holds infinity at rows "
                f"{format_rows(X.index[infinite])}; replace it with a finite "
                "value or NaN."
            )
        block[:, j] = values
    return block


def _categorical_block(X, columns):
    """Categories as strings, missing values as NaN, so encoders see one type."""
    block = np.empty((len(X), len(columns)), dtype=object)
    for j, name in enumerate(columns):
        column = X[name]
        missing = column.isna().to_numpy()
        values = column.astype(object).to_numpy()
        block[:, j] = [np.nan if m else str(v) for v, m in zip(values, missing)]
    return block


def _warn_identifier_columns(X, categorical_columns):
    for name in categorical_columns:
        column = X[name]
        if len(column) >= _MIN_ROWS_FOR_ID_WARNING and column.nunique() == len(column):
            warnings.warn(
                f"Metadata column {name!r} has a different value in each of its "
                f"{len(column)} rows, like an identifier or a file name: it cannot "
                "generalise to new lesions and may leak the label. Pass patient or "
                "lesion ids as `groups`, and leave such columns out of the "
                "metadata (drop them or set `metadata_columns`).",
                UserWarning,
                stacklevel=3,
            )
