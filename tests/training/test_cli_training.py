"""colim train / evaluate / pretrain / compare end to end on tiny real data."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from colim.model.checkpoint import load_checkpoint, load_encoder_checkpoint
from colim.cli import cli
from colim.training import pretraining
from colim.pretrain_data import load_pretraining_set
from tests.conftest import DATA

PRETRAIN = DATA / "pretrain" / "ml_au_dft_subset.extxyz.gz"
TINY = ["--core-args", '{"embedding_dim": 16, "num_layers": 1}', "--ligand-args", '{"embedding_dim": 16, "n_bits": 256}',
        "--hidden-dims", "16", "--batch-size", "8"]


def run(args: list[str]):
    return CliRunner().invoke(cli, args, catch_exceptions=False)


def test_train_seeds_then_evaluate_writes_json_and_pngs(tiny_ds_path, tmp_path):
    out = tmp_path / "ens"
    result = run(["train", "--dataset", tiny_ds_path, "--seeds", "0,1", "--epochs", "3", *TINY, "-o", str(out), "--silent"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "ensemble.json").read_text())
    assert manifest["checkpoints"] == ["seed-0.pt", "seed-1.pt"]
    model, info = load_checkpoint(out / "seed-1.pt", expect_core="cgcnn", expect_ligand="fingerprint")
    assert info["metadata"]["seed"] == 1 and info["metadata"]["config"]["epochs"] == 3
    report_dir = tmp_path / "eval"
    result = run(["evaluate", "--dataset", tiny_ds_path, "--model", str(out), "--bootstrap", "50", "--top-k", "2", "-o", str(report_dir)])
    assert result.exit_code == 0, result.output
    for name in ("roc.png", "reliability.png", "confusion.png", "tsne.png"):
        assert (report_dir / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = json.loads((report_dir / "evaluation.json").read_text())
    assert report["pairs"] == 6 and report["positives"] == 2 and len(report["models"]) == 2
    assert [m["seed"] for m in report["models"]] == [0, 1]
    assert sum(map(sum, report["confusion_matrix"])) == 6
    assert set(report["bootstrap_ci95"]) == {"auc", "accuracy", "precision", "recall", "f1"}
    assert report["topk_stability"]["model_pairs"] == 1 and report["topk_stability"]["k"] == 2
    assert 0.0 <= report["topk_stability"]["overlap_at_k"] <= 1.0
    assert report["embedding_clusters"]["davies_bouldin"] > 0 and report["trained_on_this_dataset"] is True
    assert "top-2 stability across models" in result.output
    again = run(["evaluate", "--dataset", tiny_ds_path, "--model", str(out), "-o", str(report_dir)])
    assert again.exit_code == 1 and f"Error: {report_dir / 'evaluation.json'} exists; pass --overwrite to replace it" in again.output


def test_train_option_errors_are_one_line(tiny_ds_path, tmp_path):
    result = run(["train", "--dataset", tiny_ds_path, "--seeds", "0,x", "-o", str(tmp_path / "m.pt")])
    assert result.exit_code == 1 and result.output.strip() == "Error: --seeds must be comma-separated integers, got '0,x'"
    result = run(["train", "--dataset", tiny_ds_path, "--seeds", "0,1", "-o", str(tmp_path / "m.pt")])
    assert result.output.strip() == "Error: --seeds trains 2 models: give -o a directory (one checkpoint per seed), not m.pt"
    result = run(["train", "--dataset", tiny_ds_path, "--core-encoder", "nope", "-o", str(tmp_path / "m.pt")])
    assert result.exit_code == 1 and result.output.startswith("Error: unknown core encoder 'nope'; choose from: ")


def test_pretrain_reports_mae_next_to_mean_predictor_and_fine_tunes(tiny_ds_path, tmp_path):
    enc = tmp_path / "core.pt"
    result = run(["pretrain", "--data", str(PRETRAIN), "--limit", "60", "--epochs", "2", "--batch-size", "16",
                  "--core-args", '{"embedding_dim": 16, "num_layers": 1}', "-o", str(enc)])
    assert result.exit_code == 0, result.output
    assert "e_form: 60 clusters (train 48, val 6, test 6)" in result.output and "mean predictor: MAE" in result.output
    encoder, info = load_encoder_checkpoint(enc, expect="cgcnn")
    meta = info["metadata"]
    assert meta["split_sizes"] == {"train": 48, "val": 6, "test": 6}
    assert meta["metrics"]["test"]["mae"] > 0 and meta["metrics"]["mean_predictor_test"]["mae"] > 0
    assert meta["limit"] == 60
    model = tmp_path / "ft.pt"
    result = run(["train", "--dataset", tiny_ds_path, "--pretrained-core", str(enc), "--epochs", "1", "--hidden-dims", "16",
                  "--batch-size", "8", "-o", str(model), "--silent"])
    assert result.exit_code == 0, result.output
    assert load_checkpoint(model)[1]["metadata"]["pretrained_core"]["metadata"]["target"] == "e_form"
    result = run(["train", "--dataset", tiny_ds_path, "--core-encoder", "gin", "--pretrained-core", str(enc), "-o", str(tmp_path / "x.pt")])
    assert result.output.strip() == "Error: checkpoint was trained with core encoder 'cgcnn' but 'gin' was requested"


def test_compare_cross_validates_every_row_with_baselines_and_intervals(tiny_ds_path, tmp_path):
    out = tmp_path / "bench"
    result = run(["compare", "--dataset", tiny_ds_path, "--rows", "SOAP,CGCNN,pretrained,only,prior,constant", "--seeds", "0,1", "--epochs", "2",
                  "--folds", "3", "--core-args", '{"embedding_dim": 16, "num_layers": 1}', "--hidden-dims", "16", "--batch-size", "8",
                  "-o", str(out), "--silent"])
    assert result.exit_code == 0, result.output
    rows = json.loads((out / "comparison.json").read_text())["rows"]
    assert [r["model"] for r in rows] == ["SOAP + XGBoost", "CGCNN", "CoLiM (pretrained)", "Ligand only", "Core only", "Family prior", "Kinds prior", "Constant 0.5"]
    by = {r["model"]: r for r in rows}
    for name in ("SOAP + XGBoost", "CGCNN", "Ligand only", "Core only"):  # 3 folds x 2 seeds
        assert by[name]["status"] == "ok" and len(by[name]["runs"]) == 6 and by[name]["folds_used"] == 3
        auc = by[name]["auc"]
        assert 0 <= auc["ci_low"] <= auc["mean"] <= auc["ci_high"] <= 1 and auc["n"] == 6
    assert by["CoLiM (pretrained)"]["status"] == "no --pretrained-core given"
    assert by["Constant 0.5"]["auc"]["mean"] == 0.5 and len(by["Constant 0.5"]["runs"]) == 3
    # every tiny-dataset positive is a thiolate and every negative is not: the family prior separates them
    assert by["Family prior"]["auc"]["mean"] == 1.0
    lines = result.stdout.splitlines()
    assert lines[1] == "grouped cross-validation: 3 fold(s) used, 0 skipped"
    assert lines[2].split() == ["model", "AUC", "[95%", "CI]", "accuracy", "f1", "n"]
    assert any(line.startswith("CGCNN ") and "±" in line and "[" in line for line in lines)
    assert (out / "comparison.csv").read_text().splitlines()[0].startswith("scheme,model,core_encoder,ligand_encoder,status,folds,runs,seconds,auc_mean,auc_std,auc_ci_low")


def test_compare_skips_folds_without_both_classes_and_says_why(tiny_ds_path, tmp_path):
    out = tmp_path / "bench"
    result = run(["compare", "--dataset", tiny_ds_path, "--rows", "constant", "--cv", "family,metal", "-o", str(out), "--silent"])
    assert result.exit_code == 0, result.output
    assert "  skipped without phosphine: the held-out pairs (phosphine) have no positives" in result.stdout.splitlines()
    assert "  skipped without Au: every core holds Au: no metal to train without" in result.stdout.splitlines()
    rows = json.loads((out / "comparison.json").read_text())["rows"]
    assert [(r["scheme"], r["status"]) for r in rows] == [("family", "no usable fold"), ("metal", "no usable fold")]


def test_descriptor_rows_say_not_installed_without_the_dscribe_plugin(tiny_ds_path, tmp_path, monkeypatch, fresh_plugins):
    monkeypatch.setenv("COLIM_LOAD_PLUGINS", "")  # built-ins only: no colim-dscribe
    out = tmp_path / "bench"
    result = run(["compare", "--dataset", tiny_ds_path, "--rows", "MBTR,ACSF", "--seeds", "0", "-o", str(out), "--silent"])
    assert result.exit_code == 0, result.output
    assert [line.split()[-2:] for line in result.stdout.splitlines()[4:6]] == [["not", "installed"], ["not", "installed"]]
    rows = json.loads((out / "comparison.json").read_text())["rows"]
    assert [(r["model"], r["status"], r["auc"]["mean"]) for r in rows] == [("MBTR + XGBoost", "not installed", None), ("ACSF + XGBoost", "not installed", None)]


def test_pretrain_limit_draws_a_random_subset_across_cluster_sizes(tmp_path, monkeypatch):
    """The ML-Au subset is sorted by size: --limit must not take only its smallest clusters."""
    seen = {}

    def record(encoder, structures, target, config, seed, silent):
        seen["sizes"] = sorted({len(a) for a in structures})
        seen["count"] = len(structures)
        raise SystemExit(0)

    monkeypatch.setattr(pretraining, "pretrain_encoder", record)
    run(["pretrain", "--data", str(PRETRAIN), "--limit", "60", "-o", str(tmp_path / "x.pt"), "--silent"])
    first_sizes = {len(a) for a in load_pretraining_set(PRETRAIN, limit=60)}
    assert seen["count"] == 60
    assert len(first_sizes) == 1 and len(seen["sizes"]) >= 8
