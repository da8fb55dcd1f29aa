"""The problem model: a question's parameters, derivations and answers; step verification; the catalog; exam variants."""
