"""Check that SynthDFER is learnable but not trivial.

Trains a small 3D CNN (pure torch) on one fold of a generated SynthDFER set
and prints the test UAR/WAR of the last epoch (no model selection on the
test split), with 2 test views (start and end of the clip) averaged after
softmax, as in docs/design.md, 'Test views'.

    python tools/analysis/synth_learnability.py --data data/synth_dfer
"""
import argparse
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', '..'))

from dfertools.datasets.annotations import parse_annotation  # noqa: E402
from dfertools.datasets.transforms.sampling import \
    DFERSampleFrames  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--data', required=True, help='SynthDFER root')
    p.add_argument('--fold', type=int, default=1)
    p.add_argument('--epochs', type=int, default=12)
    p.add_argument('--size', type=int, default=64, help='decode size')
    p.add_argument('--clip-len', type=int, default=16)
    p.add_argument('--stride', type=int, default=1)
    p.add_argument('--batch-size', type=int, default=16)
    p.add_argument('--lr', type=float, default=3e-3)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--threads', type=int, default=1)
    return p.parse_args(argv)


def load_split(root, ann, size):
    import decord
    clips, labels = [], []
    for rec in parse_annotation(os.path.join(root, ann)):
        reader = decord.VideoReader(os.path.join(root, rec.path),
                                    width=size, height=size)
        clips.append(reader.get_batch(list(range(len(reader)))).asnumpy())
        labels.append(rec.label)
    return clips, np.array(labels)


class Tiny3DCNN(nn.Module):
    def __init__(self, num_classes=7, widths=(16, 32, 48, 64)):
        super().__init__()
        layers, c_in = [], 3
        strides = [(1, 2, 2), (1, 2, 2), (2, 2, 2), (2, 2, 2)]
        for c_out, stride in zip(widths, strides):
            layers += [nn.Conv3d(c_in, c_out, 3, stride, 1, bias=False),
                       nn.BatchNorm3d(c_out), nn.ReLU(inplace=True)]
            c_in = c_out
        self.features = nn.Sequential(*layers)
        # keep a 2x2 spatial layout: brows/eyes vs mouth, left vs right
        self.pool = nn.AdaptiveAvgPool3d((1, 2, 2))
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.3),
                                  nn.Linear(c_in * 4, num_classes))

    def forward(self, x):  # x: [B, C, T, H, W] float
        return self.head(self.pool(self.features(x)))


def to_batch(clips, inds_list, flip=None):
    x = np.stack([c[i] for c, i in zip(clips, inds_list)])  # B T H W C
    x = torch.from_numpy(x).permute(0, 4, 1, 2, 3).float() / 127.5 - 1
    if flip is not None:
        x[flip] = x[flip].flip(-1)
    return x


def uar_war(pred, gt):
    present = np.unique(gt)
    recalls = [(pred[gt == c] == c).mean() for c in present]
    return float(np.mean(recalls)), float((pred == gt).mean())


def main(argv=None):
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    train_x, train_y = load_split(args.data, f'annotations/train_{args.fold}.txt',
                                  args.size)
    test_x, test_y = load_split(args.data, f'annotations/test_{args.fold}.txt',
                                args.size)
    print(f'loaded {len(train_x)} train / {len(test_x)} test clips in '
          f'{time.perf_counter() - t0:.1f} s', flush=True)
    train_sampler = DFERSampleFrames(args.clip_len, args.stride)
    test_sampler = DFERSampleFrames(args.clip_len, args.stride,
                                    test_mode=True, num_views=2)
    model = Tiny3DCNN()
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr,
                            weight_decay=0.05)
    # inverse-sqrt-frequency class weights: the set is imbalanced like DFEW
    freq = np.bincount(train_y, minlength=7).astype(np.float64) + 1
    weight = torch.tensor(freq ** -0.5 / np.mean(freq ** -0.5),
                          dtype=torch.float32)
    steps = args.epochs * int(np.ceil(len(train_x) / args.batch_size))
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, args.lr, total_steps=steps)
    for epoch in range(args.epochs):
        model.train()
        order = np.random.permutation(len(train_x))
        losses = []
        for b in range(0, len(order), args.batch_size):
            idx = order[b:b + args.batch_size]
            inds = [train_sampler(dict(total_frames=len(train_x[i])))
                    ['frame_inds'] for i in idx]
            x = to_batch([train_x[i] for i in idx], inds,
                         flip=torch.from_numpy(np.random.rand(len(idx)) < .5))
            loss = F.cross_entropy(model(x), torch.from_numpy(train_y[idx]),
                                   weight=weight)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
        print(f'epoch {epoch + 1}: loss {np.mean(losses):.3f} '
              f'({time.perf_counter() - t0:.0f} s)', flush=True)
    model.eval()
    probs = np.zeros((len(test_x), 7))
    with torch.no_grad():
        for view in range(2):
            for b in range(0, len(test_x), 32):
                clips = test_x[b:b + 32]
                inds = [test_sampler(dict(total_frames=len(c), view_id=view))
                        ['frame_inds'] for c in clips]
                probs[b:b + len(clips)] += F.softmax(
                    model(to_batch(clips, inds)), -1).numpy() / 2
    uar, war = uar_war(probs.argmax(1), test_y)
    print(f'fold {args.fold}: test UAR {100 * uar:.1f} %, WAR {100 * war:.1f} '
          f'% (chance UAR {100 / 7:.1f} %); {time.perf_counter() - t0:.0f} s')


if __name__ == '__main__':
    main()
