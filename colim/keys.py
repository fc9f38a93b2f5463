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
