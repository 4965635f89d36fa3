"""One-off migration (store v2): record the inputs of every committed result.

Results written before :mod:`bnntut.store` recorded what they were computed from.  This adds,
without touching any number:

* to a trained model's result: ``inputs`` (SHA-256 of the dataset's IDX files) and
  ``weights_sha256`` (of its weights file, where that file is here);
* to a derived result (criteria, fine-tuning, uncertainty, compression): ``inputs`` naming the
  training result's hash and the SHA-256 of its weights; the uncertainty and compression
  results' former ``training`` field becomes ``inputs``.

Before anything is written, every model whose weights are here is evaluated on the test set
of the data files recorded now, and its unpruned accuracy must equal the committed one: the
data digests are those of the files the runs were trained and tested on.
``tests/test_store.py`` checks that every committed number is unchanged (digests of each file
without its identity fields, taken before the migration).

Usage: ``BNNTUT_DATA=../shared/data python scripts/migrate_results_inputs.py [results]``
"""

from __future__ import annotations

import sys
from pathlib import Path

from bnntut import evaluate, experiment, store
from bnntut.uncertainty import OOD_DATASETS


def _training_inputs(result_file: Path) -> dict:
    stored = store.read_json(result_file)
    return {"training": stored["config_hash"], "weights_sha256": stored.get("weights_sha256")}


def migrate(root: Path) -> list[Path]:
    changed = []
    files = sorted(root.glob("*/*/*.json"), key=lambda p: (p.name.count(".") > 1, p))
    for path in files:              # trained models' results first, then derived ones
        stored = store.read_json(path)
        stem, kinds = path.name.split(".")[0], path.name.split(".")[1:-1]
        if kinds:            # <method>.<kind>.json: derived from <method>.json
            inputs = _training_inputs(path.with_name(f"{stem}.json"))
            if kinds == ["uncertainty"]:
                legacy = stored.pop("training", None)
                if legacy and legacy["weights_sha256"] != inputs["weights_sha256"]:
                    raise SystemExit(f"{path}: computed from other weights than {stem}.json")
                dataset = stored["config"]["dataset"]
                inputs.update(store.data_inputs(dataset))
                inputs.update(store.data_inputs(OOD_DATASETS[dataset]))
        elif "weights_sha256" not in stored or "inputs" not in stored:
            weights = path.with_name(f"{stem}.weights.pt")
            inputs = store.data_inputs(stored["config"]["dataset"])
            if weights.exists():
                model = experiment.load_weights(weights)
                data = experiment.Run(stored["config"], path.parent).load_data()
                accuracy = evaluate.accuracy(model, data.x_test, data.y_test)
                committed = stored["history"][-1]["test_accuracy"]
                if abs(accuracy - committed) > 1e-6:
                    raise SystemExit(f"{path}: accuracy {accuracy} on these data files, "
                                     f"committed {committed}")
                stored["weights_sha256"] = store.file_sha256(weights)
        else:
            continue
        if stored.get("inputs") != inputs:
            stored["inputs"] = inputs
            store.write_json(path, stored)
            changed.append(path)
    for path in sorted(root.glob("*/compression-*.json")):
        stored = store.read_json(path)
        legacy = stored.pop("training", None)
        if legacy is None:
            continue
        inputs = {}
        for dataset, methods in legacy.items():
            for method, identity in methods.items():
                current = _training_inputs(path.parent / dataset / f"{method}.json")
                if identity["weights_sha256"] != current["weights_sha256"]:
                    raise SystemExit(f"{path}: measured other weights than {dataset}/{method}")
                inputs[f"{dataset}/{method}/training"] = current["training"]
                inputs[f"{dataset}/{method}/weights_sha256"] = current["weights_sha256"]
        stored["inputs"] = inputs
        store.write_json(path, stored)
        changed.append(path)
    return changed


if __name__ == "__main__":
    root = Path(sys.argv[1] if len(sys.argv) > 1 else experiment.results_dir())
    for path in migrate(root):
        print("migrated", path)
