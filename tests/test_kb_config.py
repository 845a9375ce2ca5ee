from dataclasses import fields
from pathlib import Path

import pytest

from kb.core.config import Config

README = Path(__file__).resolve().parent.parent / "README.md"


def test_every_setting_is_documented_in_the_readme():
    readme = README.read_text("utf-8")
    missing = [f.name for f in fields(Config) if f"`KB_{f.name.upper()}`" not in readme]
    assert missing == []


def test_environment_overrides_defaults_and_flags_override_environment():
    config = Config.from_env({"KB_DATA_DIR": "/srv/kb", "KB_PASSAGE_TOKENS": "300"}, data_dir=Path("/x"))
    assert config.data_dir == Path("/x")
    assert config.passage_tokens == 300


def test_bad_values_are_named():
    with pytest.raises(ValueError, match="KB_THREADS must be an integer"):
        Config.from_env({"KB_THREADS": "zwei"})
    with pytest.raises(ValueError, match="overlap_tokens must be in"):
        Config(passage_tokens=50, overlap_tokens=50)
