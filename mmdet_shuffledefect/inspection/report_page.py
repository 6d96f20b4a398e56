"""One self-contained HTML page from an inspection database (what
``tools/inspection_report.py`` writes): defect rate and defects per class over time,
the latest defective pictures with their boxes, and a filterable, paged table.

The page works offline: CSS, JavaScript, the plot (SVG) and the pictures (JPEG data
URIs) are inside it, nothing is fetched. Every text that comes from the database (file
names, class names, errors, config paths) reaches the page escaped: in the markup
through :func:`html.escape`, in the table's data as JSON with ``<``, ``>`` and ``&``
written as ``\\u003c`` ..., and the script puts it on the page with ``textContent``
only, so a file called ``<img src=x onerror=alert(1)>.jpg`` shows as text.

Example:
    >>> data = load_report_data('line1.sqlite', since=time.time() - 8 * 3600)  # doctest: +SKIP
    >>> open('shift.html', 'w').write(render_report(data))                    # doctest: +SKIP
"""
import base64
import hashlib
import html
import json
import os.path as osp
import string
import time
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np

from .browser import CHROMIUM_ARGS, find_chromium, screenshot
from .picture_files import shown_name
from .report_data import load_report_data, open_readonly, parse_when
from .report_plot import COLOURS, local_time, plot_svg, time_bins


def _asset(name: str) -> str:
    """The text of a file beside this module (the page's style and script)."""
    with open(osp.join(osp.dirname(__file__), name), encoding='utf-8') as f:
        return f.read()


#: The page's style and script, kept as files beside this module (report_page.css/.js).
STYLE = _asset('report_page.css')
SCRIPT = _asset('report_page.js')


def thumbnail(path, boxes: List[tuple], classes: Sequence[str], side: int = 220,
              sha256: Optional[str] = None) -> str:
    """A picture with its boxes: a JPEG data URI under an SVG of the boxes (labels in
    tooltips), or a grey box saying the file is gone or holds other bytes than the
    ones inspected (``sha256``, when given, is checked)."""

    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError:
        data = None
    img = None
    note = f'picture no longer at {shown_name(path)}'
    if data is not None:
        if sha256 and len(sha256) == 64 and hashlib.sha256(data).hexdigest() != sha256:
            note = f'file changed since inspection: {shown_name(path)} holds other bytes now'
        else:
            img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        return (f'<div class="gone" style="width:{side}px;height:{side}px">'
                f'{html.escape(note)}</div>')
    h, w = img.shape[:2]
    scale = side / max(h, w)
    small = cv2.resize(img, (max(1, round(w * scale)), max(1, round(h * scale))),
                       interpolation=cv2.INTER_AREA)
    ok, jpg = cv2.imencode('.jpg', small, [cv2.IMWRITE_JPEG_QUALITY, 80])
    uri = 'data:image/jpeg;base64,' + base64.b64encode(jpg.tobytes()).decode()
    sw, sh = small.shape[1], small.shape[0]
    rects = []
    for cls, score, x1, y1, x2, y2 in boxes:
        colour = COLOURS[list(classes).index(cls) % len(COLOURS)] if cls in classes else '#f00'
        rects.append(f'<rect x="{x1 * scale:.1f}" y="{y1 * scale:.1f}" '
                     f'width="{(x2 - x1) * scale:.1f}" height="{(y2 - y1) * scale:.1f}" '
                     f'fill="none" stroke="{colour}" stroke-width="2"><title>'
                     f'{html.escape(cls)} {score:.2f}</title></rect>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{sw}" height="{sh}" '
            f'viewBox="0 0 {sw} {sh}"><image href="{uri}" width="{sw}" height="{sh}"/>'
            + ''.join(rects) + '</svg>')


def _json_for_script(value) -> str:
    """JSON that cannot end or comment its ``<script>`` element."""
    return (json.dumps(value, separators=(',', ':'), ensure_ascii=False)
            .replace('<', '\\u003c').replace('>', '\\u003e').replace('&', '\\u0026')
            .replace('\u2028', '\\u2028').replace('\u2029', '\\u2029'))


def table_rows(data: Dict) -> Dict:
    """The table's data: one row per defect, and one per clean or unreadable picture:
    ``[time, name index, status, class, score, box, area %, error]``."""
    names, name_index, rows = [], {}, []
    for img_id, path, t, status, error, _, _, model_id, *_ in data['images']:
        if path not in name_index:
            name_index[path] = len(names)
            names.append(path)
        n = name_index[path]
        dets = data['by_image'].get(img_id, [])
        if not dets:
            rows.append([round(t, 3), n, status, None, None, None, None, error, model_id])
        for _, cls, score, x1, y1, x2, y2, area_pct in dets:
            rows.append([round(t, 3), n, status, cls, round(score, 4),
                         [round(x1, 1), round(y1, 1), round(x2, 1), round(y2, 1)],
                         None if area_pct is None else round(area_pct, 3), None, model_id])
    return dict(names=names, rows=rows, classes=data['classes'])


def _cards(data: Dict) -> str:
    """The counts at the top of the page."""
    images = data['images']
    n = len(images)
    status = {s: sum(1 for r in images if r[3] == s) for s in ('defect', 'clean', 'unreadable')}
    rate = f'{100 * status["defect"] / n:.1f}%' if n else '-'
    return ''.join(f'<div class="card">{html.escape(k)}<b>{v}</b></div>' for k, v in [
        ('pictures', n), ('defective', status['defect']), ('defect rate', rate),
        ('clean', status['clean']), ('unreadable', status['unreadable']),
        ('defects', len(data['detections']))])


