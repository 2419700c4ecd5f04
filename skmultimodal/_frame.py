"""The lesion frame: one row per lesion, image paths and metadata in columns.

Every estimator of the package validates its input through this module, so
that the rules of the data contract (which columns hold what, how bad rows are
reported) are written once.
"""

import os

import numpy as np
import pandas as pd
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import column_or_1d, validate_data

IMAGE_MODALITIES = ("dermoscopic", "clinical")
MODALITIES = IMAGE_MODALITIES + ("metadata",)

# Listing a few hundred offending rows in one message helps nobody; the count
# is always given in full.
_MAX_LISTED = 10


def format_rows(labels, max_listed=_MAX_LISTED):
    """Return ``"'a', 'b', ... (12 rows)"`` for an error message."""
    labels = list(labels)
    shown = ", ".join(repr(_plain(label)) for label in labels[:max_listed])
    if len(labels) > max_listed:
        shown += f", ... ({len(labels)} rows in all)"
    return shown


def format_lines(lines, unit="", max_listed=_MAX_LISTED):
    """Return the first ``max_listed`` ``lines`` indented, then ``"... (12 in all)"``.

    ``unit`` names what was counted (``" files"`` gives ``"(12 files in all)"``).
    """
    lines = list(lines)
    shown = [f"  {line}" for line in lines[:max_listed]]
    if len(lines) > max_listed:
        shown.append(f"  ... ({len(lines)}{unit} in all)")
    return "\n".join(shown)


def refuse_rows(flagged, labels, message):
    """Raise a ValueError from ``message`` if any row is ``flagged``.

    ``message`` is a template: ``{count}`` becomes the number of rows
    flagged, ``{total}`` the number of rows, and ``{rows}`` the ``labels`` of
    the flagged rows as :func:`format_rows` lists them.
    """
    flagged = np.asarray(flagged, dtype=bool)
    if flagged.any():
        raise ValueError(
            message.format(
                count=flagged.sum(), total=len(flagged), rows=format_rows(labels[flagged])
            )
        )


def _plain(value):
    """Numpy scalars print as ``np.int64(3)`` under numpy 2; users wrote 3."""
    return value.item() if isinstance(value, np.generic) else value


def check_modalities(modalities):
    """Validate the ``modalities`` parameter; return them in canonical order.

    A single string is taken as one modality, since ``modalities="clinical"``
    can only mean that.
    """
    if isinstance(modalities, str):
        modalities = (modalities,)
    try:
        requested = list(modalities)
    except TypeError:
        raise TypeError(
            f"modalities must be a sequence of names from {MODALITIES}, "
            f"got {modalities!r}."
        ) from None
    unknown = [m for m in requested if m not in MODALITIES]
    if unknown:
        raise ValueError(
            f"Unknown modality name(s) {unknown}; choose a non-empty subset of "
            f"{list(MODALITIES)}."
        )
    if not requested:
        raise ValueError(
            f"modalities is empty; choose a non-empty subset of {list(MODALITIES)}."
        )
    if len(set(requested)) != len(requested):
        raise ValueError(f"modalities lists a name twice: {requested}.")
    return tuple(m for m in MODALITIES if m in requested)


def validate_lesion_frame(estimator, X, *, reset):
    """Return ``X`` as a DataFrame, recording or checking its columns.

    DataFrames are used as they are (image path and categorical columns stay
    untouched). Arrays are accepted for metadata-only use, their columns then
    being named by position. ``n_features_in_`` and ``feature_names_in_`` are
    set when ``reset`` is true and checked against otherwise, with
    scikit-learn's own messages naming unseen and missing columns.
    """
    if isinstance(X, pd.DataFrame):
        if X.shape[0] == 0:
            raise ValueError(
                f"Found array with 0 sample(s) (shape={X.shape}) while a minimum "
                "of 1 is required: the lesion frame has no rows."
            )
        if X.shape[1] == 0:
            raise ValueError(
                f"Found array with 0 feature(s) (shape={X.shape}) while a minimum "
                "of 1 is required: the lesion frame has no columns."
            )
        if X.columns.has_duplicates:
            duplicated = list(X.columns[X.columns.duplicated()].unique())
            raise ValueError(
                f"The lesion frame has duplicated column names {duplicated}; "
                "rename them so that every column can be addressed by name."
            )
        validate_data(estimator, X, skip_check_array=True, reset=reset)
        return X
    array = validate_data(
        estimator, X, reset=reset, dtype=None, ensure_all_finite="allow-nan"
    )
    return pd.DataFrame(array)


def lesion_frame_tags(tags):
    """Mark ``tags`` as those of an estimator of lesion frames; return them.

    A lesion frame holds missing values, text (image paths, categories) and
    pandas categorical columns, all of which such an estimator takes.
    """
    tags.input_tags.allow_nan = True
    tags.input_tags.string = True
    tags.input_tags.categorical = True
    return tags


def metadata_columns_of(X, metadata_columns, image_columns):
    """Resolve ``metadata_columns`` (``None`` = every non-image column)."""
    if metadata_columns is None:
        image_columns = set(image_columns)
        return [c for c in X.columns if c not in image_columns]
    if isinstance(metadata_columns, str):
        metadata_columns = [metadata_columns]
    columns = list(metadata_columns)
    missing = [c for c in columns if c not in X.columns]
    if missing:
        raise KeyError(
            f"metadata_columns {missing} are not in the lesion frame, whose columns "
            f"are {list(X.columns)}. Fix the names or pass metadata_columns=None "
            "to use every non-image column."
        )
    return columns


