"""The package's import picture: no circles, and no subpackage importing one above it.

Read from the source (every ``import`` and ``from ... import`` of the package itself, at
module level or inside functions), so a circle hidden behind a function-local import
fails here too.
"""
import ast
import os
import os.path as osp
from collections import defaultdict
from typing import Dict, List, Set, Tuple

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PACKAGE = osp.join(REPO, 'mmdet_shuffledefect')
NAME = 'mmdet_shuffledefect'
#: The study wing's code (projects/shuffledefectnet_study/sdn_study): imports the package,
#: never imported by it or by the product's tools.
STUDY = 'sdn_study'

#: The layers from the bottom up; a subpackage may import its own layer's and lower ones'.
LAYERS: List[Set[str]] = [
    {'version', 'where', '_greedy_nms', 'say_once', 'compat'},
    {'datasets', 'engine'},
    {'models', 'evaluation'},
    {'utils'},
    {'deployment', 'data_prep'},
    {'inspection'},
    {'apis', 'reporting', 'visualization'},
]
#: Function-local imports of the package allowed, each with why: an optional part.
OPTIONAL_LOCAL = {
    ('models.dense_heads.batched_post_process', '_greedy_nms'):
        'the compiled batch NMS, optional (built by make install when a compiler is there)',
}


def _modules() -> Dict[str, str]:
    found = {}
    for folder, _, files in os.walk(PACKAGE):
        for name in files:
            if name.endswith('.py'):
                path = osp.join(folder, name)
                mod = osp.relpath(path, PACKAGE)[:-3].replace(os.sep, '.')
                found[mod[:-len('.__init__')] if mod.endswith('__init__') else mod] = path
    found.pop('', None)  # the package's own __init__ imports everything: the top
    return found


def _edges(modules: Dict[str, str]) -> List[Tuple[str, str, bool]]:
    """``(importer, imported, inside a function)`` for every import of the package."""
    edges = []
    for mod, path in modules.items():
        tree = ast.parse(open(path, encoding='utf-8').read())
        in_function = {id(n) for f in ast.walk(tree)
                       if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                       for n in ast.walk(f)}
        package = mod.split('.') if path.endswith('__init__.py') else mod.split('.')[:-1]
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[:len(package) - node.level + 1]
                    target = '.'.join(base + ([node.module] if node.module else []))
                elif (node.module or '').split('.')[0] == NAME:
                    target = node.module[len(NAME) + 1:]
                else:
                    continue
                for alias in node.names:
                    sub = f'{target}.{alias.name}'.strip('.')
                    targets.append(sub if sub in modules or alias.name == '_greedy_nms'
                                   else target)
            elif isinstance(node, ast.Import):
                targets = [a.name[len(NAME) + 1:] for a in node.names
                           if a.name.startswith(NAME + '.')]
            edges += [(mod, t, id(node) in in_function) for t in targets if t]
    return edges


def _layer(mod: str) -> int:
    top = mod.split('.')[0]
    for i, layer in enumerate(LAYERS):
        if top in layer:
            return i
    raise AssertionError(f'{mod}: subpackage {top!r} is in no layer of LAYERS; add it')


@pytest.fixture(scope='module')
def edges():
    return _edges(_modules())


def test_every_subpackage_has_a_layer():
    for mod in _modules():
        _layer(mod)


def test_no_import_runs_up_a_layer(edges):
    upward = [f'{a} imports {b}' for a, b, _ in edges if _layer(b) > _layer(a)]
    assert not upward, 'imports running back up:\n' + '\n'.join(upward)


def test_no_circle_between_subpackages_or_modules(edges):
    graph = defaultdict(set)
    for a, b, _ in edges:
        if a != b and not b.startswith(a + '.'):  # a package's __init__ importing its parts
            graph[a].add(b)
    for a, b, _ in edges:  # the subpackage level
        top_a, top_b = a.split('.')[0], b.split('.')[0]
        if top_a != top_b:
            graph['pkg:' + top_a].add('pkg:' + top_b)
    state: Dict[str, int] = {}
    stack: List[str] = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                raise AssertionError('import circle: ' + ' -> '.join(
                    stack[stack.index(nxt):] + [nxt]))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node)


def test_function_local_imports_of_the_package_only_for_optional_parts(edges):
    local = {(a, b) for a, b, inside in edges if inside}
    unexplained = sorted(local - set(OPTIONAL_LOCAL))
    assert not unexplained, ('function-local imports of the package (move them to the top, '
                             f'or name the optional part in OPTIONAL_LOCAL): {unexplained}')


def test_the_checker_sees_a_circle_and_an_upward_import(tmp_path, monkeypatch):
    """The checks above can fail: a made-up package with both faults is caught."""
    pkg = tmp_path / NAME
    (pkg / 'utils').mkdir(parents=True)
    (pkg / 'inspection').mkdir()
    (pkg / '__init__.py').write_text('')
    (pkg / 'utils' / '__init__.py').write_text('')
    (pkg / 'inspection' / '__init__.py').write_text('')
    (pkg / 'utils' / 'a.py').write_text('def f():\n    from ..inspection import b\n')
    (pkg / 'inspection' / 'b.py').write_text('from mmdet_shuffledefect.utils import a\n')
    monkeypatch.setattr(__import__(__name__), 'PACKAGE', str(pkg))
    made_up = _edges(_modules())
    assert ('utils.a', 'inspection.b', True) in made_up
    assert ('inspection.b', 'utils.a', False) in made_up
    with pytest.raises(AssertionError, match='imports running back up'):
        test_no_import_runs_up_a_layer(made_up)
    with pytest.raises(AssertionError, match='import circle'):
        test_no_circle_between_subpackages_or_modules(made_up)


def _imports_of(path: str, name: str) -> List[str]:
    """Every ``import name...`` / ``from name... import`` in the file at ``path``."""
    tree = ast.parse(open(path, encoding='utf-8').read())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and not node.level and \
                (node.module or '').split('.')[0] == name:
            found.append(f'{osp.relpath(path, REPO)}:{node.lineno} from {node.module}')
        elif isinstance(node, ast.Import):
            found += [f'{osp.relpath(path, REPO)}:{node.lineno} import {a.name}'
                      for a in node.names if a.name.split('.')[0] == name]
    return found


def test_the_product_never_imports_the_study():
    product = [osp.join(folder, f) for top in ('mmdet_shuffledefect', 'tools')
               for folder, _, files in os.walk(osp.join(REPO, top))
               for f in files if f.endswith('.py')]
    assert len(product) > 50
    found = [hit for path in product for hit in _imports_of(path, STUDY)]
    assert not found, 'the product imports the study wing:\n' + '\n'.join(found)
    # and the study does import the package (the check reads real imports)
    study = osp.join(REPO, 'projects', 'shuffledefectnet_study', 'tools', 'cross_validate.py')
    assert any('from mmdet_shuffledefect.' in hit for hit in
               _imports_of(study, NAME)), 'the checker finds no import at all'
