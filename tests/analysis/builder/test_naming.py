"""A renamed copy is analysed under the name its code imports; other trees keep theirs."""

from __future__ import annotations

from pathlib import Path

from analysis import build_graph
from tests.analysis.builder.shop_project import write_project


def endpoints(root: Path) -> list[str]:
    return sorted(n for n in build_graph(root).graph if n.startswith("endpoint:"))


def test_a_package_copied_under_another_folder_name_is_named_as_its_code_imports_it(
    tmp_path: Path,
) -> None:
    original = write_project(tmp_path / "original")
    copy = write_project(tmp_path / "copy")
    (copy / "shop").rename(copy / "store")  # its code still imports shop.*

    analysis = build_graph(copy)

    assert analysis.graph.graph["package_names"] == {"store": "shop"}
    assert "module:shop.orders.views" in analysis.graph
    assert not [n for n in analysis.graph if n.startswith("module:store")]
    assert sorted(n for n in analysis.graph if n.startswith("endpoint:")) == endpoints(original)
    assert build_graph(copy).stats["parsed"] == 0  # both passes were cached


def test_a_package_copied_without_its_own_folder_is_put_back_under_its_name(
    tmp_path: Path,
) -> None:
    original = write_project(tmp_path / "original")
    copy = write_project(tmp_path / "copy")
    for child in (copy / "shop").iterdir():
        child.rename(copy / child.name)  # cp -r shop/* copy/: shop/ itself is gone
    (copy / "__init__.py").unlink()

    analysis = build_graph(copy)

    assert analysis.graph.graph["package_names"] == {"": "shop"}
    assert sorted(n for n in analysis.graph if n.startswith("endpoint:")) == endpoints(original)


def test_a_third_party_package_with_a_module_of_the_same_name_renames_nothing(
    tmp_path: Path,
) -> None:
    """The code imports django.urls and django.forms, the tree has shop.urls and shop.forms
    (and nothing imports shop.*), but django has as many modules the tree does not have
    (django.db, django.http)."""
    files = {
        "shop/__init__.py": "",
        "shop/forms.py": "from django.forms import Form\n",
        "shop/urls.py": "from django.urls import path\nfrom django.http import HttpResponse\n",
        "shop/blog/__init__.py": "",
        "shop/blog/urls.py": "from django.urls import path\nfrom django.db import models\n",
        "shop/wiki/__init__.py": "",
        "shop/wiki/urls.py": "from django.urls import path\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)

    graph = build_graph(tmp_path).graph

    assert graph.graph["package_names"] == {}
    assert "module:shop.blog.urls" in graph
