from .ssd_predict_fix import apply_ssd_predict_fix

apply_ssd_predict_fix()

__all__ = ['apply_ssd_predict_fix']
