# One-command environment and the project's jobs. Everything goes into .venv.
#   make          - create .venv and install everything (idempotent)
#   make test     - install if needed, then run the test suite
#   make demo     - install if needed, then run the main job (see README)
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMPS := $(VENV)/.stamps

.PHONY: all install test demo clean-venv
all: install

install: $(STAMPS)/study

$(STAMPS)/venv:
	@command -v $(PYTHON) >/dev/null || { echo "make: $(PYTHON) not found; install Python 3.11 or run make PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV) || { echo "make: could not create $(VENV) (is the python3-venv module installed?)"; exit 1; }
	mkdir -p $(STAMPS) && touch $@

$(STAMPS)/torch: $(STAMPS)/venv requirements/torch.txt
	$(PIP) install -q -r requirements/torch.txt || { echo "make: installing torch/torchvision failed; see requirements/torch.txt and README (CUDA install)"; exit 1; }
	touch $@

$(STAMPS)/mmcv: $(STAMPS)/torch requirements/build_mmcv.sh
	bash requirements/build_mmcv.sh $(PY)
	touch $@

$(STAMPS)/runtime: $(STAMPS)/mmcv requirements/runtime.txt requirements/tests.txt
	$(PIP) install -q -r requirements/runtime.txt -r requirements/tests.txt || { echo "make: installing mmengine/mmdet/mmpretrain or test packages failed (see the pip output above)"; exit 1; }
	touch $@

$(STAMPS)/package: $(STAMPS)/runtime setup.py mmdet_shuffledefect/csrc/greedy_nms.cpp
	$(PIP) install -q --no-deps --no-build-isolation -e . || { echo "make: installing this package in editable mode failed"; exit 1; }
	@# the optional compiled batch NMS, next to the sources (the editable install does not build it)
	$(PY) setup.py -q build_ext --inplace || echo "make: the compiled batch NMS did not build (needs a C++ compiler); the package works without it, slower at batch 32"
	$(PY) -c "import mmcv.ops, mmdet, mmpretrain, mmdet_shuffledefect; print('environment OK: mmcv', mmcv.__version__, 'mmdet', mmdet.__version__, 'mmpretrain', mmpretrain.__version__)"
	touch $@

# the study wing's code (projects/shuffledefectnet_study/sdn_study), beside the package, never in its wheel
$(STAMPS)/study: $(STAMPS)/package projects/shuffledefectnet_study/pyproject.toml
	$(PIP) install -q --no-deps --no-build-isolation -e projects/shuffledefectnet_study || { echo "make: installing the study wing (projects/shuffledefectnet_study) failed"; exit 1; }
	touch $@

test: install
	$(PY) -m pytest -n auto --dist loadfile --no-loadscope-reorder tests

demo: install
	$(PY) tools/demo.py

clean-venv:
	rm -rf $(VENV)
