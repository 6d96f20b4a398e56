"""The command-line tools end to end: distributed launch, inspection, benchmark,
publishing, FLOPs, browsing, and their errors on bad input."""
import csv
import json
import os
import os.path as osp
import re
import sys

import cv2
import numpy as np
import pytest

from conftest import CONFIG, REPO, run_tool, small_run_options


def test_dist_train_two_cpu_processes(synth_det, tmp_path):
    cfg = tmp_path / 'dist_cfg.py'
    cfg.write_text(f"_base_ = '{REPO}/configs/sdn_ssd_neu.py'\n"
                   "custom_hooks = [dict(type='DistInfoHook')]\n")
    work = tmp_path / 'work'
    import subprocess
    env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS='1', PORT='29631')
    proc = subprocess.run(
        ['bash', 'tools/dist_train.sh', str(cfg), '2', '--work-dir', str(work)]
        + small_run_options(synth_det, 1), cwd=REPO, env=env, capture_output=True,
        text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    infos = [json.loads((work / f'dist_info_rank{r}.json').read_text()) for r in (0, 1)]
    assert [i['rank'] for i in infos] == [0, 1]
    assert all(i['world_size'] == 2 for i in infos)
    assert infos[0]['checksum'] == pytest.approx(infos[1]['checksum'], rel=1e-6)
    a, b = (i['sampler_indices'] for i in infos)
    n = infos[0]['dataset_size']
    assert len(a) == len(b) == -(-n // 2)
    assert set(a) | set(b) == set(range(n))  # together they cover the dataset once...
    # ...and share only the indices the sampler repeats to even out the ranks
    assert len(set(a) & set(b)) == len(a) + len(b) - n


@pytest.fixture(scope='module')
def inspected(trained_ssd, synth_det, tmp_path_factory):
    _, ckpt = trained_ssd
    src = tmp_path_factory.mktemp('inspect_in')
    for name in sorted(os.listdir(osp.join(synth_det, 'IMAGES')))[20:24]:
        img = cv2.imread(osp.join(synth_det, 'IMAGES', name))
        cv2.imwrite(str(src / name), img)
    (src / 'corrupt.jpg').write_bytes(b'\xff\xd8 this is not a jpeg')
    strip = np.concatenate([cv2.imread(osp.join(synth_det, 'IMAGES', n))
                            for n in sorted(os.listdir(osp.join(synth_det, 'IMAGES')))[30:33]],
                           axis=1)
    cv2.imwrite(str(src / 'strip.png'), strip)  # 600x200 line-scan strip: tiled
    out = tmp_path_factory.mktemp('inspect_out')
    proc = run_tool(['tools/inspect_defects.py', CONFIG, ckpt, str(src), '--out-dir', str(out),
                     '--score-thr', '0.0', '--tile-size', '224'])
    return proc, out


def test_inspection_reports(inspected):
    proc, out = inspected
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads((out / 'report.json').read_text())
    summary = json.loads((out / 'summary.json').read_text())
    assert len(report) == 5 and sum(len(r['defects']) for r in report) >= 1
    for r in report:
        for d in r['defects']:
            x1, y1, x2, y2 = d['box']
            assert d['area_px'] == pytest.approx((x2 - x1) * (y2 - y1), abs=0.02)
            assert d['area_pct'] == pytest.approx(100 * d['area_px'] / (r['width'] * r['height']),
                                                  abs=1e-3)
            assert 0 <= x1 <= x2 <= r['width'] and 0 <= y1 <= y2 <= r['height']
    with open(out / 'report.csv') as f:
        all_rows = list(csv.DictReader(f))
    # every image inspected has a row: defects, clean ones (zero defects), unreadable ones
    assert {r['image'] for r in all_rows} == {r['image'] for r in report} | set(
        summary['unreadable'])
    assert [r['status'] for r in all_rows if r['image'].endswith('corrupt.jpg')] == [
        'unreadable']
    for r in report:
        mine = [row for row in all_rows if row['image'] == r['image']]
        if r['defects']:
            assert {row['status'] for row in mine} == {'defect'}
            assert {int(row['defects_in_image']) for row in mine} == {len(r['defects'])}
        else:
            assert [(row['status'], row['defects_in_image'], row['class']) for row in mine] \
                == [('clean', '0', '')]
    rows = [r for r in all_rows if r['status'] == 'defect']
    flat = [(r['image'], d['class'], d['score'], *d['box'], d['area_px'], d['area_pct'])
            for r in report for d in r['defects']]
    assert [(r['image'], r['class'], float(r['score']), float(r['x1']), float(r['y1']),
             float(r['x2']), float(r['y2']), float(r['area_px']), float(r['area_pct']))
            for r in rows] == flat
    assert all(0 <= float(r['score']) <= 1 for r in rows)  # one score convention: 0..1
    counts = {}
    for row in rows:
        counts[row['class']] = counts.get(row['class'], 0) + 1
    assert {k: v for k, v in summary['counts_per_class'].items() if v} == counts
    assert summary['defects_total'] == len(rows)
    assert summary['images_defective'] + summary['images_clean'] == 5
    assert [osp.basename(p) for p in summary['unreadable']] == ['corrupt.jpg']
    assert 'corrupt.jpg' in proc.stdout + proc.stderr
    assert len(os.listdir(out / 'annotated')) == 5
    strip = next(r for r in report if r['image'].endswith('strip.png'))
    assert (strip['width'], strip['height']) == (600, 200)


def test_inspection_refuses_a_folder_holding_a_report(inspected, trained_ssd, tmp_path):
    """#30 item 4: a rerun into the same --out-dir would leave old pictures beside the new
    summary: refused by name (exit 2) unless --overwrite, which replaces only the report."""
    _, out = inspected
    _, ckpt = trained_ssd
    src = tmp_path / 'in'
    src.mkdir()
    first = sorted((out / 'annotated').iterdir())[0]
    cv2.imwrite(str(src / 'one.png'), cv2.imread(str(first)))
    again = tmp_path / 'again'
    again.mkdir()
    (again / 'annotated').mkdir()
    (again / 'annotated' / 'old.jpg').write_bytes(b'old')
    (again / 'notes.txt').write_text('mine')
    proc = run_tool(['tools/inspect_defects.py', CONFIG, ckpt, str(src), '--out-dir',
                     str(again)])
    assert proc.returncode == 2
    assert f'{again} already holds a report (annotated)' in proc.stderr
    assert '--overwrite' in proc.stderr and 'Traceback' not in proc.stderr
    proc = run_tool(['tools/inspect_defects.py', CONFIG, ckpt, str(src), '--out-dir',
                     str(again), '--overwrite'])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert sorted(os.listdir(again / 'annotated')) == ['one.png']  # the old picture is gone
    assert (again / 'notes.txt').read_text() == 'mine'  # nothing else touched


def test_labels_do_not_cover_each_other():
    """#30 item 4: labels of overlapping boxes are placed apart where there is room."""
    from mmdet_shuffledefect.inspection import draw, place_labels
    boxes = np.array([[40, 40, 120, 120], [42, 42, 122, 122], [44, 44, 124, 124],
                      [46, 46, 126, 126], [100, 20, 180, 60]], float)
    sizes = [(60, 14)] * len(boxes)
    spots = place_labels(boxes, sizes, 200, 200)
    assert all(spot is not None for spot in spots)  # there is room for all five
    rects = [(x, y, x + w, y + h) for (x, y), (w, h) in zip(spots, sizes)]
    for i, a in enumerate(rects):
        assert 0 <= a[0] and a[2] <= 200 and 0 <= a[1] and a[3] <= 200
        for b in rects[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
    crowd = place_labels(np.tile([[0, 0, 200, 200]], (40, 1)), [(90, 20)] * 40, 200, 200)
    assert crowd.count(None) == 40 - 20  # 2 columns x 10 rows fit; the rest left out
    img = np.full((200, 200, 3), 128, np.uint8)
    out = draw(img, boxes, np.linspace(0.9, 0.5, len(boxes)), np.array([0, 1, 0, 1, 2]),
               ['crazing', 'inclusion', 'patches'], 'random')
    assert out.shape == img.shape and (out != img).any()
    assert (draw(img, np.zeros((0, 4)), np.zeros(0), np.zeros(0, int), ['a'], 'random')
            == img).all()


def test_defect_spanning_two_tiles_is_reported_once():
    from mmdet_shuffledefect.inspection import merge_across_tiles, tile_origins
    assert tile_origins(600, 224, 64) == [0, 160, 320, 376]
    # one scratch from x=150 to x=260 seen by tile 0 (cut at 224) and tile 1 (from 160)
    boxes = np.array([[150., 50., 223., 70.], [160., 50., 260., 70.], [10., 10., 30., 30.]])
    scores = np.array([0.8, 0.7, 0.9])
    labels = np.array([5, 5, 5])
    tiles = np.array([0, 1, 0])
    b, s, l = merge_across_tiles(boxes, scores, labels, tiles)
    assert len(b) == 2
    merged = b[np.argmax((b[:, 2] - b[:, 0]))]
    assert merged.tolist() == [150., 50., 260., 70.]
    # different classes are never merged
    b, _, _ = merge_across_tiles(boxes, scores, np.array([5, 1, 5]), tiles)
    assert len(b) == 3


def test_benchmark_times_several_models_in_one_table(trained_ssd, tmp_path):
    _, ckpt = trained_ssd
    out = tmp_path / 'speed.md'
    proc = run_tool(['tools/analysis_tools/benchmark.py', f'{CONFIG}:{ckpt}',
                     'configs/swap_backbone/retinanet_sdn-1.0x_fpn_1x_neu-det.py',
                     '--batch-size', '1', '2', '--warmup', '1', '--repeats', '2',
                     '--threads', '2', '--out', str(out), '--json', str(tmp_path / 's.json')])
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [l.split('|')[1:-1] for l in proc.stdout.splitlines() if l.startswith('| ')][1:]
    record = json.loads((tmp_path / 's.json').read_text())
    assert len(record['rows']) == len(rows) and record['threads'] == 2
    assert {(r['config'], r['checkpoint']) for r in record['rows']} == {
        (CONFIG, ckpt), ('configs/swap_backbone/retinanet_sdn-1.0x_fpn_1x_neu-det.py', None)}
    ssd = [r for r in rows if r[0].strip() == 'sdn_ssd_neu.py']
    # 2 batches x (forward, stock, fast, onnxruntime, OpenVINO f32, pipeline)
    assert len(ssd) == 2 * 6
    assert sum(r[2].strip().startswith('openvino ') and 'precision f32' in r[2]
               for r in ssd) == 2
    for r in ssd:
        assert float(r[5]) > 0, r  # every row of the fast-head model was timed
    forward = [r for r in ssd if r[2].strip() == 'forward only']
    assert [float(r[6]) for r in forward] == [1.0, 1.0]
    assert all(r[4].strip() for r in ssd if r[1].strip() == '1')  # p95 at batch 1
    swap = [r for r in rows if r[0].strip().startswith('retinanet_sdn')]
    # a config given without weights is said to run with random ones
    assert swap and all(r[0].strip().endswith('(random weights)') for r in swap)
    fast = [r for r in swap if 'fast' in r[2]]
    assert fast and all('n/a' in r[3] for r in fast)  # stock RetinaHead: no fast path
    assert 'environment:' in proc.stdout and out.read_text().count('| sdn_ssd_neu.py |') == 12


def test_benchmark_times_classifiers(tmp_path):
    cls_cfg = 'configs/classification/sdn-1.0x_linear_30e_neu-cls.py'
    ckpt = 'checkpoints/sdn-1.0x_linear_30e_neu-cls_20261126_101938-0c1e84ef.pth'
    proc = run_tool(['tools/analysis_tools/benchmark.py', f'{cls_cfg}:{ckpt}',
                     'configs/classification/shufflenetv2-1.0x_linear_30e_neu-cls.py',
                     '--batch-size', '1', '2', '--warmup', '0', '--repeats', '1',
                     '--threads', '2'])
    assert proc.returncode == 0, proc.stderr[-3000:]
    rows = [l.split('|')[1:-1] for l in proc.stdout.splitlines() if l.startswith('| ')][1:]
    assert len(rows) == 2 * 2 * 2  # 2 models x 2 batches x (forward, whole classifier)
    assert {r[2].strip() for r in rows} == {
        'forward only', 'whole classifier (test_step: preprocess + softmax + labels)'}
    assert all(float(r[5]) > 0 for r in rows)


def test_benchmark_times_one_config_at_two_input_sizes(tmp_path):
    proc = run_tool(['tools/analysis_tools/benchmark.py', CONFIG, CONFIG, '--input-size', '0',
                     '256', '--batch-size', '2', '--warmup', '0', '--repeats', '1',
                     '--threads', '2', '--no-onnx', '--no-pipeline',
                     '--json', str(tmp_path / 's.json')])
    assert proc.returncode == 0, proc.stderr[-3000:]
    labels = {l.split('|')[1].strip() for l in proc.stdout.splitlines() if l.startswith('| ')}
    assert {'sdn_ssd_neu.py (random weights)',
            'sdn_ssd_neu.py @ 256 px (random weights)'} <= labels
    rows = json.loads((tmp_path / 's.json').read_text())['rows']
    # the config's own size (192) for the first model, 256 for the second: the pictures
    # and the anchors (InputScaledSSDAnchorGenerator) follow it, or the head would fail
    assert {(r['input_size'], r['input']) for r in rows} == {(None, '192x192'),
                                                             (256, '256x256')}
    assert all(r['img_s'] > 0 for r in rows if r['p50'] is not None)


def test_benchmark_refuses_input_sizes_it_cannot_apply():
    proc = run_tool(['tools/analysis_tools/benchmark.py', CONFIG, CONFIG, '--input-size', '192',
                     '256', '320'])
    assert proc.returncode == 2
    assert ('--input-size takes one size for every model or one per model (2), got 3'
            in proc.stderr)
    cls_cfg = 'configs/classification/sdn-1.0x_linear_30e_neu-cls.py'
    proc = run_tool(['tools/analysis_tools/benchmark.py', cls_cfg, '--input-size', '256',
                     '--batch-size', '1'])
    assert proc.returncode == 2
    assert f'--input-size 256 for {cls_cfg}: a classifier config' in proc.stderr
    proc = run_tool(['tools/analysis_tools/benchmark.py', f'{CONFIG}:model.onnx', '--backend',
                     'onnxruntime', '--input-size', '256'])
    assert proc.returncode == 2 and 'an exported file keeps the size' in proc.stderr


def test_benchmark_bad_arguments(tmp_path):
    proc = run_tool(['tools/analysis_tools/benchmark.py', f'{CONFIG}:{tmp_path}/none.pth'])
    assert proc.returncode != 0 and 'none.pth does not exist' in proc.stderr
    proc = run_tool(['tools/analysis_tools/benchmark.py', CONFIG, '--batch-size', '0'])
    assert proc.returncode != 0 and '--batch-size must be >= 1' in proc.stderr


def test_publish_model(trained_ssd, tmp_path):
    import hashlib

    from mmdet_shuffledefect.compat import load_checkpoint_file
    _, ckpt = trained_ssd
    proc = run_tool(['tools/model_converters/publish_model.py', ckpt,
                     str(tmp_path / 'sdn_ssd_neu.pth'), '--config', CONFIG])
    assert proc.returncode == 0, proc.stderr[-3000:]
    files = [f for f in os.listdir(tmp_path) if f.startswith('sdn_ssd_neu-')]
    assert len(files) == 1
    digest = hashlib.sha256((tmp_path / files[0]).read_bytes()).hexdigest()
    assert files[0] == f'sdn_ssd_neu-{digest[:8]}.pth'
    ckpt_pub = load_checkpoint_file(str(tmp_path / files[0]))
    assert 'optimizer' not in ckpt_pub and 'message_hub' not in ckpt_pub
    # the config trains with an EMA: the Runner's checkpoint holds the averaged weights
    # in state_dict and the raw ones in ema_state_dict, which publishing drops
    ckpt_in = load_checkpoint_file(ckpt)
    assert 'ema_state_dict' in ckpt_in and 'ema_state_dict' not in ckpt_pub
    assert ckpt_pub['state_dict'].keys() == ckpt_in['state_dict'].keys()
    assert all(ckpt_pub['state_dict'][k].equal(v) for k, v in ckpt_in['state_dict'].items())
    assert 'loads, builds and runs' in proc.stdout and f'Weights: {files[0]}' in proc.stdout


@pytest.mark.parametrize('config', [CONFIG,
                                    'configs/classification/sdn-1.0x_linear_30e_neu-cls.py'])
def test_get_flops(config):
    proc = run_tool(['tools/analysis_tools/get_flops.py', config])
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'input: 1x3x192x192' in proc.stdout and 'FLOPs:' in proc.stdout


def test_browse_dataset(synth_det, tmp_path):
    proc = run_tool(['tools/misc/browse_dataset.py', synth_det, '--split', 'splits/val.txt',
                     '--out-dir', str(tmp_path / 'vis')])
    assert proc.returncode == 0, proc.stderr
    n = len(open(osp.join(synth_det, 'splits', 'val.txt')).read().split())
    assert len(os.listdir(tmp_path / 'vis')) == n


def test_unknown_type_in_config_is_a_clear_error(tmp_path, synth_det):
    cfg = tmp_path / 'bad.py'
    cfg.write_text(f"_base_ = '{REPO}/configs/sdn_ssd_neu.py'\n"
                   "model = dict(backbone=dict(_delete_=True, type='ShuffleDefectNett'))\n")
    proc = run_tool(['tools/train.py', str(cfg), '--work-dir', str(tmp_path / 'w')]
                    + small_run_options(synth_det, 1))
    assert proc.returncode != 0
    assert 'ShuffleDefectNett is not in the' in proc.stderr


def test_inspect_bad_inputs(trained_ssd, tmp_path):
    _, ckpt = trained_ssd
    proc = run_tool(['tools/inspect_defects.py', CONFIG, str(tmp_path / 'no.pth'), 'x.jpg'])
    assert proc.returncode != 0 and 'no.pth does not exist' in proc.stderr
    proc = run_tool(['tools/inspect_defects.py', CONFIG, ckpt, str(tmp_path / 'missing')])
    assert proc.returncode != 0 and 'missing does not exist' in proc.stderr
    bad = tmp_path / 'bad.jpg'
    bad.write_bytes(b'junk')
    proc = run_tool(['tools/inspect_defects.py', CONFIG, ckpt, str(bad), '--out-dir',
                     str(tmp_path / 'o')])
    assert proc.returncode != 0  # nothing could be read: the run could not proceed
    assert 'bad.jpg: not a readable picture (corrupt, or not an image format)' in proc.stdout


def test_amp_on_cpu_trains_in_bf16_and_says_so(synth_det, tmp_path):
    proc = run_tool(['tools/train.py', CONFIG, '--amp', '--work-dir', str(tmp_path)]
                    + small_run_options(synth_det, 1))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert '--amp without a CUDA GPU: bf16 autocast of the training forward' in proc.stdout
    log = proc.stdout + proc.stderr
    assert 'precision: bf16 autocast for the training forward on the CPU' in log
    assert (tmp_path / 'epoch_1.pth').is_file()


def test_test_tool_out_and_show_dir(trained_ssd, synth_det, tmp_path):
    import pickle
    _, ckpt = trained_ssd
    out = tmp_path / 'preds.pkl'
    proc = run_tool(['tools/test.py', CONFIG, ckpt, '--work-dir', str(tmp_path), '--out',
                     str(out), '--show-dir', 'vis'] + small_run_options(synth_det, 1))
    assert proc.returncode == 0, proc.stderr[-3000:]
    preds = pickle.loads(out.read_bytes())
    n = len(open(osp.join(synth_det, 'splits', 'test.txt')).read().split())
    assert len(preds) == n and 'pred_instances' in preds[0]
    drawn = [f for _, _, fs in os.walk(tmp_path) for f in fs if f.endswith('.jpg')]
    assert len(drawn) == n
    proc = run_tool(['tools/test.py', CONFIG, ckpt, '--out', str(tmp_path / 'x.json')])
    assert proc.returncode != 0 and 'x.json' in proc.stderr


@pytest.mark.parametrize('config', [CONFIG, 'configs/sdn_retinanet_neu.py',
                                    'configs/classification/sdn-1.0x_linear_30e_neu-cls.py'])
def test_own_classes_and_data_root_flags_reach_datasets_and_head(config):
    from mmdet_shuffledefect.utils.config_loading import load_config
    cfg = load_config(osp.join(REPO, config), data_root='/my/data',
                      classes=['scale', 'hole'])
    heads = [cfg.model.get('bbox_head'), cfg.model.get('head')]
    assert [h.num_classes for h in heads if h] == [2]
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[key].dataset.metainfo['classes'] == ('scale', 'hole')
        assert cfg[key].dataset.data_root == '/my/data/'
    if 'data_preprocessor' in cfg and 'num_classes' in cfg.data_preprocessor:
        assert cfg.data_preprocessor.num_classes == 2


def test_cfg_options_behave_as_in_mmdet_and_warn_when_unreached(capsys):
    """--cfg-options only merges (mmdet's meaning); data_root= and classes= there change
    the top-level variable alone, reach no dataset, and a warning names the flags."""
    from mmdet_shuffledefect.utils.config_loading import load_config
    cfg = load_config(osp.join(REPO, CONFIG), {'data_root': '/my/data/',
                                               'classes': ['scale', 'hole']})
    assert cfg.data_root == '/my/data/'
    assert cfg.model.bbox_head.num_classes == 6
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        assert cfg[key].dataset.data_root == 'data/NEU-DET/'
        assert len(cfg[key].dataset.metainfo['classes']) == 6
    err = capsys.readouterr().err
    assert 'data_root=/my/data/ reaches no dataset' in err and '--data-root /my/data/' in err
    assert '--classes NAME' in err
    cfg = load_config(osp.join(REPO, CONFIG), {
        'train_dataloader.dataset.data_root': '/my/data/', 'data_root': '/my/data/'})
    assert cfg.train_dataloader.dataset.data_root == '/my/data/'
    assert 'reaches no dataset' not in capsys.readouterr().err


def test_bad_classes_flag_is_refused(tmp_path):
    proc = run_tool(['tools/train.py', CONFIG, '--classes', 'a', 'a',
                     '--work-dir', str(tmp_path)])
    assert proc.returncode != 0
    assert "classes must be unique, got ['a', 'a']" in proc.stderr


def test_dist_test_two_cpu_processes(trained_ssd, synth_det, tmp_path):
    import subprocess
    _, ckpt = trained_ssd
    env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS='1', PORT='29632')
    proc = subprocess.run(
        ['bash', 'tools/dist_test.sh', CONFIG, ckpt, '2', '--work-dir', str(tmp_path)]
        + small_run_options(synth_det, 1), cwd=REPO, env=env, capture_output=True,
        text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    import glob
    terminal = proc.stdout + proc.stderr
    # mmengine's environment banner (in the work dir's log file, #30 item 2); "GPU number"
    # is its name for the world size
    log = open(glob.glob(str(tmp_path / '*' / '*.log'))[0]).read()
    assert 'Distributed training: True' in log and 'GPU number: 2' in log
    assert 'pascal_voc/mAP' in terminal


def test_test_tool_keeps_the_config_dump_in_the_log_file(trained_ssd, synth_det, tmp_path):
    """#30 item 2: by default the terminal gets the progress and the results table; the
    config, environment and hook tables go to the work dir's log file; --verbose prints
    them too."""
    import glob
    _, ckpt = trained_ssd
    quiet = run_tool(['tools/test.py', CONFIG, ckpt, '--work-dir', str(tmp_path / 'q')]
                     + small_run_options(synth_det, 1))
    assert quiet.returncode == 0, quiet.stderr[-3000:]
    terminal = quiet.stdout + quiet.stderr
    for noise in ('System environment', 'Config:', 'Hooks will be executed'):
        assert noise not in terminal, noise
    assert 'pascal_voc/mAP' in terminal.split('\n')[-2] or 'pascal_voc/mAP' in terminal
    assert len(terminal.strip().split('\n')) <= 40, terminal
    log = open(glob.glob(str(tmp_path / 'q' / '*' / '*.log'))[0]).read()
    for kept in ('System environment', 'Config:', 'Hooks will be executed'):
        assert kept in log, kept
    assert 'config, environment and hooks: in ' in terminal
    loud = run_tool(['tools/test.py', CONFIG, ckpt, '--work-dir', str(tmp_path / 'v'),
                     '--verbose'] + small_run_options(synth_det, 1))
    assert loud.returncode == 0 and 'Config:' in loud.stdout + loud.stderr


def test_every_tool_help_shows_its_defaults(capsys, monkeypatch):
    """#30 item 2: `--help` of every tool exits 0 and shows the defaults."""
    import glob
    import runpy
    import sys
    tools = sorted(glob.glob(osp.join(REPO, 'tools', '**', '*.py'), recursive=True))
    with_parser = [t for t in tools if 'ArgumentParser(' in open(t).read()]
    assert len(with_parser) >= 20
    doubled = []
    for tool in with_parser:
        monkeypatch.setattr(sys, 'argv', [tool, '--help'])
        monkeypatch.syspath_prepend(osp.dirname(tool))
        with pytest.raises(SystemExit) as done:
            runpy.run_path(tool, run_name='__main__')
        out = capsys.readouterr().out
        assert done.value.code in (0, None), tool
        assert 'usage:' in out, tool
        options = [line for line in out.split('options:')[-1].split('\n')
                   if line.strip().startswith('-') and '--help' not in line]
        if options:
            assert '(default:' in out, f'{tool} --help shows no default'
            assert 'formatter_class=DefaultsHelpFormatter' in open(tool).read(), tool
        # a help text that explains its own default gets no second "(default: None)"
        doubled += [f'{osp.basename(tool)}: {m}' for m in
                    re.findall(r'\(default: [^)]*\) \(default: [^)]*\)', ' '.join(out.split()))]
    assert doubled == []
    out_dir = [t for t in with_parser if t.endswith('inspect_defects.py')]
    monkeypatch.setattr(sys, 'argv', [out_dir[0], '--help'])
    with pytest.raises(SystemExit):
        runpy.run_path(out_dir[0], run_name='__main__')
    text = capsys.readouterr().out
    text = ' '.join(text.split())
    assert '(default: inspection)' in text
    assert ("unset, the config's inspection_score_thr where it fits the model's classes, else "
            'the per-class thresholds the checkpoint carries (chosen on its val split), else '
            '0.3 (default: None)') in text

