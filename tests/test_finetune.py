import math

import pytest
import torch
from test_prune import _record_linear

from bnntut import bayes, cli, collect, finetune, presets, prune, train
from bnntut.noise import NoiseSource


def _tune(model, dataset, **kw):
    kw.setdefault("epochs", 2)
    return finetune.fine_tune(model, dataset, lr=1e-3, batch_size=50, progress=False, **kw)


def test_bayesian_fine_tuning_keeps_the_mask_and_trains_the_survivors(bnn, dataset):
    pruned = prune.snr(bnn, 0.8)
    tuned, history = _tune(pruned, dataset)
    assert torch.equal(prune.removed_mask(tuned), prune.removed_mask(pruned))
    removed = prune.removed_mask(tuned)
    assert int(removed.sum()) == round(0.8 * removed.numel())
    moved = [(~torch.isclose(a, b)).float().mean().item()
             for (a_mu, a_rho), (b_mu, b_rho) in zip(bayes.variational_pairs(pruned),
                                                     bayes.variational_pairs(tuned))
             for a, b in ((a_mu, b_mu), (a_rho, b_rho))]
    assert max(moved) > 0.1                                  # survivors were trained
    assert all(math.isfinite(h["loss"]) for h in history)    # no −log 0 from pruned entries
    assert history[0]["complexity"] > 0


def test_bayesian_fine_tuned_weights_are_zero_in_every_sampled_forward(bnn, dataset,
                                                                       monkeypatch):
    tuned, _ = _tune(prune.snr(bnn, 0.7), dataset, epochs=1)
    weights, _ = bayes.sample_weights(tuned, bayes.draw_noise(tuned, 4, NoiseSource(3)))
    for (mu, rho), w in zip(bayes.variational_pairs(tuned), weights):
        removed = (mu == 0) & (bayes.sigma(rho) == 0)
        assert (w[:, removed] == 0).all()
    masks = [bayes.variational_tensors(layer)[0] == 0 for layer in tuned.layers]
    seen = _record_linear(monkeypatch)
    tuned.train()(torch.rand(3, 784))     # blitz's own sampled forward
    for (w, _), mask in zip(seen, masks):
        assert mask.any() and (w[mask] == 0).all()


def test_deterministic_fine_tuning_keeps_the_mask(net, dataset):
    pruned = prune.l1(net, 0.8)
    tuned, history = _tune(pruned, dataset)
    assert torch.equal(prune.removed_mask(tuned), prune.removed_mask(pruned))
    assert not any(hasattr(lin, "weight_orig") for lin in tuned.linears)   # made permanent
    changed = [not torch.equal(a, b) for a, b in zip(pruned.parameters(), tuned.parameters())]
    assert all(changed)
    assert history[-1]["train_nll"] < history[0]["train_nll"] * 1.5


def test_fine_tuning_leaves_the_pruned_model_untouched(bnn, dataset):
    pruned = prune.snr(bnn, 0.5)
    before = [t.clone() for t in bayes.variational_parameters(pruned)]
    _tune(pruned, dataset, epochs=1)
    assert all(torch.equal(a, b) for a, b in zip(before, bayes.variational_parameters(pruned)))


def test_complexity_cost_without_pruned_entries(bnn):
    """Masked cost over a pruned net = the plain cost of the survivors alone."""
    pruned = prune.snr(bnn, 0.6)
    keep = finetune.kept_masks(pruned)
    noises = bayes.draw_noise(pruned, 2, NoiseSource(0))
    weights, sigmas = bayes.sample_weights(pruned, noises)
    masked = bayes.complexity_cost(pruned, weights, noises, sigmas, keep)
    assert torch.isfinite(masked)
    spec = pruned.spec
    expected = 0.0
    for w, eps, sd, k in zip(weights, noises, sigmas, keep):
        expected += (bayes.log_gaussian(w[:, k], (w - sd * eps)[:, k], sd[k]).sum()
                     - bayes.log_mixture_prior(w[:, k], spec["prior_pi"], spec["prior_sigma1"],
                                               spec["prior_sigma2"]).sum()) / 2
    torch.testing.assert_close(masked, expected, rtol=1e-4, atol=1e-2)
    unmasked = bayes.complexity_cost(pruned, weights, noises, sigmas)
    assert not torch.isfinite(unmasked)      # why the mask is needed


def test_keep_is_for_bayesian_nets_only(net, dataset):
    with pytest.raises(ValueError, match="torch.nn.utils.prune"):
        train.fit(net, dataset, epochs=1, keep=[torch.ones(1, dtype=torch.bool)],
                  progress=False)


