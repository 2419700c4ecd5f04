"""Size and time of saving and loading the default-architecture model.

The paper's net (two ResNet-50 towers, embedding network (1024, 1024), five
classes) fitted for one epoch on 16 synthetic lesions at 224 px from random
weights (no download needed; the file holds the same tensors whatever the
weights), then:

- ``save_model`` / ``load_model``: seconds and file size, best of
  ``--repeats``; the loaded model's probabilities checked to be identical;
- ``pickle`` (what ``joblib.dump`` stores) for comparison;
- the bytes of the net's tensors, which every format must hold once.

Run ``python benchmarks/bench_saving.py``; never run in CI.
"""

import argparse
import os
import pickle
import tempfile
import time

import numpy as np
import torch

from skmultimodal import MultimodalLesionClassifier, load_model, save_model
from skmultimodal.datasets import make_lesions


def best_time(function, repeats):
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return min(times), result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count())
    with tempfile.TemporaryDirectory() as directory:
        X, y = make_lesions(16, image_size=64, directory=directory, random_state=0)
        net = MultimodalLesionClassifier(
            weights=None, max_epochs=1, batch_size=8, random_state=0
        ).fit(X, y)
        expected = net.predict_proba(X)
        tensors = sum(
            t.numel() * t.element_size() for t in net.net_.module_.state_dict().values()
        )
        path = os.path.join(directory, "net.skmodel")
        save, _ = best_time(lambda: save_model(net, path), args.repeats)
        load, loaded = best_time(lambda: load_model(path), args.repeats)
        identical = np.array_equal(loaded.predict_proba(X), expected)
        size = os.path.getsize(path)
        dump, data = best_time(lambda: pickle.dumps(net), args.repeats)
        undump, _ = best_time(lambda: pickle.loads(data), args.repeats)
    print(f"torch {torch.__version__}, {os.cpu_count()} CPU cores; default architecture "
          f"({net.backbone} x2, embedding {net.embedding_dims}), best of {args.repeats}\n")
    print(f"tensors of the net          {tensors / 1e6:8.1f} MB")
    print(f"save_model file             {size / 1e6:8.1f} MB  "
          f"save {save:.2f} s, load {load:.2f} s, identical probabilities: {identical}")
    print(f"pickle                      {len(data) / 1e6:8.1f} MB  "
          f"dumps {dump:.2f} s, loads {undump:.2f} s")


if __name__ == "__main__":
    main()
