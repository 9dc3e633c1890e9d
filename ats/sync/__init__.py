"""Live sync with the employer's ATS: webhook events mapped onto the help desk's vocabulary.

`mapping.py` says what an ATS's stage names and rejection reasons mean (configurable per
employer), each ATS module turns its own payloads into `AtsEvent`s, and `events.py` applies an
event to the store once, in order, with its source on the status events it records. The other
way, `writeback/` writes the desk's changes to the ATS's API (ats/desk_changes.py says why).
"""
