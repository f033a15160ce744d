"""``Module``: the base of every model with parameters — networks and energy models alike.

Like PyTorch's ``nn.Module``: assigning a :class:`~energy.autodiff.Parameter` or a sub-module
to an attribute registers it; :meth:`Module.register_buffer` registers a non-learned array
(batch-norm running statistics). :meth:`Module.state_dict` holds both, under dotted names
(``"0.weight"``, ``"bn.running_mean"``), and saves to / loads from ``.npz`` files. It lives
with the engine so that the energy models (:class:`energy.models.EnergyModel`) and the
networks of :mod:`neural` share it.

Examples
--------
>>> import numpy as np
>>> from energy.autodiff import Module, Parameter
>>> class Scale(Module):
...     def __init__(self):
...         super().__init__()
...         self.w = Parameter(np.ones(3))
...     def forward(self, x):
...         return self.w * x
>>> m = Scale()
>>> sorted(m.state_dict()), m(np.arange(3.0)).data.tolist()
(['w'], [0.0, 1.0, 2.0])
"""

from __future__ import annotations

import os
from collections import OrderedDict

import numpy as np

from pgm.runtime import atomic_write, load_npz_checked, npz_names

from .tensor import Parameter, Tensor, to_networkx

__all__ = ["Module"]


class Module:
    """Base class of layers and networks.

    Subclasses set parameters/sub-modules as attributes in ``__init__`` (after calling
    ``super().__init__()``) and implement ``forward``. Calling the module calls ``forward``.
    """

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_loaded_from", None)

    # -- registration
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise RuntimeError(f"{type(self).__name__}: call super().__init__() before "
                               f"assigning attributes")
        for d in (self._parameters, self._modules, self._buffers):
            if name in d and not (d is self._buffers and isinstance(value, np.ndarray)):
                del d[name]
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        elif name in self._buffers:
            self._buffers[name] = value
        object.__setattr__(self, name, value)

    def register_buffer(self, name: str, array: np.ndarray):
        """Register a non-learned array saved in the state dict (e.g. running statistics)."""
        self._buffers[name] = np.asarray(array)
        object.__setattr__(self, name, self._buffers[name])

    # -- traversal
    def named_modules(self, prefix=""):
        yield prefix, self
        for name, m in self._modules.items():
            yield from m.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self):
        return [m for _, m in self.named_modules()]

    def children(self):
        return list(self._modules.values())

    def named_parameters(self, prefix=""):
        """Yield ``(dotted_name, Parameter)`` for this module and its sub-modules."""
        seen = set()
        for mname, m in self.named_modules(prefix):
            for n, p in m._parameters.items():
                if id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{mname}.{n}" if mname else n), p

    def parameters(self):
        """List of the (unique) parameters, in registration order."""
        return [p for _, p in self.named_parameters()]

    def named_buffers(self, prefix=""):
        for mname, m in self.named_modules(prefix):
            for n, b in m._buffers.items():
                yield (f"{mname}.{n}" if mname else n), b

    # -- modes
    def train(self, mode: bool = True):
        """Set training mode (dropout active, batch norm uses batch statistics)."""
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self):
        """Set evaluation mode (dropout off, batch norm uses running statistics)."""
        return self.train(False)

    def zero_grad(self):
        for p in self.parameters():
            p.grad = None

    def to(self, dtype):
        """Convert every floating parameter and buffer to ``dtype`` (in place); returns self."""
        dtype = np.dtype(dtype)
        for p in self.parameters():
            if p.data.dtype.kind == "f":
                p.data = p.data.astype(dtype)
                p.grad = None
                p.bump_version()
        for m in self.modules():
            for n, b in list(m._buffers.items()):
                if b.dtype.kind == "f":
                    m.register_buffer(n, b.astype(dtype))
        return self

    def double(self):
        return self.to(np.float64)

    def float(self):
        return self.to(np.float32)

    # -- calling
    def forward(self, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must implement forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def extra_repr(self) -> str:
        return ""

    def __repr__(self):
        lines = [f"{type(self).__name__}({self.extra_repr()}"]
        if self._modules:
            for n, m in self._modules.items():
                sub = repr(m).replace("\n", "\n  ")
                lines.append(f"  ({n}): {sub}")
            return "\n".join(lines) + "\n)"
        return lines[0] + ")"

    def to_networkx(self, input_shape, dtype=None):
        """The computation DAG of one forward pass on zeros of ``input_shape`` (networkx DiGraph).

        Nodes carry ``op`` ('linear', 'conv2d', 'relu', ..., 'parameter', 'leaf'), ``shape``
        and ``dtype``; see :func:`energy.autodiff.to_networkx`.
        """
        params = self.parameters()
        dt = dtype or (params[0].dtype if params else np.float32)
        return to_networkx(self(Tensor(np.zeros(tuple(input_shape), dt))))

    # -- state
    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """Copies of every parameter and buffer under dotted names."""
        sd = OrderedDict((n, p.data.copy()) for n, p in self.named_parameters())
        sd.update((n, np.array(b, copy=True)) for n, b in self.named_buffers())
        return sd

    def _state_targets(self):
        """dotted name -> (owner module, local name, current array), parameters first."""
        t = OrderedDict()
        seen = set()
        for mname, m in self.named_modules():
            for n, p in m._parameters.items():
                if id(p) not in seen:
                    seen.add(id(p))
                    t[f"{mname}.{n}" if mname else n] = (m, n, p.data)
        for mname, m in self.named_modules():
            for bn, b in m._buffers.items():
                t[f"{mname}.{bn}" if mname else bn] = (m, bn, b)
        return t

    def _check_loaded(self, name, value):
        """A problem with ``value`` (already cast to the array's dtype) for this module's
        parameter or buffer ``name``, or None. Subclasses with invariants (a batch norm's
        variances are >= 0) override it."""
        return None

    def load_state_dict(self, state, strict: bool = True):
        """Copy arrays from ``state`` (a mapping of dotted names to arrays) into the module.

        Every array is checked before anything is changed: missing or unexpected names (when
        ``strict``), shape mismatches, a dtype of another kind (a bool or object array into
        a float parameter, a float into an integer buffer) and, after the cast to the
        parameter's dtype, NaN, inf or overflow (1e300 into float32) and the modules' own
        invariants (:meth:`_check_loaded`) are one clear error listing all the problems, and
        the module is left untouched.
        """
        targets = self._state_targets()
        keys = set(state)
        problems = []
        missing = [k for k in targets if k not in keys]
        extra = sorted(k for k in keys if k not in targets)
        if strict and missing:
            problems.append(f"missing: {missing}")
        if strict and extra:
            problems.append(f"unexpected: {extra}")
        cast = {}
        for k, (owner, local, cur) in targets.items():
            if k not in keys:
                continue
            v = np.asarray(state[k])
            problem = _cast_problem(v, cur)
            if problem is None:
                with np.errstate(all="ignore"):
                    c = v.astype(cur.dtype)
                if cur.dtype.kind in "fc" and not np.all(np.isfinite(c)):
                    problem = ("holds NaN or inf" if not np.all(np.isfinite(v)) else
                               f"overflows {cur.dtype} (largest |value| "
                               f"{float(np.max(np.abs(v))):.3g})")
                elif cur.dtype.kind in "iu" and not np.array_equal(c, v):
                    problem = f"values out of the range of {cur.dtype}"
                else:
                    problem = owner._check_loaded(local, c)
                cast[k] = c
            if problem is not None:
                problems.append(f"{k}: {problem}")
        if problems:
            raise ValueError(f"load_state_dict into {type(self).__name__}: " + "; ".join(problems))
        params = {id(p.data): p for p in self.parameters()}
        for k, (_, _, cur) in targets.items():
            if k in cast:
                np.copyto(cur, cast[k])   # in place: optimisers keep working
                if id(cur) in params:
                    params[id(cur)].bump_version()
        return self

    def save(self, path, overwrite: bool = False):
        """Write the state dict to an ``.npz`` file atomically (temp file, fsync, ``os.replace``).

        An existing file — in particular the one this module was loaded from — is replaced
        only with ``overwrite=True`` (the library's one atomic writer, :mod:`pgm.runtime.io`).
        """
        path = os.fspath(path)
        if (not overwrite and self._loaded_from is not None and os.path.exists(path)
                and os.path.samefile(path, self._loaded_from)):
            raise FileExistsError(f"save: {path!r} is the file this model was loaded from; "
                                  f"pass overwrite=True to replace it")
        sd = self.state_dict()
        return atomic_write(path, lambda fh: np.savez(fh, **sd), overwrite=overwrite,
                            suffix=".npz")

    def load(self, path, strict: bool = True):
        """Load a state dict saved by :meth:`save` (checked as in :meth:`load_state_dict`).

        Only the members the model needs are read, each after its header (shape, dtype kind,
        size) is checked: other members, however large, are neither read nor decompressed.
        """
        path = os.fspath(path)
        targets = self._state_targets()
        names = npz_names(path)
        need = [k for k in targets if k in names]
        missing = [k for k in targets if k not in names]
        extra = sorted(k for k in names if k not in targets)
        head = f"load: {path!r} does not match the model: "
        if strict and (missing or extra):
            raise ValueError(head + f"load_state_dict into {type(self).__name__}: " + "; ".join(
                [f"missing: {missing}"] * bool(missing) + [f"unexpected: {extra}"] * bool(extra)))
        expected = {k: (targets[k][2].shape, _KINDS.get(targets[k][2].dtype.kind))
                    for k in need}
        try:   # headers checked before any data is read; other members are never read
            state = load_npz_checked(path, need, expected=expected)
            self.load_state_dict(state, strict=False)
        except ValueError as exc:
            raise ValueError(head + str(exc)) from None
        object.__setattr__(self, "_loaded_from", os.path.realpath(path))
        return self


#: dtype kinds accepted for an array of each kind (bool is not a number here)
_KINDS = {"f": "iuf", "c": "iufc", "i": "iu", "u": "iu", "b": "b"}


def _cast_problem(v, cur):
    if v.shape != cur.shape:
        return f"expected shape {cur.shape}, got {v.shape}"
    kinds = _KINDS.get(cur.dtype.kind, cur.dtype.kind)
    if v.dtype.kind not in kinds:
        return f"expected a numeric array castable to {cur.dtype}, got dtype {v.dtype}"
    return None
