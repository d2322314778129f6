"""One HTML page: a metrics table, curves and picture grids.

Pictures in the page's folder (or below it) are linked by relative path,
so a page of many large grids stays small and opens with the folder;
any other picture is embedded, so the page never points outside itself.
"""
import base64
import html
import os
from pathlib import Path
from typing import Dict, Sequence, Tuple, Union

PathLike = Union[str, Path]

_STYLE = """
body { font-family: sans-serif; margin: 2em auto; max-width: 1500px;
       padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #bbb; padding: 4px 10px; text-align: right; }
th:first-child, td:first-child { text-align: left; }
figure { margin: 1.5em 0; }
figure img { max-width: 100%; image-rendering: pixelated; }
figcaption { font-size: 0.95em; color: #444; margin-top: 0.3em; }
"""


def data_uri(path: PathLike) -> str:
    """A ``data:image/png;base64,...`` URI holding a PNG file."""
    payload = base64.b64encode(Path(path).read_bytes()).decode('ascii')
    return f'data:image/png;base64,{payload}'


def image_source(path: PathLike, page_dir: PathLike) -> str:
    """``src`` of a picture on a page in ``page_dir``: its relative path if
    it lies in that folder or below, else the embedded PNG."""
    path, page_dir = Path(path).resolve(), Path(page_dir).resolve()
    if page_dir in path.parents:
        rel = Path(os.path.relpath(path, page_dir)).as_posix()
        return html.escape(rel, quote=True)
    return data_uri(path)


def _figure(path: PathLike, caption: str, page_dir: PathLike) -> str:
    text = html.escape(caption)
    return (f'<figure><img src="{image_source(path, page_dir)}" '
            f'alt="{text}"><figcaption>{text}</figcaption></figure>')


def metrics_table(rows: Dict[str, Dict[str, float]],
                  keys: Sequence[str]) -> str:
    """An HTML table: one row per net, one column per metric (percent)."""
    head = ''.join(f'<th>{html.escape(k)}</th>' for k in keys)
    body = []
    for name, metrics in rows.items():
        cells = ''.join(f'<td>{metrics[k]:.2f}</td>' if k in metrics else
                        '<td>n/a</td>' for k in keys)
        body.append(f'<tr><td>{html.escape(name)}</td>{cells}</tr>')
    return (f'<table><tr><th>net</th>{head}</tr>' + ''.join(body) +
            '</table>')


def write_report(out_file: PathLike,
                 title: str,
                 intro: str,
                 table_html: str,
                 checks: Sequence[Tuple[str, bool]],
                 curves: Tuple[PathLike, str],
                 grids: Sequence[Tuple[PathLike, str]]) -> Path:
    """Write one HTML page; pictures in its folder are linked, others
    embedded (see :func:`image_source`).

    Args:
        out_file (str | Path): The ``.html`` file to write.
        title (str): Page title.
        intro (str): A paragraph of plain text under the title.
        table_html (str): The metrics table (see :func:`metrics_table`).
        checks (Sequence[tuple[str, bool]]): Statements checked on the
            metrics, and whether each holds.
        curves (tuple[str | Path, str]): The curves PNG and its caption.
        grids (Sequence[tuple[str | Path, str]]): Each comparison grid PNG
            and its one-line caption.

    Returns:
        Path: ``out_file``.
    """
    out = Path(out_file)
    page_dir = out.parent
    check_items = ''.join(
        f'<li>{"passed" if ok else "FAILED"}: {html.escape(text)}</li>'
        for text, ok in checks)
    parts = [
        '<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
        f'<title>{html.escape(title)}</title><style>{_STYLE}</style>',
        '</head><body>', f'<h1>{html.escape(title)}</h1>',
        f'<p>{html.escape(intro)}</p>', '<h2>Test metrics (%)</h2>',
        table_html, f'<ul>{check_items}</ul>', '<h2>Training curves</h2>',
        _figure(*curves, page_dir),
        '<h2>Input | ground truth | FCN-32s | FCN-16s | FCN-8s</h2>'
    ]
    parts += [_figure(path, text, page_dir) for path, text in grids]
    parts.append('</body></html>')
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text('\n'.join(parts) + '\n', encoding='utf-8')
    return out
