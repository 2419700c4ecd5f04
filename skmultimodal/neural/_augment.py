"""Training-time image augmentation, batched on the device the net runs on."""

import math

import torch
import torch.nn.functional as F
from torch import nn


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

    def augment(self, images):
        """Augment a batch of float images with values in [0, 1]."""
        n = images.shape[0]
        options = {"device": images.device, "dtype": torch.float32}
        theta = self._affine(n, options)
        grid = F.affine_grid(theta, list(images.shape), align_corners=False)
        images = F.grid_sample(
            images.float(), grid, mode="bilinear", padding_mode="reflection",
            align_corners=False,
        )
        return self._jitter_colour(images, options)

    def _affine(self, n, options):
        # Rotation by k quarter turns, then independent mirror flips.
        quarter = torch.randint(0, 4, (n,), device=options["device"]).float()
        angle = quarter * (math.pi / 2)
        cos, sin = torch.cos(angle).round(), torch.sin(angle).round()
        flip_x = torch.where(torch.rand(n, **options) < 0.5, -1.0, 1.0)
        flip_y = torch.where(torch.rand(n, **options) < 0.5, -1.0, 1.0)
        # Random resized crop: half-extents (w, h) of the crop in [-1, 1] units.
        low, high = self.crop_scale
        area = low + (high - low) * torch.rand(n, **options)
        log_low, log_high = math.log(self.crop_ratio[0]), math.log(self.crop_ratio[1])
        ratio = torch.exp(log_low + (log_high - log_low) * torch.rand(n, **options))
        w = torch.sqrt(area * ratio).clamp(max=1.0)
        h = torch.sqrt(area / ratio).clamp(max=1.0)
        centre_x = (1 - w) * (2 * torch.rand(n, **options) - 1)
        centre_y = (1 - h) * (2 * torch.rand(n, **options) - 1)
        theta = torch.zeros(n, 2, 3, **options)
        theta[:, 0, 0] = w * cos * flip_x
        theta[:, 0, 1] = -w * sin * flip_y
        theta[:, 1, 0] = h * sin * flip_x
        theta[:, 1, 1] = h * cos * flip_y
        theta[:, 0, 2] = centre_x
        theta[:, 1, 2] = centre_y
        return theta

    def _jitter_colour(self, images, options):
        n = images.shape[0]

        def factor():
            return (1 + self.jitter * (2 * torch.rand(n, 1, 1, 1, **options) - 1)).to(
                images.dtype
            )

        images = images * factor()
        mean = images.mean(dim=(1, 2, 3), keepdim=True)
        images = (images - mean) * factor() + mean
        weights = torch.tensor([0.299, 0.587, 0.114], **options).view(1, 3, 1, 1)
        gray = (images * weights.to(images.dtype)).sum(dim=1, keepdim=True)
        images = (images - gray) * factor() + gray
        return images.clamp(0.0, 1.0)
