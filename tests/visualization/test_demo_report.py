"""The demo's result table, targets and the several-seed summary."""
import json
import math
import statistics

import pytest

from dfertools.evaluation.predictions import save_dump
from dfertools.visualization import demo_report as rep
from tests.fixtures.cli import load_tool

C, PER_CLASS = 7, 10


def _dump(path, correct):
    """Dump with ``correct[c]`` of class c's 10 videos right (2 views each;
    a wrong video predicts the next class)."""
    records = []
    for c in range(C):
        for i in range(PER_CLASS):
            pred = c if i < correct[c] else (c + 1) % C
            for view in range(2):
                probs = [0.05] * C
                probs[pred] = 1 - 0.05 * (C - 1)
                records.append(dict(video_id=f'c{c}_{i}', view_id=view,
                                    probs=probs, label=c))
    path.parent.mkdir(parents=True, exist_ok=True)
    save_dump(str(path), records, C)


def _uar_war(correct):  # independent arithmetic, in percent
    return (100 * statistics.mean(k / PER_CLASS for k in correct),
            100 * sum(correct) / (C * PER_CLASS))


def _scalars(run_dir, rows):
    """A run's logged scalars, where MMEngine's LocalVisBackend puts
    them."""
    d = run_dir / '20260101_000000' / 'vis_data'
    d.mkdir(parents=True)
    (d / 'scalars.json').write_text(''.join(json.dumps(r) + '\n'
                                            for r in rows))


def _pretrain_log(work, rec_by_epoch):
    _scalars(work / 'pretrain', [dict(rec_unweighted=v, loss=v, epoch=e,
                                      step=e)
                                 for e, v in enumerate(rec_by_epoch, 1)])


def _work_dir(root, name, pre, scratch, probe_pre, probe_rand, rec):
    work = root / name
    _dump(work / 'finetune_pretrained' / 'dump.json', pre)
    _dump(work / 'finetune_scratch' / 'dump.json', scratch)
    _dump(work / 'probe_pretrained.json', probe_pre)
    _dump(work / 'probe_random.json', probe_rand)
    _pretrain_log(work, rec)
    return str(work)


RUNS = [  # pretrained, scratch, probe pretrained, probe random, rec curve
    ([9, 8, 7, 6, 5, 4, 3], [5, 5, 4, 4, 3, 2, 1], [4] * 7, [3] * 7,
     [1.0, 0.8, 0.6]),
    ([8, 8, 8, 6, 5, 4, 2], [6, 5, 4, 4, 3, 3, 3], [5] * 7, [3] * 7,
     [0.8, 0.7, 0.7]),
    ([9, 9, 7, 7, 5, 5, 3], [6, 6, 5, 4, 4, 3, 2], [3] * 7, [4] * 7,
     [0.5, 0.4, 0.2]),
]


def test_rows_and_targets_of_one_run(tmp_path):
    pre, scratch, ppre, prand, rec = RUNS[0]
    work = _work_dir(tmp_path, 'a', pre, scratch, ppre, prand, rec)
    rows = {r['name']: r for r in rep.collect(work)}
    assert rows['fine-tuned from pretrained']['UAR'] == \
        pytest.approx(_uar_war(pre)[0])
    assert rows['fine-tuned from scratch']['WAR'] == \
        pytest.approx(_uar_war(scratch)[1])
    assert rows['linear probe, random init']['videos'] == C * PER_CLASS
    targets = {t['target']: t for t in rep.check_targets(
        list(rows.values()), rep.reconstruction_curve(work))}
    gain = targets['fine-tuned from pretrained >= scratch + 10 UAR']
    assert gain['value'] == pytest.approx(_uar_war(pre)[0] -
                                          _uar_war(scratch)[0])
    assert gain['met'] == (gain['value'] >= 10)
    assert targets['fine-tuned from pretrained >= 40 UAR']['met']
    probe = targets['linear probe pretrained >= random + 10 UAR']
    assert probe['value'] == pytest.approx(10.0) and probe['met']
    drop = next(t for name, t in targets.items() if 'reconstruction' in name)
    assert drop['value'] == pytest.approx(40.0) and drop['met']


