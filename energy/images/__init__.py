"""Images on grids: reading, binarising and writing binary images, flip noise, error rates,
the shipped example pictures, and exact graph-cut MAP (grid max-flow) for binary grid MRFs.

>>> from energy.images import load_example, error_rate
>>> x = load_example("horse")
>>> x.shape, error_rate(x, x)
((328, 400), 0.0)
"""

from .binary import (EXAMPLES, add_flip_noise, binarize, error_rate, example_path, load_example,
                     load_gray_example,
                     median_filter, otsu_threshold, read_image, spins_to_uint8, to_spins,
                     write_png)
from .graphcut import (SOLVERS, grid_edges, grid_maxflow, grid_maxflow_memory_bytes,
                       grid_workspace, ising_map_graphcut, quantization_bound)

__all__ = [
    "read_image", "otsu_threshold", "binarize", "to_spins", "spins_to_uint8", "add_flip_noise",
    "error_rate", "median_filter", "write_png", "load_example", "load_gray_example", "example_path", "EXAMPLES",
    "ising_map_graphcut", "grid_maxflow", "grid_maxflow_memory_bytes", "grid_workspace",
    "quantization_bound", "grid_edges", "SOLVERS",
]
