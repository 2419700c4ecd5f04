"""Several data sets as one lesion frame, each lesion tagged with its source."""

import textwrap
from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from .._frame import IMAGE_MODALITIES, format_rows
from ._vocabulary import CLASSES, OTHER, SEXES, SITES

#: Joins a source's name to the ids of its lesions and groups.
SEPARATOR = ":"
COLUMNS_OPTIONS = ("shared", "all")

# Columns every loader fills from one vocabulary; a frame that spells them
# otherwise would be merged wrongly, so it is refused.
_VOCABULARIES = {"sex": SEXES, "site": SITES}
# pandas' inferred types -> the kinds that may share a column.
_KINDS = {
    "string": "text",
    **dict.fromkeys(
        ("floating", "integer", "mixed-integer-float", "decimal", "boolean"), "numeric"
    ),
}


def concat_lesions(datasets, *, columns="shared"):
    """Concatenate the lesions of several data sets into one lesion frame.

    Train one model on the union of public sets: the lesion frames of the
    sources are stacked, their columns aligned by name, and each lesion
    keeps the name of the set it comes from in ``source``, which is never a
    feature. A lesion lacking an image of a modality that another source
    has gets an empty cell there: that image was not taken. Ids and groups
    are prefixed with the source's name, so that two sets using the same
    ids neither collide nor merge their patients.

    Parameters
    ----------
    datasets : dict of str to Bunch or tuple
        The sources, by name, in the order their lesions are stacked. Each is
        a loader's :class:`~sklearn.utils.Bunch` (its ``data``, ``target``
        and ``groups``), or a tuple ``(X, y, groups)`` or ``(X, y)`` of a
        lesion frame, its labels and its group ids in the order of the
        frame's rows. Without groups every lesion is its own group. A name
        is a non-empty string without ``":"``, e.g. ``"ham10000"``.
    columns : {"shared", "all"}, default="shared"
        Which metadata columns to keep. ``"shared"``: only those every
        source has. ``"all"``: the union, empty for the lesions of the
        sources lacking a column. The default is ``"shared"`` because a
        column that only some sources have is missing exactly for the
        others: its missingness tells the source, and the sources differ in
        their classes (HAM10000 is mostly nevi, PAD-UFES-20 mostly
        carcinomas), so a model can learn the source instead of the lesion.
        Image columns are always kept, as they are in every lesion frame.

    Returns
    -------
    dataset : :class:`~sklearn.utils.Bunch`
        With ``data`` (the lesion frame: the image columns, then the
        metadata columns in the order the sources first list them),
        ``target`` (the labels), ``groups`` (``"<source>:<group>"``),
        ``source`` (the source's name), ``frame`` (``data`` with a
        ``target`` column), ``feature_names``, ``target_names`` and
        ``DESCR`` (the lesions per source and class); all indexed by
        ``"<source>:<id>"``, which is unique across sources.

    Raises
    ------
    TypeError
        If ``datasets`` is not a dict, a name not a string, or a source
        neither a Bunch with ``data`` and ``target`` nor a tuple of two or
        three; if ``X`` is not a DataFrame.
    ValueError
        If ``datasets`` is empty, a name empty or containing ``":"``, the
        lengths within a source differ, a source has no lesions, repeated
        ids or missing groups, ``columns`` is not one of its values, a
        column holds numbers in one source and text in another, ``age`` is
        not numeric, or ``sex`` or ``site`` holds values outside the shared
        vocabulary (:data:`~skmultimodal.datasets.SITES`, ``"female"``,
        ``"male"``).

    See Also
    --------
    load_dataset : Load any supported data set from a ``"name:path"`` string.

    Notes
    -----
    Columns of one name are taken to mean one thing: the loaders map
    ``age`` (years, float), ``sex`` and ``site`` onto a shared vocabulary,
    which is checked here; numeric columns come out as float, text columns
    in pandas' own text dtype. Check your own columns before concatenating
    sets that use one name for different things.

    Even with ``columns="shared"``, which images a lesion has can tell its
    source (HAM10000 has no clinical images, PAD-UFES-20 no dermoscopic
    ones), and so can the images themselves (camera, lighting, resolution).

    The public sets overlap: HAM10000 is part of ISIC 2019, and MILK10k and
    Derm7pt images may come from the ISIC archive. A lesion in two sources
    becomes two lesions of two groups here, which a grouped split may put in
    a training and a test fold at once. Leave such lesions out of one
    source first, e.g. ``keep = ~isic.data.index.isin(ham.data.index)``
    and ``(isic.data[keep], isic.target[keep], isic.groups[keep])``.

    Examples
    --------
    >>> import pandas as pd
    >>> from skmultimodal.datasets import concat_lesions
    >>> ham = pd.DataFrame(
    ...     {"dermoscopic": ["a.jpg", "b.jpg"], "age": [40.0, 55.0],
    ...      "site": ["torso", "head/neck"]}, index=["ISIC_1", "ISIC_2"])
    >>> pad = pd.DataFrame(
    ...     {"clinical": ["c.png"], "age": [61.0], "site": ["torso"],
    ...      "itch": [1.0]}, index=["PAT_1.png"])
    >>> both = concat_lesions({
    ...     "ham10000": (ham, ["nevus", "melanoma"], ["HAM_1", "HAM_1"]),
    ...     "pad_ufes20": (pad, ["bcc"], ["PAT_1"]),
    ... })
    >>> both.data
                         dermoscopic clinical   age       site
    ham10000:ISIC_1            a.jpg      NaN  40.0      torso
    ham10000:ISIC_2            b.jpg      NaN  55.0  head/neck
    pad_ufes20:PAT_1.png         NaN    c.png  61.0      torso
    >>> both.groups.tolist()
    ['ham10000:HAM_1', 'ham10000:HAM_1', 'pad_ufes20:PAT_1']
    >>> both.source.tolist()
    ['ham10000', 'ham10000', 'pad_ufes20']
    """
    if columns not in COLUMNS_OPTIONS:
        raise ValueError(f"columns must be one of {COLUMNS_OPTIONS}, got {columns!r}.")
    sources = _sources(datasets)
    index = pd.Index(
        [f"{name}{SEPARATOR}{i}" for name, X, _, _ in sources for i in X.index]
    )
    images = [c for c in IMAGE_MODALITIES if any(c in X for _, X, _, _ in sources)]
    union = list(dict.fromkeys(c for _, X, _, _ in sources for c in X.columns))
    metadata = [c for c in union if c not in IMAGE_MODALITIES]
    left_out = {}
    if columns == "shared":
        for column in metadata:
            having = [name for name, X, _, _ in sources if column in X]
            if len(having) < len(sources):
                left_out[column] = having
        metadata = [c for c in metadata if c not in left_out]
    data = pd.DataFrame(
        {
            **{c: _stacked(sources, c, kind=None) for c in images},
            **{c: _stacked(sources, c, kind=_kind_of(sources, c)) for c in metadata},
        },
        index=index,
    )
    target = pd.Series(
        [label for _, _, y, _ in sources for label in y], index=index, name="target"
    )
    groups = pd.Series(
        [f"{name}{SEPARATOR}{g}" for name, _, _, groups in sources for g in groups],
        index=index,
        name="groups",
    )
    source = pd.Series(
        [name for name, X, _, _ in sources for _ in range(len(X))],
        index=index,
        name="source",
    )
    present = set(target)
    target_names = [c for c in (*CLASSES, OTHER) if c in present]
    target_names += sorted(present - set(target_names), key=str)
    return Bunch(
        frame=data.assign(target=target),
        data=data,
        target=target,
        groups=groups,
        source=source,
        feature_names=list(data.columns),
        target_names=target_names,
        DESCR=_describe(source, target, target_names, left_out),
    )


