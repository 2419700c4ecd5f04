"""What every loader of a public data set shares.

Finding the publisher's tables under the folder a user unpacked, reading them
with errors that name the file, mapping diagnoses onto the paper's classes and
metadata onto the shared vocabulary, finding the image files, and building the
returned :class:`~sklearn.utils.Bunch`. Each data set's module only describes
its own format.
"""

import os
import warnings

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from .._frame import format_rows
from ._vocabulary import CLASSES, OTHER

OTHER_OPTIONS = ("drop", "keep")
MISSING_IMAGES_OPTIONS = ("raise", "drop", "ignore")

# Publishers ship JPEG or PNG; the other extensions cover re-encoded copies.
_IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")
# macOS archivers add "__MACOSX/._name.jpg" resource forks next to every image.
_SKIPPED_FOLDERS = ("__MACOSX",)
_MAX_LISTED_PATHS = 5
_MAX_LISTED_ENTRIES = 12

# Sex as every data set spells it, compared case-insensitively.
SEXES = {"female": "female", "male": "male", "unknown": np.nan}


def check_options(other, missing_images):
    """Validate the options every loader takes."""
    if other not in OTHER_OPTIONS:
        raise ValueError(f"other must be one of {OTHER_OPTIONS}, got {other!r}.")
    if missing_images not in MISSING_IMAGES_OPTIONS:
        raise ValueError(
            f"missing_images must be one of {MISSING_IMAGES_OPTIONS}, got "
            f"{missing_images!r}."
        )


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
        f"folder or one of its subfolders. It contains {_listing(root)}."
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


def _listing(folder):
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


