"""The applicability-domain reference a trained model carries: what it saw in training and how far from
that a new input may lie before its score is an extrapolation.

The reference holds the elements of the training cores, the ligand families of the training ligand
sets, the embeddings (by the model's own encoders) of the training cores and the distinct training
ligand sets, and one distance threshold for cores and one for sets. A threshold is the ``quantile``
(0.99: with a validation split of a dozen cores, 0.95 excluded the real Au25 core of the demo,
1.05 thresholds from its Au25 neighbour in training) of the nearest-training-neighbour distances of the validation split's cores (or sets) that are
not themselves in the training split, floored by the same quantile of the training embeddings'
leave-one-out nearest-neighbour distances (so a small or duplicated validation split cannot shrink it
to nothing). An input is in domain when its elements (families) were all seen and its distance to the
nearest training embedding is at most the threshold.

It also records where each element was seen: in *cluster* cores (two or more metal atoms) or only in
*complex* cores (one metal atom: a mononuclear complex's metal centre, as MetaLig's CSD complexes give),
so a screen can say "Cu: seen only in mononuclear complexes, never in a cluster". References saved
before colim recorded this have neither list (``cluster_elements is None``): nothing is said then.
A model fine-tuned from another (``colim train --init-model``, e.g. the clusters after the MetaLig pair
model) inherits the elements its starting model saw (:func:`inherit_core_kinds`): an element the clusters
never showed but the complexes did is "seen only in complexes", not "never seen".

Checkpoints store it as a plain dict of tensors, lists, strings and floats (``weights_only`` loads it)
under the key ``"domain"``; :attr:`CoLiMModel.domain_reference` carries that dict in memory.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Iterable, Sequence

import numpy as np
import torch
from ase import Atoms

from colim.dataset.records import MatchingDataset
from colim.errors import CheckpointError, LigandError
from colim.libraries import faiss_adapter
from colim.model.dual_encoder import CoLiMModel
from colim.structures.core import is_metal
from colim.structures.families import ligand_family

#: layout version of the stored reference dict.
DOMAIN_VERSION = 1
#: quantile of calibration distances that sets the thresholds.
DEFAULT_QUANTILE = 0.99


@dataclass
class DomainReference:
    """Training elements, families and embeddings with calibrated distance thresholds (Euclidean)."""

    elements: tuple[str, ...]
    families: tuple[str, ...]
    core_embeddings: np.ndarray  # [N, Dc]
    set_embeddings: np.ndarray  # [M, Dl]
    core_threshold: float
    set_threshold: float
    quantile: float = DEFAULT_QUANTILE
    calibration: str = "val"
    #: elements of the training cores with two or more metal atoms (clusters) and with one (complexes);
    #: None in references saved before colim recorded them.
    cluster_elements: tuple[str, ...] | None = None
    complex_elements: tuple[str, ...] | None = None
    _indexes: dict = field(default_factory=dict, repr=False, compare=False)

    def _index(self, kind: str):
        if kind not in self._indexes:
            self._indexes[kind] = faiss_adapter.build_index(self.core_embeddings if kind == "core" else self.set_embeddings)
        return self._indexes[kind]

    @property
    def complex_only(self) -> frozenset[str]:
        """Elements seen only in complex (single-metal) cores, never in a cluster core; empty when unrecorded."""
        if self.cluster_elements is None or self.complex_elements is None:
            return frozenset()
        return frozenset(self.complex_elements) - frozenset(self.cluster_elements)

    @property
    def records_core_kinds(self) -> bool:
        """Whether the reference says which elements were seen in clusters and which in complexes."""
        return self.cluster_elements is not None and self.complex_elements is not None

    def core_seen_in(self, elements: Iterable[str]) -> str:
        """Where a core's elements were seen in training, the weakest evidence of them all: ``"never"`` (some
        element unseen), ``"complexes only"`` (some element seen only in complex cores), ``"clusters"``, or
        ``"unknown"`` when the reference does not record core kinds."""
        elements = set(elements)
        if elements - set(self.elements):
            return "never"
        if not self.records_core_kinds:
            return "unknown"
        return "complexes only" if elements & self.complex_only else "clusters"

    def _kinds(self) -> dict[str, list[str]]:
        if not self.records_core_kinds:
            return {}
        return {"cluster_elements": list(self.cluster_elements), "complex_elements": list(self.complex_elements)}

    def core_distance(self, embeddings: np.ndarray) -> np.ndarray:
        """Nearest-training-core distance of ``[Q, Dc]`` embeddings in units of the threshold (in domain: ≤ 1)."""
        return faiss_adapter.nearest_distance(self._index("core"), embeddings) / self.core_threshold

    def set_distance(self, embeddings: np.ndarray) -> np.ndarray:
        """Nearest-training-set distance of ``[Q, Dl]`` embeddings in units of the threshold (in domain: ≤ 1)."""
        return faiss_adapter.nearest_distance(self._index("set"), embeddings) / self.set_threshold

    def to_payload(self) -> dict[str, Any]:
        """The plain dict a checkpoint stores (tensors, lists, strings, floats); the core-kind lists are
        extra keys that older colim versions ignore."""
        return {
            "version": DOMAIN_VERSION, "elements": list(self.elements), "families": list(self.families),
            "core_embeddings": torch.from_numpy(np.ascontiguousarray(self.core_embeddings, dtype=np.float32)),
            "set_embeddings": torch.from_numpy(np.ascontiguousarray(self.set_embeddings, dtype=np.float32)),
            "core_threshold": float(self.core_threshold), "set_threshold": float(self.set_threshold),
            "quantile": float(self.quantile), "calibration": self.calibration, **self._kinds(),
        }

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> "DomainReference":
        """Rebuild from :meth:`to_payload`'s dict; a malformed one is a :class:`CheckpointError`."""
        try:
            if int(payload["version"]) != DOMAIN_VERSION:
                raise CheckpointError(f"applicability-domain reference version {payload['version']} is not {DOMAIN_VERSION}")
            return cls(tuple(payload["elements"]), tuple(payload["families"]),
                       np.asarray(payload["core_embeddings"], dtype=np.float32), np.asarray(payload["set_embeddings"], dtype=np.float32),
                       float(payload["core_threshold"]), float(payload["set_threshold"]),
                       float(payload.get("quantile", DEFAULT_QUANTILE)), str(payload.get("calibration", "val")),
                       _optional_names(payload.get("cluster_elements")), _optional_names(payload.get("complex_elements")))
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(f"corrupt applicability-domain reference in the checkpoint ({type(exc).__name__}: {exc})") from None

    def summary(self) -> dict[str, Any]:
        """What a model card or summary JSON states about the domain."""
        kinds = {**self._kinds(), "complex_only_elements": sorted(self.complex_only)} if self.records_core_kinds else {}
        return {"elements": list(self.elements), **kinds, "families": list(self.families), "train_cores": int(len(self.core_embeddings)),
                "train_sets": int(len(self.set_embeddings)), "core_threshold": self.core_threshold, "set_threshold": self.set_threshold,
                "quantile": self.quantile, "calibration": self.calibration}


