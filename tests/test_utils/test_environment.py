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


def test_cpu_named_with_its_vector_units():
    """Results name the CPU with the vector units that set its speed: 'AMD EPYC' alone is
    two different machines (AVX2 only, or AVX-512 with VNNI and BF16)."""
    from mmdet_shuffledefect.utils.env import cpu_features, cpu_model, environment_info
    assert cpu_features('fpu avx2 avx512f avx512_vnni avx512_bf16 amx_tile') == \
        'AVX2, AVX-512, VNNI, BF16, AMX'
    assert cpu_features('fpu sse avx2') == 'AVX2'
    assert cpu_features('fpu sse') == ''
    with open('/proc/cpuinfo') as f:
        flags = next(line for line in f if line.startswith('flags')).split(':', 1)[1]
    expected = cpu_features(flags)
    assert environment_info()['cpu'] == cpu_model()
    if expected:
        assert cpu_model().endswith(f'({expected})')
