"""bnntut.collect.grid: the one loader of a preset's grid of results — loads only unless asked
to compute, one shape per call, derived results only beside a current training result."""

import warnings

import pytest

from bnntut import collect, experiment, store


@pytest.fixture
def results(tmp_path, tiny_preset):
    return tmp_path / "results"


def _no_training(*args, **kwargs):
    raise AssertionError("loading must never train")


def test_loading_never_computes_and_leaves_missing_results_out(results, monkeypatch):
    monkeypatch.setattr(experiment, "fit", _no_training)
    for kind in collect.KINDS:
        flat = collect.grid("tiny", ["mnist"], ["sgd", "bbb"], kind=kind, results=results)
        assert flat == {"mnist": {}}, kind
    by_seed = collect.grid("tiny", ["mnist"], ["sgd"], [0, 1], results=results)
    assert by_seed == {"mnist": {"sgd": {}}}
    assert not results.exists()


def test_one_shape_per_call_and_the_preset_as_default(results, tiny_preset):
    computed = collect.grid("tiny", ["mnist"], ["sgd"], compute=True, results=results)
    stored = experiment.run("mnist", "sgd", "tiny", results=results, progress=False)
    assert computed == {"mnist": {"sgd": stored}}                   # the preset's own seed
    assert collect.grid(tiny_preset.spec, ["mnist"], ["sgd"], [0], results=results) == {
        "mnist": {"sgd": {0: stored}}}
    everything = collect.grid("tiny", results=results)              # its datasets and methods
    assert list(everything) == list(tiny_preset.spec.datasets)
    assert everything["mnist"] == {"sgd": stored}


def test_derived_results_need_a_current_training_result(results, tiny_preset):
    crit = collect.grid("tiny", ["mnist"], ["sgd"], kind="criteria", compute=True,
                        results=results)["mnist"]["sgd"]
    assert collect.grid("tiny", ["mnist"], ["sgd"], kind="criteria",
                        results=results) == {"mnist": {"sgd": crit}}
    # another training configuration: the training result and what derives from it are stale
    tiny_preset.change(evaluation={**tiny_preset.spec.evaluation, "amounts": [0.0, 0.9]})
    with warnings.catch_warnings():
        warnings.simplefilter("error", store.StaleResultWarning)        # left out, silently
        assert collect.grid("tiny", ["mnist"], ["sgd"], kind="criteria",
                            results=results) == {"mnist": {}}
        assert collect.grid("tiny", ["mnist"], ["sgd"], results=results) == {"mnist": {}}


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"kind": "weights"}, "unknown kind of result 'weights'; allowed: training, criteria, "
                          "finetune, retrain, retrain-long, uncertainty"),
    ({"kind": "uncertainty", "seeds": [0, 1]}, "allowed: seeds=None"),
    ({"methods": ["adam"]}, "unknown method 'adam'"),
    ({"preset": "huge"}, "unknown preset 'huge'")])
def test_bad_input_is_one_clear_error(results, kwargs, message):
    kwargs = {"preset": "tiny", "datasets": ["mnist"], "results": results, **kwargs}
    with pytest.raises(ValueError, match=message):
        collect.grid(kwargs.pop("preset"), **kwargs)