def test_arm_resumes_from_partial(tiny_preset, tmp_path, bnn, dataset):
    settings = {"amounts": [0.5, 0.9], "epochs": 1, "lr_factor": 0.1}
    training = {"lr": 1e-3, "seed": 0, "n_samples": 2, "kl_weighting": "paper",
                "batch_size": 50}
    partial = tmp_path / "arm.partial"
    full = finetune.arm(bnn, dataset, training, settings, mc_samples=2, progress=False,
                        partial=partial)
    assert [lv["amount"] for lv in full["by_amount"]] == [0.5, 0.9]
    assert full["criterion"] == "snr"
    for level in full["by_amount"]:
        assert level["sparsity"] == pytest.approx(level["amount"], abs=1e-4)
        assert set(level["after"]) == {"accuracy", "accuracy_mc"}
    stored = partial.read_text()
    # A rerun with the partial file present recomputes nothing.
    again = finetune.arm(bnn, dataset, training, {**settings}, mc_samples=2, progress=False,
                         partial=partial)
    assert again == full
    assert partial.read_text() == stored


def test_run_writes_and_reuses(tiny_preset, tmp_path):
    result = finetune.run("mnist", "sgd", "tiny", device="cpu", results=tmp_path,
                          progress=False)
    path = tmp_path / "tiny" / "mnist" / "sgd.finetune.json"
    assert path.exists() and not path.with_suffix(".partial").exists()
    assert [r["amount"] for r in result["by_amount"]] == list(tiny_preset.spec.finetune["amounts"])
    assert result["criterion"] == "l1"
    mtime = path.stat().st_mtime_ns
    assert finetune.run("mnist", "sgd", "tiny", device="cpu", results=tmp_path) == result
    assert path.stat().st_mtime_ns == mtime


# ------------------------------------------------------------ the schedule of the literature


def test_the_literature_schedule_of_the_presets():
    assert presets.PAPER.retrain == {"amounts": (0.9, 0.95, 0.98), "epochs": 20,
                                     "lr_factor": 1.0}
    assert presets.QUICK.retrain == {**presets.PAPER.retrain, "amounts": (0.9,), "epochs": 2}
    assert presets.PAPER.retrain_long == {"amounts": (0.98,), "epochs": 100, "lr_factor": 1.0}
    assert presets.QUICK.retrain_long == {**presets.PAPER.retrain_long, "amounts": (0.9,),
                                          "epochs": 3}
    for name in ("blundell", "blundell-cpu", "budget"):
        assert presets.get_preset(name).retrain == presets.PAPER.retrain, name
    assert presets.PAPER.finetune == {"amounts": tuple(presets.FINETUNE_AMOUNTS), "epochs": 5,
                                      "lr_factor": 0.1}                  # the study's, as was


def _spy(monkeypatch) -> dict:
    """Records the learning rates and epochs of every fine-tuning, and each (pruned, tuned)
    pair of models."""
    seen: dict = {"fit": [], "models": []}
    real_fit, real_tune = finetune.fit, finetune.fine_tune

    def fit(model, data, **kw):
        seen["fit"].append({"lr": kw["lr"], "epochs": kw["epochs"]})
        return real_fit(model, data, **kw)

    def fine_tune(pruned, data, **kw):
        tuned, history = real_tune(pruned, data, **kw)
        seen["models"].append((pruned, tuned))
        return tuned, history

    monkeypatch.setattr(finetune, "fit", fit)
    monkeypatch.setattr(finetune, "fine_tune", fine_tune)
    return seen


@pytest.mark.parametrize("method", ["sgd", "bbb"])
def test_literature_schedule_is_stored_apart_at_the_training_lr(tiny_preset, tmp_path,
                                                                 monkeypatch, method):
    study = finetune.run("mnist", method, "tiny", device="cpu", results=tmp_path,
                         progress=False)
    folder = tmp_path / "tiny" / "mnist"
    study_file = folder / f"{method}.finetune.json"
    study_bytes = study_file.read_bytes()
    seen = _spy(monkeypatch)
    result = finetune.run("mnist", method, "tiny", device="cpu", results=tmp_path,
                          progress=False, schedule="literature")
    settings = presets.thaw(tiny_preset.spec.retrain)
    assert (folder / f"{method}.retrain.json").exists()
    assert not (folder / f"{method}.retrain.partial").exists()
    assert study_file.read_bytes() == study_bytes                       # untouched
    assert finetune.load("mnist", method, "tiny", results=tmp_path) == study
    training_lr = result["config"]["training"]["train"]["lr"]
    assert result["config"]["retrain"] == settings and "finetune" not in result["config"]
    assert finetune.schedule_of(result) == {
        "schedule": "literature", "amounts": list(settings["amounts"]),
        "epochs": settings["epochs"], "lr": training_lr}
    assert finetune.schedule_of(study)["schedule"] == "study"
    assert seen["fit"] == [{"lr": training_lr, "epochs": settings["epochs"]}] * len(
        settings["amounts"])
    assert [lv["amount"] for lv in result["by_amount"]] == list(settings["amounts"])
    for level, (pruned, tuned) in zip(result["by_amount"], seen["models"]):
        assert level["sparsity"] == pytest.approx(level["amount"], abs=1e-3)
        assert torch.equal(prune.removed_mask(tuned), prune.removed_mask(pruned))
        assert [h["epoch"] for h in level["history"]] == list(range(1, settings["epochs"] + 1))
        assert all(0 <= h["test_accuracy"] <= 1 for h in level["history"])
        assert level["history"][-1]["test_accuracy"] == level["after"]["accuracy"]


