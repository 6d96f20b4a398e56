from .batched_post_process import batched_detections, padded_to_instances
from .exported_post_process import exported_detections
from .batched_targets import BatchedTargetsMixin, max_iou_assign, ssd_batched_losses
from .fast_heads import BatchedPredictMixin, FastRetinaHead, FastRTMDetSepBNHead, FastSSDHead
from .focal_ssd_head import FocalSSDHead

__all__ = ['BatchedPredictMixin', 'BatchedTargetsMixin', 'FastRetinaHead', 'FastRTMDetSepBNHead',
           'FastSSDHead',
           'FocalSSDHead', 'batched_detections', 'exported_detections', 'max_iou_assign', 'padded_to_instances',
           'ssd_batched_losses']
