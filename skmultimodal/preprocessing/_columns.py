"""Reading the metadata columns of a lesion frame: their kind, numbers and categories."""

import warnings

import numpy as np
import pandas as pd

from .._frame import format_rows

# Below this many rows a column of distinct values is unremarkable.
_MIN_ROWS_FOR_ID_WARNING = 20


def is_single_valued(values):
    """Whether present values are one value, up to float rounding (or none)."""
    if len(values) == 0:
        return True
    return np.ptp(values) <= 8 * np.finfo(np.float64).eps * np.abs(values).max()


def categories_of(values):
    """Sorted categories of a ``categorical_block`` column, then None if missing."""
    present = {value for value in values if value is not None}
    categories = sorted(present)
    if len(present) < len(set(values)):
        categories.append(None)
    return categories


def is_numeric(column):
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


def numeric_block(X, columns):
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


def categorical_block(X, columns):
    """Categories as strings, missing values as None, so that one type compares."""
    block = np.empty((len(X), len(columns)), dtype=object)
    for j, name in enumerate(columns):
        column = X[name]
        missing = column.isna().to_numpy()
        values = column.astype(object).to_numpy()
        block[:, j] = [None if m else str(v) for v, m in zip(values, missing)]
    return block


def warn_identifier_columns(X, categorical_columns):
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
