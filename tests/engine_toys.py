"""A tiny model and dataset for running mmengine's Runner in engine tests."""
import copy

import pytest
import torch
from mmaction.structures import ActionDataSample
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from torch.utils.data import Dataset


class ToyDataset(Dataset):
    """Samples ``v0, v1, ...``; ids in ``poison`` get a NaN input."""

    def __init__(self, n=8, poison=(), num_classes=3):
        self.n, self.poison, self.num_classes = n, set(poison), num_classes
        self.metainfo = dict(classes=[f'c{i}' for i in range(num_classes)])

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        g = torch.Generator().manual_seed(i)
        x = torch.randn(4, generator=g)
        vid = f'v{i}'
        if vid in self.poison:
            x[0] = float('nan')
        ds = ActionDataSample(metainfo=dict(video_id=vid, view_id=0))
        ds.set_gt_label(i % self.num_classes)
        return dict(inputs=x, data_samples=ds)


class ToyModel(BaseModel):
    """Linear classifier; ``loss`` returns two parts to check the report."""

    def __init__(self, num_classes=3):
        super().__init__()
        self.fc = torch.nn.Linear(4, num_classes)

    def forward(self, inputs, data_samples=None, mode='tensor'):
        x = torch.stack(inputs) if isinstance(inputs, list) else inputs
        logits = self.fc(x)
        if mode == 'loss':
            y = torch.cat([d.gt_label for d in data_samples])
            return dict(loss_cls=torch.nn.functional.cross_entropy(logits, y),
                        loss_reg=1e-3 * self.fc.weight.pow(2).sum())
        if mode == 'predict':
            for d, p in zip(data_samples, logits.softmax(-1)):
                d.set_pred_score(p)
            return data_samples
        return logits


class Snapshot(Hook):
    """Records a copy of the model state (parameters and buffers) and of
    the optimizer state after every step."""
    priority = 'VERY_LOW'

    def __init__(self):
        self.params, self.states = [], []

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.params.append(copy.deepcopy(runner.model.state_dict()))
        self.states.append(copy.deepcopy(
            runner.optim_wrapper.optimizer.state_dict()))


def runner_cfg(work_dir, dataset, max_iters=4, custom_hooks=(),
               checkpoint=None, model=None, **kwargs):
    """Runner kwargs training ``model`` (default: a ``ToyModel`` for the
    dataset's classes) on ``dataset`` in batches of 2, in order."""
    cfg = dict(
        model=model if model is not None else ToyModel(dataset.num_classes),
        work_dir=str(work_dir),
        train_dataloader=dict(
            dataset=dataset, batch_size=2, num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=dict(type='pseudo_collate')),
        train_cfg=dict(by_epoch=False, max_iters=max_iters,
                       val_interval=10 ** 6),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9)),
        default_hooks=dict(checkpoint=checkpoint,
                           logger=dict(type='LoggerHook', interval=1)),
        custom_hooks=list(custom_hooks),
        default_scope='dfertools',
        env_cfg=dict(dist_cfg=dict(backend='gloo')),
        log_level='WARNING',
        experiment_name=f'exp_{id(dataset)}_{max_iters}',
    )
    cfg.update(kwargs)
    return cfg


def train_into_nan_at_iteration_2(runner, snap: Snapshot) -> str:
    """Train ``runner`` (``snap`` registered) on batches of 2 in order whose
    ``v3`` is poisoned; check what every such NonFiniteLossHook stop says
    (iteration 2, the batch's ids, the update not applied, no Snapshot of
    the bad iteration) and return the message for the model's loss parts."""
    from dfertools.engine import NonFiniteLossError
    runner.register_hook(snap)
    with pytest.raises(NonFiniteLossError) as err:
        runner.train()
    msg = str(err.value)
    assert 'iteration 2' in msg
    assert "'v2 [view 0]', 'v3 [view 0]'" in msg
    assert 'not applied' in msg
    assert len(snap.params) == 1  # hook raised before Snapshot of iter 2
    return msg
