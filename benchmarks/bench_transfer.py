"""Domain pretraining on HAM10000, then transfer to PAD-UFES-20 clinical images.

Prints two parts:

- ``pretrain``: :func:`~skmultimodal.model_selection.pretrain_tower` on every
  class of HAM10000 (``other="keep"``; 200x150 dermoscopic JPEGs), by default
  a ResNet-18 at 64 px from random weights (no download needed), a fifth of
  the lesions held out: the held-out scores and the seconds per epoch. The
  tower is exported to ``--towers`` (a temporary folder by default).
- ``transfer``: on PAD-UFES-20's clinical images (``missing_images="drop"``:
  the lesions whose image is there, 572 in the five classes with the shared
  copy), grouped 5-fold cross-validation by patient, four clinical nets on
  the same folds: the pretrained (dermoscopic) tower frozen, a random tower
  frozen, the pretrained tower fine-tuned, a random tower fine-tuned. mAP,
  top-1 and the AUCs, mean (std) over the folds, and the time per net.

Run ``python benchmarks/bench_transfer.py`` for the full run (tens of minutes
on a 2-core CPU: most of it is pretraining on 9,758 images); ``--towers DIR``
with an existing ``DIR/dermoscopic.safetensors`` skips the pretraining.
A smoke run on a subset::

    python benchmarks/bench_transfer.py --ham-lesions 200 --pad-lesions 120 \\
        --image-size 32 --pretrain-epochs 1 --epochs 1 --frozen-epochs 2 --cv 2

Needs the images (``--ham10000``, ``--pad-ufes-20``); never run in CI.
"""

import argparse
import os
import tempfile
import time

import numpy as np
import pandas as pd
import torch
from sklearn.model_selection import StratifiedGroupKFold, cross_validate

from skmultimodal import MultimodalLesionClassifier
from skmultimodal.datasets import load_ham10000, load_pad_ufes20
from skmultimodal.metrics import lesion_scorers
from skmultimodal.model_selection._pretrain import pretrain_tower
from skmultimodal.model_selection._summary import METRIC_TITLES


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ham10000", default="/work/shared/data/ham10000")
    parser.add_argument("--pad-ufes-20", default="/work/shared/data/pad_ufes_20")
    parser.add_argument("--backbone", default="resnet18")
    parser.add_argument("--weights", default=None,
                        help="starting weights of the pretraining (default: random)")
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--pretrain-epochs", type=int, default=10)
    parser.add_argument("--pretrain-lr", type=float, default=1e-3)
    parser.add_argument("--epochs", type=int, default=15,
                        help="max_epochs of the fine-tuned nets")
    parser.add_argument("--lr", type=float, default=5e-4,
                        help="learning rate of the fine-tuned nets")
    parser.add_argument("--frozen-epochs", type=int, default=40,
                        help="max_epochs of the frozen-tower nets (their head only)")
    parser.add_argument("--ham-lesions", type=int, default=0,
                        help="HAM10000 lesions kept, whole lesions drawn at random; 0: all")
    parser.add_argument("--pad-lesions", type=int, default=0,
                        help="PAD-UFES-20 patients kept, all their lesions; 0: all")
    parser.add_argument("--cv", type=int, default=5)
    parser.add_argument("--towers", default=None,
                        help="folder of the exported tower; reused when it holds one")
    parser.add_argument("--cache-dir", default=None, help="decoded images on disk")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count())
    print(f"torch {torch.__version__}, {os.cpu_count()} CPU cores, "
          f"CUDA: {torch.cuda.get_device_name() if torch.cuda.is_available() else 'none'}")

    towers = args.towers or tempfile.mkdtemp(prefix="bench_transfer-")
    tower = os.path.join(towers, "dermoscopic.safetensors")
    if os.path.isfile(tower):
        print(f"\nReusing the pretrained tower {tower}")
    else:
        pretrain(args, towers)
    transfer(args, tower)


def common(args):
    return {"backbone": args.backbone, "image_size": args.image_size,
            "batch_size": args.batch_size, "embedding_dims": (256,),
            "device": args.device, "cache_dir": args.cache_dir, "random_state": args.seed}


def pretrain(args, towers):
    ham = load_ham10000(args.ham10000, other="keep")
    X, y, groups = ham.data, ham.target.to_numpy(), ham.groups.to_numpy()
    if args.ham_lesions:
        X, y, groups = _subsample(X, y, groups, args.ham_lesions, args.seed)
    print(f"\n== pretrain: HAM10000, {len(X):,} images of {len(set(groups)):,} lesions ==")
    started = time.perf_counter()
    settings = common(args)
    settings.pop("random_state")
    result = pretrain_tower(
        X, y, groups=groups, modality="dermoscopic", weights=args.weights,
        test_size=0.2, out=towers, random_state=args.seed,
        max_epochs=args.pretrain_epochs, lr=args.pretrain_lr, **settings,
    )
    print(f"(decoding included: {time.perf_counter() - started:.0f} s in all; the "
          f"first epoch {result.model.history_[0, 'dur']:.1f} s, the last "
          f"{result.model.history_[-1, 'dur']:.1f} s)")


def transfer(args, tower):
    pad = load_pad_ufes20(args.pad_ufes_20, missing_images="drop")
    X, y, groups = pad.data, pad.target.to_numpy(), pad.groups.to_numpy()
    if args.pad_lesions:
        X, y, groups = _subsample(X, y, groups, args.pad_lesions, args.seed)
    print(f"\n== transfer: PAD-UFES-20 clinical images, {len(X)} lesions of "
          f"{len(set(groups))} patients, grouped {args.cv}-fold ==")
    folds = list(
        StratifiedGroupKFold(args.cv, shuffle=True, random_state=args.seed).split(X, y, groups)
    )
    frozen = {"freeze_towers": True, "max_epochs": args.frozen_epochs, "lr": 1e-3}
    fine_tuned = {"max_epochs": args.epochs, "lr": args.lr}
    candidates = {
        "pretrained tower, frozen": {"weights": tower, **frozen},
        "random tower, frozen": {"weights": None, **frozen},
        "pretrained tower, fine-tuned": {"weights": tower, **fine_tuned},
        "random tower, fine-tuned": {"weights": None, **fine_tuned},
    }
    rows = {}
    for name, params in candidates.items():
        net = MultimodalLesionClassifier(("clinical",), **common(args), **params)
        started = time.perf_counter()
        scores = cross_validate(net, X, y, groups=groups, cv=folds, scoring=lesion_scorers())
        seconds = time.perf_counter() - started
        rows[name] = {
            title: f"{scores[f'test_{key}'].mean():.3f} ({scores[f'test_{key}'].std():.3f})"
            for key, title in METRIC_TITLES.items() if f"test_{key}" in scores
        }
        rows[name]["s per net"] = f"{seconds / len(folds):.1f}"
        print(f"  {name}: mAP {scores['test_map'].mean():.3f}, {seconds:.0f} s", flush=True)
    print(f"\n{args.backbone} at {args.image_size} px; mean (std) over {len(folds)} folds:\n")
    print(pd.DataFrame(rows).T.to_string())


def _subsample(X, y, groups, n_groups, seed):
    """Whole groups drawn at random, ``n_groups`` of them."""
    unique = np.unique(groups)
    chosen = np.random.default_rng(seed).choice(
        unique, size=min(n_groups, len(unique)), replace=False
    )
    keep = np.isin(groups, chosen)
    return X[keep], y[keep], groups[keep]


if __name__ == "__main__":
    main()
