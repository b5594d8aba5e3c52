"""Classify videos with a fine-tuned model: one clip, a batch, or a
sliding window over time.

    # one video (file or frame folder): a table, or JSON
    python tools/infer.py VIDEO --config CFG --checkpoint CKPT [--json]
    # every clip of a folder (or the lines of a .txt list) into a CSV
    python tools/infer.py FOLDER_OR_LIST --batch preds.csv --config ...
    # probabilities over time: CSV + timeline plot (PNG)
    python tools/infer.py VIDEO --timeline out/clip.csv [--stride N] ...

--detect-face crops the face first (detect, track, smooth, square crop;
see docs/inference.md). Class names come from the config's dataset.
"""
import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..'))

from dfertools.apis import (batch_inference, inference_recognizer,  # noqa
                            init_recognizer, sliding_window_inference,
                            write_timeline_csv)
from dfertools.datasets.faces.cli_args import (add_face_args,  # noqa: E402
                                               cropper_cfg)
from dfertools.datasets.faces.cropper import NoFaceError  # noqa: E402
from dfertools.cli.tool_errors import run_main  # noqa: E402


def print_result(video: str, res: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(dict(
            video=video, pred_label=res['pred_label'],
            pred_class=res['classes'][res['pred_label']],
            probs={c: float(p) for c, p in zip(res['classes'],
                                                res['probs'])},
            num_views=len(res['view_probs']))))
        return
    width = max(len(c) for c in res['classes'])
    print(f'{video} ({len(res["view_probs"])} views)')
    for i in res['probs'].argsort()[::-1]:
        mark = ' <' if i == res['pred_label'] else ''
        print(f'  {res["classes"][i]:<{width}}  {res["probs"][i]:.4f}{mark}')


def face_args(args):
    """``FaceCrop`` arguments, or ``None`` without --detect-face."""
    if not args.detect_face:
        return None
    cfg = cropper_cfg(args, args.face_size)
    if args.face_size is None:
        cfg.pop('size')  # the pipeline's default_face_size
    return cfg


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('video', help='video file or frame folder; with --batch '
                   'a folder of clips or a .txt list')
    p.add_argument('--config', required=True)
    p.add_argument('--checkpoint', required=True)
    p.add_argument('--num-views', type=int, default=None)
    p.add_argument('--device', default='cpu')
    p.add_argument('--json', action='store_true')
    mode = p.add_mutually_exclusive_group()
    mode.add_argument('--batch', metavar='OUT_CSV',
                      help='classify every clip of VIDEO (folder or .txt '
                      'list) into this CSV')
    mode.add_argument('--timeline', metavar='OUT_CSV',
                      help='sliding-window probabilities over time into '
                      'this CSV, and the plot next to it (.png)')
    p.add_argument('--stride', type=int, default=None,
                   help='--timeline: frames between windows (default: '
                   'half a window)')
    p.add_argument('--fps', type=float, default=None,
                   help='--timeline: frame rate of a frame folder '
                   '(default 25; video files use their own)')
    p.add_argument('--detect-face', action='store_true',
                   help='crop the face before classifying')
    p.add_argument('--face-size', type=int, default=None,
                   help='face crop side (default: the pipeline decode '
                   'height, else 224)')
    add_face_args(p)
    args = p.parse_args(argv)
    model = init_recognizer(args.config, args.checkpoint, args.device)
    face = face_args(args)
    try:
        return run_mode(args, model, face)
    except NoFaceError as e:
        print(f'infer.py: error: {e}; run without --detect-face to classify '
              'the whole frame, or check the detector (docs/inference.md)',
              file=sys.stderr)
        return 1


def run_mode(args, model, face) -> int:
    if args.batch:
        rows = batch_inference(model, args.video, args.batch,
                               args.num_views, face,
                               log=lambda s: print(s, flush=True))
        failed = sum(1 for r in rows if r.get('error'))
        print(f'{len(rows) - failed} clips classified, {failed} failed: '
              f'{args.batch}')
        return 2 if failed else 0
    if args.timeline:
        from dfertools.visualization import plot_timeline
        res = sliding_window_inference(model, args.video, args.stride, face,
                                       args.fps)
        write_timeline_csv(res, args.timeline)
        png = osp.splitext(args.timeline)[0] + '.png'
        plot_timeline(res['centers_s'], res['probs'], res['classes'],
                      res['frames'], res['fps'], png,
                      title=osp.basename(args.video))
        print(f'{len(res["starts"])} windows: {args.timeline}, {png}')
        return 0
    res = inference_recognizer(model, args.video, args.num_views, face)
    print_result(args.video, res, args.json)
    return 0


if __name__ == '__main__':
    sys.exit(run_main(main))
