"""BYEC: an evolutionary classifier with a Bayes kernel over random-subspace SVMs.

Xiao, Jiang, Li, Xie and Yi, "An evolutionary classifier for steel surface
defects with small sample set", EURASIP J. Image and Video Processing 2017:48.
The method, as its abstract states it: (1) "abundant features" that cover the
defects' details; (2) a series of SVMs, each trained on a random subspace of
those features; (3) a Bayes classifier trained on the sub-SVMs' outputs fuses
them (the "Bayes kernel"); (4) that kernel is adjusted with a small sample set
of a new line without retraining the SVMs.

What the paper leaves open, or what we could not read here (only its abstract
was reachable), and what this implementation chose:

* the feature list: :func:`byec_features` gathers the usual hand-made defect
  features — grey-level statistics and histogram, grey-level co-occurrence
  (GLCM) properties, LBP histograms, gradient statistics, the geometry of the
  thresholded defect region and the spectrum's radial and angular energy
  (:data:`BYEC_FEATURE_GROUPS` names each group and its size);
* the number of sub-SVMs and the subspace size: ``num_svms=20``, half of the
  features each; RBF SVMs on standardised features, ``C`` chosen by inner
  cross-validation on the training folds (:mod:`.methods`);
* the Bayes kernel: a categorical naive Bayes over the sub-SVMs' predicted
  labels, fitted on out-of-fold predictions (so it learns how far each
  sub-SVM can be trusted on pictures it did not see); :meth:`BYECClassifier.adapt`
  updates its counts with new labelled pictures (the "evolutionary" step).

Example:
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = np.concatenate([rng.normal(0, 1, (30, 12)), rng.normal(2, 1, (30, 12))])
    >>> y = np.array([0] * 30 + [1] * 30)
    >>> clf = BYECClassifier(num_svms=5, random_state=0).fit(x, y)
    >>> float((clf.predict(x) == y).mean()) > 0.9
    True
"""
from typing import Optional

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.naive_bayes import CategoricalNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

from .lbp import as_grey

# name -> number of values, in the order byec_features writes them
BYEC_FEATURE_GROUPS = {
    'grey statistics (mean, std, skewness, kurtosis, entropy, 5 percentiles)': 10,
    'grey histogram (32 bins)': 32,
    'GLCM (contrast, dissimilarity, homogeneity, energy, correlation, ASM; '
    'distances 1/2/4 x 4 angles)': 72,
    'LBP riu2 histograms (P, R) = (8, 1), (16, 2)': 28,
    'gradient (Sobel magnitude mean/std/p90, 8-bin orientation histogram)': 11,
    'defect region geometry (|grey - median| > 2 std: area share, components, '
    'largest area share, its eccentricity, extent, solidity, orientation, elongation)': 8,
    'spectrum energy (8 radial, 8 angular bands)': 16,
}
NUM_BYEC_FEATURES = sum(BYEC_FEATURE_GROUPS.values())
MIN_SIZE = 16


def byec_features(image: np.ndarray) -> np.ndarray:
    """The hand-made feature vector (``NUM_BYEC_FEATURES`` floats) of a grey picture.

    Args:
        image (np.ndarray): Grey picture (H, W) or equal-channel (H, W, 3), at
            least 16x16 px.

    Returns:
        np.ndarray: float64 features, groups in the order of ``BYEC_FEATURE_GROUPS``.
    """
    from scipy.stats import kurtosis, skew
    from skimage.feature import graycomatrix, graycoprops, local_binary_pattern
    from skimage.measure import label, regionprops

    grey = as_grey(image, MIN_SIZE)
    flat = grey.ravel()
    hist = np.histogram(flat, bins=32, range=(0, 256))[0] / flat.size
    nz = hist[hist > 0]
    flat_picture = flat.std() < 1e-6  # skewness and kurtosis are undefined
    stats = [flat.mean(), flat.std(), 0.0 if flat_picture else skew(flat),
             0.0 if flat_picture else kurtosis(flat), -(nz * np.log2(nz)).sum(),
             *np.percentile(flat, [5, 25, 50, 75, 95])]

    levels = np.clip(grey, 0, 255).astype(np.uint8) // 8  # 32 grey levels
    glcm = graycomatrix(levels, distances=[1, 2, 4],
                        angles=[0, np.pi / 4, np.pi / 2, 3 * np.pi / 4], levels=32,
                        symmetric=True, normed=True)
    texture = [graycoprops(glcm, p).ravel() for p in
               ('contrast', 'dissimilarity', 'homogeneity', 'energy', 'correlation', 'ASM')]

    lbps = []
    for points, radius in ((8, 1), (16, 2)):
        codes = local_binary_pattern(levels * 8, points, radius, method='uniform')
        lbps.append(np.bincount(codes.astype(np.int64).ravel(), minlength=points + 2)
                    / codes.size)

    gy, gx = np.gradient(grey)
    magnitude = np.hypot(gx, gy)
    orientation = np.mod(np.arctan2(gy, gx), np.pi)
    ohist = np.histogram(orientation, bins=8, range=(0, np.pi), weights=magnitude)[0]
    gradient = [magnitude.mean(), magnitude.std(), np.percentile(magnitude, 90),
                *(ohist / max(ohist.sum(), 1e-12))]

    mask = np.abs(grey - np.median(grey)) > 2 * max(grey.std(), 1e-6)
    regions = regionprops(label(mask))
    if regions:
        big = max(regions, key=lambda r: r.area)
        major, minor = big.axis_major_length, big.axis_minor_length
        geometry = [mask.mean(), len(regions), big.area / mask.size, big.eccentricity,
                    big.extent, big.solidity, big.orientation, major / max(minor, 1.0)]
    else:
        geometry = [0.0] * 8

    spectrum = np.abs(np.fft.fftshift(np.fft.fft2(grey - grey.mean()))) ** 2
    h, w = grey.shape
    yy, xx = np.mgrid[:h, :w]
    yy, xx = yy - h // 2, xx - w // 2
    radius = np.hypot(yy, xx) / (min(h, w) / 2)
    angle = np.mod(np.arctan2(yy, xx), np.pi)
    total = max(spectrum.sum(), 1e-12)
    radial = [spectrum[(radius >= a) & (radius < b)].sum() / total
              for a, b in zip(np.linspace(0, 1, 9)[:-1], np.linspace(0, 1, 9)[1:])]
    angular = [spectrum[(angle >= a) & (angle < b) & (radius > 0)].sum() / total
               for a, b in zip(np.linspace(0, np.pi, 9)[:-1], np.linspace(0, np.pi, 9)[1:])]

    out = np.concatenate([stats, hist, *texture, *lbps, gradient, geometry, radial, angular])
    return np.nan_to_num(out.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)


