"""How a conversation goes, under the rasa_sdk actions: a turn and its language, who the
conversation has proven to be, the verification flow (a small state machine over what the bot
waits for), the status and timeline answers, and handing the applicant to a recruiter.

The actions (actions/) are thin: each says what its intent means and leaves the rest to this
package, which imports no action.
"""
