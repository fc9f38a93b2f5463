"""Explanations of one scored (core, ligand set) pair: which core atoms and which ligands drive the score.

- Core: integrated gradients (IG) of the pair's logit over the core encoder's atom embeddings (the
  output of its element ``nn.Embedding``), from a baseline (all-zero embeddings, or every atom set to
  the core's mean embedding) to the real embeddings. Per-atom attributions sum to
  ``f(x) − f(baseline)`` up to the integration error, which is reported (completeness).
- Ligands: IG over the set's per-ligand embeddings (baseline: zero embeddings, pooled with the set's
  own stoichiometric weights), plus leave-one-out differences ``f(set) − f(set without ligand)`` when
  the set holds two or more ligand kinds.

All scores are logits of P(compatible); the model runs in eval mode and is left as it was.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import torch
from ase import Atoms
from ase.io import write as ase_write
from torch import Tensor, nn

from colim.choices import resolve_choice
from colim.encoders.graph import PhysicsAtomEmbedding
from colim.errors import ColimError, PluginError
from colim.io.output_files import atomic_output, check_output_path
from colim.model.dual_encoder import CoLiMModel
from colim.structures.core import core_id
from colim.structures.ligands import LigandSet

BASELINES = ("zero", "mean")
#: default number of IG integration steps (midpoint rule).
DEFAULT_STEPS = 64
#: interpolation points evaluated per forward pass.
CHUNK = 32
#: output file names inside the explanation folder.
XYZ_NAME = "attribution.xyz"
JSON_NAME = "explanation.json"
PNG_NAME = "explanation.png"
#: a completeness error above this fraction of |f(x) − f(baseline)| (or of 1 logit unit, if larger) is "large":
#: the attributions then do not add up to the score they claim to explain.
COMPLETENESS_TOLERANCE = 0.1


@dataclass(frozen=True)
class Explanation:
    """Attributions of one pair. Arrays: ``atom_attributions [N]``, ``ligand_ig [L]``, ``ligand_loo [L]`` (NaN for one ligand)."""

    core: Atoms
    ligand_set: LigandSet
    logit: float
    baseline: str
    baseline_logit: float
    atom_attributions: np.ndarray
    ligand_baseline_logit: float
    ligand_ig: np.ndarray
    ligand_loo: np.ndarray
    steps: int
    #: applicability domain of the pair (``core_in_domain``, ``set_in_domain``: True, False or None for
    #: unknown; ``core_domain``, ``set_domain``: distances in threshold units) and its warning lines.
    domain: dict[str, Any] = field(default_factory=dict)
    domain_warnings: list[str] = field(default_factory=list)

    @property
    def probability(self) -> float:
        return float(1.0 / (1.0 + np.exp(-self.logit)))

    @property
    def completeness_error(self) -> float:
        """``|Σ atom attributions − (f(x) − f(baseline))|``."""
        return float(abs(self.atom_attributions.sum() - (self.logit - self.baseline_logit)))

    @property
    def ligand_completeness_error(self) -> float:
        """``|Σ ligand IG − (f(x) − f(zero ligand embeddings))|``."""
        return float(abs(self.ligand_ig.sum() - (self.logit - self.ligand_baseline_logit)))

    def warnings(self) -> list[str]:
        """One line per attribution whose completeness error is large (see :data:`COMPLETENESS_TOLERANCE`)."""
        out = []
        for what, error, delta in (("atom", self.completeness_error, self.logit - self.baseline_logit),
                                   ("ligand", self.ligand_completeness_error, self.logit - self.ligand_baseline_logit)):
            if not error <= COMPLETENESS_TOLERANCE * max(abs(delta), 1.0):
                out.append(f"the {what} attributions miss their sum by {error:.3g} (logit - baseline logit {delta:+.3g}): "
                           f"they do not explain this score; try more --steps, and distrust a score this far from what the model saw")
        return out

    def to_json(self, model_info: dict[str, Any] | None = None, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """A JSON-ready summary: scores, completeness, per-ligand contributions and warnings (``extra`` adds keys,
        e.g. the applicability domain)."""
        ratios = self.ligand_set.ratios or (None,) * len(self.ligand_set)
        order = np.argsort(-np.abs(self.atom_attributions))
        symbols = self.core.get_chemical_symbols()
        return {
            "core": {"id": core_id(self.core), "formula": self.core.get_chemical_formula(), "n_atoms": len(self.core)},
            "ligand_set": str(self.ligand_set),
            "logit": self.logit,
            "probability": self.probability,
            "model": model_info or {},
            "core_attribution": {
                "method": "integrated gradients over atom embeddings", "baseline": self.baseline, "steps": self.steps,
                "baseline_logit": self.baseline_logit, "sum": float(self.atom_attributions.sum()),
                "delta": self.logit - self.baseline_logit, "completeness_error": self.completeness_error,
                "top_atoms": [{"index": int(i), "symbol": symbols[i], "attribution": float(self.atom_attributions[i])} for i in order[:10]],
            },
            "ligand_attribution": {
                "method": "integrated gradients over per-ligand embeddings (zero baseline) and leave-one-out",
                "baseline_logit": self.ligand_baseline_logit, "completeness_error": self.ligand_completeness_error,
            },
            "ligands": [
                {"smiles": smi, "ratio": ratio, "weight": weight, "integrated_gradients": float(ig),
                 "leave_one_out": None if np.isnan(loo) else float(loo)}
                for smi, ratio, weight, ig, loo in zip(self.ligand_set.smiles, ratios, self.ligand_set.weights, self.ligand_ig, self.ligand_loo)
            ],
            "warnings": self.warnings(),
            **(extra or {}),
        }


def atom_embedding_layer(encoder: nn.Module) -> nn.Module:
    """The element embedding of a graph core encoder (its first ``nn.Embedding`` or physics-feature embedding)."""
    for module in encoder.modules():
        if isinstance(module, (nn.Embedding, PhysicsAtomEmbedding)):
            return module
    raise PluginError(f"cannot explain core encoder '{getattr(encoder, 'name', type(encoder).__name__)}': it has no atom embedding layer to attribute to")


@contextlib.contextmanager
def _replaced_output(module: nn.Module, make: Callable[[Tensor], Tensor]) -> Iterator[None]:
    """Replace ``module``'s output by ``make(output)`` while the block runs."""
    handle = module.register_forward_hook(lambda _m, _inp, out: make(out))
    try:
        yield
    finally:
        handle.remove()


