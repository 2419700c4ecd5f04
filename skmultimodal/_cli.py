"""The command line: ``skmultimodal compare`` runs the paper's study.

The command parses its arguments, loads the data and hands both to
:class:`~skmultimodal.model_selection.ModalityStudy`, which fits, resumes and
writes the files. Exit status: 0 when the study ran; 2 when the command line
is malformed (an unknown option, a value of the wrong type or out of range,
``--out`` naming a file), reported by argparse before any work; 1 when
well-formed arguments cannot be carried out (an unknown data set, a missing
folder or file, data the study refuses, an ``--out`` folder holding another
study's results).
"""

import argparse
import os
import re
import sys
import time
import warnings

# Settings of the nets for each preset. "quick" trains small random-init
# towers on small images, for a laptop CPU; "paper" is Yap et al. (2018):
# ImageNet ResNet-50 towers at 224 px with a (1024, 1024) embedding network.
PRESETS = {
    "quick": {
        "net": {
            "backbone": "resnet18", "weights": None, "image_size": 32,
            "embedding_dims": (256, 256), "max_epochs": 4, "batch_size": 32,
            "lr": 1e-3,
        },
        "forest": {"n_estimators": 300},
        "demo": {"n_samples": 400, "image_size": 64},
    },
    "paper": {
        "net": {
            "backbone": "resnet50", "weights": "DEFAULT", "image_size": 224,
            "embedding_dims": (1024, 1024), "max_epochs": 20, "batch_size": 64,
            "lr": 1e-4,
        },
        "forest": {"n_estimators": 500},
        "demo": {"n_samples": 2917, "image_size": 256},
    },
}
DEMO = "demo"
_DEVICE = re.compile(r"auto|cpu|mps|cuda(:\d+)?")


def main(argv=None):
    """Run the command line; return the exit status."""
    parser = _parser()
    try:
        arguments = parser.parse_args(argv)
    except SystemExit as exit:  # argparse has printed the usage error (or --help)
        return exit.code
    if arguments.command is None:
        parser.print_help()
        return 2
    prefix = f"skmultimodal {arguments.command}"
    with warnings.catch_warnings():
        warnings.showwarning = lambda message, *_, **__: print(
            f"{prefix}: warning: {message}", file=sys.stderr
        )
        try:
            return arguments.run(arguments)
        except (ValueError, KeyError, FileNotFoundError) as error:
            message = error.args[0] if isinstance(error, KeyError) and error.args else error
            print(f"{prefix}: error: {message}", file=sys.stderr)
            return 1


def _parser():
    parser = argparse.ArgumentParser(
        prog="skmultimodal",
        description="Multimodal skin lesion classification (Yap et al., 2018).",
        epilog="Exit status: 0 done, 1 the data or --out cannot be used, 2 a "
        "malformed command line.",
    )
    commands = parser.add_subparsers(dest="command")
    compare = commands.add_parser(
        "compare",
        help="the paper's modality comparison: table, figures, results",
        description=(
            "Cross-validate the fusion net on every modality combination (with and "
            "without embedding network) and the metadata random forest, on the "
            "same folds, with the paper's metrics; write the results, the table "
            "and the figures to --out. Candidates the data cannot evaluate (a "
            "clinical-image net on a set without clinical images) are left out, "
            "with the reason. Rerun the same command to resume after an "
            "interruption."
        ),
        epilog="Exit status: 0 done, 1 the data or --out cannot be used, 2 a "
        "malformed command line.",
    )
    compare.add_argument(
        "--dataset", action="append", type=_dataset, metavar="NAME:PATH",
        help="'demo' (synthetic lesions) or NAME:PATH with NAME one of milk10k, "
        "derm7pt, pad_ufes20, ham10000, isic2019, isic2020; give it several times "
        "to pool data sets, scored together and each on its own (default: demo)",
    )
    compare.add_argument(
        "--missing-images", choices=("raise", "drop"), default="raise",
        help="images named by a data set's tables but not on disk: 'raise' lists "
        "them in an error, 'drop' leaves those lesions out (default: raise)",
    )
    compare.add_argument("--preset", choices=sorted(PRESETS), default="quick",
                         help="net settings: quick (CPU minutes) or paper (GPU)")
    compare.add_argument("--cv", type=_integer(2), default=5,
                         help="number of folds, at least 2 (default: 5)")
    compare.add_argument(
        "--test-size", type=_fraction, default=0.0,
        help="fraction held out as a test set scored by every fold's model (the "
        "paper's protocol); 0 for plain cross-validation (default: 0)",
    )
    compare.add_argument("--device", type=_device, default="auto",
                         help="torch device: auto, cpu, cuda, cuda:1, mps (default: auto)")
    compare.add_argument("--seed", type=_integer(0), default=0,
                         help="random seed (default: 0)")
    compare.add_argument(
        "--n-jobs", type=_n_jobs, default=1,
        help="folds fitted in parallel, -1 for every core; keep 1 on one GPU "
        "(default: 1)",
    )
    compare.add_argument("--out", type=_folder, default="skmultimodal-results",
                         help="output folder (default: ./skmultimodal-results)")
    compare.add_argument("--no-progress", action="store_true", help="no progress bar")
    compare.set_defaults(run=_compare)
    return parser


