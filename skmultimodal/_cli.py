"""The command line: ``skmultimodal compare`` runs the paper's study."""

import argparse
import json
import os
import platform
import sys
import time
from importlib.metadata import PackageNotFoundError, version

import numpy as np
import pandas as pd

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
# What must be equal for a run to continue the results already in --out.
_STUDY_KEYS = ("dataset", "preset", "cv", "test_size", "seed", "net", "forest", "demo")
_LIBRARIES = (
    "skmultimodal", "torch", "torchvision", "scikit-learn", "skorch", "pandas", "numpy",
)


def main(argv=None):
    """Run the command line; return the exit status."""
    parser = _parser()
    arguments = parser.parse_args(argv)
    if arguments.command is None:
        parser.print_help()
        return 2
    try:
        return arguments.run(arguments)
    except (ValueError, KeyError, FileNotFoundError) as error:
        message = error.args[0] if isinstance(error, KeyError) and error.args else error
        print(f"skmultimodal {arguments.command}: error: {message}", file=sys.stderr)
        return 1


def _parser():
    parser = argparse.ArgumentParser(
        prog="skmultimodal",
        description="Multimodal skin lesion classification (Yap et al., 2018).",
    )
    commands = parser.add_subparsers(dest="command")
    compare = commands.add_parser(
        "compare",
        help="the paper's modality comparison: table, figures, results",
        description=(
            "Cross-validate the fusion net on every modality combination (with and "
            "without embedding network) and the metadata random forest, on the "
            "same folds, with the paper's metrics; write the results, the table "
            "and the figures to --out. Rerun the same command to resume after an "
            "interruption."
        ),
    )
    compare.add_argument(
        "--dataset", default="demo",
        help="'demo' (synthetic lesions) or NAME:PATH with NAME one of milk10k, "
        "derm7pt, pad_ufes20, ham10000, isic2019, isic2020 (default: demo)",
    )
    compare.add_argument("--preset", choices=sorted(PRESETS), default="quick",
                         help="net settings: quick (CPU minutes) or paper (GPU)")
    compare.add_argument("--cv", type=int, default=5, help="number of folds (default: 5)")
    compare.add_argument(
        "--test-size", type=float, default=0.0,
        help="fraction held out as a test set scored by every fold's model (the "
        "paper's protocol); 0 for plain cross-validation (default: 0)",
    )
    compare.add_argument("--device", default="auto",
                         help="torch device: auto, cpu, cuda, cuda:1 (default: auto)")
    compare.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    compare.add_argument("--n-jobs", type=int, default=1,
                         help="folds fitted in parallel; keep 1 on one GPU (default: 1)")
    compare.add_argument("--out", default="skmultimodal-results",
                         help="output folder (default: ./skmultimodal-results)")
    compare.add_argument("--no-progress", action="store_true", help="no progress bar")
    compare.set_defaults(run=_compare)
    return parser


def _compare(arguments):
    # Imported here so that `skmultimodal --help` answers at once.
    from .model_selection import compare_modalities, format_summary, summarize

    started = time.perf_counter()
    preset = PRESETS[arguments.preset]
    settings = {
        "dataset": arguments.dataset,
        "preset": arguments.preset,
        "cv": arguments.cv,
        "test_size": arguments.test_size or None,
        "seed": arguments.seed,
        "net": {k: list(v) if isinstance(v, tuple) else v for k, v in preset["net"].items()},
        "forest": preset["forest"],
        "demo": preset["demo"] if arguments.dataset == "demo" else None,
    }
    out = arguments.out
    os.makedirs(out, exist_ok=True)
    done = _previous_results(out, settings)

    X, y, groups = _load(arguments.dataset, preset["demo"], arguments.seed)
    candidates = _candidates(preset, arguments)
    pending = {name: est for name, est in candidates.items() if name not in done}
    if done:
        print(f"Resuming: {len(done)} of {len(candidates)} candidates are already in {out}.")
    record = {
        **settings,
        "device": arguments.device,
        "n_lesions": len(X),
        "classes": {str(k): int(v) for k, v in pd.Series(y).value_counts().items()},
        "versions": _versions(),
    }
    _write_json(os.path.join(out, "settings.json"), record)

    def save(name, results, predictions):
        _append_csv(os.path.join(out, "results.csv"), results)
        _append_csv(os.path.join(out, "predictions.csv"), predictions)

    if pending:
        compare_modalities(
            X, y, groups=groups, candidates=pending, cv=arguments.cv,
            test_size=arguments.test_size or None, random_state=arguments.seed,
            n_jobs=arguments.n_jobs, progress=not arguments.no_progress,
            on_candidate=save,
        )
    results = pd.read_csv(os.path.join(out, "results.csv"))
    predictions = pd.read_csv(os.path.join(out, "predictions.csv"))

    splits = ["validation"] + (["test"] if arguments.test_size else [])
    tables = []
    for split in splits:
        summary = summarize(results, split=split)
        what = (
            f"{arguments.cv}-fold cross-validation, scored on the left-out fold"
            if split == "validation"
            else "every fold's model scored on the held-out test set"
        )
        tables.append((split, what, summary))
    with open(os.path.join(out, "table.md"), "w") as file:
        for split, what, summary in tables:
            file.write(f"## {arguments.dataset}, {arguments.preset} preset: {what}\n\n")
            file.write("mean (standard deviation) over folds; best in bold\n\n")
            file.write(format_summary(summary, "markdown") + "\n\n")
    with open(os.path.join(out, "table.tex"), "w") as file:
        for split, what, summary in tables:
            file.write(f"% {what}\n" + format_summary(summary, "latex") + "\n\n")
    _figures(out, results, predictions, X, y, groups, candidates, splits, arguments)

    for split, what, summary in tables:
        print(f"\n{arguments.dataset} ({arguments.preset} preset), {what}; mean (std):\n")
        print(format_summary(summary, "frame").to_string())
    elapsed = time.perf_counter() - started
    print(f"\nWrote {out}/: results.csv, predictions.csv, table.md, table.tex, "
          f"settings.json and figures, in {elapsed / 60:.1f} min.")
    record["wall_time_s"] = round(elapsed, 1)  # of this run, resumed or not
    _write_json(os.path.join(out, "settings.json"), record)
    return 0


