"""The documentation's inputs, checked without building it (the build runs in .ci/run):

- every public module of the three packages has its line on its package's API page
  (docs/api/PACKAGE.rst), so that no module is left out of the reference;
- every example of the gallery starts its docstring with a title line underlined with '='
  (sphinx-gallery makes the page title of it; a page without one fails the build), and every
  folder of examples in examples/ has the GALLERY_HEADER.rst that puts it in the gallery;
- the fast examples that the build runs exist.
"""

import ast
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
PACKAGES = ("pgm", "energy", "neural")
EXAMPLES = ROOT / "examples"


def _public_modules(pkg):
    out = []
    for path in sorted((ROOT / pkg).rglob("*.py")):
        rel = path.relative_to(ROOT / pkg).with_suffix("")
        if path.name == "__init__.py" or any(p.startswith("_") for p in rel.parts):
            continue
        if rel.parts[0] == "cli":             # the command line is documented by --help
            continue
        out.append(".".join(rel.parts))
    return out


def _listed(pkg):
    text = (ROOT / "docs" / "api" / f"{pkg}.rst").read_text(encoding="utf-8")
    block = text.split(".. autosummary::", 1)[1]
    return {ln.strip() for ln in block.splitlines()[1:]
            if ln.startswith("   ") and not ln.strip().startswith(":")}


@pytest.mark.parametrize("pkg", PACKAGES)
def test_every_public_module_is_on_its_api_page(pkg):
    listed = _listed(pkg)
    missing = [m for m in _public_modules(pkg) if m not in listed]
    assert not missing, (f"docs/api/{pkg}.rst: add the line(s) {missing} to its autosummary "
                         "list (one line per module)")
    stale = [m for m in listed if m not in _public_modules(pkg)]
    assert not stale, f"docs/api/{pkg}.rst lists {stale}, which are not modules of {pkg}"


def _gallery_folders():
    folders = [EXAMPLES]
    for sub in sorted(p for p in EXAMPLES.iterdir() if p.is_dir()):
        if any(sub.glob("*.py")):
            folders.append(sub)
    return folders


def _examples():
    return [p for folder in _gallery_folders() for p in sorted(folder.glob("*.py"))
            if not p.name.startswith("_")]


@pytest.mark.parametrize("folder", _gallery_folders(), ids=lambda p: p.name)
def test_every_folder_of_examples_has_a_gallery_header(folder):
    assert (folder / "GALLERY_HEADER.rst").exists(), (
        f"{folder.relative_to(ROOT)}: add a GALLERY_HEADER.rst (a title underlined with '=' "
        "and a paragraph) so that sphinx-gallery shows its examples")


@pytest.mark.parametrize("path", _examples(), ids=lambda p: str(p.relative_to(EXAMPLES)))
def test_every_example_docstring_starts_with_a_title(path):
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")), clean=False)
    lines = (doc or "").split("\n")
    ok = (len(lines) >= 2 and lines[0].strip() and re.fullmatch("=+", lines[1])
          and len(lines[1]) >= len(lines[0]))
    assert ok, (f"{path.relative_to(ROOT)}: the docstring must start with a title line and a "
                "line of '=' at least as long under it (the gallery page's title)")


def test_the_fast_examples_exist():
    conf = (ROOT / "docs" / "conf.py").read_text(encoding="utf-8")
    fast = ast.literal_eval(re.search(r"^FAST_EXAMPLES = (\[.*?\])", conf, re.M | re.S).group(1))
    assert fast and all((EXAMPLES / f"{name}.py").exists() for name in fast), fast
