"""Filter and sample grids of the energy models (matplotlib).

>>> import numpy as np
>>> fig = plot_samples(np.eye(4), (2, 2), n_cols=2)
>>> fig.axes[0].get_title()
'samples'
"""

from __future__ import annotations

import numpy as np

__all__ = ["plot_filters", "plot_samples"]


def plot_filters(rbm, image_shape, n_cols=10, ax=None, **imshow_kw):
    """Draw the columns of W (rows of ``components_``) as images in a grid; returns the figure."""

    rbm._check_fitted()
    return _grid(rbm.components_, image_shape, n_cols, "W columns (filters)", ax, **imshow_kw)


def plot_samples(samples, image_shape, n_cols=10, title="samples", ax=None, **imshow_kw):
    """Draw rows of ``samples`` (n, prod(image_shape)) as images in a grid; returns the figure."""
    return _grid(np.asarray(samples), image_shape, n_cols, title, ax, **imshow_kw)


def _grid(rows, image_shape, n_cols, title, ax, **imshow_kw):
    import matplotlib.pyplot as plt  # lazy: matplotlib is only needed when drawing

    h, w = image_shape
    if rows.ndim != 2 or rows.shape[1] != h * w:
        raise ValueError(f"image_shape: {image_shape} does not match rows of length "
                         f"{rows.shape[-1]}")
    n = rows.shape[0]
    n_cols = max(1, min(n_cols, n))
    n_rows = -(-n // n_cols)
    canvas = np.full((n_rows * (h + 1) + 1, n_cols * (w + 1) + 1), np.nan)
    for k in range(n):
        r, c = divmod(k, n_cols)
        img = rows[k].reshape(h, w).astype(np.float64)
        lo, hi = img.min(), img.max()
        canvas[1 + r * (h + 1):1 + r * (h + 1) + h, 1 + c * (w + 1):1 + c * (w + 1) + w] = (
            (img - lo) / (hi - lo) if hi > lo else 0.5)
    if ax is None:
        fig, ax = plt.subplots(figsize=(1.0 + 0.5 * n_cols, 1.0 + 0.5 * n_rows))
    else:
        fig = ax.figure
    ax.imshow(canvas, cmap=imshow_kw.pop("cmap", "gray"), interpolation="nearest", **imshow_kw)
    ax.set_title(title, fontsize=8)
    ax.axis("off")
    return fig
