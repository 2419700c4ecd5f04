"""Training-time image augmentation, batched on the device the net runs on."""

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

#: Random numbers one sample's augmentation takes: quarter turn, two flips,
#: crop area, ratio and centre (two), brightness, contrast and saturation.
DRAWS = 10


class DeviceAugmentation(nn.Module):
    """Random flips, 90-degree rotations, resized crops and colour jitter.

    Active only in training mode, like dropout: skorch puts the module in
    evaluation mode for validation and prediction, so augmentation can never
    reach those. Every sample gets its own random transform, yet the whole
    batch is warped by a single ``grid_sample`` call: flips, rotation and crop
    are composed into one affine matrix per sample. Lesions have no canonical
    orientation, so all eight flips and rotations are label-preserving.

    Parameters
    ----------
    crop_scale : tuple of float, default=(0.6, 1.0)
        Range of the crop's area as a fraction of the image.
    crop_ratio : tuple of float, default=(3/4, 4/3)
        Range of the crop's aspect ratio.
    jitter : float, default=0.1
        Brightness, contrast and saturation factors are drawn from
        ``[1 - jitter, 1 + jitter]``.
    """

    def __init__(self, crop_scale=(0.6, 1.0), crop_ratio=(3 / 4, 4 / 3), jitter=0.1):
        super().__init__()
        self.crop_scale = crop_scale
        self.crop_ratio = crop_ratio
        self.jitter = jitter

    def forward(self, images):
        """Augment a batch of float images in [0, 1] in training mode only."""
        return self.augment(images) if self.training else images

    def augment(self, images, draws=None):
        """Augment a batch of float images with values in [0, 1].

        Parameters
        ----------
        images : torch.Tensor of shape (n, 3, height, width)
            The images.
        draws : torch.Tensor of shape (n, DRAWS), default=None
            Uniform random numbers in [0, 1) that decide each sample's
            transform (see :func:`augmentation_draws`); ``None`` draws them
            from torch's random number generator.

        Returns
        -------
        augmented : torch.Tensor of shape (n, 3, height, width)
        """
        n = images.shape[0]
        options = {"device": images.device, "dtype": torch.float32}
        if draws is None:
            draws = torch.rand(n, DRAWS, **options)
        draws = draws.to(**options)
        theta = self._affine(draws, options)
        grid = F.affine_grid(theta, list(images.shape), align_corners=False)
        images = F.grid_sample(
            images.float(), grid, mode="bilinear", padding_mode="reflection",
            align_corners=False,
        )
        return self._jitter_colour(images, draws[:, 7:])

    def _affine(self, draws, options):
        n = draws.shape[0]
        # Rotation by k quarter turns, then independent mirror flips.
        quarter = torch.floor(draws[:, 0] * 4).clamp(max=3)
        angle = quarter * (math.pi / 2)
        cos, sin = torch.cos(angle).round(), torch.sin(angle).round()
        flip_x = torch.where(draws[:, 1] < 0.5, -1.0, 1.0)
        flip_y = torch.where(draws[:, 2] < 0.5, -1.0, 1.0)
        # Random resized crop: half-extents (w, h) of the crop in [-1, 1] units.
        low, high = self.crop_scale
        area = low + (high - low) * draws[:, 3]
        log_low, log_high = math.log(self.crop_ratio[0]), math.log(self.crop_ratio[1])
        ratio = torch.exp(log_low + (log_high - log_low) * draws[:, 4])
        w = torch.sqrt(area * ratio).clamp(max=1.0)
        h = torch.sqrt(area / ratio).clamp(max=1.0)
        centre_x = (1 - w) * (2 * draws[:, 5] - 1)
        centre_y = (1 - h) * (2 * draws[:, 6] - 1)
        theta = torch.zeros(n, 2, 3, **options)
        theta[:, 0, 0] = w * cos * flip_x
        theta[:, 0, 1] = -w * sin * flip_y
        theta[:, 1, 0] = h * sin * flip_x
        theta[:, 1, 1] = h * cos * flip_y
        theta[:, 0, 2] = centre_x
        theta[:, 1, 2] = centre_y
        return theta

    def _jitter_colour(self, images, draws):
        factors = (1 + self.jitter * (2 * draws - 1)).view(-1, 3, 1, 1, 1).to(images.dtype)
        brightness, contrast, saturation = factors.unbind(1)
        images = images * brightness
        mean = images.mean(dim=(1, 2, 3), keepdim=True)
        images = (images - mean) * contrast + mean
        weights = torch.tensor([0.299, 0.587, 0.114], device=images.device)
        gray = (images * weights.view(1, 3, 1, 1).to(images.dtype)).sum(dim=1, keepdim=True)
        images = (images - gray) * saturation + gray
        return images.clamp(0.0, 1.0)


def augmentation_draws(identities, seed, view):
    """The random numbers of each image's augmentation in one view, from its identity.

    A pure function of the image's content identity, the seed and the view
    number, so that an augmented view of an image is the same whichever fit
    computes it first, in whatever batch: a seeded fit's features never
    depend on what ran before it.

    Parameters
    ----------
    identities : torch.Tensor of int64, shape (n,)
        Per-image identities (:attr:`StoredImages.digests`).
    seed : int
        The fit's seed.
    view : int
        The view number (1 and up).

    Returns
    -------
    draws : torch.Tensor of shape (n, DRAWS), float32 in [0, 1)

    Examples
    --------
    >>> import torch
    >>> from skmultimodal.neural._augment import augmentation_draws
    >>> ids = torch.tensor([11, 12, 11])
    >>> draws = augmentation_draws(ids, seed=0, view=1)
    >>> draws.shape, bool((draws[0] == draws[2]).all()), bool((draws[0] == draws[1]).all())
    (torch.Size([3, 10]), True, False)
    """
    keys = identities.cpu().numpy().astype(np.uint64)
    keys ^= _mix(np.uint64(seed % 2**64)) ^ _mix(np.uint64(view) + np.uint64(2**32))
    counters = np.arange(1, DRAWS + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    bits = _mix(_mix(keys)[:, None] + counters[None, :])
    # The top 53 bits make a double in [0, 1), as numpy's generators do.
    return torch.from_numpy((bits >> np.uint64(11)) * (1.0 / 2**53)).float()


def _mix(x):
    """splitmix64's finaliser: unsigned 64-bit arithmetic wraps around in numpy."""
    x = np.asarray(x, dtype=np.uint64)
    with np.errstate(over="ignore"):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))
