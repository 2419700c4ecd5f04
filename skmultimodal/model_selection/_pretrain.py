"""Domain pretraining: one image tower trained on public data sets, scored, exported."""

import json
import os
import re
import time

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from .._frame import IMAGE_MODALITIES, check_groups, check_lesion_labels, empty_cells
from ..metrics import lesion_scores
from ..neural import MultimodalLesionClassifier
from ._splits import study_splits

#: Images of the ISIC archive, named ISIC_<7 digits>, which several public
#: sets share (HAM10000 is part of ISIC 2019; MILK10k and Derm7pt images may
#: come from the archive).
_ISIC_IMAGE = re.compile(r"^ISIC_\d{7}$")
SUMMARY_FILE = "pretraining.json"
_METRIC_NAMES = {
    "top1": "top-1", "map": "mAP", "auc_melanoma": "AUC melanoma",
    "auc_cancer": "AUC cancer",
}


def pretrain_tower(
    X,
    y,
    *,
    groups,
    modality="dermoscopic",
    backbone="resnet50",
    weights="DEFAULT",
    image_size=224,
    test_size=0.2,
    out=None,
    exclude=None,
    source=None,
    random_state=0,
    verbose=1,
    **net_params,
):
    """Train an image tower on every class of public data sets, score it, export it.

    The starting point for a small paired data set on a machine that cannot
    download pretrained weights, or a better one than ImageNet: a
    one-modality :class:`~skmultimodal.MultimodalLesionClassifier` is trained
    on the lesions of large public sets (HAM10000, ISIC 2019, ... loaded
    with ``other="keep"`` so that every class counts, and pooled with
    :func:`~skmultimodal.datasets.concat_lesions`), scored on held-out
    lesions of a grouped split, and its tower written to ``out`` for
    ``weights=`` (see :func:`~skmultimodal.neural.exported_weights`).

    Before training, lesions are left out that would blur the scores or
    leak into a later evaluation:

    - those matching ``exclude``, with every other lesion of their group:
      pass the lesions of the paired set the tower will be fine-tuned and
      evaluated on, which may be in the public sets too (MILK10k and
      Derm7pt images may come from the ISIC archive), or a tower that has
      seen them would inflate that evaluation;
    - repeated ISIC archive images (files named ``ISIC_<7 digits>``), kept
      once: HAM10000 is part of ISIC 2019, and a lesion in both sets would
      otherwise be trained on and scored at once;
    - those without an image of ``modality``.

    Parameters
    ----------
    X : DataFrame of shape (n_lesions, n_columns)
        The lesion frame (e.g. ``concat_lesions(...).data``).
    y : array-like of shape (n_lesions,)
        Class labels, every class of the public sets.
    groups : array-like of shape (n_lesions,)
        Lesion or patient ids: the held-out lesions share no group with the
        training lesions, and an excluded lesion takes its group with it.
    modality : {"dermoscopic", "clinical"}, default="dermoscopic"
        The tower's image modality.
    backbone : str or torch.nn.Module, default="resnet50"
        As for :class:`~skmultimodal.MultimodalLesionClassifier`; a
        ``"timm:<name>"`` model too.
    weights : str, os.PathLike or None, default="DEFAULT"
        The tower's starting weights (``"DEFAULT"``: ImageNet).
    image_size : int, default=224
        Side of the square images.
    test_size : float or None, default=0.2
        Fraction of the lesions held out to score the tower, stratified by
        class (and ``source``) and grouped; ``None`` or 0 trains on every
        lesion and scores nothing.
    out : str, os.PathLike or None, default=None
        Folder for ``<modality>.safetensors``, its description and
        ``pretraining.json`` (scores, counts, settings); ``None`` writes
        nothing.
    exclude : array-like of str, DataFrame, str, os.PathLike or None, default=None
        Lesions to leave out. Ids are compared with the lesion frame's index
        labels, its groups (both with and without the ``"<source>:"``
        prefix of :func:`~skmultimodal.datasets.concat_lesions`) and the
        file names of its images without extension (``ISIC_0024306``). A
        lesion frame gives its index labels and image file names; a path
        names a text file of ids, one per line.
    source : array-like of shape (n_lesions,), default=None
        The data set of each lesion (``concat_lesions(...).source``), for
        the split to hold out each set's lesions in proportion.
    random_state : int, default=0
        Seeds the split and the net.
    verbose : int, default=1
        0 is silent; 1 prints the counts, the time per epoch and the
        held-out scores; 2 also the net's losses per epoch.
    **net_params
        Further parameters of
        :class:`~skmultimodal.MultimodalLesionClassifier` (``max_epochs``,
        ``lr``, ``device``, ``cache_dir``, ...).

    Returns
    -------
    result : Bunch
        ``model`` (the fitted classifier), ``metrics`` (held-out
        :func:`~skmultimodal.metrics.lesion_scores`; empty without a
        held-out set), ``paths`` (modality to exported tower file; empty
        without ``out``), ``train``, ``test``, ``excluded`` and
        ``duplicates`` (index labels of the lesions in each part),
        ``seconds_per_epoch``, ``summary`` (what ``pretraining.json``
        holds) and ``report`` (the text printed).

    See Also
    --------
    skmultimodal.neural.exported_weights : the ``weights=`` of the folder.
    skmultimodal.MultimodalLesionClassifier.export_towers : the export.

    Examples
    --------
    >>> import tempfile
    >>> from skmultimodal import MultimodalLesionClassifier
    >>> from skmultimodal.datasets import make_lesions
    >>> from skmultimodal.model_selection import pretrain_tower
    >>> X, y, groups = make_lesions(80, image_size=32, return_groups=True,
    ...                             directory=tempfile.mkdtemp(), random_state=0)
    >>> folder = tempfile.mkdtemp()
    >>> result = pretrain_tower(
    ...     X, y, groups=groups, backbone="resnet18", weights=None, image_size=32,
    ...     out=folder, max_epochs=2, lr=1e-3, verbose=0)
    >>> sorted(result.metrics), sorted(result.paths)
    (['auc_cancer', 'auc_melanoma', 'map', 'top1'], ['dermoscopic'])
    >>> net = MultimodalLesionClassifier(
    ...     ("dermoscopic",), backbone="resnet18", image_size=32, max_epochs=1,
    ...     weights=result.paths["dermoscopic"]).fit(X, y)
    """
    if modality not in IMAGE_MODALITIES:
        raise ValueError(
            f"modality must be one of {list(IMAGE_MODALITIES)}, got {modality!r}."
        )
    if "modalities" in net_params:
        raise TypeError(
            "pretrain_tower trains a one-modality net: give modality=..., not "
            "modalities."
        )
    if not isinstance(X, pd.DataFrame):
        raise TypeError(f"X must be a lesion frame (a DataFrame), got {type(X).__name__}.")
    column = net_params.get(f"{modality}_column", modality)
    if column not in X.columns:
        raise ValueError(
            f"The lesion frame has no column {column!r} of {modality} images; its "
            f"columns are {list(X.columns)}."
        )
    y = check_lesion_labels(y, X.index)
    groups = check_groups(groups, len(X))
    if source is not None:
        source = np.asarray(source)

    excluded = _excluded(X, groups, _exclude_ids(exclude))
    duplicates = _repeated_isic_images(X[column]) & ~excluded
    without_image = empty_cells(X[column]) & ~excluded & ~duplicates
    kept = np.flatnonzero(~(excluded | duplicates | without_image))
    if len(kept) == 0:
        raise ValueError(
            f"No lesion is left to train on: {excluded.sum()} excluded, "
            f"{duplicates.sum()} repeated ISIC images, {without_image.sum()} without "
            f"a {modality} image."
        )
    X_kept, y_kept, groups_kept = X.iloc[kept], y[kept], groups[kept]
    train, test = np.arange(len(kept)), np.array([], dtype=int)
    if test_size:
        splits = study_splits(
            y_kept, groups_kept, cv=2, test_size=test_size, random_state=random_state,
            source=None if source is None else source[kept],
        )
        train, test = splits.development, splits.test

    model = MultimodalLesionClassifier(
        (modality,), backbone=backbone, weights=weights, image_size=image_size,
        random_state=random_state, verbose=int(verbose >= 2), **net_params,
    )
    started = time.perf_counter()
    model.fit(X_kept.iloc[train], y_kept[train], groups=groups_kept[train])
    seconds = time.perf_counter() - started
    durations = [epoch["dur"] for epoch in model.history_]
    metrics = {}
    if len(test):
        proba = model.predict_proba(X_kept.iloc[test])
        metrics = lesion_scores(y_kept[test], proba, model.classes_)

    summary = {
        "modality": modality,
        "backbone": backbone if isinstance(backbone, str) else "module",
        "weights": None if weights is None else str(weights),
        "image_size": int(image_size),
        "test_size": test_size or 0.0,
        "random_state": random_state,
        "n_lesions": len(X),
        "n_excluded": int(excluded.sum()),
        "n_duplicates": int(duplicates.sum()),
        "n_without_image": int(without_image.sum()),
        "n_train": len(train),
        "n_test": len(test),
        "classes": {
            str(label): int(count)
            for label, count in zip(*np.unique(y_kept, return_counts=True))
        },
        "epochs": len(durations),
        "seconds_per_epoch": float(np.mean(durations)),
        "seconds": seconds,
        "metrics": {name: float(value) for name, value in metrics.items()},
    }
    paths = {}
    if out is not None:
        paths = model.export_towers(out)
        with open(os.path.join(out, SUMMARY_FILE), "w", encoding="utf-8") as file:
            json.dump(summary, file, indent=2)
            file.write("\n")
    report = _report(summary, backbone, paths, out)
    if verbose:
        print(report)
    labels = X_kept.index
    return Bunch(
        model=model,
        metrics=metrics,
        paths=paths,
        train=labels[train],
        test=labels[test],
        excluded=X.index[excluded],
        duplicates=X.index[duplicates],
        seconds_per_epoch=summary["seconds_per_epoch"],
        summary=summary,
        report=report,
    )


