"""tools/data/check_dataset.py: parallel scan of a list, bad paths written,
exit status."""
import os
import subprocess
import sys

from dfertools.datasets import video_check
from dfertools.datasets.bad_samples import read_bad_paths
from tests.fixtures.cli import data_tool
from tests.fixtures.data_toys import make_video_list, write_frames


def _tool():
    return data_tool('check_dataset')


def test_finds_every_bad_video_in_parallel(tmp_path, capsys):
    root = str(tmp_path)
    ann, bad = make_video_list(root, 8, bad=(1, 4, 6), frames=6)
    os.makedirs(os.path.join(root, 'empty_folder'))
    write_frames(os.path.join(root, 'one_frame'), frames=1)
    with open(ann, 'a') as f:
        f.write('missing.mp4 0\nempty_folder 1\none_frame 2\n')
    bad += [os.path.join(root, 'missing.mp4'),
            os.path.join(root, 'empty_folder')]
    out = str(tmp_path / 'bad.txt')
    code = _tool().main([ann, '--data-root', root, '--workers', '2',
                         '--clip-len', '4', '--frame-interval', '2',
                         '--out', out])
    assert code == 1
    found = read_bad_paths(out)
    assert sorted(found) == sorted(bad)
    assert 'annotation line 2)' in found[bad[0]]          # video 1
    assert 'FileNotFoundError' in found[bad[3]]
    assert 'CorruptVideoError' in found[bad[4]]
    printed = capsys.readouterr().out
    assert '5 of 11 videos unreadable' in printed and 'ETA' in printed
    # captured stdout is not a terminal: whole progress lines, no redraws
    assert '\r' not in printed and '11/11 (100%)' in printed


def test_clean_list_exits_0_and_bad_list_2(tmp_path, capsys):
    ann, _ = make_video_list(str(tmp_path), 2, frames=4)
    out = str(tmp_path / 'bad.txt')
    assert _tool().main([ann, '--workers', '1', '--out', out]) == 0
    assert read_bad_paths(out) == {}
    # one worker scans in this process and keeps no dataset in the module
    assert video_check._DATASET is None
    broken = tmp_path / 'broken.txt'
    broken.write_text('a 1\nb x\n')
    assert _tool().main([str(broken), '--out', out]) == 2
    assert f'{broken}:2: malformed' in capsys.readouterr().err


def test_fifo_and_damaged_header_are_reported_not_hung(tmp_path):
    """A FIFO in the list used to block the scan forever in FFmpeg's open.
    Run as a child process with a deadline (and no per-clip time limit, so
    only the file-type check can save it)."""
    root = str(tmp_path)
    ann, bad = make_video_list(root, 3, bad=(1,), frames=6,
                               kinds=('absurd_frame_count',))
    fifo = os.path.join(root, 'pipe.mp4')
    os.mkfifo(fifo)
    with open(ann, 'a') as f:
        f.write(f'{fifo} 0\n')
    out = str(tmp_path / 'bad.txt')
    proc = subprocess.run(
        [sys.executable, os.path.join('tools', 'data', 'check_dataset.py'),
         ann, '--workers', '2', '--clip-len', '4', '--decode-timeout', '0',
         '--out', out], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr[-2000:]
    found = read_bad_paths(out)
    assert sorted(found) == sorted(bad + [fifo])
    assert 'is a FIFO' in found[fifo] and '(annotation line 4)' in found[fifo]
    assert 'impossible header' in found[bad[0]]
