#!/usr/bin/env bash
# Rebuild every shipped default under libraries/ from the real structures in tests/data/structures
# (a copy of the project's shared/data), MetaLig's Cu/Ag/Au complexes (MIT; ../shared/data/metalig where it
# exists, else the same complexes shipped in libraries/metalig) and project-generated clusters. Run from anywhere:
#   bash libraries/build.sh
# The shipped libraries/models/cgcnn_eform.pt (physics atom features, LayerNorm readout) was pretrained
# on three sources, each with its own E_form head (docs/pretraining.md): 800 ML-Au DFT Au clusters, the
# 360 NC_Database Ag-doped frameworks (GPL-3.0) and 800 of 1,500 EMT Ag/Cu/Au/Pd/Pt clusters; step 2
# reruns only with PRETRAIN=1 (pretraining: 2.9 min CPU, 9 min wall on a loaded 2-core machine), from ../shared/data
# where it exists, else from the subsets shipped in tests/data/pretrain.
set -euo pipefail
cd "$(dirname "$0")/.."
L=libraries
S=tests/data/structures
FULL_SET=../shared/data/pretrain/ml_au_dft.extxyz.gz
[ -f "$FULL_SET" ] || FULL_SET=tests/data/pretrain/ml_au_dft_subset.extxyz.gz
NC_DATABASE=../shared/data/structures/nc_database
[ -f "$NC_DATABASE/NC_Database.sqlite" ] || NC_DATABASE=tests/data/pretrain/nc_database_subset
METALIG=../shared/data/metalig
[ -f "$METALIG/complexes.csv.gz" ] || METALIG=$L/metalig
PRETRAIN_DATA=${PRETRAIN_DATA:-$FULL_SET}
PRETRAIN_WORK=${PRETRAIN_WORK:-$(mktemp -d)}
SEEDS=${SEEDS:-0,1,2}
mkdir -p $L/dataset $L/models $L/cores

# 1. The core-ligand matching dataset from every real structure in tests/data/structures (the shared
#    Au thiolate CIFs, NanoModeler and SCH3 DFT files, and the NC_Database copy: GPL-3.0, see its README):
#    full ligands give their real SMILES, S-anchor-only frameworks the C[S] placeholder; negatives come
#    from the shipped ligand list (Ag/Cu ligands included) as well as the perceived ligands. Cores of
#    clusters NC_Database's table (nc_database/NC_Database.sqlite) lists carry its charge and their metals'
#    mean formal oxidation state, the cgcnn oxidation-state input (docs/dataset.md).
colim dataset build $S --anchor-placeholder --ligand-pool $L/ligands/ligands.csv --seed 0 \
    -o $L/dataset/shared_structures.h5 --overwrite --silent
colim dataset stats $L/dataset/shared_structures.h5 -o $L/dataset/shared_structures_stats.png --overwrite > $L/dataset/shared_structures_stats.txt

# 2. Pretrain the cgcnn core encoder on three metals: DFT E_form of gas-phase Au clusters (ML-Au), of the
#    NC_Database Ag-doped Au frameworks (metal cores, fitted references) and EMT Ag/Cu/alloy clusters.
if [ "${PRETRAIN:-0}" = 1 ] || [ ! -f $L/models/cgcnn_eform.pt ]; then
    colim pretrain-data nc-database "$NC_DATABASE" -o "$PRETRAIN_WORK/nc_auag.extxyz.gz" --overwrite > /dev/null
    colim pretrain-data generate -o "$PRETRAIN_WORK/emt_agcu_1500.extxyz.gz" --n 1500 --elements Ag,Cu,Au,Pd,Pt \
        --sizes 10-80 --seed 11 --overwrite --silent
    OMP_NUM_THREADS=1 colim pretrain --data "$PRETRAIN_DATA" --data "$PRETRAIN_WORK/emt_agcu_1500.extxyz.gz" --data "$PRETRAIN_WORK/nc_auag.extxyz.gz" \
        --limit 800 --target e_form --core-encoder cgcnn --core-args '{"embedding_dim": 32, "atom_features": "physics"}' \
        --epochs 12 --patience 3 --batch-size 32 --seed 0 -o $L/models/cgcnn_eform.pt --overwrite --silent
fi

# 3. Pair pretraining on MetaLig, then fine-tuning on the clusters (issue 18). The MetaLig dataset: one
#    single-atom core per (metal, oxidation state) of 21,389 Cu/Ag/Au CSD complexes, frequency-matched
#    negatives seen on another metal and never on this one, split by ligand scaffold (docs/dataset.md).
#    The pair model: cgcnn (physics atom features; the oxidation state and the element composition as
#    inputs, the message-passing part gated from zero, colim/encoders/graph.py) + the fingerprint ligand
#    encoder (Morgan counts + RDKit descriptors: 2 ms per ligand, where ligchem's conformer and morfeus
#    sterics took 0.61 s, about 1 h for the dataset's 5,874 ligands, on a loaded 2-core machine).
colim dataset build "$METALIG" --metals Cu,Ag,Au --seed 0 -o "$PRETRAIN_WORK/metalig.h5" --overwrite --silent
OMP_NUM_THREADS=1 colim train --dataset "$PRETRAIN_WORK/metalig.h5" --core-encoder cgcnn --ligand-encoder fingerprint \
    --core-args '{"embedding_dim": 32, "atom_features": "physics", "oxidation_state": true, "composition": true}' \
    --ligand-args '{"embedding_dim": 64}' --hidden-dims 64 --epochs 15 --patience 4 --batch-size 128 --seeds 0 \
    -o $L/models/pair_metalig.pt --overwrite --silent
colim evaluate --dataset "$PRETRAIN_WORK/metalig.h5" --model $L/models/pair_metalig.pt --bootstrap 200 \
    -o "$PRETRAIN_WORK/pair_evaluation" --overwrite --silent
cp "$PRETRAIN_WORK/pair_evaluation/evaluation.json" $L/models/pair_metalig_evaluation.json
#    Fine-tune the pair model on the clusters, one model per seed: the default ensemble. Every checkpoint
#    carries its applicability-domain reference (training elements, families, embeddings, thresholds
#    calibrated on the validation split) and names the pair model it started from.
OMP_NUM_THREADS=1 colim train --dataset $L/dataset/shared_structures.h5 --core-encoder cgcnn --ligand-encoder fingerprint \
    --init-model $L/models/pair_metalig.pt --hidden-dims 64 --lr 2e-4 --epochs 30 --patience 5 --seeds "$SEEDS" \
    -o $L/models/default --overwrite --silent

# 4. Its test-set metrics (with bootstrap CIs and top-k stability) for the model card.
colim evaluate --dataset $L/dataset/shared_structures.h5 --model $L/models/default \
    -o $L/models/default_evaluation --overwrite --silent

# 5. The ligand library (76 ligands, every set of 1 or 2 kinds) embedded by every ensemble member.
colim library ligands $L/ligands/ligands.csv --model $L/models/default --max-kinds 2 \
    -o $L/ligands/ligands.h5 --overwrite

# 6. The reference core library: every core of the dataset plus 40 generated Ag/Cu/Au/Pd/Pt clusters.
colim pretrain-data generate -o $L/cores/generated_clusters.extxyz --n 40 --elements Ag,Cu,Au,Pd,Pt \
    --sizes 13-60 --seed 7 --overwrite --silent
colim library cores $L/dataset/shared_structures.h5 $L/cores/generated_clusters.extxyz \
    --model $L/models/default -o $L/cores/cores.h5 --overwrite --silent