@contextlib.contextmanager
def _eval_mode(model: nn.Module) -> Iterator[None]:
    was_training = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(was_training)


def _alphas(steps: int) -> Tensor:
    if steps < 1:
        raise ColimError(f"integrated gradients need at least 1 step, got {steps}")
    return (torch.arange(steps, dtype=torch.float32) + 0.5) / steps


def _integrate(run: Callable[[Tensor, bool], tuple[Tensor, Tensor | None]], like: Tensor, steps: int) -> tuple[float, Tensor]:
    """The baseline's logit and the path-averaged gradient (midpoint rule, ``CHUNK`` steps a pass).

    ``run(alphas, grad)`` scores the inputs scaled by ``alphas`` and returns their summed gradient.
    """
    with torch.no_grad():
        base_logit = float(run(torch.zeros(1), grad=False)[0][0])
    total = torch.zeros_like(like)
    for chunk in _alphas(steps).split(CHUNK):
        total += run(chunk, grad=True)[1]
    return base_logit, total / steps


def core_attributions(model: CoLiMModel, core: Atoms, ligand_set: LigandSet, baseline: str = "zero",
                      steps: int = DEFAULT_STEPS) -> tuple[np.ndarray, float, float]:
    """Per-atom IG attributions of the pair's logit: ``(attributions [N], f(x), f(baseline))``."""
    baseline = resolve_choice(baseline, BASELINES, "attribution baseline")
    encoder = model.core_encoder
    layer = atom_embedding_layer(encoder)
    device = encoder.device
    graph = encoder.featurize(core)
    n = len(core)
    with _eval_mode(model):
        with torch.no_grad():
            h_lig = model.ligand_encoder([ligand_set])
            captured: list[Tensor] = []
            with _replaced_output(layer, lambda out: captured.append(out.detach()) or out):
                logit = float(model.head(encoder(encoder.to_device(encoder.collate([graph]), device)), h_lig)[0])
        x = captured[0]
        if x.shape[0] != n:
            raise PluginError(f"cannot explain core encoder '{encoder.name}': its embedding layer gives {x.shape[0]} rows for {n} atoms")
        base = torch.zeros_like(x) if baseline == "zero" else x.mean(0, keepdim=True).expand_as(x)

        def run(alphas: Tensor, grad: bool) -> tuple[Tensor, Tensor | None]:
            k = len(alphas)
            scaled = (base.repeat(k, 1) + alphas.to(device).repeat_interleave(n)[:, None] * (x - base).repeat(k, 1)).detach()
            scaled.requires_grad_(grad)
            batch = encoder.to_device(encoder.collate([graph] * k), device)
            with _replaced_output(layer, lambda out: scaled):
                logits = model.head(encoder(batch), h_lig.expand(k, -1))
            if not grad:
                return logits.detach(), None
            (g,) = torch.autograd.grad(logits.sum(), scaled)
            return logits.detach(), g.view(k, n, -1).sum(0)

        base_logit, mean_grad = _integrate(run, x, steps)
        attributions = ((x - base) * mean_grad).sum(-1)
    return attributions.detach().cpu().numpy().astype(np.float64), logit, base_logit