def _optional_names(values: Any) -> tuple[str, ...] | None:
    return None if values is None else tuple(str(v) for v in values)


def core_kinds(cores: Iterable[Atoms]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Sorted elements of the cluster cores (two or more metal atoms) and of the complex cores (one metal
    atom, or none) among ``cores``."""
    cluster, complex_ = set(), set()
    for core in cores:
        symbols = core.get_chemical_symbols()
        (cluster if sum(is_metal(s) for s in symbols) >= 2 else complex_).update(symbols)
    return tuple(sorted(cluster)), tuple(sorted(complex_))


def inherit_core_kinds(reference: DomainReference, init_payload: dict[str, Any] | None) -> DomainReference:
    """``reference`` (a fine-tuned model's, built from its own training data) plus the elements its starting
    model (``--init-model``) saw: their cluster and complex element lists are merged (an element seen in a
    cluster by either stays a cluster element), so one the fine-tuning clusters never held but the starting
    model's complexes did reads "complexes only". The embeddings, thresholds and families stay the fine-tuned
    model's: the starting model's embeddings came from encoders that fine-tuning changed. Returned unchanged
    when either reference does not record core kinds (saved before colim recorded them)."""
    if not init_payload or not reference.records_core_kinds:
        return reference
    init = DomainReference.from_payload(init_payload)
    if not init.records_core_kinds:
        return reference
    cluster = tuple(sorted(set(reference.cluster_elements) | set(init.cluster_elements)))
    complex_ = tuple(sorted(set(reference.complex_elements) | set(init.complex_elements)))
    elements = tuple(sorted(set(reference.elements) | set(init.cluster_elements) | set(init.complex_elements)))
    return dataclasses.replace(reference, elements=elements, cluster_elements=cluster, complex_elements=complex_, _indexes={})


def families_of(smiles: Iterable[str]) -> set[str]:
    """Families of ligand SMILES (``other`` for one RDKit cannot read)."""
    out = set()
    for smi in smiles:
        try:
            out.add(ligand_family(smi))
        except LigandError:
            out.add("other")
    return out


def calibrated_threshold(train: np.ndarray, calibration: np.ndarray, quantile: float = DEFAULT_QUANTILE) -> float:
    """max(quantile of ``calibration`` rows' nearest-``train`` distances, quantile of ``train``'s leave-one-out
    nearest-neighbour distances); 1.0 when both are empty or zero (identical embeddings)."""
    index = faiss_adapter.build_index(train)
    candidates = []
    for dist in (faiss_adapter.nearest_distance(index, calibration) if len(calibration) else np.zeros(0),
                 faiss_adapter.nearest_distance(index, train, skip_self=True)):
        dist = dist[np.isfinite(dist)]
        if len(dist):
            candidates.append(float(np.quantile(dist, quantile)))
    value = max(candidates, default=0.0)
    return value if value > 0 else 1.0


@torch.no_grad()
def build_reference(model: CoLiMModel, dataset: MatchingDataset, quantile: float = DEFAULT_QUANTILE,
                    batch_size: int = 64) -> DomainReference:
    """Embed the dataset's training cores and sets with ``model`` and calibrate thresholds on its validation split."""
    train, val = dataset.split_pairs("train"), dataset.split_pairs("val")
    if not train:
        raise CheckpointError("the dataset has no training pairs to define the applicability domain")
    train_cores = sorted({p.core_index for p in train})
    val_cores = sorted({p.core_index for p in val} - set(train_cores))
    train_sets = list({p.ligand_set.key: p.ligand_set for p in train}.values())
    val_sets = [s for k, s in {p.ligand_set.key: p.ligand_set for p in val}.items() if k not in {t.key for t in train_sets}]
    elements = sorted({sym for i in train_cores for sym in dataset.cores[i].get_chemical_symbols()})
    cluster_elements, complex_elements = core_kinds(dataset.cores[i] for i in train_cores)
    families = sorted(families_of(smi for s in train_sets for smi in s.smiles))

    def cores(rows: Sequence[int]) -> np.ndarray:
        if not rows:
            return np.zeros((0, model.head.core_dim), dtype=np.float32)
        return model.core_encoder.encode([dataset.cores[i] for i in rows], batch_size=batch_size).numpy()

    def sets(items) -> np.ndarray:
        return model.ligand_encoder.encode(items).numpy() if items else np.zeros((0, model.head.ligand_dim), dtype=np.float32)

    core_train, set_train = cores(train_cores), sets(train_sets)
    calibration = "val" if val_cores or val_sets else "train (no validation split)"
    return DomainReference(tuple(elements), tuple(families), core_train, set_train,
                           calibrated_threshold(core_train, cores(val_cores), quantile),
                           calibrated_threshold(set_train, sets(val_sets), quantile), quantile, calibration,
                           cluster_elements, complex_elements)
