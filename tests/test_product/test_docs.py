"""README and docs/: short README with the essentials first, every Python snippet runs, every
repository path they name exists (#30 item 1)."""
import glob
import itertools
import os.path as osp
import re

import pytest

from conftest import REPO

DOCS = ['README.md'] + sorted(osp.relpath(p, REPO) for p in glob.glob(osp.join(REPO, 'docs',
                                                                                '*.md')))
ROOTS = ('configs', 'projects', 'tools', 'mmdet_shuffledefect', 'results', 'checkpoints', 'docs',
         'tests', 'requirements')
PATH = re.compile(r'(?<![\w/.-])((?:' + '|'.join(ROOTS) + r')/[\w./{},*+-]*[\w*}])')


def _read(name):
    with open(osp.join(REPO, name)) as f:
        return f.read()


def expand_braces(path):
    """``a_{x,y}.py`` -> ``['a_x.py', 'a_y.py']`` (several groups too)."""
    parts = re.split(r'\{([^{}]*)\}', path)
    fixed, choices = parts[0::2], [p.split(',') for p in parts[1::2]]
    return [''.join(itertools.chain.from_iterable(zip(fixed, combo))) + fixed[-1]
            for combo in itertools.product(*choices)] if choices else [path]


def named_paths(text):
    return sorted({m.group(1).rstrip('.') for m in PATH.finditer(text)})


def test_readme_is_short_and_has_the_essentials_first():
    text = _read('README.md')
    lines = text.split('\n')
    assert len(lines) <= 150, f'README.md has {len(lines)} lines, the goal is <= 150'
    assert lines[2:5] == ['```bash', lines[3], lines[4]] and lines[3].startswith('make demo') \
        and lines[4].startswith('make test'), 'the two commands must open the README'
    head = '\n'.join(lines[:60])
    assert 'mAP@0.5' in head and 'img/s' in head, 'expected accuracy and speed in 60 lines'
    assert re.search(r'inspect_defects\.py \$LINE \$LINE_CKPT', head) and 'checkpoints/' in head, \
        'the inspect command with the published line detector in 60 lines'
    assert 'ANNOTATIONS/' in head and 'splits/' in head, 'the own-data layout in 60 lines'


def test_every_doc_page_is_linked_from_the_readme():
    text = _read('README.md')
    for name in DOCS[1:]:
        assert f'({name})' in text, f'{name} is not linked from README.md'


def test_expand_braces():
    assert expand_braces('a_{x,y}_{1,2}.py') == ['a_x_1.py', 'a_x_2.py', 'a_y_1.py',
                                                 'a_y_2.py']
    assert named_paths('see `configs/a.py`, and tools/b.py.') == ['configs/a.py', 'tools/b.py']


@pytest.mark.parametrize('name', DOCS)
def test_every_named_repository_path_exists(name):
    missing = []
    for path in named_paths(_read(name)):
        for one in expand_braces(path):
            if '*' in one:
                if not glob.glob(osp.join(REPO, one)):
                    missing.append(one)
            elif not osp.exists(osp.join(REPO, one.split('#')[0])):
                missing.append(one)
    assert not missing, f'{name} names paths that do not exist: {missing}'


def test_every_tool_is_in_the_tools_reference():
    """A newcomer finds every script of tools/ in docs/tools.md."""
    text = _read(osp.join('docs', 'tools.md'))
    scripts = sorted(osp.relpath(p, REPO) for pattern in ('tools/*.py', 'tools/*/*.py', 'tools/*.sh')
                     for p in glob.glob(osp.join(REPO, pattern)))
    assert scripts, 'no tools found'
    missing = [s for s in scripts if s not in text and osp.basename(s) not in text]
    assert not missing, f'docs/tools.md does not name {missing}'
