"""Training: fine-tuning the dual-encoder model, pretraining a core encoder, ensembles.

- :mod:`colim.training.trainer`: fine-tune the dual-encoder model (BCE, Adam, early stopping on validation AUC).
- :mod:`colim.training.pretraining`: pretrain a core encoder on cluster energies with a regression head.
Evaluation, the baselines and Table 1 live in :mod:`colim.evaluation`.
"""