def test_summary_is_mean_and_sample_std_over_runs(tmp_path):
    works = [_work_dir(tmp_path, f's{i}', *r) for i, r in enumerate(RUNS)]
    s = rep.summarize_runs(works)
    pre_uars = [_uar_war(r[0])[0] for r in RUNS]
    mean, std = s['rows']['fine-tuned from pretrained']['UAR']
    assert mean == pytest.approx(statistics.mean(pre_uars))
    assert std == pytest.approx(statistics.stdev(pre_uars))
    gains = [_uar_war(r[0])[0] - _uar_war(r[1])[0] for r in RUNS]
    g = s['targets']['fine-tuned from pretrained >= scratch + 10 UAR']
    assert g['value'][0] == pytest.approx(statistics.mean(gains))
    assert g['value'][1] == pytest.approx(statistics.stdev(gains))
    assert g['met'] == sum(x >= 10 for x in gains)
    probe = s['targets']['linear probe pretrained >= random + 10 UAR']
    assert probe['met'] == 2  # the third run's probe is below random
    drops = [100 * (r[4][0] - r[4][-1]) / r[4][0] for r in RUNS]
    rec = next(t for n, t in s['targets'].items() if 'reconstruction' in n)
    assert rec['value'][0] == pytest.approx(statistics.mean(drops))
    assert rec['met'] == sum(d >= 30 for d in drops) == 2
    table = rep.format_summary(s)
    assert f'{statistics.mean(pre_uars):.1f} ± ' \
        f'{statistics.stdev(pre_uars):.1f}' in table
    assert '| 2 of 3 |' in table


def test_one_run_has_no_std_and_missing_results_are_named(tmp_path):
    work = _work_dir(tmp_path, 'one', *RUNS[0])
    s = rep.summarize_runs([work])
    assert math.isnan(s['rows']['fine-tuned from scratch']['UAR'][1])
    assert '±' not in rep.format_summary(s)
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match='empty'):
        rep.summarize_runs([work, str(empty)])


def test_summary_tool_prints_and_writes_json(tmp_path, capsys):
    tool = load_tool('tools/analysis/demo_summary.py')
    works = [_work_dir(tmp_path, f's{i}', *r) for i, r in enumerate(RUNS)]
    out = tmp_path / 'summary.json'
    assert tool.main(works + ['--json', str(out)]) == 0
    printed = capsys.readouterr().out
    assert '| fine-tuned from scratch |' in printed
    saved = json.loads(out.read_text())
    assert saved['runs'] == works


def _times(work, lines):
    (work / rep.STAGE_TIMES).write_text(''.join(
        f'{s}\t{sec}\t{status}\n' for s, sec, status in lines))


def test_time_target_sums_the_stages_and_skips_reused_ones(tmp_path):
    work = tmp_path / 'w'
    work.mkdir()
    assert rep.read_stage_times(str(work)) == []
    _times(work, [('data', 50, 'ran'), ('pretrain', 350, 'ran'),
                  ('probes', 40, 'ran')])
    times = rep.read_stage_times(str(work))
    assert [t['stage'] for t in times] == ['data', 'pretrain', 'probes']
    t = rep.time_target(times, 600)
    assert t['value'] == 440 and t['need'] == 600 and t['met'] is True
    assert rep.time_target(times, 439)['met'] is False
    assert rep.time_target(times, 440)['met'] is True   # at most the limit
    _times(work, [('data', 0, 'reused'), ('pretrain', 700, 'ran')])
    reused = rep.time_target(rep.read_stage_times(str(work)), 600)
    assert reused['met'] is None and reused['reused'] == ['data']
    table = rep.format_table([], [reused], 'x')
    assert 'not evaluated: reused data' in table and 'MISSED' not in table
    assert '| data | reused from an earlier run |' in \
        rep.format_stage_times(rep.read_stage_times(str(work)))
    # no limit given: no time target, whatever the stage times
    assert rep.check_targets([], None, times, None) == []
    assert rep.check_targets([], None, times, 500)[0]['met'] is True
    (work / rep.STAGE_TIMES).write_text('data\tfifty\tran\n')
    with pytest.raises(ValueError, match=rf'{rep.STAGE_TIMES}:1'):
        rep.read_stage_times(str(work))


def test_report_tool_prints_the_time_target_and_stage_table(tmp_path,
                                                            capsys):
    work = tmp_path / 'w'
    _work_dir(tmp_path, 'w', *RUNS[0])
    for run in ('finetune_pretrained', 'finetune_scratch'):
        _scalars(work / run, [dict(loss=1.0, epoch=1, step=1),
                              {'dfer/UAR': 0.3, 'step': 1}])
    _times(work, [('data', 60, 'ran'), ('pretrain', 400, 'ran'),
                  ('finetune_pretrained', 150, 'ran')])
    tool = load_tool('tools/analysis/demo_report.py')
    assert tool.main([str(work), '--time-limit', '600']) == 0
    printed = capsys.readouterr().out
    assert 'in <= 600 s (data generation included): 610.0 (need 600) ' \
        'MISSED' in printed
    report = (work / 'report.md').read_text()
    assert '## Stage times' in report and '| pretrain | 400 |' in report
    assert '| total | 610 |' in report
