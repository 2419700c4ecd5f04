"""How one fusion net copes with incomplete lesions: scores, speed, real data.

Prints, each part on its own (``--parts``):

- ``table``: on the demo (``make_lesions(400, image_size=64,
  random_state=0)``, patients grouped, 5 folds), the quick preset's net
  trained once per fold with ``modality_dropout`` and scored with each
  subset of its modalities available, against a dedicated net per subset
  (``modality_robustness(..., dedicated=True)``). The goal: within 0.03 mAP
  of the dedicated net on every subset, and no loss on complete lesions.
- ``speed``: training lesions per second on complete lesions, with 50 % of
  the clinical images absent (an absent image costs no tower work, so about
  4/3 of the complete rate when the towers dominate), and on complete
  lesions with ``modality_dropout`` (hidden images skip the towers too).
- ``real``: HAM10000 (dermoscopic images only) and PAD-UFES-20 (clinical
  images only) through ``concat_lesions``, grouped 5-fold cross-validation
  stratified per data set: one net with ``modality_dropout`` trained on
  both, against a net per data set trained on that set alone, each scored
  on each set's left-out lesions. Needs the images (``--ham10000``,
  ``--pad-ufes-20``); ``--ham-lesions`` subsamples HAM10000 by lesion so
  that it runs in minutes on a CPU.

Run ``python benchmarks/bench_robustness.py`` (all three parts, CPU-sized
defaults); ``--modality-dropout 0.25 0.5`` tries several values in ``table``.
"""

import argparse
import os
import time

import numpy as np
import pandas as pd
import torch
from sklearn.base import clone

from skmultimodal import MultimodalLesionClassifier
from skmultimodal._cli import PRESETS
from skmultimodal.datasets import (
    concat_lesions,
    load_ham10000,
    load_pad_ufes20,
    make_lesions,
)
from skmultimodal.metrics import lesion_scores
from skmultimodal.model_selection._candidates import DIFFERENCE
from skmultimodal.model_selection._robustness import modality_robustness
from skmultimodal.model_selection._summary import (
    METRIC_TITLES,
    format_robustness,
    summarize_robustness,
)

QUICK = PRESETS["quick"]["net"]
COMPLETE = "dsc + macro + meta"
GOAL = 0.03  # mAP the one model may lose against a dedicated net


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parts", nargs="+", choices=("table", "speed", "real"),
                        default=("table", "speed", "real"))
    parser.add_argument("--modality-dropout", type=float, nargs="+", default=[0.25],
                        help="values tried in 'table'; the first one in 'speed' and 'real'")
    parser.add_argument("--epochs", type=int, default=None,
                        help="max_epochs of every net (default: the quick preset's)")
    parser.add_argument("--n-lesions", type=int, default=400, help="demo lesions")
    parser.add_argument("--cv", type=int, default=5)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--speed-repeats", type=int, default=2)
    parser.add_argument("--ham10000", default="/work/shared/data/ham10000")
    parser.add_argument("--pad-ufes-20", default="/work/shared/data/pad_ufes_20")
    parser.add_argument("--ham-lesions", type=int, default=2000,
                        help="HAM10000 lesions kept, whole groups drawn at random; 0: all")
    parser.add_argument("--real-image-size", type=int, default=32)
    parser.add_argument("--real-epochs", type=int, default=None,
                        help="max_epochs in 'real' (default: --epochs)")
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count())
    settings = {**QUICK, "random_state": 0}
    if args.epochs is not None:
        settings["max_epochs"] = args.epochs
    print(f"torch threads: {torch.get_num_threads()}; net: {settings}", flush=True)
    if "table" in args.parts:
        X, y, patients = make_lesions(args.n_lesions, image_size=64, random_state=0,
                                      return_groups=True)
        for dropout in args.modality_dropout:
            table(MultimodalLesionClassifier(**settings, modality_dropout=dropout),
                  X, y, patients, args)
    if "speed" in args.parts:
        speed(settings, args)
    if "real" in args.parts:
        real(settings, args)


def table(net, X, y, patients, args):
    started = time.perf_counter()
    robustness = modality_robustness(net, X, y, groups=patients, cv=args.cv,
                                     dedicated=True, n_jobs=args.n_jobs, verbose=1)
    elapsed = time.perf_counter() - started
    print(f"\n== table: modality_dropout={net.modality_dropout}, "
          f"max_epochs={net.max_epochs}, {len(X)} demo lesions, {args.cv} folds "
          f"({elapsed / 60:.1f} min) ==")
    summary = summarize_robustness(robustness.results)
    for metric in METRIC_TITLES.values():
        print(f"\n{metric}, mean (std) over folds:\n")
        print(format_robustness(summary, metric).to_string())
    gap = summary.xs(DIFFERENCE, level="candidate")[("mAP", "mean")]
    worst = gap.idxmin()
    print(
        f"\nmAP, one model - dedicated: worst {gap[worst]:+.3f} ({worst}); complete "
        f"lesions {gap[COMPLETE]:+.3f}. Goal (>= -{GOAL} everywhere, >= 0 on complete "
        f"lesions): {'met' if gap.min() >= -GOAL and gap[COMPLETE] >= 0 else 'not met'}."
    )


