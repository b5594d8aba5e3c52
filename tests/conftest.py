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


@pytest.fixture
def unwritable_dir(tmp_path):
    """An existing folder in which this process cannot create files: a
    read-only copy of ``tmp_path/ro`` for a normal user; for root, who
    ignores permission bits, ``/sys/kernel`` (sysfs refuses new files).
    Skips if neither refuses a write here."""
    import os
    import tempfile
    if os.geteuid() != 0:
        folder = tmp_path / 'ro'
        folder.mkdir()
        folder.chmod(0o555)
    else:
        from pathlib import Path
        folder = Path('/sys/kernel')
    try:
        fd, probe = tempfile.mkstemp(dir=str(folder))
    except OSError:
        yield folder
    else:
        os.close(fd)
        os.remove(probe)
        pytest.skip(f'{folder} is writable here')
    if os.geteuid() != 0:
        folder.chmod(0o755)
