# Two set-up commands, each self-contained on a fresh machine:
#   make demo   install, then run the main job (the study on the embedded data)
#   make test   install, then run the whole test suite
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.hpse_bench-installed
REQS := requirements/torch.txt requirements/runtime.txt requirements/mmpose.txt requirements/tests.txt setup.py

.PHONY: install demo test benchmarks clean

install: $(STAMP)

$(STAMP): $(REQS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip 'setuptools<81' wheel
	$(BIN)/pip install -r requirements/torch.txt
	$(BIN)/pip install -r requirements/runtime.txt -r requirements/tests.txt
	# mmpose without its dependencies: they would pull another torchvision and chumpy
	$(BIN)/pip install --no-deps -r requirements/mmpose.txt
	$(BIN)/pip install --no-deps -e .
	$(BIN)/python -c "import hpse_bench, mmpose.models, mmpretrain.models, smplx; print('hpse_bench', hpse_bench.__version__, 'installed')"
	touch $(STAMP)

# The venv's bin first on PATH, as after `source .venv/bin/activate`: the
# launchers (tools/dist_train.sh) and subprocesses then find its python.
RUN := PATH="$(abspath $(BIN)):$$PATH" VIRTUAL_ENV="$(abspath $(VENV))"

demo: install
	$(RUN) $(BIN)/python tools/study.py configs/study/demo_synthetic.py

test: install
	$(RUN) $(BIN)/python -m pytest tests

benchmarks: install
	for b in benchmarks/bench_*.py; do $(RUN) $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) work_dirs data/synthetic
