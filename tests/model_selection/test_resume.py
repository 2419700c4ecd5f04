"""A study resumed from its folder trusts nothing it has not checked.

A candidate counts as done only when results.csv and predictions.csv both
hold all of its folds, splits and lesions; the settings the folder was
started with must match, and those that may differ are recorded per run.
"""

import json

import numpy as np
import pandas as pd
import pytest

from skmultimodal import MetadataForestClassifier
from skmultimodal.model_selection import ModalityStudy

from .conftest import CountingClassifier


def study(out, **params):
    candidates = {
        "random forest meta": MetadataForestClassifier(n_estimators=10),
        "prior": CountingClassifier(),
    }
    return ModalityStudy(candidates, **{"cv": 3, "test_size": 0.25, "out": out, **params})


def fits_of_a_rerun(out, X, y, groups, **params):
    CountingClassifier.calls.update(fit=0)
    rerun = study(out, **params).run(X, y, groups=groups)
    return CountingClassifier.calls["fit"], rerun


def rewrite(path, keep):
    table = pd.read_csv(path)
    table[keep(table)].to_csv(path, index=False)


@pytest.fixture
def done(frame, tmp_path):
    X, y, groups = frame
    first = study(tmp_path / "out").run(X, y, groups=groups)
    return tmp_path / "out", first


def test_a_complete_folder_is_read_back_without_fitting(frame, done):
    out, first = done
    fits, rerun = fits_of_a_rerun(out, *frame)
    assert fits == 0 and rerun.resumed_ == ["random forest meta", "prior"]
    pd.testing.assert_frame_equal(rerun.results_, first.results_)
    pd.testing.assert_frame_equal(rerun.predictions_, first.predictions_)


@pytest.mark.parametrize(
    "damage",
    [
        # Interrupted between the two writes: predictions lack the candidate.
        lambda out: rewrite(out / "predictions.csv", lambda t: t.candidate != "prior"),
        # A fold's predictions cut short.
        lambda out: rewrite(
            out / "predictions.csv",
            lambda t: ~((t.candidate == "prior") & (t.fold == 1)) | (t.index % 2 == 0),
        ),
        # The test-set scores of a candidate lost.
        lambda out: rewrite(
            out / "results.csv", lambda t: ~((t.candidate == "prior") & (t.split == "test"))
        ),
        # Another candidate's lesions under this one's name.
        lambda out: rewrite(
            out / "predictions.csv",
            lambda t: ~((t.candidate == "prior") & (t.index == t[t.candidate == "prior"].index[0])),
        ),
    ],
    ids=["predictions-lack-it", "fold-cut-short", "test-rows-lost", "a-lesion-lost"],
)
def test_a_candidate_missing_from_either_file_is_fitted_again(frame, done, damage):
    out, first = done
    damage(out)
    fits, rerun = fits_of_a_rerun(out, *frame)
    assert fits == 3  # the prior's three folds, the forest read back
    assert rerun.resumed_ == ["random forest meta"]
    saved = pd.read_csv(out / "predictions.csv")
    assert len(saved) == len(first.predictions_)
    assert pd.read_csv(out / "results.csv").groupby("candidate").size().tolist() == [6, 6]


def test_results_without_settings_are_not_trusted(frame, done):
    out, _ = done
    (out / "settings.json").unlink()
    with pytest.raises(ValueError, match="holds results but no settings.json"):
        study(out).run(frame[0], frame[1], groups=frame[2])


@pytest.mark.parametrize(
    "params, setting",
    [({"cv": 4}, "cv"), ({"test_size": 0.2}, "test_size"), ({"random_state": 1}, "random_state")],
)
def test_other_study_settings_are_refused_by_name(frame, done, params, setting):
    out, _ = done
    # A seed of the study is also each candidate's, so both are named.
    with pytest.raises(ValueError, match=rf"other settings \(\['{setting}'"):
        study(out, **params).run(frame[0], frame[1], groups=frame[2])


def test_a_candidate_with_other_parameters_is_refused(frame, done):
    out, _ = done
    X, y, groups = frame
    changed = ModalityStudy(
        {
            "random forest meta": MetadataForestClassifier(n_estimators=20),
            "prior": CountingClassifier(),
        },
        cv=3, test_size=0.25, out=out,
    )
    with pytest.raises(ValueError, match="'random forest meta' n_estimators was 10, is 20"):
        changed.run(X, y, groups=groups)


def test_other_data_are_refused(frame, done):
    out, _ = done
    X, y, groups = frame
    y = y.copy()
    y[0] = "bcc" if y[0] != "bcc" else "nevus"
    with pytest.raises(ValueError, match=r"\['data'\].*not the same"):
        study(out).run(X, y, groups=groups)


def test_another_kind_of_device_is_refused(frame, done):
    out, _ = done
    settings = json.loads((out / "settings.json").read_text())
    # As if the folder had been started on a GPU: a CPU rerun would mix the two.
    settings["device"] = ["cuda"]
    (out / "settings.json").write_text(json.dumps(settings))
    with pytest.raises(ValueError, match=r"\['device'\]\): device was \['cuda'\]"):
        study(out).run(*frame[:2], groups=frame[2])


def test_n_jobs_may_differ_and_every_run_is_recorded(frame, done):
    out, _ = done
    rewrite(out / "results.csv", lambda t: t.candidate != "prior")
    fits, rerun = fits_of_a_rerun(out, *frame, n_jobs=-1)
    runs = json.loads((out / "settings.json").read_text())["runs"]
    assert [run["n_jobs"] for run in runs] == [None, -1]
    assert runs[0]["fitted"] == ["random forest meta", "prior"]
    assert runs[1]["fitted"] == ["prior"] and runs[1]["resumed"] == ["random forest meta"]
    assert all(run["wall_time_s"] >= 0 for run in runs)


def test_a_folder_of_an_older_version_is_not_resumed(frame, done):
    out, _ = done
    settings = json.loads((out / "settings.json").read_text())
    del settings["format"]
    (out / "settings.json").write_text(json.dumps(settings))
    with pytest.raises(ValueError, match="another version of skmultimodal"):
        study(out).run(*frame[:2], groups=frame[2])


def test_ids_read_back_keep_their_type(tmp_path):
    rng = np.random.RandomState(1)
    y = rng.choice(["nevus", "melanoma"], size=30)
    X = pd.DataFrame({"age": np.where(y == "melanoma", 70.0, 30.0)},
                     index=[f"{i:04d}" for i in range(30)])
    first = study(tmp_path, test_size=None).run(X, y)
    rerun = study(tmp_path, test_size=None).run(X, y)
    assert rerun.resumed_ == ["random forest meta", "prior"]
    assert rerun.predictions_["index"].tolist() == first.predictions_["index"].tolist()
    assert rerun.predictions_["index"].iloc[0].startswith("0")
