"""The core network: activations, losses, initialisers, layers, the Network, optimisers and training."""
