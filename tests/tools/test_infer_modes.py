"""tools/infer.py beyond one clip: class names from the config's dataset,
--detect-face, --batch CSV and --timeline (sliding window CSV + plot)."""
import csv
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from dfertools.apis import init_recognizer, sliding_window_inference
from dfertools.apis.pipeline_parts import class_names
from dfertools.datasets.classes import DFEW_CLASSES, MAFW_CLASSES
from dfertools.datasets.faces import FaceCropper
from tests.fixtures.cli import load_tool
from tests.fixtures.face_video import face_clip, faceless_clip, write_mp4
from tests.fixtures.paths import REPO_ROOT as ROOT

pytest.importorskip('skimage')
torch.set_num_threads(1)

CONFIG = """
default_scope = 'dfertools'
model = dict(
    type='Recognizer3D',
    backbone=dict(type='VideoViT',
                  arch=dict(embed_dims=48, num_layers=1, num_heads=3),
                  img_size=32, num_frames=4, final_norm=False),
    cls_head=dict(type='DFERHead', num_classes=7, in_channels=48,
                  init_scale=1.0),
    data_preprocessor=dict(type='ActionDataPreprocessor',
                           mean=[127.5] * 3, std=[64.0] * 3,
                           format_shape='NCTHW'))
test_pipeline = [
    dict(type='VideoInit', backend='cv2'),
    dict(type='DFERSampleFrames', clip_len=4, frame_interval=2,
         test_mode=True),
    dict(type='VideoDecode'),
    dict(type='Resize', scale=(32, 32), keep_ratio=False),
    dict(type='FormatShape', input_format='NCTHW'),
    dict(type='PackActionInputs'),
]
test_dataloader = dict(dataset=dict(
    type='DFERDataset', dataset_name='synth_dfer', ann_file='x.txt',
    num_views=1, pipeline=test_pipeline))
"""


def load_infer():
    return load_tool('tools/infer.py')


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('infer')
    cfg = tmp / 'cfg.py'
    cfg.write_text(CONFIG)
    model = init_recognizer(str(cfg))
    torch.manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.3)
    ckpt = tmp / 'ckpt.pth'
    torch.save(dict(state_dict=model.state_dict(), meta={}), ckpt)
    frames = face_clip()[0]
    video = write_mp4(tmp / 'face.mp4', frames)
    return dict(tmp=tmp, cfg=str(cfg), ckpt=str(ckpt), model=model,
                video=video)


def forward(model, frames):
    """Independent forward: resize to 32, normalise, model, softmax."""
    x = np.stack([cv2.resize(f, (32, 32)) for f in frames])
    x = torch.from_numpy(x).permute(3, 0, 1, 2)[None].float()
    with torch.no_grad():
        logits = model.cls_head(model.backbone((x - 127.5) / 64.0))
    return logits.softmax(-1)[0].numpy()


def read_video(path):
    cap = cv2.VideoCapture(path)
    out = []
    while True:
        ok, f = cap.read()
        if not ok:
            return out
        out.append(cv2.cvtColor(f, cv2.COLOR_BGR2RGB))


def test_class_names_come_from_the_dataset(setup):
    cfg = Config.fromstring(CONFIG, '.py')
    assert class_names(cfg, 7) == list(DFEW_CLASSES)
    cfg.test_dataloader.dataset.pop('dataset_name')  # DFERDataset: dfew
    assert class_names(cfg, 7) == list(DFEW_CLASSES)
    cfg.test_dataloader.dataset.dataset_name = 'mafw'
    assert class_names(cfg, 11) == list(MAFW_CLASSES)
    assert class_names(cfg, 7) == [str(i) for i in range(7)]  # mismatch
    cfg.class_names = list('abcdefg')
    assert class_names(cfg, 7) == list('abcdefg')
    for name, expect in (('videomae/vit-b_mafw-fold1.py', MAFW_CLASSES),
                         ('hdf/x3d-s_ferv39k.py', DFEW_CLASSES),
                         ('demo/vit-t_synth-dfer_finetune.py',
                          DFEW_CLASSES)):
        shipped = Config.fromfile(osp.join(ROOT, 'configs', name))
        n = shipped.model.cls_head.num_classes
        assert class_names(shipped, n) == list(expect), name


def test_detect_face_crops_before_the_model(setup, capsys):
    import json
    tool = load_infer()
    cmd = [setup['video'], '--config', setup['cfg'], '--checkpoint',
           setup['ckpt'], '--json', '--detect-face', '--face-size', '48']
    assert tool.main(cmd) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert list(out['probs']) == list(DFEW_CLASSES)
    # independent: the 4 sampled frames (24 frames, span 7: start 8),
    # FaceCropper at 48, resize to 32, forward
    frames = read_video(setup['video'])
    sampled = [frames[i] for i in (8, 10, 12, 14)]
    crops, _ = FaceCropper(size=48)(sampled)
    expect = forward(setup['model'], crops)
    np.testing.assert_allclose([out['probs'][c] for c in DFEW_CLASSES],
                               expect, atol=2e-3)
    whole = forward(setup['model'], sampled)
    assert np.abs(whole - expect).max() > 1e-3  # the crop mattered
    noface = write_mp4(setup['tmp'] / 'noface.mp4', faceless_clip(12))
    assert tool.main([noface] + cmd[1:]) == 1
    assert 'no face found' in capsys.readouterr().err


