"""The main job in one command (``make demo``).

1. Data: ``data/NEU-DET`` when present (with ``splits/`` there, or the
   package's default split), otherwise a synthetic NEU-DET-format sample.
2. Trains the SSD detector (``configs/sdn_ssd_neu.py``) briefly with
   ``tools/train.py``, choosing the checkpoint on the val split.
3. Evaluates VOC mAP@0.5 (per class too) on the test split with ``tools/test.py``.
4. Measures CPU latency / FPS of the backbone and the whole detector.
5. Writes an inspection report (JSON, CSV, summary, annotated images) for
   the test images with ``tools/inspect_defects.py``'s code.
6. The product on a line: the published **line detector** (the model zoo's ``line`` role,
   with the alarm thresholds its checkpoint carries) runs in ``tools/inspection_station.py``
   on a camera folder that pictures arrive in for a few seconds, recording every picture
   into SQLite; ``tools/inspection_report.py`` then writes the shift's HTML page.

Every number lands in ``<out>/demo_results.json`` with the command, versions,
git commit and seed.

Example:
    python tools/demo.py                       # synthetic sample, ~10 min on 2 cores
    python tools/demo.py --data-root data/NEU-DET --epochs 40
"""
import argparse
import json
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import time

HERE = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(HERE)
CONFIG = osp.join(REPO, 'configs', 'sdn_ssd_neu.py')
#: train / val / test shares of the synthetic sample
SYNTHETIC_SPLIT = (0.35, 0.05, 0.6)


def parse_args(argv=None):
    from mmdet_shuffledefect.utils.cli import DefaultsHelpFormatter, add_old_spelling
    parser = argparse.ArgumentParser(
        formatter_class=DefaultsHelpFormatter,
        description='Train, evaluate, time and inspect (demo)')
    parser.add_argument('--data-root', '--data', dest='data', default=None,
                        help='NEU-DET-layout folder; default data/NEU-DET if present, '
                        'else a synthetic sample')
    parser.add_argument('--synthetic', action='store_true',
                        help='use the synthetic sample even when data/NEU-DET exists')
    parser.add_argument('--out-dir', default='outputs/demo', help='output folder')
    add_old_spelling(parser, '--out', '--out-dir')
    parser.add_argument('--epochs', type=int, default=None,
                        help='training epochs (default 40 on the synthetic sample, 8 on real data)')
    parser.add_argument('--synthetic-images', type=int, default=600,
                        help='images in the synthetic sample, split 35/5/60 %% into '
                        'train/val/test: a 360-image test split, so the test mAP means '
                        'something (its 95 %% bootstrap interval is reported too)')
    parser.add_argument('--bootstrap', type=int, default=200,
                        help='resamples of the test images for the mAP interval (0: off)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--station-images', type=int, default=48,
                        help='test pictures that arrive in the line station\'s camera folder')
    return parser.parse_args(argv)


def step(title):
    print(f'\n=== {title} ===', flush=True)


def run(cmd, log_path):
    """Run a tool, tee its output to ``log_path``, stop the demo if it fails."""
    print('$ ' + ' '.join(cmd), flush=True)
    lines = []
    with open(log_path, 'w') as log:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        for line in proc.stdout:
            log.write(line)
            lines.append(line)
            if re.search(r'Epoch\(\w+\)|mAP|error', line):
                print('  ' + line.rstrip()[-160:], flush=True)
        proc.wait()
    if proc.returncode != 0:
        print(''.join(lines[-30:]), file=sys.stderr)
        from mmdet_shuffledefect.utils.tool_errors import fail
        fail(f'demo: {cmd[1]} failed (exit {proc.returncode}); full log: {log_path}', code=1)
    return ''.join(lines)


def prepare_data(args, out):
    from mmdet_shuffledefect.data_prep.splits import make_splits_for_dir
    from mmdet_shuffledefect.data_prep.synthetic import write_neu_det
    data = args.data
    if (data is None and not args.synthetic
            and osp.isdir(osp.join(REPO, 'data', 'NEU-DET', 'ANNOTATIONS'))):
        data = osp.join(REPO, 'data', 'NEU-DET')
    if data is not None:
        from mmdet_shuffledefect.utils.tool_errors import fail
        if not osp.isdir(osp.join(data, 'ANNOTATIONS')):
            fail(f'demo: {data} has no ANNOTATIONS/ folder (expected a NEU-DET layout)',
                 code=1)
        if not osp.isfile(osp.join(data, 'splits', 'train.txt')):
            fail(f'demo: {data}/splits/train.txt missing; run '
                 f'python tools/dataset_converters/make_splits.py {data}', code=1)
        return osp.abspath(data), 'NEU-DET at ' + osp.abspath(data)
    data = osp.join(out, 'synthetic')
    if not osp.isfile(osp.join(data, 'splits', 'test.txt')):
        shutil.rmtree(data, ignore_errors=True)
        stats = write_neu_det(data, num_images=args.synthetic_images, seed=args.seed)
        # training as before (210 images), a test split six times larger: evaluating
        # costs seconds, and 60 test images move the mAP by several points
        make_splits_for_dir(data, osp.join(data, 'splits'), seed=args.seed,
                            ratios=SYNTHETIC_SPLIT)
        print(f'wrote a synthetic sample: {stats}')
    return osp.abspath(data), f'synthetic sample ({args.synthetic_images} images, seed {args.seed})'


