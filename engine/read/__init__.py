"""Reading a submission: bytes to segments, math fragments, chains of claims, parsed sympy objects."""