def test_literature_schedule_loads_instead_of_recomputing(tiny_preset, tmp_path, monkeypatch):
    first = finetune.run("mnist", "sgd", "tiny", device="cpu", results=tmp_path,
                         progress=False, schedule="literature")
    path = tmp_path / "tiny" / "mnist" / "sgd.retrain.json"
    mtime = path.stat().st_mtime_ns
    monkeypatch.setattr(finetune, "fine_tune",
                        lambda *a, **k: pytest.fail("a current result was recomputed"))
    assert finetune.run("mnist", "sgd", "tiny", device="cpu", results=tmp_path,
                        schedule="literature") == first
    assert finetune.load("mnist", "sgd", "tiny", results=tmp_path,
                         schedule="literature") == first
    assert path.stat().st_mtime_ns == mtime
    assert collect.grid("tiny", ["mnist"], ["sgd"], kind="retrain",
                        results=tmp_path) == {"mnist": {"sgd": first}}
    assert collect.grid("tiny", ["mnist"], ["sgd"], [0], kind="retrain",
                        results=tmp_path) == {"mnist": {"sgd": {0: first}}}
    assert collect.grid("tiny", ["mnist"], ["sgd"], kind="finetune",
                        results=tmp_path) == {"mnist": {}}               # the study's: none


def test_the_longer_literature_schedule_is_a_third_result(tiny_preset, tmp_path, monkeypatch):
    literature = finetune.run("mnist", "sgd", "tiny", device="cpu", results=tmp_path,
                              progress=False, schedule="literature")
    seen = _spy(monkeypatch)
    longer = finetune.run("mnist", "sgd", "tiny", device="cpu", results=tmp_path,
                          progress=False, schedule="literature-long")
    settings = presets.thaw(tiny_preset.spec.retrain_long)
    folder = tmp_path / "tiny" / "mnist"
    assert (folder / "sgd.retrain-long.json").exists()
    assert finetune.load("mnist", "sgd", "tiny", results=tmp_path,
                         schedule="literature") == literature          # untouched
    training_lr = longer["config"]["training"]["train"]["lr"]
    assert seen["fit"] == [{"lr": training_lr, "epochs": settings["epochs"]}]
    assert finetune.schedule_of(longer) == {
        "schedule": "literature-long", "amounts": list(settings["amounts"]),
        "epochs": settings["epochs"], "lr": training_lr}
    assert [len(lv["history"]) for lv in longer["by_amount"]] == [settings["epochs"]]
    assert collect.grid("tiny", ["mnist"], ["sgd"], [0], kind="retrain-long",
                        results=tmp_path) == {"mnist": {"sgd": {0: longer}}}


@pytest.mark.parametrize("call", [finetune.run, finetune.load])
def test_an_unknown_schedule_names_the_allowed_ones(tiny_preset, tmp_path, call):
    with pytest.raises(ValueError, match="unknown fine-tuning schedule 'nope'; allowed: "
                                         "study, literature, literature-long"):
        call("mnist", "sgd", "tiny", results=tmp_path, schedule="nope")
    assert not tmp_path.joinpath("tiny").exists()                       # nothing trained


def test_cli_finetune_schedule(tiny_preset, tmp_path, capsys):
    parse = cli._parser().parse_args
    assert parse(["finetune"]).schedule == "study"
    assert parse(["finetune", "--schedule", "literature"]).schedule == "literature"
    with pytest.raises(SystemExit):
        parse(["finetune", "--schedule", "nope"])
    assert "invalid choice: 'nope'" in capsys.readouterr().err
    assert cli.main(["finetune", "--preset", "tiny", "--datasets", "mnist", "--methods", "sgd",
                     "--schedule", "literature", "--device", "cpu", "--out",
                     str(tmp_path)]) == 0
    folder = tmp_path / "tiny" / "mnist"
    assert (folder / "sgd.retrain.json").exists()
    assert not (folder / "sgd.finetune.json").exists()
