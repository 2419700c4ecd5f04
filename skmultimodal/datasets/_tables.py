"""Reading the publishers' tables: finding them, checking them, harmonising them.

Every error names the file, and the column and rows where it applies, so that
a user can see what is wrong with the copy they downloaded.
"""

import inspect
import os
import warnings

import numpy as np
import pandas as pd

from .._frame import format_missing_columns, format_rows
from ._vocabulary import OTHER, SEXES

_MAX_LISTED_ENTRIES = 12
_PACKAGE_FOLDER = os.path.dirname(os.path.abspath(__file__))

# Sex as the data sets spell it, compared case-insensitively.
_SEX_SPELLINGS = {**{sex: sex for sex in SEXES}, "unknown": np.nan}


def warn(message):
    """Warn about the data, pointing at the first caller outside this package.

    Loaders reach their warnings through calls of varying depth, so a fixed
    ``stacklevel`` would point at our own code for some of them.
    """
    level = 1
    frame = inspect.currentframe()
    while frame is not None and (
        os.path.dirname(os.path.abspath(frame.f_code.co_filename)) == _PACKAGE_FOLDER
    ):
        frame = frame.f_back
        level += 1
    warnings.warn(message, UserWarning, stacklevel=level)


def resolve_root(root, *, dataset, url):
    """The absolute path of the folder a user passed, which must exist."""
    root = os.path.abspath(os.path.expanduser(os.fspath(root)))
    if not os.path.isdir(root):
        raise FileNotFoundError(
            f"The {dataset} folder {root!r} does not exist or is not a folder. Pass "
            f"the folder you unpacked {dataset} into (download: {url})."
        )
    return root


def find_tables(root, tables, *, dataset, url):
    """Locate the publisher's tables under ``root``.

    Parameters
    ----------
    root : str
        The folder the user passed, from :func:`resolve_root`.
    tables : list of tuple of str
        For each table, its accepted relative paths (alternatives, first one
        preferred), e.g. ``[("meta/meta.csv",), ("train.csv", "other.csv")]``.
    dataset, url : str
        For the error message.

    Returns
    -------
    base : str
        ``root``, or the subfolder of ``root`` holding every table: zip files
        unpack into a folder of their own often enough that one level down is
        searched too.
    paths : list of str
        Absolute path of each table.
    """
    best = None
    for base in [root, *_subfolders(root)]:
        paths = [_first_file(base, alternatives) for alternatives in tables]
        if all(paths):
            return base, paths
        found = sum(path is not None for path in paths)
        if found and (best is None or found > best[0]):
            best = (found, base, paths)
    expected = " and ".join(
        " (or ".join(repr(name) for name in alternatives)
        + ")" * (len(alternatives) - 1)
        for alternatives in tables
    )
    message = (
        f"{root!r} does not hold the {dataset} tables: expected {expected}, in that "
        f"folder or one of its subfolders. It contains {listing(root)}."
    )
    if best is not None:
        _, base, paths = best
        absent = [t[0] for t, path in zip(tables, paths, strict=True) if path is None]
        message += f" {base!r} has some of the tables but not {absent}."
    raise FileNotFoundError(
        f"{message} Pass the folder you unpacked {dataset} into; it is downloaded "
        f"from {url}."
    )


def _subfolders(folder):
    return sorted(
        entry.path
        for entry in os.scandir(folder)
        if entry.is_dir() and not entry.name.startswith(".")
    )


def _first_file(base, alternatives):
    for name in alternatives:
        path = os.path.join(base, *name.split("/"))
        if os.path.isfile(path):
            return path
    return None


def listing(folder):
    """``"'a.csv', 'images/' (2 entries)"`` for an error message."""
    try:
        names = sorted(
            entry.name + ("/" if entry.is_dir() else "") for entry in os.scandir(folder)
        )
    except OSError as exc:
        return f"nothing readable ({exc})"
    if not names:
        return "nothing (it is empty)"
    shown = ", ".join(repr(name) for name in names[:_MAX_LISTED_ENTRIES])
    if len(names) > _MAX_LISTED_ENTRIES:
        shown += ", ..."
    return f"{shown} ({len(names)} {'entry' if len(names) == 1 else 'entries'})"


def read_table(path, columns, *, index=None, text_columns=()):
    """Read a CSV table, checking that it has ``columns``.

    ``text_columns`` are read as text, so that ids such as ``0123`` keep
    their leading zeros. With ``index``, the table is indexed by that id
    column (see :func:`index_by`); without, it keeps the row numbers, which
    :func:`require_filled` turns into line numbers.
    """
    try:
        table = pd.read_csv(path, dtype={column: str for column in text_columns})
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ValueError(
            f"{path!r} cannot be read as a CSV table ({exc}). Download it again "
            "from the publisher."
        ) from exc
    missing = [column for column in columns if column not in table.columns]
    if missing:
        raise ValueError(
            f"{path!r} has {format_missing_columns(missing)}; its columns are "
            f"{list(table.columns)}. Use the table as the publisher ships it."
        )
    return table if index is None else index_by(table, index, path)


