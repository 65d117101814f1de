"""Analysis over the warehouse (分析研判): complaint integrity, early warning, stability.

Thin layers over DuckDB SQL; scikit-learn and scipy are imported inside functions only, so
`import rating` never loads them (tests/test_boundaries.py).

* `integrity` — near-duplicate complaints, bursts and campaigns (`detection`), held out of
  scoring until a person reviews them (`complaint_holds`, the contract with the engine).
* `warning` — the probability of a downgrade or black-list entry next period, trained only on
  earlier periods (`features` builds the company-period table), with an honest backtest.
* `stability` — population stability index of grade distributions between periods.
"""
