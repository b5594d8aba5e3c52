"""DFERMetric and the functional metric math against independent loops."""
import json
import math

import numpy as np
import pytest
import torch

import dfertools  # noqa: F401
from dfertools.evaluation import functional as F
from dfertools.evaluation.dfer_metric import DFERMetric
from dfertools.evaluation.predictions import load_dump
from dfertools.registry import METRICS


def loop_uar_war(labels, preds):
    """Plain-python re-derivation: recall per class present in labels."""
    classes = sorted(set(labels))
    recalls = []
    for c in classes:
        idx = [i for i, y in enumerate(labels) if y == c]
        recalls.append(sum(preds[i] == c for i in idx) / len(idx))
    war = sum(p == y for p, y in zip(preds, labels)) / len(labels)
    return sum(recalls) / len(recalls), war


@pytest.mark.parametrize('labels,preds,num_classes', [
    # class 3 predicted but absent from the labels; class 2 never predicted
    ([0, 0, 1, 1, 2, 2, 2], [0, 3, 1, 1, 0, 1, 3], 4),
    ([2], [2], 5),               # single sample
    ([1], [0], 3),               # single wrong sample
    ([0, 1, 2, 0, 1, 2, 0, 0], [0, 1, 1, 0, 2, 2, 1, 0], 3),
])
def test_uar_war_match_loop(labels, preds, num_classes):
    cm = F.confusion_matrix(labels, preds, num_classes)
    uar, war = loop_uar_war(labels, preds)
    assert F.uar(cm) == pytest.approx(uar)
    assert F.war(cm) == pytest.approx(war)


def test_absent_predicted_class_not_averaged():
    labels, preds = [0, 0, 1, 1], [0, 2, 1, 2]
    cm = F.confusion_matrix(labels, preds, 3)
    recall = F.per_class_recall(cm)
    assert recall[0] == 0.5 and recall[1] == 0.5 and np.isnan(recall[2])
    assert F.uar(cm) == pytest.approx(0.5)   # mmaction's mean would be 1/3


def test_random_against_loop():
    rng = np.random.default_rng(0)
    for _ in range(20):
        n, c = int(rng.integers(1, 40)), int(rng.integers(2, 8))
        labels = rng.integers(0, c, n).tolist()
        preds = rng.integers(0, c, n).tolist()
        cm = F.confusion_matrix(labels, preds, c)
        uar, war = loop_uar_war(labels, preds)
        assert F.uar(cm) == pytest.approx(uar)
        assert F.war(cm) == pytest.approx(war)
        assert cm.sum() == n
        for y, p in zip(labels, preds):
            assert cm[y, p] >= 1


def test_f1_hand_example():
    # labels: 0,0,0,1,1,2 ; preds: 0,0,1,1,2,3 (class 3 only predicted)
    cm = F.confusion_matrix([0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 2, 3], 4)
    out = F.f1_scores(cm)
    # class 0: P=2/2 R=2/3 F1=0.8 ; class 1: P=1/2 R=1/2 F1=0.5
    # class 2: P=0/1 R=0/1 F1=0 ; class 3: P=0/1, no support, F1=0
    np.testing.assert_allclose(out['f1'], [0.8, 0.5, 0.0, 0.0])
    assert out['macro_f1'] == pytest.approx((0.8 + 0.5) / 4)
    assert out['weighted_f1'] == pytest.approx((3 * 0.8 + 2 * 0.5) / 6)


def test_bad_labels_message():
    with pytest.raises(ValueError, match='outside'):
        F.confusion_matrix([0, 5], [0, 1], 3)


def sample(video_id, view_id, probs, label):
    """A data sample as the Evaluator hands it over (BaseDataElement dict)."""
    from mmaction.structures import ActionDataSample
    ds = ActionDataSample(metainfo=dict(video_id=video_id, view_id=view_id))
    ds.set_gt_label(label)
    ds.set_pred_score(torch.tensor(probs, dtype=torch.float32))
    return ds.to_dict()


def run_metric(metric, samples, batch=2):
    for i in range(0, len(samples), batch):
        metric.process({}, samples[i:i + batch])
    return metric.compute_metrics(metric.results)


def test_registered_and_runner_flow(tmp_path):
    metric = METRICS.build(dict(type='DFERMetric', class_names=list('abc'),
                                dump_path=str(tmp_path / 'd.json')))
    assert isinstance(metric, DFERMetric)
    samples = [
        sample('v0', 0, [0.7, 0.2, 0.1], 0),
        sample('v1', 0, [0.1, 0.8, 0.1], 1),
        sample('v2', 0, [0.1, 0.8, 0.1], 2),
        sample('v3', 0, [0.2, 0.3, 0.5], 2),
        sample('v4', 0, [0.5, 0.3, 0.2], 1),
    ]
    m = run_metric(metric, samples)
    uar, war = loop_uar_war([0, 1, 2, 2, 1], [0, 1, 1, 2, 0])
    assert m['UAR'] == pytest.approx(uar) and m['WAR'] == pytest.approx(war)
    assert m['recall_a'] == 1.0 and m['recall_b'] == 0.5
    assert m['num_videos'] == 5
    assert m['confusion_matrix'] == [[1, 0, 0], [1, 1, 0], [0, 1, 1]]
    # dump read back
    dump = load_dump(str(tmp_path / 'd.json'))
    assert dump['class_names'] == ['a', 'b', 'c']
    assert [r['video_id'] for r in dump['records']] == \
        ['v0', 'v1', 'v2', 'v3', 'v4']
    np.testing.assert_allclose(dump['records'][3]['probs'], [0.2, 0.3, 0.5],
                               rtol=1e-6)
    assert dump['metrics']['UAR'] == pytest.approx(uar)
    json.dumps(m)  # metrics are JSON-friendly