def require_filled(table, column, path):
    """Raise naming the lines of ``path`` where ``column`` is empty.

    ``table`` keeps the row numbers ``read_table`` gave it as its index.
    """
    empty = table[column].isna().to_numpy()
    if empty.any():
        raise ValueError(
            f"{path!r} has no {column!r} on line(s) "
            f"{format_rows(table.index[empty] + 2)}; every row needs one."
        )


def index_by(table, column, path):
    """Index ``table`` by its id ``column``, which must be filled and unique."""
    require_filled(table, column, path)
    ids = table[column]
    repeated = ids[ids.duplicated()].unique()
    if len(repeated):
        raise ValueError(
            f"{path!r} lists {column!r} {format_rows(repeated)} more than once; "
            "each must appear once. Use the table as the publisher ships it."
        )
    return table.set_index(column)


def check_same_ids(left, left_path, right, right_path, what):
    """Raise when the ids of two tables of one release differ."""
    for ids, path, others, other_path in (
        (left, left_path, right, right_path),
        (right, right_path, left, left_path),
    ):
        absent = ids[~ids.isin(others)]
        if len(absent):
            raise ValueError(
                f"{len(absent)} {what} of {path!r} have no row in {other_path!r}: "
                f"{format_rows(absent)}. Both files must come from the same release."
            )


def one_hot_diagnosis(table, columns, path):
    """The name of the column holding each row's 1 in a one-hot table."""
    values = table[list(columns)].apply(pd.to_numeric, errors="coerce").to_numpy()
    valid = np.isin(values, (0.0, 1.0)).all(axis=1) & (values.sum(axis=1) == 1)
    if not valid.all():
        raise ValueError(
            f"{path!r} must hold exactly one 1 (and otherwise 0) among the "
            f"diagnosis columns {list(columns)} in each row; rows "
            f"{format_rows(table.index[~valid])} do not."
        )
    names = np.asarray(columns, dtype=object)[values.argmax(axis=1)]
    return pd.Series(names, index=table.index, name="diagnosis")


def map_labels(diagnosis, mapping, path):
    """Map the publisher's diagnoses onto the paper's classes.

    ``mapping`` has lower-case keys, so spellings that differ only in case
    map alike; diagnoses it lacks become ``OTHER``. Missing diagnoses are an
    error, not a class.
    """
    empty = diagnosis.isna().to_numpy()
    if empty.any():
        raise ValueError(
            f"{path!r} gives no diagnosis for {format_rows(diagnosis.index[empty])}; "
            "every lesion needs one."
        )
    labels = [mapping.get(str(d).strip().lower(), OTHER) for d in diagnosis]
    return pd.Series(labels, index=diagnosis.index, name="target")


def harmonise(table, path, *, site, sites, age=None, sex=None):
    """The shared ``age``, ``sex`` and ``site`` columns, in that order.

    ``age``, ``sex`` and ``site`` name the publisher's columns (``None``
    where a set has none); ``sites`` maps its sites onto
    :data:`~skmultimodal.datasets.SITES`.
    """
    columns = {}
    if age is not None:
        columns["age"] = read_numbers(table[age], age, path)
    if sex is not None:
        columns["sex"] = map_vocabulary(table[sex], _SEX_SPELLINGS, sex, path)
    columns["site"] = map_vocabulary(table[site], sites, site, path)
    return columns


def by_target(values_by_target):
    """Turn ``{target: (publisher's values)}`` into ``{value: target}``.

    Maps are written by target, as the data sets' descriptions state them;
    values are compared in lower case. A ``None`` target reads its values as
    missing, without the warning an unknown value gets.
    """
    return {
        value.lower(): target
        for target, values in values_by_target.items()
        for value in values
    }


def map_vocabulary(values, mapping, column, path):
    """Map a metadata column onto a shared vocabulary, case-insensitively.

    Missing values stay missing; a value ``mapping`` lacks becomes missing
    too, with a warning naming it, so that a new spelling in a later release
    is noticed instead of silently lost or failing the whole load.
    """
    keys = values.map(lambda v: v.strip().lower() if isinstance(v, str) else v)
    unknown = keys.notna() & ~keys.isin(list(mapping))
    if unknown.any():
        warn(
            f"Column {column!r} of {path!r} holds value(s) "
            f"{sorted(set(values[unknown].astype(str)))} with no known meaning; "
            "they are read as missing. Please report them to skmultimodal."
        )
    return as_text(keys.map(mapping))


def as_text(values):
    """A text column with NaN for missing values, in pandas' own text dtype.

    pandas 3 stores text in its string dtype and pandas 2 in ``object``;
    building the column from plain Python values lets each choose its own.
    """
    plain = [v if isinstance(v, str) else np.nan for v in values]
    return pd.Series(plain, index=values.index, name=values.name)


def read_numbers(values, column, path):
    """A float column; text that is not a number is an error naming the rows."""
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    unparsed = numbers.isna() & values.notna()
    if unparsed.any():
        raise ValueError(
            f"Column {column!r} of {path!r} holds values that are not numbers for "
            f"{format_rows(values.index[unparsed])} (e.g. "
            f"{values[unparsed].iloc[0]!r})."
        )
    return numbers
