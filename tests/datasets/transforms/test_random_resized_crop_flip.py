"""RandomResizedCropFlip = mmaction2's RandomResizedCrop -> Resize -> Flip
(same box, same pixels), drawing from the sample's generator."""
import numpy as np
import pytest
from mmaction.datasets.transforms import Flip, RandomResizedCrop, Resize

from dfertools.datasets.sample_rng import global_rng_users, sample_rng_scope
from dfertools.datasets.transforms import RandomResizedCropFlip
from dfertools.datasets.transforms.random_resized_crop_flip import crop_box


def _clip(t=3, h=24, w=30, c=3, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, (h, w, c), dtype=np.uint8) for _ in range(t)]


def _mmaction(imgs, box, flip, size):
    """The three mmaction2 transforms, forced to ``box`` and ``flip``."""
    crop = RandomResizedCrop(area_range=(0.3, 1.0))
    crop.get_crop_bbox = lambda *a, **k: box
    res = dict(imgs=[i.copy() for i in imgs], img_shape=imgs[0].shape[:2],
               modality='RGB')
    res = crop(res)
    res = Resize(scale=(size[1], size[0]), keep_ratio=False)(res)
    return Flip(flip_ratio=1.0 if flip else 0.0)(res)['imgs']


@pytest.mark.parametrize('seed', range(6))
def test_same_pixels_as_mmaction_chain_for_the_drawn_box_and_flip(seed):
    imgs = _clip(seed=seed)
    t = RandomResizedCropFlip(size=(12, 16), area_range=(0.3, 1.0))
    with sample_rng_scope([seed]):
        out = t(dict(imgs=imgs))
    assert out['imgs'].shape == (3, 12, 16, 3)
    assert out['imgs'].dtype == np.uint8 and out['img_shape'] == (12, 16)
    box = tuple(int(v) for v in out['crop_bbox'])
    ref = np.stack(_mmaction(imgs, box, out['flip'], (12, 16)))
    np.testing.assert_array_equal(out['imgs'], ref)
    # the source frames are untouched (no in-place flip)
    np.testing.assert_array_equal(imgs[0], _clip(seed=seed)[0])


def _binomial_ok(hits, n, p, sds=5.0):
    """``hits`` of ``n`` Bernoulli(p) trials within ``sds`` standard
    deviations of ``n p``."""
    return abs(hits - n * p) <= sds * (n * p * (1 - p)) ** 0.5


@pytest.mark.parametrize('ratio', [0.3, 0.5, 0.85])
def test_flip_frequency_follows_flip_ratio(ratio):
    """Over 3000 samples (one per seed) the clip is flipped with
    probability flip_ratio, within 5 binomial SDs (+-0.042 at 0.3)."""
    imgs = _clip(t=1, h=8, w=10)
    t = RandomResizedCropFlip(size=4, area_range=(0.5, 1.0),
                              flip_ratio=ratio)
    n, flips = 3000, 0
    for seed in range(n):
        with sample_rng_scope([seed]):
            flips += t(dict(imgs=imgs))['flip']
    assert _binomial_ok(flips, n, ratio), (flips / n, ratio)


def test_draws_follow_the_documented_box_and_flip_distribution():
    """crop_box against an independent re-computation of the same draws,
    and the flip against the next draw of the same generator."""
    for seed in range(20):
        rng = np.random.RandomState(seed)
        box = crop_box(rng, 24, 30, (0.3, 1.0), (3 / 4, 4 / 3))
        ref = np.random.RandomState(seed)
        ratios = np.exp(ref.uniform(np.log(3 / 4), np.log(4 / 3), 10))
        areas = ref.uniform(0.3, 1.0, 10) * 24 * 30
        fits = [(int(round(np.sqrt(a * r))), int(round(np.sqrt(a / r))))
                for a, r in zip(areas, ratios)]
        cw, ch = next((w, h) for w, h in fits if w <= 30 and h <= 24)
        left = ref.randint(0, 30 - cw + 1)
        top = ref.randint(0, 24 - ch + 1)
        assert box == (left, top, left + cw, top + ch)
        assert 0.3 * 720 * 0.9 <= cw * ch <= 720
        # the transform: this box, then a flip iff the next draw < ratio
        with sample_rng_scope([seed]):
            res = RandomResizedCropFlip(size=8, area_range=(0.3, 1.0),
                                        flip_ratio=0.4)(dict(imgs=_clip()))
        gen = np.random.RandomState(np.asarray([seed], dtype=np.uint32))
        assert tuple(res['crop_bbox']) == crop_box(gen, 24, 30, (0.3, 1.0),
                                                   (3 / 4, 4 / 3))
        assert res['flip'] == bool(gen.rand() < 0.4)


def test_falls_back_to_the_centred_square_when_no_candidate_fits():
    # a 4 x 40 strip: no crop with aspect ratio in [1, 1] and >= 90% area fits
    box = crop_box(np.random.RandomState(0), 4, 40, (0.9, 1.0), (1.0, 1.0))
    assert box == (18, 0, 22, 4)


def test_flip_ratio_extremes_and_grayscale():
    imgs = _clip(c=1)
    for ratio, flipped in ((0.0, False), (1.0, True)):
        out = RandomResizedCropFlip(size=8, flip_ratio=ratio)(
            dict(imgs=imgs))
        assert out['flip'] is flipped and out['imgs'].shape == (3, 8, 8, 1)


def test_uses_no_global_generator_unlike_mmactions_pair():
    res = dict(imgs=_clip(), img_shape=(24, 30), modality='RGB')
    assert global_rng_users([RandomResizedCropFlip(size=8)], dict(res)) == []
    users = global_rng_users([RandomResizedCrop(), Flip(flip_ratio=0.5)],
                             dict(res))
    assert len(users) == 2


@pytest.mark.parametrize('kwargs', [dict(size=0), dict(size=(4, 4, 4)),
                                    dict(size=4, area_range=(0, 1)),
                                    dict(size=4, area_range=(0.9, 0.5)),
                                    dict(size=4, aspect_ratio_range=(2, 1)),
                                    dict(size=4, flip_ratio=1.5),
                                    dict(size=4, interpolation='lanczos')])
def test_bad_arguments_are_refused_with_the_value(kwargs):
    with pytest.raises(ValueError, match='RandomResizedCropFlip'):
        RandomResizedCropFlip(**kwargs)
