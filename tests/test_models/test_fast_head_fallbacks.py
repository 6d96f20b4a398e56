"""Where the batched heads cannot give mmdet's answer they take mmdet's path (#26 items 2-3):
NMS options other than plain class-aware NMS, and priors outside an image's pad_shape."""
import pytest
import torch
from mmengine.config import ConfigDict
from mmengine.structures import InstanceData

import mmdet_shuffledefect  # noqa: F401  (registers the heads, applies the SSD fix)
from mmdet_shuffledefect.models.dense_heads import FastRetinaHead, FastSSDHead

ANCHORS = dict(type='SSDAnchorGenerator', scale_major=False, input_size=64, strides=[16, 32],
               ratios=[[2], [2]], min_sizes=[16, 32], max_sizes=[32, 64])
TRAIN = dict(assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5, neg_iou_thr=0.5,
                           min_pos_iou=0.0, ignore_iof_thr=-1, gt_max_assign_all=False),
             sampler=dict(type='PseudoSampler'), smoothl1_beta=1.0, allowed_border=-1,
             pos_weight=-1, neg_pos_ratio=3, debug=False)


def ssd_pair(nms):
    from mmdet.models.dense_heads import SSDHead
    test_cfg = ConfigDict(nms_pre=100, nms=nms, min_bbox_size=0, score_thr=0.02,
                          max_per_img=20)
    kw = dict(num_classes=3, in_channels=(8, 8), anchor_generator=ANCHORS,
              train_cfg=ConfigDict(TRAIN), test_cfg=test_cfg)
    torch.manual_seed(0)
    fast = FastSSDHead(**kw).eval()
    stock = SSDHead(**kw).eval()
    stock.load_state_dict(fast.state_dict())
    return fast, stock


def feats(batch=2, seed=1):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(batch, 8, 4, 4, generator=g), torch.randn(batch, 8, 2, 2, generator=g))


def predict(head, outs, batch=2):
    with torch.no_grad():
        return head.predict_by_feat(*outs, batch_img_metas=[dict(img_shape=(64, 64))] * batch)


@pytest.mark.parametrize('nms', [
    dict(type='soft_nms', iou_threshold=0.3, min_score=0.05),
    dict(type='nms', iou_threshold=0.45, class_agnostic=True),
    dict(type='nms', iou_threshold=0.45, max_num=3),
    dict(type='nms', iou_threshold=0.45, offset=1),
])
def test_nms_options_the_batched_path_lacks_go_through_mmdet(nms):
    fast, stock = ssd_pair(nms)
    assert not fast.supports_batched_predict()
    outs = fast(feats())
    got, want = predict(fast, outs), predict(stock, outs)
    assert 'predict' in fast._said  # said once in the log
    for g, w in zip(got, want):
        assert torch.equal(g.labels, w.labels)
        assert torch.equal(g.scores, w.scores) and torch.equal(g.bboxes, w.bboxes)
    if nms.get('max_num'):
        assert all(len(g) <= nms['max_num'] for g in got)


def test_plain_nms_takes_the_batched_path_with_the_same_answer():
    fast, stock = ssd_pair(dict(type='nms', iou_threshold=0.45, split_thr=10000))
    assert fast.supports_batched_predict()
    outs = fast(feats())
    got, want = predict(fast, outs), predict(stock, outs)
    assert not getattr(fast, '_said', set())
    for g, w in zip(got, want):
        assert torch.equal(g.labels, w.labels)
        torch.testing.assert_close(g.scores, w.scores, atol=1e-6, rtol=0)
        torch.testing.assert_close(g.bboxes, w.bboxes, atol=1e-4, rtol=0)


def test_export_refuses_an_nms_it_cannot_serve():
    from mmdet_shuffledefect.deployment import ExportableDetector
    fast, _ = ssd_pair(dict(type='soft_nms', iou_threshold=0.3))
    detector = torch.nn.Module()
    detector.bbox_head = fast
    with pytest.raises(ValueError, match=r"cannot export FastSSDHead with "
                       r"test_cfg.nms.type='soft_nms'"):
        ExportableDetector(detector)


def gts():
    return [InstanceData(bboxes=torch.tensor([[4., 4., 30., 20.], [30., 30., 60., 62.]]),
                         labels=torch.tensor([0, 2])),
            InstanceData(bboxes=torch.tensor([[2., 10., 40., 36.]]), labels=torch.tensor([1]))]


def metas(second_pad):
    return [dict(img_shape=(64, 64), pad_shape=(64, 64), batch_input_shape=(64, 64)),
            dict(img_shape=second_pad, pad_shape=second_pad, batch_input_shape=(64, 64))]


@pytest.mark.parametrize('second_pad', [(64, 64), (40, 64), (64, 30)])
def test_ssd_losses_equal_stock_with_two_pad_shapes_in_a_batch(second_pad):
    fast, stock = ssd_pair(dict(type='nms', iou_threshold=0.45))
    fast.train(), stock.train()
    cls, box = (list(t.detach() for t in x) for x in fast(feats()))
    # the second image's bottom row of stride-16 cells: confident foreground, i.e. the
    # hardest negatives if they were mined (outside a 40-px pad_shape; mmdet ignores them)
    cls[0] = cls[0].clone()
    cls[0].view(2, 4, 4, 4, 4)[1, :, :3, 3, :] += 8.0
    outs = (cls, box)
    got = fast.loss_by_feat(*outs, gts(), metas(second_pad))
    want = stock.loss_by_feat(*outs, gts(), metas(second_pad))
    for key in ('loss_cls', 'loss_bbox'):
        torch.testing.assert_close(sum(got[key]), sum(want[key]), atol=1e-5, rtol=1e-5)
    # the batched path is used exactly when every prior is inside its image's pad_shape
    assert ('targets' in getattr(fast, '_said', set())) == (second_pad != (64, 64))


