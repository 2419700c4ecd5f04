"""The one flow every loader of a public data set follows.

A data set's module describes its format in a :class:`PublicDataset`: where
its tables are, how their rows become lesion-frame columns (its ``read``
function, which holds the set's quirks), how its diagnoses map onto the
paper's classes, and the words its loader's docstring needs.
:meth:`PublicDataset.load` does the rest alike for every set: it checks the
options, finds the tables, selects the rows, finds the images and builds the
returned :class:`~sklearn.utils.Bunch`; :meth:`PublicDataset.document` fills
the paragraphs every loader's docstring shares.
"""

import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from ._images import locate_images
from ._tables import find_tables, map_labels, resolve_root
from ._vocabulary import CLASSES, OTHER

OTHER_OPTIONS = ("drop", "keep")
_THIS_COPY = "This copy\n---------"
# What became of lesions with image files missing, for DESCR.
_FATE = {"drop": "left out", "ignore": "kept with unchecked paths"}
MISSING_IMAGES_OPTIONS = ("raise", "drop", "ignore")


@dataclass(frozen=True)
class Rows:
    """A data set's tables turned into parts of the lesion frame.

    Every part is indexed by the row id (lesion, case or image), one row per
    row of the data set, in the publisher's order.

    Attributes
    ----------
    images : DataFrame
        The publisher's path of each image, one column per modality (see
        :func:`~skmultimodal.datasets._images.image_frame`).
    metadata : DataFrame
        The feature columns besides the images, already harmonised.
    diagnosis : Series
        The publisher's diagnosis.
    diagnosis_table : str
        Path of the table the diagnosis comes from, for messages.
    groups : Series or None, default=None
        The group of each row; ``None`` makes each row its own group, named
        by its id.
    extras : dict of str to Series, default={}
        Further per-row Series for the Bunch, e.g. Derm7pt's ``split``.
    """

    images: pd.DataFrame
    metadata: pd.DataFrame
    diagnosis: pd.Series
    diagnosis_table: str
    groups: pd.Series | None = None
    extras: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PublicDataset:
    """What sets one public data set apart from the others.

    Attributes
    ----------
    name, url : str
        The data set's name and download page, for messages.
    tables : list of tuple of str
        For each table, its accepted paths relative to the folder (see
        :func:`~skmultimodal.datasets._tables.find_tables`).
    unit : str
        What a row is: ``"lesions"``, ``"cases"`` or ``"images"``.
    labels : dict of str to str
        Lower-case publisher's diagnosis -> class; the others are ``OTHER``.
    description : str
        ``DESCR``, without the summary of a load that is appended to it.
    read : callable
        ``read(base, paths, **options) -> Rows``: ``base`` is the folder
        holding the tables, ``paths`` the table paths in the order of
        ``tables``, ``options`` the loader's own keyword arguments.
    doc : dict of str to str
        Words for the shared docstring paragraphs (see ``_PARAGRAPHS``):
        ``outside`` (the diagnoses outside the five classes), ``columns``
        (of ``data``), ``groups``, ``diagnosis``, ``index``; optional
        ``extras`` (the Bunch's further entries) and ``errors`` (a sentence
        on further ValueErrors).
    match_parts : int, default=1
        See :func:`~skmultimodal.datasets._images.locate_images`.
    """

    name: str
    url: str
    tables: list
    unit: str
    labels: dict
    description: str
    read: Callable
    doc: dict
    match_parts: int = 1

    def load(self, root, *, other, missing_images, return_X_y, **options):
        """Load the data set from ``root``, as every loader documents."""
        check_options(other, missing_images)
        root = resolve_root(root, dataset=self.name, url=self.url)
        base, paths = find_tables(root, self.tables, dataset=self.name, url=self.url)
        rows = self.read(base, paths, **options)
        target = map_labels(rows.diagnosis, self.labels, rows.diagnosis_table)
        is_other = (target == OTHER).to_numpy()
        # Lesions left out are left out before their images are looked for,
        # so that images nobody asked for are never reported missing.
        selected = ~is_other if other == "drop" else np.ones(len(target), dtype=bool)
        images, n_missing = locate_images(
            rows.images[selected],
            root,
            missing_images=missing_images,
            dataset=self.name,
            unit=self.unit,
            match_parts=self.match_parts,
        )
        kept = images.index
        data = pd.concat([images, rows.metadata.loc[kept]], axis=1)
        target = target.loc[kept]
        if return_X_y:
            return data, target
        groups = rows.groups
        if groups is None:
            ids = rows.images.index
            groups = pd.Series(ids, index=ids, name=ids.name)
        n_rows = len(selected)
        notes = [f"{len(kept)} of the {n_rows} {self.unit} in the tables under {root}"]
        if other == "drop" and is_other.any():
            notes.append(f"{is_other.sum()} outside the five classes left out")
        if n_missing:
            fate = _FATE[missing_images]
            notes.append(f"{n_missing} with image files missing, {fate}")
        counts = target.value_counts()
        names = [name for name in (*CLASSES, OTHER) if name in counts.index]
        classes = ", ".join(f"{name} {counts[name]}" for name in names)
        summary = "; ".join(notes) + f".\nClasses: {classes}."
        bunch = Bunch(
            frame=data.assign(target=target),
            data=data,
            target=target,
            groups=groups.loc[kept],
            diagnosis=rows.diagnosis.loc[kept],
            feature_names=list(data.columns),
            target_names=names,
            DESCR=f"{self.description.strip()}\n\n{_THIS_COPY}\n{summary}\n",
        )
        for name, values in rows.extras.items():
            bunch[name] = values.loc[kept]
        return bunch

    def document(self, loader):
        """Decorator: fill the shared paragraphs of ``loader``'s docstring."""
        words = {"name": self.name, "unit": self.unit, **self.doc}
        # Optional words, each joined to its sentence only where given.
        words["extras"] = f"{words['extras']}, " if "extras" in words else ""
        words["errors"] = f" {words['errors']}" if "errors" in words else ""
        paragraphs = {
            key: "\n".join(
                line if isinstance(line, str) else _entry(*line, words)
                for line in lines
            )
            for key, lines in _PARAGRAPHS.items()
        }
        loader.__doc__ = fill_doc(loader.__doc__, paragraphs)
        return loader


