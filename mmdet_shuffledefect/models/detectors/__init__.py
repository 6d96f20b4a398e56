from .dense_distill import DenseDistillDetector, dense_kd_losses, point_iou

__all__ = ['DenseDistillDetector', 'dense_kd_losses', 'point_iou']
