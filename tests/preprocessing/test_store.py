import gc
import multiprocessing
import os
import shutil
import subprocess
import sys
import threading
import time

import numpy as np
import pytest
import torch
from PIL import Image

from skmultimodal.preprocessing import ImageLoadError, ImageStore
from skmultimodal.preprocessing._entries import Entries, npy_header


def write(path, colour):
    Image.new("RGB", (20, 20), colour).save(path)
    return str(path)


def entries(cache):
    return sorted(cache.rglob("*.npy"))


def first_pixel(images, position=0):
    return images.gather(torch.tensor([position]))[0, :, 0, 0].tolist()


@pytest.fixture
def files(tmp_path):
    paths = []
    for i in range(6):
        path = tmp_path / f"lesion_{i}.png"
        Image.new("RGB", (30, 20), (i * 40, 10, 200 - i * 30)).save(path)
        paths.append(str(path))
    return paths


def test_each_file_is_decoded_once_per_size(files):
    store = ImageStore()
    first = store.load(files, image_size=8)
    assert store.n_decoded == 6
    again = store.load(files[::-1] + files[:2], image_size=8)
    assert store.n_decoded == 6
    assert torch.equal(again.gather(torch.tensor([0])), first.gather(torch.tensor([5])))
    store.load(files, image_size=16)
    assert store.n_decoded == 12


def test_gathered_batches_hold_the_decoded_pixels(files):
    images = ImageStore().load(files, image_size=4)
    batch = images.gather(torch.tensor([2, 0]))
    assert batch.shape == (2, 3, 4, 4) and batch.dtype == torch.uint8
    assert batch[0, :, 0, 0].tolist() == [80, 10, 140]
    assert images.subset([2]).gather(torch.tensor([0])).equal(batch[:1])


def test_an_edited_file_is_decoded_again(files):
    store = ImageStore()
    store.load(files[:1], image_size=8)
    Image.new("RGB", (30, 20), (1, 2, 3)).save(files[0])
    os.utime(files[0], ns=(1, 1))  # a different modification time
    images = store.load(files[:1], image_size=8)
    assert store.n_decoded == 2
    assert images.gather(torch.tensor([0]))[0, :, 0, 0].tolist() == [1, 2, 3]


def test_disk_cache_serves_a_new_process(files, tmp_path):
    cache = tmp_path / "cache"
    ImageStore().load(files, image_size=8, cache_dir=cache)
    assert len(entries(cache)) == 6
    fresh = ImageStore()  # as a new process would have
    images = fresh.load(files, image_size=8, cache_dir=cache)
    assert fresh.n_decoded == 0 and fresh.n_read_from_disk == 6
    reference = ImageStore().load(files, image_size=8)
    assert torch.equal(images.gather(slice(None)), reference.gather(slice(None)))


def test_torn_cache_entries_are_decoded_again(files, tmp_path):
    cache = tmp_path / "cache"
    ImageStore().load(files[:1], image_size=8, cache_dir=cache)
    (entry,) = entries(cache)
    entry.write_bytes(entry.read_bytes()[:200])
    store = ImageStore()
    with pytest.warns(UserWarning, match=f"{entry}: 200 bytes instead of"):
        store.load(files[:1], image_size=8, cache_dir=cache)
    assert store.n_decoded == 1
    assert np.load(entry).shape == (3, 8, 8)


@pytest.mark.parametrize(
    "damage, problem",
    [
        (lambda entry: np.save(entry, np.zeros((8, 9, 3), np.uint8)), "not an array of 8 x 8"),
        (lambda entry: entry.write_bytes(b""), "empty file"),
        (lambda entry: entry.write_bytes(entry.read_bytes()[:-60] + bytes(60)),
         "not an entry of this format"),
    ],
    ids=["foreign array", "empty file", "foreign trailer"],
)
def test_foreign_or_damaged_entries_are_decoded_again_and_replaced(
    files, tmp_path, damage, problem
):
    cache = tmp_path / "cache"
    expected = first_pixel(ImageStore().load(files[1:2], image_size=8, cache_dir=cache))
    (entry,) = entries(cache)
    damage(entry)
    store = ImageStore()
    with pytest.warns(UserWarning, match=f"{entry}: {problem}.*{files[1]}"):
        images = store.load(files[1:2], image_size=8, cache_dir=cache)
    assert store.n_decoded == 1 and first_pixel(images) == expected
    store = ImageStore()  # the entry was replaced: the next process reads it
    images = store.load(files[1:2], image_size=8, cache_dir=cache)
    assert store.n_read_from_disk == 1 and first_pixel(images) == expected


