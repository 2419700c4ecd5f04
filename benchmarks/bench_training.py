"""Training and prediction throughput of MultimodalLesionClassifier, against its limits.

Prints, for one device in one run:

- the raw two-tower training step: synthetic uint8 batches already on the
  device, the same FusionNet, batch size and precision, no data pipeline
  (the ceiling);
- end-to-end ``fit`` from JPEG files on disk: decoding (first fit only),
  the first epoch and the later ones, in lesion pairs per second;
- a second ``fit`` on the same files: the time it spends loading images;
- ``predict_proba`` throughput and peak GPU memory;
- a naive pipeline as the baseline: PIL decode, crop and resize of every
  image in every epoch inside DataLoader workers, float32;
- a grid search over 12 ``embedding_dims`` x 5 folds with frozen towers and
  with fine-tuning, on the same data;
- GPU memory after each of 20 successive fits (CUDA only);

and the ratios between them. Run ``python benchmarks/bench_training.py``
(CPU-sized defaults) or ``--preset gpu`` on a CUDA machine; ``--json PATH``
also writes the figures.
"""

import argparse
import contextlib
import json
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
import torch
import torchvision.transforms.functional as F
from PIL import Image

import skmultimodal.neural._classifier as classifier_module
from skmultimodal import MultimodalLesionClassifier
from skmultimodal.metrics import lesion_scorers
from skmultimodal.model_selection import embedding_grid
from skmultimodal.neural import FusionNet, build_tower
from skmultimodal.preprocessing import get_image_store

# The grid's fits train for as many epochs as a real search would (the
# paper's 20 on the GPU): frozen towers save the tower work of every epoch,
# so fewer epochs would measure fixed costs, not the search.
PRESETS = {
    # Small enough for two CPU cores in a few minutes.
    "cpu": dict(backbone="resnet18", image_size=32, batch_size=32, n_lesions=160,
                source_size=256, epochs=3, grid_lesions=80, grid_epochs=6,
                naive_workers=2, raw_steps=30),
    # The paper's towers at their resolution, photographs of realistic size.
    "gpu": dict(backbone="resnet50", image_size=224, batch_size=128, n_lesions=2048,
                source_size=768, epochs=4, grid_lesions=256, grid_epochs=20,
                naive_workers=15, raw_steps=30),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--preset", choices=PRESETS, default=None,
                        help="cpu or gpu sizes (default: gpu on CUDA, else cpu)")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--json", default=None, help="also write the figures here")
    parser.add_argument("--workdir", default=None, help="where to write the JPEGs")
    parser.add_argument("--skip", nargs="*", default=(), choices=("naive", "grid", "memory"))
    args = parser.parse_args()
    device = "cuda" if args.device == "auto" and torch.cuda.is_available() else args.device
    device = "cpu" if device == "auto" else device
    settings = PRESETS[args.preset or ("gpu" if device.startswith("cuda") else "cpu")]
    if device == "cpu":
        torch.set_num_threads(os.cpu_count())
    workdir = args.workdir or tempfile.mkdtemp(prefix="skmultimodal-bench-")
    os.makedirs(workdir, exist_ok=True)
    figures = {"device": _device_name(device), "settings": settings}
    print(f"device: {figures['device']}; settings: {settings}", flush=True)

    X, y = _jpeg_lesions(settings["n_lesions"], settings["source_size"], workdir)
    print(f"{len(X)} lesions, {2 * len(X)} JPEG files of {X.attrs['size']} px in {workdir}")

    figures["raw_step_pairs_per_s"] = raw_step(settings, device)
    _report("raw two-tower step", figures["raw_step_pairs_per_s"], "pairs/s")

    figures.update(end_to_end(X, y, settings, device))
    if "naive" not in args.skip:
        figures["naive_pairs_per_s"] = naive_baseline(X, y, settings, device)
        _report("naive baseline, later epochs", figures["naive_pairs_per_s"], "pairs/s")
    if "grid" not in args.skip:
        figures.update(frozen_grid(X, y, settings, device))
    if "memory" not in args.skip and device.startswith("cuda"):
        figures["memory_after_fits_mib"] = memory_over_fits(X, y, settings, device)
        print(f"GPU memory above baseline after each of 20 fits (MiB): "
              f"{figures['memory_after_fits_mib']}")

    print("\nratios")
    later = figures["fit_later_epochs_pairs_per_s"]
    _ratio(figures, "fit later epochs / raw step", later, figures["raw_step_pairs_per_s"])
    if "naive_pairs_per_s" in figures:
        _ratio(figures, "fit later epochs / naive baseline", later,
               figures["naive_pairs_per_s"])
    _ratio(figures, "second fit's image loading / first fit's total",
           figures["second_fit_loading_s"], figures["first_fit_total_s"])
    if "grid_fine_tuned_s" in figures:
        _ratio(figures, "grid: fine-tuning time / frozen-tower time",
               figures["grid_fine_tuned_s"], figures["grid_frozen_s"])
    if args.json:
        with open(args.json, "w") as file:
            json.dump(figures, file, indent=2)


