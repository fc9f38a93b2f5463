"""A small real model (cgcnn + fingerprint, random weights, non-trivial BatchNorm statistics) saved as
a checkpoint, and core/ligand libraries built from the shipped structures and real ligand SMILES."""

from __future__ import annotations

import pytest
import torch

from colim.libraries.core_library import add_core_embeddings, write_core_library
from colim.libraries.encoder_info import encoder_info
from colim.libraries.ligand_library import Ligand, build_ligand_library
from colim.model.checkpoint import save_checkpoint
from colim.model.dual_encoder import CoLiMModel
from colim.plugins.manager import create_core_encoder, create_ligand_encoder
from colim.structures.core import read_core
from colim.structures.families import ligand_family
from colim.structures.ligands import canonical_smiles
from tests.conftest import STRUCTURES

LIGAND_SMILES = {
    "PET": "[S]CCc1ccccc1", "SCH3": "[S]C", "PPh3": "c1ccc(P(c2ccccc2)c2ccccc2)cc1", "HCOO": "[O]C=O",
    "MeCOO": "CC(=O)[O]", "PhC2": "[C]#Cc1ccccc1", "Cl": "[Cl]", "SPh": "[S]c1ccccc1", "TBBT": "[S]c1ccc(cc1)C(C)(C)C",
}
CORE_FILES = ("au18_opt.xyz", "au20_opt.xyz", "au25_opt.xyz", "au28_opt.xyz", "au36_opt.xyz")


def make_model(seed: int) -> CoLiMModel:
    torch.manual_seed(seed)
    model = CoLiMModel(create_core_encoder("cgcnn", embedding_dim=32, num_layers=2), create_ligand_encoder("fingerprint", embedding_dim=32),
                       hidden_dims=(64, 32))
    with torch.no_grad():
        model.head.norm.running_mean.normal_(0.0, 0.5)
        model.head.norm.running_var.uniform_(0.3, 3.0)
        model.head.norm.weight.normal_(1.0, 0.3)
        model.head.norm.bias.normal_(0.0, 0.3)
    return model.eval()


@pytest.fixture(scope="session")
def screen_setup(tmp_path_factory) -> dict:
    root = tmp_path_factory.mktemp("screen")
    models = [make_model(seed) for seed in (0, 1)]
    paths = [root / f"model{seed}.pt" for seed in (0, 1)]
    for model, path in zip(models, paths):
        save_checkpoint(model, path, {"seed": 0})
    cores = [read_core(STRUCTURES / "au_sch3_dft" / name) for name in CORE_FILES]
    cores[1].info.update(parent="au20_parent", operator="remove", site="3", depth=1)
    core_lib = root / "cores.h5"
    write_core_library(core_lib, cores, embeddings=models[0].core_encoder.encode(cores), encoder_info=encoder_info(models[0].core_encoder))
    add_core_embeddings(core_lib, models[1].core_encoder.encode(cores), encoder_info(models[1].core_encoder))
    ligands = [Ligand(canonical_smiles(s), name, ligand_family(canonical_smiles(s))) for name, s in LIGAND_SMILES.items()]
    ligand_lib = root / "ligands.h5"
    build_ligand_library(ligand_lib, ligands, [m.ligand_encoder for m in models], max_kinds=2)
    return {"root": root, "models": models, "paths": paths, "cores": cores, "core_lib": core_lib, "ligand_lib": ligand_lib}

