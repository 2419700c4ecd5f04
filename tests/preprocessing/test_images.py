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
