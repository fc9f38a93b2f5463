"""Names of HDF5 groups, datasets and attributes used by colim's files, in one place.

Each file format (dataset, core library, ligand library, screening results) has its own section;
modules import these constants instead of spelling string literals.
"""

#: attribute on every colim HDF5 file naming its format (e.g. "colim-dataset", "colim-core-library").
FORMAT = "colim_format"
#: attribute with the format version (int).
FORMAT_VERSION = "colim_format_version"
#: attribute with the colim version that wrote the file.
COLIM_VERSION = "colim_version"

# --- matching dataset (colim/dataset/records.py) ---------------------------------------------
#: format name of a core–ligand matching dataset file.
DATASET_FORMAT = "colim-dataset"
#: version of the dataset file layout.
DATASET_FORMAT_VERSION = 1
#: attribute: JSON of every builder parameter (seed included).
DS_PARAMS = "params"
#: attribute: JSON {input file: sha256}.
DS_INPUT_HASHES = "input_hashes"
#: attribute: content hash of cores and pairs (sha256 hex).
DS_CONTENT_HASH = "content_hash"
#: group of the unique cores, stored as concatenated atoms with offsets.
DS_CORES = "cores"
DS_CORE_NUMBERS = "numbers"
DS_CORE_POSITIONS = "positions"
DS_CORE_OFFSETS = "offsets"
DS_CORE_IDS = "ids"
DS_CORE_TYPES = "core_type"
DS_CORE_SOURCES = "source"
DS_CORE_INFO = "info_json"
#: group of the core–ligand-set pairs, one row per pair.
DS_PAIRS = "pairs"
DS_PAIR_CORE = "core_index"
DS_PAIR_LIGANDS = "ligands"
DS_PAIR_RATIOS = "ratios_json"
DS_PAIR_LABEL = "label"
DS_PAIR_SPLIT = "split"
DS_PAIR_GROUP = "group"
DS_PAIR_ORIGIN = "origin"

# --- libraries (colim/libraries): shared by the core and ligand library formats -------------------
#: FORMAT value of a core library.
CORE_LIBRARY_FORMAT = "colim-core-library"
#: FORMAT value of a ligand library.
LIGAND_LIBRARY_FORMAT = "colim-ligand-library"
#: FORMAT value of a screening results file.
SCREEN_RESULTS_FORMAT = "colim-screen-results"
#: group holding the embeddings and the encoder that made them.
LIB_EMBEDDINGS = "embeddings"
#: attributes of LIB_EMBEDDINGS: encoder name, version, JSON init args, sha256 of the encoder weights.
LIB_ENCODER_NAME = "encoder_name"
LIB_ENCODER_VERSION = "encoder_version"
LIB_ENCODER_ARGS = "encoder_init_args"
LIB_WEIGHTS_HASH = "weights_hash"
#: attribute on the root: sha256 over the library's item content hashes (order-sensitive).
LIB_CONTENT_HASH = "content_hash"
#: attribute on the root: sha256 over every dataset and attribute of the file as written (checked on opening).
LIB_DATA_HASH = "data_sha256"

# --- core library -------------------------------------------------------------------------------
#: group of cores; atoms of all cores concatenated, ``offsets[i]:offsets[i+1]`` are core i's.
CORES = "cores"
CORE_NUMBERS = "numbers"
CORE_POSITIONS = "positions"
CORE_OFFSETS = "offsets"
CORE_IDS = "ids"
CORE_HASHES = "hashes"
#: provenance datasets (text, "" when absent; depth is int, 0 for an unedited core).
CORE_PARENT = "parent"
CORE_OPERATOR = "operator"
CORE_SITE = "site"
#: text per core: the kind of the edited site (``vertex CN6``, ``centre CN12``; empty in older libraries).
CORE_SITE_KIND = "site_kind"
CORE_ELEMENT = "element"
CORE_DEPTH = "depth"
CORE_SOURCE = "source"
#: dataset in LIB_EMBEDDINGS: core embeddings [C, D] float32.
CORE_EMBEDDINGS = "core"

# --- ligand library -----------------------------------------------------------------------------
#: group of ligands: canonical SMILES, names, families, content hashes (sha256 of the SMILES).
LIGANDS = "ligands"
LIGAND_SMILES = "smiles"
LIGAND_NAMES = "names"
LIGAND_FAMILIES = "families"
LIGAND_HASHES = "hashes"
#: group of ligand sets: members [S, 4] int32 rows into LIGANDS (-1 padded), ratios [S, 4] float32
#: (all 0 for a set without ratios), text keys (``str(LigandSet)``).
SETS = "sets"
SET_MEMBERS = "members"
SET_RATIOS = "ratios"
SET_KEYS = "keys"
#: datasets of one embedding group: per-ligand [L, D], per-set [S, D] float32, FAISS index of set rows (uint8).
LIGAND_EMBEDDINGS = "ligand"
SET_EMBEDDINGS = "set"
SET_FAISS_INDEX = "set_faiss_index"

# --- screening results (HDF5 form) ------------------------------------------------------------
#: group with one dataset per hit-table column (core_id, rank, ligand_set, probability, ...).
HITS = "hits"
#: root attribute: JSON summary of the screen (models, libraries, overlap@k between members...).
HITS_SUMMARY = "summary"
