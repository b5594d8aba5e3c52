"""Fixtures shared across the test tree."""
import os.path as osp

import pytest

from tests.fixtures.evil_checkpoints import GADGETS, write_evil


@pytest.fixture(params=GADGETS)
def evil(request, tmp_path):
    """A crafted checkpoint per gadget (``path``, ``marker``); fails the test
    if the gadget's code ran at any point during it."""
    bad = write_evil(tmp_path, request.param)
    yield bad
    assert not osp.exists(bad.marker), (
        f'{request.param}: loading the checkpoint ran code')