def test_multiview_average_differs_from_each_view():
    # view 0 picks class 0, view 1 picks class 1; the average
    # [0.275, 0.275, 0.45] picks class 2, which neither view picks alone.
    v0 = [0.50, 0.05, 0.45]
    v1 = [0.05, 0.50, 0.45]
    label = 2
    m_avg = run_metric(DFERMetric(), [sample('x', 0, v0, label),
                                      sample('x', 1, v1, label)])
    assert m_avg['WAR'] == 1.0 and m_avg['num_videos'] == 1
    assert m_avg['num_views'] == 2
    for v in (v0, v1):
        m_single = run_metric(DFERMetric(), [sample('x', 0, v, label)])
        assert m_single['WAR'] == 0.0


def test_tuple_keys_no_string_collision():
    # ids that would collide if joined as f'{video}_{view}'
    m = run_metric(DFERMetric(), [sample('a_1', 0, [0.9, 0.1], 0),
                                  sample('a', 10, [0.1, 0.9], 1)])
    assert m['num_videos'] == 2 and m['WAR'] == 1.0


def test_padding_duplicates_deduplicated():
    base = [sample('v0', 0, [0.9, 0.1], 0), sample('v0', 1, [0.6, 0.4], 0),
            sample('v1', 0, [0.2, 0.8], 0), sample('v1', 1, [0.3, 0.7], 0)]
    # DDP padding repeats the first samples of the dataset
    padded = base + [base[2], base[3], base[2]]
    m = run_metric(DFERMetric(), padded)
    assert m['num_views'] == 4 and m['num_videos'] == 2
    assert m['WAR'] == 0.5
    # the same views without duplicates give the same numbers
    ref = run_metric(DFERMetric(), base)
    assert {k: m[k] for k in ('UAR', 'WAR')} == \
        {k: ref[k] for k in ('UAR', 'WAR')}


def test_logits_option_and_prob_check():
    logits = [2.0, 0.0, -1.0]
    with pytest.raises(ValueError, match='not a probability'):
        run_metric(DFERMetric(), [sample('v', 0, logits, 0)])
    metric = DFERMetric(scores='logits', dump_path=None)
    run_metric(metric, [sample('v', 0, logits, 0)])
    p = metric.results[0]['probs']
    e = [math.exp(x) for x in logits]
    np.testing.assert_allclose(p, [x / sum(e) for x in e], rtol=1e-6)


def test_class_names_from_dataset_meta_and_num_classes_check():
    metric = DFERMetric(num_classes=3)
    metric.dataset_meta = dict(classes=('Happy', 'Sad', 'Neutral'))
    m = run_metric(metric, [sample('v', 0, [0.1, 0.8, 0.1], 1)])
    assert m['recall_Sad'] == 1.0 and 'recall_Happy' not in m
    with pytest.raises(ValueError, match='num_classes=4'):
        run_metric(DFERMetric(num_classes=4),
                   [sample('v', 0, [0.1, 0.8, 0.1], 1)])


def test_missing_video_id_message():
    from mmaction.structures import ActionDataSample
    ds = ActionDataSample()
    ds.set_gt_label(0)
    ds.set_pred_score(torch.tensor([0.5, 0.5]))
    with pytest.raises(KeyError, match='video_id'):
        DFERMetric().process({}, [ds.to_dict()])


def test_evaluator_flow(tmp_path):
    """Through mmengine's Evaluator (what ValLoop/TestLoop call)."""
    from mmaction.structures import ActionDataSample
    from mmengine.evaluator import Evaluator
    from mmengine.registry import init_default_scope
    init_default_scope('dfertools')  # what default_runtime.py sets
    evaluator = Evaluator(dict(type='DFERMetric',
                               dump_path=str(tmp_path / 'e.json')))
    batch = []
    for vid, probs, label in [('v0', [0.9, 0.1], 0), ('v1', [0.4, 0.6], 0)]:
        ds = ActionDataSample(metainfo=dict(video_id=vid, view_id=0))
        ds.set_gt_label(label)
        ds.set_pred_score(torch.tensor(probs))
        batch.append(ds)
    evaluator.process(batch, {})
    m = evaluator.evaluate(2)
    assert m['dfer/WAR'] == 0.5 and m['dfer/UAR'] == 0.5
    assert (tmp_path / 'e.json').is_file()


def test_runner_val_loop_with_dump(tmp_path):
    """DFERMetric as the val_evaluator of mmengine's Runner (toy model)."""
    from mmengine.runner import Runner
    from tests.fixtures.engine_toys import ToyDataset, runner_cfg
    dump = tmp_path / 'val.json'
    cfg = runner_cfg(
        tmp_path, ToyDataset(n=6), max_iters=2,
        val_dataloader=dict(dataset=ToyDataset(n=5), batch_size=2,
                            num_workers=0,
                            sampler=dict(type='DefaultSampler', shuffle=False),
                            collate_fn=dict(type='pseudo_collate')),
        val_evaluator=dict(type='DFERMetric', dump_path=str(dump)),
        val_cfg=dict())
    cfg['train_cfg']['val_interval'] = 2
    runner = Runner(**cfg)
    runner.train()
    records = load_dump(str(dump))
    assert records['class_names'] == ['c0', 'c1', 'c2']  # dataset metainfo
    assert [r['video_id'] for r in records['records']] == \
        [f'v{i}' for i in range(5)]
    labels = [r['label'] for r in records['records']]
    preds = [int(np.argmax(r['probs'])) for r in records['records']]
    uar, war = loop_uar_war(labels, preds)
    assert records['metrics']['UAR'] == pytest.approx(uar)
    assert runner.message_hub.get_scalar('val/dfer/WAR').current() == \
        pytest.approx(war)
