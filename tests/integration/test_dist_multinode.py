"""tools/dist_train.sh as 2 "nodes" x 1 process on this machine (gloo)."""
import json
import os
import signal
import subprocess

import pytest

from tests.fixtures.cli import ROOT, free_port, tool_env

PROBE_CONFIG = 'tests/fixtures/configs/toy_recognizer_probe.py'


@pytest.mark.slow
def test_two_nodes_rendezvous_disjoint_data_identical_weights(tmp_path):
    work = tmp_path / 'work'
    port = str(free_port())
    procs, logs = [], [tmp_path / f'node{r}.log' for r in (0, 1)]
    for node_rank in (0, 1):
        env = tool_env(NNODES='2', NODE_RANK=str(node_rank),
                       MASTER_ADDR='127.0.0.1', PORT=port)
        with open(logs[node_rank], 'w') as log:   # files: no pipe to fill
            procs.append(subprocess.Popen(
                ['bash', 'tools/dist_train.sh', PROBE_CONFIG, '1',
                 '--work-dir', str(work), '--cfg-options',
                 'train_cfg.max_epochs=2'],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                text=True, start_new_session=True))
    for proc in procs:
        try:
            proc.wait(timeout=300)
        except subprocess.TimeoutExpired:
            for p in procs:   # the launcher, torchrun and its rank
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            raise
    outs = [log.read_text() for log in logs]
    for proc, out in zip(procs, outs):
        assert proc.returncode == 0, out[-3000:]
    # 16 samples, batch 4 per node, 2 nodes -> 2 iterations per epoch
    assert 'Epoch(train) [2][2/2]' in outs[0]

    ranks = [json.loads((work / 'dist_probe' / f'rank{r}.json').read_text())
             for r in (0, 1)]
    assert [r['world_size'] for r in ranks] == [2, 2]
    assert [r['rank'] for r in ranks] == [0, 1]
    for epoch in range(2):  # 8 samples per rank and epoch
        seen = [set(r['ids'][8 * epoch:8 * (epoch + 1)]) for r in ranks]
        assert len(seen[0]) == len(seen[1]) == 8
        assert not seen[0] & seen[1], 'ranks trained on the same samples'
        assert seen[0] | seen[1] == {f'clip_{i}' for i in range(16)}
    # the epochs shuffle differently, and DDP kept the replicas equal
    assert ranks[0]['ids'][:8] != ranks[0]['ids'][8:]
    assert ranks[0]['digest'] == ranks[1]['digest']
    assert (work / 'epoch_2.pth').is_file()
