"""Picture files as a line camera writes them: names of any bytes, sizes read from the
header before anything is decoded, truncated writes told apart from broken files.

A file name on Linux is bytes; Python hands it out as text with the undecodable bytes
kept as surrogates (``os.fsdecode``), which no database driver or terminal accepts.
:func:`shown_name` is the readable, terminal-safe text of a name (undecodable bytes and
control characters written as ``\\xNN``), :func:`name_bytes` the lossless one kept beside
it. :func:`read_picture` reads a file once, refuses a picture over the pixel cap or under
the smallest side from its header (a decompression bomb of 20000 x 20000 px costs the
bytes of its file, not 1.2 GB), and only then decodes it.

Example:
    >>> shown_name('Pr\\udcfcfung\\x1b[31m.jpg')
    'Pr\\\\xfcfung\\\\x1b[31m.jpg'
    >>> picture_size(b'\\x89PNG\\r\\n\\x1a\\n' + bytes(4) + b'IHDR' + (20000).to_bytes(4, 'big') * 2)
    (20000, 20000)
"""
import io
import os
import struct
import threading
import warnings
from typing import NamedTuple, Optional, Tuple

import cv2
import numpy as np

#: Default pixel cap: a line camera's frame (16384 x 2048 = 33.6 MP) passes, a
#: decompression bomb (20000 x 20000) or an 8000 x 8000 frame is refused before decoding.
DEFAULT_MAX_PIXELS = 40_000_000
#: Default smallest side (px): a picture narrower than this holds no defect the detectors
#: were trained to find (a 1 x 3000 strip, a 1 x 1 placeholder).
DEFAULT_MIN_SIDE = 32

_PIL_GUARD = threading.Lock()
_CONTROL = {c: f'\\x{c:02x}' for c in list(range(0x20)) + [0x7f]}


def shown_name(path) -> str:
    """The readable, terminal-safe text of a file name or path (str or bytes): undecodable
    bytes and control characters (ANSI escapes included) written as ``\\xNN``."""
    raw = os.fsencode(path)
    text = raw.decode('utf-8', 'backslashreplace')
    return text.translate(_CONTROL) if any(ord(c) < 0x20 or ord(c) == 0x7f for c in text) \
        else text


def name_bytes(path) -> bytes:
    """The lossless bytes of a file name or path (what the operating system holds)."""
    return os.fsencode(path)


def _jpeg_size(data: bytes) -> Optional[Tuple[int, int]]:
    """(width, height) from a JPEG's start-of-frame marker, None where none is found."""
    i, n = 2, len(data)
    while i + 9 < n:
        if data[i] != 0xFF:
            i += 1
            continue
        marker = data[i + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7 or marker == 0xFF:
            i += 1 if marker == 0xFF else 2
            continue
        length = struct.unpack('>H', data[i + 2:i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
            h, w = struct.unpack('>HH', data[i + 5:i + 9])
            return w, h
        i += 2 + length
    return None


def picture_size(data: bytes) -> Optional[Tuple[int, int]]:
    """(width, height) of a picture from its header alone, None where the format is not
    known or the header is cut short. PNG and JPEG are read here, everything else by
    Pillow, which reads only the header on open."""
    if data[:8] == b'\x89PNG\r\n\x1a\n' and len(data) >= 24:
        return struct.unpack('>II', data[16:24])
    if data[:3] == b'\xff\xd8\xff':
        return _jpeg_size(data)
    if data[:2] == b'BM' and len(data) >= 26:
        w, h = struct.unpack('<ii', data[18:26])
        return abs(w), abs(h)
    from PIL import Image
    with _PIL_GUARD:  # Pillow's own bomb guard off while only the header is read
        guard, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
        try:
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                with Image.open(io.BytesIO(data)) as im:
                    return im.size
        except Exception:  # noqa: BLE001 -- any format Pillow cannot read: cv2 decides
            return None
        finally:
            Image.MAX_IMAGE_PIXELS = guard


def size_problem(width: int, height: int, max_pixels: int = DEFAULT_MAX_PIXELS,
                 min_side: int = DEFAULT_MIN_SIDE) -> Optional[str]:
    """Why a picture of this size is refused (None where it is not).

    Example:
        >>> size_problem(20000, 20000)
        'too large (20000 x 20000 px = 400.0 MP; the cap is 40.0 MP, --max-pixels)'
        >>> size_problem(1, 3000)
        'too small (1 x 3000 px; a side under 32 px, --min-side)'
    """
    if width * height > max_pixels:
        return (f'too large ({width} x {height} px = {width * height / 1e6:.1f} MP; the cap '
                f'is {max_pixels / 1e6:.1f} MP, --max-pixels)')
    if min(width, height) < min_side:
        return f'too small ({width} x {height} px; a side under {min_side} px, --min-side)'
    return None


class Picture(NamedTuple):
    """What :func:`read_picture` found: the bytes (None: the file could not be read), the
    decoded BGR picture (None: refused or unreadable), why not, and whether the file
    looked cut short (a camera still writing it: worth reading again)."""
    data: Optional[bytes]
    img: Optional[np.ndarray]
    error: Optional[str]
    truncated: bool = False


def read_picture(path, max_pixels: int = DEFAULT_MAX_PIXELS,
                 min_side: int = DEFAULT_MIN_SIDE) -> Picture:
    """Read a picture file once: its bytes, its size from the header (refused over
    ``max_pixels`` or under ``min_side`` before decoding), then the decoded picture.

    Args:
        path (str | bytes): The file (any name the operating system gives).
        max_pixels (int): Refuse pictures with more pixels. Defaults to 40 MP.
        min_side (int): Refuse pictures with a side under this (px). Defaults to 32.

    Returns:
        Picture: ``(data, img, error, truncated)``.

    Example:
        >>> import tempfile, os.path as osp
        >>> path = osp.join(tempfile.mkdtemp(), 'cut.jpg')
        >>> ok, jpg = cv2.imencode('.jpg', np.zeros((40, 40, 3), np.uint8))
        >>> _ = open(path, 'wb').write(jpg.tobytes()[:-20])
        >>> read_picture(path).error
        'truncated JPEG: no end-of-image marker (the file was cut short)'
    """
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except FileNotFoundError:
        return Picture(None, None, 'the file was removed before it could be read')
    except OSError as err:
        return Picture(None, None, f'cannot read the file: {err.strerror or err}')
    if not data:
        return Picture(data, None, 'empty file (0 bytes)', True)
    if data[:3] == b'\xff\xd8\xff' and b'\xff\xd9' not in data[-64:]:
        return Picture(data, None,
                       'truncated JPEG: no end-of-image marker (the file was cut short)', True)
    if data[:8] == b'\x89PNG\r\n\x1a\n' and b'IEND' not in data[-16:]:
        return Picture(data, None, 'truncated PNG: no IEND chunk (the file was cut short)',
                       True)
    size = picture_size(data)
    if size is not None:
        problem = size_problem(size[0], size[1], max_pixels, min_side)
        if problem:
            return Picture(data, None, problem)
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if img is None:
        return Picture(data, None, 'not a readable picture (corrupt, or not an image format)')
    if size is None:  # a format whose header was not read: checked after decoding
        problem = size_problem(img.shape[1], img.shape[0], max_pixels, min_side)
        if problem:
            return Picture(data, None, problem)
    return Picture(data, img, None)


__all__ = ['DEFAULT_MAX_PIXELS', 'DEFAULT_MIN_SIDE', 'Picture', 'name_bytes', 'picture_size',
           'read_picture', 'shown_name', 'size_problem']
