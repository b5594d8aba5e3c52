"""dfertools.apis.inference and tools/infer.py on a real mp4 file."""
import json

import cv2
import numpy as np
import torch

from dfertools.apis import inference_recognizer, init_recognizer
from tests.fixtures.cli import load_tool
from tests.fixtures.inference_config import CONFIG

torch.set_num_threads(1)


def write_video(path, n=12):
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'mp4v'), 10,
                        (40, 32))
    rng = np.random.default_rng(0)
    for _ in range(n):
        w.write(rng.integers(0, 255, (32, 40, 3), dtype=np.uint8))
    w.release()


def setup(tmp_path):
    cfg = tmp_path / 'cfg.py'
    cfg.write_text(CONFIG)
    video = tmp_path / 'clip.mp4'
    write_video(video)
    model = init_recognizer(str(cfg))
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0, 0.2)
    ckpt = tmp_path / 'ckpt.pth'
    torch.save(dict(state_dict=model.state_dict(), meta={}), ckpt)
    return cfg, video, ckpt, model


def test_api_averages_view_probabilities(tmp_path):
    cfg, video, ckpt, ref = setup(tmp_path)
    model = init_recognizer(str(cfg), str(ckpt))
    res = inference_recognizer(model, str(video))
    assert res['classes'] == ['a', 'b', 'c']
    assert res['view_probs'].shape == (2, 3)
    np.testing.assert_allclose(res['probs'], res['view_probs'].mean(0))
    np.testing.assert_allclose(res['probs'].sum(), 1., rtol=1e-5)
    # independent: decode with cv2, same frames (SampleFrames test mode),
    # normalise, forward, softmax
    cap = cv2.VideoCapture(str(video))
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(f, cv2.COLOR_BGR2RGB))
    # mmaction SampleFrames (test_mode, 1 clip): offset (12 - 8) / 2 = 2
    clip = np.stack([frames[i] for i in (2, 4, 6, 8)])[:, :, 4:36]
    x = torch.from_numpy(clip).permute(3, 0, 1, 2)[None].float()
    x = (x - 127.5) / 64.0
    with torch.no_grad():
        logits = ref.cls_head(ref.backbone(x))
    expect = logits.softmax(-1)[0].numpy()
    np.testing.assert_allclose(res['probs'], expect, rtol=1e-3, atol=1e-3)


def test_cli_json_and_table(tmp_path, capsys):
    tool = load_tool('tools/infer.py')
    cfg, video, ckpt, _ = setup(tmp_path)
    cmd = [str(video), '--config', str(cfg), '--checkpoint', str(ckpt)]
    assert tool.main(cmd + ['--json']) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(out['probs']) == {'a', 'b', 'c'}
    assert out['num_views'] == 2
    assert abs(sum(out['probs'].values()) - 1) < 1e-4
    assert tool.main(cmd) == 0
    printed = capsys.readouterr().out
    assert '(2 views)' in printed and ' <' in printed
