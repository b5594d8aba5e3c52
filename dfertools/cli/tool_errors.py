"""One line instead of a traceback for the errors a user can fix.

``tools/train.py`` and friends call :func:`run_main`. An error in
:data:`USER_ERRORS` (a missing or unreadable file, a refused or damaged
checkpoint, a bad ``--cfg-options`` value, a dataset argument nobody takes,
a read-only or full disk) is
printed as ``<tool>: error: <Type>: <message>`` and the tool exits with 1.
Every such message already names the file or key and the fix. Set
``DFERTOOLS_TRACEBACK=1`` to get the traceback as well. Anything else is a
bug and keeps its full traceback.
"""
import argparse
import os
import sys
from typing import Callable, Optional, Sequence

from dfertools.utils.checkpoint import (CheckpointRefusedError,
                                        CheckpointUnreadableError)
from .config_check import UnknownConfigKeyError

USER_ERRORS = (OSError, argparse.ArgumentTypeError, CheckpointRefusedError,
               CheckpointUnreadableError, UnknownConfigKeyError)


def run_main(main: Callable, argv: Optional[Sequence[str]] = None):
    """``main(argv)``, with :data:`USER_ERRORS` reported in one line."""
    try:
        return main(argv)
    except USER_ERRORS as e:
        if os.environ.get('DFERTOOLS_TRACEBACK', '') not in ('', '0'):
            raise
        tool = os.path.basename(sys.argv[0]) or 'dfertools'
        print(f'{tool}: error: {type(e).__name__}: {e}\n'
              '(set DFERTOOLS_TRACEBACK=1 for the traceback)',
              file=sys.stderr, flush=True)
        sys.exit(1)
