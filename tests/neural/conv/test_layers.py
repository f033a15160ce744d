"""Conv2d and pooling modules (neural.conv.layers): bad input, torch cross-check."""

import numpy as np
import pytest

from energy.autodiff import Tensor
from neural import BatchNorm2d, Conv2d, Linear, MaxPool2d, avg_pool2d, max_pool2d


def test_conv_and_pool_bad_input():
    conv = Conv2d(3, 4, 3, rng=0)
    with pytest.raises(ValueError, match=r"Conv2d\(in_channels=3.*\(N, 3, H, W\).*\(2, 1, 8, 8\)"):
        conv(np.zeros((2, 1, 8, 8), np.float32))
    with pytest.raises(ValueError, match=r"\(1, 3, 2, 2\) is too small"):
        conv(np.zeros((1, 3, 2, 2), np.float32))
    with pytest.raises(ValueError, match=r"max_pool2d.*\(N, C, H, W\).*\(3, 3\)"):
        max_pool2d(np.zeros((3, 3)), 2)
    with pytest.raises(ValueError, match="padding"):
        MaxPool2d(2, padding=2)
    with pytest.raises(TypeError, match="stride"):
        Conv2d(1, 1, 3, stride="two")


# ----------------------------------------------------------------------------- torch
def test_against_torch_forward_and_backward():
    torch = pytest.importorskip("torch")
    tnn = torch.nn
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 12, 11))

    conv = Conv2d(3, 5, (3, 4), stride=(2, 1), padding=(1, 2), dilation=(1, 2), rng=0).double()
    bn = BatchNorm2d(5).double()
    bn.weight.data[:] = rng.uniform(0.5, 1.5, 5)
    bn.bias.data[:] = rng.standard_normal(5)
    lin = Linear(5 * 3 * 4, 7, rng=1).double()

    tc = tnn.Conv2d(3, 5, (3, 4), stride=(2, 1), padding=(1, 2), dilation=(1, 2)).double()
    tb = tnn.BatchNorm2d(5).double()
    tl = tnn.Linear(60, 7).double()
    with torch.no_grad():
        tc.weight.copy_(torch.tensor(conv.weight.data))
        tc.bias.copy_(torch.tensor(conv.bias.data))
        tb.weight.copy_(torch.tensor(bn.weight.data))
        tb.bias.copy_(torch.tensor(bn.bias.data))
        tl.weight.copy_(torch.tensor(lin.weight.data))
        tl.bias.copy_(torch.tensor(lin.bias.data))

    xt = Tensor(x, requires_grad=True)
    h = max_pool2d(bn(conv(xt)), 2)
    y = lin(h.reshape(4, -1))
    g = rng.standard_normal(y.shape)
    y.backward(g)

    tx = torch.tensor(x, requires_grad=True)
    th = torch.nn.functional.max_pool2d(tb(tc(tx)), 2)
    ty = tl(th.reshape(4, -1))
    ty.backward(torch.tensor(g))

    np.testing.assert_allclose(y.data, ty.detach().numpy(), atol=1e-10)
    np.testing.assert_allclose(xt.grad, tx.grad.numpy(), atol=1e-10)
    for ours, theirs in [(conv.weight, tc.weight), (conv.bias, tc.bias), (bn.weight, tb.weight),
                         (bn.bias, tb.bias), (lin.weight, tl.weight), (lin.bias, tl.bias)]:
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), atol=1e-10)
    np.testing.assert_allclose(bn.running_mean, tb.running_mean.numpy(), atol=1e-12)
    np.testing.assert_allclose(bn.running_var, tb.running_var.numpy(), atol=1e-12)
    # average pooling with padding (count_include_pad) and eval-mode batch norm
    bn.eval()
    tb.eval()
    a = avg_pool2d(bn(conv(x)), 3, 2, 1).data
    ta = torch.nn.functional.avg_pool2d(tb(tc(torch.tensor(x))), 3, 2, 1).detach().numpy()
    np.testing.assert_allclose(a, ta, atol=1e-10)
