"""``skmultimodal robustness``: one model scored with each subset of its modalities."""

from ._arguments import (
    DEMO,
    add_data_options,
    add_run_options,
    add_weights_options,
    folder,
    fraction,
    integer,
    load,
    source_names,
    tower_weights,
    use_agg_backend,
)
from ._presets import PRESETS


def add_parser(commands, epilog):
    robustness = commands.add_parser(
        "robustness",
        help="one net scored with each subset of its modalities, beside dedicated nets",
        description=(
            "Cross-validate one fusion net on every modality, trained with "
            "modality dropout so that it learns to do without any of them, and "
            "score each fold's model with each subset of the modalities available "
            "(the others blanked), beside nets trained on each subset alone. "
            "Writes results.csv, predictions.csv, table.md and robustness.png to "
            "--out."
        ),
        epilog=epilog,
    )
    add_data_options(robustness)
    robustness.add_argument("--preset", choices=sorted(PRESETS), default="quick",
                            help="net settings: quick (CPU minutes) or paper (GPU)")
    add_weights_options(robustness)
    robustness.add_argument(
        "--modality-dropout", type=fraction, default=0.25,
        help="probability of hiding each present modality of a training lesion "
        "(default: 0.25)",
    )
    robustness.add_argument("--no-dedicated", action="store_true",
                            help="skip the nets trained on each subset alone")
    robustness.add_argument("--cv", type=integer(2), default=5,
                            help="number of folds, at least 2 (default: 5)")
    add_run_options(robustness)
    robustness.add_argument("--out", type=folder, default="skmultimodal-robustness",
                            help="output folder (default: ./skmultimodal-robustness)")
    robustness.set_defaults(run=run)


def run(arguments):
    use_agg_backend()
    from ..model_selection._robustness import run_robustness
    from ..neural import MultimodalLesionClassifier

    datasets = arguments.dataset or [DEMO]
    names = source_names(datasets)
    preset = PRESETS[arguments.preset]
    weights = tower_weights(arguments.weights, arguments.substitute, preset["net"]["weights"])
    X, y, groups, source = load(
        datasets, names, preset["demo"], seed=arguments.seed,
        missing_images=arguments.missing_images,
    )
    net = MultimodalLesionClassifier(
        **{**preset["net"], "weights": weights},
        modality_dropout=arguments.modality_dropout, device=arguments.device,
        random_state=arguments.seed,
    )
    title = f"{', '.join(datasets)}, {arguments.preset} preset"
    robustness = run_robustness(
        net, X, y, out=arguments.out, groups=groups, source=source, cv=arguments.cv,
        dedicated=not arguments.no_dedicated, random_state=arguments.seed,
        n_jobs=arguments.n_jobs, title=title, verbose=0 if arguments.no_progress else 1,
    )
    with open(robustness.files[2], encoding="utf-8") as table:
        print(table.read())
    print(f"Wrote {arguments.out}/: {', '.join(map(_name, robustness.files))}.")
    return 0


def _name(path):
    import os

    return os.path.basename(path)
