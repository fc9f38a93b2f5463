"""Evaluation: metrics, folds, the evaluation report and its plots, the baselines and Table 1 (comparison,
ablations)."""