class BYECClassifier(ClassifierMixin, BaseEstimator):
    """Random-subspace RBF SVMs fused by a categorical naive Bayes ("Bayes kernel").

    Args:
        num_svms (int): Sub-SVMs. Defaults to 20.
        subspace (float): Share of the features each sub-SVM sees. Defaults to 0.5.
        C (float): SVM regularisation. Defaults to 10.
        gamma (str or float): RBF width, as in ``SVC``. Defaults to 'scale'.
        kernel_folds (int): Folds of the out-of-fold predictions the Bayes kernel
            is fitted on. Defaults to 3.
        random_state (int, optional): Seed of the subspaces and folds. Defaults to None.
    """

    def __init__(self, num_svms: int = 20, subspace: float = 0.5, C: float = 10.0,
                 gamma='scale', kernel_folds: int = 3,
                 random_state: Optional[int] = None) -> None:
        self.num_svms = num_svms
        self.subspace = subspace
        self.C = C
        self.gamma = gamma
        self.kernel_folds = kernel_folds
        self.random_state = random_state

    def _svm(self):
        return make_pipeline(StandardScaler(), SVC(C=self.C, gamma=self.gamma))

    def fit(self, X: np.ndarray, y: np.ndarray) -> 'BYECClassifier':
        if self.num_svms < 1:
            raise ValueError(f'num_svms must be >= 1, got {self.num_svms}')
        if not 0.0 < self.subspace <= 1.0:
            raise ValueError(f'subspace must be in (0, 1], got {self.subspace}')
        X, y = np.asarray(X, np.float64), np.asarray(y)
        self.classes_, y_index = np.unique(y, return_inverse=True)
        rng = np.random.default_rng(self.random_state)
        size = max(1, int(round(self.subspace * X.shape[1])))
        self.subspaces_ = [np.sort(rng.choice(X.shape[1], size, replace=False))
                           for _ in range(self.num_svms)]
        folds = StratifiedKFold(self.kernel_folds, shuffle=True,
                                random_state=self.random_state)
        votes = np.stack([cross_val_predict(self._svm(), X[:, f], y_index, cv=folds)
                          for f in self.subspaces_], 1)
        self.svms_ = [self._svm().fit(X[:, f], y_index) for f in self.subspaces_]
        self.kernel_ = CategoricalNB(alpha=1.0, min_categories=len(self.classes_))
        self.kernel_.fit(votes, y_index)
        return self

    def votes(self, X: np.ndarray) -> np.ndarray:
        """(N, num_svms) class indices predicted by each sub-SVM."""
        X = np.asarray(X, np.float64)
        return np.stack([svm.predict(X[:, f]) for svm, f in zip(self.svms_, self.subspaces_)],
                        1)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        return self.kernel_.predict_proba(self.votes(X))

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.classes_[self.kernel_.predict(self.votes(X))]

    def adapt(self, X: np.ndarray, y: np.ndarray) -> 'BYECClassifier':
        """Adjust the Bayes kernel with a few labelled pictures of a new line (the
        sub-SVMs stay as trained): their votes are added to the kernel's counts."""
        index = np.searchsorted(self.classes_, np.asarray(y))
        if np.any(index >= len(self.classes_)) or np.any(self.classes_[index] != y):
            raise ValueError(f'adapt() got labels outside the trained classes '
                             f'{self.classes_.tolist()}')
        self.kernel_.partial_fit(self.votes(X), index)
        return self