def _exclude_ids(exclude):
    """The ids to leave out, as a set of strings."""
    if exclude is None:
        return set()
    if isinstance(exclude, (str, os.PathLike)):
        with open(exclude, encoding="utf-8") as file:
            return {line.strip() for line in file if line.strip()}
    if isinstance(exclude, pd.DataFrame):
        ids = set(exclude.index.astype(str))
        for column in IMAGE_MODALITIES:
            if column in exclude.columns:
                ids |= set(_file_stems(exclude[column]).dropna())
        return ids
    return {str(value) for value in exclude}


def _file_stems(paths):
    """Each image's file name without extension; NaN for empty cells."""
    paths = pd.Series(paths, copy=False)
    stems = [
        None if empty else os.path.splitext(os.path.basename(os.fspath(path)))[0]
        for path, empty in zip(paths, empty_cells(paths))
    ]
    return pd.Series(stems, index=paths.index, dtype=object)


def _without_source(labels):
    """Labels without the ``"<source>:"`` prefix concat_lesions gives them."""
    return pd.Index([label.split(":", 1)[-1] for label in labels])


def _excluded(X, groups, ids):
    """Lesions matching ``ids``, and every lesion of their groups."""
    if not ids:
        return np.zeros(len(X), dtype=bool)
    labels = pd.Index(X.index.astype(str))
    group_labels = pd.Index(groups.astype(str))
    match = (
        labels.isin(ids) | _without_source(labels).isin(ids)
        | group_labels.isin(ids) | _without_source(group_labels).isin(ids)
    )
    for column in IMAGE_MODALITIES:
        if column in X.columns:
            match |= _file_stems(X[column]).isin(ids).to_numpy()
    return np.isin(groups, groups[match])


