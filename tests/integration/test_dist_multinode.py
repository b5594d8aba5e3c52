"""tools/dist_train.sh as 2 "nodes" x 1 process on this machine (gloo)."""
import json

import pytest

from tests.fixtures.cli import free_port, run_side_by_side

PROBE_CONFIG = 'tests/fixtures/configs/toy_recognizer_probe.py'


@pytest.mark.slow
def test_two_nodes_rendezvous_disjoint_data_identical_weights(tmp_path):
    work = tmp_path / 'work'
    port = str(free_port())
    ran = run_side_by_side(
        [(['bash', 'tools/dist_train.sh', PROBE_CONFIG, '1', '--work-dir',
           str(work), '--cfg-options', 'train_cfg.max_epochs=2'],
          dict(NNODES='2', NODE_RANK=str(node_rank),
               MASTER_ADDR='127.0.0.1', PORT=port))
         for node_rank in (0, 1)],
        [tmp_path / f'node{r}.log' for r in (0, 1)])
    codes, outs = zip(*ran)
    assert codes == (0, 0), [out[-3000:] for out in outs]
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
