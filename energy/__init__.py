"""Energies, their gradients and their samples.

The block-Gibbs sampler (:mod:`energy.sampler`), the Ising image-denoising engine
(:mod:`energy.ising`), exact graph-cut MAP (:mod:`energy.graphcut`) and image helpers
(:mod:`energy.images`).
"""
