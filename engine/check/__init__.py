"""Checking a submission against a question's reference: comparison, steps, answers, diagnoses, reports."""
