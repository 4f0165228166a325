"""Quality studies (outside the package ``lookup_tvm``, which never imports them): the byte-level
language model (:mod:`.lm`) on a local corpus (:mod:`.corpus`), the LookupFFN-vs-FFN study
(:mod:`.study`) and its Pareto extension (:mod:`.pareto`). Run through ``scripts/train_lm.py``,
``scripts/quality.py`` and the Hugging Face scripts."""