def ligand_contributions(model: CoLiMModel, core: Atoms, ligand_set: LigandSet,
                         steps: int = DEFAULT_STEPS) -> tuple[np.ndarray, float, np.ndarray]:
    """Per-ligand IG (zero-embedding baseline) and leave-one-out contributions: ``(ig [L], f(baseline), loo [L])``."""
    encoder, ligands = model.core_encoder, model.ligand_encoder
    n_lig = len(ligand_set)
    with _eval_mode(model):
        with torch.no_grad():
            h_core = encoder(encoder.to_device(encoder.collate([encoder.featurize(core)]), encoder.device))
            per_ligand = ligands.embed_ligands(list(ligand_set.smiles)).detach()
            full = float(model.head(h_core, ligands([ligand_set]))[0])
            loo = np.full(n_lig, np.nan)
            if n_lig > 1:
                ratios = ligand_set.ratios
                for i in range(n_lig):
                    keep = [j for j in range(n_lig) if j != i]
                    rest = LigandSet.of([ligand_set.smiles[j] for j in keep], None if ratios is None else [ratios[j] for j in keep])
                    loo[i] = full - float(model.head(h_core, ligands([rest]))[0])
        device = per_ligand.device
        weights = torch.tensor(ligand_set.weights, dtype=per_ligand.dtype, device=device) if ligand_set.ratios is not None else None

        def run(alphas: Tensor, grad: bool) -> tuple[Tensor, Tensor | None]:
            k = len(alphas)
            scaled = (alphas.to(device).repeat_interleave(n_lig)[:, None] * per_ligand.repeat(k, 1)).detach()
            scaled.requires_grad_(grad)
            set_index = torch.arange(k, device=device).repeat_interleave(n_lig)
            pooled = ligands.pool(scaled, set_index, None if weights is None else weights.repeat(k), k)
            logits = model.head(h_core.expand(k, -1), pooled)
            if not grad:
                return logits.detach(), None
            (g,) = torch.autograd.grad(logits.sum(), scaled)
            return logits.detach(), g.view(k, n_lig, -1).sum(0)

        base_logit, mean_grad = _integrate(run, per_ligand, steps)
        ig = (per_ligand * mean_grad).sum(-1)
    return ig.detach().cpu().numpy().astype(np.float64), base_logit, loo


def explain_pair(model: CoLiMModel, core: Atoms, ligand_set: LigandSet, baseline: str = "zero",
                 steps: int = DEFAULT_STEPS) -> Explanation:
    """Explain the model's score of ``(core, ligand_set)``: per-atom and per-ligand attributions."""
    atoms, logit, base_logit = core_attributions(model, core, ligand_set, baseline, steps)
    ig, lig_base, loo = ligand_contributions(model, core, ligand_set, steps)
    return Explanation(core=core.copy(), ligand_set=ligand_set, logit=logit, baseline=resolve_choice(baseline, BASELINES, "attribution baseline"),
                       baseline_logit=base_logit, atom_attributions=atoms, ligand_baseline_logit=lig_base,
                       ligand_ig=ig, ligand_loo=loo, steps=steps)


