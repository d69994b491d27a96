"""Which packages are Django apps, and the labels of their models."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

from analysis import build_graph

MODEL = """
from django.db import models

class {name}(models.Model):
    pass
"""


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text))
    return root


def test_without_installed_apps_a_package_with_models_is_an_app(tmp_path: Path) -> None:
    root = write(
        tmp_path / "site",
        {
            "site/__init__.py": "",
            "site/blog/__init__.py": "",
            "site/blog/models.py": MODEL.format(name="Post"),
            # A models package split into modules, one of them called models.py.
            "site/shop/__init__.py": "",
            "site/shop/models/__init__.py": "from .models import Item\n",
            "site/shop/models/models.py": MODEL.format(name="Item"),
            "site/api/__init__.py": "",
            "site/api/blog.py": "from site.blog.models import Post\n",
        },
    )
    graph = build_graph(root, cache_dir=tmp_path / "cache").graph
    assert graph.nodes["module:site.blog.models"]["app"] == "blog"
    assert graph.nodes["module:site.shop.models.models"]["app"] == "shop"
    assert graph.nodes["module:site.api.blog"]["app"] is None
    assert {n for n in graph if n.startswith("model:")} == {"model:blog.Post", "model:shop.Item"}


def test_installed_apps_decide_when_settings_list_them(tmp_path: Path) -> None:
    root = write(
        tmp_path / "site",
        {
            "site/__init__.py": "",
            "site/settings.py": 'INSTALLED_APPS = ("django.contrib.auth",) + ("site.blog",)\n',
            "site/blog/__init__.py": "",
            "site/blog/models.py": MODEL.format(name="Post"),
            "site/blog/api/__init__.py": "",
            "site/blog/api/models.py": "# serializers for the models, not an app\n",
            "site/core/__init__.py": "",
            "site/core/models.py": MODEL.format(name="Base"),
        },
    )
    graph = build_graph(root, cache_dir=tmp_path / "cache").graph
    assert graph.nodes["module:site.blog.api.models"]["app"] == "blog"
    assert graph.nodes["module:site.core.models"]["app"] is None
    # A model outside the installed apps is still labelled after its package.
    assert "model:core.Base" in graph


def test_m2m_through_tables_and_models_of_installed_packages(tmp_path: Path) -> None:
    root = write(
        tmp_path / "site",
        {
            "site/__init__.py": "",
            "site/blog/__init__.py": "",
            "site/blog/models.py": """
                from django.db import models

                class Tag(models.Model):
                    pass

                class Post(models.Model):
                    tags = models.ManyToManyField(Tag)
            """,
            "site/blog/tagging.py": """
                from django.contrib.sites.models import Site
                from site.blog.models import Post

                PostTag = Post.tags.through

                def retag():
                    PostTag.objects.filter(tag_id=1).delete()
                    return Site.objects.get_current()
            """,
        },
    )
    graph = build_graph(root, cache_dir=tmp_path / "cache").graph
    # Rows of the automatic M2M table belong to the model that declares the field.
    assert graph.has_edge("module:site.blog.tagging", "model:blog.Post", "write")
    site = graph.nodes["model:sites.Site"]
    assert site["external"] and site["module"] is None
    assert graph.has_edge("module:site.blog.tagging", "model:sites.Site", "read")


def test_project_wiring_outside_the_apps_is_marked(tmp_path: Path) -> None:
    root = write(
        tmp_path / "site",
        {
            "manage.py": "import os\n",
            "proj/__init__.py": "",
            "proj/settings/__init__.py": "from .base import *\n",
            "proj/settings/base.py": (
                'ROOT_URLCONF = "proj.urls"\nINSTALLED_APPS = ["proj.blog"]\n'
            ),
            "proj/settings/local.py": "DEBUG = True\n",
            "proj/urls.py": "urlpatterns = []\n",
            "proj/wsgi.py": "application = None\n",
            "proj/views.py": "def home(request):\n    return None\n",
            "proj/blog/__init__.py": "",
            "proj/blog/models.py": MODEL.format(name="Post"),
            "proj/blog/urls.py": "urlpatterns = []\n",
        },
    )
    graph = build_graph(root, cache_dir=tmp_path / "cache").graph

    wiring = {d["name"] for _, d in graph.nodes(data=True) if d.get("wiring")}
    assert wiring == {
        "manage",
        "proj",
        "proj.settings",
        "proj.settings.base",
        "proj.settings.local",
        "proj.urls",
        "proj.wsgi",
    }  # proj.views holds views of its own; the blog app is a domain
