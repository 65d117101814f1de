"""Quality of the analyses: complaint-integrity precision/recall and early-warning backtest."""