def test_flipped_pixels_and_entries_of_other_images_are_caught(files, tmp_path):
    cache = tmp_path / "cache"
    ImageStore().load(files[:2], image_size=8, cache_dir=cache)
    first, second = entries(cache)
    data = bytearray(first.read_bytes())
    data[200] ^= 1
    first.write_bytes(bytes(data))
    shutil.copyfile(first.with_suffix(".npy"), second)  # another image's entry, copied over
    with pytest.warns(UserWarning) as caught:
        images = ImageStore().load(files[:2], image_size=8, cache_dir=cache)
    message = str(caught[0].message)
    assert f"{first}: pixels do not match their checksum" in message
    assert f"{second}: holds the pixels of another image" in message
    assert torch.equal(
        images.gather(slice(None)), ImageStore().load(files[:2], image_size=8).gather(slice(None))
    )


def test_entries_are_memory_mappable_arrays(files, tmp_path):
    cache = tmp_path / "cache"
    images = ImageStore().load(files[2:3], image_size=8, cache_dir=cache)
    (entry,) = entries(cache)
    mapped = np.load(entry, mmap_mode="r")
    assert mapped.shape == (3, 8, 8) and mapped.dtype == np.uint8
    assert torch.equal(torch.from_numpy(np.array(mapped)), images.gather(slice(None))[0])


@pytest.mark.parametrize("shape", [(3, 8, 8), (3, 224, 224), (3, 1000, 1000)])
def test_entry_headers_are_those_numpy_writes(shape):
    import io

    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": "|u1", "fortran_order": False, "shape": shape}
    )
    assert npy_header(shape) == buffer.getvalue()


def test_an_edit_keeping_size_and_modification_time_is_noticed(tmp_path):
    cache = tmp_path / "cache"
    path = tmp_path / "lesion.bmp"  # uncompressed: any colour gives the same size
    Image.new("RGB", (30, 20), (1, 2, 3)).save(path)
    store = ImageStore()
    store.load([path], image_size=8, cache_dir=cache)
    before = os.stat(path)
    time.sleep(0.05)  # the status-change time ticks at the kernel's clock resolution
    Image.new("RGB", (30, 20), (7, 8, 9)).save(path)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(path)
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert first_pixel(store.load([path], image_size=8)) == [7, 8, 9]
    fresh = ImageStore()  # a new process with the same cache_dir
    assert first_pixel(fresh.load([path], image_size=8, cache_dir=cache)) == [7, 8, 9]
    assert fresh.n_decoded == 1


def test_identical_files_share_one_image_and_entry(files, tmp_path):
    cache = tmp_path / "cache"
    copy = tmp_path / "copy.png"
    shutil.copyfile(files[3], copy)
    store = ImageStore()
    images = store.load([files[3], str(copy), files[4]], image_size=8, cache_dir=cache)
    assert store.n_decoded == 2 and len(entries(cache)) == 2
    digests = images.digests
    assert digests.dtype == torch.int64 and digests[0] == digests[1] != digests[2]
    again = ImageStore().load([str(copy)], image_size=16)  # other process and size
    assert again.digests.tolist() == digests[:1].tolist()


def test_each_file_is_hashed_once_until_it_changes(files, monkeypatch):
    import hashlib

    store = ImageStore()
    store.load(files, image_size=8)
    opened = []
    real_blake2b = hashlib.blake2b
    monkeypatch.setattr(
        hashlib, "blake2b", lambda *a, **k: opened.append(1) or real_blake2b(*a, **k)
    )
    store.load(files, image_size=16)
    assert opened == []
    os.utime(files[0], ns=(1, 1))
    store.load(files, image_size=16)
    assert len(opened) == 1


