"""Decoding one lesion image into the square uint8 array the towers see."""

import numpy as np
from PIL import Image, ImageOps

# Bumped whenever decoding changes, so that images cached on disk by an older
# version are decoded again rather than silently reused.
DECODER_VERSION = 1


def load_image(path, image_size):
    """Decode an image file as a square RGB uint8 array.

    The EXIF orientation is applied; grayscale, palette, RGBA (over black),
    CMYK and 16-bit images become 8-bit RGB; the largest centred square is
    cropped and resized to ``image_size`` (antialiased). Large JPEGs are
    decoded at a reduced scale when the target is small, which is several
    times faster and loses nothing at the target size.

    Parameters
    ----------
    path : str or os.PathLike
        The image file (any format Pillow reads).
    image_size : int
        Side of the square output, in pixels.

    Returns
    -------
    image : ndarray of shape (image_size, image_size, 3), dtype uint8
        The decoded image.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from PIL import Image
    >>> from skmultimodal.preprocessing import load_image
    >>> path = os.path.join(tempfile.mkdtemp(), "lesion.png")
    >>> Image.new("L", (120, 80), color=200).save(path)
    >>> image = load_image(path, 32)
    >>> image.shape, image.dtype, int(image.min()), int(image.max())
    ((32, 32, 3), dtype('uint8'), 200, 200)
    """
    with Image.open(path) as image:
        # draft() only ever shrinks by a power of two to a size still at least
        # the requested one in both directions, so the square fits afterwards.
        image.draft("RGB", (image_size, image_size))
        image = ImageOps.exif_transpose(image)
        image = _to_rgb(image)
        width, height = image.size
        side = min(width, height)
        left, top = (width - side) // 2, (height - side) // 2
        # Crop before resizing: resize(box=...) would let the filter reach
        # pixels outside the square.
        image = image.crop((left, top, left + side, top + side)).resize(
            (image_size, image_size), Image.Resampling.BICUBIC, reducing_gap=3.0
        )
        return np.asarray(image, dtype=np.uint8)


def _to_rgb(image):
    if image.mode == "RGB":
        return image
    if image.mode.startswith("I;16") or image.mode in ("I", "F"):
        return Image.fromarray(_to_uint8(np.asarray(image))).convert("RGB")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info
    ):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (0, 0, 0, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def _to_uint8(values):
    """Map 16-bit, 32-bit integer or float gray levels onto 0..255."""
    is_float = values.dtype.kind == "f"
    values = values.astype(np.float64)
    top = values.max() if values.size else 0.0
    if is_float and top <= 1.0 and values.min() >= 0.0:
        scale = 255.0  # floats in [0, 1]
    elif top <= 255.0:
        scale = 1.0  # 8-bit levels stored in a wider type
    else:
        scale = 255.0 / 65535.0  # 16-bit levels
    return np.clip(np.rint(values * scale), 0, 255).astype(np.uint8)
