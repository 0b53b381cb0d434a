r"""Quantity judgments: fit distributions to experts' quantiles, pool and average them.

An expert judges an uncertain quantity :math:`X` by giving a few quantiles:
values :math:`x_1 < \dots < x_k` with :math:`P(X \le x_j) = p_j`, e.g. at the
levels 5 %, 50 % and 95 %. Everything here works on many judgments at once,
one judgment per row:

``values``
    shape ``(n, k)``, each judgment's quantile values, increasing along a row;
``levels``
    shape ``(k,)`` (the same levels for every judgment) or ``(n, k)``;
``lower``, ``upper``
    a scalar or shape ``(n,)``, the judgment's bounds on :math:`X`
    (``-inf`` / ``inf`` for none).

What is here:

* :func:`fit_quantiles` fits ten parametric families to every judgment by least
  squares on the CDF, as the SHELF R package's ``fitdist`` does, and picks the
  best fitting family of each judgment;
* :func:`distribution_cdf` and :func:`distribution_quantile` evaluate fitted
  distributions, one per row, families mixed freely;
* :func:`linear_pool_cdf` and :func:`linear_pool_quantiles` pool the experts'
  distributions of each question (weighted mean of CDFs) for many questions;
* :func:`vincentize` averages quantile functions instead of CDFs;
* :func:`piecewise_linear_cdf`, :func:`piecewise_linear_pdf` and
  :func:`piecewise_linear_quantile` give the piecewise-uniform ("minimum
  information") distribution through a judgment's quantiles that Cooke's
  classical model uses (its support is :func:`elicit.core.cooke.intrinsic_range`).

Pools and averages take the grouped layout of :mod:`elicit.core.layout`: a
question (group) index per judgment, and return one row per question.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import sparse, special, stats

from .layout import grouped_input, grouped_weights

__all__ = [
    "FAMILIES",
    "PARAMETER_NAMES",
    "QuantileFit",
    "bootstrap_linear_pool_quantiles",
    "distribution_cdf",
    "distribution_quantile",
    "fit_quantiles",
    "linear_pool_cdf",
    "linear_pool_quantiles",
    "piecewise_linear_cdf",
    "piecewise_linear_pdf",
    "piecewise_linear_quantile",
    "vincentize",
]

#: The families :func:`fit_quantiles` fits, in SHELF's order (which breaks ties).
FAMILIES: tuple[str, ...] = (
    "normal",
    "t",
    "skewnormal",
    "gamma",
    "lognormal",
    "logt",
    "beta",
    "mirrorgamma",
    "mirrorlognormal",
    "mirrorlogt",
)

#: The parameters of each family, SHELF's parameterisation: the columns of ``params``.
PARAMETER_NAMES: dict[str, tuple[str, ...]] = {
    "normal": ("mean", "sd"),
    "t": ("location", "scale", "df"),
    "skewnormal": ("location", "scale", "slant"),
    "gamma": ("shape", "rate"),
    "lognormal": ("meanlog", "sdlog"),
    "logt": ("location", "scale", "df"),
    "beta": ("shape1", "shape2"),
    "mirrorgamma": ("shape", "rate"),
    "mirrorlognormal": ("meanlog", "sdlog"),
    "mirrorlogt": ("location", "scale", "df"),
}

_CODE = {name: code for code, name in enumerate(FAMILIES)}
_NEEDS_LOWER = frozenset({"gamma", "lognormal", "logt", "beta"})
_NEEDS_UPPER = frozenset({"beta", "mirrorgamma", "mirrorlognormal", "mirrorlogt"})
_LOG_T = frozenset({"logt", "mirrorlogt"})
# SHELF's grid of skew-normal slants for the two-stage fit.
_SLANT_GRID = np.array([-20.0, -10.0, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 10, 20])
_SQRT3 = np.sqrt(3.0)
_FD_STEP = 1e-6  # central-difference step on log shape parameters


# --------------------------------------------------------------------------- checks


def _matrix(name: str, a: ArrayLike) -> NDArray[np.float64]:
    """Return ``a`` as a finite 2-d float array, else raise naming the first bad entry."""
    arr = np.asarray(a, dtype=float)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-d array (judgments x levels), got shape {arr.shape}")
    bad = np.argwhere(~np.isfinite(arr))
    if bad.size:
        i, j = bad[0]
        raise ValueError(f"{name}[{i}, {j}] is {arr[i, j]}, not a finite number")
    return arr


def _index(shape: tuple[int, ...], flat: int) -> str:
    return ", ".join(str(int(i)) for i in np.unravel_index(flat, shape))


def _check_rows_increasing(name: str, arr: NDArray[np.float64], strict: bool = True) -> None:
    """Raise if a row of ``arr`` (1-d or 2-d) is not (strictly) increasing."""
    rows = arr.reshape(-1, arr.shape[-1])
    step = np.diff(rows, axis=1)
    bad = np.argwhere(step <= 0 if strict else step < 0)
    if bad.size:
        i, j = bad[0]
        where = f"{i}, {j + 1}" if arr.ndim == 2 else f"{j + 1}"
        word = "increasing" if strict else "non-decreasing"
        raise ValueError(f"{name}[{where}] is not {word}: {rows[i, j + 1]:g} after {rows[i, j]:g}")


def _levels(levels: ArrayLike, n: int, k: int, name: str = "levels") -> NDArray[np.float64]:
    """Check probability levels in (0, 1), increasing; return them broadcast to ``(n, k)``."""
    lv = np.asarray(levels, dtype=float)
    if lv.shape not in ((k,), (n, k)):
        raise ValueError(f"{name} must have shape ({k},) or ({n}, {k}), got {lv.shape}")
    bad = np.flatnonzero(~(np.isfinite(lv) & (lv > 0) & (lv < 1)))
    if bad.size:
        raise ValueError(
            f"{name}[{_index(lv.shape, bad[0])}] is {lv.flat[bad[0]]:g}, not a probability "
            f"strictly between 0 and 1"
        )
    _check_rows_increasing(name, lv)
    return np.broadcast_to(lv, (n, k))


def _bound(name: str, bound: ArrayLike, n: int) -> NDArray[np.float64]:
    """Check a scalar or ``(n,)`` bound (infinite allowed, NaN not); return shape ``(n,)``."""
    b = np.asarray(bound, dtype=float)
    if b.shape not in ((), (n,)):
        raise ValueError(f"{name} must be a scalar or have shape ({n},), got {b.shape}")
    b = np.broadcast_to(b, (n,))
    bad = np.flatnonzero(np.isnan(b))
    if bad.size:
        raise ValueError(f"{name}[{bad[0]}] is nan, not a number")
    return b


def _family_codes(family: ArrayLike, n: int) -> NDArray[np.intp]:
    """Family names or codes (one, or one per row) as an ``(n,)`` array of codes."""
    fam = np.asarray(family)
    if fam.shape not in ((), (n,)):
        raise ValueError(f"family must be one family or have shape ({n},), got {fam.shape}")
    fam = np.broadcast_to(fam, (n,))
    if fam.dtype.kind in "US":
        names, inverse = np.unique(fam, return_inverse=True)
        out = np.array([_CODE.get(str(f), -1) for f in names], dtype=np.intp)[inverse]
    elif fam.dtype.kind in "iu":
        out = fam.astype(np.intp)
    else:
        raise ValueError(f"family must be names or integer codes, got dtype {fam.dtype}")
    bad = np.flatnonzero((out < 0) | (out >= len(FAMILIES)))
    if bad.size:
        raise ValueError(
            f"family[{bad[0]}] = {fam[bad[0]].item()!r} is not one of {', '.join(FAMILIES)}"
        )
    return out


def _check_distributions(
    family: ArrayLike, params: ArrayLike, lower: ArrayLike, upper: ArrayLike
) -> tuple[NDArray[np.intp], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Check one fitted distribution per row; return codes, params, lower, upper."""
    prm = np.asarray(params, dtype=float)
    if prm.ndim != 2 or prm.shape[1] not in (2, 3):
        raise ValueError(f"params must have shape (n, 2) or (n, 3), got {prm.shape}")
    if prm.shape[1] == 2:
        prm = np.concatenate([prm, np.full((prm.shape[0], 1), np.nan)], axis=1)
    n = prm.shape[0]
    codes = _family_codes(family, n)
    lo, hi = _bound("lower", lower, n), _bound("upper", upper, n)
    for code in np.unique(codes):
        name = FAMILIES[code]
        rows = np.flatnonzero(codes == code)
        p = prm[rows]
        used = p[:, : len(PARAMETER_NAMES[name])]
        ok = np.all(np.isfinite(used), axis=1)
        if name in ("gamma", "beta", "mirrorgamma"):
            ok &= np.all(used > 0, axis=1)
        else:
            ok &= p[:, 1] > 0
        if name in ("t", "logt", "mirrorlogt"):
            ok &= p[:, 2] > 0
        if not ok.all():
            i = rows[np.argmin(ok)]
            raise ValueError(
                f"params[{i}] = {prm[i].tolist()} are not valid {name} parameters "
                f"({', '.join(PARAMETER_NAMES[name])})"
            )
        if name in _NEEDS_LOWER and not np.isfinite(lo[rows]).all():
            i = rows[np.argmin(np.isfinite(lo[rows]))]
            raise ValueError(f"lower[{i}] is {lo[i]}; a {name} distribution needs a finite lower")
        if name in _NEEDS_UPPER and not np.isfinite(hi[rows]).all():
            i = rows[np.argmin(np.isfinite(hi[rows]))]
            raise ValueError(f"upper[{i}] is {hi[i]}; a {name} distribution needs a finite upper")
        if name == "beta" and not (lo[rows] < hi[rows]).all():
            i = rows[np.argmin(lo[rows] < hi[rows])]
            raise ValueError(f"lower[{i}] = {lo[i]:g} is not below upper[{i}] = {hi[i]:g}")
    return codes, prm, lo, hi