def speed(settings, args):
    X, y = make_lesions(args.n_lesions, image_size=64, random_state=0)
    half = X.copy()
    half.loc[half.index[np.random.RandomState(0).rand(len(X)) < 0.5], "clinical"] = np.nan
    dropout = args.modality_dropout[0]
    runs = {
        "complete lesions": (X, 0.0),
        "50 % of clinical images absent": (half, 0.0),
        f"complete lesions, modality_dropout={dropout}": (X, dropout),
    }
    rates = {name: [] for name in runs}
    # Alternating the runs spreads the shared machine's load over all of them.
    for _ in range(args.speed_repeats):
        for name, (frame, modality_dropout) in runs.items():
            net = MultimodalLesionClassifier(**settings, modality_dropout=modality_dropout)
            net.fit(frame, y)
            durations = [row["dur"] for row in net.history_]
            # The first epoch includes one-off work (building batches, warm-up).
            rates[name].append(len(frame) / np.median(durations[1:] or durations))
    print(f"\n== speed: training lesions/s, {len(X)} demo lesions, quick preset, "
          f"epochs 2-{settings['max_epochs']}, best of {args.speed_repeats} ==\n")
    best = {name: max(values) for name, values in rates.items()}
    reference = best["complete lesions"]
    for name, rate in best.items():
        print(f"{name:45s} {rate:7.1f} lesions/s  ({rate / reference:.2f} x complete)")


def real(settings, args):
    ham = load_ham10000(args.ham10000)
    pad = load_pad_ufes20(args.pad_ufes_20, missing_images="drop")
    if args.ham_lesions:
        ham = _subsample(ham, args.ham_lesions)
    both = concat_lesions({"ham10000": ham, "pad_ufes20": pad})
    X, y = both.data, both.target.to_numpy()
    groups, source = both.groups.to_numpy(), both.source.to_numpy()
    settings = {**settings, "image_size": args.real_image_size}
    if args.real_epochs is not None:
        settings["max_epochs"] = args.real_epochs
    net = MultimodalLesionClassifier(**settings, modality_dropout=args.modality_dropout[0])
    print(f"\n== real: {both.DESCR.strip()}\n\nfeatures {list(X.columns)}; "
          f"image_size={settings['image_size']}, max_epochs={settings['max_epochs']}, "
          f"modality_dropout={net.modality_dropout}, {args.cv} grouped folds ==",
          flush=True)
    started = time.perf_counter()
    # The one model, given everything a lesion has.
    one = modality_robustness(
        net, X, y, groups=groups, source=source, cv=args.cv,
        subsets=[("dermoscopic", "clinical", "metadata")], n_jobs=args.n_jobs,
        verbose=1,
    )
    one_time = time.perf_counter() - started
    rows = one.results[one.results["source"] != "all"].assign(candidate="one model")
    # A net per data set on the same folds, trained on that set's lesions alone.
    single = []
    started = time.perf_counter()
    for fold, (train, valid) in enumerate(one.splits.folds):
        for name in ("ham10000", "pad_ufes20"):
            fit_on = train[source[train] == name]
            scored = valid[source[valid] == name]
            image = "dermoscopic" if name == "ham10000" else "clinical"
            model = clone(net).set_params(modalities=(image, "metadata"),
                                          modality_dropout=0.0)
            model.fit(X.iloc[fit_on], y[fit_on], groups=groups[fit_on])
            proba = model.predict_proba(X.iloc[scored])
            single.append({"candidate": "single-set net", "fold": fold, "source": name,
                           **lesion_scores(y[scored], proba, model.classes_),
                           "n_scored": len(scored)})
    single_time = time.perf_counter() - started
    rows = pd.concat([rows, pd.DataFrame(single)], ignore_index=True)
    print(f"(one model: {one_time / 60:.1f} min; single-set nets: "
          f"{single_time / 60:.1f} min)")
    for metric, title in METRIC_TITLES.items():
        means = rows.pivot_table(index="source", columns="candidate", values=metric,
                                 aggfunc=["mean", "std"])
        paired = rows.pivot_table(index=["source", "fold"], columns="candidate",
                                  values=metric)
        difference = (paired["one model"] - paired["single-set net"]).groupby("source")
        cells = pd.DataFrame({
            name: [f"{means[('mean', name)][s]:.3f} ({means[('std', name)][s]:.3f})"
                   for s in means.index]
            for name in ("one model", "single-set net")
        }, index=means.index)
        cells["one model - single-set"] = [
            f"{difference.mean()[s]:+.3f} ({difference.std()[s]:.3f})" for s in means.index
        ]
        print(f"\n{title}, mean (std) over folds, each set's left-out lesions:\n")
        print(cells.to_string())


def _subsample(bunch, n_lesions):
    """``bunch`` cut to about ``n_lesions`` lesions, whole groups drawn at random."""
    groups = bunch.groups.to_numpy()
    order = np.random.RandomState(0).permutation(pd.unique(groups))
    sizes = pd.Series(groups).value_counts()[order]
    kept = set(order[: np.searchsorted(sizes.cumsum().to_numpy(), n_lesions) + 1])
    rows = np.array([g in kept for g in groups])
    return (bunch.data[rows], bunch.target[rows], bunch.groups[rows])


if __name__ == "__main__":
    main()
