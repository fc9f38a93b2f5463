"""Training, pretraining, evaluation and the baselines of the paper's Table 1.

- :mod:`colim.training.trainer`: fine-tune the dual-encoder model (BCE, Adam, early stopping on validation AUC).
- :mod:`colim.training.pretraining`: pretrain a core encoder on cluster energies with a regression head.
- :mod:`colim.training.metrics`: classification, calibration, bootstrap and ranking-stability metrics.
- :mod:`colim.training.evaluation` and :mod:`colim.training.plots`: the evaluation report and its figures.
- :mod:`colim.training.baselines` and :mod:`colim.training.comparison`: descriptor + XGBoost rows and Table 1.
"""
