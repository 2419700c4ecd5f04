"""Decodes per image when Dask workers share a cache_dir, against each on its own.

Starts a ``distributed.LocalCluster`` of ``--workers`` worker processes (one
thread each, torch on one thread), writes ``--n`` synthetic lesion pairs
(``--image-size`` pixels) and cross-validates a fusion net on them through
``joblib.parallel_backend("dask")``, twice, each time on a fresh cluster
(so no worker has decoded an image before):

- the workers sharing one fresh ``cache_dir``: the goal is 1.00 decode per
  image in all (claims on cache entries: a worker waits for an image
  another is decoding, then reads it);
- without a ``cache_dir``: each worker decodes every image its folds use.

For each it prints the decodes (``ImageStore.n_decoded`` of every worker,
summed), the decodes per image and the wall time. The net has frozen towers
and one epoch, so decoding weighs in the time. Run it at low priority on a
shared machine::

    nice -n 19 python benchmarks/bench_dask.py --n 400 --image-size 128
"""

import argparse
import hashlib
import logging
import os
import tempfile
import time
from pathlib import Path

import joblib
import torch
from distributed import Client, LocalCluster
from sklearn.model_selection import StratifiedKFold, cross_validate

from skmultimodal import MultimodalLesionClassifier
from skmultimodal.datasets import make_lesions
from skmultimodal.preprocessing import get_image_store


def n_decoded():
    return get_image_store().n_decoded


def run(X, y, *, workers, folds, cache_dir):
    net = MultimodalLesionClassifier(
        backbone="resnet18", weights=None, image_size=64, embedding_dims=(32,),
        freeze_towers=True, augment=False, max_epochs=1, random_state=0,
        cache_dir=cache_dir,
    )
    with (
        LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True,
            dashboard_address=None, silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        client.run(torch.set_num_threads, 1)
        started = time.perf_counter()
        with joblib.parallel_backend("dask"):
            cross_validate(net, X, y, cv=StratifiedKFold(folds, shuffle=True, random_state=0))
        elapsed = time.perf_counter() - started
        decodes = sum(client.run(n_decoded).values())
    return decodes, elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="lesion pairs")
    parser.add_argument("--image-size", type=int, default=96, help="side of the files")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--folds", type=int, default=4)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as workdir:
        X, y = make_lesions(
            args.n, image_size=args.image_size, directory=os.path.join(workdir, "images"),
            random_state=0,
        )
        paths = [*X["dermoscopic"], *X["clinical"]]
        images = len({hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in paths})
        print(
            f"{args.n} lesion pairs ({images} distinct images, {args.image_size} px), "
            f"{args.workers} workers x 1 thread, {args.folds}-fold cross_validate"
        )
        for label, cache_dir in (
            ("shared cache_dir", os.path.join(workdir, "cache")),
            ("no cache_dir", None),
        ):
            decodes, elapsed = run(
                X, y, workers=args.workers, folds=args.folds, cache_dir=cache_dir
            )
            print(
                f"{label:>16}: {decodes} decodes, {decodes / images:.2f} per image, "
                f"{elapsed:.1f} s"
            )


if __name__ == "__main__":
    main()
