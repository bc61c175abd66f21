"""The settings table of `resolve serve`: flags, config keys, --help, the example and the
README's reference section all come from it; bad files are rejected with line and reason."""

from __future__ import annotations

import re
import tomllib

import pytest

from resolver.cli.options import serve_parser
from resolver.server import settings
from resolver.server.settings import ConfigError
from tests.daemon import ROOT, run_cli


def test_every_setting_is_a_flag_in_help_and_a_key_of_the_example():
    help_text = serve_parser().format_help()
    example = settings.example_config()
    for setting in settings.SETTINGS:
        flag = settings.shared_flag(setting)
        assert flag in help_text, setting.name
        assert re.search(rf"^#? ?{re.escape(setting.name)} = ", example, re.M), setting.name


def test_the_example_config_is_valid_toml_that_checks_out():
    values = settings.parse_text(settings.example_config(), "example")
    merged = settings.merge(values, {})
    assert merged["port"] == 5353
    assert merged["default-local-zones"] is True


def test_readme_reference_section_is_the_generated_table():
    readme = (ROOT / "README.md").read_text()
    start = readme.index(settings.README_BEGIN)
    end = readme.index(settings.README_END) + len(settings.README_END)
    assert readme[start:end] == settings.reference_markdown(), (
        "README settings table is stale: paste settings.reference_markdown()"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('port = 53\nbogus = 1\n', r"cfg.toml:2: unknown key 'bogus'"),
        ('\n\nport = "fifty"\n', r"cfg.toml:3: port: expected an integer, got a string"),
        ('port = 70000\n', r"cfg.toml:1: port: port 70000 is out of range"),
        ('allow = ["10.0.0.0/8", "nonsense"]\n', r"cfg.toml:1: allow: not an IP network"),
        ('access-control = ["10.0.0.0/8 permit"]\n', r"access-control: unknown action 'permit'"),
        ('local-zone = ["corp. weird"]\n', r"local-zone: unknown type 'weird'"),
        ('log-queries = "yes"\n', r"log-queries: expected true or false, got a string"),
        ('max_ttl = 5\n', r"unknown key 'max_ttl' \(did you mean 'max-ttl'\?\)"),
        ('port = \n', r"cfg.toml: not valid TOML: .*line 1"),
        ('min-ttl = 100\nmax-ttl = 10\n', r"min-ttl 100 is above max-ttl 10"),
    ],
)
def test_bad_files_are_rejected_with_file_line_key_and_reason(tmp_path, text, message):
    path = tmp_path / "cfg.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        settings.merge(settings.read_file(str(path)), {})
    proc = run_cli("config", "check", str(path))
    assert proc.returncode == 2
    assert re.search(message, proc.stderr), proc.stderr
    assert proc.stderr.count("\n") == 1


def test_flags_override_the_file_and_lists_replace(tmp_path):
    path = tmp_path / "cfg.toml"
    path.write_text('port = 5400\nallow = ["10.0.0.0/8"]\nlog-queries = true\n')
    args = serve_parser().parse_args(
        ["--config", str(path), "--port", "5500", "--allow", "192.0.2.0/24", "--no-log-queries"]
    )
    merged = settings.merge(settings.read_file(str(path)), settings.given_flags(args))
    assert merged["port"] == 5500
    assert merged["allow"] == ["192.0.2.0/24"]
    assert merged["log-queries"] is False
    config = settings.server_config(merged)
    assert config.listen == [("127.0.0.1", 5500), ("::1", 5500)]


def test_config_check_and_example_commands(tmp_path):
    example = run_cli("config", "example")
    assert example.returncode == 0
    tomllib.loads(example.stdout)
    path = tmp_path / "good.toml"
    path.write_text(example.stdout)
    check = run_cli("config", "check", str(path))
    assert check.returncode == 0, check.stderr
    assert check.stdout.startswith(f"{path}: valid")
    missing = run_cli("config", "check", str(tmp_path / "absent.toml"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr


def test_serve_rejects_a_bad_config_file_before_binding(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("listen = [\"127.0.0.1:0\"]\nlocal-zone = \"x. nope\"\n")
    proc = run_cli("serve", "--lab", "--config", str(path))
    assert proc.returncode == 2
    assert f"{path}:2: local-zone: unknown type 'nope'" in proc.stderr


def test_bad_local_data_is_rejected_by_config_check(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('local-data = ["www.corp. IN A 300.1.1.1"]\n')
    proc = run_cli("config", "check", str(path))
    assert proc.returncode == 2
    assert "bad local-data 'www.corp. IN A 300.1.1.1'" in proc.stderr
