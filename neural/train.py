"""A training loop: per-epoch loss/accuracy, a progress line on stderr, a plottable history.

Non-finite inputs are refused before training starts; a non-finite loss or gradient stops
training with :class:`TrainingDiverged`, after restoring the parameters of the last step
whose loss was finite.

Examples
--------
>>> import numpy as np
>>> from neural import Linear, SGD
>>> X = np.random.default_rng(0).standard_normal((60, 4)).astype(np.float32)
>>> y = (X[:, 0] > 0).astype(int)
>>> net = Linear(4, 2, rng=0)
>>> hist = fit(net, X, y, SGD(net.parameters(), lr=0.5), epochs=3, rng=0, verbose=False)
>>> len(hist.loss)
3
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

import numpy as np

from energy import autodiff as ad
from energy.autodiff import no_grad
from energy.optim import clip_grad_norm
from pgm.runtime import check_finite, check_rng, check_scalar

from .data import minibatches

__all__ = ["fit", "evaluate", "predict", "History", "TrainingDiverged"]


class TrainingDiverged(FloatingPointError):
    """The loss or a gradient became NaN/inf; the model holds the last good parameters."""


@dataclass
class History:
    """Per-epoch records of :func:`fit` (lists of floats; val_* empty without validation data)."""

    loss: list = field(default_factory=list)
    acc: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_acc: list = field(default_factory=list)
    lr: list = field(default_factory=list)
    seconds: list = field(default_factory=list)

    def plot(self, path=None, title=None):
        """Loss and accuracy curves (matplotlib); saved to ``path`` when given. Returns the figure."""
        import matplotlib
        if path is not None:
            matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
        fig, (a1, a2) = plt.subplots(1, 2, figsize=(9, 3.5))
        ep = np.arange(1, len(self.loss) + 1)
        a1.plot(ep, self.loss, label="train")
        if self.val_loss:
            a1.plot(ep, self.val_loss, label="validation")
        a1.set_xlabel("epoch")
        a1.set_ylabel("cross-entropy")
        a1.legend()
        if self.acc:
            a2.plot(ep, self.acc, label="train")
        if self.val_acc:
            a2.plot(ep, self.val_acc, label="validation")
        a2.set_xlabel("epoch")
        a2.set_ylabel("accuracy")
        a2.legend()
        if title:
            fig.suptitle(title)
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=100)
            plt.close(fig)
        return fig


def predict(model, X, batch_size=512):
    """Model outputs (logits) for X in evaluation mode, without recording gradients.

    ``X`` needs at least one example and ``batch_size`` is an int >= 1 (errors name them).
    """
    batch_size = check_scalar(batch_size, "batch_size", low=1, integer=True)
    if np.ndim(X) == 0 or len(X) == 0:
        raise ValueError(f"X: expected at least one example, got shape {np.shape(X)}")
    was = model.training
    model.eval()
    outs = []
    with no_grad():
        for s in range(0, len(X), batch_size):
            outs.append(model(X[s:s + batch_size]).data)
    model.train(was)
    return np.concatenate(outs)


def evaluate(model, X, y, loss_fn=ad.cross_entropy, batch_size=512):
    """(mean loss, accuracy) of a classifier on (X, y), in evaluation mode."""
    if np.ndim(X) > 0 and np.ndim(y) > 0 and len(X) != len(y):
        raise ValueError(f"y: expected one label per example of X ({len(X)}), got {len(y)}")
    logits = predict(model, X, batch_size)
    loss = float(loss_fn(logits, y).data)
    acc = float((logits.argmax(axis=1) == y).mean())
    return loss, acc


def fit(model, X, y, optimizer, epochs=10, batch_size=32, loss_fn=ad.cross_entropy,
        X_val=None, y_val=None, scheduler=None, augment=None, clip_norm=None, rng=None,
        verbose=True, file=None):
    """Train ``model`` with mini-batch gradient descent.

    Parameters
    ----------
    model : Module
    X : ndarray of shape (n_samples, ...), y : ndarray of shape (n_samples,)
    optimizer : energy.optim.Optimizer over ``model.parameters()``
    epochs, batch_size : int
    loss_fn : callable(logits, y) -> scalar Tensor (default softmax cross-entropy)
    X_val, y_val : optional validation data (loss/accuracy recorded per epoch)
    scheduler : optional schedule with ``step()`` called after each epoch
    augment : optional callable(X_batch, rng) -> X_batch applied to training batches
    clip_norm : float, optional — clip the gradient norm before each step
    rng : None, int or Generator — shuffling and augmentation
    verbose : bool — print one progress line per epoch on stderr (or ``file``)

    Returns
    -------
    History

    Raises
    ------
    ValueError
        X or y is non-finite or empty, their lengths differ, or epochs / batch_size is not a
        positive int.
    TrainingDiverged
        The loss or gradient became non-finite; the model keeps the last good parameters.
    """
    out = sys.stderr if file is None else file
    epochs = check_scalar(epochs, "epochs", low=1, integer=True)
    batch_size = check_scalar(batch_size, "batch_size", low=1, integer=True)
    X = np.asarray(X)
    y = np.asarray(y)
    if X.ndim == 0 or len(X) == 0:
        raise ValueError(f"X: no samples to train on (shape {X.shape})")
    if len(X) != len(y):
        raise ValueError(f"fit: X has {len(X)} samples but y has {len(y)}")
    check_finite(X, "X")
    if X_val is not None:
        check_finite(np.asarray(X_val), "X_val")
    gen = check_rng(rng)
    params = model.parameters()
    hist = History()
    classify = y.dtype.kind in "iu"
    good = None
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        model.train()
        tot_loss, tot_correct, seen = 0.0, 0, 0
        for b, (xb, yb) in enumerate(minibatches(X, y, batch_size, True, gen)):
            if augment is not None:
                xb = augment(xb, gen)
            optimizer.zero_grad()
            logits = model(xb)
            loss = loss_fn(logits, yb)
            lv = float(loss.data)
            if not np.isfinite(lv):
                if good is not None:
                    for p, g in zip(params, good):
                        p.data[...] = g
                raise TrainingDiverged(
                    f"fit: the loss became {lv} at epoch {epoch}, batch {b}; stopped with the "
                    f"parameters of the last finite step (lower the learning rate or clip "
                    f"gradients with clip_norm=)")
            good = [p.data.copy() for p in params]     # these parameters gave a finite loss
            loss.backward()
            if clip_norm is not None:
                clip_grad_norm(params, clip_norm)
            for p in params:
                if p.grad is not None and not np.all(np.isfinite(p.grad)):
                    optimizer.zero_grad()
                    raise TrainingDiverged(f"fit: a gradient became non-finite at epoch {epoch}, "
                                           f"batch {b}; parameters left at the last finite step")
            optimizer.step()
            if not all(np.all(np.isfinite(p.data)) for p in params):
                for p, g in zip(params, good):
                    p.data[...] = g
                raise TrainingDiverged(f"fit: the parameters became non-finite at epoch {epoch}, "
                                       f"batch {b}; restored the last finite ones")
            n = len(yb)
            tot_loss += lv * n
            seen += n
            if classify and logits.ndim == 2:
                tot_correct += int((logits.data.argmax(axis=1) == yb).sum())
        hist.loss.append(tot_loss / seen)
        hist.acc.append(tot_correct / seen if classify else float("nan"))
        hist.lr.append(optimizer.lr)
        if X_val is not None:
            vl, va = evaluate(model, X_val, y_val, loss_fn)
            hist.val_loss.append(vl)
            hist.val_acc.append(va)
        if scheduler is not None:
            scheduler.step()
        hist.seconds.append(time.perf_counter() - t0)
        if verbose:
            line = f"epoch {epoch:3d}/{epochs}  loss {hist.loss[-1]:.4f}"
            line += f"  acc {hist.acc[-1]:.4f}" if classify else ""
            if X_val is not None:
                line += f"  val_loss {hist.val_loss[-1]:.4f}  val_acc {hist.val_acc[-1]:.4f}"
            line += f"  lr {hist.lr[-1]:.3g}  {hist.seconds[-1]:.1f}s"
            print(line, file=out, flush=True)
    return hist