def attributed_atoms(explanation: Explanation) -> Atoms:
    """A copy of the core with the per-atom array ``attribution`` and the scores in ``info``."""
    atoms = Atoms(explanation.core.numbers, positions=explanation.core.get_positions())
    atoms.arrays["attribution"] = explanation.atom_attributions.astype(np.float64)
    atoms.info.update({"id": core_id(explanation.core), "ligand_set": str(explanation.ligand_set),
                       "logit": explanation.logit, "probability": explanation.probability,
                       "baseline": explanation.baseline, "baseline_logit": explanation.baseline_logit})
    return atoms


def _projection(positions: np.ndarray) -> np.ndarray:
    """Coordinates on the core's principal axes ``[N, 3]``: the first two show it widest, the third is depth."""
    centred = positions - positions.mean(0)
    if len(positions) < 3:
        return centred
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    return centred @ vt.T


def plot_explanation(explanation: Explanation, path: str | os.PathLike) -> None:
    """Save a PNG: the core projected in 2D coloured by attribution, and a bar chart of ligand contributions."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from ase.data import covalent_radii
    from matplotlib.colors import TwoSlopeNorm

    xy = _projection(explanation.core.get_positions())
    values = explanation.atom_attributions
    span = float(np.abs(values).max()) or 1.0
    fig, (ax_core, ax_lig) = plt.subplots(1, 2, figsize=(11, 4.8), gridspec_kw={"width_ratios": [1.1, 1]})
    order = np.argsort(xy[:, 2])  # far atoms first, near atoms drawn on top
    sizes = 120 * covalent_radii[explanation.core.numbers] ** 2
    points = ax_core.scatter(xy[order, 0], xy[order, 1], c=values[order], s=sizes[order], cmap="RdBu_r",
                             norm=TwoSlopeNorm(0.0, -span, span), edgecolors="k", linewidths=0.5)
    for i, symbol in enumerate(explanation.core.get_chemical_symbols()):
        if symbol not in ("Au", "Ag", "Cu"):
            ax_core.annotate(symbol, (xy[i, 0], xy[i, 1]), ha="center", va="center", fontsize=7)
    ax_core.set_aspect("equal")
    ax_core.set_xlabel("principal axis 1 (Å)")
    ax_core.set_ylabel("principal axis 2 (Å)")
    ax_core.set_title(f"{explanation.core.get_chemical_formula()}: atom attributions (IG, {explanation.baseline} baseline)", fontsize=9)
    fig.colorbar(points, ax=ax_core, label="attribution to logit")
    labels = [s if len(s) <= 28 else s[:25] + "..." for s in explanation.ligand_set.smiles]
    rows = np.arange(len(labels))
    has_loo = not np.isnan(explanation.ligand_loo).all()
    height = 0.4 if has_loo else 0.7
    ax_lig.barh(rows - (height / 2 if has_loo else 0), explanation.ligand_ig, height=height, color="tab:blue", label="integrated gradients")
    if has_loo:
        ax_lig.barh(rows + height / 2, explanation.ligand_loo, height=height, color="tab:orange", label="leave-one-out")
    ax_lig.axvline(0, color="k", linewidth=0.8)
    ax_lig.set_yticks(rows, labels, fontsize=8)
    ax_lig.set_xlabel("contribution to logit")
    ax_lig.set_title(f"ligands: P(compatible) = {explanation.probability:.3f}", fontsize=9)
    ax_lig.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=120)
    plt.close(fig)


def write_explanation(explanation: Explanation, outdir: str | os.PathLike, overwrite: bool = False,
                      model_info: dict[str, Any] | None = None, extra: dict[str, Any] | None = None) -> dict[str, Path]:
    """Write ``attribution.xyz`` (extXYZ, per-atom ``attribution``), ``explanation.json`` and ``explanation.png``."""
    folder = Path(outdir)
    paths = {"xyz": folder / XYZ_NAME, "json": folder / JSON_NAME, "png": folder / PNG_NAME}
    for path in paths.values():
        check_output_path(path, overwrite)
    with atomic_output(paths["xyz"], overwrite=overwrite) as tmp:
        ase_write(tmp, attributed_atoms(explanation), format="extxyz")
    with atomic_output(paths["json"], overwrite=overwrite) as tmp:
        tmp.write_text(json.dumps(explanation.to_json(model_info, extra), indent=2) + "\n")
    with atomic_output(paths["png"], overwrite=overwrite) as tmp:
        plot_explanation(explanation, tmp)
    return paths
