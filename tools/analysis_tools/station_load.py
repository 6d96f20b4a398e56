"""Load benchmark of the inspection station (tools/inspection_station.py) with a simulated
line camera, in one run:

1. **reference**: the same detector and backend inspecting batches of 32 pictures already
   decoded in memory (``predict_batch``), in this process, before the station starts;
2. **backlog**: ``--backlog`` pictures dropped at once into the watched folder of a
   running station: its throughput (pictures / s from the drop to the last record) and
   that as a ratio of the reference;
3. **line**: ``--images`` pictures in bursts of ``--burst`` at ``--line-load`` x the
   reference rate (a line slower than the station): arrival-to-record latency p50 / p95
   (file complete -> batch committed) and the station's resident memory over time;
4. **crash** (``--kill-cycles N``): a station SIGKILLed N times at random moments while
   ``--crash-images`` pictures arrive, restarted each time: pictures lost and recorded
   twice (content hashes of the folder against the database), batches not whole;
5. **report**: ``tools/inspection_report.py`` on the line run's database and the time the
   page takes to load in headless Chromium (where one is installed).

``--database postgresql`` runs every phase against a PostgreSQL server started for the run
(Debian's binaries, on a local socket in the work folder) instead of SQLite files. A
20000 x 20000 PNG decompression bomb is dropped into the line phase's folder half-way
(``--no-bomb``: not), so the memory series shows what it costs.

Nothing else should run on the machine (a training shares the cores: no figure).

Example:
    python tools/analysis_tools/station_load.py configs/sdn_ssd_neu.py sdn.onnx \\
        --backend onnxruntime --threads 2 --out results/inspection_station.md
    python tools/analysis_tools/station_load.py configs/sdn_ssd_neu.py sdn.onnx \\
        --backend onnxruntime --threads 2 --database postgresql
"""
import argparse
import os
import os.path as osp
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None):
    from mmdet_shuffledefect.utils.cli import DefaultsHelpFormatter
    parser = argparse.ArgumentParser(formatter_class=DefaultsHelpFormatter,
                                     description='Load benchmark of the inspection station')
    parser.add_argument('config')
    parser.add_argument('checkpoint', help='.pth (pytorch) or .onnx (onnxruntime/openvino)')
    parser.add_argument('--backend', default='pytorch',
                        choices=['pytorch', 'onnxruntime', 'openvino'])
    parser.add_argument('--threads', type=int, default=2, help='CPU threads of the backend')
    parser.add_argument('--batch-size', type=int, default=32, help="the station's batch size")
    parser.add_argument('--backlog', type=int, default=2000,
                        help='pictures dropped at once (throughput)')
    parser.add_argument('--images', type=int, default=10000,
                        help='pictures of the line phase (latency, memory)')
    parser.add_argument('--burst', type=int, default=20, help='pictures per camera burst')
    parser.add_argument('--line-load', type=float, default=0.5,
                        help='line rate as a fraction of the reference rate')
    parser.add_argument('--kill-cycles', type=int, default=5,
                        help='SIGKILL/restart cycles of the crash phase (0: skip it)')
    parser.add_argument('--crash-images', type=int, default=2000)
    parser.add_argument('--work-dir', help='folder for the camera folders and databases '
                        '(unset: a temporary one, removed at the end)')
    parser.add_argument('--out', help='also write the markdown table here')
    parser.add_argument('--database', default='sqlite', choices=['sqlite', 'postgresql'],
                        help='where the stations record: SQLite files, or a PostgreSQL server '
                        'started for the run')
    parser.add_argument('--no-bomb', action='store_true',
                        help='no decompression bomb in the line phase')
    parser.add_argument('--seed', type=int, default=0)
    return parser.parse_args(argv)


