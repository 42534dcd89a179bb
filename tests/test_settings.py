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


def test_component_tables_give_names_and_options_and_keep_secrets_as_references(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "factdesk.toml").write_text(
        'top_k = 4\n[verifier]\nname = "baseline"\n[verifier.options]\nrelevance_floor = 0.2\n'
        'api_key = { "$env" = "SOME_KEY" }\n[retriever.options]\nbatch_size = 8\n')
    monkeypatch.setenv("SOME_KEY", "never-stored")
    s = load_settings()
    assert (s.verifier, s.retriever, s.top_k) == ("baseline", "sqlite", 4)
    assert s.options_for("verifier") == {"relevance_floor": 0.2, "api_key": {"$env": "SOME_KEY"}}
    assert s.options_for("retriever") == {"batch_size": 8} and s.options_for("embedder") == {}
    assert "never-stored" not in repr(s)
    (tmp_path / "factdesk.toml").write_text('[verifier]\nname = "baseline"\ncolour = "red"\n')
    with pytest.raises(ConfigError, match="colour"):
        load_settings()


def test_writable_state_goes_to_the_user_data_dir_not_the_package(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert Settings().writable_dir() == tmp_path / "data" / "factdesk"
    assert Settings(user_dir=str(tmp_path / "mine")).writable_dir() == tmp_path / "mine"


def test_the_claim_cap():
    assert Settings().claim_cap() == 40
    assert Settings(max_claims=0).claim_cap() is None and Settings(max_claims=None).claim_cap() is None  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="max_claims must be 0"):
        Settings(max_claims=-3).claim_cap()
