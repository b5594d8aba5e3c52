"""Two CPU processes (gloo): DFERMetric with uneven, padded shards, and the
NonFiniteLossHook guard when only one rank sees a NaN loss."""
import os
import tempfile

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from tests.fixtures.cli import free_port

PROBS = [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.3, 0.5],
         [0.6, 0.3, 0.1], [0.1, 0.1, 0.8]]
VIDEOS = [('a', 0, 0), ('a', 1, 0), ('b', 0, 1), ('b', 1, 1), ('c', 0, 2)]


def _samples(indices):
    from mmaction.structures import ActionDataSample
    out = []
    for i in indices:
        vid, view, label = VIDEOS[i]
        ds = ActionDataSample(metainfo=dict(video_id=vid, view_id=view))
        ds.set_gt_label(label)
        ds.set_pred_score(torch.tensor(PROBS[i]))
        out.append(ds.to_dict())
    return out


def _worker(rank, port, tmp, results):
    os.environ['OMP_NUM_THREADS'] = '1'
    torch.set_num_threads(1)
    dist.init_process_group('gloo', init_method=f'tcp://127.0.0.1:{port}',
                            rank=rank, world_size=2)
    import dfertools.engine  # noqa: F401
    from dfertools.evaluation import DFERMetric
    from dfertools.engine.finite_loss_hook import _UpdateGuard
    from mmengine.optim import OptimWrapper

    # DistributedSampler order for 5 items on 2 ranks, padded to 6
    shard = [0, 2, 4] if rank == 0 else [1, 3, 0]
    out = {}
    for size in (5, 6):  # 6: padding survives collection -> de-duplicated
        metric = DFERMetric(dump_path=os.path.join(tmp, f'dump{size}.json'),
                            collect_dir=os.path.join(tmp, f'c{size}'))
        metric.process({}, _samples(shard))
        out[size] = metric.evaluate(size)

    torch.manual_seed(0)
    model = torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(3, 1))
    ow = OptimWrapper(torch.optim.SGD(model.parameters(), lr=0.1,
                                      momentum=0.9))
    guard = _UpdateGuard(ow)
    guard.install()
    trips, weights = [], []
    for step in range(3):
        x = torch.ones(2, 3) * (rank + 1)
        if step == 1 and rank == 1:
            x[0, 0] = float('nan')
        ow.update_params(model(x).pow(2).mean())
        trips.append(guard.tripped)
        guard.tripped = False
        weights.append(model.module.weight.detach().clone())
    results[rank] = dict(metrics=out, trips=trips, weights=weights)
    dist.barrier()
    dist.destroy_process_group()


@pytest.mark.slow
def test_two_ranks():
    from dfertools.evaluation import functional as F
    with tempfile.TemporaryDirectory() as tmp:
        manager = mp.Manager()
        results = manager.dict()
        mp.spawn(_worker, args=(free_port(), tmp, results), nprocs=2)
        r0, r1 = results[0], results[1]
        from dfertools.evaluation.predictions import load_dump
        for size in (5, 6):
            assert len(load_dump(os.path.join(tmp, f'dump{size}.json'))[
                'records']) == 5
    # reference: mean of views per video, single process
    import numpy as np
    probs = np.array(PROBS)
    video_probs = [probs[[0, 1]].mean(0), probs[[2, 3]].mean(0), probs[4]]
    cm = F.confusion_matrix([0, 1, 2], np.argmax(video_probs, 1), 3)
    for size in (5, 6):
        m = r0['metrics'][size]
        assert m['dfer/UAR'] == pytest.approx(F.uar(cm))
        assert m['dfer/WAR'] == pytest.approx(F.war(cm))
        assert m['dfer/num_views'] == 5 and m['dfer/num_videos'] == 3
        assert r1['metrics'][size] == m  # broadcast to every rank
    # the NaN on rank 1 at step 1 makes *both* ranks skip that step
    assert r0['trips'] == r1['trips'] == [False, True, False]
    for w0, w1 in zip(r0['weights'], r1['weights']):
        assert torch.equal(w0, w1) and torch.isfinite(w0).all()
    assert torch.equal(r0['weights'][0], r0['weights'][1])  # skipped
    assert not torch.equal(r0['weights'][1], r0['weights'][2])
