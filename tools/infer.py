"""Classify one video (file or frame folder) with a fine-tuned model.

    python tools/infer.py VIDEO_OR_FRAME_DIR --config CFG --checkpoint CKPT
        [--json] [--num-views N] [--device cpu]

Runs the config's test pipeline for every test view, averages the per-view
softmax probabilities and prints them as a table (or JSON).
"""
import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))

from dfertools.apis import inference_recognizer, init_recognizer  # noqa
from dfertools.utils.tool_errors import run_main  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('video')
    p.add_argument('--config', required=True)
    p.add_argument('--checkpoint', required=True)
    p.add_argument('--num-views', type=int, default=None)
    p.add_argument('--device', default='cpu')
    p.add_argument('--json', action='store_true')
    args = p.parse_args(argv)
    model = init_recognizer(args.config, args.checkpoint, args.device)
    res = inference_recognizer(model, args.video, args.num_views)
    if args.json:
        print(json.dumps(dict(
            video=args.video, pred_label=res['pred_label'],
            pred_class=res['classes'][res['pred_label']],
            probs={c: float(p) for c, p in zip(res['classes'],
                                                res['probs'])},
            num_views=len(res['view_probs']))))
    else:
        width = max(len(c) for c in res['classes'])
        print(f'{args.video} ({len(res["view_probs"])} views)')
        for i in res['probs'].argsort()[::-1]:
            mark = ' <' if i == res['pred_label'] else ''
            print(f'  {res["classes"][i]:<{width}}  {res["probs"][i]:.4f}'
                  f'{mark}')
    return 0


if __name__ == '__main__':
    sys.exit(run_main(main))
