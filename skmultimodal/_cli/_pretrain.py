"""``skmultimodal pretrain``: an image tower trained on public data sets, exported."""

from ._arguments import (
    DEMO,
    add_data_options,
    device,
    existing_file,
    folder,
    fraction,
    integer,
    load,
    positive,
    source_names,
)
from ._presets import PRESETS


def add_parser(commands, epilog):
    pretrain = commands.add_parser(
        "pretrain",
        help="train an image tower on public data sets and export it for --weights",
        description=(
            "Train a one-modality net on every class of the given public data "
            "sets, score it on held-out lesions of a grouped split, and export "
            "its tower to --out, where 'skmultimodal compare --weights OUT' (or "
            "weights= in Python) starts from it: the offline alternative, or "
            "complement, to ImageNet weights. Pass the ids of the lesions you will "
            "fine-tune and evaluate on with --exclude: public sets overlap (HAM10000 "
            "is part of ISIC 2019; MILK10k and Derm7pt images may come from the "
            "ISIC archive), and a tower that has seen them would inflate that "
            "evaluation."
        ),
        epilog=epilog,
    )
    add_data_options(pretrain, pooled_scores=False)
    pretrain.add_argument("--modality", choices=("dermoscopic", "clinical"),
                          default="dermoscopic",
                          help="the tower's image modality (default: dermoscopic)")
    quick = PRESETS["quick"]["net"]
    pretrain.add_argument("--backbone", default="resnet50",
                          help="a torchvision model name or timm:<name> (default: resnet50)")
    pretrain.add_argument(
        "--weights", default="DEFAULT",
        help="the tower's starting weights: DEFAULT (the backbone's pretrained "
        "weights, downloaded once), none (random) or a weights file (default: DEFAULT)",
    )
    pretrain.add_argument("--image-size", type=integer(8), default=224,
                          help="side of the square images (default: 224)")
    pretrain.add_argument("--epochs", type=integer(1), default=10,
                          help="training epochs (default: 10)")
    pretrain.add_argument("--batch-size", type=integer(2), default=quick["batch_size"],
                          help=f"lesions per batch (default: {quick['batch_size']})")
    pretrain.add_argument("--lr", type=positive, default=1e-4,
                          help="learning rate (default: 1e-4)")
    pretrain.add_argument(
        "--test-size", type=fraction, default=0.2,
        help="fraction of the lesions held out to score the tower, grouped; 0 "
        "trains on every lesion (default: 0.2)",
    )
    pretrain.add_argument(
        "--exclude", type=existing_file, metavar="FILE",
        help="a text file of lesion, patient or image ids (one per line) to leave "
        "out, with every lesion of their group",
    )
    pretrain.add_argument("--device", type=device, default="auto",
                          help="torch device: auto, cpu, cuda, cuda:1, mps (default: auto)")
    pretrain.add_argument("--seed", type=integer(0), default=0,
                          help="random seed (default: 0)")
    pretrain.add_argument("--cache-dir", type=folder,
                          help="keep decoded images on disk there, for the next run")
    pretrain.add_argument("--out", type=folder, default="skmultimodal-tower",
                          help="output folder (default: ./skmultimodal-tower)")
    pretrain.set_defaults(run=run)


def run(arguments):
    from ..model_selection import pretrain_tower

    datasets = arguments.dataset or [DEMO]
    names = source_names(datasets)
    # Every class of the public sets teaches the tower, not only the paper's five.
    X, y, groups, source = load(
        datasets, names, PRESETS["quick"]["demo"], seed=arguments.seed,
        missing_images=arguments.missing_images, other="keep",
    )
    weights = None if arguments.weights.lower() == "none" else arguments.weights
    pretrain_tower(
        X, y, groups=groups, source=source, modality=arguments.modality,
        backbone=arguments.backbone, weights=weights,
        image_size=arguments.image_size, test_size=arguments.test_size or None,
        out=arguments.out, exclude=arguments.exclude, random_state=arguments.seed,
        max_epochs=arguments.epochs, batch_size=arguments.batch_size, lr=arguments.lr,
        device=arguments.device, cache_dir=arguments.cache_dir, verbose=2,  # epoch losses: pretraining runs for minutes to hours
    )
    return 0
