"""Face preprocessing on a real face (skimage's astronaut, animated):
detection, one smoothed track, crops, extraction tool, FaceCrop transform."""
import csv
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from dfertools.datasets.faces import (FaceCropper, FaceDetection,
                                      BaseFaceDetector, crop_face,
                                      gaussian_smooth, select_track)
from dfertools.datasets.faces.extraction import extract_faces
from dfertools.registry import FACE_DETECTORS
from tests.fixtures.cli import load_tool
from tests.fixtures.face_video import (EYES, FACE_CENTER, astronaut, face_clip,
                              faceless_clip, write_mp4)

pytest.importorskip('skimage')


@pytest.fixture(scope='module')
def clip():
    return face_clip()


@pytest.fixture(scope='module')
def tracks(clip):
    frames = clip[0]
    return {s: FaceCropper(size=64, sigma=s).track(frames) for s in (0, 2)}


def test_haar_finds_the_astronaut():
    (face,) = FaceCropper().detector(astronaut())
    x, y, w, h = face.box
    assert abs(x + w / 2 - FACE_CENTER[0]) < 6
    assert abs(y + h / 2 - FACE_CENTER[1]) < 6


def test_crop_follows_the_face(clip, tracks):
    frames, centers, sides, _, present = clip
    track = tracks[2]
    assert track.detected.tolist() == present.tolist()
    err = np.linalg.norm(track.centers - centers, axis=1) / sides
    assert err.max() < 0.1, err
    ratio = track.sides / sides  # the Haar box is ~1.1x the face side
    assert 0.9 < ratio.min() and ratio.max() < 1.35, ratio
    # the crop's centre pixel is the frame pixel at the track centre
    t = 5
    crop = crop_face(frames[t], track.centers[t], track.sides[t], 65,
                     margin=0.25)
    cx, cy = np.round(track.centers[t]).astype(int)
    np.testing.assert_allclose(crop[32, 32].astype(float),
                               frames[t][cy, cx].astype(float), atol=40)


def test_faceless_frames_are_interpolated(clip, tracks):
    """Frames 9-11 are flat grey: the box there lies on the line between
    the detections of frames 8 and 12 (before smoothing)."""
    _, centers, sides, _, _ = clip
    raw = tracks[2].raw_centers
    for t in (9, 10, 11):
        w = (t - 8) / 4
        np.testing.assert_allclose(raw[t], (1 - w) * raw[8] + w * raw[12])
        assert np.linalg.norm(raw[t] - centers[t]) / sides[t] < 0.1


def test_leading_gap_carries_first_detection():
    det = FaceDetection((10, 20, 30, 30))
    later = FaceDetection((14, 20, 30, 30))
    from dfertools.datasets.faces import fill_and_smooth
    tr = fill_and_smooth([None, None, det, None, later, None], sigma=0)
    np.testing.assert_allclose(tr.raw_centers[:, 0],
                               [25, 25, 25, 27, 29, 29])
    assert tr.detected.tolist() == [False, False, True, False, True, False]


def test_smoothing_lowers_jitter(clip, tracks):
    _, centers, sides, _, _ = clip

    def step_error(track):  # frame-to-frame motion error vs the truth
        d = np.diff(track.centers, axis=0) - np.diff(centers, axis=0)
        return np.linalg.norm(d, axis=1).mean() / sides.mean()
    assert step_error(tracks[2]) < 0.5 * step_error(tracks[0])
    assert step_error(tracks[2]) < 0.02
    assert tracks[2].stats()['jitter'] < 0.5 * tracks[2].stats()[
        'jitter_raw']


def test_gaussian_smooth_keeps_linear_motion():
    x = np.arange(10.0)[:, None] * [1.0, -2.0]
    np.testing.assert_allclose(gaussian_smooth(x, 2.0), x, atol=1e-9)


def test_largest_longest_track_wins():
    big = [FaceDetection((100 + t, 50, 40, 40)) for t in range(6)]
    small = [FaceDetection((10, 10, 20, 20)) for _ in range(6)]
    flash = FaceDetection((200, 200, 60, 60))  # one-frame false positive
    dets = [[s, b] for s, b in zip(small, big)]
    dets[3].append(flash)
    chosen = select_track(dets)
    assert [d.box for d in chosen] == [b.box for b in big]
    assert select_track([[], []]) is None


@FACE_DETECTORS.register_module(force=True)
class OracleEyesDetector(BaseFaceDetector):
    """Test plugin: the known face box and eyes of the animated clip."""
    gives_landmarks = True

    def __init__(self, frames, matrices):
        super().__init__(max_side=None)
        self.lookup = {f.tobytes()[:4096]: m for f, m in zip(frames,
                                                              matrices)}

    def detect(self, frame):
        m = self.lookup[frame.tobytes()[:4096]]
        pts = np.array([FACE_CENTER, *EYES])
        p = pts @ m[:, :2].T + m[:, 2]
        side = 95.0 * np.sqrt(abs(np.linalg.det(m[:, :2])))
        box = (p[0, 0] - side / 2, p[0, 1] - side / 2, side, side)
        return [FaceDetection(box, 1.0, (tuple(p[1]), tuple(p[2])))]


