"""The installed stack: compiled mmcv ops and registration through custom_imports."""
import pytest
import torch


def test_mmcv_ops_nms_keeps_expected_boxes():
    from mmcv.ops import nms
    boxes = torch.tensor([[0., 0., 10., 10.], [1., 1., 11., 11.], [20., 20., 30., 30.],
                          [0., 0., 10., 9.]])
    scores = torch.tensor([0.9, 0.8, 0.7, 0.95])
    dets, keep = nms(boxes, scores, iou_threshold=0.5)
    # box 3 (0.95) suppresses 0 and 1 (IoU > 0.5); box 2 is disjoint.
    assert keep.tolist() == [3, 2]
    assert torch.allclose(dets[:, 4], torch.tensor([0.95, 0.7]))


def test_model_built_by_type_name_after_custom_imports():
    from mmengine.config import Config
    from mmengine.utils import import_modules_from_strings
    from mmdet.registry import MODELS
    cfg = Config(dict(custom_imports=dict(imports=['mmdet_shuffledefect'],
                                          allow_failed_imports=False)))
    import_modules_from_strings(**cfg.custom_imports)
    backbone = MODELS.build(dict(type='ShuffleDefectNet', widen_factor=0.5, out_indices=(2, )))
    assert type(backbone).__name__ == 'ShuffleDefectNet'
    neck = MODELS.build(dict(type='SDNFusionNeck', in_channels=[48, 96, 192],
                             out_channels=32, num_outs=5))
    assert type(neck).__name__ == 'SDNFusionNeck'


def test_misspelled_type_gives_registry_error():
    import mmdet_shuffledefect  # noqa: F401
    from mmdet.registry import MODELS
    with pytest.raises(KeyError, match='ShuffleDefecNet is not in the'):
        MODELS.build(dict(type='ShuffleDefecNet'))


def test_backbone_registered_for_mmpretrain():
    import mmdet_shuffledefect  # noqa: F401
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(dict(
            type='ImageClassifier',
            backbone=dict(type='ShuffleDefectNet', widen_factor=0.5),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=6, in_channels=1024)))
    out = model(torch.rand(2, 3, 64, 64), mode='tensor')
    assert out.shape == (2, 6)
