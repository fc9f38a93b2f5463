"""Fixtures of the model tests: the tiny real dataset the training tests use."""

from tests.training.conftest import tiny_ds, tiny_ds_path  # noqa: F401
