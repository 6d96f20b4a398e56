"""Write Pascal-VOC XML annotations (NEU-DET's format)."""
from typing import Iterable, Tuple
from xml.sax.saxutils import escape


def write_voc_xml(path: str, filename: str, width: int, height: int,
                  objects: Iterable[Tuple[str, Tuple[int, int, int, int], int]],
                  depth: int = 1) -> None:
    """Write one VOC XML file.

    Args:
        path (str): Output ``.xml`` path.
        filename (str): The ``<filename>`` value.
        width (int): Image width.
        height (int): Image height.
        objects: ``(name, (xmin, ymin, xmax, ymax), difficult)`` with 1-based
            inclusive corners, as VOC and NEU-DET store them.
        depth (int): ``<depth>`` value. Defaults to 1 (as NEU-DET).

    Example:
        >>> write_voc_xml('/tmp/a.xml', 'a.jpg', 200, 200, [('crazing', (1, 2, 30, 40), 0)])
    """
    lines = ['<annotation>', f'\t<filename>{escape(filename)}</filename>',
             '\t<size>', f'\t\t<width>{width}</width>', f'\t\t<height>{height}</height>',
             f'\t\t<depth>{depth}</depth>', '\t</size>']
    for name, (x1, y1, x2, y2), difficult in objects:
        lines += ['\t<object>', f'\t\t<name>{escape(name)}</name>',
                  f'\t\t<difficult>{int(difficult)}</difficult>', '\t\t<bndbox>',
                  f'\t\t\t<xmin>{x1}</xmin>', f'\t\t\t<ymin>{y1}</ymin>',
                  f'\t\t\t<xmax>{x2}</xmax>', f'\t\t\t<ymax>{y2}</ymax>',
                  '\t\t</bndbox>', '\t</object>']
    lines.append('</annotation>')
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
