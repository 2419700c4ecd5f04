"""Decoding one lesion image into the square uint8 array the towers see."""

import numpy as np
from PIL import Image, ImageOps

# Bumped whenever decoding changes, so that images cached on disk by an older
# version are decoded again rather than silently reused.
DECODER_VERSION = 2


def load_image(path, image_size):
    """Decode an image file as a square RGB uint8 array.

    The EXIF orientation is applied; grayscale, palette, RGBA (over black)
    and CMYK images become 8-bit RGB; the largest centred square is cropped
    and resized to ``image_size`` (antialiased). Large JPEGs are decoded at a
    reduced scale when the target is small, which is several times faster
    and loses nothing at the target size.

    Images of more than 8 bits per channel are reduced by one fixed rule per
    kind of pixel, never by each image's own brightest level (which would
    make the same gray level differ between two images):

    - 16-bit levels (16-bit PNG and TIFF files, Pillow modes ``I;16*``) keep
      their high byte: level ``v`` becomes ``v // 256``, so 0..65535 maps
      onto 0..255. Pillow reduces 16-bit colour PNGs the same way, so a
      16-bit gray image and its colour copy give the same pixels.
    - 32-bit integer pixels (mode ``I``: 32-bit integer TIFFs, and 16-bit
      PNGs as older Pillow versions open them) are read as 16-bit levels by
      the same rule; levels outside 0..65535 are clipped.
    - Floating-point pixels (mode ``F``: 32-bit float TIFFs) are taken to lie
      in [0, 1] and scaled by 255 (rounded); values outside are clipped, and
      not-a-number is black.

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
    """Gray levels wider than 8 bits onto 0..255, by the rules in :func:`load_image`."""
    if values.dtype.kind == "f":
        values = np.nan_to_num(values * 255.0, nan=0.0)  # not-a-number is black
        return np.clip(np.rint(values), 0, 255).astype(np.uint8)
    return (np.clip(values, 0, 65535) >> 8).astype(np.uint8)
