"""``skmultimodal compare``: the paper's modality comparison."""

import os
import re
import time
import warnings

from ._arguments import (
    DEMO,
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
    compare = commands.add_parser(
        "compare",
        help="the paper's modality comparison: table, figures, results",
        description=(
            "Cross-validate the fusion net on every modality combination (with and "
            "without embedding network) and the metadata random forest, on the "
            "same folds, with the paper's metrics; write the results, the table "
            "and the figures to --out. Candidates the data cannot evaluate (a "
            "clinical-image net on a set without clinical images) are left out, "
            "with the reason. Rerun the same command to resume after an "
            "interruption."
        ),
        epilog=epilog,
    )
    add_data_options(compare)
    add_net_options(compare)
    compare.add_argument("--cv", type=integer(2), default=5,
                         help="number of folds, at least 2 (default: 5)")
    compare.add_argument(
        "--test-size", type=fraction, default=0.0,
        help="fraction held out as a test set scored by every fold's model (the "
        "paper's protocol); 0 for plain cross-validation (default: 0)",
    )
    add_run_options(compare)
    compare.add_argument("--out", type=folder, default="skmultimodal-results",
                         help="output folder (default: ./skmultimodal-results)")
    compare.add_argument(
        "--save-models", action="store_true",
        help="also refit every candidate on all lesions outside the test set and "
        "save it to OUT/models/<candidate>.skmodel (skmultimodal.load_model reads "
        "it back without unpickling anything)",
    )
    compare.set_defaults(run=run)


def run(arguments):
    use_agg_backend()
    # Imported here so that `skmultimodal --help` answers at once.
    from .._persistence import save_model
    from ..model_selection import (
        ModalityStudy,
        UnsupportedCandidateWarning,
        format_summary,
    )
    from ..model_selection._report import describe_scores

    started = time.perf_counter()
    setup = net_study(arguments)
    X, y, groups, source = setup.data
    study = ModalityStudy(
        _candidates(setup.preset, setup.net["weights"], arguments),
        cv=arguments.cv,
        test_size=arguments.test_size or None,
        random_state=arguments.seed,
        n_jobs=arguments.n_jobs,
        out=arguments.out,
        settings={
            "dataset": setup.datasets,
            "preset": arguments.preset,
            "seed": arguments.seed,
            "missing_images": arguments.missing_images,
            "net": setup.net,
            "forest": setup.preset["forest"],
            "demo": setup.preset["demo"] if setup.datasets == [DEMO] else None,
        },
        title=setup.title,
        verbose=1 if arguments.no_progress else 2,
    )
    with warnings.catch_warnings():
        # The study says which candidates it leaves out (verbose).
        warnings.simplefilter("ignore", UnsupportedCandidateWarning)
        study.run(X, y, groups=groups, source=source)
    study.write_figures()
    written = "results.csv, predictions.csv, table.md, table.tex, settings.json and figures"
    if arguments.save_models:
        models = os.path.join(arguments.out, "models")
        os.makedirs(models, exist_ok=True)
        for name in study.candidates_:
            stem = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_")
            save_model(study.refit(name), os.path.join(models, f"{stem}.skmodel"))
        written += ", models/"

    for split in ("validation", "test") if arguments.test_size else ("validation",):
        for name in ["all", *(study.sources_ or [])]:
            what = describe_scores(split, arguments.cv, name)
            print(f"\n{study.title}, {what}; mean (std):\n")
            print(format_summary(study.summary(split, name), "frame").to_string())
    elapsed = time.perf_counter() - started
    print(f"\nWrote {arguments.out}/: {written}, in {elapsed / 60:.1f} min.")
    return 0


def _candidates(preset, weights, arguments):
    # Called as (preset, weights, arguments): the tests swap in cheaper candidates here.
    from ..forest import MetadataForestClassifier
    from ..model_selection import modality_candidates
    from ..neural import MultimodalLesionClassifier

    net = MultimodalLesionClassifier(
        **{**preset["net"], "weights": weights}, device=arguments.device,
        random_state=arguments.seed,
    )
    forest = MetadataForestClassifier(**preset["forest"], random_state=arguments.seed)
    return modality_candidates(net, forest)
