"""The ATS store: the help desk's copy of the employer's applicant tracking system.

Models, the async query API, the acknowledgement-deadline calendar and the file import live here,
shared by the action server, the channels and the operator command line.
"""