def require_columns(X, columns, reason):
    """Raise a KeyError naming every column of ``columns`` absent from ``X``."""
    missing = [c for c in columns if c not in X.columns]
    if missing:
        raise KeyError(
            f"The lesion frame has {format_missing_columns(missing)}, which {reason}. "
            f"Its columns are {list(X.columns)}."
        )


def format_missing_columns(missing):
    """Return ``"no column 'a' (nor ['b', 'c'])"`` for an error message."""
    also = f" (nor {missing[1:]})" if len(missing) > 1 else ""
    return f"no column {missing[0]!r}{also}"


def empty_cells(values):
    """Boolean mask of the cells of ``values`` that are empty: NaN, None or "".

    An empty image cell means the image was not taken (data, not an error);
    a cell of blanks counts as empty too, since no file is named by it.
    """
    values = pd.Series(values, copy=False)
    missing = values.isna().to_numpy()
    blank = np.fromiter(
        (isinstance(v, str) and not v.strip() for v in values), bool, len(values)
    )
    return missing | blank


def modality_presence(
    X, *, dermoscopic_column="dermoscopic", clinical_column="clinical",
    metadata_columns=None,
):
    """Which modalities each lesion of a lesion frame has.

    An image modality is present where its column holds a path (an absent
    column means no lesion has that image); the metadata are present where
    at least one metadata column is filled in.

    Parameters
    ----------
    X : DataFrame
        The lesion frame.
    dermoscopic_column, clinical_column : str
        Columns of the image paths.
    metadata_columns : list of str or None, default=None
        Metadata columns; ``None`` means every column except the image
        columns.

    Returns
    -------
    presence : DataFrame of bool
        Columns ``"dermoscopic"``, ``"clinical"`` and ``"metadata"``, indexed
        like ``X``.

    Examples
    --------
    >>> import pandas as pd
    >>> from skmultimodal._frame import modality_presence
    >>> X = pd.DataFrame({"dermoscopic": ["a.jpg", None], "clinical": ["", "b.png"],
    ...                   "age": [40.0, None]})
    >>> modality_presence(X)
       dermoscopic  clinical  metadata
    0         True     False      True
    1        False      True     False
    """
    image_columns = {"dermoscopic": dermoscopic_column, "clinical": clinical_column}
    presence = {}
    for modality, column in image_columns.items():
        if column in X.columns:
            presence[modality] = ~empty_cells(X[column])
        else:
            presence[modality] = np.zeros(len(X), dtype=bool)
    columns = metadata_columns_of(X, metadata_columns, image_columns.values())
    columns = [c for c in columns if c in X.columns]
    presence["metadata"] = (
        X[columns].notna().any(axis=1).to_numpy() if columns
        else np.zeros(len(X), dtype=bool)
    )
    return pd.DataFrame(presence, index=X.index)


def image_paths(X, column, image_root=None):
    """The image paths of ``X[column]``, resolved against ``image_root``.

    Empty cells (see :func:`empty_cells`) are images not taken. Every other
    cell must be a path (``str`` or ``os.PathLike``).

    Returns
    -------
    paths : list of str or None
        One per row: the resolved path, or None where the cell is empty.
    problems : list of tuple
        ``(row label, column, value, reason)`` for each cell that is neither
        empty nor a path.
    """
    empty = empty_cells(X[column])
    paths, problems = [], []
    for label, value, is_empty in zip(X.index, X[column], empty):
        if is_empty:
            paths.append(None)
            continue
        if not isinstance(value, (str, os.PathLike)):
            problems.append(
                (label, column, repr(_plain(value)),
                 f"not a path but a {type(value).__name__}; image columns hold file "
                 "paths, or nothing where the image was not taken")
            )
            paths.append(None)
            continue
        path = os.fspath(value)
        if image_root is not None and not os.path.isabs(path):
            path = os.path.join(os.fspath(image_root), path)
        paths.append(path)
    return paths, problems


def check_lesion_labels(y, index):
    """Validate class labels; return them as a 1-d numpy array.

    ``index`` gives the frame's row labels, so that the rows with missing
    labels can be named.
    """
    if y is None:
        raise ValueError(
            "This estimator requires y to be passed, but the target y is None: pass "
            "the diagnosis of every lesion as class labels."
        )
    y = column_or_1d(y, warn=True)
    if len(y) != len(index):
        raise ValueError(
            f"X has {len(index)} rows but y has {len(y)} labels; they must "
            "match one to one."
        )
    refuse_rows(
        pd.isna(y), index,
        "{count} label(s) in y are missing (NaN/None), at rows {rows}. Drop these "
        "lesions or give them a label.",
    )
    if y.dtype.kind == "O" and all(isinstance(v, str) for v in y):
        # pandas' string dtype arrives as an object array of str.
        y = y.astype(str)
    check_classification_targets(y)
    classes = np.unique(y)
    if len(classes) < 2:
        raise ValueError(
            f"Training needs lesions of at least 2 classes, but y holds only 1 "
            f"class: {_plain(classes[0])!r}."
        )
    return y


def check_groups(groups, n_samples):
    """Validate patient (or lesion) ids: one per lesion, none missing."""
    groups = np.asarray(groups)
    if groups.ndim != 1 or len(groups) != n_samples:
        raise ValueError(
            f"groups has shape {groups.shape} for {n_samples} lesions; give one "
            "group (patient or lesion id) per lesion."
        )
    refuse_rows(
        pd.isna(groups), np.arange(n_samples),
        "{count} group id(s) are missing, at positions {rows}: a lesion without a "
        "patient id cannot be kept with the patient's other lesions. Fill them in "
        "(a lesion id will do) or drop those lesions.",
    )
    return groups
