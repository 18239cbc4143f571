"""Pre-train in PyTorch, evolve in gone, fine-tune back in PyTorch.

    pip install 'gone-nn[torch]'
    python examples/torch_roundtrip.py

The task: classify points of two interleaved spirals. PyTorch trains a small
MLP briefly; gone takes it over (``gone.from_torch``) and improves it with an
evolution strategy that starts from the pre-trained weights; ``net.to_torch()``
hands the evolved network back to PyTorch for more gradient steps. Accuracy
is measured at each stage on held-out points no stage trained or selected on.

What to expect: the ES improves what it optimises (the training log-likelihood,
printed), by a little; on a task with a gradient, gradient descent does far
more per evaluation. Evolution earns its place where there is no gradient (a
game score, a non-differentiable metric); this example shows the weights
travelling both ways without loss.
"""

import numpy as np
import torch

import gone


def spirals(n: int, rng: np.random.Generator):
    """``n`` points ``(n, 2)`` on two noisy spirals, labels ``(n,)`` 0 or 1."""
    t = np.sqrt(rng.random(n)) * 4 * np.pi
    label = rng.integers(0, 2, n)
    r = t / (4 * np.pi)
    angle = t + np.pi * label
    x = np.stack([r * np.cos(angle), r * np.sin(angle)], 1) + 0.03 * rng.normal(size=(n, 2))
    return x, label


def torch_train(module, x, y, steps: int) -> None:
    opt = torch.optim.Adam(module.parameters(), lr=0.01)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    for _ in range(steps):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(module(xt), yt).backward()
        opt.step()


def accuracy(net: gone.Network, x, y) -> float:
    return float((net.predict(x).argmax(1) == y).mean())


class Fitness:
    """Negative cross-entropy on the training points (higher is better)."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __call__(self, net):
        p = net.predict(self.x)[np.arange(len(self.y)), self.y]
        return float(np.log(np.maximum(p, 1e-12)).mean())


rng = np.random.default_rng(0)
torch.manual_seed(0)
x_train, y_train = spirals(600, rng)
x_test, y_test = spirals(2000, rng)

# 1. PyTorch: a short pre-training (logits out; gone adds the softmax below).
module = torch.nn.Sequential(torch.nn.Linear(2, 32), torch.nn.Tanh(),
                             torch.nn.Linear(32, 32), torch.nn.Tanh(),
                             torch.nn.Linear(32, 2)).double()
torch_train(module, x_train, y_train, steps=40)

# 2. gone: the same weights, a softmax output, then an evolution strategy from them.
net = gone.from_torch(torch.nn.Sequential(*module, torch.nn.Softmax(dim=1)))
print(f"pre-trained in PyTorch:   held-out accuracy {accuracy(net, x_test, y_test):.3f}")
fitness = Fitness(x_train, y_train)
before = fitness(net)
pop = gone.Population(net, size=30, strategy=gone.ES(sigma=0.05, learning_rate=0.05), seed=0)
pop.run(fitness, generations=40)
net = pop.best
print(f"evolved in gone (ES):     held-out accuracy {accuracy(net, x_test, y_test):.3f}"
      f"  (training log-likelihood {before:.3f} -> {fitness(net):.3f})")

# 3. PyTorch again: fine-tune the evolved network (drop gone's softmax: the loss has it).
back = torch.nn.Sequential(*list(net.to_torch())[:-1])
torch_train(back, x_train, y_train, steps=300)
final = gone.from_torch(torch.nn.Sequential(*back, torch.nn.Softmax(dim=1)))
print(f"fine-tuned in PyTorch:    held-out accuracy {accuracy(final, x_test, y_test):.3f}")