def test_third_party_detector_and_eye_alignment():
    img = astronaut()
    frames, mats = [], []
    for angle in (-15.0, 0.0, 15.0):
        m = cv2.getRotationMatrix2D(FACE_CENTER, angle, 0.5)
        m[:, 2] += (60 - FACE_CENTER[0], 60 - FACE_CENTER[1])
        frames.append(cv2.warpAffine(img, m, (128, 128)))
        mats.append(m)
    det = dict(type='OracleEyesDetector', frames=frames, matrices=mats)
    aligned = FaceCropper(det, size=48, sigma=0, align=True,
                          max_gap=0)(frames)[0]
    plain = FaceCropper(det, size=48, sigma=0, max_gap=0)(frames)[0]

    def diff(crops):
        c = [x.astype(float) for x in crops]
        return np.abs(c[0] - c[1]).mean() + np.abs(c[2] - c[1]).mean()
    assert diff(aligned) < 0.5 * diff(plain)


def test_detector_errors():
    with pytest.raises(FileNotFoundError, match='face_detection_yunet'):
        FaceCropper(dict(type='YuNetFaceDetector',
                         model_path='/nonexistent/yunet.onnx'))
    with pytest.raises(ValueError, match='eye landmarks'):
        FaceCropper(align=True)
    with pytest.raises(KeyError, match='HaarFaceDetector'):
        FaceCropper(dict(type='HaarFaceDetektor'))


def _rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def test_extraction_resume_and_failures(tmp_path, clip):
    src = tmp_path / 'videos'
    (src / 'sub').mkdir(parents=True)
    write_mp4(src / 'sub' / 'face.mp4', clip[0])
    write_mp4(src / 'noface.mp4', faceless_clip())
    (src / 'broken.mp4').write_bytes(b'\x00not a video' * 50)
    out = tmp_path / 'out'
    logs = []
    cfg = dict(size=48)
    res = extract_faces(str(src), str(out), cfg, log=logs.append)
    assert [r['input'] for r in res['done']] == [str(src / 'sub/face.mp4')]
    fails = {osp.basename(r['input']): r['reason']
             for r in _rows(out / 'failures.csv')}
    assert set(fails) == {'noface.mp4', 'broken.mp4'}
    assert 'no face found' in fails['noface.mp4']
    strict = extract_faces(str(src / 'sub'), str(tmp_path / 'strict'),
                           dict(size=48, min_face_frames=0.9),
                           log=logs.append)
    (fail,) = strict['failed']  # 21 of 24 frames < 90 %
    assert 'a face in only 21 of the 24 frames' in fail['reason']
    assert 'unreadable video' in fails['broken.mp4']
    (row,) = _rows(out / 'manifest.csv')
    assert row['frames'] == '24' and row['face_frames'] == '21'
    crop_mp4 = out / 'sub' / 'face.mp4'
    cap = cv2.VideoCapture(str(crop_mp4))
    assert int(cap.get(cv2.CAP_PROP_FRAME_COUNT)) == 24
    assert cap.get(cv2.CAP_PROP_FRAME_WIDTH) == 48
    assert any('ETA' in line for line in logs)
    mtime = os.stat(crop_mp4).st_mtime_ns
    # second run: the finished clip is skipped, failures retried
    res = extract_faces(str(src), str(out), cfg, log=logs.append)
    assert [r['input'] for r in res['skipped']] == [str(src / 'sub/face.mp4')]
    assert len(res['failed']) == 2 and not res['done']
    assert os.stat(crop_mp4).st_mtime_ns == mtime
    assert _rows(out / 'manifest.csv') == [row]
    # a killed run: output present but no record, plus a temporary leftover
    os.remove(str(crop_mp4) + '.face.json')
    (out / 'sub' / '.face.mp4.tmp-999.mp4').write_bytes(b'half')
    res = extract_faces(str(src), str(out), cfg, log=logs.append)
    assert len(res['done']) == 1
    assert not list((out / 'sub').glob('.*tmp*'))


def test_extract_faces_tool_frames(tmp_path, clip, capsys):
    tool = load_tool('tools/data/extract_faces.py')
    video = write_mp4(tmp_path / 'face.mp4', clip[0][14:22])
    out = tmp_path / 'out'
    assert tool.main([video, '--out', str(out), '--format', 'frames',
                      '--size', '32', '--margin', '0.1']) == 0
    assert sorted(os.listdir(out / 'face'))[:2] == ['00001.jpg',
                                                    '00002.jpg']
    assert len(os.listdir(out / 'face')) == 8
    rec = json.loads((out / 'face.face.json').read_text())
    assert rec['frames'] == 8 and rec['face_frames'] >= 6  # mp4v blurs
    bad = tmp_path / 'bad.mp4'
    bad.write_bytes(b'junk')
    assert tool.main([str(bad), '--out', str(out)]) == 2
    with pytest.raises(SystemExit):  # one line naming the closest detector
        tool.run_main(tool.main, [video, '--out', str(out), '--detector',
                                  'HaarDetector'])
    assert "did you mean 'HaarFaceDetector'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        tool.run_main(tool.main, [video, '--out', str(out), '--detector',
                                  'YuNetFaceDetector', '--detector-arg',
                                  'model_path=/missing/yunet.onnx'])
    err = capsys.readouterr().err
    assert 'FileNotFoundError' in err and 'OpenCV Zoo' in err


