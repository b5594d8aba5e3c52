"""render_soft_masks: layout and pixel placement of the Fig. 3 rows."""
import numpy as np
import pytest

from dfertools.visualization.soft_masks import (HARD_MASK_GREY,
                                                render_soft_masks)


def test_rows_columns_and_patch_placement(tmp_path):
    rng = np.random.default_rng(0)
    clip = rng.integers(0, 255, (3, 4, 8, 8), dtype=np.uint8)  # C,T,H,W
    grid = (2, 2, 2)  # 2 slices of 2x2 tokens, 4x4-pixel patches
    visible = np.array([1, 2, 5, 6])  # slice 0: patches 1, 2; slice 1: 1, 2
    sem = np.array([[0.0, 1.0], [0.5, 0.25]])
    out = tmp_path / 'masks.png'
    img = render_soft_masks(clip, grid, visible, {'CS': sem},
                            patch_size=(4, 4), out_file=str(out))
    assert img.shape == (3 * 8, 2 * 8, 3) and img.dtype == np.uint8
    assert out.exists() and out.stat().st_size > 0
    frames = clip.transpose(1, 2, 3, 0)
    # row 0: the first frame of each tubelet
    np.testing.assert_array_equal(img[0:8, 0:8], frames[0])
    np.testing.assert_array_equal(img[0:8, 8:16], frames[2])
    # row 1: hard-masked patches (0 and 3) grey, visible ones untouched
    hard = img[8:16, 0:8]
    assert (hard[0:4, 0:4] == HARD_MASK_GREY).all()
    assert (hard[4:8, 4:8] == HARD_MASK_GREY).all()
    np.testing.assert_array_equal(hard[0:4, 4:8], frames[0][0:4, 4:8])
    # row 2: soft mask on visible patches, hard-masked ones grey. Slice 0
    # shows patch 1 (top right) with value 0.0 and patch 2 (bottom left)
    # with 1.0: the light mask (high value) is drawn brighter.
    soft = img[16:24, 0:8].astype(float)
    assert (soft[0:4, 0:4] == HARD_MASK_GREY).all()
    tint0 = soft[0:4, 4:8] - 0.35 * frames[0][0:4, 4:8]
    tint1 = soft[4:8, 0:4] - 0.35 * frames[0][4:8, 0:4]
    assert tint1.mean() > tint0.mean() + 50


def test_bad_visible_count():
    with pytest.raises(ValueError, match='tube mask'):
        render_soft_masks(np.zeros((3, 4, 8, 8)), (2, 2, 2),
                          np.array([0, 1, 5]), {'CS': np.zeros(3)},
                          patch_size=(4, 4))


def test_cli_renders_demo_model(tmp_path):
    """tools/analysis/visualize_soft_masks.py on a SynthDFER demo model."""
    import os.path as osp

    from dfertools.datasets.synthetic_writer import generate
    from tests.fixtures.cli import load_tool
    from tests.fixtures.paths import REPO_ROOT as root
    data = tmp_path / 'synth'
    generate(str(data), seed=0, num_labeled=5, num_unlabeled=0,
             frames=(16, 16), workers=1, progress=False)
    tool = load_tool('tools/analysis/visualize_soft_masks.py')
    paths = tool.main([
        osp.join(root, 'configs', 'demo', 'vit-t_synth-dfer_adatosk.py'),
        '--num-samples', '2', '--out-dir', str(tmp_path / 'vis'),
        '--cfg-options', f'test_dataloader.dataset.data_root={data}'
    ])
    assert len(paths) == 2
    for p in paths:
        assert osp.getsize(p) > 0