def _device_name(device):
    if device.startswith("cuda"):
        return torch.cuda.get_device_name(torch.device(device))
    return f"CPU ({os.cpu_count()} cores, {torch.get_num_threads()} torch threads)"


def _report(what, value, unit):
    print(f"{what:<44} {value:>10.1f} {unit}", flush=True)


def _ratio(figures, what, a, b):
    figures[what] = a / b
    print(f"{what:<52} {a / b:>8.3f}", flush=True)


def _sync(device):
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _jpeg_lesions(n, size, workdir):
    """``n`` lesions with a dermoscopic and a clinical JPEG of 4:3 photo size each.

    Throughput does not depend on what the pictures show, so they are smooth
    random colour fields with grain, which compress and decode like photos;
    they are written in parallel, as decoding will be.
    """
    width = int(round(size * 4 / 3))
    rng = np.random.RandomState(0)
    seeds = rng.randint(0, 2**31, size=(n, 2))

    def write(i, j):
        path = os.path.join(workdir, f"{i:05d}_{('dermoscopic', 'clinical')[j]}.jpg")
        if not os.path.exists(path):
            local = np.random.RandomState(seeds[i, j])
            coarse = Image.fromarray(local.randint(0, 256, (6, 8, 3), dtype=np.uint8))
            field = np.asarray(coarse.resize((width, size), Image.Resampling.BICUBIC))
            tile = local.normal(0, 6, (64, 64, 3))
            grain = np.tile(tile, (size // 64 + 1, width // 64 + 1, 1))[:size, :width]
            photo = np.clip(field + grain, 0, 255).astype(np.uint8)
            Image.fromarray(photo).save(path, quality=90)
        return path

    with ThreadPoolExecutor() as pool:
        derm = list(pool.map(write, range(n), [0] * n))
        clin = list(pool.map(write, range(n), [1] * n))
    X = pd.DataFrame({"dermoscopic": derm, "clinical": clin})
    y = rng.choice(["nevus", "melanoma", "bcc", "scc", "bkl"], size=n)
    X.attrs["size"] = f"{width}x{size}"
    return X, y


def _fusion_net(settings, device, channels_last):
    towers = {}
    for modality in ("dermoscopic", "clinical"):
        towers[modality], width, normalization = build_tower(
            settings["backbone"], None, settings["image_size"]
        )
    net = FusionNet(towers, width, 0, (1024, 1024), 5, normalization, augment=False,
                    channels_last=channels_last)
    net = net.to(device)
    return net.to(memory_format=torch.channels_last) if channels_last else net


def raw_step(settings, device):
    """Pairs per second of the bare training step on synthetic device tensors."""
    cuda = device.startswith("cuda")
    net = _fusion_net(settings, device, channels_last=cuda)
    optimizer = torch.optim.AdamW(net.parameters(), lr=1e-4, fused=True)
    b, s = settings["batch_size"], settings["image_size"]
    images = {m: torch.randint(0, 256, (b, 3, s, s), dtype=torch.uint8, device=device)
              for m in ("dermoscopic", "clinical")}
    target = torch.randint(0, 5, (b,), device=device)

    def step():
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(device_type=torch.device(device).type, dtype=torch.bfloat16,
                            enabled=cuda):
            logits = net(**images)
        torch.nn.functional.cross_entropy(logits.float(), target).backward()
        optimizer.step()

    with _cudnn_benchmark(device):
        for _ in range(3):
            step()
        _sync(device)
        start = time.perf_counter()
        for _ in range(settings["raw_steps"]):
            step()
        _sync(device)
    return settings["raw_steps"] * b / (time.perf_counter() - start)


@contextlib.contextmanager
def _cudnn_benchmark(device):
    previous = torch.backends.cudnn.benchmark
    torch.backends.cudnn.benchmark = device.startswith("cuda")
    try:
        yield
    finally:
        torch.backends.cudnn.benchmark = previous


@contextlib.contextmanager
def _timed_loading(timings):
    """Time every image loading inside fit and predict."""
    original = classifier_module.load_lesions

    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            timings.append(time.perf_counter() - start)

    classifier_module.load_lesions = timed
    try:
        yield
    finally:
        classifier_module.load_lesions = original


def _net(settings, device, **params):
    defaults = dict(
        modalities=("dermoscopic", "clinical"), backbone=settings["backbone"], weights=None,
        image_size=settings["image_size"], batch_size=settings["batch_size"],
        max_epochs=settings["epochs"], lr=1e-4, device=device, random_state=0,
    )
    return MultimodalLesionClassifier(**{**defaults, **params})


def end_to_end(X, y, settings, device):
    get_image_store().clear()
    figures = {}
    if device.startswith("cuda"):
        torch.cuda.reset_peak_memory_stats()
    for run in ("first", "second"):
        loading = []
        with _timed_loading(loading):
            start = time.perf_counter()
            clf = _net(settings, device).fit(X, y)
            total = time.perf_counter() - start
        epochs = [row["dur"] for row in clf.history_]
        figures[f"{run}_fit_total_s"] = total
        figures[f"{run}_fit_loading_s"] = loading[0]
        print(f"{run} fit: {total:.1f} s, of which image loading {loading[0]:.2f} s; "
              f"epochs {', '.join(f'{d:.2f}' for d in epochs)} s", flush=True)
        if run == "first":
            figures["fit_first_epoch_pairs_per_s"] = len(X) / epochs[0]
            figures["fit_later_epochs_pairs_per_s"] = len(X) / float(np.mean(epochs[1:]))
            _report("fit, first epoch", figures["fit_first_epoch_pairs_per_s"], "pairs/s")
            _report("fit, later epochs", figures["fit_later_epochs_pairs_per_s"], "pairs/s")
            figures["decode_images_per_s"] = 2 * len(X) / loading[0]
            _report("decoding (first fit only)", figures["decode_images_per_s"], "images/s")
    if device.startswith("cuda"):
        figures["peak_gpu_memory_gib"] = torch.cuda.max_memory_allocated() / 2**30
        _report("peak GPU memory during fit", figures["peak_gpu_memory_gib"], "GiB")
    clf.predict_proba(X.iloc[: settings["batch_size"]])  # warm-up
    start = time.perf_counter()
    clf.predict_proba(X)
    figures["predict_pairs_per_s"] = len(X) / (time.perf_counter() - start)
    _report("predict_proba", figures["predict_pairs_per_s"], "pairs/s")
    return figures


class _NaiveDataset(torch.utils.data.Dataset):
    """Decode, resize and crop in every epoch: the usual tutorial pipeline."""

    def __init__(self, X, y, size):
        self.paths = X[["dermoscopic", "clinical"]].to_numpy()
        self.y = torch.as_tensor(pd.factorize(y)[0])
        self.size = size

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        images = []
        for path in self.paths[i]:
            with Image.open(path) as image:
                image = F.center_crop(F.resize(image.convert("RGB"), self.size), self.size)
            images.append(F.pil_to_tensor(image))
        return images[0], images[1], self.y[i]


def naive_baseline(X, y, settings, device):
    net = _fusion_net(settings, device, channels_last=False)
    net.train()
    optimizer = torch.optim.AdamW(net.parameters(), lr=1e-4)
    loader = torch.utils.data.DataLoader(
        _NaiveDataset(X, y, settings["image_size"]), batch_size=settings["batch_size"],
        shuffle=True, num_workers=settings["naive_workers"],
        pin_memory=device.startswith("cuda"), persistent_workers=False,
    )
    durations = []
    for _ in range(2):
        start = time.perf_counter()
        for dermoscopic, clinical, target in loader:
            optimizer.zero_grad()
            logits = net(dermoscopic=dermoscopic.to(device), clinical=clinical.to(device))
            torch.nn.functional.cross_entropy(logits, target.to(device)).backward()
            optimizer.step()
        _sync(device)
        durations.append(time.perf_counter() - start)
    return len(X) / durations[-1]


def frozen_grid(X, y, settings, device):
    """12 embedding_dims x 5 folds with frozen towers and with fine-tuning."""
    from sklearn.model_selection import GridSearchCV, StratifiedKFold

    X, y = X.iloc[: settings["grid_lesions"]], y[: settings["grid_lesions"]]
    grid = {"embedding_dims": embedding_grid(depths=(1, 2, 3), widths=(128, 256, 512, 1024))}
    figures = {}
    for name, frozen in (("frozen", True), ("fine_tuned", False)):
        search = GridSearchCV(
            _net(settings, device, freeze_towers=frozen, max_epochs=settings["grid_epochs"]),
            grid, cv=StratifiedKFold(5, shuffle=True, random_state=0),
            scoring=lesion_scorers(), refit=False,
        )
        start = time.perf_counter()
        search.fit(X, y)
        figures[f"grid_{name}_s"] = time.perf_counter() - start
        _report(f"grid of 12 x 5 folds, {name.replace('_', '-')}",
                figures[f"grid_{name}_s"], "s")
    return figures


def memory_over_fits(X, y, settings, device):
    X, y = X.iloc[: settings["grid_lesions"]], y[: settings["grid_lesions"]]
    torch.cuda.synchronize()
    baseline = torch.cuda.memory_allocated()
    levels, models = [], []
    for i in range(20):
        models.append(_net(settings, device, max_epochs=1, random_state=i).fit(X, y))
        torch.cuda.synchronize()
        levels.append(round((torch.cuda.memory_allocated() - baseline) / 2**20, 1))
    return levels


if __name__ == "__main__":
    main()