def read_table(path, columns, *, text_columns=()):
    """Read a CSV table, checking that it has ``columns``.

    ``text_columns`` are read as text, so that ids such as ``0123`` keep
    their leading zeros.
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
            f"{path!r} has no column {missing[0]!r}"
            + (f" (nor {missing[1:]})" if len(missing) > 1 else "")
            + f"; its columns are {list(table.columns)}. Use the table as the "
            "publisher ships it."
        )
    return table


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


def map_vocabulary(values, mapping, column, path):
    """Map a metadata column onto a shared vocabulary, case-insensitively.

    Missing values stay missing; a value ``mapping`` lacks becomes missing
    too, with a warning naming it, so that a new spelling in a later release
    is noticed instead of silently lost or failing the whole load.
    """
    keys = values.map(lambda v: v.strip().lower() if isinstance(v, str) else v)
    unknown = keys.notna() & ~keys.isin(list(mapping))
    if unknown.any():
        warnings.warn(
            f"Column {column!r} of {path!r} holds value(s) "
            f"{sorted(set(values[unknown].astype(str)))} with no known meaning; "
            "they are read as missing. Please report them to skmultimodal.",
            UserWarning,
            stacklevel=3,
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


def image_path(base, *parts):
    """The publisher's location of one image: ``base`` joined with ``parts``.

    Relative parts from a table use ``/``, split so that the path is native.
    NaN where a part is missing: a lesion without an image of a modality.
    """
    if not all(isinstance(part, str) for part in parts):
        return np.nan
    return os.path.join(base, *(p for part in parts for p in part.split("/")))


def locate_images(expected, root, *, missing_images, dataset, unit, match_parts=1):
    """Find every image file and decide what happens to lesions without one.

    Each file is searched by name anywhere under ``root``: users unpack
    archives into nested folders, split sets into parts, or rename folders,
    and the publishers themselves mix the case of file names. Several files
    of the same name are told apart by how much of the publisher's path
    they share, so that the published layout wins over copies elsewhere.

    Parameters
    ----------
    expected : DataFrame
        One column per modality, indexed by row id: the path each image has
        in the publisher's layout, NaN where a row has no image of that
        modality.
    root : str
        The folder to search.
    missing_images : {"raise", "drop", "ignore"}
        What to do with rows whose files are not found.
    dataset, unit : str
        For messages: the data set's name and what its rows are
        (``"lesions"``, ``"images"``).
    match_parts : int, default=1
        How many trailing parts of the publisher's path a file must share:
        1 where file names are unique ids, 2 where only the folder tells
        files of the same name apart.

    Returns
    -------
    paths : DataFrame
        ``expected`` with every found file's actual path (rows dropped under
        ``"drop"``; the unchecked publisher's paths kept under ``"ignore"``).
    n_missing : int
        Number of rows with at least one file not found.
    """
    files = _image_files(root)
    found = expected.copy()
    missing_paths = []
    missing_rows = np.zeros(len(expected), dtype=bool)
    for column in expected.columns:
        located = []
        for i, path in enumerate(expected[column]):
            if not isinstance(path, str):
                located.append(np.nan)
                continue
            candidates = files.get(os.path.basename(path).lower(), ())
            match = _best_match(path, candidates, match_parts)
            if match is None:
                missing_rows[i] = True
                missing_paths.append(path)
            located.append(path if match is None else match)
        found[column] = located
    n_missing = int(missing_rows.sum())
    if n_missing == 0 or missing_images == "ignore":
        return found, n_missing
    what = f"{n_missing} of the {len(expected)} {dataset} {unit}"
    if missing_images == "drop":
        warnings.warn(
            f"Left out {what}, whose image files are missing under {root!r} "
            f"(e.g. {missing_paths[0]!r}).",
            UserWarning,
            stacklevel=4,  # the loader's caller, past build_dataset
        )
        return found[~missing_rows], n_missing
    listed = "".join(f"\n  {path}" for path in missing_paths[:_MAX_LISTED_PATHS])
    if len(missing_paths) > _MAX_LISTED_PATHS:
        listed += f"\n  ... and {len(missing_paths) - _MAX_LISTED_PATHS} more"
    if not files:
        listed += (
            f"\nNo image file at all is there; {root!r} contains {_listing(root)}."
        )
    raise FileNotFoundError(
        f"Image files are missing for {what}: {len(missing_paths)} file(s) are not "
        f"anywhere under {root!r} (searched with its subfolders, names compared "
        f"case-insensitively):{listed}\nDownload and unpack the {dataset} images "
        "into that folder, or pass missing_images='drop' to leave those "
        f"{unit} out, or missing_images='ignore' to keep their unchecked paths "
        "(for work on the metadata alone)."
    )


def _image_files(root):
    """Every image file under ``root``: lower-case file name -> paths."""
    files = {}
    visited = set()
    folders = [root]
    while folders:
        folder = folders.pop()
        try:
            status = os.stat(folder)
            # Linked folders are followed, so a loop of links must stop.
            if (status.st_dev, status.st_ino) in visited:
                continue
            visited.add((status.st_dev, status.st_ino))
            with os.scandir(folder) as scan:
                entries = list(scan)
        except OSError:
            continue  # an unreadable folder's images are reported as missing
        for entry in entries:
            if entry.name.startswith(".") or entry.name in _SKIPPED_FOLDERS:
                continue
            if entry.is_dir():
                folders.append(entry.path)
            elif entry.name.lower().endswith(_IMAGE_EXTENSIONS):
                files.setdefault(entry.name.lower(), []).append(entry.path)
    return files


def _best_match(expected, candidates, match_parts):
    """The candidate whose path ends most like ``expected``.

    ``None`` when no candidate shares at least ``match_parts`` trailing parts.
    """
    wanted = _parts(expected)

    def shared(candidate):
        parts = _parts(candidate)
        n = 0
        while n < min(len(parts), len(wanted)) and parts[-1 - n] == wanted[-1 - n]:
            n += 1
        return n

    scored = [(-shared(c), c) for c in candidates]
    best = min(scored, default=None)
    return best[1] if best is not None and -best[0] >= match_parts else None


def _parts(path):
    return os.path.normpath(path).lower().split(os.sep)


def build_dataset(
    *,
    dataset,
    unit,
    root,
    images,
    metadata,
    target,
    groups,
    diagnosis,
    other,
    missing_images,
    description,
    return_X_y,
    extras=None,
    match_parts=1,
):
    """Select the rows, find their images and return the Bunch (or X, y).

    Every argument that holds rows is indexed by the row id, one row per
    lesion (or image) in the publisher's order. Lesions outside the five
    classes are dropped before their images are looked for, so that images
    nobody asked for are never reported missing.

    Parameters
    ----------
    dataset, unit : str
        The data set's name and what its rows are, for messages.
    root : str
        Folder searched for the images.
    images : DataFrame
        Publisher's image path per modality (see :func:`locate_images`).
    metadata : DataFrame
        Feature columns other than the images, already harmonised.
    target : Series
        Labels from :func:`map_labels`.
    groups, diagnosis : Series
        Group id and the publisher's diagnosis of every row.
    other, missing_images : str
        The loader's options.
    description : str
        The data set's description; a summary of this load is appended.
    return_X_y : bool
        Return ``(data, target)`` instead of the Bunch.
    extras : dict of str to Series, optional
        Further per-row Series to put in the Bunch, e.g. ``split``.
    match_parts : int, default=1
        See :func:`locate_images`.
    """
    is_other = (target == OTHER).to_numpy()
    selected = ~is_other if other == "drop" else np.ones(len(target), dtype=bool)
    paths, n_missing = locate_images(
        images[selected],
        root,
        missing_images=missing_images,
        dataset=dataset,
        unit=unit,
        match_parts=match_parts,
    )
    rows = paths.index
    data = pd.concat([paths, metadata.loc[rows]], axis=1)
    target = target.loc[rows]
    if return_X_y:
        return data, target
    counts = target.value_counts()
    names = [name for name in (*CLASSES, OTHER) if name in counts.index]
    notes = [f"{len(rows)} of the {len(selected)} {unit} in the tables under {root}"]
    if other == "drop" and is_other.any():
        notes.append(f"{is_other.sum()} outside the five classes left out")
    if n_missing:
        fate = "left out" if missing_images == "drop" else "kept with unchecked paths"
        notes.append(f"{n_missing} with image files missing, {fate}")
    summary = (
        "; ".join(notes)
        + ".\nClasses: "
        + ", ".join(f"{name} {counts[name]}" for name in names)
    )
    bunch = Bunch(
        frame=data.assign(target=target),
        data=data,
        target=target,
        groups=groups.loc[rows],
        diagnosis=diagnosis.loc[rows],
        feature_names=list(data.columns),
        target_names=names,
        DESCR=f"{description.strip()}\n\nThis copy\n---------\n{summary}.\n",
    )
    for name, values in (extras or {}).items():
        bunch[name] = values.loc[rows]
    return bunch
