"""The inspection page's plot over time: defects per class and the defect rate per time
bin, as inline SVG (no plotting library, nothing fetched)."""
import html
import time
from typing import Dict, Sequence

import numpy as np

#: Time bins the plot may use (seconds), the first that gives at most MAX_BINS bins wins.
BIN_CHOICES = (60, 300, 900, 3600, 4 * 3600, 86400, 7 * 86400)
#: The most bins the plot draws.
MAX_BINS = 48

#: Colours of the classes in the plot and on the pictures (cycled).
COLOURS = ('#e6194b', '#3cb44b', '#4363d8', '#f58231', '#911eb4', '#42d4f4', '#f032e6',
           '#9a6324', '#808000', '#000075')


def local_time(t: float, fmt: str = '%Y-%m-%d %H:%M:%S') -> str:
    """``t`` (seconds since the epoch) as this machine's local time."""
    return time.strftime(fmt, time.localtime(t))


def time_bins(times: Sequence[float]) -> tuple:
    """``(start, width)`` of the plot's bins: the narrowest of :data:`BIN_CHOICES` that
    cuts the span of ``times`` into at most :data:`MAX_BINS` bins, aligned to it.

    Example:
        >>> time_bins([0.0, 3000.0])
        (0.0, 300)
    """
    lo, hi = min(times), max(times)
    for width in BIN_CHOICES:
        start = lo - lo % width
        if (hi - start) // width + 1 <= MAX_BINS:
            return start, width
    width = BIN_CHOICES[-1]
    return lo - lo % width, width


def _binned_counts(data: Dict) -> tuple:
    """``(start, width, seen, bad, per_class)``: the plot's bins (:func:`time_bins`) and, per
    bin, the pictures inspected, the defective ones and the defects of each class."""
    images = data['images']
    start, width = time_bins([r[2] for r in images])
    nbins = int((max(r[2] for r in images) - start) // width) + 1
    seen, bad = np.zeros(nbins), np.zeros(nbins)
    per_class = np.zeros((len(data['classes']), nbins))
    bin_of = {}
    for row in images:
        b = int((row[2] - start) // width)
        bin_of[row[0]] = b
        seen[b] += 1
        bad[b] += row[3] == 'defect'
    index = {c: i for i, c in enumerate(data['classes'])}
    for det in data['detections']:
        per_class[index[det[1]], bin_of[det[0]]] += 1
    return start, width, seen, bad, per_class


def plot_svg(data: Dict) -> str:
    """The over-time plot as inline SVG: defects per class per time bin (stacked bars)
    and the defect rate (defective / inspected pictures, line, right axis)."""
    if not data['images']:
        return '<p class="empty">No pictures in this time range.</p>'
    classes = data['classes']
    start, width, seen, bad, per_class = _binned_counts(data)
    nbins = len(seen)
    W, H, left, right, top, bottom = 860, 280, 50, 50, 16, 46
    pw, ph = W - left - right, H - top - bottom
    peak = max(1.0, per_class.sum(0).max())
    bw = pw / nbins
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" '
             f'height="{H}" role="img" aria-label="defects over time">',
             f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="#fafafa" '
             'stroke="#ccc"/>']
    for frac in (0, 0.5, 1):  # left axis: defects per bin; right axis: defect rate
        y = top + ph * (1 - frac)
        parts.append(f'<line x1="{left}" x2="{left + pw}" y1="{y:.1f}" y2="{y:.1f}" '
                     'stroke="#e4e4e4"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
                     f'{peak * frac:.0f}</text>')
        parts.append(f'<text x="{left + pw + 6}" y="{y + 4:.1f}">{100 * frac:.0f}%</text>')
    for b in range(nbins):
        base = 0.0
        x = left + b * bw + 0.1 * bw
        for c in range(len(classes)):
            n = per_class[c, b]
            if not n:
                continue
            h = ph * n / peak
            y = top + ph - base - h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{0.8 * bw:.1f}" '
                         f'height="{h:.1f}" fill="{COLOURS[c % len(COLOURS)]}"><title>'
                         f'{html.escape(classes[c])}: {int(n)} in '
                         f'{local_time(start + b * width, "%m-%d %H:%M")}</title></rect>')
            base += h
    rate = np.divide(bad, seen, out=np.zeros_like(bad), where=seen > 0)
    points = ' '.join(f'{left + (b + 0.5) * bw:.1f},{top + ph * (1 - rate[b]):.1f}'
                      for b in range(nbins) if seen[b])
    parts.append(f'<polyline points="{points}" fill="none" stroke="#222" stroke-width="2"/>')
    for b in range(nbins):
        if seen[b]:
            parts.append(f'<circle cx="{left + (b + 0.5) * bw:.1f}" '
                         f'cy="{top + ph * (1 - rate[b]):.1f}" r="3" fill="#222"><title>'
                         f'{100 * rate[b]:.1f}% defective of {int(seen[b])} pictures'
                         '</title></circle>')
    for b in sorted({0, nbins // 2, nbins - 1}):
        x = left + (b + 0.5) * bw
        parts.append(f'<text x="{x:.1f}" y="{top + ph + 16}" text-anchor="middle">'
                     f'{local_time(start + b * width, "%m-%d %H:%M")}</text>')
    label = {60: '1 min', 300: '5 min', 900: '15 min', 3600: '1 h', 14400: '4 h',
             86400: '1 day', 604800: '1 week'}[width]
    parts.append(f'<text x="{left}" y="{H - 6}">bars: defects per class per {label} '
                 '(left axis); line: defective pictures (right axis)</text>')
    parts.append('</svg>')
    legend = ''.join(f'<span class="key"><i style="background:{COLOURS[i % len(COLOURS)]}">'
                     f'</i>{html.escape(c)}</span>' for i, c in enumerate(classes))
    return '\n'.join(parts) + f'<div class="legend">{legend}</div>'
