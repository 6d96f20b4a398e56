"""Which picture is which: the keys the results database tells pictures apart by.

* :func:`picture_key`: the content (sha256), empty files told apart by name;
* :func:`arrival_key`: one arrival of a picture - its absolute path (as bytes), size,
  modification time and content, so a name a camera reuses for a new picture is a new
  arrival;
* :func:`legacy_key`: the arrival given to a row of a version-1 database (identified by
  content) when it was brought to the current schema;
* :func:`content_hashes`: :func:`picture_key` of many files, hashed in chunks.
"""
import hashlib
import os
from typing import Dict, Optional, Sequence

from mmdet_shuffledefect.utils.file_hash import sha256_file

from .picture_files import name_bytes, shown_name


def arrival_key(path, size: Optional[int], mtime_ns: Optional[int], sha256: str) -> str:
    """The identity of one arrival of a picture: its absolute path (as bytes), size,
    modification time and content hash, hashed.

    Example:
        >>> arrival_key('/line/a.jpg', 3, 1, 'ab') == arrival_key('/line/a.jpg', 3, 2, 'ab')
        False
    """
    digest = hashlib.sha256(name_bytes(os.path.abspath(path)))
    digest.update(f'\0{size}\0{mtime_ns}\0{sha256}'.encode())
    return digest.hexdigest()


def legacy_key(path, sha256: str) -> str:
    """The arrival a row of a version-1 database (identified by content) was given when
    it was brought to this schema: a picture recorded then is not recorded again."""
    return f'v1:{sha256}:{shown_name(path)}'


def picture_key(data: bytes, path: str) -> str:
    """A picture's identity in the database: the sha256 of its content; empty files,
    which all share one hash, are told apart by name.

    Example:
        >>> picture_key(b'', '/line/a.jpg')
        'empty:a.jpg'
    """
    if not data:
        return 'empty:' + os.path.basename(path)
    return hashlib.sha256(data).hexdigest()


def content_hashes(paths: Sequence[str]) -> Dict[str, Optional[str]]:
    """path -> the picture's identity (:func:`picture_key`, the file hashed in chunks),
    None where it cannot be read."""
    out = {}
    for p in paths:
        try:
            out[p] = sha256_file(p) if os.path.getsize(p) else picture_key(b'', p)
        except OSError:
            out[p] = None
    return out


__all__ = ['arrival_key', 'content_hashes', 'legacy_key', 'picture_key']
