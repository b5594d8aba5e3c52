"""Test a checkpoint of a dfertools config with the MMEngine Runner.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--dump FILE]
        [--cfg-options k=v ...] [--launcher none|pytorch|slurm]
        [--dist-timeout SECONDS]

``--dump FILE`` writes per-sample results: metrics that take ``dump_path``
(e.g. ``DFERMetric``, JSON records) get ``FILE``; otherwise MMEngine's
``DumpResults`` pickles the predictions (``FILE`` must end in ``.pkl``).
Several GPUs / CPU processes: ``bash tools/dist_test.sh CONFIG CKPT N``.
"""
import argparse

import dfertools  # noqa: F401  (compat shims before mmaction)
from dfertools.cli import setup_env
from dfertools.utils import dist_guard
from dfertools.cli.tool_errors import run_main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='test config file')
    parser.add_argument('checkpoint', help='checkpoint file (.pth)')
    parser.add_argument('--dump', metavar='FILE',
                        help='write per-sample results to FILE')
    setup_env.add_common_args(parser)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    cfg = setup_env.load_config(args.config, args.cfg_options)
    setup_env.setup_common(cfg, args)
    cfg.load_from = setup_env.existing_checkpoint(args.checkpoint)
    if args.dump:
        setup_env.setup_dump(cfg, args.dump)
    runner = setup_env.build_runner(cfg)
    with dist_guard.explain_collective_timeouts(
            cfg.env_cfg.dist_cfg.timeout):
        runner.test()
    del runner   # releases the DDP wrapper and its process group
    setup_env.close_distributed()


if __name__ == '__main__':
    run_main(main)
