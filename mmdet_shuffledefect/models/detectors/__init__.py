from .dense_distill import DenseDistillDetector, dense_kd_losses

__all__ = ['DenseDistillDetector', 'dense_kd_losses']