def _points(name: str, x: ArrayLike, n: int) -> NDArray[np.float64]:
    """Check evaluation points/probabilities of shape ``(n,)`` or ``(n, m)``."""
    arr = np.asarray(x, dtype=float)
    if arr.ndim not in (1, 2) or arr.shape[0] != n:
        raise ValueError(f"{name} must have shape ({n},) or ({n}, m), got {arr.shape}")
    bad = np.flatnonzero(~np.isfinite(arr))
    if bad.size:
        raise ValueError(
            f"{name}[{_index(arr.shape, bad[0])}] is {arr.flat[bad[0]]}, not a finite number"
        )
    return arr


def _probabilities(name: str, q: NDArray[np.float64], closed: bool) -> None:
    ok = (q >= 0) & (q <= 1) if closed else (q > 0) & (q < 1)
    bad = np.flatnonzero(~ok)
    if bad.size:
        span = "[0, 1]" if closed else "(0, 1)"
        raise ValueError(
            f"{name}[{_index(q.shape, bad[0])}] is {q.flat[bad[0]]:g}, not a probability in {span}"
        )


# ------------------------------------------------------------ distribution functions


def _t_cdf(z: NDArray[np.float64], df: ArrayLike) -> NDArray[np.float64]:
    """Student-t CDF; closed form for SHELF's default of 3 degrees of freedom."""
    cdf: NDArray[np.float64]
    if np.all(np.asarray(df) == 3.0):
        u = z / _SQRT3
        with np.errstate(over="ignore"):  # u * u = inf far in the tails: u / inf = 0, right
            cdf = 0.5 + (np.arctan(u) + u / (1.0 + u * u)) / np.pi
    else:
        cdf = special.stdtr(df, z)
    return cdf


def _t_pdf(z: NDArray[np.float64], df: float) -> NDArray[np.float64]:
    const = np.exp(special.gammaln((df + 1) / 2) - special.gammaln(df / 2)) / np.sqrt(df * np.pi)
    with np.errstate(over="ignore"):  # far in the tails the density is 0, as computed
        pdf: NDArray[np.float64] = const * (1.0 + z * z / df) ** (-(df + 1) / 2)
    return pdf


def _norm_pdf(z: NDArray[np.float64]) -> NDArray[np.float64]:
    with np.errstate(over="ignore"):
        pdf: NDArray[np.float64] = np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi)
    return pdf


def _skewnormal_cdf(z: NDArray[np.float64], slant: ArrayLike) -> NDArray[np.float64]:
    # Azzalini's skew-normal: F(z) = Phi(z) - 2 T(z, alpha), T Owen's function.
    cdf: NDArray[np.float64] = np.clip(special.ndtr(z) - 2.0 * special.owens_t(z, slant), 0.0, 1.0)
    return cdf


def _cdf_rows(
    name: str,
    x: NDArray[np.float64],
    prm: NDArray[np.float64],
    lower: NDArray[np.float64],
    upper: NDArray[np.float64],
) -> NDArray[np.float64]:
    """CDF of rows of one family at points ``x`` (rows, m); no checks."""
    a, b, c = prm[:, 0:1], prm[:, 1:2], prm[:, 2:3]
    lo, hi = lower[:, None], upper[:, None]
    cdf: NDArray[np.float64]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if name == "normal":
            cdf = special.ndtr((x - a) / b)
        elif name == "t":
            cdf = _t_cdf((x - a) / b, c)
        elif name == "skewnormal":
            cdf = _skewnormal_cdf((x - a) / b, c)
        elif name == "beta":
            cdf = special.betainc(a, b, np.clip((x - lo) / (hi - lo), 0.0, 1.0))
        else:
            mirrored = name.startswith("mirror")
            y = hi - x if mirrored else x - lo
            inside = y > 0
            y = np.where(inside, y, 1.0)
            if name.endswith("gamma"):
                f = special.gammaincc(a, b * y) if mirrored else special.gammainc(a, b * y)
            else:
                z = (np.log(y) - a) / b
                z = -z if mirrored else z
                f = special.ndtr(z) if name.endswith("lognormal") else _t_cdf(z, c)
            cdf = np.where(inside, f, 1.0 if mirrored else 0.0)
    return cdf


