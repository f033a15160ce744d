"""The one reverse-mode gradient engine: :class:`Tensor`, its ops and losses, and
:func:`gradcheck` (finite differences).

>>> import numpy as np
>>> from energy.autodiff import Tensor
>>> w = Tensor(np.array([1.0, -2.0]), requires_grad=True)
>>> (w * w).sum().backward()
>>> w.grad
array([ 2., -4.])
"""

from .tensor import (Parameter, Tensor, add, astype, binary_cross_entropy_with_logits, concat,
                     cross_entropy, div, dropout, enable_grad, exp, getitem, is_grad_enabled,
                     leaky_relu, log, log_softmax, matmul, max_, mean, mse_loss, mul, neg,
                     no_grad, power, relu, reshape, sigmoid, softmax, softplus, sqrt, stack, sub,
                     sum_, swish, tanh, tensor, to_networkx, transpose, where)
from .gradcheck import GradcheckResult, gradcheck

__all__ = [
    "Tensor", "Parameter", "no_grad", "enable_grad", "is_grad_enabled", "tensor",
    "add", "sub", "mul", "div", "neg", "power", "astype", "matmul", "sum_", "mean", "max_",
    "reshape", "transpose", "getitem", "concat", "stack", "where", "exp", "log", "sqrt",
    "sigmoid", "tanh", "relu", "leaky_relu", "swish", "softplus", "log_softmax", "softmax",
    "cross_entropy", "mse_loss", "binary_cross_entropy_with_logits", "dropout", "to_networkx",
    "gradcheck", "GradcheckResult",
]
