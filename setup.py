"""Install mmdet_shuffledefect.

The wheel also carries ``configs/`` and ``tools/`` (as package data under
``mmdet_shuffledefect/.mim/``), the way OpenMMLab packages ship theirs, so a
user who installed with pip finds them with
``python -m mmdet_shuffledefect.where``.
"""
import os
import os.path as osp
import shutil

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

HERE = osp.dirname(osp.abspath(__file__))
SHIPPED = ('configs', 'tools')


def read_version() -> str:
    """Read ``__version__`` from ``mmdet_shuffledefect/version.py``."""
    scope: dict = {}
    with open(osp.join(HERE, 'mmdet_shuffledefect', 'version.py')) as f:
        exec(compile(f.read(), 'version.py', 'exec'), scope)
    return scope['__version__']


class BuildPyWithConfigs(build_py):
    """Copy ``configs/`` and ``tools/`` into the built package's ``.mim``."""

    def run(self):
        super().run()
        for name in SHIPPED:
            src = osp.join(HERE, name)
            dst = osp.join(self.build_lib, 'mmdet_shuffledefect', '.mim', name)
            if osp.isdir(src):
                shutil.rmtree(dst, ignore_errors=True)
                shutil.copytree(
                    src, dst,
                    ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))


def native_extensions():
    """The optional compiled batch NMS (``mmdet_shuffledefect._greedy_nms``).

    Built with torch's C++ extension tools when torch is importable at build
    time; optional: where it does not build, the package works the same
    (torchvision's NMS, exact too, slower at batch 32).
    """
    try:
        from torch.utils.cpp_extension import BuildExtension, CppExtension
    except ImportError:
        return [], {}
    ext = CppExtension('mmdet_shuffledefect._greedy_nms',
                       ['mmdet_shuffledefect/csrc/greedy_nms.cpp'],
                       extra_compile_args=['-O3'], optional=True)
    return [ext], {'build_ext': BuildExtension.with_options(use_ninja=False)}


EXT_MODULES, EXT_CMDCLASS = native_extensions()


setup(
    name='mmdet_shuffledefect',
    version=read_version(),
    description='ShuffleDefectNet: a lightweight ShuffleNet-V2-style network '
    'for steel-surface defect inspection, as an MMDetection 3.x plugin',
    long_description=open(osp.join(HERE, 'README.md'), encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    license='Apache License 2.0',
    packages=find_packages(include=['mmdet_shuffledefect', 'mmdet_shuffledefect.*']),
    include_package_data=True,
    package_data={'mmdet_shuffledefect': ['.mim/**/*', 'split_lists/*/*.txt',
                                         'inspection/*.css', 'inspection/*.js',
                                         'inspection/*.html']},
    python_requires='>=3.8',
    install_requires=[
        'torch>=1.8',
        'torchvision',
        'mmcv>=2.0.0rc4,<2.2.0',
        'mmengine>=0.10.0,<0.11.0',
        'mmdet>=3.3.0,<3.4.0',
        'mmpretrain>=1.2.0,<1.3.0',
        'numpy>=1.26,<2.5',
        'opencv-python<5',
        'tqdm',
        'matplotlib',
    ],
    extras_require={
        'tests': ['pytest', 'onnx', 'onnxruntime', 'onnxscript', 'openvino>=2025.1'],
        # the exported whole detector in onnxruntime or OpenVINO (tools/deployment/)
        'deploy': ['onnx', 'onnxruntime', 'openvino>=2025.1'],
        # the station's record on a PostgreSQL server (--db postgresql://...)
        'postgresql': ['psycopg[binary]>=3.1,<4'],
    },
    ext_modules=EXT_MODULES,
    cmdclass={'build_py': BuildPyWithConfigs, **EXT_CMDCLASS},
    zip_safe=False,
)