def _sources(datasets):
    """Each source as ``(name, X, y, groups)``, checked, groups never missing."""
    if not isinstance(datasets, Mapping):
        raise TypeError(
            "datasets must be a dict of name -> loader Bunch or (X, y, groups), "
            f"got {type(datasets).__name__}."
        )
    if not datasets:
        raise ValueError("datasets is empty; give at least one data set by name.")
    return [_source(name, value) for name, value in datasets.items()]


def _source(name, value):
    if not isinstance(name, str):
        raise TypeError(f"Data set names must be strings, got {name!r}.")
    if not name or SEPARATOR in name:
        raise ValueError(
            f"Data set name {name!r} must be non-empty and free of {SEPARATOR!r}, "
            "which joins it to the ids of its lesions."
        )
    if isinstance(value, Mapping) and "data" in value and "target" in value:
        X, y, groups = value["data"], value["target"], value.get("groups")
    elif isinstance(value, tuple) and len(value) in (2, 3):
        X, y, groups = (*value, None)[:3]
    else:
        raise TypeError(
            f"Data set {name!r} must be a loader's Bunch (with data, target and "
            "groups) or a tuple (X, y, groups) or (X, y), got "
            f"{type(value).__name__}."
        )
    if not isinstance(X, pd.DataFrame):
        raise TypeError(
            f"The lesion frame of {name!r} must be a pandas DataFrame, got "
            f"{type(X).__name__}."
        )
    if len(X) == 0:
        raise ValueError(f"Data set {name!r} has no lesions; leave it out.")
    repeated = X.index[X.index.duplicated()].unique()
    if len(repeated):
        raise ValueError(
            f"Data set {name!r} lists the id(s) {format_rows(repeated)} more than "
            "once; every lesion needs an id of its own."
        )
    y = np.asarray(y, dtype=object)
    groups = X.index if groups is None else np.asarray(groups, dtype=object)
    for what, values in (("labels", y), ("group ids", groups)):
        if values.ndim != 1 or len(values) != len(X):
            raise ValueError(
                f"Data set {name!r} has {len(X)} lesions but {what} of shape "
                f"{np.shape(values)}; give one per lesion, in the frame's order."
            )
    for what, values in (("label", y), ("group id", groups)):
        empty = pd.isna(np.asarray(values, dtype=object))
        if empty.any():
            raise ValueError(
                f"Data set {name!r} has no {what} for lesion(s) "
                f"{format_rows(X.index[empty])}; fill them in or leave those "
                "lesions out."
            )
    return name, X, y, groups


