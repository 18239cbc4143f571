"""The base everything stands on: seeded generators, atomic writes, progress and small text helpers."""
