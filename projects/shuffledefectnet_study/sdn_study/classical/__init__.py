"""Classical texture classifiers of the paper's Table 2 (NEU-CLS): CLBP, AECLBP, BYEC.

Not imported by the package itself (no registry entries; scikit-image and
scikit-learn load only when these are used).
"""
from .byec import BYEC_FEATURE_GROUPS, NUM_BYEC_FEATURES, BYECClassifier, byec_features
from .lbp import CLBPDescriptor, as_grey, clbp_codes, riu2_lookup
from .methods import (CLASSICAL_METHODS, ClassicalModel, build_model, classical_versions,
                      fit_method, method)

__all__ = [
    'BYEC_FEATURE_GROUPS', 'NUM_BYEC_FEATURES', 'BYECClassifier', 'byec_features',
    'CLBPDescriptor', 'as_grey', 'clbp_codes', 'riu2_lookup', 'CLASSICAL_METHODS',
    'ClassicalModel', 'build_model', 'classical_versions', 'fit_method', 'method'
]