def test_face_crop_transform_in_pipeline(tmp_path, clip):
    from mmengine.dataset import Compose
    from mmengine.registry import init_default_scope
    init_default_scope('dfertools')
    video = write_mp4(tmp_path / 'face.mp4', clip[0])
    pipe = Compose([
        dict(type='VideoInit', backend='cv2'),
        dict(type='DFERSampleFrames', clip_len=8, frame_interval=3,
             test_mode=True),
        dict(type='VideoDecode'),
        dict(type='FaceCrop', size=40, sigma=1.0),
        dict(type='FormatShape', input_format='NCTHW'),
        dict(type='PackActionInputs')])
    out = pipe(dict(filename=video, label=0, start_index=0,
                    modality='RGB', view_id=0, num_views=1))
    assert tuple(out['inputs'].shape) == (1, 3, 8, 40, 40)
    # the same crop as the cropper on the same decoded frames
    frames = Compose([dict(type='VideoInit', backend='cv2'),
                      dict(type='DFERSampleFrames', clip_len=8,
                           frame_interval=3, test_mode=True),
                      dict(type='VideoDecode')])(
        dict(filename=video, label=0, start_index=0, modality='RGB',
             view_id=0, num_views=1))['imgs']
    crops, _ = FaceCropper(size=40, sigma=1.0)(frames)
    np.testing.assert_array_equal(
        out['inputs'][0].permute(1, 2, 3, 0).numpy(), np.stack(crops))
    noface = write_mp4(tmp_path / 'noface.mp4', faceless_clip())
    base = [dict(type='VideoInit', backend='cv2'),
            dict(type='DFERSampleFrames', clip_len=4, frame_interval=1,
                 test_mode=True), dict(type='VideoDecode')]
    res = dict(filename=noface, label=0, start_index=0, modality='RGB',
               view_id=0, num_views=1)
    from dfertools.datasets.faces import NoFaceError
    with pytest.raises(NoFaceError, match='noface.mp4'):
        Compose(base + [dict(type='FaceCrop', size=16)])(dict(res))
    out = Compose(base + [dict(type='FaceCrop', size=16,
                               on_no_face='center')])(dict(res))
    assert out['imgs'][0].shape == (16, 16, 3)
    assert out['face_detected'] == [False] * 4


@pytest.mark.slow
def test_parallel_workers_give_the_same_results(tmp_path, clip):
    """Two spawned processes (each imports dfertools: slow on a busy
    machine)."""
    src = tmp_path / 'videos'
    src.mkdir()
    write_mp4(src / 'a.mp4', clip[0][:12])
    write_mp4(src / 'b.mp4', clip[0][12:])
    write_mp4(src / 'noface.mp4', faceless_clip())
    (src / 'thumb.jpg').write_bytes(b'')  # a stray image: not a frame dir
    one = extract_faces(str(src), str(tmp_path / 'one'), dict(size=32),
                        log=print)
    two = extract_faces(str(src), str(tmp_path / 'two'), dict(size=32),
                        workers=2, log=print)
    stats = [{k: v for k, v in r.items() if k not in ('output', 'status')}
             for r in sorted(one['done'], key=lambda r: r['input'])]
    assert len(stats) == 2
    assert stats == [
        {k: v for k, v in r.items() if k not in ('output', 'status')}
        for r in sorted(two['done'], key=lambda r: r['input'])]
    assert [osp.basename(r['input']) for r in two['failed']] == [
        'noface.mp4']


def test_resume_redoes_other_settings_and_skips_out_dir(tmp_path, clip):
    src = tmp_path / 'videos'
    src.mkdir()
    write_mp4(src / 'face.mp4', clip[0][12:20])
    out = src / 'crops'  # inside the input folder: never an input
    res = extract_faces(str(src), str(out), dict(size=32), log=print)
    assert len(res['done']) == 1
    res = extract_faces(str(src), str(out), dict(size=32), log=print)
    assert len(res['skipped']) == 1 and not res['done']
    res = extract_faces(str(src), str(out), dict(size=40), log=print)
    assert len(res['done']) == 1  # other settings: redone
    cap = cv2.VideoCapture(str(out / 'face.mp4'))
    assert cap.get(cv2.CAP_PROP_FRAME_WIDTH) == 40


def test_write_clip_is_atomic(tmp_path):
    from dfertools.datasets.faces.clip_io import write_clip

    def frames_then_crash():
        yield np.zeros((16, 16, 3), np.uint8)
        raise RuntimeError('killed')
    for out in (tmp_path / 'a.mp4', tmp_path / 'b'):
        with pytest.raises(RuntimeError):
            write_clip(frames_then_crash(), str(out))
        assert os.listdir(tmp_path) == []  # no output, no leftover
    with pytest.raises(OSError, match='no frames'):
        write_clip(iter([]), str(tmp_path / 'c.mp4'))
