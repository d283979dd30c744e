# Python's real API clients (huggingface_hub's InferenceClient, openai) for the serving tests, in a virtual
# environment cached under ~/.cache/claire-pipeline and keyed by the requirements' hash, so a rerun reuses it.
# Exports CLAIRE_TEST_PYTHON (the environment's python); ServingTests skip, saying so, without it.
# Sourced by Tests/run.sh (see README.md here).
# packages: python3-venv

claire_python_clients() {
  local requirements="Tests/ServingTests/Clients/requirements.txt"
  local key
  key="$(sha256sum "$requirements" | cut -c1-16)"
  local cache="${CLAIRE_CACHE_DIR:-$HOME/.cache/claire-pipeline}/python-clients-$key"
  if [ ! -x "$cache/bin/python" ] || [ ! -e "$cache/.complete" ]; then
    rm -rf "$cache"
    mkdir -p "$(dirname "$cache")"
    if ! python3 -m venv "$cache" >&2; then
      echo "python-clients: cannot create a virtual environment; serving client tests will be skipped" >&2
      rm -rf "$cache"
      return 0
    fi
    if ! "$cache/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements" >&2; then
      echo "python-clients: pip could not install $requirements; serving client tests will be skipped" >&2
      rm -rf "$cache"
      return 0
    fi
    touch "$cache/.complete"
  fi
  export CLAIRE_TEST_PYTHON="$cache/bin/python"
}
claire_python_clients
