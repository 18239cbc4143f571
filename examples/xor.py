"""XOR by backprop, the Go library's first example, then saved to xor.gone.

    python examples/xor.py [OUT.gone]
"""

import sys

import gone

x, y = gone.datasets.xor()

# Go: gone.New(0.1, gone.MSE(), Layer{2}, Layer{4, Sigmoid()}, Layer{1, Sigmoid()})
net = gone.Network([2, gone.Dense(4, "sigmoid"), gone.Dense(1, "sigmoid")],
                   loss="mse", learning_rate=1.0, seed=0)
history = net.train(x, y, optimizer=gone.SGD(), epochs=3000)  # online: one sample per step

print(f"final loss {history.loss[-1]:.2e}")
for inputs, output in zip(x, net.predict(x)):
    print(f"{inputs} -> {output[0]:.3f}")

path = sys.argv[1] if len(sys.argv) > 1 else "xor.gone"
net.save(path)
print(f"saved {path}; the Go library can load it too")
