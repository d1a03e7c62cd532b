# cloud_nbdev: every command a user needs. Each target first creates/refreshes .venv (quick when up to date).
SHELL := /bin/bash
VENV := .venv/bin
export HF_HUB_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export MPLBACKEND := Agg

.PHONY: venv study test test-fast app docs bench clean-venv help

help:
	@echo "make study   - the whole study on the bundled real chips (data report, training, evaluation)"
	@echo "make test    - every test (what CI runs); make test-fast skips slow cells"
	@echo "make app     - launch the Gradio app on http://127.0.0.1:7860"
	@echo "make docs    - build the docs site in _docs/ (Quarto when on PATH, else Sphinx + MyST-NB, offline)"
	@echo "make bench   - speed: CPU options, full path vs raw forward, side by side with ukis-csmask -> outputs/bench/"

venv:
	@bash .ci/venv.sh

study: venv
	@bash .ci/study.sh

test: venv
	@bash .ci/test.sh

test-fast: venv
	@TEST_FLAGS= bash .ci/test.sh

app: venv
	$(VENV)/cloud-nbdev app $(if $(PORT),--port $(PORT),)

docs: venv
	@bash .ci/docs.sh

bench: venv
	@bash .ci/bench.sh

clean-venv:
	rm -rf .venv
