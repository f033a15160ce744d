"""Neural networks built on the energy package's gradient engine.

Layers (:mod:`neural.layers`, :mod:`neural.conv`, :mod:`neural.recurrent`), their
functional ops in one place (:mod:`neural.functional`), the :class:`Module` base
(:mod:`neural.module`), initialisers (:mod:`neural.init`), data helpers (:mod:`neural.data`)
and a training loop (:mod:`neural.train`). The engine and the optimisers live in
:mod:`energy.autodiff` and :mod:`energy.optim` and are re-exported here.

Examples
--------
>>> import numpy as np
>>> from neural import Sequential, Linear, ReLU, CrossEntropyLoss, SGD
>>> net = Sequential(Linear(4, 16, rng=0), ReLU(), Linear(16, 3, rng=1))
>>> opt = SGD(net.parameters(), lr=0.1)
>>> X = np.random.default_rng(0).standard_normal((8, 4)).astype(np.float32)
>>> loss = CrossEntropyLoss()(net(X), np.arange(8) % 3)
>>> opt.zero_grad(); loss.backward(); opt.step()
"""

from energy.autodiff import Parameter, Tensor, gradcheck, no_grad
from energy.optim import SGD, Adam, CosineLR, StepLR, clip_grad_norm

from . import data, functional, init
from .data import (Standardizer, augment, load_digits, load_mnist, minibatches,
                   nearest_neighbours, random_crop, random_flip, read_idx, train_test_split,
                   write_idx)
from .train import History, TrainingDiverged, evaluate, fit, predict
from .conv import AvgPool2d, Conv2d, MaxPool2d, avg_pool2d, conv2d, conv_output_size, max_pool2d
from .layers import (BatchNorm1d, BatchNorm2d, BCEWithLogitsLoss, CrossEntropyLoss, Dropout,
                     Flatten, Identity, LeakyReLU, Linear, LogSoftmax, MSELoss, ReLU, Sequential,
                     Sigmoid, Softplus, Swish, Tanh, batch_norm, linear)
from .module import (Module, count_backward_macs, count_macs, count_params, mdrnn_backward_cost,
                     mlp_backward_cost)
from .pretrain import PRETRAINERS, mlp_from_dbn, pretrain, register_pretrainer
from .autoencoder import Autoencoder, DenoisingAutoencoder, LinearAutoencoder
from .gan import (GAN, GANHistory, code_information_loss, match_codes, mutual_info_loss,
                  neighbour_consistency_loss)
from .infogan import InfoGAN
from .recurrent import (GRU, LSTM, MDRNN, RNN, RecurrentLM, ResidualRNN, TimeDelay, detach_state,
                        hidden_grad_norms, mdrnn, truncated_bptt)
from . import _warmup  # noqa: F401  (registers the kernels' warm-ups for pgm-energy warmup)

__all__ = [
    "Tensor", "Parameter", "no_grad", "gradcheck", "SGD", "Adam", "StepLR", "CosineLR",
    "clip_grad_norm", "init", "functional", "Module", "count_params", "count_macs", "count_backward_macs",
    "mlp_backward_cost", "mdrnn_backward_cost", "Linear", "Sequential", "Identity",
    "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softplus", "Swish", "LogSoftmax", "Flatten",
    "Dropout", "BatchNorm1d", "BatchNorm2d", "CrossEntropyLoss", "MSELoss", "BCEWithLogitsLoss",
    "Conv2d", "MaxPool2d", "AvgPool2d", "conv2d", "max_pool2d", "avg_pool2d", "conv_output_size",
    "linear", "batch_norm", "data", "Standardizer", "augment", "load_digits", "load_mnist",
    "minibatches", "nearest_neighbours", "random_crop", "random_flip", "read_idx", "train_test_split", "write_idx",
    "History", "TrainingDiverged", "evaluate", "fit", "predict",
    "RNN", "LSTM", "GRU", "ResidualRNN", "TimeDelay", "MDRNN", "RecurrentLM", "mdrnn", "truncated_bptt",
    "detach_state", "hidden_grad_norms",
    "pretrain", "register_pretrainer", "PRETRAINERS", "mlp_from_dbn",
    "Autoencoder", "DenoisingAutoencoder", "LinearAutoencoder",
    "GAN", "InfoGAN", "GANHistory", "match_codes", "mutual_info_loss", "code_information_loss",
    "neighbour_consistency_loss",
]
