"""The classical classifiers as a kind of model ``tools/analysis_tools/benchmark.py`` times.

Imported by ``benchmark.py --custom-imports sdn_study.classical.bench``; then
``classical:NAME:MODEL.pkl`` (a fold's ``model.pkl`` written by ``cross_validate.py
--classical NAME``) is timed in two rows: its features only, and the whole classifier
(features + SVMs), on ``--threads`` threads.
"""
import pickle
from typing import Callable, List, Tuple

from mmdet_shuffledefect.utils.timing import BenchmarkKind, register_benchmark_kind

from .methods import CLASSICAL_METHODS, classical_versions


def classical_rows(name: str, model_file: str, images: list,
                   threads: int) -> List[Tuple[str, Callable[[], object]]]:
    """The two timed calls of a fitted classical classifier on one batch of pictures.

    Raises:
        ValueError: ``model_file`` holds another method's model than ``name``.
    """
    with open(model_file, 'rb') as f:  # a model file of your own cross-validation run
        model = pickle.load(f)
    if getattr(model, 'name', None) != name:
        raise ValueError(f'{model_file} holds a '
                         f'{getattr(model, "name", type(model).__name__)!r} model, not {name!r}')
    return [('features only', lambda: model.features(images, threads)),
            ('whole classifier (features + classifier)',
             lambda: model.predict(images, threads))]


register_benchmark_kind('classical', BenchmarkKind(
    names=lambda: sorted(CLASSICAL_METHODS), rows=classical_rows,
    versions=classical_versions, file_hint='MODEL.pkl'))
