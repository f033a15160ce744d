"""The one reverse-mode gradient engine: :class:`Tensor`, its ops and losses, and
:func:`gradcheck` (finite differences).

Modules: :mod:`~energy.autodiff.tensor` (grad mode, Tensor, Parameter, the tape and backward),
:mod:`~energy.autodiff.ops` (arithmetic, reductions, shape ops, activations; it attaches
Tensor's operator methods), :mod:`~energy.autodiff.losses` (softmax, losses, dropout),
:mod:`~energy.autodiff.gradcheck`. Each imports only the ones before it.

>>> import numpy as np
>>> from energy.autodiff import Tensor
>>> w = Tensor(np.array([1.0, -2.0]), requires_grad=True)
>>> (w * w).sum().backward()
>>> w.grad
array([ 2., -4.])
"""

from .tensor import Parameter, Tensor, enable_grad, is_grad_enabled, no_grad, tensor, to_networkx
from .ops import (add, astype, concat, div, exp, getitem, leaky_relu, log, matmul, max_, mean,
                  mul, neg, power, relu, reshape, sigmoid, softplus, sqrt, stack, sub, sum_, swish,
                  tanh, transpose, where)
from .losses import (binary_cross_entropy_with_logits, cross_entropy, dropout, log_softmax,
                     mse_loss, softmax)
from .gradcheck import GradcheckResult, gradcheck
from .counting import count_multiplications, record_multiplications
from .module import Module

__all__ = [
    "Tensor", "Parameter", "no_grad", "enable_grad", "is_grad_enabled", "tensor",
    "add", "sub", "mul", "div", "neg", "power", "astype", "matmul", "sum_", "mean", "max_",
    "reshape", "transpose", "getitem", "concat", "stack", "where", "exp", "log", "sqrt",
    "sigmoid", "tanh", "relu", "leaky_relu", "swish", "softplus", "log_softmax", "softmax",
    "cross_entropy", "mse_loss", "binary_cross_entropy_with_logits", "dropout", "to_networkx",
    "gradcheck", "GradcheckResult", "Module", "count_multiplications", "record_multiplications",
]
