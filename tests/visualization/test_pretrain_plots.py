"""Mask / reconstruction PNG grids from a tiny pretrainer's predict()."""
import numpy as np
import pytest
import torch

from dfertools.visualization.pretrain_plots import (plot_masks,
                                                    plot_reconstruction,
                                                    to_pixels)
from tests.fixtures.tiny_pretrainer import batch, build


def test_to_pixels_uses_dataset_stats():
    z = torch.zeros(3, 1, 2, 2)
    z[0] = 1.0
    pix = to_pixels(z, mean=(100, 110, 120), std=(10, 20, 30))
    assert pix.shape == (1, 2, 2, 3) and pix.dtype == np.uint8
    assert pix[0, 0, 0].tolist() == [110, 110, 120]


@pytest.mark.parametrize('family', ['videomae', 'hi2m'])
def test_plots_written(tmp_path, family):
    import matplotlib.image as mpimg
    model = build(family).eval()
    data = batch(1)
    frames = data['inputs'][0][0].permute(1, 2, 3, 0).numpy()
    ds = model(**model.data_preprocessor(data, False), mode='predict')[0]
    tub = model.rec_loss.tubelet_size
    f1 = plot_masks(frames, ds.mask, str(tmp_path / 'm.png'),
                    prob=ds.get('prob'), tubelet=tub)
    f2 = plot_reconstruction(frames, ds.mask, ds.pred_video,
                             ds.target_video, str(tmp_path / 'r.png'),
                             motion_target=model.rec_loss.motion_target,
                             tubelet=tub)
    for f in (f1, f2):
        img = mpimg.imread(f)
        assert img.ndim == 3 and img.shape[0] > 50
