import pytest

from factdesk.errors import ConfigError
from factdesk.settings import Settings, load_settings


def test_precedence_defaults_file_env_cli(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert load_settings().top_k == Settings().top_k
    (tmp_path / "factdesk.toml").write_text('top_k = 7\nverifier = "baseline"\nthreshold = 0.3\n')
    s = load_settings()
    assert (s.top_k, s.verifier, s.threshold) == (7, "baseline", 0.3)
    monkeypatch.setenv("FACTDESK_TOP_K", "9")
    assert load_settings().top_k == 9
    assert load_settings(top_k=2, threshold=None).top_k == 2
    assert load_settings(top_k=2).threshold == 0.3


def test_bad_settings_are_reported(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "factdesk.toml").write_text("top_k = [oops")
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings()
    (tmp_path / "factdesk.toml").write_text("no_such_option = 1\n")
    with pytest.raises(ConfigError, match="unknown setting"):
        load_settings()
    (tmp_path / "factdesk.toml").unlink()
    monkeypatch.setenv("FACTDESK_TOP_K", "many")
    with pytest.raises(ConfigError, match="top_k"):
        load_settings()
