"""Convert a VideoMAE / MAE-DFER / mmaction2 checkpoint to dfertools keys.

    python tools/convert/convert_checkpoint.py SRC DST [--source auto]
        [--to dfertools|official|mmaction] [--pretrain-layout]
        [--keep-decoder]

``--to dfertools`` (default) writes ``{'state_dict': {backbone.*,
cls_head.*}, 'meta': ...}``, usable as ``load_from`` or as a backbone's
``pretrained``. ``--keep-decoder`` (official pretraining checkpoints) also
keeps the decoder, ``encoder_to_decoder`` and ``mask_token`` under
``MaskedVideoPretrainer``'s names (``backbone.*``, ``decoder.*``): the
file is then a ``load_from`` for a pretraining config, to continue
pretraining. The source's ``epoch`` and ``args`` (VideoMAE / MAE-DFER
training checkpoints) are kept in ``meta``. The logic lives in
dfertools.models.utils.checkpoint_convert.
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.join(osp.dirname(osp.abspath(__file__)), '..', '..'))

import torch  # noqa: E402

from dfertools.models.utils.checkpoint_convert import (  # noqa: E402
    convert_state_dict, read_state_dict, to_mmaction, to_official,
    training_record)
from dfertools.cli.tool_errors import run_main  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('src')
    p.add_argument('dst')
    p.add_argument('--source', default='auto',
                   choices=['auto', 'official', 'mmaction', 'dfertools'])
    p.add_argument('--to', default='dfertools',
                   choices=['dfertools', 'official', 'mmaction'])
    p.add_argument('--pretrain-layout', action='store_true',
                   help="with --to official: prefix keys with 'encoder.'")
    p.add_argument('--keep-decoder', action='store_true',
                   help='keep the pretraining decoder and mask token '
                   '(MaskedVideoPretrainer keys), to continue pretraining')
    args = p.parse_args(argv)
    if args.keep_decoder and args.to != 'dfertools':
        p.error('--keep-decoder writes dfertools keys; drop --to')
    raw = read_state_dict(args.src)
    conv = convert_state_dict(raw, args.source,
                              keep_decoder=args.keep_decoder)
    if args.to == 'dfertools':
        state = (conv.pretrainer_state_dict() if args.keep_decoder
                 else conv.recognizer_state_dict())
        out = dict(state_dict=state,
                   meta=dict(converted_from=osp.basename(args.src),
                             source=conv.source, **training_record(raw)))
    elif args.to == 'official':
        state = to_official(conv, args.pretrain_layout)
        out = dict(model=state)
    else:
        state = to_mmaction(conv)
        out = dict(state_dict=state)
    os.makedirs(osp.dirname(osp.abspath(args.dst)), exist_ok=True)
    torch.save(out, args.dst)
    print(f'{args.src} ({conv.source}) -> {args.dst} ({args.to}): '
          f'{len(conv.backbone)} backbone keys, {len(conv.head)} head keys, '
          f'{len(conv.decoder)} decoder keys, '
          f'dropped {len(conv.dropped)}: {conv.dropped[:10]}')
    return 0


if __name__ == '__main__':
    sys.exit(run_main(main))