@pytest.mark.parametrize('second_pad', [(64, 64), (40, 64)])
def test_retinanet_losses_equal_stock_with_two_pad_shapes_in_a_batch(second_pad):
    from mmdet.models.dense_heads import RetinaHead
    kw = dict(num_classes=3, in_channels=8, stacked_convs=1, feat_channels=8,
              anchor_generator=dict(type='AnchorGenerator', octave_base_scale=4,
                                    scales_per_octave=1, ratios=[0.5, 1.0, 2.0],
                                    strides=[16, 32]),
              train_cfg=dict(assigner=dict(type='MaxIoUAssigner', pos_iou_thr=0.5,
                                           neg_iou_thr=0.4, min_pos_iou=0, ignore_iof_thr=-1),
                             sampler=dict(type='PseudoSampler'), allowed_border=-1,
                             pos_weight=-1, debug=False))
    kw['train_cfg'] = ConfigDict(kw['train_cfg'])
    torch.manual_seed(0)
    fast, stock = FastRetinaHead(**kw), RetinaHead(**kw)
    stock.load_state_dict(fast.state_dict())
    outs = fast(feats())
    got = fast.loss_by_feat(*outs, gts(), metas(second_pad))
    want = stock.loss_by_feat(*outs, gts(), metas(second_pad))
    for key in ('loss_cls', 'loss_bbox'):
        torch.testing.assert_close(sum(got[key]), sum(want[key]), atol=1e-5, rtol=1e-5)
    assert ('targets' in getattr(fast, '_said', set())) == (second_pad != (64, 64))


@pytest.mark.parametrize('config,stock_type', [('configs/sdn_ssd_neu.py', 'SSDHead'),
                                                ('configs/sdn_retinanet_neu.py', 'RetinaHead')])
def test_keep_ratio_pipeline_gives_stock_losses(tmp_path, config, stock_type):
    """A real keep-ratio pipeline: a square and a 2:1 picture through the dataset, mmdet's
    Resize(keep_ratio=True) and the data preprocessor, so the wide one is padded to the
    batch's square and its pad_shape leaves priors outside; the batched head falls back
    and its losses are the stock head's. (Checked to fail for RetinaNet when the batched
    targets are forced: every outside prior is a weighted negative there. SSD mines few
    negatives, here not from the padding: the pad-shape test above places them there.)"""
    import copy
    import os
    import os.path as osp

    import cv2
    import numpy as np
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate
    from mmdet.registry import DATASETS, MODELS
    from mmdet.utils import register_all_modules

    from conftest import REPO
    from mmdet_shuffledefect.data_prep.voc_xml import write_voc_xml
    register_all_modules()
    root = tmp_path / 'data'
    os.makedirs(root / 'IMAGES'), os.makedirs(root / 'ANNOTATIONS')
    rng = np.random.default_rng(0)
    for stem, (h, w), box in [('patches_1', (200, 200), (20, 30, 120, 150)),
                              ('scratches_1', (200, 400), (40, 50, 360, 90))]:
        cv2.imwrite(str(root / 'IMAGES' / f'{stem}.jpg'),
                    rng.integers(0, 255, (h, w, 3), dtype=np.uint8))
        write_voc_xml(str(root / 'ANNOTATIONS' / f'{stem}.xml'), f'{stem}.jpg', w, h,
                      [(stem.split('_')[0], box, 0)])
    (root / 'train.txt').write_text('patches_1\nscratches_1\n')
    cfg = Config.fromfile(osp.join(REPO, config))
    pipeline = [dict(type='LoadImageFromFile'), dict(type='LoadAnnotations', with_bbox=True),
                dict(type='Resize', scale=(192, 192), keep_ratio=True),
                dict(type='PackDetInputs')]
    dataset = cfg.train_dataloader.dataset
    while 'dataset' in dataset:  # through dataset wrappers
        dataset = dataset.dataset
    dataset = DATASETS.build(dict(dataset, data_root=f'{root}/', ann_file='train.txt',
                                  pipeline=pipeline))
    batch = pseudo_collate([dataset[0], dataset[1]])
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).train()
    data = model.data_preprocessor(batch, True)
    shapes = [s.metainfo['pad_shape'] for s in data['data_samples']]
    assert shapes[0] != shapes[1] and data['inputs'].shape[-2:] == (192, 192), shapes
    stock_cfg = copy.deepcopy(cfg.model.bbox_head)
    stock_cfg.type = stock_type
    stock_cfg.pop('nms_chunk', None)
    stock = MODELS.build(stock_cfg).train()
    stock.load_state_dict(model.bbox_head.state_dict())
    with torch.no_grad():
        feats = model.extract_feat(data['inputs'])
        ours = model.bbox_head.loss(feats, data['data_samples'])
        theirs = stock.loss(feats, data['data_samples'])
    assert 'targets' in getattr(model.bbox_head, '_said', set())  # it took mmdet's path
    for key in ours:
        for a, b in zip(ours[key] if isinstance(ours[key], list) else [ours[key]],
                        theirs[key] if isinstance(theirs[key], list) else [theirs[key]]):
            torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)
