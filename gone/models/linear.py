"""Linear baselines in plain numpy: least squares and multinomial logistic regression.

A network on a table is only worth keeping if it beats these; ``fit_table``
reports both on the same held-out rows. Both take standardised features
``x (n, d)`` and return ``(weight (k, d), bias (k,))`` in the layout of a
``Dense`` layer, so a fit can seed or be compared with a network directly.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError


def _rows(x, y) -> tuple[np.ndarray, np.ndarray]:
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y)
    if x.ndim != 2 or y.ndim != 1 or len(x) != len(y) or len(x) == 0:
        raise ShapeError(f"expected x (n, d) and y (n,) with n >= 1, got {x.shape} and {y.shape}")
    return x, y


def least_squares(x, y, ridge: float = 1e-8) -> tuple[np.ndarray, np.ndarray]:
    """The ordinary least-squares line ``y ~ w . x + b``: ``weight (1, d)``, ``bias (1,)``.

    ``ridge`` (relative to the mean squared feature) only keeps the solve
    stable for collinear columns; it does not change a well-posed fit.
    """
    x, y = _rows(x, y)
    mean_x, mean_y = x.mean(axis=0), float(np.mean(y))
    xc = x - mean_x
    gram = xc.T @ xc
    gram[np.diag_indices_from(gram)] += ridge * (np.trace(gram) / max(len(gram), 1) + 1.0)
    w = np.linalg.solve(gram, xc.T @ (y - mean_y))
    return w[None, :], np.array([mean_y - w @ mean_x])


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    np.exp(z, out=z)
    return z / z.sum(axis=1, keepdims=True)


def logistic_regression(x, labels, n_classes: int | None = None, *, c: float = 1.0,
                        iterations: int = 3000, tol: float = 1e-7) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression with an L2 penalty: ``weight (k, d)``, ``bias (k,)``.

    Minimises ``mean cross-entropy + |W|^2 / (2 c n)`` (scikit-learn's
    ``LogisticRegression(C=c)`` objective divided by ``n``; the bias is not
    penalised) by Nesterov-accelerated gradient descent with the step
    ``1 / L`` from the loss's curvature bound, which converges on every data
    set; stops when the gradient's largest entry is below ``tol``.
    ``labels (n,)`` are integers in ``0..k-1``; class scores are ``x @ W.T + b``.
    """
    x, labels = _rows(x, labels)
    n, d = x.shape
    k = int(n_classes or labels.max() + 1)
    target = np.zeros((n, k))
    target[np.arange(n), labels] = 1.0
    xb = np.hstack([x, np.ones((n, 1))])           # the last column carries the bias
    penalty = np.full((d + 1, 1), 1.0 / (c * n))
    penalty[-1] = 0.0
    # Softmax cross-entropy's Hessian is below 1/2 X'X/n (per class block).
    step = 1.0 / (0.5 * _largest_eigenvalue(xb) / n + 1.0 / (c * n))
    theta = np.zeros((d + 1, k))
    ahead, t = theta.copy(), 1.0
    for _ in range(iterations):
        grad = xb.T @ (_softmax(xb @ ahead) - target) / n + penalty * ahead
        new = ahead - step * grad
        t_next = (1 + np.sqrt(1 + 4 * t * t)) / 2
        ahead = new + ((t - 1) / t_next) * (new - theta)
        theta, t = new, t_next
        if np.abs(grad).max() < tol:
            break
    return theta[:-1].T.copy(), theta[-1].copy()


def _largest_eigenvalue(x: np.ndarray) -> float:
    """The largest eigenvalue of ``x' x``: exact for up to 500 columns; beyond, 100 power
    iterations (O(n d) each instead of O(d^3)) with a 10% margin, since they approach it
    from below and the step must not exceed ``1 / L``."""
    if x.shape[1] <= 500:
        return float(np.linalg.eigvalsh(x.T @ x)[-1])
    v = np.ones(x.shape[1]) / np.sqrt(x.shape[1])
    value = 0.0
    for _ in range(100):
        w = x.T @ (x @ v)
        value = float(np.linalg.norm(w))
        if value == 0.0:
            return 0.0
        v = w / value
    return 1.1 * value


def linear_predict(weight: np.ndarray, bias: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Scores ``(n, k)`` of a linear model on ``x (n, d)``."""
    return np.asarray(x, dtype=np.float64) @ weight.T + bias
