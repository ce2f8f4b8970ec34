"""Drift statistics, windows, thresholds calibrated on the reference, alerts."""