def _ppf_rows(
    name: str,
    q: NDArray[np.float64],
    prm: NDArray[np.float64],
    lower: NDArray[np.float64],
    upper: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Quantile function of rows of one family at levels ``q`` (rows, m); no checks."""
    a, b, c = prm[:, 0:1], prm[:, 1:2], prm[:, 2:3]
    lo, hi = lower[:, None], upper[:, None]
    ppf: NDArray[np.float64]
    with np.errstate(over="ignore"):
        if name == "normal":
            ppf = a + b * special.ndtri(q)
        elif name == "t":
            ppf = a + b * special.stdtrit(c, q)
        elif name == "skewnormal":
            ppf = stats.skewnorm.ppf(q, c, loc=a, scale=b)
        elif name == "gamma":
            ppf = lo + special.gammaincinv(a, q) / b
        elif name == "lognormal":
            ppf = lo + np.exp(a + b * special.ndtri(q))
        elif name == "logt":
            ppf = lo + np.exp(a + b * special.stdtrit(c, q))
        elif name == "beta":
            ppf = lo + (hi - lo) * special.betaincinv(a, b, q)
        elif name == "mirrorgamma":
            ppf = hi - special.gammainccinv(a, q) / b
        elif name == "mirrorlognormal":
            ppf = hi - np.exp(a - b * special.ndtri(q))
        else:
            ppf = hi - np.exp(a - b * special.stdtrit(c, q))
    return ppf


def _by_family(
    fn: Callable[..., NDArray[np.float64]],
    points: NDArray[np.float64],
    codes: NDArray[np.intp],
    prm: NDArray[np.float64],
    lower: NDArray[np.float64],
    upper: NDArray[np.float64],
) -> NDArray[np.float64]:
    """Apply ``fn`` row-wise with each row's family: one vectorised call per family."""
    out = np.empty(points.shape)
    for code in np.unique(codes):
        rows = np.flatnonzero(codes == code)
        out[rows] = fn(FAMILIES[code], points[rows], prm[rows], lower[rows], upper[rows])
    return out


def distribution_cdf(
    x: ArrayLike,
    family: ArrayLike,
    params: ArrayLike,
    lower: ArrayLike = -np.inf,
    upper: ArrayLike = np.inf,
) -> NDArray[np.float64]:
    r"""Evaluate fitted distributions' CDFs, one distribution per row, families mixed.

    With :math:`z = (x - \mu)/\sigma` and :math:`L`, :math:`U` the row's bounds,

    =================  ====================================================================
    normal             :math:`\Phi(z)`
    t                  :math:`T_\nu(z)` (Student-t with :math:`\nu` = ``df`` d.f.)
    skewnormal         :math:`\Phi(z) - 2\,\mathrm{OwenT}(z, \alpha)` (Azzalini)
    gamma              :math:`P(a, b\,(x - L))`, regularised lower incomplete gamma
    lognormal, logt    :math:`\Phi` or :math:`T_\nu` of :math:`(\log(x - L) - \mu)/\sigma`
    beta               :math:`I_{(x - L)/(U - L)}(a, b)`, regularised incomplete beta
    mirror families    :math:`1 - G(U - x)`, with :math:`G` the gamma, lognormal or log-t
                       CDF of :math:`U - X`
    =================  ====================================================================

    Parameters
    ----------
    x : array_like of float, shape (n,) or (n, m)
        Points, one or ``m`` per row.
    family : str or int, or array_like of them, shape (n,)
        Each row's family, a name from :data:`FAMILIES` or its index.
    params : array_like of float, shape (n, 3) or (n, 2)
        Each row's parameters in the order of :data:`PARAMETER_NAMES`
        (SHELF's parameterisation); unused trailing columns may be NaN.
    lower, upper : float or array_like of float, shape (n,)
        Bounds; the lower-bounded families need a finite ``lower``, the mirror
        families a finite ``upper``, beta both.

    Returns
    -------
    ndarray, shape of ``x``

    Raises
    ------
    ValueError
        If a point is not finite, a family is unknown, a parameter is invalid
        (non-positive scale, shape or d.f.), or a needed bound is missing.

    References
    ----------
    J. E. Oakley, *SHELF: Tools to Support the Sheffield Elicitation Framework*,
    R package, ``fitdist`` and ``plinearpool``, https://github.com/OakleyJ/SHELF.
    A. Azzalini, "A class of distributions which includes the normal ones",
    *Scandinavian Journal of Statistics* 12, 171-178, 1985.
    """
    codes, prm, lo, hi = _check_distributions(family, params, lower, upper)
    pts = _points("x", x, codes.size)
    out = _by_family(_cdf_rows, pts.reshape(codes.size, -1), codes, prm, lo, hi)
    return out.reshape(pts.shape)


def distribution_quantile(
    q: ArrayLike,
    family: ArrayLike,
    params: ArrayLike,
    lower: ArrayLike = -np.inf,
    upper: ArrayLike = np.inf,
) -> NDArray[np.float64]:
    r"""Evaluate fitted distributions' quantile functions, one distribution per row.

    The inverse :math:`F^{-1}(q)` of :func:`distribution_cdf`, e.g. for the
    normal :math:`\mu + \sigma\,\Phi^{-1}(q)`, for the gamma
    :math:`L + P^{-1}(a, q)/b`, for the mirror gamma
    :math:`U - Q^{-1}(a, q)/b` (:math:`Q = 1 - P`); the skew-normal's is found
    numerically (``scipy.stats.skewnorm.ppf``).

    Parameters
    ----------
    q : array_like of float, shape (n,) or (n, m)
        Levels in (0, 1), one or ``m`` per row.
    family, params, lower, upper
        As for :func:`distribution_cdf`.

    Returns
    -------
    ndarray, shape of ``q``

    Raises
    ------
    ValueError
        If a level is outside (0, 1), or as for :func:`distribution_cdf`.

    References
    ----------
    J. E. Oakley, *SHELF*, R package, ``feedback`` / ``qlinearpool``,
    https://github.com/OakleyJ/SHELF.
    """
    codes, prm, lo, hi = _check_distributions(family, params, lower, upper)
    levels = _points("q", q, codes.size)
    _probabilities("q", levels, closed=False)
    out = _by_family(_ppf_rows, levels.reshape(codes.size, -1), codes, prm, lo, hi)
    return out.reshape(levels.shape)


# ------------------------------------------------------------------------ fitting


_Model = Callable[..., tuple[NDArray[np.float64], NDArray[np.float64] | None]]
"""``model(theta, *data, jac=bool)``: residuals, and the Jacobian when ``jac`` (else None)."""


def _levenberg_marquardt(
    model: _Model,
    theta: NDArray[np.float64],
    data: tuple[NDArray[np.float64], ...],
    *,
    max_iter: int,
    gtol: float = 1e-8,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    r"""Minimise :math:`\sum_j r_j(\theta)^2` for every row at once (Levenberg-Marquardt).

    Each iteration solves, for all still active rows together (a batched
    ``np.linalg.solve`` of p x p systems),
    :math:`(J^\top J + \lambda\,\mathrm{diag}(J^\top J))\,\delta = -J^\top r`,
    accepts :math:`\theta + \delta` if it lowers the sum of squares (then
    :math:`\lambda \leftarrow \lambda/3`), else :math:`\lambda \leftarrow 10\lambda`.
    A row stops when every column of :math:`J` is orthogonal to :math:`r` to
    ``gtol`` (MINPACK's gradient test; the sum of squares is then within about
    ``gtol**2`` of its minimum, relatively), when the fit is exact (sum of
    squares below 1e-28), or when steps no longer lower the sum by more than
    rounding.

    ``model(theta, *data, jac=bool)`` returns residuals (rows, k) and, if asked,
    the Jacobian (rows, k, p); ``data`` arrays have one row per row of ``theta``.
    """
    theta = theta.copy()
    n, n_par = theta.shape
    r, jac = model(theta, *data, jac=True)
    assert jac is not None  # asked for with jac=True
    cost = np.einsum("nk,nk->n", r, r)
    lam = np.full(n, 1e-3)
    active = np.isfinite(cost) & np.isfinite(jac).all(axis=(1, 2))
    cost[~active] = np.inf
    eye = np.eye(n_par)
    for _ in range(max_iter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        j_a, r_a = jac[idx], r[idx]
        grad = np.einsum("nkp,nk->np", j_a, r_a)
        gram = np.einsum("nkp,nkq->npq", j_a, j_a)
        diag = np.diagonal(gram, axis1=1, axis2=2)
        cosine = np.abs(grad) / np.sqrt(diag * cost[idx, None] + 1e-300)
        done = (cosine.max(axis=1) <= gtol) | (cost[idx] <= 1e-28) | (lam[idx] > 1e10)
        if done.any():
            active[idx[done]] = False
            keep = ~done
            idx, grad, gram, diag = idx[keep], grad[keep], gram[keep], diag[keep]
            if idx.size == 0:
                break
        scale = np.maximum(diag, 1e-12 * diag.max(axis=1, keepdims=True) + 1e-300)
        system = gram + lam[idx, None, None] * scale[:, :, None] * eye
        step = np.linalg.solve(system, -grad[..., None])[..., 0]
        trial = theta[idx] + step
        sub = tuple(d[idx] for d in data)
        r_t, _ = model(trial, *sub, jac=False)
        c_t = np.einsum("nk,nk->n", r_t, r_t)
        ok = np.isfinite(c_t) & (c_t < cost[idx])
        lam[idx] = np.where(ok, np.maximum(lam[idx] / 3, 1e-9), lam[idx] * 10)
        stalled = ok & (cost[idx] - c_t <= 1e-15 * cost[idx])
        active[idx[stalled]] = False
        if ok.any():
            acc = idx[ok]
            r_acc, j_acc = model(trial[ok], *(d[ok] for d in sub), jac=True)
            assert j_acc is not None  # asked for with jac=True
            good = np.isfinite(j_acc).all(axis=(1, 2))
            acc, r_acc, j_acc = acc[good], r_acc[good], j_acc[good]
            theta[acc] = trial[ok][good]
            cost[acc] = c_t[ok][good]
            r[acc], jac[acc] = r_acc, j_acc
    return theta, cost


def _location_scale_model(
    cdf: Callable[[NDArray[np.float64]], NDArray[np.float64]],
    pdf: Callable[[NDArray[np.float64]], NDArray[np.float64]],
) -> _Model:
    """Residuals ``sw (G((t - mu)/sigma) - p)`` in ``(mu, log sigma)``, with the Jacobian."""

    def model(
        theta: NDArray[np.float64],
        t: NDArray[np.float64],
        p: NDArray[np.float64],
        sw: NDArray[np.float64],
        jac: bool,
    ) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
        sigma = np.exp(np.clip(theta[:, 1:2], -300, 300))
        z = (t - theta[:, 0:1]) / sigma
        r = sw * (cdf(z) - p)
        if not jac:
            return r, None
        g = sw * pdf(z)
        return r, np.stack((-g / sigma, -g * z), axis=-1)

    return model


def _skewnormal_model(
    theta: NDArray[np.float64],
    t: NDArray[np.float64],
    p: NDArray[np.float64],
    sw: NDArray[np.float64],
    *slant: NDArray[np.float64],
    jac: bool,
) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
    """Skew-normal residuals in ``(xi, log omega[, alpha])``; slant fixed if passed."""
    omega = np.exp(np.clip(theta[:, 1:2], -300, 300))
    alpha = slant[0] if slant else theta[:, 2:3]
    z = (t - theta[:, 0:1]) / omega
    r = sw * (_skewnormal_cdf(z, alpha) - p)
    if not jac:
        return r, None
    g = sw * 2.0 * _norm_pdf(z) * special.ndtr(alpha * z)
    cols = [-g / omega, -g * z]
    if not slant:
        one = 1.0 + alpha * alpha
        cols.append(-sw * np.exp(-0.5 * z * z * one) / (np.pi * one))
    return r, np.stack(cols, axis=-1)


def _gamma_model(
    theta: NDArray[np.float64],
    y: NDArray[np.float64],
    p: NDArray[np.float64],
    sw: NDArray[np.float64],
    jac: bool,
) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
    """Gamma residuals ``sw (P(a, b y) - p)`` in ``(log a, log b)``."""
    log_a, log_b = np.clip(theta[:, 0:1], -50, 50), np.clip(theta[:, 1:2], -300, 300)
    a, by = np.exp(log_a), np.exp(log_b) * y
    r = sw * (special.gammainc(a, by) - p)
    if not jac:
        return r, None
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        d_log_b = np.exp(a * np.log(by) - by - special.gammaln(a))
        d_log_a = (
            special.gammainc(a * np.exp(_FD_STEP), by) - special.gammainc(a * np.exp(-_FD_STEP), by)
        ) / (2 * _FD_STEP)
    return r, sw[..., None] * np.stack((d_log_a, d_log_b), axis=-1)


def _beta_model(
    theta: NDArray[np.float64],
    y: NDArray[np.float64],
    p: NDArray[np.float64],
    sw: NDArray[np.float64],
    jac: bool,
) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
    """Beta residuals ``sw (I_y(a, b) - p)`` in ``(log a, log b)``."""
    a, b = np.exp(np.clip(theta[:, 0:1], -50, 50)), np.exp(np.clip(theta[:, 1:2], -50, 50))
    r = sw * (special.betainc(a, b, y) - p)
    if not jac:
        return r, None
    up, down = np.exp(_FD_STEP), np.exp(-_FD_STEP)
    d_log_a = (special.betainc(a * up, b, y) - special.betainc(a * down, b, y)) / (2 * _FD_STEP)
    d_log_b = (special.betainc(a, b * up, y) - special.betainc(a, b * down, y)) / (2 * _FD_STEP)
    return r, sw[..., None] * np.stack((d_log_a, d_log_b), axis=-1)


def _segments(q: NDArray[np.float64], xp: NDArray[np.float64]) -> NDArray[np.intp]:
    """Return the index ``j`` of the knots ``xp[:, j]``, ``xp[:, j + 1]`` around each ``q``."""
    count: NDArray[np.intp] = np.sum(xp[:, None, :] <= q[:, :, None], axis=2, dtype=np.intp)
    return np.clip(count - 1, 0, xp.shape[1] - 2)


def _interp_rows(
    q: NDArray[np.float64], xp: NDArray[np.float64], fp: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Row-wise linear interpolation: ``np.interp(q[i], xp[i], fp[i])`` for every row.

    ``q`` has shape (n, m); ``xp`` (n, K) is non-decreasing along rows; ``q``
    outside ``[xp[:, 0], xp[:, -1]]`` takes the end values; at repeated knots the
    value of the last copy (continuous from the right).
    """
    j = _segments(q, xp)
    x0 = np.take_along_axis(xp, j, axis=1)
    x1 = np.take_along_axis(xp, j + 1, axis=1)
    f0 = np.take_along_axis(fp, j, axis=1)
    f1 = np.take_along_axis(fp, j + 1, axis=1)
    width = x1 - x0
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(width > 0, (np.clip(q, x0, x1) - x0) / width, q >= x0)
    return f0 + frac * (f1 - f0)


@dataclass(frozen=True, eq=False)
class QuantileFit:
    """Result of :func:`fit_quantiles`: every family fitted to every judgment.

    Attributes
    ----------
    params : ndarray, shape (n, 10, 3)
        ``params[i, f]`` holds judgment ``i``'s fitted parameters for family
        ``FAMILIES[f]``, columns as in :data:`PARAMETER_NAMES` (SHELF's
        parameterisation); NaN where the family was not fitted (it needs a
        bound the judgment lacks, or was not asked for) and in unused columns.
    ssq : ndarray, shape (n, 10)
        Sum of squared differences between the elicited and the fitted
        cumulative probabilities; NaN where not fitted.
    best : ndarray of int, shape (n,)
        Index into :data:`FAMILIES` of each judgment's best fitting family.
    lower, upper : ndarray, shape (n,)
        The bounds used (``-inf`` / ``inf`` for none).
    """

    params: NDArray[np.float64]
    ssq: NDArray[np.float64]
    best: NDArray[np.intp]
    lower: NDArray[np.float64]
    upper: NDArray[np.float64]

    @property
    def best_family(self) -> NDArray[np.str_]:
        """Name of each judgment's best fitting family, shape (n,)."""
        return np.asarray(FAMILIES)[self.best]

    def parameters(self, family: str) -> NDArray[np.float64]:
        """One family's fitted parameters for every judgment, shape (n, n_params)."""
        if family not in _CODE:
            raise ValueError(f"family {family!r} is not one of {', '.join(FAMILIES)}")
        return self.params[:, _CODE[family], : len(PARAMETER_NAMES[family])]

    def distributions(
        self, family: str | None = None
    ) -> tuple[NDArray[np.intp], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """``(family, params, lower, upper)`` for :func:`distribution_cdf` and the pools.

        The best fitting family of each judgment, or ``family`` for all of them.
        """
        n = self.best.size
        if family is None:
            codes = self.best
        elif family in _CODE:
            codes = np.full(n, _CODE[family], dtype=np.intp)
        else:
            raise ValueError(f"family {family!r} is not one of {', '.join(FAMILIES)}")
        return codes, self.params[np.arange(n), codes], self.lower, self.upper


def _shelf_starts(
    x: NDArray[np.float64], p: NDArray[np.float64]
) -> tuple[
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
]:
    """SHELF ``fitdist``'s starting values, from a normal through the outer quantiles."""
    x_min, x_max = x[:, 0], x[:, -1]
    z_min, z_max = special.ndtri(p[:, 0]), special.ndtri(p[:, -1])
    m = (x_min * z_max - x_max * z_min) / (z_max - z_min)
    v = ((x_max - x_min) / (z_max - z_min)) ** 2
    q = _interp_rows(np.broadcast_to([0.4, 0.5, 0.6], (x.shape[0], 3)), p, x)
    return m, v, q[:, 0], q[:, 1], q[:, 2], z_min, z_max


def _best_of_starts(
    model: _Model, starts: NDArray[np.float64], data: tuple[NDArray[np.float64], ...], max_iter: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Run the batched fit from several starts per row (all at once); keep each row's best.

    ``starts`` has shape (s, n, p); returns parameters (n, p) and sums of squares (n,).
    """
    s, n, _ = starts.shape
    tiled = tuple(np.tile(d, (s,) + (1,) * (d.ndim - 1)) for d in data)
    theta, ssq = _levenberg_marquardt(model, starts.reshape(s * n, -1), tiled, max_iter=max_iter)
    ssq = np.where(np.isfinite(ssq), ssq, np.inf).reshape(s, n)
    pick = np.argmin(ssq, axis=0)
    return theta.reshape(s, n, -1)[pick, np.arange(n)], ssq[pick, np.arange(n)]


def _pair_lines(
    t: NDArray[np.float64], z: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Lines ``t = mu + sigma z`` through each pair of adjacent points: (k - 1, n) each."""
    dz = z[:, 1:] - z[:, :-1]
    sigma = (t[:, 1:] - t[:, :-1]) / dz
    mu = (t[:, :-1] * z[:, 1:] - t[:, 1:] * z[:, :-1]) / dz
    return mu.T, sigma.T


def _fit_location_scale(
    model: _Model,
    inverse: Callable[[NDArray[np.float64]], NDArray[np.float64]],
    t: NDArray[np.float64],
    p: NDArray[np.float64],
    sw: NDArray[np.float64],
    mu0: NDArray[np.float64],
    log_sigma0: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Fit ``G((t - mu)/sigma)`` to rows; return mu, sigma and the sum of squares.

    Each row is normalised to unit range first. Starts: SHELF's ``(mu0, log
    sigma0)`` and the exact fit through each pair of adjacent quantiles
    (``inverse`` is the standard quantile function of ``G``).
    """
    centre = t.mean(axis=1, keepdims=True)
    spread = np.ptp(t, axis=1, keepdims=True)
    tn = (t - centre) / spread
    mu_pair, sigma_pair = _pair_lines(tn, inverse(p))
    shelf = np.stack(((mu0 - centre[:, 0]) / spread[:, 0], log_sigma0 - np.log(spread[:, 0])), -1)
    with np.errstate(divide="ignore", invalid="ignore"):
        pairs = np.stack((mu_pair, np.log(sigma_pair)), axis=-1)
    pairs = np.where(np.isfinite(pairs), pairs, shelf)
    starts = np.concatenate((shelf[None], pairs))
    theta, ssq = _best_of_starts(model, starts, (tn, p, sw), max_iter=100)
    return centre[:, 0] + spread[:, 0] * theta[:, 0], spread[:, 0] * np.exp(theta[:, 1]), ssq


def _fit_skewnormal(
    t: NDArray[np.float64],
    p: NDArray[np.float64],
    sw: NDArray[np.float64],
    mean: NDArray[np.float64],
    sd: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """SHELF's two-stage skew-normal fit: location/scale on a slant grid, then jointly."""
    n, g = t.shape[0], _SLANT_GRID.size
    centre = t.mean(axis=1, keepdims=True)
    spread = np.ptp(t, axis=1, keepdims=True)
    tn = (t - centre) / spread
    delta = _SLANT_GRID / np.sqrt(1 + _SLANT_GRID**2)
    omega = (sd / spread[:, 0])[:, None] / np.sqrt(1 - 2 * delta**2 / np.pi)  # (n, g)
    xi = ((mean - centre[:, 0]) / spread[:, 0])[:, None] - omega * delta * np.sqrt(2 / np.pi)
    start = np.column_stack((xi.ravel(), np.log(omega.ravel())))
    rep = (np.repeat(tn, g, axis=0), np.repeat(p, g, axis=0), np.repeat(sw, g, axis=0))
    slant = np.tile(_SLANT_GRID, n)[:, None]
    theta, ssq = _levenberg_marquardt(_skewnormal_model, start, (*rep, slant), max_iter=60)
    pick = np.argmin(np.where(np.isfinite(ssq), ssq, np.inf).reshape(n, g), axis=1)
    # Joint fits from the best slant and its two grid neighbours: slant 0 is a
    # stationary point of the least-squares surface (the slant's Jacobian column
    # is parallel to the location's there), which a fit started on it never leaves.
    near = np.clip(pick + np.array([[0], [-1], [1]]), 0, g - 1)  # (3, n)
    chosen = np.arange(n) * g + near
    joint = np.concatenate((theta[chosen], _SLANT_GRID[near][..., None]), axis=-1)
    theta, ssq = _best_of_starts(_skewnormal_model, joint, (tn, p, sw), max_iter=200)
    return (
        centre[:, 0] + spread[:, 0] * theta[:, 0],
        spread[:, 0] * np.exp(theta[:, 1]),
        theta[:, 2],
        ssq,
    )


def _moment_starts(
    y: NDArray[np.float64],
    p: NDArray[np.float64],
    mean0: NDArray[np.float64],
    v0: NDArray[np.float64],
    to_shapes: Callable[
        [NDArray[np.float64], NDArray[np.float64]], tuple[NDArray[np.float64], NDArray[np.float64]]
    ],
) -> NDArray[np.float64]:
    """Log-shape starts: SHELF's moments ``(mean0, v0)``, and a normal through each pair.

    ``to_shapes(mean, var)`` turns moments into the family's two parameters;
    starts it cannot make (non-positive or non-finite) fall back to SHELF's.
    Returns shape (k, n, 2).
    """
    mu_pair, sigma_pair = _pair_lines(y, special.ndtri(p))
    means = np.concatenate((mean0[None], mu_pair))
    variances = np.concatenate((v0[None], sigma_pair**2))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        first, second = to_shapes(means, variances)
        starts = np.stack((np.log(first), np.log(second)), axis=-1)
    ok = np.isfinite(starts).all(axis=-1, keepdims=True)
    fallback = np.where(ok[0], starts[0], 0.0)
    return np.where(ok, starts, fallback)


def _gamma_shapes(
    mean: NDArray[np.float64], var: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Gamma (shape, rate) with the given mean and variance: ``(m^2/v, m/v)``."""
    return mean * mean / var, mean / var


def _beta_shapes(
    mean: NDArray[np.float64], var: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Beta shapes from a mean and variance, SHELF's formula (absolute values)."""
    alp = np.abs(mean**3 / var * (1 / mean - 1) - mean)
    return alp, np.abs(alp / mean - alp)


def _fit_gamma(
    y: NDArray[np.float64],
    p: NDArray[np.float64],
    sw: NDArray[np.float64],
    mean0: NDArray[np.float64],
    v0: NDArray[np.float64],
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Fit a gamma to positive ``y`` (rows normalised by their mean); return a, b, ssq."""
    unit = y.mean(axis=1, keepdims=True)
    yn = y / unit
    starts = _moment_starts(yn, p, mean0 / unit[:, 0], v0 / unit[:, 0] ** 2, _gamma_shapes)
    theta, ssq = _best_of_starts(_gamma_model, starts, (yn, p, sw), max_iter=100)
    return np.exp(theta[:, 0]), np.exp(theta[:, 1]) / unit[:, 0], ssq


def fit_quantiles(
    values: ArrayLike,
    levels: ArrayLike,
    lower: ArrayLike = -np.inf,
    upper: ArrayLike = np.inf,
    *,
    tdf: float = 3.0,
    point_weights: ArrayLike | None = None,
    families: Sequence[str] | None = None,
    exclude_logt: bool = False,
    tie_tolerance: float = 1e-12,
) -> QuantileFit:
    r"""Fit distributions to each judgment's quantiles by least squares on the CDF (SHELF).

    For judgment :math:`i` with values :math:`x_{ij}` at levels :math:`p_{ij}`
    and each family :math:`F_\theta`, minimise

    .. math:: S_i(\theta) = \sum_j w_{ij}\,\bigl(F_\theta(x_{ij}) - p_{ij}\bigr)^2,

    the objective of SHELF's ``fitdist``, over its parameterisation (log scales
    and log shapes), from its starting values: a normal through the outer
    quantiles, :math:`m = (x_1 z_k - x_k z_1)/(z_k - z_1)`,
    :math:`v = ((x_k - x_1)/(z_k - z_1))^2` with :math:`z_j = \Phi^{-1}(p_j)`,
    and the moment-matched gamma, beta and log-scale starts derived from it.
    The skew-normal is fitted in SHELF's two stages: location and scale for
    each slant in {-20, -10, -5, ..., 5, 10, 20}, then all three parameters
    from the best of those (here from its fitted, not its starting, location
    and scale, and also from its two neighbours on the grid, since slant 0 is
    a stationary point of the objective). Which families are fitted depends on the bounds:

    * always: normal, Student-t with ``tdf`` d.f., skew-normal (needs k >= 3);
    * finite ``lower`` :math:`L`: gamma, lognormal and log-t of :math:`X - L`;
    * finite ``lower`` and ``upper``: beta of :math:`(X - L)/(U - L)`;
    * finite ``upper`` :math:`U`: mirror gamma, lognormal, log-t of :math:`U - X`.

    The best fitting family of a judgment is the one with the smallest
    :math:`S_i` (SHELF's ``best.fitting``), ties (within ``tie_tolerance``)
    going to the earlier family in :data:`FAMILIES`, as R's ``which.min`` does.

    The minimisation is a Levenberg-Marquardt iteration run on all judgments
    of a family at once (analytic Jacobians, central differences for gamma and
    beta shapes), each judgment's values normalised to unit range first. Two-
    parameter families start from SHELF's values and also from the exact fit
    through each pair of adjacent quantiles (for gamma and beta, the moments of
    the normal through them), keeping the best: lopsided judgments often have
    their least-squares fit there, which a single start can miss. The result
    is never worse than SHELF's Nelder-Mead from its own start, usually better
    by its tolerance. Near slant 0 the skew-normal's parameters are poorly
    determined by the quantiles (its CDF is matched, its slant only roughly).

    Parameters
    ----------
    values : array_like of float, shape (n, k)
        Each judgment's quantile values, strictly increasing along a row.
    levels : array_like of float, shape (k,) or (n, k)
        Their levels :math:`P(X \le x_{ij})`, strictly increasing in (0, 1),
        including one below 0.4 and one above 0.6 (SHELF's requirement).
    lower, upper : float or array_like of float, shape (n,)
        Bounds on the quantity; ``-inf`` / ``inf`` for none. Values must lie
        strictly inside.
    tdf : float
        Degrees of freedom of the t and log-t families (SHELF's default 3).
    point_weights : array_like of float, shape (k,) or (n, k), optional
        The weights :math:`w_{ij}` (SHELF's ``weights``); default all 1.
    families : sequence of str, optional
        Fit only these families; the others get NaN.
    exclude_logt : bool
        Leave log-t and mirror log-t out of the choice of the best family
        (SHELF's ``excludelogt``); they are still fitted.
    tie_tolerance : float
        Sums of squares within this of the smallest count as ties.

    Returns
    -------
    QuantileFit
        ``params`` (n, 10, 3), ``ssq`` (n, 10), ``best`` (n,), bounds.

    Raises
    ------
    ValueError
        If a value is not finite or not increasing along its row, a level is
        outside (0, 1) or not increasing, no level is below 0.4 or above 0.6,
        a value is not strictly inside its bounds, ``lower >= upper``, ``tdf``
        is not positive, a point weight is negative, a family is unknown,
        ``tie_tolerance`` is negative, or no family asked for can be fitted to a
        judgment (e.g. only ``beta`` without both bounds; the message names it).

    References
    ----------
    J. E. Oakley and A. O'Hagan, *SHELF: the Sheffield Elicitation Framework*
    (version 4), University of Sheffield, 2019; J. E. Oakley, *SHELF: Tools to
    Support the Sheffield Elicitation Framework*, R package, function
    ``fitdist``, https://github.com/OakleyJ/SHELF.
    D. W. Marquardt, "An algorithm for least-squares estimation of nonlinear
    parameters", *SIAM J. Applied Mathematics* 11(2), 431-441, 1963.
    """
    x = _matrix("values", values)
    n, k = x.shape
    if k < 2:
        raise ValueError(f"values needs at least 2 quantiles per judgment, got {k}")
    p = _levels(levels, n, k)
    _check_rows_increasing("values", x)
    low_ok, high_ok = (p < 0.4).any(axis=1), (p > 0.6).any(axis=1)
    bad = np.flatnonzero(~(low_ok & high_ok))
    if bad.size:
        i = bad[0]
        raise ValueError(
            f"levels of judgment {i} ({', '.join(f'{v:g}' for v in p[i])}) need one below 0.4 "
            f"and one above 0.6"
        )
    lo, hi = _bound("lower", lower, n), _bound("upper", upper, n)
    bad = np.flatnonzero(lo >= hi)
    if bad.size:
        i = bad[0]
        raise ValueError(f"lower[{i}] = {lo[i]:g} is not below upper[{i}] = {hi[i]:g}")
    bad = np.flatnonzero(x[:, 0] <= lo)
    if bad.size:
        i = bad[0]
        raise ValueError(f"values[{i}, 0] = {x[i, 0]:g} is not above lower[{i}] = {lo[i]:g}")
    bad = np.flatnonzero(x[:, -1] >= hi)
    if bad.size:
        i = bad[0]
        raise ValueError(f"values[{i}, {k - 1}] = {x[i, -1]:g} is not below upper[{i}] = {hi[i]:g}")
    if not (np.isfinite(tdf) and tdf > 0):
        raise ValueError(f"tdf must be a positive number, got {tdf}")
    if point_weights is None:
        sw = np.ones((n, k))
    else:
        w = np.asarray(point_weights, dtype=float)
        if w.shape not in ((k,), (n, k)):
            raise ValueError(f"point_weights must have shape ({k},) or ({n}, {k}), got {w.shape}")
        badw = np.flatnonzero(~(np.isfinite(w) & (w >= 0)))
        if badw.size:
            raise ValueError(
                f"point_weights[{_index(w.shape, badw[0])}] is {w.flat[badw[0]]}, "
                f"not a finite non-negative number"
            )
        sw = np.sqrt(np.broadcast_to(w, (n, k)))
    wanted = set(FAMILIES if families is None else families)
    unknown = sorted(wanted - set(FAMILIES))
    if unknown:
        raise ValueError(f"family {unknown[0]!r} is not one of {', '.join(FAMILIES)}")
    if not wanted:
        raise ValueError(f"families is empty; name at least one of {', '.join(FAMILIES)}")
    if not np.isfinite(tie_tolerance) or tie_tolerance < 0:
        raise ValueError(f"tie_tolerance must be a finite non-negative number, got {tie_tolerance}")

    params = np.full((n, len(FAMILIES), 3), np.nan)
    ssq = np.full((n, len(FAMILIES)), np.nan)
    m, v, q40, q50, q60, z_min, z_max = _shelf_starts(x, p)
    everyone = np.arange(n)

    def store(
        name: str,
        rows: NDArray[np.intp],
        columns: tuple[NDArray[np.float64], ...],
        error: NDArray[np.float64],
    ) -> None:
        if name in wanted:
            params[rows, _CODE[name], : len(columns)] = np.column_stack(columns)
            ssq[rows, _CODE[name]] = error

    normal = _location_scale_model(special.ndtr, _norm_pdf)
    student = _location_scale_model(lambda z: _t_cdf(z, tdf), lambda z: _t_pdf(z, tdf))

    def t_inverse(q: NDArray[np.float64]) -> NDArray[np.float64]:
        quantiles: NDArray[np.float64] = special.stdtrit(tdf, q)
        return quantiles

    # Unbounded families; the skew-normal starts from the fitted normal.
    if wanted & {"normal", "skewnormal"}:
        mean, sd, err = _fit_location_scale(normal, special.ndtri, x, p, sw, m, 0.5 * np.log(v))
        store("normal", everyone, (mean, sd), err)
        if "skewnormal" in wanted and k >= 3:
            xi, omega, alpha, err = _fit_skewnormal(x, p, sw, mean, sd)
            store("skewnormal", everyone, (xi, omega, alpha), err)
    if "t" in wanted:
        mu, sigma, err = _fit_location_scale(student, t_inverse, x, p, sw, m, 0.5 * np.log(v))
        store("t", everyone, (mu, sigma, np.full(n, float(tdf))), err)

    # Gamma, lognormal, log-t of X - L, and the same of U - X ("mirror").
    for mirrored in (False, True):
        names = tuple(("mirror" if mirrored else "") + f for f in ("gamma", "lognormal", "logt"))
        rows = np.flatnonzero(np.isfinite(hi if mirrored else lo))
        if rows.size == 0 or not wanted & set(names):
            continue
        zl, zh = z_min[rows], z_max[rows]
        if mirrored:
            bound = hi[rows]
            y, prob = bound[:, None] - x[rows], 1.0 - p[rows]
            mean, median = bound - m[rows], bound - q50[rows]
            # SHELF's mirror log-normal location start, formula as in fitdist.
            mlog = (np.log(y[:, -1]) * (1 - zl) - np.log(y[:, 0]) * (1 - zh)) / (zh - zl)
            slog = (np.log(bound - q40[rows]) - np.log(bound - q60[rows])) / 1.35
        else:
            bound = lo[rows]
            y, prob = x[rows] - bound[:, None], p[rows]
            mean, median = m[rows] - bound, q50[rows] - bound
            # Log-normal through the outer quantiles on the log scale.
            mlog = (np.log(y[:, 0]) * zh - np.log(y[:, -1]) * zl) / (zh - zl)
            slog = (np.log(q60[rows] - bound) - np.log(q40[rows] - bound)) / 1.35
        # SHELF takes logs of the normal's mean shifted to the bound; it can be <= 0.
        mean = np.where(mean > 0, mean, median)
        weight = sw[rows]
        if names[0] in wanted:
            a, b, err = _fit_gamma(y, prob, weight, mean, v[rows])
            store(names[0], rows, (a, b), err)
        log_y = np.log(y)
        if names[1] in wanted:
            mu, sigma, err = _fit_location_scale(
                normal, special.ndtri, log_y, prob, weight, mlog, np.log(slog)
            )
            store(names[1], rows, (mu, sigma), err)
        if names[2] in wanted:
            mu, sigma, err = _fit_location_scale(
                student, t_inverse, log_y, prob, weight, np.log(mean), np.log(slog)
            )
            store(names[2], rows, (mu, sigma, np.full(rows.size, float(tdf))), err)

    # Beta of (X - L) / (U - L); SHELF starts uniform if the judgment is uniform.
    rows = np.flatnonzero(np.isfinite(lo) & np.isfinite(hi))
    if "beta" in wanted and rows.size:
        width = hi[rows] - lo[rows]
        y = (x[rows] - lo[rows, None]) / width[:, None]
        m2, v2 = (m[rows] - lo[rows]) / width, v[rows] / width**2
        starts = _moment_starts(y, p[rows], m2, v2, _beta_shapes)
        starts[0, np.all(p[rows] == y, axis=1)] = 0.0
        theta, err = _best_of_starts(_beta_model, starts, (y, p[rows], sw[rows]), max_iter=100)
        store("beta", rows, (np.exp(theta[:, 0]), np.exp(theta[:, 1])), err)

    choice = ssq.copy()
    if exclude_logt:
        choice[:, [_CODE["logt"], _CODE["mirrorlogt"]]] = np.nan
    choice[~np.isfinite(choice)] = np.inf
    smallest = choice.min(axis=1, keepdims=True)
    unfitted = np.flatnonzero(np.isinf(smallest[:, 0]))
    if unfitted.size:
        i = unfitted[0]
        asked = ", ".join(f for f in FAMILIES if f in wanted) or "none"
        raise ValueError(
            f"no family could be fitted to judgment {i} (families asked for: {asked}; "
            f"bounds [{lo[i]:g}, {hi[i]:g}]): lower-bounded families need a finite lower "
            f"bound, mirror families an upper bound, beta both, skewnormal three quantiles"
            + (", and exclude_logt leaves out the log-t families" if exclude_logt else "")
        )
    best = np.argmax(choice <= smallest + tie_tolerance, axis=1)
    return QuantileFit(params=params, ssq=ssq, best=best, lower=lo.copy(), upper=hi.copy())


# ------------------------------------------------------------------------- pooling


def _pool_weights(
    weights: ArrayLike | None, groups: NDArray[np.intp], n_groups: int
) -> tuple[NDArray[np.float64], NDArray[np.intp]]:
    """Weights normalised to sum 1 within each group, and the group sizes."""
    n = groups.size
    w = grouped_weights(weights, n)
    w = np.ones(n) if w is None else w
    counts = np.bincount(groups, minlength=n_groups)
    totals = np.bincount(groups, weights=w, minlength=n_groups)
    bad = np.flatnonzero((counts > 0) & (totals <= 0))
    if bad.size:
        raise ValueError(
            f"weights of group {bad[0]} sum to 0; give one of its judgments a positive weight"
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        return w / totals[groups], counts


def _pool_setup(
    family: ArrayLike,
    params: ArrayLike,
    lower: ArrayLike,
    upper: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    weights: ArrayLike | None,
) -> tuple[
    NDArray[np.intp],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.intp],
    NDArray[np.float64],
    NDArray[np.intp],
    sparse.csr_matrix,
]:
    codes, prm, lo, hi = _check_distributions(family, params, lower, upper)
    n = codes.size
    _, grp = grouped_input(np.zeros(n), groups, n_groups)
    w, counts = _pool_weights(weights, grp, n_groups)
    mixing = sparse.csr_matrix((w, (grp, np.arange(n))), shape=(n_groups, n))
    return codes, prm, lo, hi, grp, w, counts, mixing


def linear_pool_cdf(
    x: ArrayLike,
    family: ArrayLike,
    params: ArrayLike,
    lower: ArrayLike,
    upper: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    weights: ArrayLike | None = None,
) -> NDArray[np.float64]:
    r"""CDF of the (weighted) linear pool of the experts' distributions, every question at once.

    For question :math:`g` with experts :math:`i \in g`, weights :math:`w_i \ge 0`
    and fitted CDFs :math:`F_i`,

    .. math:: F_g(x) = \sum_{i \in g} \frac{w_i}{\sum_{l \in g} w_l}\,F_i(x),

    as SHELF's ``plinearpool``. One sparse matrix product pools all questions.

    Parameters
    ----------
    x : array_like of float, shape (m,) or (n_groups, m)
        Points, the same for every question or ``m`` per question.
    family, params, lower, upper
        One fitted distribution per judgment, as for :func:`distribution_cdf`
        (``QuantileFit.distributions()`` gives them), n judgments.
    groups : array_like of int, shape (n,)
        Question index of each judgment, in ``[0, n_groups)``.
    n_groups : int
        Number of questions.
    weights : array_like of float, shape (n,), optional
        Non-negative expert weights (default equal); normalised per question.

    Returns
    -------
    ndarray, shape (n_groups, m)
        NaN for a question with no judgments.

    Raises
    ------
    ValueError
        If a point is not finite, a question's weights sum to 0, or as for
        :func:`distribution_cdf` and :func:`elicit.core.layout.grouped_input`.

    References
    ----------
    M. Stone, "The opinion pool", *Annals of Mathematical Statistics* 32(4),
    1339-1342, 1961. J. E. Oakley, *SHELF*, R package, ``plinearpool``.
    """
    codes, prm, lo, hi, grp, _, counts, mixing = _pool_setup(
        family, params, lower, upper, groups, n_groups, weights
    )
    pts = np.asarray(x, dtype=float)
    if pts.ndim == 1:
        pts = np.broadcast_to(pts, (n_groups, pts.size))
    if pts.ndim != 2 or pts.shape[0] != n_groups:
        raise ValueError(f"x must have shape (m,) or ({n_groups}, m), got {np.shape(x)}")
    bad = np.flatnonzero(~np.isfinite(pts))
    if bad.size:
        raise ValueError(
            f"x[{_index(pts.shape, bad[0])}] is {pts.flat[bad[0]]}, not a finite number"
        )
    each = _by_family(_cdf_rows, pts[grp], codes, prm, lo, hi)
    out = np.asarray(mixing @ each)
    out[counts == 0] = np.nan
    return out


def linear_pool_quantiles(
    levels: ArrayLike,
    family: ArrayLike,
    params: ArrayLike,
    lower: ArrayLike,
    upper: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    weights: ArrayLike | None = None,
    *,
    rtol: float = 1e-12,
    max_iter: int = 200,
) -> NDArray[np.float64]:
    r"""Quantiles of each question's linear pool, by bisection on all questions at once.

    The pooled quantile :math:`Q_g(q) = \inf\{x : F_g(x) \ge q\}` of the pool
    :math:`F_g` of :func:`linear_pool_cdf` lies between the smallest and the
    largest of the experts' own quantiles :math:`F_i^{-1}(q)` (over experts of
    positive weight), since there :math:`F_g \le q` and :math:`F_g \ge q`.
    Starting from that bracket, every (question, level) pair is bisected at
    once, one pooled CDF evaluation per step, until the bracket is narrower
    than ``rtol`` times the larger of its ends' magnitudes and of its starting
    width. SHELF's ``qlinearpool`` instead interpolates the pooled CDF on a
    grid of 10,000 points, which is accurate to about 1e-4 of the bracket.

    Parameters
    ----------
    levels : array_like of float, shape (k,)
        Levels in (0, 1).
    family, params, lower, upper, groups, n_groups, weights
        As for :func:`linear_pool_cdf`.
    rtol : float
        Relative width at which to stop.
    max_iter : int
        Most bisection steps.

    Returns
    -------
    ndarray, shape (n_groups, k)
        NaN for a question with no judgments.

    Raises
    ------
    ValueError
        If a level is outside (0, 1), or as for :func:`linear_pool_cdf`.

    References
    ----------
    M. Stone, "The opinion pool", *Annals of Mathematical Statistics* 32(4),
    1339-1342, 1961. J. E. Oakley, *SHELF*, R package, ``qlinearpool``.
    """
    codes, prm, lo, hi, grp, w, counts, mixing = _pool_setup(
        family, params, lower, upper, groups, n_groups, weights
    )
    q = np.atleast_1d(np.asarray(levels, dtype=float))
    if q.ndim != 1:
        raise ValueError(f"levels must be 1-d, got shape {q.shape}")
    bad = np.flatnonzero(~np.isfinite(q))
    if bad.size:
        raise ValueError(f"levels[{bad[0]}] is {q[bad[0]]}, not a finite number")
    _probabilities("levels", q, closed=False)
    n, k = codes.size, q.size
    own = _by_family(_ppf_rows, np.broadcast_to(q, (n, k)), codes, prm, lo, hi)
    positive = w > 0
    low = np.full((n_groups, k), np.inf)
    high = np.full((n_groups, k), -np.inf)
    np.minimum.at(low, grp[positive], own[positive])
    np.maximum.at(high, grp[positive], own[positive])
    present = counts > 0
    low[~present], high[~present] = 0.0, 0.0
    tol = rtol * np.maximum(np.maximum(np.abs(low), np.abs(high)), high - low)
    family_rows = [(FAMILIES[c], np.flatnonzero(codes == c)) for c in np.unique(codes)]
    for _ in range(max_iter):
        if np.all(high - low <= tol):
            break
        mid = 0.5 * (low + high)
        at = mid[grp]
        each = np.empty((n, k))
        for name, rows in family_rows:
            each[rows] = _cdf_rows(name, at[rows], prm[rows], lo[rows], hi[rows])
        above = np.asarray(mixing @ each) >= q
        high = np.where(above, mid, high)
        low = np.where(above, low, mid)
    out: NDArray[np.float64] = 0.5 * (low + high)
    out[~present] = np.nan
    return out


def bootstrap_linear_pool_quantiles(
    levels: ArrayLike,
    family: ArrayLike,
    params: ArrayLike,
    lower: ArrayLike,
    upper: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    *,
    n_resamples: int = 2000,
    level: float = 0.95,
    seed: int | np.random.Generator | None = None,
    grid_size: int = 1024,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    r"""Percentile bootstrap intervals of each question's linear-pool quantiles, resampling experts.

    For resample :math:`b` of question :math:`g`, its :math:`m_g` judgments are
    drawn with replacement, judgment :math:`i` drawn :math:`c_{b,i}` times, and
    the resampled pool is

    .. math:: F^{*}_{b}(x) = \frac{1}{m_g} \sum_{i \in g} c_{b,i}\, F_i(x).

    Whatever the counts, the pool's quantile at level :math:`p` lies between
    :math:`\min_i F_i^{-1}(p)` and :math:`\max_i F_i^{-1}(p)`; each expert's CDF
    is evaluated once on ``grid_size`` equally spaced points of that bracket, so
    every resample's pool there is one matrix product of the counts with those
    CDFs, and its quantile is read off by linear interpolation between the grid
    points around :math:`p` (to within a small fraction of the bracket over
    ``grid_size``; :func:`linear_pool_quantiles` bisects one pool exactly, at
    :math:`B \cdot m_g` times the cost). The interval is

    .. math:: \bigl[Q^{*}_{(\alpha/2)},\ Q^{*}_{(1-\alpha/2)}\bigr], \qquad
              \alpha = 1 - \text{level},

    the quantiles (NumPy's default) of the :math:`B` resampled quantiles, the
    standard error their standard deviation (ddof 1). Judgments are drawn in
    their order within each question, questions in order, from one generator.

    Parameters
    ----------
    levels : array_like of float, shape (k,)
        Levels in (0, 1).
    family, params, lower, upper, groups, n_groups
        As for :func:`linear_pool_quantiles` (equal weights).
    n_resamples : int, default 2000
        Number of resamples :math:`B`, at least 2.
    level : float, default 0.95
        Confidence level, in (0, 1).
    seed : int, numpy.random.Generator or None
        Seed or generator; fix it for reproducible intervals.
    grid_size : int, default 1024
        Points per question and level at which the CDFs are evaluated, at least 2.

    Returns
    -------
    estimate, low, high, standard_error : ndarray, shape (n_groups, k)
        ``estimate`` is :func:`linear_pool_quantiles` of the data; NaN for a
        question with no judgments.

    Raises
    ------
    ValueError
        As for :func:`linear_pool_quantiles`, or on ``n_resamples < 2``,
        ``grid_size < 2`` or a level outside (0, 1).

    See Also
    --------
    linear_pool_quantiles : the pool of the data, exact.
    elicit.core.consensus.grouped_bootstrap_ci : the same bootstrap for any pool.

    References
    ----------
    B. Efron and R. J. Tibshirani, *An Introduction to the Bootstrap*, Chapman &
    Hall, 1993, ch. 13 (percentile intervals). M. Stone, "The opinion pool",
    *Annals of Mathematical Statistics* 32(4), 1339-1342, 1961.
    """
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int | np.integer):
        raise ValueError(f"n_resamples must be a whole number, got {n_resamples!r}")
    if n_resamples < 2:
        raise ValueError(f"n_resamples must be at least 2, got {n_resamples}")
    if isinstance(grid_size, bool) or not isinstance(grid_size, int | np.integer) or grid_size < 2:
        raise ValueError(f"grid_size must be a whole number of at least 2, got {grid_size!r}")
    if not 0 < float(level) < 1:
        raise ValueError(f"level must be in (0, 1), got {level}")
    estimate = linear_pool_quantiles(levels, family, params, lower, upper, groups, n_groups)
    codes, prm, lo, hi, grp, _, counts, _ = _pool_setup(
        family, params, lower, upper, groups, n_groups, None
    )
    q = np.atleast_1d(np.asarray(levels, dtype=float))
    k = q.size
    own = _by_family(_ppf_rows, np.broadcast_to(q, (codes.size, k)), codes, prm, lo, hi)
    rng = np.random.default_rng(seed)
    steps = np.linspace(0.0, 1.0, grid_size)
    replicates = np.full((n_resamples, n_groups, k), np.nan)
    order = np.argsort(grp, kind="stable")
    starts = np.concatenate(([0], np.cumsum(counts)))
    for g in np.flatnonzero(counts).tolist():
        rows = order[starts[g] : starts[g + 1]]
        m = rows.size
        bottom, top = own[rows].min(axis=0), own[rows].max(axis=0)
        grid = bottom[:, None] + (top - bottom)[:, None] * steps  # (k, G)
        points = np.broadcast_to(grid.reshape(1, -1), (m, k * grid_size))
        cdf = _by_family(_cdf_rows, points, codes[rows], prm[rows], lo[rows], hi[rows])
        draws = np.floor(rng.random((n_resamples, m)) * m).astype(np.intp)
        drawn = np.bincount(
            (draws + m * np.arange(n_resamples)[:, None]).ravel(), minlength=n_resamples * m
        ).reshape(n_resamples, m)
        pooled = (drawn @ cdf / m).reshape(n_resamples, k, grid_size)
        below = (pooled < q[None, :, None]).sum(axis=2)  # grid points under the level
        at = np.clip(below, 1, grid_size - 1)
        f0 = np.take_along_axis(pooled, (at - 1)[..., None], axis=2)[..., 0]
        f1 = np.take_along_axis(pooled, at[..., None], axis=2)[..., 0]
        x0 = grid[np.arange(k), at - 1]
        x1 = grid[np.arange(k), at]
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.clip((q - f0) / (f1 - f0), 0.0, 1.0)
        share = np.where(f1 > f0, share, 1.0)
        replicates[:, g, :] = np.where(below == 0, grid[:, 0], x0 + share * (x1 - x0))
    low, high = np.quantile(replicates, [(1 - level) / 2, (1 + level) / 2], axis=0)
    se = replicates.std(axis=0, ddof=1)
    return estimate, low, high, se


def vincentize(
    quantile_values: ArrayLike,
    groups: ArrayLike,
    n_groups: int,
    weights: ArrayLike | None = None,
) -> NDArray[np.float64]:
    r"""Average the experts' quantile functions (Vincentization), every question at once.

    For question :math:`g`, weights :math:`w_i \ge 0` and each expert's
    quantile :math:`Q_i(p_j)` at common levels :math:`p_j`,

    .. math:: Q_g(p_j) = \sum_{i \in g} \frac{w_i}{\sum_{l \in g} w_l}\,Q_i(p_j).

    The result is again non-decreasing in :math:`j`; for location-scale
    families it is the same family with averaged location and scale. The
    quantiles may be elicited ones or read off fitted distributions with
    :func:`distribution_quantile`.

    Parameters
    ----------
    quantile_values : array_like of float, shape (n, k)
        Each judgment's quantiles at the same k levels, non-decreasing along rows.
    groups : array_like of int, shape (n,)
        Question index of each judgment, in ``[0, n_groups)``.
    n_groups : int
        Number of questions.
    weights : array_like of float, shape (n,), optional
        Non-negative weights (default equal); normalised per question.

    Returns
    -------
    ndarray, shape (n_groups, k)
        NaN for a question with no judgments.

    Raises
    ------
    ValueError
        If a value is not finite or a row decreases, a question's weights sum
        to 0, or as for :func:`elicit.core.layout.grouped_input`.

    References
    ----------
    R. Ratcliff, "Group reaction time distributions and an analysis of
    distribution statistics", *Psychological Bulletin* 86(3), 446-461, 1979.
    K. C. Lichtendahl, Y. Grushka-Cockayne and R. L. Winkler, "Is it better to
    average probabilities or quantiles?", *Management Science* 59(7),
    1594-1611, 2013.
    """
    vals = _matrix("quantile_values", quantile_values)
    _check_rows_increasing("quantile_values", vals, strict=False)
    n, k = vals.shape
    _, grp = grouped_input(np.zeros(n), groups, n_groups)
    w, counts = _pool_weights(weights, grp, n_groups)
    out = np.zeros((n_groups, k))
    np.add.at(out, grp, w[:, None] * vals)
    out[counts == 0] = np.nan
    return out


# ------------------------------------------------------- Cooke's piecewise-linear fit


def _scale(scale: str) -> bool:
    if scale not in ("linear", "log"):
        raise ValueError(f"scale must be 'linear' or 'log', got {scale!r}")
    return scale == "log"


def _piecewise_nodes(
    quantile_values: ArrayLike, levels: ArrayLike, lower: ArrayLike, upper: ArrayLike, scale: str
) -> tuple[
    NDArray[np.float64], NDArray[np.float64], bool, NDArray[np.float64], NDArray[np.float64]
]:
    """Nodes (n, k + 2) on the working scale, their cumulative probabilities, the bounds."""
    log = _scale(scale)
    vals = _matrix("quantile_values", quantile_values)
    n, k = vals.shape
    p = _levels(levels, n, k)
    _check_rows_increasing("quantile_values", vals, strict=False)
    lo, hi = _bound("lower", lower, n), _bound("upper", upper, n)
    bad = np.flatnonzero(~np.isfinite(lo) | ~np.isfinite(hi))
    if bad.size:
        i = bad[0]
        raise ValueError(f"bounds of judgment {i} are [{lo[i]}, {hi[i]}]; both must be finite")
    bad = np.flatnonzero(lo >= hi)
    if bad.size:
        i = bad[0]
        raise ValueError(f"lower[{i}] = {lo[i]:g} is not below upper[{i}] = {hi[i]:g}")
    if k:
        bad = np.flatnonzero(vals[:, 0] < lo)
        if bad.size:
            i = bad[0]
            raise ValueError(
                f"quantile_values[{i}, 0] = {vals[i, 0]:g} is below lower[{i}] = {lo[i]:g}"
            )
        bad = np.flatnonzero(vals[:, -1] > hi)
        if bad.size:
            i = bad[0]
            raise ValueError(
                f"quantile_values[{i}, {k - 1}] = {vals[i, -1]:g} is above upper[{i}] = {hi[i]:g}"
            )
    if log:
        bad = np.flatnonzero(lo <= 0)
        if bad.size:
            i = bad[0]
            raise ValueError(f"lower[{i}] = {lo[i]:g} must be positive on the log scale")
    xs = np.column_stack((lo, vals, hi))
    ps = np.column_stack((np.zeros(n), p, np.ones(n)))
    return (np.log(xs) if log else xs), ps, log, lo, hi


def piecewise_linear_cdf(
    x: ArrayLike,
    quantile_values: ArrayLike,
    levels: ArrayLike,
    lower: ArrayLike,
    upper: ArrayLike,
    *,
    scale: str = "linear",
) -> NDArray[np.float64]:
    r"""CDF of the piecewise-uniform distribution through each judgment's quantiles (Cooke).

    With nodes :math:`x_0 = L < x_1 \le \dots \le x_k < x_{k+1} = U` (the
    quantiles inside the intrinsic range) and :math:`p_0 = 0 < p_1 < \dots <
    p_k < p_{k+1} = 1`, the density is uniform between consecutive nodes and

    .. math:: F(x) = p_j + (p_{j+1} - p_j)\,\frac{x - x_j}{x_{j+1} - x_j},
              \qquad x_j \le x < x_{j+1},

    0 below :math:`L` and 1 from :math:`U`: the least informative distribution
    (relative to the uniform on :math:`[L, U]`) with those quantiles, as in
    Cooke's classical model. On the log scale every :math:`x` is replaced by
    :math:`\log x` (bounds must then be positive). Equal quantiles give a jump.

    Parameters
    ----------
    x : array_like of float, shape (n,) or (n, m)
        Points, one or ``m`` per judgment.
    quantile_values : array_like of float, shape (n, k)
        Each judgment's quantiles, non-decreasing along rows, e.g. 5/50/95 %.
    levels : array_like of float, shape (k,) or (n, k)
        Their levels, strictly increasing in (0, 1).
    lower, upper : float or array_like of float, shape (n,)
        The intrinsic range :math:`[L, U]` (see :func:`elicit.core.cooke.intrinsic_range`),
        finite, containing the quantiles.
    scale : {"linear", "log"}
        Interpolate in :math:`x` or in :math:`\log x`.

    Returns
    -------
    ndarray, shape of ``x``

    Raises
    ------
    ValueError
        If a number is not finite, a row decreases, a level is outside (0, 1)
        or not increasing, a quantile lies outside its range, ``lower >=
        upper``, ``scale`` is unknown, or on the log scale ``lower <= 0``.

    References
    ----------
    R. M. Cooke, *Experts in Uncertainty*, Oxford University Press, 1991, ch. 12.
    R. M. Cooke and L. H. J. Goossens, "TU Delft expert judgment data base",
    *Reliability Engineering & System Safety* 93(5), 657-674, 2008.
    """
    xs, ps, log, lo, hi = _piecewise_nodes(quantile_values, levels, lower, upper, scale)
    pts = _points("x", x, xs.shape[0])
    at = pts.reshape(xs.shape[0], -1)
    if log:
        with np.errstate(divide="ignore", invalid="ignore"):
            at = np.where(at > 0, np.log(np.where(at > 0, at, 1.0)), -np.inf)
    out = _interp_rows(at, xs, ps)
    out = np.where(at < xs[:, :1], 0.0, np.where(at >= xs[:, -1:], 1.0, out))
    return out.reshape(pts.shape)


def piecewise_linear_pdf(
    x: ArrayLike,
    quantile_values: ArrayLike,
    levels: ArrayLike,
    lower: ArrayLike,
    upper: ArrayLike,
    *,
    scale: str = "linear",
) -> NDArray[np.float64]:
    r"""Density of :func:`piecewise_linear_cdf`'s distribution (piecewise uniform).

    .. math:: f(x) = \frac{p_{j+1} - p_j}{x_{j+1} - x_j}, \qquad x_j \le x < x_{j+1},

    and 0 outside :math:`[L, U)`; on the log scale the density in :math:`x` is
    :math:`(p_{j+1} - p_j) / ((\log x_{j+1} - \log x_j)\,x)`. At equal
    quantiles (a jump) the density is infinite and not reported.

    Parameters
    ----------
    x : array_like of float, shape (n,) or (n, m)
        Points, one or ``m`` per judgment.
    quantile_values, levels, lower, upper, scale
        As for :func:`piecewise_linear_cdf`.

    Returns
    -------
    ndarray, shape of ``x``

    Raises
    ------
    ValueError
        As :func:`piecewise_linear_cdf`.

    References
    ----------
    R. M. Cooke, *Experts in Uncertainty*, Oxford University Press, 1991, ch. 12.
    """
    xs, ps, log, lo, hi = _piecewise_nodes(quantile_values, levels, lower, upper, scale)
    pts = _points("x", x, xs.shape[0])
    raw = pts.reshape(xs.shape[0], -1)
    at = raw
    if log:
        with np.errstate(divide="ignore", invalid="ignore"):
            at = np.where(raw > 0, np.log(np.where(raw > 0, raw, 1.0)), -np.inf)
    count = np.sum(xs[:, None, :] <= at[:, :, None], axis=2)
    j = np.clip(count - 1, 0, xs.shape[1] - 2)
    width = np.take_along_axis(xs, j + 1, axis=1) - np.take_along_axis(xs, j, axis=1)
    mass = np.take_along_axis(ps, j + 1, axis=1) - np.take_along_axis(ps, j, axis=1)
    inside = (at >= xs[:, :1]) & (at < xs[:, -1:])
    with np.errstate(divide="ignore", invalid="ignore"):
        dens = np.where(inside, mass / width, 0.0)
        if log:
            dens = np.where(inside, dens / np.where(raw > 0, raw, 1.0), 0.0)
    return dens.reshape(pts.shape)


def piecewise_linear_quantile(
    q: ArrayLike,
    quantile_values: ArrayLike,
    levels: ArrayLike,
    lower: ArrayLike,
    upper: ArrayLike,
    *,
    scale: str = "linear",
) -> NDArray[np.float64]:
    r"""Quantile function of :func:`piecewise_linear_cdf`'s distribution.

    .. math:: F^{-1}(q) = x_j + (x_{j+1} - x_j)\,\frac{q - p_j}{p_{j+1} - p_j},
              \qquad p_j \le q \le p_{j+1},

    (in :math:`\log x` on the log scale), so :math:`F^{-1}(0) = L`,
    :math:`F^{-1}(1) = U`, :math:`F^{-1}(p_j) = x_j`.

    Parameters
    ----------
    q : array_like of float, shape (n,) or (n, m)
        Levels in [0, 1], one or ``m`` per judgment.
    quantile_values, levels, lower, upper, scale
        As for :func:`piecewise_linear_cdf`.

    Returns
    -------
    ndarray, shape of ``q``

    Raises
    ------
    ValueError
        If a level is outside [0, 1], or as for :func:`piecewise_linear_cdf`.

    References
    ----------
    R. M. Cooke, *Experts in Uncertainty*, Oxford University Press, 1991, ch. 12.
    """
    xs, ps, log, lo, hi = _piecewise_nodes(quantile_values, levels, lower, upper, scale)
    qq = _points("q", q, xs.shape[0])
    _probabilities("q", qq, closed=True)
    at = qq.reshape(xs.shape[0], -1)
    out = _interp_rows(at, ps, xs)
    if log:
        # Back on the data's scale, each value within its segment's knots and a knot's
        # level giving the knot itself, whatever rounding exp(log x) brought.
        knots = np.exp(xs)
        knots[:, 1:-1] = _matrix("quantile_values", quantile_values)
        knots[:, 0], knots[:, -1] = lo, hi
        j = _segments(at, ps)
        low = np.take_along_axis(knots, j, axis=1)
        out = np.clip(np.exp(out), low, np.take_along_axis(knots, j + 1, axis=1))
        out = np.where(at == np.take_along_axis(ps, j, axis=1), low, out)
    # The ends exactly, whatever rounding the log scale brought.
    out = np.where(at <= 0, lo[:, None], np.where(at >= 1, hi[:, None], out))
    return out.reshape(qq.shape)