#: what the demo's mAP is, said beside it (docs/demo.md keeps the runs)
DEMO_MAP_NOTE = ('the same command gave 0.189-0.252 on the CPUs measured so far (Intel Xeon, '
                 'AMD EPYC; docs/demo.md); the model zoo holds the accuracy of full trainings')


def feed_camera(pictures, folder: str, seconds: float) -> None:
    """Write ``pictures`` into ``folder`` over about ``seconds``, each as a camera does:
    written under a temporary name, then renamed."""
    pause = seconds / max(1, len(pictures))
    for src in pictures:
        name = osp.basename(src)
        tmp = osp.join(folder, name + '.part')
        shutil.copyfile(src, tmp)
        os.replace(tmp, osp.join(folder, name))
        time.sleep(pause)


def line_station(pictures, out: str, seconds: float = 4.0) -> dict:
    """Run the published line detector in the station on pictures arriving in a folder,
    then write the shift's HTML page; return where everything is."""
    import threading

    from mmdet_shuffledefect.reporting import model_zoo as zoo
    line = zoo.role_holder(zoo.load_models(osp.join(REPO, 'model-index.yml')), 'line')
    camera = osp.join(out, 'camera1')
    db = osp.join(out, 'line1.sqlite')
    page = osp.join(out, 'shift.html')
    shutil.rmtree(camera, ignore_errors=True)
    os.makedirs(camera)
    for path in (db, page):
        if osp.exists(path):
            os.remove(path)
    print(f"{len(pictures)} pictures arrive in {camera} over {seconds:g} s; the station records "
          f"them with {line['Config']}")
    feeder = threading.Thread(target=feed_camera, args=(pictures, camera, seconds))
    feeder.start()
    text = run([sys.executable, 'tools/inspection_station.py', line['Config'], line['Weights'],
                '--watch', camera, '--db', db, '--stop-when-idle', '3', '--no-progress'],
               osp.join(out, 'station.log'))
    feeder.join()
    for row in text.splitlines():
        if row.startswith('station:'):
            print('  ' + row[:240])
    run([sys.executable, 'tools/inspection_report.py', db, '--out', page],
        osp.join(out, 'report.log'))
    import sqlite3
    with sqlite3.connect(db) as con:
        recorded = con.execute('SELECT COUNT(*) FROM images').fetchone()[0]
    print(f'{recorded} of {len(pictures)} pictures recorded; the shift page: {page}')
    return dict(config=line['Config'], checkpoint=line['Weights'], db=db, page=page,
                pictures=len(pictures), recorded=recorded)


def check_args(args) -> None:
    """Exit with one message when a number is out of range."""
    from mmdet_shuffledefect.utils.tool_errors import fail
    if args.epochs is not None and args.epochs < 1:
        fail(f'--epochs must be >= 1, got {args.epochs}')
    if args.synthetic_images < 20:
        fail(f'--synthetic-images must be >= 20 (train, val and test need images), got '
             f'{args.synthetic_images}')


def train_and_test(args, data: str, out: str, epochs: int) -> tuple:
    """Steps 2 and 3: train with ``tools/train.py``, test the val-best checkpoint with
    ``tools/test.py``; return the checkpoint and the test metrics."""
    step(f'2/6 training {osp.relpath(CONFIG, REPO)} for {epochs} epochs (CPU)')
    work = osp.join(out, 'work_dir')
    # train.py --epochs scales the whole schedule (LR end, checkpoint interval); four validations
    data_opts = ['--data-root', f'{data}/']
    opts = data_opts + ['--epochs', str(epochs), '--cfg-options',
                        f'train_cfg.val_interval={max(1, epochs // 4)}', f'randomness.seed={args.seed}']
    run([sys.executable, 'tools/train.py', CONFIG, '--work-dir', work] + opts,
        osp.join(out, 'train.log'))
    from mmdet_shuffledefect.utils.work_dir import best_checkpoint
    ckpt = best_checkpoint(work) or osp.join(work, f'epoch_{epochs}.pth')

    step('3/6 evaluating VOC mAP@0.5 on the test split')
    test_cmd = ([sys.executable, 'tools/test.py', CONFIG, ckpt, '--work-dir', work] + data_opts
                + ['--cfg-options', f'randomness.seed={args.seed}'])
    if args.bootstrap:
        test_cmd.append(f'test_evaluator.bootstrap={args.bootstrap}')
    text = run(test_cmd, osp.join(out, 'test.log'))
    metrics = {m.group(1): float(m.group(2))
               for m in re.finditer(r'pascal_voc/(\S+): (-?[\d.]+|nan)', text)}
    return ckpt, metrics


