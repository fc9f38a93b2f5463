#!/usr/bin/env bash
# Rebuild every shipped default under libraries/ from the real structures in tests/data/structures
# (a copy of the project's shared/data) and project-generated clusters. Run from anywhere:
#   bash libraries/build.sh
# The shipped libraries/models/cgcnn_eform.pt was pretrained on the full ML-Au set (38,276 clusters,
# shared/data/pretrain/ml_au_dft.extxyz.gz: about 12 min on 2 cores); step 2 reruns only with
# PRETRAIN=1, on PRETRAIN_DATA (default: that full set where it exists, else the 1,498-frame subset
# shipped in tests/data/pretrain).
set -euo pipefail
cd "$(dirname "$0")/.."
L=libraries
S=tests/data/structures
FULL_SET=../shared/data/pretrain/ml_au_dft.extxyz.gz
[ -f "$FULL_SET" ] || FULL_SET=tests/data/pretrain/ml_au_dft_subset.extxyz.gz
PRETRAIN_DATA=${PRETRAIN_DATA:-$FULL_SET}
SEEDS=${SEEDS:-0,1,2}
mkdir -p $L/dataset $L/models $L/cores

# 1. The core-ligand matching dataset from every real structure in tests/data/structures (the shared
#    Au thiolate CIFs, NanoModeler and SCH3 DFT files, and the NC_Database copy: GPL-3.0, see its README):
#    full ligands give their real SMILES, S-anchor-only frameworks the C[S] placeholder; negatives come
#    from the shipped ligand list (Ag/Cu ligands included) as well as the perceived ligands.
colim dataset build $S --anchor-placeholder --ligand-pool $L/ligands/ligands.csv --seed 0 \
    -o $L/dataset/shared_structures.h5 --overwrite --silent
colim dataset stats $L/dataset/shared_structures.h5 -o $L/dataset/shared_structures_stats.png --overwrite > $L/dataset/shared_structures_stats.txt

# 2. Pretrain the cgcnn core encoder on DFT formation energies of gas-phase Au clusters.
if [ "${PRETRAIN:-0}" = 1 ] || [ ! -f $L/models/cgcnn_eform.pt ]; then
    colim pretrain --data "$PRETRAIN_DATA" --target e_form --core-encoder cgcnn --core-args '{"embedding_dim": 32}' \
        --epochs 15 --batch-size 32 --seed 0 -o $L/models/cgcnn_eform.pt --overwrite --silent
fi

# 3. Fine-tune the dual-encoder model (cgcnn + fingerprint), one model per seed: the default ensemble.
colim train --dataset $L/dataset/shared_structures.h5 --core-encoder cgcnn --ligand-encoder fingerprint \
    --pretrained-core $L/models/cgcnn_eform.pt --hidden-dims 256 --seeds "$SEEDS" \
    -o $L/models/default --overwrite --silent

# 4. Its test-set metrics (with bootstrap CIs and top-k stability) for the model card.
colim evaluate --dataset $L/dataset/shared_structures.h5 --model $L/models/default \
    -o $L/models/default_evaluation --overwrite --silent

# 5. The ligand library (54 ligands, every set of 1 or 2 kinds) embedded by every ensemble member.
colim library ligands $L/ligands/ligands.csv --model $L/models/default --max-kinds 2 \
    -o $L/ligands/ligands.h5 --overwrite

# 6. The reference core library: every core of the dataset plus 40 generated Ag/Cu/Au/Pd/Pt clusters.
colim pretrain-data generate -o $L/cores/generated_clusters.extxyz --n 40 --elements Ag,Cu,Au,Pd,Pt \
    --sizes 13-60 --seed 7 --overwrite --silent
colim library cores $L/dataset/shared_structures.h5 $L/cores/generated_clusters.extxyz \
    --model $L/models/default -o $L/cores/cores.h5 --overwrite --silent
