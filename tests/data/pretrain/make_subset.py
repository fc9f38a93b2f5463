"""Make tests/data/pretrain/ml_au_dft_subset.extxyz.gz: 107 raw frames per cluster size (seed 0), byte for byte."""

import collections
import gzip
import random

SOURCE = "/work/shared/data/pretrain/ml_au_dft.extxyz.gz"
TARGET = "tests/data/pretrain/ml_au_dft_subset.extxyz.gz"
TOTAL = 1500

blocks = collections.defaultdict(list)
with gzip.open(SOURCE, "rt") as handle:
    lines = handle.readlines()
i = 0
while i < len(lines):
    n = int(lines[i])
    blocks[n].append("".join(lines[i : i + n + 2]))
    i += n + 2
rng = random.Random(0)
per_size = TOTAL // len(blocks)
keep = []
for n in sorted(blocks):
    keep += [blocks[n][j] for j in sorted(rng.sample(range(len(blocks[n])), per_size))]
with gzip.GzipFile(TARGET, "wb", mtime=0) as out:
    out.write("".join(keep).encode())
print(len(keep), "frames;", {n: len(b) for n, b in sorted(blocks.items())})