def _kind_of(sources, column):
    """``"numeric"``, ``"text"`` or another kind, the same in every source."""
    kinds = {}
    for name, X, _, _ in sources:
        if column in X and X[column].notna().any():
            values = X[column]
            if isinstance(values.dtype, pd.CategoricalDtype):
                values = values.astype(object)
            kind = pd.api.types.infer_dtype(values, skipna=True)
            kinds[name] = _KINDS.get(kind, kind)
    found = set(kinds.values())
    if len(found) > 1:
        by_kind = "; ".join(
            f"{kind} in " + ", ".join(repr(n) for n, k in kinds.items() if k == kind)
            for kind in sorted(found)
        )
        raise ValueError(
            f"Column {column!r} holds different kinds of values in different data "
            f"sets ({by_kind}), so it cannot mean the same thing in all of them. "
            "Rename it in some of them, convert it, or drop it before concatenating."
        )
    kind = found.pop() if found else None
    if column == "age" and kind not in ("numeric", None):
        raise ValueError(
            f"Column 'age' must hold numbers (years) in every data set, but holds "
            f"{kind} in {', '.join(repr(n) for n in kinds)}."
        )
    if column in _VOCABULARIES:
        _check_vocabulary(sources, column, _VOCABULARIES[column])
    return kind


def _check_vocabulary(sources, column, vocabulary):
    for name, X, _, _ in sources:
        if column not in X:
            continue
        values = X[column].dropna()
        unknown = sorted(set(values[~values.isin(vocabulary)].astype(str)))
        if unknown:
            raise ValueError(
                f"Column {column!r} of {name!r} holds {unknown}, outside the "
                f"vocabulary the loaders share, {list(vocabulary)}. Map them "
                "onto it (NaN where unknown) before concatenating."
            )


def _stacked(sources, column, *, kind):
    """One column over every source: NaN where a source lacks it.

    Numbers become float; other values go in as plain Python objects, so
    that pandas gives text its own text dtype (pandas 3) or ``object``.
    """
    if kind == "numeric":
        return np.concatenate(
            [
                pd.to_numeric(X[column]).to_numpy(dtype="float64", na_value=np.nan)
                if column in X
                else np.full(len(X), np.nan)
                for _, X, _, _ in sources
            ]
        )
    values = []
    for _, X, _, _ in sources:
        if column not in X:
            values.extend([np.nan] * len(X))
        elif kind == "text":
            values.extend(v if isinstance(v, str) else np.nan for v in X[column])
        else:
            values.extend(X[column].astype(object))
    return values


def _describe(source, target, target_names, left_out):
    """DESCR: what was joined how, and the lesions per source and class."""
    names = list(dict.fromkeys(source))
    counts = pd.crosstab(source, target, margins=True, margins_name="total")
    counts = counts.loc[[*names, "total"], [*target_names, "total"]]
    counts.index.name = counts.columns.name = None
    n_sources = len(names)
    about = (
        f"{len(source):,} lesions of {n_sources} data set"
        f"{'s' if n_sources > 1 else ''}, indexed as '<source>:<id>'; groups are "
        "'<source>:<group>', so the patients of different sets never merge."
    )
    if left_out:
        by_sources = {}
        for column, having in left_out.items():
            by_sources.setdefault(", ".join(having), []).append(column)
        lists = "; ".join(
            f"{', '.join(columns)} (only in {having})"
            for having, columns in by_sources.items()
        )
        about += f" Left out as not in every data set (columns='shared'): {lists}."
    return "\n".join(
        [
            "Concatenated lesions",
            "====================",
            "",
            textwrap.fill(about, width=79),
            "",
            "Lesions per data set and class",
            "------------------------------",
            counts.to_string(),
            "",
        ]
    )