def rss_mb(pid: int) -> float:
    """Resident memory of a process (MB), from /proc."""
    with open(f'/proc/{pid}/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024
    return float('nan')


def recorded(db: str) -> int:
    from mmdet_shuffledefect.inspection.results_db import recorded_count
    return recorded_count(db)


class Station:
    """tools/inspection_station.py as a subprocess, its memory sampled every 0.5 s."""

    def __init__(self, args, folder: str, db: str, log: str) -> None:
        cmd = [sys.executable, osp.join(REPO, 'tools/inspection_station.py'), args.config,
               args.checkpoint, '--watch', folder, '--db', db, '--backend', args.backend,
               '--threads', str(args.threads), '--batch-size', str(args.batch_size),
               '--no-progress', '--settle', '0.05', '--poll-interval', '0.05']
        self.log = open(log, 'a')
        env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        self.memory = []  # (seconds since start, MB)
        self.t0 = time.time()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self):
        while not self._stop.is_set() and self.proc.poll() is None:
            try:
                self.memory.append((time.time() - self.t0, rss_mb(self.proc.pid)))
            except OSError:
                break
            time.sleep(0.5)

    def wait_ready(self, db: str, timeout: float = 300) -> None:
        """Until the station has opened its database (model loaded)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f'the station exited with {self.proc.returncode}; see '
                                   f'{self.log.name}')
            if 'station: watching' in open(self.log.name).read():
                return
            time.sleep(0.1)
        raise RuntimeError('the station did not start in time')

    def stop(self, sig=signal.SIGINT) -> int:
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=300)
        self._stop.set()
        self._thread.join()
        self.log.close()
        return code


def reference_rate(args, camera) -> float:
    """Pictures / s of the detector on batches of 32 decoded pictures (this process)."""
    import torch

    from mmdet_shuffledefect.inspection import predict_batch
    if args.backend == 'pytorch':
        from mmdet_shuffledefect.apis import init_inspection_model
        torch.set_num_threads(args.threads)
        model = init_inspection_model(args.config, args.checkpoint)
    else:
        from mmdet_shuffledefect.deployment import load_exported
        model = load_exported(args.checkpoint, args.backend, threads=args.threads)
    imgs = [camera.frame(10 ** 6 + i) for i in range(32)]
    for _ in range(3):
        predict_batch(model, imgs)
    rates = []
    for _ in range(10):
        t = time.perf_counter()
        predict_batch(model, imgs)
        rates.append(32 / (time.perf_counter() - t))
    return float(np.median(rates))


def query(db: str, text: str) -> list:
    """Rows of one read-only query on an SQLite file or a PostgreSQL URL."""
    from mmdet_shuffledefect.inspection.db_dialects import dialect_for, run
    dialect = dialect_for(db)
    conn = dialect.connect(read_only=True)
    try:
        return run(dialect, conn, text).fetchall()
    finally:
        conn.close()


class Databases:
    """A database per phase: an SQLite file in the work folder, or a database on a
    PostgreSQL server started for the run."""

    def __init__(self, kind: str, root: str) -> None:
        self.kind, self.root, self.server = kind, root, None
        if kind == 'postgresql':
            from mmdet_shuffledefect.utils.postgres_server import LocalPostgres
            self.server = LocalPostgres(tempfile.mkdtemp(prefix='pg', dir='/tmp'),
                                        port=5440).start()

    def new(self, phase: str) -> str:
        if self.server is not None:
            return self.server.create_database(phase)
        return osp.join(self.root, f'{phase}.sqlite')

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()


def latencies(db: str) -> np.ndarray:
    rows = query(db, 'SELECT b.committed_at - i.arrived_at FROM images i JOIN batches b '
                     "ON i.batch_id = b.id WHERE i.status <> 'unreadable'")
    return np.array([r[0] for r in rows])


def crash_phase(args, root, camera_cls, rng, db):
    """Kill/restart cycles; return (pictures, recorded, lost, duplicated, problems)."""
    from mmdet_shuffledefect.inspection.results_db import ResultsDB
    folder = osp.join(root, 'crash')
    cam = camera_cls(folder, pool=64, seed=args.seed + 2)
    per_cycle = args.crash_images // (args.kill_cycles + 1)
    for cycle in range(args.kill_cycles):
        station = Station(args, folder, db, osp.join(root, 'crash.log'))
        cam.shoot(per_cycle)
        before = recorded(db)
        deadline = time.time() + 300
        while recorded(db) <= before and time.time() < deadline:
            time.sleep(0.01)
        time.sleep(float(rng.uniform(0, 1.0)))
        station.stop(signal.SIGKILL)
    cam.shoot(args.crash_images - per_cycle * args.kill_cycles)
    station = Station(args, folder, db, osp.join(root, 'crash.log'))
    station.wait_ready(db)
    deadline = time.time() + 600
    while recorded(db) < args.crash_images and time.time() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)
    station.stop()
    files = sorted(osp.join(folder, f) for f in os.listdir(folder) if f.endswith('.jpg'))
    wanted = set(files)  # every picture is its own arrival: recorded under its own path
    keys = [r[0] for r in query(db, 'SELECT path FROM images')]
    check = ResultsDB(db, dict(config='-', weights_sha256='-', backend='-', precision='-',
                               score_thr=0.0))
    problems = check.check_integrity()
    check.close()
    return (len(files), len(keys), len(wanted - set(keys)), len(keys) - len(set(keys)),
            problems)


def report_load_seconds(db: str, root: str):
    """Write the HTML report of ``db``; time its load in headless Chromium (None: none)."""
    from mmdet_shuffledefect.inspection.report_page import (CHROMIUM_ARGS, find_chromium,
                                                            write_report)
    page = osp.join(root, 'report.html')
    shown = write_report(db, page)
    browser = find_chromium()
    if browser is None:
        return shown, None
    from playwright.sync_api import sync_playwright
    times = []
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=browser, args=CHROMIUM_ARGS)
        for _ in range(3):
            tab = b.new_page()
            t = time.perf_counter()
            tab.goto('file://' + page)
            tab.wait_for_selector('body[data-ready="1"]', timeout=60000)
            times.append(time.perf_counter() - t)
            tab.close()
        b.close()
    return shown, times


def backlog_phase(args, root: str, databases, ref: float, say) -> None:
    """A running, idle station gets ``args.backlog`` pictures at once: its throughput."""
    from mmdet_shuffledefect.data_prep.line_camera import LineCamera
    back_dir, back_db = osp.join(root, 'backlog'), databases.new('backlog')
    back_cam = LineCamera(back_dir, pool=64, seed=args.seed + 1)
    station = Station(args, back_dir, back_db, osp.join(root, 'backlog.log'))
    station.wait_ready(back_db)
    frames = back_cam.encode(args.backlog)  # encoded before the clock starts
    t0 = time.time()
    back_cam.write(frames)
    dropped = time.time() - t0
    while recorded(back_db) < args.backlog and station.proc.poll() is None:
        time.sleep(0.25)  # the observer stays light: the end time comes from the database
    last = query(back_db, 'SELECT MAX(committed_at) FROM batches')[0][0]
    station.stop()
    throughput = args.backlog / (last - t0)
    say(f'backlog: {args.backlog} pictures written in {dropped:.1f} s; station '
        f'{throughput:.1f} pictures/s = {throughput / ref:.2f}x the reference')


def line_phase(args, cam, databases, ref: float, root: str, say) -> str:
    """A line slower than the station, in bursts (and a decompression bomb half-way):
    latency from arrival to record and the station's memory; returns the database."""
    from mmdet_shuffledefect.data_prep.line_camera import png_bomb
    line_db = databases.new('line')
    station = Station(args, cam.folder, line_db, osp.join(root, 'line.log'))
    station.wait_ready(line_db)
    rate = args.line_load * ref
    frames = cam.encode(args.images)  # encoded before the clock starts
    start_line = time.time()
    marks = []  # (pictures written, station RSS MB)
    bomb_at = None if args.no_bomb else (args.images // 2) // args.burst * args.burst
    for k in range(0, args.images, args.burst):
        due = start_line + k / rate
        time.sleep(max(0.0, due - time.time()))
        cam.write(frames[k:k + args.burst])
        if k == bomb_at:
            with open(osp.join(cam.folder, 'bomb_20000x20000.png'), 'wb') as f:
                f.write(png_bomb(20000, 20000))
        if station.memory:
            marks.append((k, station.memory[-1][1]))
    while recorded(line_db) < args.images + (bomb_at is not None) and \
            station.proc.poll() is None:
        time.sleep(0.25)
    line_seconds = time.time() - start_line
    time.sleep(1.0)
    marks.append((args.images, station.memory[-1][1]))
    station.stop()
    lat = latencies(line_db)
    first_k = next((mb for k, mb in marks if k >= min(1000, args.images // 10)), marks[0][1])
    say(f'line: {args.images} pictures at {rate:.1f}/s ({args.line_load:.2f}x the reference) '
        f'in bursts of {args.burst}, {line_seconds:.0f} s; arrival to record p50 '
        f'{1000 * np.percentile(lat, 50):.0f} ms, p95 {1000 * np.percentile(lat, 95):.0f} ms, '
        f'max {1000 * lat.max():.0f} ms')
    peak = max(mb for _, mb in station.memory)
    say(f'memory (station RSS): {first_k:.0f} MB after the first '
        f'{min(1000, args.images // 10)} pictures, {marks[-1][1]:.0f} MB after '
        f'{args.images} ({marks[-1][1] - first_k:+.1f} MB), peak {peak:.0f} MB')
    if bomb_at is not None:
        refused = query(line_db, "SELECT error FROM images WHERE path LIKE '%bomb_20000x20000%'")
        say(f'bomb: a 20000 x 20000 PNG ({len(png_bomb(20000, 20000)) / 1e3:.0f} KB) dropped '
            f'after {bomb_at} pictures: ' + (refused[0][0] if refused else 'NOT recorded'))
    say('memory over time (pictures written: MB): ' + ', '.join(
        f'{k}: {mb:.0f}' for k, mb in sorted(set(marks[::max(1, len(marks) // 10)]
                                                  + [marks[-1]]))))

    return line_db


def main(argv=None):
    args = parse_args(argv)
    from mmdet_shuffledefect.data_prep.line_camera import LineCamera
    from mmdet_shuffledefect.utils.env import environment_info
    rng = np.random.default_rng(args.seed)
    root = args.work_dir or tempfile.mkdtemp(prefix='station_load_')
    os.makedirs(root, exist_ok=True)
    lines = []

    def say(text=''):
        print(text, flush=True)
        lines.append(text)

    cam = LineCamera(osp.join(root, 'line'), pool=64, seed=args.seed)
    ref = reference_rate(args, cam)
    say(f'reference: {ref:.1f} pictures/s ({args.backend}, {args.threads} threads, batches of '
        '32 decoded pictures in memory)')

    databases = Databases(args.database, root)
    say(f'database: {args.database}' + (f' (a local server, {databases.server.bin})'
                                        if databases.server else ' (files in the work folder)'))
    backlog_phase(args, root, databases, ref, say)
    line_db = line_phase(args, cam, databases, ref, root, say)

    if args.kill_cycles:
        files, keys, lost, twice, problems = crash_phase(args, root, LineCamera, rng,
                                                         databases.new('crash'))
        say(f'crash: {args.kill_cycles} SIGKILL/restart cycles, {files} pictures: {keys} '
            f'recorded, {lost} lost, {twice} recorded twice, batches not whole: '
            f'{len(problems)}' + (f' ({problems[:3]})' if problems else ''))

    shown, load = report_load_seconds(line_db, root)
    say(f'report: {shown["pictures"]} pictures, {shown["defects"]} defects, '
        f'{shown["bytes"] / 1e6:.1f} MB; '
        + ('load in headless Chromium (goto to the table drawn) '
           + ', '.join(f'{t:.2f}' for t in load) + ' s' if load else 'no Chromium here'))
    env = environment_info()
    say(f"environment: {env['cpu']}, {os.cpu_count()} cores; python {env['python']}, torch "
        f"{env['torch']}, mmdet {env['mmdet']}, git {env['git_commit']}, seed {args.seed}")
    if args.out:
        with open(args.out, 'a') as f:
            f.write('\n```text\n$ python tools/analysis_tools/station_load.py '
                    + ' '.join(sys.argv[1:]) + '\n' + '\n'.join(lines) + '\n```\n')
    databases.close()
    if not args.work_dir:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