def _load(dataset, demo, seed):
    from .datasets import load_dataset, make_lesions

    if dataset == "demo":
        return make_lesions(random_state=seed, return_groups=True, **demo)
    bunch = load_dataset(dataset)
    return bunch.data, bunch.target.to_numpy(), bunch.groups.to_numpy()


def _candidates(preset, arguments):
    from .forest import MetadataForestClassifier
    from .model_selection import modality_candidates
    from .neural import MultimodalLesionClassifier

    net = MultimodalLesionClassifier(
        **preset["net"], device=arguments.device, random_state=arguments.seed
    )
    forest = MetadataForestClassifier(**preset["forest"], random_state=arguments.seed)
    return modality_candidates(net, forest)


def _previous_results(out, settings):
    """Candidates whose every fold is already in ``out``; refuse other settings."""
    path = os.path.join(out, "settings.json")
    results_path = os.path.join(out, "results.csv")
    if not os.path.exists(results_path):
        return set()
    if os.path.exists(path):
        with open(path) as file:
            previous = json.load(file)
        changed = [k for k in _STUDY_KEYS if previous.get(k) != settings.get(k)]
        if changed:
            raise ValueError(
                f"{out!r} holds results of a study with other settings ({changed}); "
                "pass another --out, or delete that folder to start again."
            )
    results = pd.read_csv(results_path)
    counts = results[results["split"] == "validation"].groupby("candidate").size()
    complete = set(counts.index[counts == settings["cv"]])
    # A candidate interrupted halfway is run again in full.
    _keep_rows(results_path, complete)
    _keep_rows(os.path.join(out, "predictions.csv"), complete)
    return complete


def _keep_rows(path, candidates):
    if os.path.exists(path):
        table = pd.read_csv(path)
        _write_csv(path, table[table["candidate"].isin(candidates)])


def _append_csv(path, rows):
    table = pd.concat([pd.read_csv(path), rows]) if os.path.exists(path) else rows
    _write_csv(path, table)


def _write_csv(path, table):
    # Write then rename: an interruption never leaves half a results file.
    temporary = path + ".tmp"
    table.to_csv(temporary, index=False)
    os.replace(temporary, path)


def _write_json(path, content):
    temporary = path + ".tmp"
    with open(temporary, "w") as file:
        json.dump(content, file, indent=2, default=str)
    os.replace(temporary, path)


def _versions():
    versions = {"python": platform.python_version()}
    for name in _LIBRARIES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return versions


def _figures(out, results, predictions, X, y, groups, candidates, splits, arguments):
    import matplotlib

    matplotlib.use("Agg")  # files only: works without a display
    import matplotlib.pyplot as plt

    from .model_selection import FOREST_NAME, study_splits
    from .plotting import (
        ConfusionMatricesDisplay,
        FeatureImportanceDisplay,
        MelanomaRocDisplay,
        MetricBoxPlotDisplay,
    )

    split = splits[-1]  # the held-out test set when there is one
    nets = [c for c in predictions["candidate"].unique() if "(no embedding)" not in c]
    figures = {
        "roc_melanoma.png": MelanomaRocDisplay.from_comparison(
            predictions, split=split, candidates=nets
        ).figure_,
        "map_boxplot.png": MetricBoxPlotDisplay.from_results(results, split=split).figure_,
        "confusion_matrices.png": ConfusionMatricesDisplay.from_comparison(
            predictions, split=split, candidates=nets
        ).figure_,
    }
    # The forest's importances, from a fit on every lesion outside the test set.
    development = study_splits(
        y, groups, cv=arguments.cv, test_size=arguments.test_size or None,
        random_state=arguments.seed,
    ).development
    forest = candidates[FOREST_NAME].fit(X.iloc[development], np.asarray(y)[development])
    figures["forest_importances.png"] = FeatureImportanceDisplay.from_estimator(forest).figure_
    for name, figure in figures.items():
        figure.savefig(os.path.join(out, name), dpi=120, bbox_inches="tight")
        plt.close(figure)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
