"""Sphinx configuration of the pgm-energy documentation.

Build (from the repository root, after ``pip install -e ".[docs]"``)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

Adding a module to the API pages: add its dotted name, one line, to the ``autosummary`` list
of its package's page (``docs/api/pgm.rst``, ``docs/api/energy.rst`` or
``docs/api/neural.rst``); its page is generated from its docstrings (numpy style) by the
template ``docs/_templates/autosummary/module.rst``. Adding an example: a script in
``examples/`` whose module docstring starts with a title line underlined with ``=``; it
appears in the gallery, and it runs during the build only when its name is in
``FAST_EXAMPLES`` below (keep that list to examples that take seconds: CI builds it).
See docs/README.md.
"""

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)                      # the packages of this checkout
sys.path.insert(0, os.path.join(HERE, "_ext"))  # the gallery's file scraper

project = "pgm-energy"
author = "pgm-energy contributors"
copyright = "2026, pgm-energy contributors"
release = version = "0.1.0"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "README.md", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.zip", "auto_examples/*.json", "auto_examples/*.md5"]
html_theme = "alabaster"
html_static_path = []

# -- API pages: autosummary generates one page per listed module (docs/api/*.rst)
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"members": True, "undoc-members": False, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "none"          # the numpy docstrings carry the types
numpydoc_show_class_members = False  # autodoc's :members: lists them once
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# -- The gallery, built from examples/
# Only these examples run during the build (seconds each); the others are listed with their
# code but not executed. PGM_ENERGY_DOCS_ALL_EXAMPLES=1 runs every example (minutes to hours).
FAST_EXAMPLES = ["bayesnet_sprinkler", "denoise_image"]
if os.environ.get("PGM_ENERGY_DOCS_ALL_EXAMPLES"):
    _pattern = r"\.py$"
else:
    _pattern = "[/\\\\](" + "|".join(re.escape(n) for n in FAST_EXAMPLES) + r")\.py$"

sphinx_gallery_conf = {
    "examples_dirs": os.path.join(ROOT, "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": _pattern,
    # helpers shared by the scripts of a folder (``_common.py``) are not examples
    "ignore_pattern": r"^_.*\.py$",
    # the examples save their figures with savefig and close them: the file scraper takes
    # the PNG files a block wrote; figures left open are taken by matplotlib's scraper
    "image_scrapers": ("gallery_files.png_file_scraper",),
    # each example runs with its defaults and sees its own __file__ and __doc__
    "reset_argv": "gallery_files.example_argv",
    "reset_modules": ("matplotlib",),
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "show_memory": False,
    "plot_gallery": "True",
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
}
