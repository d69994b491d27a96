"""Files that do not parse become BrokenFile facts with a reason, never an exception."""

from tests.analysis.collect.helpers import broken, facts_of


def test_syntax_error_names_the_line() -> None:
    result = broken(b"def f(:\n    pass\n")
    assert result.path == "shop/bad.py"
    assert result.reason.startswith("syntax error at line 1")


def test_python2_print_statement() -> None:
    result = broken(b'import os\nprint "hello"\n')
    assert "Python 2" in result.reason and "line 2" in result.reason


def test_bad_encoding() -> None:
    result = broken("name = 'caf\u00e9'\n".encode("latin-1"))
    assert result.reason.startswith("cannot decode the file")


def test_declared_latin1_encoding_is_fine() -> None:
    source = "# -*- coding: latin-1 -*-\nname = 'caf\u00e9'\n".encode("latin-1")
    assert facts_of(source.decode("latin-1")).lines == 2


def test_null_bytes() -> None:
    result = broken(b"x = 1\n\x00\x00")
    assert "null bytes" in result.reason


def test_deeply_nested_source() -> None:
    result = broken(b"x = " + b"(" * 5000 + b")" * 5000 + b"\n")
    assert result.reason  # too deeply nested or a parser error, but never a crash


def test_empty_file_is_a_module_with_no_facts() -> None:
    facts = facts_of("")
    assert facts.lines == 0 and not facts.imports and not facts.classes


def test_newer_python_syntax_is_named_as_such() -> None:
    result = broken(b"def first[T](items: list[T]) -> T:\n    return items[0]\n")
    assert result.reason.startswith("syntax error at line 1")
    assert "Python 3.12+ syntax" in result.reason
