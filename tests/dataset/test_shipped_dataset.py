"""The shipped dataset (libraries/dataset/shared_structures.h5): built from the current structures, real ligands."""

from __future__ import annotations

from pathlib import Path

from colim.dataset.records import load_dataset
from colim.dataset.stats import dataset_stats, metal_composition
from colim.hashing import file_sha256

ROOT = Path(__file__).resolve().parents[2]
DATASET = ROOT / "libraries" / "dataset" / "shared_structures.h5"
DS = load_dataset(DATASET)


def _positives_of(source_name: str) -> set[str]:
    return {p.ligand_set.key for p in DS.pairs if p.label == 1 and DS.cores[p.core_index].info["source"].endswith(source_name)}


def test_it_was_built_from_the_files_in_the_repository():
    """Every input hash matches the file now in the repo: rerun step 1 of libraries/build.sh after changing one."""
    stale = [path for path, digest in DS.input_hashes.items() if file_sha256(ROOT / path) != digest]
    assert stale == []
    assert "tests/data/structures/nc_database/fully_protected/au28_tbbt20_opt.xyz" in DS.input_hashes


def test_it_holds_at_least_ten_distinct_positive_ligands_with_their_real_smiles():
    positives = {s for p in DS.pairs if p.label == 1 for s in p.ligand_set.smiles}
    assert len(positives) >= 10
    assert {"CC(C)(C)c1ccc([S])cc1", "[S]C12CC3CC(CC(C3)C1)C2", "[S]C1CCCCC1", "Cc1ccc([S])c(C)c1"} <= positives
    assert "[SH]" not in positives  # H-capped anchors are placeholders, not a ligand
    assert _positives_of("au28_tbbt20_opt.xyz") == {"CC(C)(C)c1ccc([S])cc1"}


def test_a_core_reported_with_several_thiolates_is_type_ii():
    """Au36: SCH3 (DFT), cyclopentanethiolate (NanoModeler) and TBBT (NC_Database) on one geometry."""
    tbbt = next(c for c in DS.cores if c.info["source"].endswith("au36_tbbt24_opt.xyz"))
    klass = tbbt.info["geometry_class"]
    sets = {p.ligand_set.key for p in DS.pairs if p.label == 1 and DS.cores[p.core_index].info["geometry_class"] == klass}
    assert tbbt.info["core_type"] == "II"
    assert sets == {"C[S]", "[S]C1CCCC1", "CC(C)(C)c1ccc([S])cc1"}


def test_stats_count_metals_type_ii_negatives_and_distinct_positive_sets():
    stats = dataset_stats(DS)
    size = stats["size"]
    assert size["positive ligand sets (distinct)"] == len({p.ligand_set.key for p in DS.pairs if p.label == 1})
    assert size["cores with a stated charge"] == size["cores with an oxidation state"] == 52  # NC_Database's charges
    assert size["type II negatives"] == sum(1 for p in DS.pairs if p.label == 0 and DS.cores[p.core_index].info["core_type"] == "II")
    assert sum(row["cores"] for row in stats["metals"].values()) == len({p.core_index for p in DS.pairs})
    assert {"Au", "AuPd", "AuPt", "AuCd", "AuHg"} <= set(stats["metals"])
    assert metal_composition(next(c for c in DS.cores if c.info["source"].endswith("Au19Cd2_full_ligands.xyz"))) == "AuCd"