# -- argument types: an ArgumentTypeError becomes a usage error (exit 2) ------


def _number(convert, text, what):
    try:
        return convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None


def _integer(minimum):
    def parse(text):
        value = _number(int, text, "an integer")
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def _n_jobs(text):
    value = _number(int, text, "an integer")
    if value == 0:
        raise argparse.ArgumentTypeError(
            "0 would fit nothing; give 1 (one fold at a time), 2, ... or -1 (every core)"
        )
    return value


def _fraction(text):
    value = _number(float, text, "a number")
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"must be at least 0 and below 1, got {text}")
    return value


def _device(text):
    if not _DEVICE.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a device; use auto, cpu, cuda, cuda:1 or mps"
        )
    return text


def _folder(text):
    if os.path.exists(text) and not os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"{text!r} is a file; give a folder to write to")
    return text


def _dataset(text):
    name, colon, path = text.partition(":")
    if text != DEMO and not (colon and name and path):
        raise argparse.ArgumentTypeError(
            f"expected 'demo' or NAME:PATH, e.g. milk10k:/data/MILK10k, got {text!r}"
        )
    return text


def _compare(arguments):
    # Imported here so that `skmultimodal --help` answers at once.
    try:
        import matplotlib
    except ImportError:
        raise ValueError(
            "the study's figures need matplotlib: pip install 'skmultimodal[plot]'."
        ) from None
    matplotlib.use("Agg")  # files only: works without a display

    from .model_selection import (
        ModalityStudy,
        UnsupportedCandidateWarning,
        format_summary,
    )
    from .model_selection._report import describe_scores

    started = time.perf_counter()
    datasets = arguments.dataset or [DEMO]
    names = _source_names(datasets)
    preset = PRESETS[arguments.preset]
    X, y, groups, source = _load(datasets, names, preset["demo"], arguments)
    study = ModalityStudy(
        _candidates(preset, arguments),
        cv=arguments.cv,
        test_size=arguments.test_size or None,
        random_state=arguments.seed,
        n_jobs=arguments.n_jobs,
        out=arguments.out,
        settings={
            "dataset": datasets,
            "preset": arguments.preset,
            "seed": arguments.seed,
            "missing_images": arguments.missing_images,
            "net": preset["net"],
            "forest": preset["forest"],
            "demo": preset["demo"] if datasets == [DEMO] else None,
        },
        title=f"{', '.join(datasets)}, {arguments.preset} preset",
        verbose=1 if arguments.no_progress else 2,
    )
    with warnings.catch_warnings():
        # The study says which candidates it leaves out (verbose).
        warnings.simplefilter("ignore", UnsupportedCandidateWarning)
        study.run(X, y, groups=groups, source=source)
    study.write_figures()

    for split in ("validation", "test") if arguments.test_size else ("validation",):
        for name in ["all", *(study.sources_ or [])]:
            what = describe_scores(split, arguments.cv, name)
            print(f"\n{study.title}, {what}; mean (std):\n")
            print(format_summary(study.summary(split, name), "frame").to_string())
    elapsed = time.perf_counter() - started
    print(f"\nWrote {arguments.out}/: results.csv, predictions.csv, table.md, table.tex, "
          f"settings.json and figures, in {elapsed / 60:.1f} min.")
    return 0


def _source_names(datasets):
    """Each data set's name, checked before anything is loaded."""
    from .datasets._dispatch import LOADERS, _plain_name

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


def _load(datasets, names, demo, arguments):
    """``(X, y, groups, source)``; ``source`` names each lesion's set when pooled."""
    from .datasets import concat_lesions, load_dataset, make_lesions

    if datasets == [DEMO]:
        X, y, groups = make_lesions(random_state=arguments.seed, return_groups=True, **demo)
        return X, y, groups, None
    bunches = {
        name: load_dataset(spec, missing_images=arguments.missing_images)
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


def _candidates(preset, arguments):
    from .forest import MetadataForestClassifier
    from .model_selection import modality_candidates
    from .neural import MultimodalLesionClassifier

    net = MultimodalLesionClassifier(
        **preset["net"], device=arguments.device, random_state=arguments.seed
    )
    forest = MetadataForestClassifier(**preset["forest"], random_state=arguments.seed)
    return modality_candidates(net, forest)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
