"""Shared test setup."""

import struct

import pytest


@pytest.fixture
def parameter_bits():
    """``parameter_bits(module)``: each parameter's 8 IEEE-754 bytes, in order, to compare models bit for
    bit (``==`` on floats would call -0.0 equal to 0.0 and a NaN unequal to itself)."""
    return lambda module: [struct.pack("<d", p.data) for p in module.parameters()]
