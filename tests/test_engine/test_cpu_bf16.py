"""bf16 mixed-precision training on the CPU (CPUBF16OptimWrapper): the training forward
runs in bf16, weights, gradients and the optimizer state stay fp32, evaluation is fp32,
and the precision is logged."""
import logging
import os.path as osp

import pytest
import torch

from conftest import REPO

CLS_CONFIG = 'configs/classification/sdn-1.0x_linear_60e_200px_neu-cls.py'


def _classifier():
    import mmdet_shuffledefect  # noqa: F401
    from mmengine.config import Config
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS
    from mmpretrain.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(osp.join(REPO, CLS_CONFIG))
    cfg.model.backbone.widen_factor = 0.5
    cfg.model.head.in_channels = 1024
    torch.manual_seed(0)
    # an earlier test in this process may have made mmdet the default scope
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(dict(cfg.model, data_preprocessor=cfg.data_preprocessor))
    return cfg, model


def _wrapper(cfg, model, wrapper_type):
    from mmengine.registry import OPTIM_WRAPPER_CONSTRUCTORS
    optim = dict(cfg.optim_wrapper, type=wrapper_type)
    ctor = OPTIM_WRAPPER_CONSTRUCTORS.build(dict(
        type=optim.pop('constructor'), paramwise_cfg=optim.pop('paramwise_cfg', None),
        optim_wrapper_cfg=optim))
    return ctor(model)


def _batch(n=4, size=64):
    from mmpretrain.structures import DataSample
    g = torch.Generator().manual_seed(3)
    inputs = [torch.randint(0, 256, (3, size, size), generator=g, dtype=torch.uint8)
              for _ in range(n)]
    return dict(inputs=inputs, data_samples=[DataSample().set_gt_label(i % 6) for i in range(n)])


def _conv_dtypes(model):
    seen = []
    first = next(m for m in model.backbone.modules() if isinstance(m, torch.nn.Conv2d))
    first.register_forward_hook(lambda mod, args, out: seen.append(out.dtype))
    return seen


def test_training_forward_runs_in_bf16_and_evaluation_in_fp32():
    import copy
    cfg, model = _classifier()
    twin = copy.deepcopy(model)
    seen = _conv_dtypes(model)
    wrapper = _wrapper(cfg, model, 'CPUBF16OptimWrapper')
    before = [p.detach().clone() for p in model.parameters()]
    model.train()
    losses = model.train_step(_batch(), wrapper)
    assert seen == [torch.bfloat16]
    assert all(p.dtype == torch.float32 for p in model.parameters())
    moved = sum(float((a.detach() - b).abs().sum()) for a, b in zip(model.parameters(), before))
    assert moved > 0  # the step changed the fp32 weights
    state = wrapper.optimizer.state_dict()['state']
    assert state and all(v['exp_avg'].dtype == torch.float32 for v in state.values())

    # the same step in fp32: the bf16 loss is the fp32 loss to bf16's precision
    twin.train()
    ref = twin.train_step(_batch(), _wrapper(cfg, twin, 'OptimWrapper'))
    torch.testing.assert_close(losses['loss'], ref['loss'], rtol=3e-2, atol=0)

    model.eval()
    model.val_step(_batch(2))
    assert seen[-1] == torch.float32


def test_the_precision_is_logged():
    from mmengine.logging import MMLogger
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    logger = MMLogger.get_current_instance()
    handler = Keep()
    logger.addHandler(handler)
    try:
        cfg, model = _classifier()
        _wrapper(cfg, model, 'CPUBF16OptimWrapper')
    finally:
        logger.removeHandler(handler)
    assert any(m.startswith('precision: bf16 autocast for the training forward on the CPU')
               for m in records), records


def test_refuses_parameters_that_are_not_fp32_on_the_cpu():
    cfg, model = _classifier()
    model.double()
    with pytest.raises(ValueError, match=r'CPUBF16OptimWrapper trains fp32 parameters on the '
                       r'CPU; got a torch.float64 parameter on cpu'):
        _wrapper(cfg, model, 'CPUBF16OptimWrapper')


def test_precision_benchmark_prints_both_rows(tmp_path):
    from conftest import STUDY_TOOLS, run_tool
    out = tmp_path / 'precision.md'
    proc = run_tool([f'{STUDY_TOOLS}/benchmark_train_precision.py', CLS_CONFIG, '--batch-size',
                     '2', '--input-size', '64', '--warmup', '0', '--steps', '1', '--rounds', '1',
                     '--threads', '1', '--out', str(out)])
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [l.split('|')[1:-1] for l in proc.stdout.splitlines() if l.startswith('| ')][1:]
    assert [(r[0].strip(), r[1].strip()) for r in rows] == [
        (osp.basename(CLS_CONFIG), 'fp32'), (osp.basename(CLS_CONFIG), 'bf16')]
    assert rows[0][4].strip() == '1.00-1.00x' and float(rows[1][2].split('-')[0]) > 0
    assert 'native bf16: ' in proc.stdout and out.read_text().count('| bf16 |') == 1


def test_precision_benchmark_refuses_a_detector_config():
    from conftest import CONFIG, STUDY_TOOLS, run_tool
    proc = run_tool([f'{STUDY_TOOLS}/benchmark_train_precision.py', CONFIG, '--batch-size', '2'])
    assert proc.returncode != 0
    assert (f"{CONFIG}: not an mmpretrain classifier config (default_scope 'mmdet'); this "
            'benchmark times classifiers') in proc.stderr
