"""Character-level language models: tanh RNN vs LSTM vs GRU, bits per character on held-out text.
==============================================================================================

    python examples/char_rnn.py [--epochs 30] [--hidden 128] [--cells RNN LSTM GRU]

Text: ``examples/data/public_domain_texts.txt`` (about 6 KB: the Gettysburg Address, the
Preamble of the U.S. Constitution, the opening of the Declaration of Independence and five
Shakespeare sonnets; all public domain, see ``examples/data/README.md``). The last 10% of the
characters are the test text and the 10% before them the validation text. Each model reads
one-hot characters, has one recurrent layer and a linear read-out with softmax
(:class:`neural.RecurrentLM`), and is
trained by truncated BPTT (windows of 50 characters, 8 parallel streams, Adam, gradients
clipped to norm 5). So little text is quickly over-fitted, so the parameters with the best
validation bits per character (checked every 2 epochs) are kept (early stopping). Reported:
test bits per character, −(1/N) Σ log2 p(x_t | x_<t), with the state carried over from
reading the text before it, next to the unigram baseline; then a sample from each model.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import numpy as np  # noqa: E402

from energy.autodiff import no_grad  # noqa: E402
from energy.optim import Adam  # noqa: E402
from neural import RecurrentLM, truncated_bptt  # noqa: E402

TEXT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "public_domain_texts.txt")


def streams(ids, n_streams):
    """Cut a sequence into ``n_streams`` equal contiguous streams: shape (T, n_streams)."""
    T = len(ids) // n_streams
    return ids[:T * n_streams].reshape(n_streams, T).T


def bits_per_char(model, ids, state=None):
    with no_grad():
        logits, _ = model(ids[:-1, None], state)
        V = model.vocab_size
        z = logits.data.reshape(-1, V).astype(np.float64)
        z = z - z.max(1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(1, keepdims=True))
        return float(-logp[np.arange(len(ids) - 1), ids[1:]].mean() / np.log(2))


def sample(model, chars, prompt, n, rng, temperature=0.8):
    idx = {c: i for i, c in enumerate(chars)}
    ids = [idx[c] for c in prompt]
    with no_grad():
        logits, state = model(np.array(ids)[:, None])
        out = []
        for _ in range(n):
            z = logits.data[-1, 0].astype(np.float64) / temperature
            p = np.exp(z - z.max())
            nxt = int(rng.choice(len(chars), p=p / p.sum()))
            out.append(chars[nxt])
            logits, state = model(np.array([[nxt]]), state)
    return prompt + "".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=40)
    ap.add_argument("--hidden", type=int, default=128)
    ap.add_argument("--window", type=int, default=50)
    ap.add_argument("--streams", type=int, default=8)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--cells", nargs="+", default=["RNN", "LSTM", "GRU"])
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    text = open(TEXT, encoding="ascii").read()
    chars = sorted(set(text))
    V = len(chars)
    ids = np.array([chars.index(c) for c in text], dtype=np.int64)
    n_test = len(ids) // 10
    train, val, test = ids[:-2 * n_test], ids[-2 * n_test - 1:-n_test], ids[-n_test - 1:]
    counts = np.bincount(train, minlength=V) + 1.0
    unigram = float(-np.log2(counts / counts.sum())[test[1:]].mean())
    print(f"text: {TEXT} ({len(text)} characters, {V} symbols); train {len(train)}, "
          f"validation {n_test}, test {n_test}")
    print(f"unigram baseline: {unigram:.3f} bits/char\n")

    X = streams(train[:-1], args.streams)
    Y = streams(train[1:], args.streams)
    results = {}
    for cell in args.cells:
        model = RecurrentLM(V, args.hidden, cell=cell, rng=args.seed)
        params = model.parameters()
        opt = Adam(params, lr=args.lr)

        def loss_fn(x, y, state):                 # mean over the characters of a window
            loss, state = model.loss(x, y, state)
            return loss * (1.0 / len(x)), state

        t0 = time.perf_counter()
        best = (np.inf, None, 0)
        for epoch in range(args.epochs):
            total, _ = truncated_bptt(loss_fn, X, Y, args.window, optimizer=opt, params=params,
                                      max_norm=5.0)
            if epoch % 2 == 1:
                with no_grad():
                    _, state = model(train[:, None])
                v = bits_per_char(model, val, state)
                if v < best[0]:
                    best = (v, model.state_dict(), epoch + 1)
            if epoch % 10 == 9 or epoch == args.epochs - 1:
                n_win = -(-len(X) // args.window)
                print(f"{cell:5s} epoch {epoch + 1:3d}: train {total / n_win / np.log(2):.3f}, "
                      f"validation {v:.3f} bits/char ({time.perf_counter() - t0:.1f} s)")
        model.load_state_dict(best[1])
        # test: carry the state over from reading the text before it
        with no_grad():
            _, state = model(ids[:-n_test - 1, None])
        bpc = bits_per_char(model, test, state)
        results[cell] = bpc
        print(f"{cell:5s} best validation {best[0]:.3f} at epoch {best[2]}; test: {bpc:.3f} bits/char")
        print("sample:", repr(sample(model, chars, "The ", 160, np.random.default_rng(args.seed))))
        print()
    print("test bits per character:", ", ".join(f"{k} {v:.3f}" for k, v in results.items()),
          f"(unigram {unigram:.3f})")


if __name__ == "__main__":
    main()
