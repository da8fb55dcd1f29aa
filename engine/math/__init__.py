"""Mathematics shared by every stage: the one number display policy and sympy-to-LaTeX printing."""
