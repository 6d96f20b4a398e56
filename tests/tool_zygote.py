"""Run the repository's tools in forked copies of one process that has already imported
the heavy stack (torch, mmengine, mmcv, mmdet, mmpretrain, this package).

A tool started with ``python tools/x.py`` spends about 5 CPU-seconds importing that stack
before it reads its first argument, and the suite starts a few hundred tools. The zygote
imports it once; each tool then runs in a child forked from it: its own process (its own
exit status, signals, global state and memory, all gone when it ends), its stdout and
stderr in files, its working directory and environment as asked. Nothing of the zygote
runs a tensor operation before forking, so no thread pool exists that a child could inherit.

The test-side ``run_tool`` (conftest.py) uses the zygote only where a fresh interpreter
would behave the same: a script path as the first argument and the environment the zygote
was started with (variables read at import time, such as ``OMP_NUM_THREADS``, would
otherwise be stale); anything else starts a real interpreter. ``SDN_TESTS_NO_ZYGOTE=1``
turns it off for a whole run.

Protocol (one request at a time, lines of JSON on the zygote's stdin/stdout): the client
sends ``{"argv", "cwd", "env", "out", "err"}``; the zygote answers ``{"pid"}`` once the
child runs and ``{"rc"}`` when it ends (negative: killed by that signal, as subprocess).
"""
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
from typing import Dict, List, Optional, Sequence

#: Imported once by the zygote, in this order (the package first: it applies its upstream
#: fixes, one of which must run before mmpretrain is imported).
PRELOAD = ('numpy', 'cv2', 'torch', 'torchvision', 'mmengine', 'mmengine.runner', 'mmcv',
           'mmcv.ops', 'mmcv.transforms', 'mmdet', 'mmdet_shuffledefect', 'mmdet.models',
           'mmdet.datasets', 'mmdet.evaluation', 'mmdet.apis', 'mmpretrain',
           'mmpretrain.models', 'mmpretrain.datasets')


def _exit_code(exc: SystemExit) -> int:
    """The status ``python script.py`` exits with for this ``SystemExit``."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=sys.stderr)
    return 1


def _child(req: dict) -> None:
    """Become the tool: files as stdout/stderr, its cwd, env and argv; never returns."""
    import atexit
    import runpy
    import traceback
    code = 1
    try:
        fd_in = os.open(os.devnull, os.O_RDONLY)
        fd_out = os.open(req['out'], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        fd_err = os.open(req['err'], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        for fd, target in ((fd_in, 0), (fd_out, 1), (fd_err, 2)):
            os.dup2(fd, target)
            os.close(fd)
        sys.stdin = open(0, 'r', closefd=False)
        sys.stdout = open(1, 'w', buffering=1, closefd=False, errors='backslashreplace')
        sys.stderr = open(2, 'w', buffering=1, closefd=False, errors='backslashreplace')
        os.chdir(req['cwd'])
        os.environ.clear()
        os.environ.update(req['env'])
        script = req['argv'][0]
        sys.argv = list(req['argv'])
        sys.path[0] = os.path.dirname(os.path.abspath(script))
        try:
            runpy.run_path(script, run_name='__main__')
            code = 0
        except SystemExit as exc:
            code = _exit_code(exc)
        except KeyboardInterrupt:
            traceback.print_exc()
            code = 130
        except BaseException:  # noqa: B902 - the interpreter's own last resort, as python does
            traceback.print_exc()
            code = 1
        try:
            atexit._run_exitfuncs()
        except BaseException:  # noqa: B902
            traceback.print_exc()
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def serve() -> None:
    """The zygote's loop: import the stack, then fork one child per request."""
    import importlib
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:  # an optional part of the stack; the tool will say so itself
            pass
    proto_in = os.fdopen(os.dup(0), 'r')
    proto_out = os.fdopen(os.dup(1), 'w', buffering=1)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)  # nothing but the protocol may use the pipes
    os.dup2(null, 1)
    proto_out.write(json.dumps({'ready': os.getpid()}) + '\n')
    for line in proto_in:
        req = json.loads(line)
        pid = os.fork()
        if pid == 0:
            proto_in.close()
            proto_out.close()
            _child(req)
        proto_out.write(json.dumps({'pid': pid}) + '\n')
        _, status = os.waitpid(pid, 0)
        rc = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        proto_out.write(json.dumps({'rc': rc}) + '\n')


def _import_env(env: Dict[str, str]) -> Dict[str, str]:
    """The environment as the zygote's imports could have read it: all of it but pytest's
    per-test bookkeeping (``PYTEST_CURRENT_TEST``), which the child still gets as asked."""
    return {k: v for k, v in env.items() if not k.startswith('PYTEST_')}


class Zygote:
    """The client: starts the zygote on first use and runs tools in its children."""

    def __init__(self) -> None:
        self.proc: Optional[subprocess.Popen] = None
        self.env: Dict[str, str] = {}

    def usable(self, args: Sequence[str], env: Dict[str, str]) -> bool:
        """Whether a forked child behaves as ``python *args`` would here."""
        if os.environ.get('SDN_TESTS_NO_ZYGOTE') or not args or args[0].startswith('-'):
            return False
        if self.proc is not None and _import_env(env) != _import_env(self.env):
            return False
        return True

    def _start(self, env: Dict[str, str]) -> None:
        self.env = dict(env)
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     env=self.env, text=True, bufsize=1)
        self._read(None)  # 'ready'

    def _read(self, timeout: Optional[float]) -> Optional[dict]:
        if timeout is not None:
            ready, _, _ = select.select([self.proc.stdout], [], [], max(timeout, 0))
            if not ready:
                return None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError('the tool zygote ended unexpectedly')
        return json.loads(line)

    def run(self, args: List[str], cwd: str, env: Dict[str, str],
            timeout: float) -> subprocess.CompletedProcess:
        """Run ``python *args`` in a child; the same result as ``subprocess.run``."""
        if self.proc is None or self.proc.poll() is not None:
            self._start(env)
        with tempfile.TemporaryDirectory(prefix='tool_') as tmp:
            out, err = os.path.join(tmp, 'stdout'), os.path.join(tmp, 'stderr')
            self.proc.stdin.write(json.dumps({'argv': list(args), 'cwd': cwd, 'env': env,
                                              'out': out, 'err': err}) + '\n')
            self.proc.stdin.flush()
            pid = self._read(None)['pid']
            answer = self._read(timeout)
            timed_out = answer is None
            if timed_out:
                os.kill(pid, signal.SIGKILL)
                answer = self._read(None)

            def text(path):
                with open(path, 'rb') as f:
                    return f.read().decode('utf-8', errors='replace')
            stdout, stderr = text(out), text(err)
        argv = [sys.executable] + list(args)
        if timed_out:
            raise subprocess.TimeoutExpired(argv, timeout, output=stdout, stderr=stderr)
        return subprocess.CompletedProcess(argv, answer['rc'], stdout, stderr)

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(timeout=30)
        self.proc = None


if __name__ == '__main__':
    serve()
