"""Applicants' personal data kept only as long as promised, and theirs on request.

- `keys`: keyed hashes that name erased people and conversations without holding them;
- `erasure`: erasing applications and applicants from every table the help desk owns;
- `retention`: the purge that erases what is past its period (run by the deadline monitor and
  `helpdesk privacy purge`);
- `trackers`: removing conversations from Rasa's SQL tracker store;
- `export`: what the help desk holds about one applicant, for an access request;
- `consent`: the applicant's consent to the longer retention period;
- `announcements`: erasure events for the event broker's consumers.
"""