def test_every_missing_or_broken_file_is_listed(files, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really a jpeg")
    missing = [str(tmp_path / "gone_a.png"), str(tmp_path / "gone_b.png")]
    with pytest.raises(ImageLoadError) as error:
        ImageStore().load(files[:2] + missing, image_size=8)
    assert [failure[0] for failure in error.value.failures] == [2, 3]
    assert "2 image file(s)" in str(error.value)
    store = ImageStore()
    with pytest.raises(ImageLoadError, match="broken.jpg: UnidentifiedImageError"):
        store.load([files[0], str(broken)], image_size=8)


def test_every_kind_of_problem_is_reported_in_one_pass(files, tmp_path, monkeypatch):
    from skmultimodal.preprocessing import _store

    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8 not really a jpeg")
    folder = tmp_path / "a_folder.png"
    folder.mkdir()
    pipe = tmp_path / "pipe.png"
    os.mkfifo(pipe)
    locked = tmp_path / "locked.png"
    shutil.copyfile(files[5], locked)

    def refuse_locked(path, *args, **kwargs):
        if os.fspath(path) == str(locked):  # as root, chmod alone would not refuse
            raise PermissionError(13, "Permission denied", str(path))
        return open(path, *args, **kwargs)

    monkeypatch.setattr(_store, "open", refuse_locked, raising=False)
    request = [files[0], str(tmp_path / "gone.png"), str(folder), str(broken), files[1],
               str(pipe), str(locked), files[2]]
    store = ImageStore()
    with pytest.raises(ImageLoadError, match="5 image file") as error:
        store.load(request, image_size=8)
    assert [(position, reason.split(":")[0]) for position, _, reason in error.value.failures] == [
        (1, "file not found"),
        (2, "is a directory, not an image file"),
        (3, "UnidentifiedImageError"),
        (5, "not a regular file (a device, pipe or socket)"),
        (6, "permission denied"),
    ]
    # The readable files were decoded meanwhile, and are not decoded again.
    assert store.n_decoded == 3
    store.load([files[0], files[1], files[2]], image_size=8)
    assert store.n_decoded == 3


def _load_slowly(paths, cache_dir, barrier):
    """Load ``paths`` once every participant is ready; (decoded, read from disk)."""
    from skmultimodal.preprocessing import _store

    decode = _store.load_image

    def slow_decode(path, image_size):  # slow enough for the two processes to overlap
        time.sleep(0.05)
        return decode(path, image_size)

    _store.load_image = slow_decode
    try:
        store = _store.ImageStore()
        barrier.wait()
        store.load(paths, image_size=16, cache_dir=cache_dir, n_jobs=2)
    finally:
        _store.load_image = decode
    return store.n_decoded, store.n_read_from_disk


def _load_in_a_worker(paths, cache_dir, barrier, results):
    results.put(_load_slowly(paths, cache_dir, barrier))


@pytest.mark.skipif(sys.platform == "win32", reason="no claims between processes on Windows")
def test_processes_sharing_a_cache_dir_decode_each_image_once_in_all(tmp_path):
    paths = []
    for i in range(40):
        paths.append(str(tmp_path / f"{i}.png"))
        Image.new("RGB", (24, 24), (i, 255 - i, 3 * i)).save(paths[-1])
    cache = str(tmp_path / "cache")
    # This process and a fresh one (spawned: nothing shared but the files)
    # load the same images at the same time.
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2, timeout=120), context.Queue()
    worker = context.Process(target=_load_in_a_worker, args=(paths, cache, barrier, results))
    worker.start()
    counts = [_load_slowly(paths, cache, barrier), results.get(timeout=120)]
    worker.join(timeout=30)
    assert worker.exitcode == 0
    assert sum(decoded for decoded, _ in counts) == 40
    assert all(decoded + read == 40 for decoded, read in counts)
    assert len(entries(tmp_path / "cache")) == 40
    assert not list((tmp_path / "cache").rglob("*.lock"))


def _claim_entry(cache, digest, image_size):
    """Hold the claim on ``digest``'s entry as another process would: (descriptor, lock)."""
    import fcntl

    lock = Entries(cache, image_size).path(digest)[: -len(".npy")] + ".lock"
    os.makedirs(os.path.dirname(lock), exist_ok=True)
    descriptor = os.open(lock, os.O_RDWR | os.O_CREAT)
    fcntl.flock(descriptor, fcntl.LOCK_EX)
    return descriptor, lock


@pytest.mark.skipif(sys.platform == "win32", reason="no claims between processes on Windows")
def test_an_image_claimed_elsewhere_is_waited_for_after_the_others(files, tmp_path):
    cache = tmp_path / "cache"
    probe = ImageStore()
    digest = probe._identify(files[0])[0]
    expected = probe.load(files[:1], image_size=8).gather(slice(None))[0].numpy()
    descriptor, lock = _claim_entry(cache, digest, 8)
    store, done = ImageStore(), []
    loading = threading.Thread(
        target=lambda: done.append(store.load(files, image_size=8, cache_dir=cache, n_jobs=2))
    )
    loading.start()
    deadline = time.monotonic() + 30
    while store.n_decoded < 5 and time.monotonic() < deadline:  # the other five first
        time.sleep(0.01)
    assert store.n_decoded == 5 and not done
    Entries(cache, 8).write(digest, expected)  # the other process finishes
    os.remove(lock)
    os.close(descriptor)
    loading.join(timeout=30)
    assert store.n_decoded == 5 and store.n_read_from_disk == 1
    assert torch.equal(done[0].gather(slice(0, 1))[0], torch.from_numpy(expected))


