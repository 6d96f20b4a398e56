"""The inspection app stays in modules of one job (issue #46): no module of
``mmdet_shuffledefect/inspection/`` over MAX_MODULE_LINES lines, no function or method
over MAX_FUNCTION_LINES lines of code (its docstring not counted)."""
import ast
import os.path as osp
from glob import glob
from typing import List, Tuple

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
INSPECTION = osp.join(REPO, 'mmdet_shuffledefect', 'inspection')
#: "no module over ~300 lines, no function over ~60" (issue #46), with the tilde's room
MAX_MODULE_LINES = 320
MAX_FUNCTION_LINES = 60


def long_functions(source: str, limit: int) -> List[Tuple[str, int]]:
    """``(name, code lines)`` of every function in ``source`` longer than ``limit`` lines,
    its docstring left out."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        lines = node.end_lineno - node.lineno + 1
        first = node.body[0]
        if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)):
            lines -= first.end_lineno - first.lineno + 1
        if lines > limit:
            found.append((node.name, lines))
    return found


def test_no_inspection_module_or_function_too_long():
    modules = sorted(glob(osp.join(INSPECTION, '*.py')))
    assert len(modules) >= 15  # the app's modules are where this test looks
    too_long = []
    for path in modules:
        with open(path, encoding='utf-8') as f:
            source = f.read()
        name = osp.basename(path)
        if source.count('\n') > MAX_MODULE_LINES:
            too_long.append(f'{name}: {source.count(chr(10))} lines')
        too_long += [f'{name}: {fn}() {n} lines'
                     for fn, n in long_functions(source, MAX_FUNCTION_LINES)]
    assert not too_long, 'split these (one job each): ' + '; '.join(too_long)


def test_the_counter_leaves_out_docstrings_and_sees_a_long_body():
    doc = '    """' + '\n    text' * 40 + '\n    """\n'
    short = 'def f():\n' + doc + '    x = 1\n' * 10
    long = 'def g():\n' + '    x = 1\n' * 61
    assert long_functions(short, 60) == []
    assert long_functions(long, 60) == [('g', 62)]
