"""Neural networks built on the energy package's gradient engine and sampler.

Placeholder: the layers, CNN, RNN family, autoencoders and GAN/InfoGAN arrive with the
gradient-engine issues. Importing it works and exposes nothing yet.
"""

__all__: list[str] = []
