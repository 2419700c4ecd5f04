"""The net and forest settings of the command line's presets."""

# "quick" trains small random-init towers on small images, for a laptop CPU;
# "paper" is Yap et al. (2018): ImageNet ResNet-50 towers at 224 px with a
# (1024, 1024) embedding network.
PRESETS = {
    "quick": {
        "net": {
            "backbone": "resnet18", "weights": None, "image_size": 32,
            "embedding_dims": (256, 256), "max_epochs": 4, "batch_size": 32,
            "lr": 1e-3,
        },
        "forest": {"n_estimators": 300},
        "demo": {"n_samples": 400, "image_size": 64},
    },
    "paper": {
        "net": {
            "backbone": "resnet50", "weights": "DEFAULT", "image_size": 224,
            "embedding_dims": (1024, 1024), "max_epochs": 20, "batch_size": 64,
            "lr": 1e-4,
        },
        "forest": {"n_estimators": 500},
        "demo": {"n_samples": 2917, "image_size": 256},
    },
}
