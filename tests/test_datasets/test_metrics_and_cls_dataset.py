"""NEUVOCMetric (per-class AP, area mode, COCO-style option), the confusion-matrix
picture, and NEUCLSDataset's two layouts."""
import os
import os.path as osp

import numpy as np
import pytest
import torch

import mmdet_shuffledefect  # noqa: F401
from mmdet_shuffledefect.evaluation import ConfusionMatrixPlot, NEUVOCMetric


def _sample(gt_boxes, gt_labels, pred_boxes, pred_scores, pred_labels):
    return dict(
        gt_instances=dict(bboxes=torch.tensor(gt_boxes, dtype=torch.float32),
                          labels=torch.tensor(gt_labels)),
        ignored_instances=dict(bboxes=torch.zeros((0, 4)), labels=torch.zeros(0, dtype=torch.long)),
        pred_instances=dict(bboxes=torch.tensor(pred_boxes, dtype=torch.float32),
                            scores=torch.tensor(pred_scores),
                            labels=torch.tensor(pred_labels)))


def test_voc_metric_reports_per_class_ap():
    metric = NEUVOCMetric()
    metric.dataset_meta = dict(classes=('crazing', 'inclusion', 'patches'))
    metric.process({}, [
        # crazing found exactly; inclusion missed (prediction elsewhere); no patches GT
        _sample([[10, 10, 50, 50], [60, 60, 90, 90]], [0, 1],
                [[10, 10, 50, 50], [0, 100, 20, 120]], [0.9, 0.8], [0, 1]),
    ])
    res = metric.evaluate(1)
    assert res['pascal_voc/AP50_crazing'] == pytest.approx(1.0)
    assert res['pascal_voc/AP50_inclusion'] == pytest.approx(0.0)
    assert np.isnan(res['pascal_voc/AP50_patches'])
    assert res['pascal_voc/mAP'] == pytest.approx(0.5)
    assert metric.eval_mode == 'area'


def test_voc_metric_coco_style_thresholds():
    metric = NEUVOCMetric(coco_style=True)
    assert metric.iou_thrs == [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95]
    metric.dataset_meta = dict(classes=('crazing', ))
    # IoU of the prediction with the GT is 0.81 (legacy coordinates): a hit up to 0.8
    metric.process({}, [_sample([[0, 0, 99, 99]], [0], [[0, 0, 80, 99]], [0.9], [0])])
    res = metric.evaluate(1)
    assert res['pascal_voc/AP80'] == pytest.approx(1.0) and res['pascal_voc/AP85'] == 0
    assert res['pascal_voc/mAP_50_95'] == pytest.approx(0.7)


def test_voc_metric_bad_mode():
    with pytest.raises(ValueError, match="'voc07'"):
        NEUVOCMetric(eval_mode='voc07')


def test_confusion_matrix_picture(tmp_path):
    out = tmp_path / 'cm.png'
    metric = ConfusionMatrixPlot(out_file=str(out))
    metric.dataset_meta = dict(classes=('a', 'b'))
    metric.process({}, [dict(pred_score=torch.tensor([0.9, 0.1]), gt_label=torch.tensor([0])),
                        dict(pred_score=torch.tensor([0.2, 0.8]), gt_label=torch.tensor([0])),
                        dict(pred_score=torch.tensor([0.3, 0.7]), gt_label=torch.tensor([1]))])
    res = metric.evaluate(3)
    assert res['confusion_matrix/result'].tolist() == [[1, 1], [0, 1]]
    assert out.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


@pytest.fixture
def cls_tree(tmp_path):
    from mmdet_shuffledefect.data_prep.synthetic import write_neu_cls
    flat = tmp_path / 'flat' / 'images'
    write_neu_cls(str(flat), per_class=2, seed=0)
    nested = tmp_path / 'nested' / 'images'
    for f in sorted(os.listdir(flat)):
        from mmdet_shuffledefect.datasets.neu_classes import PREFIX_TO_CLASS
        cls = PREFIX_TO_CLASS[f.split('_')[0]]
        (nested / cls).mkdir(parents=True, exist_ok=True)
        (nested / cls / f).write_bytes((flat / f).read_bytes())
    for root in (tmp_path / 'flat', tmp_path / 'nested'):
        (root / 'split.txt').write_text('Cr_1\nPS_2\nSc_1\n')
    return tmp_path


@pytest.mark.parametrize('layout', ['flat', 'nested'])
def test_neu_cls_dataset_layouts(cls_tree, layout):
    from mmdet_shuffledefect.datasets import NEUCLSDataset
    ds = NEUCLSDataset(data_root=str(cls_tree / layout), ann_file='split.txt', pipeline=[])
    assert [os.path.basename(ds.get_data_info(i)['img_path']) for i in range(3)] == \
        ['Cr_1.bmp', 'PS_2.bmp', 'Sc_1.bmp']
    assert [ds.get_data_info(i)['gt_label'] for i in range(3)] == [0, 3, 5]
    everything = NEUCLSDataset(data_root=str(cls_tree / layout), pipeline=[])
    assert len(everything) == 12


def test_neu_cls_dataset_missing_image(cls_tree):
    from mmdet_shuffledefect.datasets import NEUCLSDataset
    (cls_tree / 'flat' / 'bad.txt').write_text('Cr_99\n')
    with pytest.raises(FileNotFoundError, match='Cr_99'):
        NEUCLSDataset(data_root=str(cls_tree / 'flat'), ann_file='bad.txt', pipeline=[])


def test_classifier_test_tool_writes_the_confusion_picture_into_the_work_dir(cls_tree, tmp_path):
    """tools/test.py on the published pretraining classifier: the config's relative
    ``confusion_matrix.png`` lands in --work-dir, not in the current folder."""
    from conftest import REPO, run_tool
    root = cls_tree / 'flat'
    (root / 'splits').mkdir()
    (root / 'splits' / 'test.txt').write_text('Cr_1\nPS_2\nSc_1\nIn_1\n')
    work, cwd = tmp_path / 'work', tmp_path / 'elsewhere'
    cwd.mkdir()
    proc = run_tool([osp.join(REPO, 'tools', 'test.py'),
                     osp.join(REPO, 'configs', 'classification', 'sdn-1.0x_linear_30e_neu-cls.py'),
                     osp.join(REPO, 'checkpoints',
                              'sdn-1.0x_linear_30e_neu-cls_20261126_101938-0c1e84ef.pth'),
                     '--data-root', str(root), '--work-dir', str(work), '--cfg-options',
                     'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False'],
                    cwd=str(cwd))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert 'accuracy/top1' in proc.stdout + proc.stderr
    assert (work / 'confusion_matrix.png').read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert not (cwd / 'confusion_matrix.png').exists()
