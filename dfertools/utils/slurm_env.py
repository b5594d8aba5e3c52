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

Both launchers would take port 29500 when ``MASTER_PORT`` is unset, so two
jobs sharing a node collided ("address already in use").
:func:`set_job_port` (called for ``--launcher slurm`` on CPU and GPU)
derives the default from the job and step ids instead (:func:`job_port`).
"""
import os
import subprocess

DEFAULT_PORT = '29500'
# below Linux's ephemeral ports (32768-60999), which connect() hands out
PORT_BASE, PORT_SPAN = 20000, 10000


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


def job_port(environ=None) -> str:
    """``MASTER_PORT`` for this job step: ``PORT_BASE + (4 * SLURM_JOB_ID +
    SLURM_STEP_ID) % PORT_SPAN``, the same on every task of the step and
    different for jobs (or up to 4 steps of one job) side by side on a
    node; :data:`DEFAULT_PORT` without a numeric ``SLURM_JOB_ID``."""
    env = os.environ if environ is None else environ
    job, step = env.get('SLURM_JOB_ID', ''), env.get('SLURM_STEP_ID', '0')
    if not job.isdigit():
        return DEFAULT_PORT
    step = int(step) if step.isdigit() else 0
    return str(PORT_BASE + (4 * int(job) + step) % PORT_SPAN)


def set_job_port(environ=None) -> str:
    """``MASTER_PORT`` = :func:`job_port` unless already set; returns it."""
    env = os.environ if environ is None else environ
    return env.setdefault('MASTER_PORT', job_port(env))


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
    set_job_port(env)
    env['RANK'] = env['SLURM_PROCID']
    env['WORLD_SIZE'] = env['SLURM_NTASKS']
    env['LOCAL_RANK'] = env.get('SLURM_LOCALID', '0')
    return {k: env[k] for k in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK',
                                'MASTER_ADDR', 'MASTER_PORT')}
