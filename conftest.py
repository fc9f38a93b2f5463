"""Settings for the whole test run (tests/ and plugins/*/tests/)."""

import pytest
import torch


@pytest.fixture(autouse=True, scope="session")
def one_torch_thread():
    """The suite's models are tiny: on CI's 2 shared cores one torch thread is far faster than two."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