def test_batch_csv(setup, capsys):
    tmp = setup['tmp'] / 'batch'
    (tmp / 'clips').mkdir(parents=True)
    frames = face_clip()[0]
    write_mp4(tmp / 'clips' / 'a.mp4', frames[:12])
    write_mp4(tmp / 'clips' / 'b.mp4', frames[12:])
    (tmp / 'clips' / 'broken.mp4').write_bytes(b'junk' * 20)
    out_csv = tmp / 'preds.csv'
    tool = load_infer()
    rc = tool.main([str(tmp / 'clips'), '--batch', str(out_csv),
                    '--config', setup['cfg'], '--checkpoint',
                    setup['ckpt']])
    assert rc == 2  # one clip failed
    with open(out_csv) as f:
        rows = {osp.basename(r['path']): r for r in csv.DictReader(f)}
    assert set(rows) == {'a.mp4', 'b.mp4', 'broken.mp4'}
    assert rows['broken.mp4']['error'] and not rows['broken.mp4'][
        'pred_class']
    for name, part in (('a.mp4', frames[:12]), ('b.mp4', frames[12:])):
        r = rows[name]
        probs = np.array([float(r[c]) for c in DFEW_CLASSES])
        assert abs(probs.sum() - 1) < 1e-4 and not r['error']
        assert r['pred_class'] == DFEW_CLASSES[int(probs.argmax())]
        decoded = read_video(str(tmp / 'clips' / name))
        # 12 frames, span 7: centre start 2
        expect = forward(setup['model'], [decoded[i] for i in (2, 4, 6, 8)])
        np.testing.assert_allclose(probs, expect, atol=2e-3)
    # a .txt list works the same
    lst = tmp / 'list.txt'
    lst.write_text('clips/a.mp4\n')
    rc = tool.main([str(lst), '--batch', str(tmp / 'list.csv'), '--config',
                    setup['cfg'], '--checkpoint', setup['ckpt']])
    assert rc == 0


def test_sliding_window(setup):
    model = init_recognizer(setup['cfg'], setup['ckpt'])
    res = sliding_window_inference(model, setup['video'], stride=3)
    # 24 frames, windows of 7 frames every 3, last one ends at frame 23
    assert res['starts'] == [0, 3, 6, 9, 12, 15, 17]
    assert res['ends'][-1] == 23
    assert res['probs'].shape == (7, 7)
    frames = read_video(setup['video'])
    for k, s in enumerate(res['starts']):
        expect = forward(setup['model'], frames[s:s + 7:2])
        np.testing.assert_allclose(res['probs'][k], expect, atol=2e-3)
    np.testing.assert_allclose(res['centers_s'][0], 3 / 10)  # fps 10
    # face crop: one track over the whole video, then the same windows
    res = sliding_window_inference(model, setup['video'], stride=3,
                                   face_crop=dict(size=40))
    crops, track = FaceCropper(size=40)(frames)
    assert res['frames'][0].shape == (40, 40, 3)
    assert res['face_detected'].tolist() == track.detected.tolist()
    for k, s in enumerate(res['starts']):
        np.testing.assert_allclose(res['probs'][k],
                                   forward(setup['model'], crops[s:s + 7:2]),
                                   atol=2e-3)
    short = write_mp4(setup['tmp'] / 'short.mp4', frames[:5])
    res = sliding_window_inference(model, short)
    assert res['starts'] == [0] and res['probs'].shape == (1, 7)


def test_timeline_tool_with_face(setup, capsys):
    tool = load_infer()
    out_csv = setup['tmp'] / 'tl' / 'face.csv'
    (setup['tmp'] / 'tl').mkdir()
    assert tool.main([setup['video'], '--timeline', str(out_csv),
                      '--config', setup['cfg'], '--checkpoint',
                      setup['ckpt'], '--detect-face', '--face-size', '40',
                      '--stride', '6']) == 0
    with open(out_csv) as f:
        rows = list(csv.DictReader(f))
    assert [int(r['start_frame']) for r in rows] == [0, 6, 12, 17]
    for r in rows:
        p = np.array([float(r[c]) for c in DFEW_CLASSES])
        assert abs(p.sum() - 1) < 1e-4
        assert r['pred_class'] == DFEW_CLASSES[int(p.argmax())]
    png = cv2.imread(str(out_csv.with_suffix('.png')))
    assert png is not None and png.shape[1] >= 800
    assert png.std() > 10  # lines and thumbnails, not a blank canvas
