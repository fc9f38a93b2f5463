"""The evaluation tests share the training tests' tiny dataset."""

from tests.training.conftest import tiny_ds, tiny_ds_path  # noqa: F401