def _class_rows(data: Dict) -> str:
    """The rows of the defects-per-class table, most frequent first."""
    per_class = {c: 0 for c in data['classes']}
    for det in data['detections']:
        per_class[det[1]] += 1
    return ''.join(f'<tr><td>{html.escape(c)}</td><td class="num">{k}</td></tr>'
                   for c, k in sorted(per_class.items(), key=lambda x: -x[1]))


def _shown_ids(data: Dict) -> list:
    """Ids of the models the page shows: :func:`load_report_data`'s choice, else every model."""
    return data.get('shown_models') or [m[0] for m in data['models']]


def _model_rows(data: Dict) -> str:
    """The rows of the models table: each model's pictures, defective and unreadable in
    the time range (``-`` for a model with none there)."""
    esc = html.escape
    shown_ids = _shown_ids(data)
    per_model = {}
    for r in data['images']:
        got = per_model.setdefault(r[7], [0, 0, 0])
        got[0] += 1
        got[1] += r[3] == 'defect'
        got[2] += r[3] == 'unreadable'
    rows = []
    for m in data['models']:
        n_m, bad, unread = per_model.get(m[0], [m[-1], None, None])
        rate_m = f'{100 * bad / n_m:.1f}%' if bad is not None and n_m else '-'
        rows.append(
            f'<tr><td>{m[0]}{" (shown)" if m[0] in shown_ids else ""}</td>'
            f'<td>{esc(str(m[1]))}</td><td>{esc(str(m[2])[:16])}</td>'
            f'<td>{esc(str(m[3]))}</td><td>{esc(str(m[4]))}</td><td>{esc(str(m[5]))}</td>'
            f'<td class="num">{n_m}</td><td class="num">{"-" if bad is None else bad}</td>'
            f'<td class="num">{rate_m}</td>'
            f'<td class="num">{"-" if unread is None else unread}</td></tr>')
    return ''.join(rows)


def _scope(data: Dict) -> str:
    """Which model(s) the page shows, in words (escaped)."""
    esc = html.escape
    shown_ids = _shown_ids(data)
    if len(shown_ids) != 1:
        return (f'models {", ".join(map(str, shown_ids))}, each picture once per model '
                '(broken down by model below)')
    which = next((m for m in data['models'] if m[0] == shown_ids[0]), None)
    return (f'model {shown_ids[0]}' + (f' ({esc(osp.basename(str(which[1])))}, '
                                       f'{esc(str(which[3]))}, score &ge; '
                                       f'{esc(str(which[5]))})' if which else '')
            + (f'; {len(data["models"]) - 1} other model(s) in the database, listed '
               'below (--model all or --model ID)' if len(data['models']) > 1 else ''))


def _figures(data: Dict, latest: int) -> str:
    """The ``latest`` defective pictures, newest first, with their boxes drawn."""
    def figure(row) -> str:
        boxes = [d[1:7] for d in data['by_image'].get(row[0], [])]  # class, score, box
        where = row[9] if len(row) > 9 and row[9] is not None else row[1]
        sha = row[8] if len(row) > 8 else None
        picture = thumbnail(where if isinstance(where, str) else bytes(where), boxes,
                            data['classes'], sha256=sha)
        return (f'<figure>{picture}<figcaption>'
                f'{html.escape(osp.basename(row[1]))}<br>{local_time(row[2])}: '
                + html.escape(', '.join(f'{c} {s:.2f}' for c, s, *_ in boxes))
                + '</figcaption></figure>')

    recent = [r for r in reversed(data['images']) if r[3] == 'defect'][:latest]
    return ''.join(map(figure, recent)) or '<p class="empty">none</p>'


#: The page's markup, a :class:`string.Template` kept as a file beside this module.
PAGE = string.Template(_asset('report_page.html'))


def render_report(data: Dict, latest: int = 12, title: str = 'Inspection report') -> str:
    """The page (see the module docstring) for :func:`load_report_data`'s ``data``."""
    esc = html.escape
    images = data['images']
    span = (f'{local_time(images[0][2])} to {local_time(images[-1][2])}' if images
            else 'no pictures')
    asked = ' '.join(filter(None, [
        data['since'] is not None and f'since {local_time(data["since"])}',
        data['until'] is not None and f'until {local_time(data["until"])}']))
    return PAGE.substitute(
        title=esc(title), style=STYLE, script=SCRIPT,
        db=esc(data['db'] if '://' in data['db'] else osp.abspath(data['db'])),
        scope=_scope(data), span=esc(span), asked=f' ({esc(asked)})' if asked else '',
        written=local_time(time.time()), zone=esc(time.strftime('%Z')), cards=_cards(data),
        plot=plot_svg(data), class_rows=_class_rows(data), figures=_figures(data, latest),
        status_options=''.join(f'<option value="{s}">{s}</option>'
                               for s in ('defect', 'clean', 'unreadable')),
        models=_model_rows(data), table_data=_json_for_script(table_rows(data)))


def write_report(db_path: str, out: str, since: Optional[float] = None,
                 until: Optional[float] = None, latest: int = 12, model='latest') -> Dict:
    """Write the page for ``db_path`` to ``out``; return what it shows in numbers
    (``model``: as :func:`load_report_data`)."""
    data = load_report_data(db_path, since, until, model)
    page = render_report(data, latest=latest)
    with open(out, 'w', encoding='utf-8') as f:
        f.write(page)
    return dict(pictures=len(data['images']), defects=len(data['detections']),
                bytes=len(page.encode()), models=data['shown_models'])


__all__ = ['CHROMIUM_ARGS', 'find_chromium', 'load_report_data', 'open_readonly', 'parse_when',
           'plot_svg', 'render_report', 'screenshot', 'table_rows', 'time_bins', 'write_report']
