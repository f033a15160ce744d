"""Two hooks of the gallery (sphinx-gallery): an image scraper and ``reset_argv``.

The examples write their figures with ``savefig`` (into the
current directory, which sphinx-gallery sets to ``examples/``) and close them.

After each code block, the PNG files that the block wrote there since the build started are
moved (not copied: the source tree is left as it was) to the gallery's image paths and shown
under the block. When a block wrote no file, the figures it left open are taken by
sphinx-gallery's own matplotlib scraper.
"""

import ast
import glob
import os
import shutil
import time

from sphinx_gallery.scrapers import figure_rst, matplotlib_scraper

_START = time.time()  # the build's start: older PNG files are not the examples' output


def png_file_scraper(block, block_vars, gallery_conf):
    """sphinx-gallery scraper: the PNG files the block wrote, else the open figures."""
    folder = os.path.dirname(block_vars["src_file"])
    written = sorted((p for p in glob.glob(os.path.join(folder, "*.png"))
                      if os.path.getmtime(p) >= _START), key=os.path.getmtime)
    if not written:
        return matplotlib_scraper(block, block_vars, gallery_conf)
    import matplotlib.pyplot as plt  # only when a gallery is built
    plt.close("all")
    paths = []
    for src, dst in zip(written, block_vars["image_path_iterator"]):
        shutil.move(src, dst)
        paths.append(dst)
    return figure_rst(paths, gallery_conf["src_dir"])


def example_argv(gallery_conf, script_vars):
    """sphinx-gallery ``reset_argv``: no command-line arguments (each example's defaults), and
    the example run as ``python examples/NAME.py`` sees it: its ``__file__`` (the examples
    find the checkout and ``examples/data/`` from it) and its ``__doc__`` (their argparse
    description), which sphinx-gallery leaves out of the example's globals."""
    src = script_vars["src_file"]
    with open(src, encoding="utf-8") as fh:
        doc = ast.get_docstring(ast.parse(fh.read()), clean=False)
    script_vars["example_globals"].update({"__file__": src, "__doc__": doc or ""})
    return []
