"""Building a dataset from the real shared structures, CSV inputs, and the `colim dataset` commands."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from colim.cli import cli
from colim.dataset.builder import build, read_ligand_pool
from colim.dataset.records import load_dataset
from colim.errors import LibraryError
from colim.structures.ligands import canonical_smiles
from tests.conftest import STRUCTURES

NM = STRUCTURES / "nanomodeler_au_sr"
REAL = [NM / "au25_pet18.gro", NM / "au38_pet24.gro", NM / "au102_pmba44.gro", STRUCTURES / "au_sch3_dft"]
PET, PMBA = "[S]CCc1ccccc1", "O=C(O)c1ccc([S])cc1"
POOL = ["c1ccc(P(c2ccccc2)c2ccccc2)cc1", "C#Cc1ccccc1", "CC(=O)O", "CCCCCCCCCCCCS", "Cl", "c1ccncc1", "[Se]c1ccccc1"]


@pytest.fixture(scope="module")
def pool_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("pool") / "pool.smi"
    path.write_text("# extra ligands\n" + "\n".join(f"{s} ligand{i}" for i, s in enumerate(POOL)) + "\n")
    return path


@pytest.fixture(scope="module")
def real(pool_file):
    return build(REAL, seed=7, ligand_pool=pool_file)


def test_real_structures_give_the_expected_cores_and_ligands(real):
    ds, report = real
    positives = {ds.cores[p.core_index].info["id"]: (ds.cores[p.core_index], p.ligand_set) for p in ds.pairs if p.label == 1}
    core, ligands = positives["au25_pet18"]
    assert core.get_chemical_formula() == "Au25" and ligands.key == PET and ligands.ratios == (18.0,)
    assert positives["au38_pet24"][0].get_chemical_formula() == "Au38" and positives["au38_pet24"][1].key == PET
    assert positives["au102_pmba44"][0].get_chemical_formula() == "Au102" and positives["au102_pmba44"][1].key == PMBA
    for n in (18, 25, 28, 36, 38, 44):
        core, ligands = positives[f"au{n}_opt"]
        assert core.get_chemical_formula() == f"Au{n}" and ligands.key == "C[S]"
    assert len(positives) == 9
    assert report.skipped == [(str(STRUCTURES / "au_sch3_dft" / "au20_opt.xyz"), "no ligand perceived (bare Au20 cluster) and none given")]


def test_real_dataset_types_balance_and_split(real):
    ds, report = real
    types = {c.info["id"]: c.info["core_type"] for c in ds.cores}
    # Au25 and Au38 are reported with PET (gro) and SCH3 (DFT) on one geometry: type II.
    assert types["au25_pet18"] == types["au25_opt"] == "II"
    assert types["au38_pet24"] == types["au38_opt"] == "II"
    assert types["au102_pmba44"] == types["au18_opt"] == "I"
    labels = [p.label for p in ds.pairs]
    assert labels.count(0) == labels.count(1) == 9
    kinds = {label: sorted(len(p.ligand_set) for p in ds.pairs if p.label == label and ds.cores[p.core_index].info["core_type"] == "II")
             for label in (0, 1)}
    assert kinds[0] == kinds[1] and kinds[1]  # type II negatives: the positives' kind counts, no shortcut
    sides = {}
    for p in ds.pairs:
        sides.setdefault(p.group, set()).add(p.split)
    assert all(len(s) == 1 for s in sides.values())
    assert {p.split for p in ds.pairs} == {"train", "val", "test"}
    assert ds.params["seed"] == 7 and ds.params["ligand_pool_size"] == len(POOL)
    assert str(NM / "au25_pet18.gro") in ds.input_hashes and len(ds.input_hashes) == 11  # 3 gro, 7 xyz, the pool


def test_csv_rows_supply_ligands_and_reported_negatives(tmp_path):
    gro = NM / "au25_pet18.gro"
    (tmp_path / "rows.csv").write_text(
        "structure,ligands,label\n"
        f"{gro},,\n"
        f"{STRUCTURES / 'au_thiolate_cifs' / '25_18.cif'},CCCCCC[S],1\n"
        f"{gro},c1ccc(P(c2ccccc2)c2ccccc2)cc1,0\n"
        f"{gro},,2\n"
    )
    ds, report = build([tmp_path / "rows.csv"], seed=1)
    keys = sorted((p.ligand_set.key, p.label, p.origin) for p in ds.pairs)
    assert ("CCCCCC[S]", 1, "reported") in keys and (PET, 1, "reported") in keys
    assert ("c1ccc(P(c2ccccc2)c2ccccc2)cc1", 0, "reported_negative") in keys
    assert report.skipped == [(f"{tmp_path / 'rows.csv'}:5", "label must be 0 or 1, got 2")]


def test_cli_build_and_stats_on_real_structures(tmp_path, pool_file):
    runner = CliRunner()
    out = tmp_path / "d.h5"
    args = ["dataset", "build", str(NM / "au25_pet18.gro"), str(STRUCTURES / "au_sch3_dft"), str(STRUCTURES / "au_thiolate_cifs" / "15_12.cif"),
            "-o", str(out), "--ligand-pool", str(pool_file), "--seed", "2"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "1 anchor-only structure(s)" in result.output and "15_12.cif (Au15)" in result.output
    ds = load_dataset(out)
    assert len(ds.cores) == 7 and ds.params["seed"] == 2
    again = runner.invoke(cli, args)
    assert again.exit_code == 1 and again.output.strip() == f"Error: {out} exists; pass --overwrite to replace it"
    placeholder = runner.invoke(cli, args + ["--overwrite", "--anchor-placeholder", "--silent"])
    assert placeholder.exit_code == 0 and placeholder.output == ""
    assert len(load_dataset(out).cores) == 8
    stats = runner.invoke(cli, ["dataset", "stats", str(out), "-o", str(tmp_path / "s.png")])
    assert stats.exit_code == 0, stats.output
    assert "## Nuclearity (metal atoms per core)" in stats.output and "monometallic" in stats.output
    assert "## Cores per metal composition" in stats.output
    ds = load_dataset(out)
    positives = {s for p in ds.pairs if p.label == 1 for s in p.ligand_set.smiles}
    assert f"positive ligands (distinct SMILES)  {len(positives):>5}" in stats.output
    assert len(positives) == 2  # PET (au25_pet18.gro) and SCH3 (the DFT files, the placeholder)
    assert (tmp_path / "s.png").read_bytes()[:4] == b"\x89PNG"


def test_cli_errors_are_one_line(tmp_path):
    runner = CliRunner()
    missing = runner.invoke(cli, ["dataset", "stats", str(tmp_path / "none.h5")])
    assert missing.exit_code == 1 and missing.output.strip() == f"Error: {tmp_path / 'none.h5'}: no such dataset file"
    bad = runner.invoke(cli, ["dataset", "build", str(NM / "au25_pet18.gro"), "-o", str(tmp_path / "x.h5"), "--split", "0.8,0.2"])
    assert bad.exit_code == 1 and bad.output.strip() == "Error: --split must be three fractions like 0.8,0.1,0.1, got '0.8,0.2'"
    bare = runner.invoke(cli, ["dataset", "build", str(STRUCTURES / "au_sch3_dft" / "au20_opt.xyz"), "-o", str(tmp_path / "x.h5"), "--silent"])
    assert bare.exit_code == 1
    assert bare.output.strip() == f"Error: no core with a ligand set among the inputs: skipped {STRUCTURES / 'au_sch3_dft' / 'au20_opt.xyz'}: no ligand perceived (bare Au20 cluster) and none given"


def test_ligand_pool_keeps_triple_bonds_and_reports_bad_lines(tmp_path, pool_file):
    assert read_ligand_pool(pool_file) == sorted(canonical_smiles(s) for s in POOL)
    (tmp_path / "bad.smi").write_text("C#C\nnot_a_smiles\n")
    with pytest.raises(LibraryError) as err:
        read_ligand_pool(tmp_path / "bad.smi")
    assert str(err.value) == f"{tmp_path / 'bad.smi'}:2: invalid SMILES 'not_a_smiles'"
