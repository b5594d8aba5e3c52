"""Rank environment of a ``srun`` task, for ``--launcher slurm`` on CPU.

MMEngine's SLURM launcher (``mmengine.dist.utils._init_dist_slurm``) reads
``SLURM_PROCID`` / ``SLURM_NTASKS`` / ``SLURM_NODELIST`` / ``SLURM_LOCALID``,
exports ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR`` (the first
host of the node list) and ``MASTER_PORT`` (default 29500), and then calls
``torch.cuda.set_device(local_rank)`` before ``init_process_group`` — which
fails on a node without CUDA. :func:`export_rank_env` does the same
exports so the CPU path in :mod:`dfertools.cli.setup_env` can create the
gloo process group itself (``env://``); the Runner then finds it
initialised and skips its own launcher.
"""
import os
import subprocess

DEFAULT_PORT = '29500'


def first_host(node_list: str) -> str:
    """The first host name of a SLURM node list (``scontrol show
    hostnames`` expands ranges like ``node[01-04]``)."""
    try:
        out = subprocess.run(['scontrol', 'show', 'hostnames', node_list],
                             capture_output=True, text=True, check=True,
                             timeout=60).stdout.split()
    except (OSError, subprocess.SubprocessError) as err:
        raise RuntimeError(
            f'--launcher slurm: cannot expand SLURM_NODELIST={node_list!r} '
            f'with `scontrol show hostnames` ({err}); set MASTER_ADDR to the '
            'first node\'s address') from err
    if not out:
        raise RuntimeError(f'--launcher slurm: SLURM_NODELIST={node_list!r} '
                           'names no host; set MASTER_ADDR')
    return out[0]


def export_rank_env(environ=None) -> dict:
    """Set ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR`` and
    ``MASTER_PORT`` from the SLURM task variables (keeping ``MASTER_ADDR``
    / ``MASTER_PORT`` if already set, as MMEngine does); returns them."""
    env = os.environ if environ is None else environ
    missing = [k for k in ('SLURM_PROCID', 'SLURM_NTASKS', 'SLURM_NODELIST')
               if k not in env]
    if missing:
        raise RuntimeError(
            f'--launcher slurm: {", ".join(missing)} not set; start the '
            'tool with srun (tools/slurm_train.sh), or use --launcher '
            'pytorch with tools/dist_train.sh')
    if 'MASTER_ADDR' not in env:
        env['MASTER_ADDR'] = first_host(env['SLURM_NODELIST'])
    env.setdefault('MASTER_PORT', DEFAULT_PORT)
    env['RANK'] = env['SLURM_PROCID']
    env['WORLD_SIZE'] = env['SLURM_NTASKS']
    env['LOCAL_RANK'] = env.get('SLURM_LOCALID', '0')
    return {k: env[k] for k in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK',
                                'MASTER_ADDR', 'MASTER_PORT')}