def check_options(other, missing_images):
    """Validate the options every loader takes."""
    if other not in OTHER_OPTIONS:
        raise ValueError(f"other must be one of {OTHER_OPTIONS}, got {other!r}.")
    if missing_images not in MISSING_IMAGES_OPTIONS:
        raise ValueError(
            f"missing_images must be one of {MISSING_IMAGES_OPTIONS}, got "
            f"{missing_images!r}."
        )


# The docstring paragraphs every loader shares, by placeholder: lines taken
# as they are, and numpydoc entries (header, description) whose description
# is filled with the words of PublicDataset.doc and wrapped.
_PARAGRAPHS = {
    "options": [
        (
            'other : {"drop", "keep"}, default="drop"',
            "Lesions outside the paper's five classes ({outside}): ``\"drop\"`` "
            'leaves them out, ``"keep"`` labels them ``"other"``.',
        ),
        (
            'missing_images : {"raise", "drop", "ignore"}, default="raise"',
            'Image files not found: ``"raise"`` lists them all in one error, '
            '``"drop"`` leaves out the {unit} whose files are missing, with a '
            "warning, ``\"ignore\"`` keeps the publisher's paths unchecked (for "
            "work on the metadata alone).",
        ),
    ],
    "return_X_y": [
        (
            "return_X_y : bool, default=False",
            "Return ``(data, target)`` instead of a Bunch.",
        ),
    ],
    "returns_raises_see_also": [
        "Returns",
        "-------",
        (
            "dataset : :class:`~sklearn.utils.Bunch`",
            "With ``frame`` (the lesion frame and a ``target`` column), ``data`` "
            "(the lesion frame: {columns}), ``target`` (class labels), ``groups`` "
            "({groups}), ``diagnosis`` ({diagnosis}), {extras}``feature_names``, "
            "``target_names`` and ``DESCR``; all indexed by {index}.",
        ),
        (
            "(data, target) : tuple of DataFrame and Series",
            "If ``return_X_y`` is true.",
        ),
        "",
        "Raises",
        "------",
        (
            "FileNotFoundError",
            "If ``root`` holds no {name} tables (the message lists what it "
            'holds), or images are missing and ``missing_images="raise"``.',
        ),
        (
            "ValueError",
            "If an option has a value not listed above, or a table lacks a "
            "column, repeats an id or holds a value that cannot be read (the "
            "message names the file, the column and the rows).{errors}",
        ),
        "",
        "See Also",
        "--------",
        'load_dataset : Load any supported data set from a ``"name:path"`` string.',
        "concat_lesions : Train on several data sets as one lesion frame.",
    ],
}


def _entry(header, description, words):
    return f"{header}\n{_wrap(description.format(**words))}"


def _wrap(text):
    return textwrap.fill(
        text,
        width=72,
        initial_indent="    ",
        subsequent_indent="    ",
        break_long_words=False,
        break_on_hyphens=False,
    )


_PLACEHOLDER = re.compile(r"^( *)%\((\w+)\)s$", re.MULTILINE)


def fill_doc(docstring, paragraphs):
    """Replace each line ``%(key)s`` of ``docstring`` by ``paragraphs[key]``.

    The paragraph is indented as the placeholder, so that it works both on
    docstrings as written and on those Python 3.13+ dedents. An unknown key
    raises a KeyError at import, not a broken docstring.
    """
    return _PLACEHOLDER.sub(
        lambda match: textwrap.indent(paragraphs[match[2]], match[1]), docstring
    )
