"""Train a dfertools config with the MMEngine Runner.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp]
        [--auto-scale-lr] [--compile [BACKEND]] [--seed N] [--deterministic]
        [--test [--dump FILE]] [--cfg-options k=v ...]
        [--launcher none|pytorch|slurm] [--dist-timeout SECONDS]

``--test`` tests the final weights on the config's test split right after
training, in the same process: what ``tools/test.py CONFIG <last
checkpoint>`` reports, without a second start-up and a second decoding of
the videos. ``--dump FILE`` as in tools/test.py.

Several GPUs / CPU processes: ``bash tools/dist_train.sh CONFIG N [args]``.
"""
import argparse

import dfertools  # noqa: F401  (compat shims before mmaction)
from dfertools.cli import setup_env
from dfertools.utils import dist_guard
from dfertools.cli.tool_errors import run_main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='train config file')
    parser.add_argument(
        '--resume', nargs='?', const=setup_env.AUTO, metavar='CKPT',
        help='resume training: alone, from the work dir\'s last checkpoint '
        '(or start fresh if there is none); with a path, from that file')
    parser.add_argument('--amp', action='store_true',
                        help='mixed precision (bf16 if the GPU supports it, '
                        'else fp16); CUDA only')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the lr by total batch size / '
                        'auto_scale_lr.base_batch_size')
    parser.add_argument('--compile', nargs='?', const='', default=None,
                        metavar='BACKEND',
                        help='torch.compile the train step (the config key '
                        '`compile`); optional torch.compile backend, e.g. '
                        'inductor (default) or aot_eager')
    parser.add_argument('--seed', type=int, help='random seed')
    parser.add_argument('--deterministic', action='store_true',
                        help='deterministic cuDNN / torch algorithms')
    parser.add_argument('--test', action='store_true',
                        help='after training, test the final weights on the '
                        'config\'s test split (same process)')
    parser.add_argument('--dump', metavar='FILE',
                        help='with --test: write per-sample test results to '
                        'FILE (as tools/test.py --dump)')
    setup_env.add_common_args(parser)
    args = parser.parse_args(argv)
    if args.dump and not args.test:
        parser.error('--dump writes test results: add --test')
    return args


def main(argv=None):
    args = parse_args(argv)
    cfg = setup_env.load_config(args.config, args.cfg_options)
    setup_env.setup_common(cfg, args)
    setup_env.setup_resume(cfg, args.resume)
    if args.amp:
        setup_env.setup_amp(cfg)
    if args.auto_scale_lr:
        setup_env.setup_auto_scale_lr(cfg)
    if args.compile is not None:
        setup_env.setup_compile(cfg, args.compile or None)
    setup_env.setup_randomness(cfg, args.seed, args.deterministic)
    if args.test:   # refused now, not after training
        setup_env.check_test_split(cfg)
        if args.dump:
            setup_env.setup_dump(cfg, args.dump)
    runner = setup_env.build_runner(cfg)
    with dist_guard.explain_collective_timeouts(
            cfg.env_cfg.dist_cfg.timeout):
        runner.train()
        if args.test:
            runner.test()
    del runner   # releases the DDP wrapper and its process group
    setup_env.close_distributed()


if __name__ == '__main__':
    run_main(main)