@pytest.mark.skipif(sys.platform == "win32", reason="no claims between processes on Windows")
def test_a_claim_left_by_a_dead_process_does_not_block(files, tmp_path):
    cache = tmp_path / "cache"
    digest = ImageStore()._identify(files[0])[0]
    descriptor, lock = _claim_entry(cache, digest, 8)
    os.close(descriptor)
    holder = (
        "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDWR); "
        "fcntl.flock(fd, fcntl.LOCK_EX); os._exit(0)"  # dies holding the claim
    )
    subprocess.run([sys.executable, "-c", holder, lock], check=True, timeout=60)
    assert os.path.exists(lock)
    store = ImageStore()
    store.load(files[:1], image_size=8, cache_dir=cache)
    assert store.n_decoded == 1 and not os.path.exists(lock)


def _reference(paths, image_size=8):
    return ImageStore(memory_limit="1GiB").load(paths, image_size=image_size)


@pytest.mark.parametrize("with_cache_dir", [True, False])
def test_images_beyond_the_memory_limit_are_served_from_disk(files, tmp_path, with_cache_dir):
    cache = tmp_path / "cache" if with_cache_dir else None
    row_bytes = 3 * 8 * 8
    store = ImageStore(memory_limit=2 * row_bytes + 10)
    images = store.load(files[:4], image_size=8, cache_dir=cache)
    more = store.load(files[2:], image_size=8, cache_dir=cache)
    assert store.nbytes == 2 * row_bytes
    assert store.cache_info()["n_on_disk"] == 4 and store.cache_info()["count"] == 6
    reference = _reference(files)
    assert torch.equal(images.gather(slice(None)), reference.gather(slice(0, 4)))
    assert torch.equal(more.gather(slice(None)), reference.gather(slice(2, 6)))
    # Any mix of rows, in any order, repeated, into a given tensor.
    index = torch.tensor([3, 0, 3, 1, 2])
    out = torch.full((5, 3, 8, 8), 7, dtype=torch.uint8)
    assert images.gather(index, out=out) is out
    assert torch.equal(out, reference.gather(index))
    assert torch.equal(images.subset([2, 1]).gather(slice(None)), reference.gather([2, 1]))
    served_from = store._tables[8].on_disk
    if with_cache_dir:
        assert all(entry.startswith(str(cache)) for entry in served_from)
    else:
        directory = store._tables[8].spill.directory
        assert all(entry.startswith(directory) for entry in served_from)
        del images, more, served_from
        store.clear()
        gc.collect()
        assert not os.path.exists(directory)


def test_the_memory_limit_comes_from_the_environment(files, monkeypatch):
    from skmultimodal._cache import IMAGE_MEMORY_LIMIT_VARIABLE

    monkeypatch.setenv(IMAGE_MEMORY_LIMIT_VARIABLE, "0")
    store = ImageStore()
    images = store.load(files, image_size=8)
    assert store.nbytes == 0 and store.cache_info()["n_on_disk"] == 6
    assert torch.equal(images.gather(slice(None)), _reference(files).gather(slice(None)))
    monkeypatch.setenv(IMAGE_MEMORY_LIMIT_VARIABLE, "1KiB")  # later loads see the change
    store.load(files, image_size=16)
    assert store.nbytes == 1024 // (3 * 16 * 16) * (3 * 16 * 16)


def test_memory_grows_by_doubling_within_the_limit(tmp_path):
    paths = [write(tmp_path / f"{i}.png", (i, i, i)) for i in range(9)]
    store = ImageStore(memory_limit=5 * 3 * 4 * 4)
    capacities = []
    for path in paths:  # one at a time
        store.load([path], image_size=4)
        capacities.append(len(store._tables[4].data))
    assert capacities == [1, 2, 4, 4, 5, 5, 5, 5, 5]
    table = store._tables[4]
    assert table.n_in_memory == 5 and len(table.on_disk) == 4
    assert torch.equal(
        store.load(paths, image_size=4).gather(slice(None)),
        _reference(paths, 4).gather(slice(None)),
    )


def test_the_table_gathers_rows_on_disk_for_the_feature_store(files):
    store = ImageStore(memory_limit=0)
    images = store.load(files, image_size=8)
    rows = images.rows[torch.tensor([5, 1])]
    assert torch.equal(images.table.gather(rows), _reference(files).gather([5, 1]))
