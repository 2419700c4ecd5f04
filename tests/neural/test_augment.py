import torch

from skmultimodal.neural._augment import DeviceAugmentation


def batch(n=16, size=24):
    generator = torch.Generator().manual_seed(0)
    return torch.rand(n, 3, size, size, generator=generator)


def test_identity_in_evaluation_mode():
    augment = DeviceAugmentation().eval()
    images = batch()
    assert torch.equal(augment(images), images)


def test_training_mode_transforms_each_sample_differently():
    torch.manual_seed(0)
    images = batch(1).repeat(16, 1, 1, 1)
    out = DeviceAugmentation().train()(images)
    assert out.shape == images.shape
    assert out.min() >= 0 and out.max() <= 1
    distinct = {tuple(sample.flatten()[:50].round(decimals=4).tolist()) for sample in out}
    assert len(distinct) == 16


def test_flips_and_quarter_turns_are_exact_without_crop_or_jitter():
    torch.manual_seed(0)
    augment = DeviceAugmentation(crop_scale=(1.0, 1.0), crop_ratio=(1.0, 1.0), jitter=0.0)
    images = batch(64)
    out = augment.train()(images)
    symmetries = []
    for k in range(4):
        rotated = torch.rot90(images, k, dims=(2, 3))
        symmetries += [rotated, torch.flip(rotated, dims=(3,))]
    for i in range(len(images)):
        errors = [float((out[i] - s[i]).abs().max()) for s in symmetries]
        assert min(errors) < 1e-5
