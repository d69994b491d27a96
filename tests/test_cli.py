from click.testing import CliRunner

from strangler_proxy.cli import main


def test_help_lists_the_toolkit() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0, result.output
    assert "Move a Django monolith" in result.output
