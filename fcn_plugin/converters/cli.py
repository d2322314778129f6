"""Shared command-line plumbing of ``tools/model_converters``."""
import argparse
import sys
from typing import Any, Callable, Dict, List, Optional

from .errors import WeightFileError
from .layers import NET_TITLES, NETS


def base_parser(description: str, with_net: bool = True
                ) -> argparse.ArgumentParser:
    """``SRC DST [--net NET]`` parser."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('src', help='source weight file')
    parser.add_argument('dst', help='output checkpoint (e.g. checkpoints/'
                        'fcn32s_voc.pth)')
    if with_net:
        parser.add_argument(
            '--net', choices=NETS, default=None,
            help='expected net; detected from the layers if omitted')
    return parser


def report(meta: Dict[str, Any], dst: str) -> str:
    """A short summary of a written checkpoint."""
    inp = meta['input']
    lines = [
        f'wrote {dst}: {NET_TITLES[meta["fcn_net"]]} from '
        f'{meta["source"]} ({meta["source_format"]})',
        f'  widths {meta["stage_channels"]}, fc {meta["fc_channels"]}' +
        (f', {meta["num_classes"]} classes' if 'num_classes' in meta
         else ''),
    ]
    lines += [f'  note: {n}' for n in meta['notes']]
    lines.append(
        f'  input: {inp["origin"]} normalisation, data_preprocessor '
        f'mean={inp["mean"]}, std={inp["std"]}, '
        f'bgr_to_rgb={inp["bgr_to_rgb"]}')
    return '\n'.join(lines)


def run(convert: Callable[..., Dict[str, Any]], args: argparse.Namespace,
        **kwargs) -> int:
    """Run a conversion; print a summary, or the error and exit code 1."""
    try:
        meta = convert(args.src, args.dst, **kwargs)
    except WeightFileError as err:
        print(f'error: {err}', file=sys.stderr)
        return 1
    print(report(meta, args.dst))
    return 0


def main(convert: Callable[..., Dict[str, Any]], description: str,
         argv: Optional[List[str]] = None, with_net: bool = True,
         extra: Optional[Callable[[argparse.ArgumentParser], None]] = None
         ) -> int:
    """Parse ``argv`` and run ``convert(src, dst, [net=...], ...)``."""
    parser = base_parser(description, with_net)
    if extra is not None:
        extra(parser)
    args = parser.parse_args(argv)
    kwargs = {k: v for k, v in vars(args).items() if k not in ('src', 'dst')}
    return run(convert, args, **kwargs)