def cpu_speed(model, image_path: str) -> dict:
    """Step 4: backbone and whole-detector latency at batch 1 (median of 30 after 5)."""
    step('4/6 measuring CPU latency (batch 1, median of 30 after 5 warm-up)')
    import cv2
    import torch
    from mmdet.apis import inference_detector

    from mmdet_shuffledefect.utils.timing import median_latency_ms
    img = cv2.imread(image_path)
    x = torch.rand(1, 3, 192, 192)
    speed = {
        'backbone_ms': median_latency_ms(lambda: model.backbone(x), 5, 30),
        'detector_ms': median_latency_ms(lambda: inference_detector(model, img), 5, 30),
        'threads': torch.get_num_threads(),
    }
    speed['detector_fps'] = 1000.0 / speed['detector_ms']
    print(f"backbone {speed['backbone_ms']:.1f} ms, whole detector (preprocess + forward + "
          f"NMS) {speed['detector_ms']:.1f} ms = {speed['detector_fps']:.1f} FPS "
          f"on {speed['threads']} CPU threads")
    return speed


def print_summary(results: dict, args, out: str, report_dir: str) -> None:
    """What the demo did, its numbers and where its files are."""
    metrics, speed = results['test_metrics'], results['cpu_speed']
    summary, station = results['inspection_summary'], results['line_station']
    print('\n=== done ===')
    interval = (f" (95 % interval over {args.bootstrap} resamples of the test images: "
                f"{metrics['mAP_low']:.3f} - {metrics['mAP_high']:.3f})"
                if 'mAP_low' in metrics else '')
    print(f"test mAP@0.5 (VOC area, {results['data']}): {metrics.get('mAP', float('nan')):.3f}"
          + interval)
    print(f"  a short {results['epochs']}-epoch run that shows the pipeline works, not the "
          f"model's accuracy: {DEMO_MAP_NOTE}")
    for k, v in metrics.items():
        if k.startswith('AP50_'):
            print(f'  {k[5:]:>16}: {v:.3f}')
    print(f"detector: {speed['detector_fps']:.1f} FPS on CPU ({speed['threads']} threads); "
          'GPU FPS not measured here (no GPU)')
    print(f"inspection: {summary['images_defective']} defective / {summary['images_clean']} "
          f"clean images, {summary['defects_total']} defects")
    print(f"outputs:\n  results      {out}/demo_results.json\n  checkpoint   {results['checkpoint']}\n"
          f'  logs         {out}/train.log, {out}/test.log\n'
          f'  inspection   {report_dir}/ (report.json, report.csv, summary.json, annotated/)\n'
          f"  line station {station['db']} ({station['recorded']} pictures recorded by "
          f"{station['config']})\n"
          f"  shift page   {station['page']}  <- open this in a browser")
    print(f"total {results['minutes']} min")


def main(argv=None):
    args = parse_args(argv)
    check_args(args)
    out = osp.abspath(args.out_dir)
    os.makedirs(out, exist_ok=True)
    started = time.time()

    step('1/6 data')
    data, data_desc = prepare_data(args, out)
    epochs = args.epochs or (40 if data_desc.startswith('synthetic') else 8)
    print(f'data: {data_desc}')
    ckpt, metrics = train_and_test(args, data, out, epochs)

    import mmdet_shuffledefect  # noqa: F401
    from mmdet_shuffledefect.apis import init_inspection_model, inspect_paths
    from mmdet_shuffledefect.datasets import read_split_file
    from mmdet_shuffledefect.datasets.neu_det import find_image
    from mmdet_shuffledefect.utils.env import environment_info
    model = init_inspection_model(CONFIG, ckpt, device='cpu')
    test_names = read_split_file(osp.join(data, 'splits', 'test.txt'))
    test_images = [find_image(osp.join(data, 'IMAGES'), n) for n in test_names]
    speed = cpu_speed(model, test_images[0])

    step('5/6 inspection report on the test images')
    report_dir = osp.join(out, 'inspection')
    summary = inspect_paths(model, test_images, report_dir, overwrite=True)
    print(f"score thresholds: {summary['score_thr']} -- {summary['score_thr_source']}")

    step('6/6 the line station: the published line detector on a camera folder, into SQLite')
    station = line_station(test_images[:args.station_images], out)

    results = {
        'command': ' '.join([osp.relpath(sys.executable, REPO) if sys.executable.startswith(REPO)
                             else 'python', 'tools/demo.py'] + (argv or sys.argv[1:])),
        'data': data_desc, 'epochs': epochs, 'seed': args.seed, 'checkpoint': ckpt,
        'test_metrics': metrics, 'cpu_speed': speed, 'inspection_summary': summary,
        'line_station': station,
        'environment': environment_info(), 'minutes': round((time.time() - started) / 60, 1),
    }
    with open(osp.join(out, 'demo_results.json'), 'w') as f:
        json.dump(results, f, indent=1)
    print_summary(results, args, out, report_dir)


if __name__ == '__main__':
    main()