def _repeated_isic_images(paths):
    """Lesions whose image is an ISIC archive image seen in an earlier lesion."""
    stems = _file_stems(paths)
    isic = stems.map(lambda stem: isinstance(stem, str) and bool(_ISIC_IMAGE.match(stem)))
    repeated = stems.duplicated(keep="first") & isic.astype(bool)
    return repeated.to_numpy()


def _report(summary, backbone, paths, out):
    name = backbone if isinstance(backbone, str) else type(backbone).__name__
    classes = ", ".join(f"{label} {count:,}" for label, count in summary["classes"].items())
    lines = [
        (
            f"Pretraining a {name} {summary['modality']} tower ({summary['image_size']} px) "
            f"on {summary['n_train'] + summary['n_test']:,} of {summary['n_lesions']:,} "
            f"lesions, {len(summary['classes'])} classes ({classes})."
        ),
        (
            f"  left out: {summary['n_excluded']:,} excluded (with their groups), "
            f"{summary['n_duplicates']:,} repeated ISIC images, "
            f"{summary['n_without_image']:,} without a {summary['modality']} image"
        ),
        (
            f"  trained on {summary['n_train']:,} lesions, held out "
            f"{summary['n_test']:,} (grouped)"
        ),
        f"  {summary['epochs']} epochs, {summary['seconds_per_epoch']:.1f} s per epoch",
    ]
    if summary["metrics"]:
        scores = ", ".join(
            f"{_METRIC_NAMES.get(key, key)} {value:.3f}"
            for key, value in summary["metrics"].items()
        )
        lines.append(f"Held-out scores: {scores}")
    if paths:
        files = ", ".join(paths.values())
        lines.append(f"Exported: {files} (+ .json), {os.path.join(out, SUMMARY_FILE)}")
    return "\n".join(lines)
