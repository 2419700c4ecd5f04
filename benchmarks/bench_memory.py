"""Memory and gathering speed of the image store beyond its memory limit.

Generates ``--n`` synthetic lesion pairs as JPEG files (a dermoscopic and a
clinical image each, ``--image-size`` pixels; 30,000 pairs by default, about
9 GiB once decoded at 224 px), loads them through ``ImageStore.load`` with a
``cache_dir`` under the memory limit (2 GiB by default, ``--limit``), and
prints:

- the load's time, and the images held in memory and served from disk;
- the peak resident memory of the process (the goal: under 4 GiB);
- a second load of the same files (all known: no decoding);
- gathering throughput, in images per second for random batches of 64:
  over every pair (memory and disk rows mixed), over disk rows only, and
  over a smaller set held entirely in memory (the fast path, for
  comparison);
- with ``--real-images DIR``, the cost of hashing a file (identifying it by
  content) against decoding it, on the image files of ``DIR``.

Generated files are kept in ``--workdir`` (a temporary directory if not
given) so that a second run skips generating them; the ``cache_dir`` is made
afresh in each run unless ``--reuse-cache``. Run it at low priority on a shared machine::

    nice -n 19 python benchmarks/bench_memory.py --n 6000 --limit 512MiB
"""

import argparse
import hashlib
import os
import resource
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
from PIL import Image

from skmultimodal._cache import set_image_memory_limit
from skmultimodal.preprocessing import ImageStore, get_image_store, load_image

MODALITIES = ("dermoscopic", "clinical")


def peak_rss():
    """Peak resident memory of this process so far, in bytes."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


def gib(nbytes):
    return f"{nbytes / 1024**3:.2f} GiB"


def write_lesion(path, seed, image_size):
    """A smooth random colour field with a darker blob: JPEG-compressible like a photograph."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(60, 230, (8, 8, 3), dtype=np.uint8)
    image = Image.fromarray(coarse).resize((image_size, image_size), Image.Resampling.BICUBIC)
    pixels = np.asarray(image, dtype=np.int16)
    y, x = np.ogrid[:image_size, :image_size]
    centre, radius = rng.uniform(0.3, 0.7, 2) * image_size, rng.uniform(0.1, 0.3) * image_size
    blob = (y - centre[0]) ** 2 + (x - centre[1]) ** 2 < radius**2
    pixels[blob] -= 50
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(path, quality=90)


def generate(directory, n_pairs, image_size):
    """The paths of ``n_pairs`` lesion pairs, writing the files that are missing."""
    os.makedirs(directory, exist_ok=True)
    paths = {
        modality: [os.path.join(directory, f"{i:06d}_{modality}.jpg") for i in range(n_pairs)]
        for modality in MODALITIES
    }
    missing = [
        (path, 2 * i + m)
        for m, modality in enumerate(MODALITIES)
        for i, path in enumerate(paths[modality])
        if not os.path.exists(path)
    ]
    if missing:
        start = time.perf_counter()
        with ThreadPoolExecutor(os.cpu_count()) as pool:
            list(pool.map(lambda item: write_lesion(item[0], item[1], image_size), missing))
        print(f"generated {len(missing)} JPEGs in {time.perf_counter() - start:.1f} s")
    return paths


def gather_rate(images, batches, rng, positions=None):
    """Images per second gathering random batches of 64 from ``images``."""
    positions = torch.arange(len(images)) if positions is None else positions
    draws = [positions[torch.from_numpy(rng.integers(0, len(positions), 64))]
             for _ in range(batches)]
    images.gather(draws[0])  # warm up
    start = time.perf_counter()
    for index in draws:
        images.gather(index)
    return 64 * batches / (time.perf_counter() - start)


def hashing_against_decoding(directory, image_size, limit=2000):
    """Milliseconds per file to hash (as the store does) and to decode, on real images."""
    names = sorted(os.listdir(directory))
    paths = [os.path.join(directory, name) for name in names
             if name.lower().endswith((".jpg", ".jpeg", ".png"))][:limit]
    for path in paths:  # from the page cache for both, as in a second fit
        with open(path, "rb") as file:
            file.read()

    def per_file(function):
        start = time.perf_counter()
        for path in paths:
            function(path)
        return 1000 * (time.perf_counter() - start) / len(paths)

    def digest(path):
        with open(path, "rb") as file:
            hashlib.blake2b(file.read(), digest_size=16)

    hashing = per_file(digest)
    decoding = per_file(lambda path: load_image(path, image_size))
    store = ImageStore()
    start = time.perf_counter()
    store.load(paths, image_size=image_size, n_jobs=1)
    loading = 1000 * (time.perf_counter() - start) / len(paths)
    size = np.mean([os.path.getsize(path) for path in paths]) / 1024
    print(f"\nreal images: {len(paths)} files of {directory} (mean {size:.0f} KiB), "
          f"one thread, {image_size} px")
    print(f"  hash (BLAKE2b)          {hashing:7.3f} ms/file")
    print(f"  decode                  {decoding:7.3f} ms/file")
    print(f"  hash / decode           {hashing / decoding:7.3f}")
    print(f"  ImageStore.load, fresh  {loading:7.3f} ms/file (stat, hash, decode, store)")


