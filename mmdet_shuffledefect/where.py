"""Print where the shipped ``configs/`` and ``tools/`` folders are.

From a source checkout they are the repository's; from a pip install they are
the copies inside the package (``mmdet_shuffledefect/.mim``).

Example:
    $ python -m mmdet_shuffledefect.where configs
    /.../site-packages/mmdet_shuffledefect/.mim/configs
"""
import os.path as osp
import sys

PACKAGE = osp.dirname(osp.abspath(__file__))


def shipped_dir(name: str) -> str:
    """Absolute path of the shipped ``configs`` or ``tools`` folder."""
    if name not in ('configs', 'tools'):
        raise ValueError(f"name must be 'configs' or 'tools', got {name!r}")
    for candidate in (osp.join(PACKAGE, '.mim', name), osp.join(osp.dirname(PACKAGE), name)):
        if osp.isdir(candidate):
            return candidate
    raise FileNotFoundError(f'no {name}/ folder shipped with {PACKAGE}')


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    names = argv or ['configs', 'tools']
    try:
        for name in names:
            print(shipped_dir(name) if argv else f'{name}: {shipped_dir(name)}')
    except (ValueError, FileNotFoundError) as err:
        print(f'error: {err}', file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
