import ast
import gc
import os
import subprocess
import sys

import pytest
import torch
from PIL import Image

from skmultimodal import _cache
from skmultimodal._cache import (
    DEFAULT_IMAGE_MEMORY_LIMIT,
    IMAGE_MEMORY_LIMIT_VARIABLE,
    LRUCache,
    cache_info,
    clear_caches,
    get_image_memory_limit,
    parse_bytes,
    set_image_memory_limit,
)
from skmultimodal.neural import _tower_cache, get_feature_store
from skmultimodal.neural._tower_cache import cached_tower
from skmultimodal.preprocessing import get_image_store


@pytest.fixture
def paths(tmp_path):
    result = []
    for i in range(5):
        result.append(str(tmp_path / f"{i}.png"))
        Image.new("RGB", (20, 20), (40 * i, 10, 10)).save(result[-1])
    return result


@pytest.fixture
def limit_restored(monkeypatch):
    # monkeypatch puts the variable back as it was, set or not.
    monkeypatch.setenv(IMAGE_MEMORY_LIMIT_VARIABLE, "")


@pytest.fixture
def tiny_towers(monkeypatch):
    """Towers of 6 parameters (24 bytes) in place of the real backbones: quick to build."""
    def build(backbone, weights, image_size):
        return torch.nn.Linear(2, 2), 2, ((0.5,) * 3, (0.25,) * 3)

    monkeypatch.setattr(_tower_cache, "build_tower", build)


def mean_colour(pixels, view, identities):
    return pixels.float().mean(dim=(2, 3))


@pytest.mark.parametrize(
    "amount, expected",
    [(0, 0), (1536, 1536), ("1536", 1536), ("2GiB", 2 * 1024**3), ("2 gib", 2 * 1024**3),
     ("1.5MB", 1_500_000), ("512 KiB", 512 * 1024), ("3b", 3)],
)
def test_memory_amounts_are_read_with_their_units(amount, expected):
    assert parse_bytes(amount) == expected


@pytest.mark.parametrize("amount", ["lots", "2 GiBs", "-1", -1, float("inf"), "1e3"])
def test_unreadable_memory_amounts_are_refused(amount):
    with pytest.raises(ValueError, match="memory amount"):
        parse_bytes(amount)


def test_the_image_memory_limit_lives_in_the_environment(limit_restored):
    assert get_image_memory_limit() == DEFAULT_IMAGE_MEMORY_LIMIT == 2 * 1024**3
    set_image_memory_limit("256MiB")
    assert os.environ[IMAGE_MEMORY_LIMIT_VARIABLE] == str(256 * 1024**2)
    assert get_image_memory_limit() == 256 * 1024**2
    # Worker processes started now inherit it.
    child = subprocess.run(
        [sys.executable, "-c", f"import os; print(os.environ['{IMAGE_MEMORY_LIMIT_VARIABLE}'])"],
        capture_output=True, text=True, check=True, timeout=60,
    )
    assert int(child.stdout) == 256 * 1024**2
    set_image_memory_limit(None)
    assert IMAGE_MEMORY_LIMIT_VARIABLE not in os.environ
    assert get_image_memory_limit() == DEFAULT_IMAGE_MEMORY_LIMIT


def test_a_wrong_limit_in_the_environment_is_named(monkeypatch):
    monkeypatch.setenv(IMAGE_MEMORY_LIMIT_VARIABLE, "two gigs")
    with pytest.raises(ValueError, match=f"{IMAGE_MEMORY_LIMIT_VARIABLE}='two gigs'"):
        get_image_memory_limit()


def test_lru_cache_drops_the_least_recently_used():
    cache = LRUCache(3, sizeof=len)
    for key in "abc":
        cache[key] = key * 2
    assert cache.get("a") == "aa"  # now the most recent
    cache["d"] = "dd"
    assert cache.get("b") is None and len(cache) == 3
    assert cache.cache_info() == {"count": 3, "nbytes": 6, "maxsize": 3}
    cache.clear()
    assert len(cache) == 0


def test_clear_caches_empties_all_three_and_keeps_disk_caches(
    paths, tmp_path, limit_restored, tiny_towers
):
    clear_caches()
    cache_dir = tmp_path / "cache"
    images = get_image_store().load(paths, image_size=8, cache_dir=cache_dir)
    get_feature_store().features("key", images, views=1, encode=mean_colour, batch_size=2)
    cached_tower("resnet18", None, 32, seed=0)
    info = cache_info()
    assert info.images.count == 5 and info.images.nbytes == 5 * 3 * 8 * 8
    assert info.features.count == 5 and info.features.nbytes > 0
    assert info.towers.count == 1 and info.towers.nbytes == 24
    assert info.towers.maxsize == _cache.TOWER_RECIPES_KEPT == 4

    clear_caches()
    info = cache_info()
    assert [info[name].count for name in ("images", "features", "towers")] == [0, 0, 0]
    assert info.images.nbytes == info.features.nbytes == info.towers.nbytes == 0
    assert len(list(cache_dir.rglob("*.npy"))) == 5
    # Views handed out before keep working.
    assert images.gather(torch.tensor([4]))[0, 0, 0, 0] == 160


def test_features_are_freed_with_their_images(paths, limit_restored):
    clear_caches()
    images = get_image_store().load(paths, image_size=8)
    get_feature_store().features("key", images, views=2, encode=mean_colour, batch_size=8)
    assert cache_info().features.count == 10
    get_image_store().clear()
    assert cache_info().features.count == 10  # still used through `images`
    del images
    gc.collect()
    assert cache_info().features.count == 0


def test_only_the_last_four_tower_recipes_are_kept(tiny_towers):
    clear_caches()
    for seed in range(6):
        cached_tower("resnet18", None, 32, seed=seed)
    assert cache_info().towers.count == 4
    clear_caches()


def test_the_cache_layer_imports_nothing_from_the_library():
    # It sits at the bottom: the stores above register themselves with it.
    with open(_cache.__file__) as file:
        tree = ast.parse(file.read())
    imported = [
        node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    ] + [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
         for alias in node.names]
    relative = [node for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.level > 0]
    assert not relative and not any(name.startswith("skmultimodal") for name in imported)