def synthetic(args):
    """Generate, load and gather the synthetic pairs; print the figures."""
    workdir = args.workdir or tempfile.mkdtemp(prefix="bench-memory-")
    row_bytes = 3 * args.image_size**2
    print(f"{args.n} pairs at {args.image_size} px: {gib(2 * args.n * row_bytes)} decoded; "
          f"memory limit {gib(get_image_store().cache_info()['memory_limit'])}; "
          f"{os.cpu_count()} CPUs, {args.threads} torch thread(s)")
    paths = generate(os.path.join(workdir, "images"), args.n, args.image_size)
    cache_dir = os.path.join(workdir, "cache")
    if not args.reuse_cache:
        shutil.rmtree(cache_dir, ignore_errors=True)
    print(f"peak RSS before loading: {gib(peak_rss())}")

    store = get_image_store()
    start = time.perf_counter()
    images = {
        modality: store.load(paths[modality], image_size=args.image_size, cache_dir=cache_dir)
        for modality in MODALITIES
    }
    seconds = time.perf_counter() - start
    info = store.cache_info()
    how = "read cache_dir" if args.reuse_cache else "decode, write cache_dir"
    print(f"load ({how}): {seconds:.1f} s, "
          f"{2 * args.n / seconds:.0f} images/s; in memory {info['count'] - info['n_on_disk']} "
          f"images ({gib(info['nbytes'])}), on disk {info['n_on_disk']}")
    start = time.perf_counter()
    for modality in MODALITIES:
        store.load(paths[modality], image_size=args.image_size, cache_dir=cache_dir)
    print(f"second load (all known): {time.perf_counter() - start:.2f} s")
    print(f"peak RSS after loading: {gib(peak_rss())}")

    rng = np.random.default_rng(0)
    dermoscopic = images["dermoscopic"]
    on_disk = torch.nonzero(dermoscopic.table.slot[dermoscopic.rows] < 0).squeeze(1)
    print(f"gather, random batches of 64 ({args.batches} per figure):")
    rate = gather_rate(dermoscopic, args.batches, rng)
    print(f"  mixed rows                {rate:9.0f} images/s")
    if len(on_disk):
        rate = gather_rate(dermoscopic, args.batches, rng, on_disk)
        print(f"  disk rows only            {rate:9.0f} images/s")
    print(f"peak RSS after gathering: {gib(peak_rss())}")

    pairs = min(args.in_memory_pairs, args.n)
    in_memory = ImageStore(memory_limit="1TiB").load(
        paths["dermoscopic"][:pairs], image_size=args.image_size, cache_dir=cache_dir
    )
    rate = gather_rate(in_memory, args.batches, rng)
    print(f"  all in memory ({pairs} images) {rate:9.0f} images/s")

    if args.workdir is None:
        shutil.rmtree(workdir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=30_000,
                        help="lesion pairs (default 30,000; 0 with --real-images: only those)")
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--limit", default=None,
                        help="image memory limit, e.g. 512MiB (default: the library's, 2 GiB)")
    parser.add_argument("--workdir", default=None, help="keeps the generated JPEGs")
    parser.add_argument("--reuse-cache", action="store_true",
                        help="keep the cache_dir of a previous run: the load reads its entries")
    parser.add_argument("--batches", type=int, default=200, help="batches of 64 per rate")
    parser.add_argument("--in-memory-pairs", type=int, default=2000,
                        help="pairs of the all-in-memory comparison")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads; more than the free cores makes torch's "
                             "parallel copies tens of times slower (default 1)")
    parser.add_argument("--real-images", default=None,
                        help="also time hashing against decoding on the images of this folder")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    if args.limit is not None:
        set_image_memory_limit(args.limit)
    if args.n > 0:
        synthetic(args)
    if args.real_images:
        hashing_against_decoding(args.real_images, args.image_size)


if __name__ == "__main__":
    main()
