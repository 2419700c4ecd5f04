"""What the commands share: argument types, the data options and loading the data.

An ``argparse.ArgumentTypeError`` raised by a type becomes a usage error (exit
status 2) before any work is done.
"""

import argparse
import os
import re
from types import SimpleNamespace

from ._presets import PRESETS

DEMO = "demo"
_DEVICE = re.compile(r"auto|cpu|mps|cuda(:\d+)?")


def _number(convert, text, what):
    try:
        return convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None


def integer(minimum):
    """An int of at least ``minimum``."""

    def parse(text):
        value = _number(int, text, "an integer")
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def n_jobs(text):
    value = _number(int, text, "an integer")
    if value == 0:
        raise argparse.ArgumentTypeError(
            "0 would fit nothing; give 1 (one fold at a time), 2, ... or -1 (every core)"
        )
    return value


def fraction(text):
    """A number in [0, 1)."""
    value = _number(float, text, "a number")
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"must be at least 0 and below 1, got {text}")
    return value


def positive(text):
    value = _number(float, text, "a number")
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {text}")
    return value


def device(text):
    if not _DEVICE.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a device; use auto, cpu, cuda, cuda:1 or mps"
        )
    return text


def folder(text):
    """A folder to write to: absent (created later) or a folder, not a file."""
    if os.path.exists(text) and not os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text!r} is a file; give a folder to write to")
    return text


def existing_folder(text):
    if not os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a folder")
    return text


def existing_file(text):
    if not os.path.isfile(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a file")
    return text


def dataset(text):
    name, colon, path = text.partition(":")
    if text != DEMO and not (colon and name and path):
        raise argparse.ArgumentTypeError(
            f"expected 'demo' or NAME:PATH, e.g. milk10k:/data/MILK10k, got {text!r}"
        )
    return text


def add_data_options(parser, *, pooled_scores=True):
    """``--dataset`` (repeatable) and ``--missing-images``."""
    scored = (
        ", scored together and each on its own" if pooled_scores else ""
    )
    parser.add_argument(
        "--dataset", action="append", type=dataset, metavar="NAME:PATH",
        help="'demo' (synthetic lesions) or NAME:PATH with NAME one of milk10k, "
        "derm7pt, pad_ufes20, ham10000, isic2019, isic2020; give it several times "
        f"to pool data sets{scored} (default: demo)",
    )
    parser.add_argument(
        "--missing-images", choices=("raise", "drop"), default="raise",
        help="images named by a data set's tables but not on disk: 'raise' lists "
        "them in an error, 'drop' leaves those lesions out (default: raise)",
    )


def add_run_options(parser):
    """``--device``, ``--seed``, ``--n-jobs``, ``--no-progress``."""
    parser.add_argument("--device", type=device, default="auto",
                        help="torch device: auto, cpu, cuda, cuda:1, mps (default: auto)")
    parser.add_argument("--seed", type=integer(0), default=0,
                        help="random seed (default: 0)")
    parser.add_argument(
        "--n-jobs", type=n_jobs, default=1,
        help="folds fitted in parallel, -1 for every core; keep 1 on one GPU "
        "(default: 1)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def source_names(datasets):
    """Each data set's name, checked before anything is loaded."""
    from ..datasets._dispatch import LOADERS, _plain_name

    if datasets == [DEMO]:
        return [DEMO]
    if DEMO in datasets:
        raise ValueError(
            "--dataset demo cannot be pooled with other data sets; give either demo "
            "or one or more NAME:PATH."
        )
    names = []
    for spec in datasets:
        name = spec.partition(":")[0]
        known = [key for key in LOADERS if _plain_name(key) == _plain_name(name)]
        if not known:
            raise ValueError(
                f"Unknown data set {name!r} in {spec!r}; known data sets: "
                f"{', '.join(LOADERS)}."
            )
        names += known
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise ValueError(f"--dataset gives {repeated} more than once; give each once.")
    return names


def load(datasets, names, demo, *, seed, missing_images, other="drop"):
    """``(X, y, groups, source)``; ``source`` names each lesion's set when pooled."""
    from ..datasets import concat_lesions, load_dataset, make_lesions

    if datasets == [DEMO]:
        X, y, groups = make_lesions(random_state=seed, return_groups=True, **demo)
        return X, y, groups, None
    bunches = {
        name: load_dataset(spec, missing_images=missing_images, other=other)
        for name, spec in zip(names, datasets)
    }
    if len(bunches) == 1:
        (bunch,) = bunches.values()
        return bunch.data, bunch.target.to_numpy(), bunch.groups.to_numpy(), None
    pooled = concat_lesions(bunches)
    return (
        pooled.data,
        pooled.target.to_numpy(),
        pooled.groups.to_numpy(),
        pooled.source.to_numpy(),
    )


def use_agg_backend():
    """Figures go to files only: works without a display."""
    try:
        import matplotlib
    except ImportError:
        raise ValueError(
            "the figures need matplotlib: pip install 'skmultimodal[plot]'."
        ) from None
    matplotlib.use("Agg")


def tower_weights(directory, substitute, default):
    """The nets' ``weights=`` from a folder of exported towers, or ``default``."""
    if directory is None:
        return default
    from ..neural import exported_weights

    return exported_weights(directory, substitute=substitute, default=default)


def add_net_options(parser):
    """``--preset``, ``--weights`` and ``--substitute``: the fusion net's settings."""
    parser.add_argument("--preset", choices=sorted(PRESETS), default="quick",
                        help="net settings: quick (CPU minutes) or paper (GPU)")
    add_weights_options(parser)


def net_study(arguments):
    """What ``compare`` and ``robustness`` start from, given their data and net options.

    The data sets are checked and the tower weights found before any data set
    is loaded, so that a mistyped option is reported at once.

    Returns
    -------
    setup : SimpleNamespace
        ``datasets`` (as given), ``preset`` (its settings), ``net`` (the
        preset's net settings with the tower weights), ``title`` (of the
        tables and figures) and ``data`` (``X, y, groups, source``).
    """
    datasets = arguments.dataset or [DEMO]
    names = source_names(datasets)
    preset = PRESETS[arguments.preset]
    weights = tower_weights(arguments.weights, arguments.substitute, preset["net"]["weights"])
    data = load(
        datasets, names, preset["demo"], seed=arguments.seed,
        missing_images=arguments.missing_images,
    )
    return SimpleNamespace(
        datasets=datasets,
        preset=preset,
        net={**preset["net"], "weights": weights},
        title=f"{', '.join(datasets)}, {arguments.preset} preset",
        data=data,
    )


def add_weights_options(parser):
    """``--weights DIR`` and ``--substitute MODALITY``."""
    parser.add_argument(
        "--weights", type=existing_folder, metavar="DIR",
        help="start the towers from the towers exported to DIR (by 'skmultimodal "
        "pretrain' or export_towers): each modality from DIR/<modality>.safetensors; "
        "a modality without a file starts as the preset says, or see --substitute",
    )
    parser.add_argument(
        "--substitute", choices=("dermoscopic", "clinical"),
        help="with --weights, the exported tower that also starts the towers of "
        "modalities without a file of their own (e.g. a dermoscopic tower "
        "pretrained on HAM10000 for the clinical images too)",
    )
