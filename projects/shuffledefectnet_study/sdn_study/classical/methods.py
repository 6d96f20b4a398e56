"""The classical NEU-CLS rows of the paper's Table 2 as one table of methods.

Each method is a feature extractor (a picture -> a fixed-length vector) and a
scikit-learn classifier with the hyper-parameter grid that inner cross-validation
searches on the training pictures only (:func:`fit_method`).

Example:
    >>> sorted(CLASSICAL_METHODS)
    ['aeclbp', 'byec', 'clbp']
    >>> model = build_model('clbp')
    >>> model.extractor.num_features
    2200
"""
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, Dict, Optional, Sequence

import numpy as np

from .byec import NUM_BYEC_FEATURES, BYECClassifier, byec_features
from .lbp import CLBPDescriptor


def _lbp_svm():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer
    from sklearn.svm import SVC
    # Hellinger map (square root of the histograms) + RBF SVM
    return make_pipeline(FunctionTransformer(np.sqrt), SVC(kernel='rbf'))


class BYECFeatures:
    """:func:`byec_features` as an extractor object."""
    num_features = NUM_BYEC_FEATURES

    def __call__(self, image: np.ndarray) -> np.ndarray:
        return byec_features(image)


@dataclass
class Method:
    """One classical method: how to describe a picture and how to classify it."""
    description: str
    extractor: Callable[[], Callable]
    classifier: Callable[[], object]
    grid: Dict[str, list] = field(default_factory=dict)


CLASSICAL_METHODS: Dict[str, Method] = {
    'clbp': Method(
        'CLBP S/M/C joint histograms, (P, R) = (8, 1), (16, 2), (24, 3); Hellinger + RBF SVM',
        lambda: CLBPDescriptor(), _lbp_svm,
        {'svc__C': [1, 10, 100, 1000], 'svc__gamma': [0.1, 0.3, 1, 3]}),
    'aeclbp': Method(
        'AECLBP: CLBP with 3x3 adjacent evaluation windows, same scales and SVM',
        lambda: CLBPDescriptor(adjacent_evaluation=True, window=3), _lbp_svm,
        {'svc__C': [1, 10, 100, 1000], 'svc__gamma': [0.1, 0.3, 1, 3]}),
    'byec': Method(
        f'BYEC: {NUM_BYEC_FEATURES} hand-made features, 20 random-subspace RBF SVMs, '
        'naive-Bayes kernel',
        BYECFeatures, lambda: BYECClassifier(num_svms=20, subspace=0.5, random_state=0),
        {'C': [1, 10, 100]}),
}


def method(name: str) -> Method:
    """The method called ``name``, or a ``ValueError`` listing the known ones."""
    if name not in CLASSICAL_METHODS:
        raise ValueError(f'unknown classical method {name!r}; known: '
                         f'{", ".join(sorted(CLASSICAL_METHODS))}')
    return CLASSICAL_METHODS[name]


@dataclass
class ClassicalModel:
    """A fitted classical classifier: ``extractor`` then ``estimator``."""
    name: str
    extractor: Callable
    estimator: object = None
    best_params: dict = field(default_factory=dict)
    inner_score: Optional[float] = None

    def features(self, images: Sequence[np.ndarray], threads: int = 1) -> np.ndarray:
        """(N, F) features of ``images``, extracted on ``threads`` threads."""
        if threads > 1 and len(images) > 1:
            with ThreadPoolExecutor(threads) as pool:
                return np.stack(list(pool.map(self.extractor, images)))
        return np.stack([self.extractor(img) for img in images])

    def predict(self, images: Sequence[np.ndarray], threads: int = 1) -> np.ndarray:
        """Class index of each picture."""
        if self.estimator is None:
            raise ValueError(f'the {self.name} model is not fitted yet')
        return self.estimator.predict(self.features(images, threads))


def build_model(name: str) -> ClassicalModel:
    """An unfitted :class:`ClassicalModel` of method ``name``."""
    return ClassicalModel(name, method(name).extractor())


def fit_method(name: str, features: np.ndarray, labels: np.ndarray,
               groups: Optional[Sequence] = None, inner_folds: int = 5,
               seed: int = 0) -> ClassicalModel:
    """Fit method ``name`` on training features, choosing its hyper-parameters by an
    inner, stratified (and, given ``groups``, grouped) cross-validation on them only.

    Args:
        name (str): A key of ``CLASSICAL_METHODS``.
        features (np.ndarray): (N, F) training features.
        labels (np.ndarray): (N,) class indices.
        groups (Sequence, optional): Group key per picture (e.g. file md5):
            a group never spans an inner training and validation part.
        inner_folds (int): Inner folds. Defaults to 5.
        seed (int): Seed of the inner folds. Defaults to 0.

    Returns:
        ClassicalModel: refitted on all of ``features`` with the best parameters.
    """
    from sklearn.model_selection import GridSearchCV, StratifiedGroupKFold, StratifiedKFold
    spec = method(name)
    smallest = int(np.bincount(np.asarray(labels)).min()) if len(labels) else 0
    if inner_folds < 2 or smallest < inner_folds:
        raise ValueError(f'inner cross-validation needs 2 <= inner_folds <= the pictures of the '
                         f'smallest class ({smallest}), got inner_folds={inner_folds}')
    if groups is not None:
        cv = StratifiedGroupKFold(inner_folds, shuffle=True, random_state=seed)
    else:
        cv = StratifiedKFold(inner_folds, shuffle=True, random_state=seed)
    search = GridSearchCV(spec.classifier(), spec.grid, cv=cv, scoring='accuracy',
                          refit=True, n_jobs=1)
    search.fit(features, labels, groups=groups)
    model = build_model(name)
    model.estimator = search.best_estimator_
    model.best_params = dict(search.best_params_)
    model.inner_score = float(search.best_score_)
    return model


def classical_versions() -> Dict[str, str]:
    """Versions of the libraries the classical methods run on, for results files."""
    import scipy
    import skimage
    import sklearn
    return {'scikit-learn': sklearn.__version__, 'scikit-image': skimage.__version__,
            'scipy': scipy.__version__}
