"""``skmultimodal robustness``: one model scored with each subset of its modalities."""

import os

from ._arguments import (
    add_data_options,
    add_net_options,
    add_run_options,
    folder,
    fraction,
    integer,
    net_study,
    use_agg_backend,
)


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
    add_net_options(robustness)
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

    setup = net_study(arguments)
    X, y, groups, source = setup.data
    net = MultimodalLesionClassifier(
        **setup.net, modality_dropout=arguments.modality_dropout,
        device=arguments.device, random_state=arguments.seed,
    )
    robustness = run_robustness(
        net, X, y, out=arguments.out, groups=groups, source=source, cv=arguments.cv,
        dedicated=not arguments.no_dedicated, random_state=arguments.seed,
        n_jobs=arguments.n_jobs, title=setup.title,
        verbose=0 if arguments.no_progress else 1,
    )
    with open(robustness.files[2], encoding="utf-8") as table:
        print(table.read())
    names = ", ".join(os.path.basename(path) for path in robustness.files)
    print(f"Wrote {arguments.out}/: {names}.")
    return 0
