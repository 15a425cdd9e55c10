"""Sharing between agencies: explicit, recorded, revocable shares of a case, a hash bank
or an indicator list, limited by the object's TLP marking (`rules.py`). A shared layer:
the stages' read checks consult `service.named` / `service.readable_keys`."""
