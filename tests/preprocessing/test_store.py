import os

import numpy as np
import pytest
import torch
from PIL import Image

from skmultimodal.preprocessing import ImageLoadError, ImageStore


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
    assert len(os.listdir(cache / "8px")) == 6
    fresh = ImageStore()  # as a new process would have
    images = fresh.load(files, image_size=8, cache_dir=cache)
    assert fresh.n_decoded == 0 and fresh.n_read_from_disk == 6
    reference = ImageStore().load(files, image_size=8)
    assert torch.equal(images.gather(slice(None)), reference.gather(slice(None)))


def test_torn_cache_entries_are_decoded_again(files, tmp_path):
    cache = tmp_path / "cache"
    ImageStore().load(files[:1], image_size=8, cache_dir=cache)
    (entry,) = (cache / "8px").iterdir()
    entry.write_bytes(b"\x93NUMPY torn")
    store = ImageStore()
    store.load(files[:1], image_size=8, cache_dir=cache)
    assert store.n_decoded == 1
    assert np.load(entry).shape == (8, 8, 3)


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
