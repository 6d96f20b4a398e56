"""The exported graph's post-processing (exported_detections) gives the detections of
mmdet's own stock heads, and the graph it traces to has the cut-down shape."""
import pytest
import torch
from mmengine.config import ConfigDict

from mmdet_shuffledefect.deployment.compare import compare_detections
from mmdet_shuffledefect.models.dense_heads.exported_post_process import (
    channel_last, exported_detections, level_top_k)

TEST_CFG = ConfigDict(nms_pre=40, score_thr=0.05, nms=dict(type='nms', iou_threshold=0.5),
                      min_bbox_size=0, max_per_img=15)
SIZE = 64


def _stock_head(kind: str, min_size: int = 0):
    """mmdet's own head (mmcv's compiled NMS in its predict_by_feat), tiny, 2 levels."""
    from mmdet.models.dense_heads import RetinaHead, RTMDetSepBNHead, SSDHead
    test_cfg = ConfigDict(TEST_CFG, min_bbox_size=min_size)
    if kind == 'ssd':
        return SSDHead(num_classes=3, in_channels=(8, 8), anchor_generator=dict(
            type='SSDAnchorGenerator', scale_major=False, input_size=SIZE, strides=[8, 16],
            ratios=[[2], [2, 3]], min_sizes=[12, 24], max_sizes=[24, 48]),
            test_cfg=test_cfg)
    if kind == 'retina':
        return RetinaHead(num_classes=3, in_channels=8, feat_channels=8, stacked_convs=1,
                          anchor_generator=dict(type='AnchorGenerator', octave_base_scale=2,
                                                scales_per_octave=2, ratios=[0.5, 1.0],
                                                strides=[8, 16]),
                          test_cfg=test_cfg)
    return RTMDetSepBNHead(num_classes=3, in_channels=8, feat_channels=8, stacked_convs=1,
                           anchor_generator=dict(type='MlvlPointGenerator', offset=0,
                                                 strides=[8, 16]),
                           bbox_coder=dict(type='DistancePointBBoxCoder'),
                           with_objectness=False, exp_on_reg=False, pred_kernel_size=1,
                           test_cfg=test_cfg)


def _outputs(head, seed: int):
    """Head outputs with spread-out scores (no ties) and boxes of a few strides."""
    g = torch.Generator().manual_seed(seed)
    feats = (torch.randn(3, 8, SIZE // 8, SIZE // 8, generator=g),
             torch.randn(3, 8, SIZE // 16, SIZE // 16, generator=g))
    with torch.no_grad():
        cls_scores, bbox_preds = head(feats)
    cls_scores = [torch.randn(c.shape, generator=g) * 2 - 1 for c in cls_scores]
    if type(head.bbox_coder).__name__ == 'DistancePointBBoxCoder':  # pixels, as RTMDet's
        bbox_preds = [torch.rand(b.shape, generator=g) * 20 + 2 for b in bbox_preds]
    else:
        bbox_preds = [torch.randn(b.shape, generator=g) * 0.5 for b in bbox_preds]
    return cls_scores, bbox_preds


@pytest.mark.parametrize('kind,min_size', [('ssd', 0), ('ssd', 12), ('retina', 0),
                                           ('rtmdet', 0), ('rtmdet', 12)])
def test_exported_detections_equal_mmdets_stock_head(kind, min_size):
    """Softmax with background (SSD) and sigmoid (RetinaNet, RTMDet); deltas and
    distances; nms_pre cutting one level and not the other; max_per_img binding;
    min_bbox_size dropping small boxes (12 px)."""
    head = _stock_head(kind, min_size).eval()
    cls_scores, bbox_preds = _outputs(head, seed=len(kind))
    metas = [dict(img_shape=(SIZE, SIZE))] * 3
    with torch.no_grad():
        stock = head.predict_by_feat(cls_scores, bbox_preds, batch_img_metas=metas,
                                     rescale=False)
        dets, labels = exported_detections(head, cls_scores, bbox_preds, (SIZE, SIZE),
                                           head.test_cfg)
    assert dets.shape == (3, 15, 5) and labels.shape == (3, 15)
    binding = 0
    for want, d, l in zip(stock, dets.numpy(), labels.numpy()):
        n = int((l >= 0).sum())
        binding += len(want) == 15
        result = compare_detections(d[:n, :4], d[:n, 4], l[:n], want.bboxes.numpy(),
                                    want.scores.numpy(), want.labels.numpy(),
                                    max_per_img=15)
        assert result['same'], result['message']
        assert (d[n:] == 0).all() and (l[n:] == -1).all()
        assert (d[:n - 1, 4] >= d[1:n, 4]).all()  # best first
    assert binding >= 1  # max_per_img cut at least one image


def test_level_top_k_keeps_each_levels_best_in_place():
    flat = torch.tensor([[0.1, 0.5, 0.3, 0.9, 0.2, 0.7],
                         [0.6, 0.2, 0.4, 0.1, 0.8, 0.3]])
    kept = level_top_k(flat, [4, 2], 2)
    torch.testing.assert_close(kept, torch.tensor([[-1, 0.5, -1, 0.9, 0.2, 0.7],
                                                   [0.6, -1, 0.4, -1, 0.8, 0.3]]))
    assert torch.equal(level_top_k(flat, [4, 2], -1), flat)  # nms_pre <= 0: all kept


def test_channel_last_follows_mmdets_prior_order():
    # (B, A * C, H, W) with A=2 anchors, C=3: prior i = position * A + anchor
    maps = torch.arange(2 * 6 * 2 * 1.).reshape(2, 6, 2, 1)
    out = channel_last([maps], 3)
    assert out.shape == (2, 4, 3)
    # image 0, position 1 (h=1), anchor 1: channels 3..5 at that position
    assert out[0, 3].tolist() == [maps[0, 3, 1, 0], maps[0, 4, 1, 0], maps[0, 5, 1, 0]]


def test_exported_ssd_graph_has_the_cut_post_processing(tmp_path):
    """One Softmax (all levels at once, on the contiguous class axis), a TopK only on the
    levels with more scores than nms_pre plus the final one, one NMS, no ScatterND."""
    import onnx

    from mmdet_shuffledefect.models.dense_heads import FastSSDHead

    class Wrapper(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.head = FastSSDHead(num_classes=3, in_channels=(8, 8), anchor_generator=dict(
                type='SSDAnchorGenerator', scale_major=False, input_size=SIZE,
                strides=[8, 16], ratios=[[2], [2, 3]], min_sizes=[12, 24],
                max_sizes=[24, 48]), test_cfg=TEST_CFG)

        def forward(self, a, b):
            cls_scores, bbox_preds = self.head((a, b))
            return exported_detections(self.head, cls_scores, bbox_preds, (SIZE, SIZE),
                                       self.head.test_cfg)

    path = str(tmp_path / 'post.onnx')
    with torch.no_grad():
        torch.onnx.export(Wrapper().eval(), (torch.rand(2, 8, 8, 8), torch.rand(2, 8, 4, 4)),
                          path, opset_version=17, dynamo=False,
                          dynamic_axes={'a': {0: 'b'}, 'b': {0: 'b'}}, input_names=['a', 'b'])
    ops = [n.op_type for n in onnx.load(path).graph.node]
    # level 0: 8*8 positions * 4 anchors * 3 classes = 768 > nms_pre 40; level 1:
    # 4*4 * 6 * 3 = 288 > 40: two level TopKs + the final max_per_img one
    assert ops.count('Softmax') == 1
    assert ops.count('TopK') == 3
    assert ops.count('NonMaxSuppression') == 1
    assert 'ScatterND' not in ops
