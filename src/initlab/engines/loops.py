# mypy: ignore-errors
# (numba kernels: typed by numba at compile time, not by annotations)
"""Numba-compiled training steps on a flat parameter vector (imported only by the engines).

The maths is :mod:`initlab.network`'s, written as loops: the parameters of layer ``l`` sit in one
float64 vector ``theta`` as ``W_l`` (row-major, shape ``(n_l, n_{l-1})``) followed by ``b_l``.
Activations, heads and optimizers are integer codes read from their registries
(:attr:`initlab.activations.Activation.code`, :attr:`initlab.losses.Head.code`, the optimizer
classes' ``code``), so one compiled function serves every registered network; the switches below
are written by hand, one branch per registered definition. An unknown code is refused before
any kernel runs (:meth:`initlab.engines.compiled.Encoded.of` raises); inside the kernels it
gives NaN, never another definition's result.
:data:`ACTIVATION_CODES`, :data:`HEAD_CODES` and :data:`OPTIMIZER_CODES` list what they
implement (``tests/test_engines.py`` checks them against the registries). Loops run over
examples in the innermost position (contiguous in the ``(n, m)`` layout) so LLVM vectorises
them.

**No fast-math.** Every operation is IEEE arithmetic in the order written, so the compiled code
gives the same bits however LLVM inlines, vectorises or links it. With re-association allowed
(``fastmath``), a process that compiled the kernels and one that loaded them from the cache ran
differently optimised copies of the same callee and the chaotic x10 random run ended elsewhere
(measured with numba 0.68). Element-wise loops vectorise without it; sums over the examples are
written in an explicit order that vectorises too (``LANES`` independent lane sums added in a
fixed order, see :func:`_lane_dot`).

Machine code is cached under :func:`initlab.engines.cache.numba_dir`, keyed by this file and
the registry modules, so one module on purpose: numba's own check covers only the source file
of the function it compiled.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from initlab import activations as _act
from initlab import losses as _losses
from initlab import optim as _optim
from initlab.activations import EXP_CLIP, SELU_ALPHA, SELU_SCALE
from initlab.engines.cache import numba_location

# Codes of the registered definitions, one per branch of the switches below (numba compiles
# them in as constants).
IDENTITY, SIGMOID, TANH, RELU, LEAKY_RELU, ELU, SELU, GELU, SILU, SOFTPLUS, ERF = (
    _act.get(name).code
    for name in ("identity", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "selu", "gelu",
                 "silu", "softplus", "erf")
)
HEAD_SIGMOID, HEAD_SOFTMAX, HEAD_LINEAR = (
    _losses.get(name).code for name in ("sigmoid", "softmax", "linear")
)
OPT_GD, OPT_MOMENTUM, OPT_ADAM = _optim.GD.code, _optim.Momentum.code, _optim.Adam.code
#: The codes the switches implement.
ACTIVATION_CODES = frozenset(
    {IDENTITY, SIGMOID, TANH, RELU, LEAKY_RELU, ELU, SELU, GELU, SILU, SOFTPLUS, ERF}
)
HEAD_CODES = frozenset({HEAD_SIGMOID, HEAD_SOFTMAX, HEAD_LINEAR})
OPTIMIZER_CODES = frozenset({OPT_GD, OPT_MOMENTUM, OPT_ADAM})

_JIT = {"cache": True, "fastmath": False, "nogil": True,
        "error_model": "numpy"}
_NO_BIAS = np.empty(0)
_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _kernel(fn=None, **options):
    """``njit`` with the kernels' settings, cached in initlab's cache folder."""

    def wrap(f):
        with numba_location():
            return njit(**_JIT, **options)(f)

    return wrap if fn is None else wrap(fn)


_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_EXP_FLOOR = -708.0  # the polynomial's own floor: 2**n stays a normal float64 to n = -1022
_SHIFTER = 6755399441055744.0  # 1.5 * 2**52: adding it rounds to an integer in the low bits
_EXP_COEF = tuple(1.0 / math.factorial(k) for k in range(13, -1, -1))


@_kernel
def exp_nonpositive(x, out, work):
    """``out = exp(x)`` for ``x <= 0`` (clamped at -708), vectorisable, relative error < 1e-13.

    ``x = n ln2 + r`` with integer ``n``, a degree-13 Taylor polynomial for ``exp(r)`` and
    ``2**n`` assembled from its exponent bits, all in loops LLVM turns into SIMD code (libm's
    scalar ``exp`` would cost more than the tutorial network's matrix products). Written to stay
    correct under ``fastmath`` re-association, which numba passes on to inlined callees.
    ``x``, ``out`` and ``work`` must be distinct arrays of one length.
    """
    m = x.shape[0]
    for j in range(m):
        xj = max(x[j], _EXP_FLOOR)
        n = math.floor(xj * _LOG2E + 0.5)  # an exact integer in [-1022, 0]
        r = (xj - n * _LN2_HI) - n * _LN2_LO
        q = _EXP_COEF[0]
        for c in _EXP_COEF[1:]:
            q = q * r + c
        out[j] = q
        work[j] = n + _SHIFTER  # exact: its low mantissa bits hold n
    bits = work.view(np.int64)
    for j in range(m):
        bits[j] = (bits[j] + 1023) << 52
    scale = bits.view(np.float64)
    for j in range(m):
        out[j] *= scale[j]


@_kernel
def _sigmoid(z):
    return 1.0 / (1.0 + math.exp(-max(z, EXP_CLIP)))


@_kernel
def _act(code, p, z):
    if code == IDENTITY:
        return z
    if code == SIGMOID:
        return _sigmoid(z)
    if code == TANH:
        return math.tanh(z)
    if code == RELU:
        return max(0.0, z)
    if code == LEAKY_RELU:
        return z if z > 0.0 else p * z
    if code == ELU:
        return z if z > 0.0 else p * math.expm1(min(z, 0.0))
    if code == SELU:
        return SELU_SCALE * (z if z > 0.0 else SELU_ALPHA * math.expm1(min(z, 0.0)))
    if code == GELU:
        return z * (0.5 * (1.0 + math.erf(z / _SQRT2)))
    if code == SILU:
        return z * _sigmoid(z)
    if code == SOFTPLUS:
        return max(z, 0.0) + math.log1p(math.exp(-abs(z)))
    if code == ERF:
        return math.erf(z)
    return math.nan  # no such code: the engines check codes before running (Encoded.of)


@_kernel
def _deriv(code, p, z, a):
    if code == IDENTITY:
        return 1.0
    if code == SIGMOID:
        return a * (1.0 - a)
    if code == TANH:
        return 1.0 - a * a
    if code == RELU:
        return 1.0 if z > 0.0 else 0.0
    if code == LEAKY_RELU:
        return 1.0 if z > 0.0 else p
    if code == ELU:
        return 1.0 if z > 0.0 else a + p
    if code == SELU:
        return SELU_SCALE if z > 0.0 else a + SELU_SCALE * SELU_ALPHA
    if code == GELU:
        return 0.5 * (1.0 + math.erf(z / _SQRT2)) + z * math.exp(-0.5 * z * z) * _INV_SQRT_2PI
    if code == SILU:
        s = _sigmoid(z)
        return s * (1.0 + z * (1.0 - s))
    if code == SOFTPLUS:
        return _sigmoid(z)
    if code == ERF:
        return _TWO_OVER_SQRT_PI * math.exp(-z * z)
    return math.nan  # no such code: the engines check codes before running (Encoded.of)


@_kernel
def _apply_act(code, p, Z, A):
    n, m = Z.shape
    if code == RELU:  # the tutorial's case, kept branch-free so it vectorises
        for i in range(n):
            for j in range(m):
                A[i, j] = max(Z[i, j], 0.0)
        return
    for i in range(n):
        for j in range(m):
            A[i, j] = _act(code, p, Z[i, j])


@_kernel
def _mul_deriv(code, p, Z, A, D):
    """``D *= act'(Z)`` in place."""
    n, m = Z.shape
    if code == RELU:
        for i in range(n):
            for j in range(m):
                D[i, j] = D[i, j] if Z[i, j] > 0.0 else 0.0
        return
    for i in range(n):
        for j in range(m):
            D[i, j] = D[i, j] * _deriv(code, p, Z[i, j], A[i, j])


@_kernel
def _w(W, trans, i, k, p):
    """Entry ``(i, k)`` of ``op(W)``, or 0 past the last column (padding)."""
    if k >= p:
        return 0.0
    return W[k, i] if trans else W[i, k]


@_kernel
def _pass8(o, first, start, W, trans, i, B, k, p):
    q = p - 1
    w0, w1, w2, w3 = _w(W, trans, i, k, p), _w(W, trans, i, k + 1, p), _w(W, trans, i, k + 2, p), _w(W, trans, i, k + 3, p)
    w4, w5, w6, w7 = _w(W, trans, i, k + 4, p), _w(W, trans, i, k + 5, p), _w(W, trans, i, k + 6, p), _w(W, trans, i, k + 7, p)
    c0, c1, c2, c3 = B[k], B[min(k + 1, q)], B[min(k + 2, q)], B[min(k + 3, q)]
    c4, c5, c6, c7 = B[min(k + 4, q)], B[min(k + 5, q)], B[min(k + 6, q)], B[min(k + 7, q)]
    if first:
        for j in range(o.shape[0]):
            o[j] = start + ((w0 * c0[j] + w1 * c1[j] + w2 * c2[j] + w3 * c3[j])
                            + (w4 * c4[j] + w5 * c5[j] + w6 * c6[j] + w7 * c7[j]))
    else:
        for j in range(o.shape[0]):
            o[j] += ((w0 * c0[j] + w1 * c1[j] + w2 * c2[j] + w3 * c3[j])
                     + (w4 * c4[j] + w5 * c5[j] + w6 * c6[j] + w7 * c7[j]))


@_kernel
def _pass4(o, first, start, W, trans, i, B, k, p):
    q = p - 1
    w0, w1, w2, w3 = _w(W, trans, i, k, p), _w(W, trans, i, k + 1, p), _w(W, trans, i, k + 2, p), _w(W, trans, i, k + 3, p)
    c0, c1, c2, c3 = B[k], B[min(k + 1, q)], B[min(k + 2, q)], B[min(k + 3, q)]
    if first:
        for j in range(o.shape[0]):
            o[j] = start + (w0 * c0[j] + w1 * c1[j] + w2 * c2[j] + w3 * c3[j])
    else:
        for j in range(o.shape[0]):
            o[j] += w0 * c0[j] + w1 * c1[j] + w2 * c2[j] + w3 * c3[j]


@_kernel
def _pass2(o, first, start, W, trans, i, B, k, p):
    w0, w1 = _w(W, trans, i, k, p), _w(W, trans, i, k + 1, p)
    c0, c1 = B[k], B[min(k + 1, p - 1)]
    if first:
        for j in range(o.shape[0]):
            o[j] = start + (w0 * c0[j] + w1 * c1[j])
    else:
        for j in range(o.shape[0]):
            o[j] += w0 * c0[j] + w1 * c1[j]


@_kernel
def _matmul(W, trans, B, bias, out, relu, other):
    """``out = op(W) @ B (+ bias[:, None])`` with ``op(W) = W.T if trans else W``.

    Each row of ``out`` is built in as few passes as possible, each adding up to eight rows of
    ``B`` (missing ones weighted 0), so one load and store of ``out`` serves many multiply-adds
    and the loop over the contiguous examples vectorises: for small layers the passes, not the
    arithmetic, set the cost. An empty ``bias`` means none. With ``relu``, forward
    (``not trans``) also writes ``other = max(out, 0)``; backward zeroes ``out`` where
    ``other <= 0`` (the ReLU derivative from the pre-activation ``other``).
    """
    n, m = out.shape
    p = B.shape[0]
    for i in range(n):
        o = out[i]
        start = bias[i] if bias.shape[0] > 0 else 0.0
        k = 0
        while k < p:
            r = p - k
            if r >= 5:
                _pass8(o, k == 0, start, W, trans, i, B, k, p)
                k += 8
            elif r >= 3:
                _pass4(o, k == 0, start, W, trans, i, B, k, p)
                k += 4
            else:
                _pass2(o, k == 0, start, W, trans, i, B, k, p)
                k += 2
        if relu:
            x = other[i]
            if trans:
                for j in range(m):
                    o[j] = o[j] if x[j] > 0.0 else 0.0
            else:
                for j in range(m):
                    x[j] = max(o[j], 0.0)


@_kernel
def _linear(W, b, Ap, Z):
    """``Z = W @ Ap + b``."""
    _matmul(W, False, Ap, b, Z, False, Z)


#: Lanes of the weight-gradient sums (:func:`_lane_dot`): sixteen, so that the lane loop is long
#: enough for LLVM to vectorise it rather than unroll it (numba leaves the SLP vectoriser off,
#: which would be needed to pack eight scalar accumulators), and a power of two for the fold.
LANES = 16


@_kernel
def _fold16(t):
    """The 16 lane sums added pairwise, in this fixed order."""
    return ((((t[0] + t[1]) + (t[2] + t[3])) + ((t[4] + t[5]) + (t[6] + t[7])))
            + (((t[8] + t[9]) + (t[10] + t[11])) + ((t[12] + t[13]) + (t[14] + t[15]))))


@_kernel
def _lane_dot(d, a, acc):
    """``sum(d * a)`` over the examples, in an order written out here, so LLVM need not
    re-associate anything to vectorise it.

    Example ``j`` goes to lane ``q = j mod LANES`` (``acc[q]``, scratch of length ``LANES``):
    each lane adds its blocks in order, eight blocks per pass as a fixed tree
    ``((p0 + p1) + (p2 + p3)) + ((p4 + p5) + (p6 + p7))``, then pairs, a last whole block and
    the partial block; :func:`_fold16` adds the lanes. The loops over ``q`` update independent
    lanes from contiguous memory, which LLVM turns into SIMD code without fast-math, and eight
    blocks per pass keep the lane loads and stores few; a single running sum would be one
    dependent chain of additions (latency bound, not vectorisable). The bits depend only on
    ``m``, never on how the code was compiled. Indices are offsets plus range variables, not
    views: a slice per block costs more than the block's arithmetic.
    """
    m = d.shape[0]
    nb = m // LANES
    for q in range(LANES):
        acc[q] = 0.0
    b = 0
    while b + 8 <= nb:
        o0 = b * LANES
        o1, o2, o3 = o0 + LANES, o0 + 2 * LANES, o0 + 3 * LANES
        o4, o5, o6, o7 = o0 + 4 * LANES, o0 + 5 * LANES, o0 + 6 * LANES, o0 + 7 * LANES
        for q in range(LANES):
            acc[q] = acc[q] + (((d[o0 + q] * a[o0 + q] + d[o1 + q] * a[o1 + q])
                                + (d[o2 + q] * a[o2 + q] + d[o3 + q] * a[o3 + q]))
                               + ((d[o4 + q] * a[o4 + q] + d[o5 + q] * a[o5 + q])
                                  + (d[o6 + q] * a[o6 + q] + d[o7 + q] * a[o7 + q])))
        b += 8
    while b + 2 <= nb:
        o0 = b * LANES
        o1 = o0 + LANES
        for q in range(LANES):
            acc[q] = acc[q] + (d[o0 + q] * a[o0 + q] + d[o1 + q] * a[o1 + q])
        b += 2
    if b < nb:
        o0 = b * LANES
        for q in range(LANES):
            acc[q] = acc[q] + d[o0 + q] * a[o0 + q]
    o0 = nb * LANES
    for q in range(m - o0):  # the partial block: fewer than LANES examples
        acc[q] = acc[q] + d[o0 + q] * a[o0 + q]
    return _fold16(acc)


@_kernel
def _grad_w(dZ, Ap, dW, db, acc, ones):
    """``dW = dZ @ Ap.T`` and ``db = dZ.sum(1)``, each entry one :func:`_lane_dot`.

    ``acc``: lane scratch (length ``LANES``); ``ones``: at least m ones, so ``db`` is the same
    lane sum (``x * 1.0`` is exact).
    """
    n, p = dW.shape
    for i in range(n):
        d = dZ[i]
        for k in range(p):
            dW[i, k] = _lane_dot(d, Ap[k], acc)
        db[i] = _lane_dot(d, ones, acc)


@_kernel
def _sigmoid_row(z, y, a, dz, inv, e, work, want_cost):
    """One output row of the sigmoid head and its gradient: ``a`` and ``dz = inv (a - y)`` from
    the logits ``z`` (length m), in five vectorised passes without allocating (``e`` and
    ``work`` are scratch of length m). Returns the row's summed loss (see :func:`_output`)."""
    m = z.shape[0]
    for j in range(m):
        dz[j] = -abs(z[j])  # dz holds the exponent until the last pass overwrites it
    exp_nonpositive(dz, e, work)  # one exp(-|z|) serves the sigmoid and the loss
    for j in range(m):
        aj = (1.0 if z[j] >= 0.0 else e[j]) / (1.0 + e[j])
        a[j] = aj
        dz[j] = inv * (aj - y[j])
    total = 0.0
    for j in range(m):  # apart, so the loop above runs in SIMD registers
        total += 0.0 * z[j]  # NaN exactly when a logit is not finite
    if want_cost:
        for j in range(m):
            total += max(z[j], 0.0) - z[j] * y[j] + math.log1p(e[j])
    return total


@_kernel
def _output(head, Z, A, Y, dZ, scratch, want_cost):
    """Head output ``A`` and ``dZ = (A - Y) / m`` from the logits ``Z``; returns the summed (not
    averaged) loss. ``scratch`` holds at least ``2 m`` values.

    Without ``want_cost`` the loss terms are skipped (they only feed the history) and the
    return value is only a finiteness probe: NaN or inf exactly when a logit is not finite.
    """
    n, m = Z.shape
    inv = 1.0 / m
    total = 0.0
    if head == HEAD_SIGMOID:
        for i in range(n):
            total += _sigmoid_row(Z[i], Y[i], A[i], dZ[i], inv, scratch[:m], scratch[m:2 * m],
                                  want_cost)
        return total
    if head == HEAD_SOFTMAX:
        for j in range(m):
            zmax = Z[0, j]
            for i in range(1, n):
                zmax = max(zmax, Z[i, j])
            s = 0.0
            for i in range(n):
                A[i, j] = math.exp(Z[i, j] - zmax)
                s += A[i, j]
            logs = math.log(s)
            for i in range(n):
                A[i, j] = A[i, j] / s
                total -= Y[i, j] * (Z[i, j] - zmax - logs)
    elif head == HEAD_LINEAR:
        for i in range(n):
            for j in range(m):
                A[i, j] = Z[i, j]
                d = Z[i, j] - Y[i, j]
                total += d * d
        total = total / 2.0
    else:  # no such code: the engines check codes before running (Encoded.of)
        total = math.nan
    for i in range(n):
        for j in range(m):
            dZ[i, j] = inv * (A[i, j] - Y[i, j])
    return total


@_kernel
def _views(theta, dims, l):
    off = 0
    for q in range(1, l):
        off += dims[q] * (dims[q - 1] + 1)
    n, p = dims[l], dims[l - 1]
    return theta[off:off + n * p].reshape((n, p)), theta[off + n * p:off + n * p + n]


@_kernel
def _view2(buf, n, m):
    return buf[:n * m].reshape((n, m))


@_kernel
def loss_grad(theta, grad, dims, acts, aparams, head, l2, X, Y, Zs, As, D0, D1, lanes,
              want_cost):
    """Cost of ``theta`` on the batch ``(X, Y)``; gradients written into ``grad``.

    ``Zs``/``As`` are flat per-layer scratch of size >= n_l m, ``D0``/``D1`` of size
    >= max(2, max(n)) m: flat so that every 2-D view is C-contiguous and its loops vectorise.
    ``lanes``: ``LANES`` scratch values followed by at least m ones (see :func:`_grad_w`).
    """
    L = dims.shape[0] - 1
    m = X.shape[1]
    Ap = X
    for l in range(1, L + 1):
        W, b = _views(theta, dims, l)
        Z = _view2(Zs[l - 1], dims[l], m)
        A = _view2(As[l - 1], dims[l], m)
        fused = l < L and acts[l - 1] == RELU
        _matmul(W, False, Ap, b, Z, fused, A)
        if l < L and not fused:
            _apply_act(acts[l - 1], aparams[l - 1], Z, A)
        Ap = A
    nL = dims[L]
    dZ = _view2(D0, nL, m)
    cost = _output(head, _view2(Zs[L - 1], nL, m), _view2(As[L - 1], nL, m), Y, dZ, D1,
                   want_cost) / m
    reg = 0.0
    for l in range(L, 0, -1):
        W, _ = _views(theta, dims, l)
        dW, db = _views(grad, dims, l)
        n, p = W.shape
        Ap = X if l == 1 else _view2(As[l - 2], p, m)
        _grad_w(dZ, Ap, dW, db, lanes[:LANES], lanes[LANES:])
        if l2 > 0.0:
            for i in range(n):
                for k in range(p):
                    reg += W[i, k] * W[i, k]
                    dW[i, k] = dW[i, k] + l2 / m * W[i, k]
        if l > 1:
            dA = _view2(D1 if (L - l) % 2 == 0 else D0, p, m)
            Zp = _view2(Zs[l - 2], p, m)
            fused = acts[l - 2] == RELU
            _matmul(W, True, dZ, _NO_BIAS, dA, fused, Zp)
            if not fused:
                _mul_deriv(acts[l - 2], aparams[l - 2], Zp, Ap, dA)
            dZ = dA
    if l2 > 0.0 and want_cost:
        cost += l2 / (2 * m) * reg
    return cost


@_kernel
def _update(opt, hyper, t, theta, grad, s1, s2):
    lr = hyper[0]
    if opt == OPT_GD:
        for q in range(theta.shape[0]):
            theta[q] = theta[q] - lr * grad[q]
    elif opt == OPT_MOMENTUM:
        beta = hyper[1]
        for q in range(theta.shape[0]):
            s1[q] = beta * s1[q] + (1 - beta) * grad[q]
            theta[q] = theta[q] - lr * s1[q]
    elif opt == OPT_ADAM:
        b1, b2, eps = hyper[1], hyper[2], hyper[3]
        c1 = 1 - math.pow(b1, t)
        c2 = 1 - math.pow(b2, t)
        for q in range(theta.shape[0]):
            g = grad[q]
            s1[q] = b1 * s1[q] + (1 - b1) * g
            s2[q] = b2 * s2[q] + (1 - b2) * g * g
            theta[q] = theta[q] - lr * (s1[q] / c1) / (math.sqrt(s2[q] / c2) + eps)
    else:  # no such code: the engines check codes before running (Encoded.of)
        for q in range(theta.shape[0]):
            theta[q] = math.nan


@_kernel
def _scratch(dims, m):
    L = dims.shape[0] - 1
    Zs = []
    As = []
    width = 2  # _output borrows two rows of the last buffer
    for l in range(1, L + 1):
        Zs.append(np.empty(dims[l] * m))
        As.append(np.empty(dims[l] * m))
        width = max(width, dims[l])
    lanes = np.ones(LANES + m)  # lane sums, then the ones of the bias gradient (_grad_w)
    return Zs, As, np.empty(width * m), np.empty(width * m), lanes


@_kernel
def _gather(X, idx, lo, hi, buf):
    out = _view2(buf, X.shape[0], hi - lo)
    for r in range(X.shape[0]):
        for j in range(hi - lo):
            out[r, j] = X[r, idx[lo + j]]
    return out


@_kernel
def run_steps(theta, s1, s2, t0, dims, acts, aparams, head, l2, opt, hyper,
              X, Y, idx, starts, costs):
    """Run ``costs.shape[0]`` optimizer steps on one model.

    ``costs[0]`` is the first step's cost (the one a history records); later entries are the
    costs too for the softmax and linear heads, and a finiteness probe for the sigmoid head.

    ``idx[starts[s]:starts[s+1]]`` are the example columns of step ``s``; an empty ``idx``
    means full batch. Returns the index of the first step whose cost is not finite, else -1.
    """
    n_steps = costs.shape[0]
    cheap_probe = head == HEAD_SIGMOID  # only step 0 of a chunk is recorded; others just need a probe
    full = idx.shape[0] == 0
    mb = X.shape[1]
    if not full:
        mb = 1
        for s in range(n_steps):
            mb = max(mb, starts[s + 1] - starts[s])
    Zs, As, D0, D1, lanes = _scratch(dims, mb)
    Xb = np.empty(X.shape[0] * mb)
    Yb = np.empty(Y.shape[0] * mb)
    grad = np.empty_like(theta)
    bad = -1
    for s in range(n_steps):
        if full:
            xs, ys = X, Y
        else:
            xs = _gather(X, idx, starts[s], starts[s + 1], Xb)
            ys = _gather(Y, idx, starts[s], starts[s + 1], Yb)
        c = loss_grad(theta, grad, dims, acts, aparams, head, l2, xs, ys, Zs, As, D0, D1, lanes,
                      s == 0 or not cheap_probe)
        costs[s] = c
        if not math.isfinite(c):
            bad = s
            break
        _update(opt, hyper, t0 + s + 1, theta, grad, s1, s2)
    if bad < 0:
        for q in range(theta.shape[0]):
            if not math.isfinite(theta[q]):
                bad = n_steps
                break
    return bad


@_kernel(parallel=True)
def run_steps_many(thetas, s1s, s2s, t0, dims, acts, aparams, head, l2, opt, hyper,
                   X, Y, idx, starts, costs, status):
    """:func:`run_steps` for K models at once (row k of each 2-D array), one thread per model."""
    for k in prange(thetas.shape[0]):
        status[k] = run_steps(thetas[k], s1s[k], s2s[k], t0, dims, acts, aparams, head, l2,
                              opt, hyper, X, Y, idx, starts, costs[k])


@_kernel
def cost_and_grad(theta, dims, acts, aparams, head, l2, X, Y):
    """Cost and flat gradient of one batch (allocating its own scratch), for checks."""
    Zs, As, D0, D1, lanes = _scratch(dims, X.shape[1])
    grad = np.empty_like(theta)
    c = loss_grad(theta, grad, dims, acts, aparams, head, l2, X, Y, Zs, As, D0, D1, lanes,
                  True)
    return c, grad
