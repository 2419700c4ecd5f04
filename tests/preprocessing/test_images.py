import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from skmultimodal.preprocessing import load_image


def marked(width, height):
    """White on the left third, black elsewhere, a red block in the top-left corner."""
    array = np.zeros((height, width, 3), dtype=np.uint8)
    array[:, : width // 3] = 255
    array[: height // 8, : width // 8] = (255, 0, 0)
    return Image.fromarray(array)


def test_largest_centred_square_is_cropped(tmp_path):
    # 90 x 30: the centred 30 x 30 square is all black, the white third is cut.
    image = Image.new("RGB", (90, 30), (0, 0, 0))
    image.paste((255, 255, 255), (0, 0, 30, 30))
    image.paste((255, 255, 255), (60, 0, 90, 30))
    image.save(tmp_path / "wide.png")
    out = load_image(tmp_path / "wide.png", 16)
    assert out.shape == (16, 16, 3) and out.dtype == np.uint8
    assert out.max() == 0


def test_exif_orientation_is_applied(tmp_path):
    image = marked(64, 48)
    exif = Image.Exif()
    exif[0x0112] = 6  # stored rotated: display needs a 90 degree clockwise turn
    image.save(tmp_path / "rotated.jpg", exif=exif, quality=95)
    image.save(tmp_path / "upright.jpg", quality=95)
    upright = load_image(tmp_path / "upright.jpg", 48)
    rotated = load_image(tmp_path / "rotated.jpg", 48)
    # Upright, the white band is a left column; turned clockwise it becomes a top row.
    assert upright[:, :8].mean() > 200 and upright[:, -8:].mean() < 50
    assert rotated[:8, :].mean() > 200 and rotated[-8:, :].mean() < 50


@pytest.mark.parametrize(
    "mode, value, expected",
    [
        ("L", 120, (120, 120, 120)),
        ("I;16", 65535, (255, 255, 255)),
        ("I;16", 32896, (128, 128, 128)),
        ("RGBA", (200, 100, 50, 255), (200, 100, 50)),
        ("LA", (90, 255), (90, 90, 90)),
        ("CMYK", (0, 0, 0, 0), (255, 255, 255)),
    ],
)
def test_modes_become_8_bit_rgb(tmp_path, mode, value, expected):
    path = tmp_path / ("image.tiff" if mode == "CMYK" else "image.png")
    Image.new(mode, (20, 20), value).save(path)
    out = load_image(path, 8)
    assert out.shape == (8, 8, 3)
    assert tuple(int(v) for v in out[4, 4]) == expected


def write_16_bit_png(path, levels):
    """A 16-bit PNG of ``levels`` (h x w gray, or h x w x 3 colour), written by hand.

    Pillow writes 16-bit gray PNGs but no 16-bit colour ones.
    """
    levels = np.asarray(levels, dtype=">u2")
    height, width = levels.shape[:2]
    colour_type = 2 if levels.ndim == 3 else 0
    rows = b"".join(b"\x00" + levels[y].tobytes() for y in range(height))

    def chunk(kind, data):
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 16, colour_type, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    )
    return path


@pytest.mark.parametrize("level, expected", [(0, 0), (255, 0), (256, 1), (32896, 128),
                                             (65535, 255)])
@pytest.mark.parametrize("file_format", ["png", "tiff"])
def test_16_bit_levels_keep_their_high_byte(tmp_path, file_format, level, expected):
    # One rule for every 16-bit image: an image whose brightest level is 255
    # is nearly black, not read as an 8-bit one.
    path = tmp_path / f"gray16.{file_format}"
    Image.new("I;16", (12, 12), level).save(path)
    with Image.open(path) as image:
        assert image.mode.startswith("I;16")
    assert load_image(path, 4).tolist() == np.full((4, 4, 3), expected).tolist()


def test_big_endian_16_bit_tiff_follows_the_same_rule(tmp_path):
    Image.new("I;16B", (12, 12), 0x1234).save(tmp_path / "big_endian.tiff")
    assert (load_image(tmp_path / "big_endian.tiff", 4) == 0x12).all()


def test_16_bit_gray_and_colour_pngs_agree(tmp_path):
    levels = np.arange(0, 65536, 257 * 3, dtype=np.int64)[:64].reshape(8, 8)
    gray = load_image(write_16_bit_png(tmp_path / "gray.png", levels), 8)
    colour = load_image(write_16_bit_png(tmp_path / "rgb.png", np.stack([levels] * 3, -1)), 8)
    np.testing.assert_array_equal(gray, colour)
    np.testing.assert_array_equal(gray[..., 0], levels >> 8)


@pytest.mark.parametrize("level, expected", [(300, 1), (65535, 255), (100000, 255),
                                             (-5, 0)])
def test_32_bit_integer_tiffs_are_read_as_16_bit_levels(tmp_path, level, expected):
    Image.fromarray(np.full((12, 12), level, dtype=np.int32)).save(tmp_path / "i32.tiff")
    with Image.open(tmp_path / "i32.tiff") as image:
        assert image.mode == "I"
    assert (load_image(tmp_path / "i32.tiff", 4) == expected).all()


@pytest.mark.parametrize("value, expected", [(0.0, 0), (0.5, 128), (1.0, 255), (2.0, 255),
                                             (-1.0, 0), (200.0, 255), (np.nan, 0)])
def test_float_tiffs_are_read_as_levels_in_0_1(tmp_path, value, expected):
    Image.fromarray(np.full((12, 12), value, dtype=np.float32)).save(tmp_path / "f.tiff")
    assert (load_image(tmp_path / "f.tiff", 4) == expected).all()


def test_transparent_pixels_are_composited_over_black(tmp_path):
    Image.new("RGBA", (10, 10), (250, 250, 250, 0)).save(tmp_path / "clear.png")
    assert load_image(tmp_path / "clear.png", 4).max() == 0


def test_palette_images_keep_their_colours(tmp_path):
    rgb = Image.new("RGB", (12, 12), (10, 200, 30))
    rgb.convert("P", palette=Image.Palette.ADAPTIVE).save(tmp_path / "p.png")
    assert tuple(load_image(tmp_path / "p.png", 6)[3, 3]) == (10, 200, 30)


def test_large_jpeg_reduced_decoding_matches_full_decoding(tmp_path):
    rng = np.random.RandomState(0)
    smooth = np.kron(rng.randint(0, 255, (12, 16, 3)), np.ones((100, 100, 1)))
    Image.fromarray(smooth.astype(np.uint8)).save(tmp_path / "big.jpg", quality=95)
    fast = load_image(tmp_path / "big.jpg", 64).astype(float)
    with Image.open(tmp_path / "big.jpg") as image:
        slow = np.asarray(
            image.convert("RGB").resize((64, 64), Image.Resampling.BICUBIC,
                                        box=(200, 0, 1400, 1200))
        ).astype(float)
    assert np.abs(fast - slow).mean() < 3.0
